#pragma once
// Layers declared in one line. Most of LibTorch's layers (activations, losses, pooling, Flatten,
// Dropout, ...) hold nothing but their options, so each would repeat the same class: a
// constructor from the options or from what the options' constructor takes, `options`, reset(),
// pretty_print and forward. EMBER_LAYER writes that class once:
//   EMBER_LAYER(ELU, OptionsModule<ELUOptions>, Tensor forward(Tensor input);)
// declares ELUImpl (as LibTorch's: ELUImpl(), ELUImpl(ELUOptions().alpha(0.5)), `options`) and
// its holder ELU; the .cpp defines forward and a one-line pretty_print from a table of fields:
//   void ELUImpl::pretty_print(std::ostream& s) const {
//     print(s, {{"alpha", options.alpha()}, {"inplace", true, options.inplace()}});
//   }
// A layer that checks its options or registers buffers declares its own reset() among the
// members; the constructor calls it, as LibTorch's constructors call reset().
#include <initializer_list>
#include <iosfwd>
#include <optional>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "ember/nn/module.h"
#include "ember/nn/pimpl.h"
#include "ember/tensor.h"

namespace ember {
namespace nn {

/// One entry of a layer's printout: "label=value", or the bare value for an empty label
/// (BatchNorm2d's "16"). Booleans print as true/false, an empty optional as None and a vector as
/// {3, 4}, as LibTorch's printouts. shown = false leaves the entry out (LibTorch prints some
/// options only when set, such as inplace).
struct LayerField {
  template <typename T>
  LayerField(const char* label, const T& value, bool shown = true)  // NOLINT
      : shown(shown), is_flag(std::is_same<T, bool>::value) {
    std::ostringstream s;
    s << std::boolalpha;
    if (*label) s << label << '=';
    write(s, value);
    text = s.str();
  }
  std::string text;
  bool shown;
  bool is_flag;  // a bool: LibTorch's printers leave the stream in boolalpha after printing one

 private:
  template <typename T>
  static void write(std::ostream& s, const T& value) {
    s << value;
  }
  template <typename T>
  static void write(std::ostream& s, const std::optional<T>& value) {
    if (value) s << *value;
    else s << "None";
  }
  template <typename T>
  static void write(std::ostream& s, const std::vector<T>& values) {
    s << '{';
    for (size_t i = 0; i < values.size(); ++i) s << (i ? ", " : "") << values[i];
    s << '}';
  }
};

/// The base of every EMBER_LAYER: LibTorch's name of the layer, for its printout and messages.
class EMBER_API LayerBase : public Module {
 public:
  explicit LayerBase(const char* name) : layer_name_(name) {}
  /// A layer that holds only options has nothing to rebuild.
  void reset() {}

 protected:
  /// Writes "ember::nn::<name>(<the shown fields, comma separated>)".
  void print(std::ostream& stream, std::initializer_list<LayerField> fields = {}) const;
  const char* layer_name_;  // "ELU", "BatchNorm2d"
};

/// The base of a layer whose state is its options (LibTorch's `options` member).
template <typename Options>
class OptionsModule : public LayerBase {
 public:
  /// The options themselves, or what their constructor takes (a dim, a kernel size, a reduction).
  template <typename... Args, typename = std::enable_if_t<std::is_constructible<Options, Args&&...>::value>>
  explicit OptionsModule(const char* name, Args&&... args) : LayerBase(name), options(std::forward<Args>(args)...) {}

  Options options;
};

}  // namespace nn
}  // namespace ember

/// EMBER_LAYER(Name, Base, members...) declares the layer NameImpl, derived from Base
/// (OptionsModule<NameOptions>, LayerBase for a layer without options), and its holder Name.
/// NameImpl is constructible from whatever constructs Base after the name, calls reset() once
/// built, and declares pretty_print and the members given: forward, and reset() where the layer
/// checks its options or registers buffers.
#define EMBER_LAYER(Name, Base, ...)                                                                   \
  class EMBER_API Name##Impl : public Base {                                                           \
   public:                                                                                             \
    template <typename... Args,                                                                        \
              typename = std::enable_if_t<std::is_constructible<Base, const char*, Args&&...>::value>> \
    explicit Name##Impl(Args&&... args) : Base(#Name, std::forward<Args>(args)...) {                   \
      reset();                                                                                         \
    }                                                                                                  \
    void pretty_print(std::ostream& stream) const override;                                            \
    __VA_ARGS__                                                                                        \
  };                                                                                                   \
  EMBER_MODULE(Name)
