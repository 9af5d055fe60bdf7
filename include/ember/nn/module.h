#pragma once
// nn::Module: the base of every layer and model, as torch::nn::Module. A module owns named
// parameters, buffers and child modules (each in registration order); the recursive
// accessors (named_parameters, modules, train, to, zero_grad, ...) walk that tree.
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ember/autograd.h"
#include "ember/nn/ordered_dict.h"
#include "ember/nn/pimpl.h"
#include "ember/tensor.h"

namespace ember {
namespace serialize {
class OutputArchive;
class InputArchive;
}  // namespace serialize
namespace nn {

class EMBER_API Module : public std::enable_shared_from_this<Module> {
 public:
  using ModuleApplyFunction = std::function<void(Module&)>;
  using NamedModuleApplyFunction = std::function<void(const std::string&, Module&)>;
  using ModulePointerApplyFunction = std::function<void(const std::shared_ptr<Module>&)>;

  /// A module whose name() is `name` instead of its demangled type.
  explicit Module(std::string name);
  Module();
  virtual ~Module() = default;

  /// The module's name: the demangled type ("NetImpl", "ember::nn::LinearImpl") unless one
  /// was given to the constructor.
  const std::string& name() const noexcept;

  /// Calls `function` on this module and then on every descendant, depth first.
  void apply(const ModuleApplyFunction& function);
  /// As above, with each module's dotted name ("" for this one, prefixed by name_prefix).
  void apply(const NamedModuleApplyFunction& function, const std::string& name_prefix = std::string());
  /// As above, with each module's shared_ptr (this module must be owned by a shared_ptr).
  void apply(const ModulePointerApplyFunction& function) const;

  /// Parameters of this module and (recurse) of its descendants, in registration order.
  std::vector<Tensor> parameters(bool recurse = true) const;
  /// The same, keyed by dotted name: "weight", "fc1.weight", "0.bias".
  OrderedDict<std::string, Tensor> named_parameters(bool recurse = true) const;
  std::vector<Tensor> buffers(bool recurse = true) const;
  OrderedDict<std::string, Tensor> named_buffers(bool recurse = true) const;
  /// This module (first, when include_self) and every descendant, depth first.
  std::vector<std::shared_ptr<Module>> modules(bool include_self = true) const;
  OrderedDict<std::string, std::shared_ptr<Module>> named_modules(const std::string& name_prefix = std::string(),
                                                                  bool include_self = true) const;
  /// Direct children only.
  std::vector<std::shared_ptr<Module>> children() const;
  OrderedDict<std::string, std::shared_ptr<Module>> named_children() const;

  /// Sets training mode here and in every descendant (Dropout and BatchNorm read it).
  virtual void train(bool on = true);
  void eval() { train(false); }
  virtual bool is_training() const noexcept { return is_training_; }

  /// Moves/converts every parameter and buffer in place: a Tensor handle taken before
  /// (net->fc1->weight, an optimizer's parameter list) sees the new device and dtype.
  /// Gradients already present are converted with their parameters (as PyTorch's Python
  /// `module.to`, where LibTorch 1.13 leaves them behind).
  virtual void to(Device device, ScalarType dtype, bool non_blocking = false);
  virtual void to(ScalarType dtype, bool non_blocking = false);
  virtual void to(Device device, bool non_blocking = false);

  /// Zeroes every parameter's gradient, or (set_to_none) resets it to undefined.
  /// The default is LibTorch 1.13's: false, the gradients stay defined and become zero.
  virtual void zero_grad(bool set_to_none = false);

  /// This module as ModuleType (an Impl, or a holder type naming its Impl), or nullptr.
  template <typename ModuleType>
  auto* as() noexcept {
    return dynamic_cast<typename contained<ModuleType>::type*>(this);
  }
  template <typename ModuleType>
  const auto* as() const noexcept {
    return dynamic_cast<const typename contained<ModuleType>::type*>(this);
  }

  /// Writes a one-line description of this module alone; layers override it
  /// ("ember::nn::Linear(in_features=3, out_features=2, bias=true)").
  virtual void pretty_print(std::ostream& stream) const;

  /// LibTorch's Module::save / load: every parameter and buffer, under its state_dict name
  /// ("conv1.weight"), into or out of an archive (ember/serialize.h). load copies the stored
  /// values into the existing tensors (same shapes) and names a missing key.
  virtual void save(serialize::OutputArchive& archive) const;
  virtual void load(serialize::InputArchive& archive);

  /// Adds a parameter (a leaf whose requires_grad is set to `requires_grad`). An undefined
  /// tensor is allowed (Linear without bias registers one) and is skipped by parameters().
  Tensor& register_parameter(std::string name, Tensor tensor, bool requires_grad = true);
  /// Adds a buffer: state that is not trained (BatchNorm's running_mean) but moves with to().
  Tensor& register_buffer(std::string name, Tensor tensor);

  /// Adds a child module and returns it, so `fc1 = register_module("fc1", Linear(3, 4));`.
  template <typename ModuleType>
  std::shared_ptr<ModuleType> register_module(std::string name, std::shared_ptr<ModuleType> module) {
    check_child_name(name, module != nullptr);
    auto& stored = children_.insert(std::move(name), std::shared_ptr<Module>(std::move(module)));
    return std::dynamic_pointer_cast<ModuleType>(stored);
  }
  template <typename ModuleType>
  std::shared_ptr<ModuleType> register_module(std::string name, ModuleHolder<ModuleType> module_holder) {
    return register_module(std::move(name), module_holder.ptr());
  }
  /// Replaces the child registered as `name` and returns the new one.
  template <typename ModuleType>
  std::shared_ptr<ModuleType> replace_module(const std::string& name, std::shared_ptr<ModuleType> module) {
    auto& stored = (children_[name] = std::shared_ptr<Module>(std::move(module)));
    return std::dynamic_pointer_cast<ModuleType>(stored);
  }
  template <typename ModuleType>
  std::shared_ptr<ModuleType> replace_module(const std::string& name, ModuleHolder<ModuleType> module_holder) {
    return replace_module(name, module_holder.ptr());
  }
  void unregister_module(const std::string& name);

 protected:
  OrderedDict<std::string, Tensor> parameters_{"Parameter"};

 private:
  template <typename T, typename = void>
  struct contained {
    using type = T;
  };
  template <typename T>
  struct contained<T, std::enable_if_t<detail::is_module_holder<T>::value>> {
    using type = typename T::ContainedType;
  };

  EMBER_API friend std::ostream& operator<<(std::ostream& stream, const Module& module);

  void check_child_name(const std::string& name, bool non_null) const;
  std::shared_ptr<Module> shared_from_this_checked(const char* op) const;
  void pretty_print_recursive(std::ostream& stream, const std::string& indentation) const;
  void apply_to_submodules(const std::function<void(const std::string&, const std::shared_ptr<Module>&)>& fn,
                           const std::string& name_prefix) const;
  template <typename Fn>
  void to_impl(const Fn& convert);
  /// The defined tensors of `member` (parameters_ or buffers_) here and, with recurse, in every
  /// submodule, named by their dotted paths.
  OrderedDict<std::string, Tensor> named_tensors(bool recurse, OrderedDict<std::string, Tensor> Module::*member) const;

  OrderedDict<std::string, Tensor> buffers_{"Buffer"};
  OrderedDict<std::string, std::shared_ptr<Module>> children_{"Submodule"};
  mutable std::optional<std::string> name_;
  bool is_training_ = true;
};

/// Prints the module tree in LibTorch's format:
///   NetImpl(
///     (fc1): ember::nn::Linear(in_features=10, out_features=5, bias=true)
///   )
EMBER_API std::ostream& operator<<(std::ostream& stream, const Module& module);

}  // namespace nn
}  // namespace ember
