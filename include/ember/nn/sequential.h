#pragma once
// nn::Sequential: modules applied one after another, as torch::nn::Sequential.
//
// Sequential stores each entry as an AnyModule: the module plus its forward, captured (type
// erased) when the entry is added. Every entry must have a forward taking one Tensor and
// returning a Tensor; a Sequential has exactly that forward, so a Sequential nests inside a
// Sequential, both as a child module (names "1.0.weight") and in forward(). LibTorch 1.13
// refuses to compile that nesting, because its forward is a template.
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "ember/nn/module.h"
#include "ember/nn/pimpl.h"

namespace ember {
namespace nn {

/// A type-erased module with a Tensor -> Tensor forward (a subset of LibTorch's AnyModule).
class EMBER_API AnyModule {
 public:
  AnyModule() = default;

  /// From a shared_ptr to a module Impl.
  template <typename ModuleType, typename = std::enable_if_t<std::is_base_of<Module, ModuleType>::value>>
  explicit AnyModule(std::shared_ptr<ModuleType> module) : module_(module) {
    static_assert(
        std::is_convertible<decltype(std::declval<ModuleType&>().forward(std::declval<Tensor>())), Tensor>::value,
        "a module in nn::Sequential needs a forward(Tensor) that returns a Tensor");
    ModuleType* raw = module.get();
    // A raw pointer: module_ keeps the module alive as long as this function exists.
    forward_ = [raw](const Tensor& input) -> Tensor {
      // A Sequential's entries run through here, so anomaly mode sees each one entered.
      detail::ForwardScope scope(raw);
      return raw->forward(input);
    };
  }

  /// From a module value (an Impl, moved into a new shared_ptr).
  template <typename ModuleType, typename = std::enable_if_t<std::is_base_of<Module, std::decay_t<ModuleType>>::value>,
            typename = void>
  explicit AnyModule(ModuleType&& module)
      : AnyModule(std::make_shared<std::decay_t<ModuleType>>(std::forward<ModuleType>(module))) {}

  /// From a holder (Linear, Conv2d, Sequential, a user's EMBER_MODULE type).
  template <typename ModuleType>
  explicit AnyModule(const ModuleHolder<ModuleType>& holder) : AnyModule(holder.ptr()) {}

  /// Runs the module's forward.
  Tensor forward(const Tensor& input) const {
    EMBER_CHECK(!is_empty(), "AnyModule::forward: the AnyModule is empty");
    return forward_(input);
  }
  Tensor operator()(const Tensor& input) const { return forward(input); }

  /// The module as a Module; ptr<T>() and get<T>() as its concrete type (checked).
  std::shared_ptr<Module> ptr() const { return module_; }
  template <typename T, typename = detail::disable_if_module_holder_t<T>>
  std::shared_ptr<T> ptr() const {
    auto typed = std::dynamic_pointer_cast<T>(module_);
    EMBER_CHECK(typed != nullptr, "AnyModule::ptr: the module is a ",
                module_ ? module_->name() : std::string("null module"), ", not the type asked for");
    return typed;
  }
  template <typename T, typename = detail::disable_if_module_holder_t<T>>
  T& get() const {
    return *ptr<T>();
  }
  bool is_empty() const noexcept { return module_ == nullptr; }

 private:
  std::shared_ptr<Module> module_;
  std::function<Tensor(const Tensor&)> forward_;
};

namespace detail {
/// An AnyModule from a holder, an Impl shared_ptr or value, or an AnyModule (as is).
template <typename M>
AnyModule to_any_module(M&& module) {
  if constexpr (std::is_same<std::decay_t<M>, AnyModule>::value) {
    return std::forward<M>(module);
  } else {
    return AnyModule(std::forward<M>(module));
  }
}
}  // namespace detail

/// A name and a module, for Sequential({{"conv", Conv2d(...)}, {"act", ReLU()}}).
class NamedAnyModule {
 public:
  template <typename ModuleType>
  NamedAnyModule(std::string name, ModuleType&& module)  // NOLINT
      : name_(std::move(name)), module_(detail::to_any_module(std::forward<ModuleType>(module))) {}
  const std::string& name() const noexcept { return name_; }
  const AnyModule& module() const noexcept { return module_; }

 private:
  std::string name_;
  AnyModule module_;
};

class EMBER_API SequentialImpl : public Module {
 public:
  using Iterator = std::vector<AnyModule>::iterator;
  using ConstIterator = std::vector<AnyModule>::const_iterator;

  SequentialImpl() = default;

  /// Sequential(Flatten(), Linear(3072, 100), ReLU(), ...): holders, Impl shared_ptrs,
  /// Impl values or AnyModules, named "0", "1", ...
  template <typename... Modules,
            typename = std::enable_if_t<!(sizeof...(Modules) == 1 &&
                                          (std::is_same<std::decay_t<Modules>, SequentialImpl>::value && ...))>>
  explicit SequentialImpl(Modules&&... modules) {
    modules_.reserve(sizeof...(Modules));
    (push_back(std::forward<Modules>(modules)), ...);
  }

  /// Named entries: Sequential({{"fc", Linear(3, 4)}, {"act", ReLU()}}).
  explicit SequentialImpl(std::initializer_list<NamedAnyModule> named_modules) {
    modules_.reserve(named_modules.size());
    for (const NamedAnyModule& m : named_modules) push_back(m.name(), m.module());
  }
  explicit SequentialImpl(OrderedDict<std::string, AnyModule>&& ordered_dict) {
    modules_.reserve(ordered_dict.size());
    for (auto& item : ordered_dict) push_back(item.key(), std::move(item.value()));
  }

  /// Appends a module named by its position ("3").
  template <typename ModuleType>
  void push_back(ModuleType&& module) {
    push_back(std::to_string(modules_.size()), std::forward<ModuleType>(module));
  }
  /// Appends a module under a name of your choosing.
  template <typename ModuleType>
  void push_back(std::string name, ModuleType&& module) {
    push_back_any(std::move(name), detail::to_any_module(std::forward<ModuleType>(module)));
  }

  /// Appends every module of another Sequential (the same objects, not copies).
  void extend(const SequentialImpl& other);

  /// Applies each module to the output of the previous one.
  Tensor forward(const Tensor& input);

  size_t size() const noexcept { return modules_.size(); }
  bool is_empty() const noexcept { return modules_.empty(); }

  /// The index-th module.
  std::shared_ptr<Module> operator[](size_t index) const { return ptr(index); }
  std::shared_ptr<Module> ptr(size_t index) const;
  template <typename T>
  std::shared_ptr<T> ptr(size_t index) const {
    check_index(index, "ptr");
    return modules_[index].ptr<T>();
  }
  /// The index-th module as its concrete Impl type (checked).
  template <typename T>
  T& at(size_t index) {
    check_index(index, "at");
    return modules_[index].get<T>();
  }
  template <typename T>
  const T& at(size_t index) const {
    check_index(index, "at");
    return modules_[index].get<T>();
  }

  Iterator begin() { return modules_.begin(); }
  ConstIterator begin() const { return modules_.begin(); }
  Iterator end() { return modules_.end(); }
  ConstIterator end() const { return modules_.end(); }

  void pretty_print(std::ostream& stream) const override;

  /// ember's own: runs one forward pass (in eval mode, without recording a graph) on zeros of
  /// `input_size`, on the device and dtype of the first parameter, and prints a table of each
  /// layer's dotted name, type, output shape and parameter count, then the totals. Nested
  /// Sequentials are expanded layer by layer.
  void summary(IntArrayRef input_size, std::ostream& stream) const;
  void summary(IntArrayRef input_size) const;

 private:
  void push_back_any(std::string name, AnyModule module);
  void check_index(size_t index, const char* what) const;

  std::vector<AnyModule> modules_;
};

/// The holder: `Sequential seq(Linear(3, 4), ReLU());`, `seq->push_back(...)`, `seq(x)`.
/// Written out (not EMBER_MODULE) for the braced named form, as LibTorch's.
class Sequential : public ModuleHolder<SequentialImpl> {
 public:
  using ModuleHolder<SequentialImpl>::ModuleHolder;
  using Impl = SequentialImpl;
  Sequential() : ModuleHolder() {}
  Sequential(std::initializer_list<NamedAnyModule> named_modules)  // NOLINT
      : ModuleHolder(std::make_shared<SequentialImpl>(named_modules)) {}
};

}  // namespace nn
}  // namespace ember
