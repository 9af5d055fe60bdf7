#pragma once
// The containers besides Sequential, as LibTorch's: ModuleList, ModuleDict, ParameterList and
// ParameterDict. Each registers what it holds under LibTorch's (and PyTorch's) names, "0", "1",
// ... for the lists and the keys for the dicts, so named_parameters() and a state_dict read as
// PyTorch's ("layers.0.weight").
#include <cstddef>
#include <iosfwd>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "ember/nn/module.h"
#include "ember/nn/ordered_dict.h"
#include "ember/nn/pimpl.h"
#include "ember/tensor.h"

namespace ember {
namespace nn {

namespace detail {
template <typename M>
using enable_if_module_t = std::enable_if_t<std::is_base_of<Module, std::decay_t<M>>::value>;
/// True when Args is exactly one (possibly cv/ref-qualified) T: keeps a variadic constructor
/// from taking the place of T's copy constructor.
template <typename T, typename... Args>
struct is_single : std::false_type {};
template <typename T, typename A>
struct is_single<T, A> : std::is_same<T, std::decay_t<A>> {};
}  // namespace detail

/// A list of modules, each registered as a child named by its position. Unlike Sequential it
/// has no forward: the owner decides how the entries are called.
class EMBER_API ModuleListImpl : public Module {
 public:
  using Iterator = std::vector<std::shared_ptr<Module>>::iterator;
  using ConstIterator = std::vector<std::shared_ptr<Module>>::const_iterator;

  /// ModuleList(Linear(2, 3), ReLU(), ...): holders, Impl shared_ptrs or Impl values; none for an
  /// empty list. (Not for a single ModuleListImpl, which is the copy constructor's.)
  template <typename... Modules, typename = std::enable_if_t<!detail::is_single<ModuleListImpl, Modules...>::value>>
  explicit ModuleListImpl(Modules&&... modules) {
    (push_back(std::forward<Modules>(modules)), ...);
  }

  void reset() {}
  void pretty_print(std::ostream& stream) const override;

  /// Appends a module, registered as "<its index>".
  void push_back(std::shared_ptr<Module> module);
  template <typename M, typename = detail::enable_if_module_t<M>>
  void push_back(M&& module) {
    push_back(std::make_shared<std::decay_t<M>>(std::forward<M>(module)));
  }
  template <typename M>
  void push_back(const ModuleHolder<M>& module_holder) {
    push_back(module_holder.ptr());
  }
  template <typename M, typename = std::enable_if_t<std::is_base_of<Module, M>::value>>
  void push_back(std::shared_ptr<M> module) {
    push_back(std::shared_ptr<Module>(std::move(module)));
  }

  /// Appends each module of `container` (another ModuleList, a vector of modules, ...).
  template <typename Container>
  void extend(const Container& container) {
    for (const auto& module : container) push_back(module);
  }

  /// Inserts before position `index` (index == size() appends); the entries after it move up
  /// one place and are re-registered under their new positions.
  void insert(size_t index, std::shared_ptr<Module> module);
  template <typename M>
  void insert(size_t index, const ModuleHolder<M>& module_holder) {
    insert(index, module_holder.ptr());
  }
  template <typename M, typename = detail::enable_if_module_t<M>>
  void insert(size_t index, M&& module) {
    insert(index, std::make_shared<std::decay_t<M>>(std::forward<M>(module)));
  }

  Iterator begin() { return modules_.begin(); }
  ConstIterator begin() const { return modules_.begin(); }
  Iterator end() { return modules_.end(); }
  ConstIterator end() const { return modules_.end(); }

  /// The index-th module as its Impl type T; an error if it is not a T.
  template <typename T>
  T& at(size_t index) {
    return *checked<T>(index, "at");
  }
  template <typename T>
  const T& at(size_t index) const {
    return *checked<T>(index, "at");
  }
  std::shared_ptr<Module> ptr(size_t index) const;
  /// The index-th module as a T (nullptr when it is another type, as LibTorch).
  template <typename T>
  std::shared_ptr<T> ptr(size_t index) const {
    return std::dynamic_pointer_cast<T>(ptr(index));
  }
  std::shared_ptr<Module> operator[](size_t index) const { return ptr(index); }

  size_t size() const noexcept { return modules_.size(); }
  bool is_empty() const noexcept { return modules_.empty(); }

 private:
  template <typename T>
  T* checked(size_t index, const char* op) const {
    static_assert(std::is_base_of<Module, T>::value, "ModuleList::at needs an nn::Module (Impl) type");
    T* typed = dynamic_cast<T*>(ptr(index).get());
    EMBER_CHECK(typed != nullptr, "ModuleList::", op, ": the module at index ", index, " is a ",
                modules_[index]->name(), ", not the type asked for");
    return typed;
  }

  std::vector<std::shared_ptr<Module>> modules_;
};
EMBER_MODULE(ModuleList);

/// Modules by name, in insertion order, each registered as a child under its key.
class EMBER_API ModuleDictImpl : public Module {
 public:
  using Iterator = OrderedDict<std::string, std::shared_ptr<Module>>::Iterator;
  using ConstIterator = OrderedDict<std::string, std::shared_ptr<Module>>::ConstIterator;

  ModuleDictImpl() = default;
  explicit ModuleDictImpl(const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& modules) {
    update(modules);
  }
  explicit ModuleDictImpl(const OrderedDict<std::string, std::shared_ptr<Module>>& modules) { update(modules); }

  void reset() {}
  void pretty_print(std::ostream& stream) const override;

  std::vector<std::pair<std::string, std::shared_ptr<Module>>> items() const { return modules_.pairs(); }
  std::vector<std::string> keys() const { return modules_.keys(); }
  std::vector<std::shared_ptr<Module>> values() const { return modules_.values(); }

  size_t size() const noexcept { return modules_.size(); }
  bool empty() const noexcept { return modules_.is_empty(); }
  bool contains(const std::string& key) const noexcept { return modules_.contains(key); }

  Iterator begin() { return modules_.begin(); }
  ConstIterator begin() const { return modules_.begin(); }
  Iterator end() { return modules_.end(); }
  ConstIterator end() const { return modules_.end(); }

  /// Forgets every entry. As PyTorch's and LibTorch's, the children stay registered (their
  /// parameters are still the module's).
  void clear() { modules_.clear(); }

  /// The module under `key`; an error naming the key when there is none.
  std::shared_ptr<Module> operator[](const std::string& key) const { return modules_[key]; }
  template <typename T>
  T& at(const std::string& key) {
    return *checked<T>(key);
  }
  template <typename T>
  const T& at(const std::string& key) const {
    return *checked<T>(key);
  }

  /// Removes `key` from the dict and returns its module (which stays registered, as LibTorch).
  std::shared_ptr<Module> pop(const std::string& key);

  /// Adds each (key, module); an existing key gets the new module.
  void update(const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& modules) {
    for (const auto& item : modules) insert(item.first, item.second);
  }
  /// The same from anything whose items have key() and value() (an OrderedDict, a ModuleDict).
  template <typename Container>
  void update(const Container& container) {
    for (const auto& item : container) insert(item.key(), item.value());
  }

 private:
  void insert(const std::string& key, std::shared_ptr<Module> module);
  template <typename T>
  T* checked(const std::string& key) const {
    static_assert(std::is_base_of<Module, T>::value, "ModuleDict::at needs an nn::Module (Impl) type");
    const std::shared_ptr<Module>& m = modules_[key];
    T* typed = dynamic_cast<T*>(m.get());
    EMBER_CHECK(typed != nullptr, "ModuleDict::at: the module '", key, "' is a ", m->name(),
                ", not the type asked for");
    return typed;
  }

  OrderedDict<std::string, std::shared_ptr<Module>> modules_{"Submodule"};
};
EMBER_MODULE(ModuleDict);

/// Parameters registered as "0", "1", ...; each keeps its requires_grad.
class EMBER_API ParameterListImpl : public Module {
 public:
  using Iterator = std::vector<OrderedDict<std::string, Tensor>::Item>::iterator;
  using ConstIterator = std::vector<OrderedDict<std::string, Tensor>::Item>::const_iterator;

  /// ParameterList(a, b, ...): tensors or OrderedDict items; none for an empty list.
  template <typename... Tensors, typename = std::enable_if_t<!detail::is_single<ParameterListImpl, Tensors...>::value>>
  explicit ParameterListImpl(Tensors&&... params) {
    (append(std::forward<Tensors>(params)), ...);
  }

  void reset() {}
  /// LibTorch's listing: "ember::nn::ParameterList(\n(0): Parameter containing: [Float of size
  /// [2, 3]]\n...)".
  void pretty_print(std::ostream& stream) const override;

  void append(const Tensor& param);
  void append(const OrderedDict<std::string, Tensor>::Item& pair) { append(pair.value()); }
  template <typename Container>
  void extend(const Container& container) {
    for (const auto& param : container) append(param);
  }
  template <typename Container>
  Container& operator+=(const Container& other) {
    extend(other);
    return *this;
  }

  Iterator begin() { return parameters_.begin(); }
  ConstIterator begin() const { return parameters_.begin(); }
  Iterator end() { return parameters_.end(); }
  ConstIterator end() const { return parameters_.end(); }

  Tensor& at(size_t idx);
  const Tensor& at(size_t idx) const;
  Tensor& operator[](size_t idx) { return at(idx); }
  const Tensor& operator[](size_t idx) const { return at(idx); }

  size_t size() const noexcept { return parameters_.size(); }
  bool is_empty() const noexcept { return parameters_.is_empty(); }
};
EMBER_MODULE(ParameterList);

/// Parameters by name; each keeps its requires_grad.
class EMBER_API ParameterDictImpl : public Module {
 public:
  using Iterator = OrderedDict<std::string, Tensor>::Iterator;
  using ConstIterator = OrderedDict<std::string, Tensor>::ConstIterator;

  ParameterDictImpl() = default;
  explicit ParameterDictImpl(const OrderedDict<std::string, Tensor>& params);

  void reset() {}
  void pretty_print(std::ostream& stream) const override;

  /// Registers `param` under `key` (an existing key is an error, as register_parameter).
  Tensor& insert(std::string key, Tensor param);
  /// Removes `key` and returns its tensor.
  Tensor pop(const std::string& key);

  std::vector<std::string> keys() const { return parameters_.keys(); }
  std::vector<Tensor> values() const { return parameters_.values(); }
  size_t size() const noexcept { return parameters_.size(); }
  bool empty() const noexcept { return parameters_.is_empty(); }

  Iterator begin() { return parameters_.begin(); }
  ConstIterator begin() const { return parameters_.begin(); }
  Iterator end() { return parameters_.end(); }
  ConstIterator end() const { return parameters_.end(); }

  /// Sets each (key, tensor) of `container`. LibTorch 1.13 assigns only to keys already present
  /// (a new key throws there); ember also adds new keys, as PyTorch's ParameterDict.update.
  template <typename Container>
  void update(const Container& container) {
    for (const auto& item : container) set(item.key(), item.value());
  }
  void clear() { parameters_.clear(); }
  bool contains(const std::string& key) const noexcept { return parameters_.contains(key); }

  const Tensor& get(const std::string& key) const { return parameters_[key]; }
  Tensor& get(const std::string& key) { return parameters_[key]; }
  Tensor& operator[](const std::string& key) { return parameters_[key]; }
  const Tensor& operator[](const std::string& key) const { return parameters_[key]; }

 private:
  void set(const std::string& key, const Tensor& value);
};
EMBER_MODULE(ParameterDict);

}  // namespace nn
}  // namespace ember
