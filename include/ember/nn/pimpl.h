#pragma once
// ModuleHolder<Impl> and EMBER_MODULE(Name): LibTorch's "pimpl" pattern. A user writes
//   struct NetImpl : ember::nn::Module { ... Tensor forward(Tensor x); };
//   EMBER_MODULE(Net);
// and gets `Net`, a shared handle to a NetImpl: `Net net(args...)` constructs the Impl,
// `Net net{nullptr}` is empty (to be assigned later, e.g. from register_module), `net->x`
// reaches members and `net(x)` calls forward. Copying a holder copies the handle, so a
// module registered in a parent and the member that holds it are the same object.
#include <cstddef>
#include <memory>
#include <ostream>
#include <type_traits>
#include <utility>

#include "ember/error.h"
#include "ember/export.h"

namespace ember {
namespace nn {

class Module;

namespace detail {

/// While alive, `module` is on this thread's stack of running forwards, so that anomaly mode
/// can say where an op ran ("Sequential/2/Conv2d"). Outside anomaly mode it does nothing but
/// test one thread-local flag. The holder's call operator and Sequential use it.
class EMBER_API ForwardScope {
 public:
  explicit ForwardScope(const Module* module) : pushed_(enter(module)) {}
  ~ForwardScope() {
    if (pushed_) leave();
  }
  ForwardScope(const ForwardScope&) = delete;
  ForwardScope& operator=(const ForwardScope&) = delete;

 private:
  static bool enter(const Module* module);  // false when nothing was pushed
  static void leave();
  bool pushed_;
};

/// Base of every ModuleHolder, so templates can tell holders from other types.
struct ModuleHolderIndicator {};

template <typename T>
using is_module_holder = std::is_base_of<ModuleHolderIndicator, std::decay_t<T>>;

template <typename T>
using disable_if_module_holder_t = std::enable_if_t<!is_module_holder<T>::value>;

template <bool IsHolder, typename T, typename C>
struct is_module_holder_of_impl : std::false_type {};
template <typename T, typename C>
struct is_module_holder_of_impl<true, T, C> : std::is_same<typename T::ContainedType, C> {};

/// True when T is a ModuleHolder whose Impl is C.
template <typename T, typename C>
struct is_module_holder_of : is_module_holder_of_impl<is_module_holder<T>::value, std::decay_t<T>, std::decay_t<C>> {};

}  // namespace detail

template <typename Contained>
class ModuleHolder : detail::ModuleHolderIndicator {
 protected:
  std::shared_ptr<Contained> impl_;

 public:
  using ContainedType = Contained;

  /// Default-constructs the Impl when it has a default constructor; otherwise the holder
  /// cannot be default-constructed (use `Name x{nullptr}` for an empty one).
  ModuleHolder() : impl_(default_construct()) {
    static_assert(std::is_default_constructible<Contained>::value,
                  "this module has no default constructor: write `Name x{nullptr};` (or "
                  "`Name x = nullptr;`) for an empty holder to assign later");
  }

  /// The empty state.
  ModuleHolder(std::nullptr_t) : impl_(nullptr) {}  // NOLINT

  /// Constructs the Impl from the arguments. Excluded for a single argument that is itself a
  /// holder of this Impl, so that copying a holder stays a copy of the handle.
  template <
      typename Head, typename... Tail,
      typename = std::enable_if_t<!(detail::is_module_holder_of<Head, ContainedType>::value && sizeof...(Tail) == 0)>>
  explicit ModuleHolder(Head&& head, Tail&&... tail)
      : impl_(new Contained(std::forward<Head>(head), std::forward<Tail>(tail)...)) {}

  /// Wraps an existing Impl (what register_module returns).
  ModuleHolder(std::shared_ptr<Contained> module) : impl_(std::move(module)) {}  // NOLINT

  explicit operator bool() const noexcept { return !is_empty(); }

  Contained* operator->() { return get(); }
  const Contained* operator->() const { return get(); }
  Contained& operator*() { return *get(); }
  const Contained& operator*() const { return *get(); }

  const std::shared_ptr<Contained>& ptr() const {
    EMBER_CHECK(!is_empty(),
                "ModuleHolder: accessing an empty module holder (constructed with "
                "nullptr and never assigned)");
    return impl_;
  }
  Contained* get() {
    EMBER_CHECK(!is_empty(),
                "ModuleHolder: accessing an empty module holder (constructed with "
                "nullptr and never assigned)");
    return impl_.get();
  }
  const Contained* get() const {
    EMBER_CHECK(!is_empty(),
                "ModuleHolder: accessing an empty module holder (constructed with "
                "nullptr and never assigned)");
    return impl_.get();
  }

  /// net(x, ...) is net->forward(x, ...) (which anomaly mode sees as entering this module).
  /// (C is Contained made dependent, so a holder of a module without forward, such as
  /// ModuleList, still compiles: the operator just does not exist for it.)
  template <typename... Args, typename C = Contained>
  auto operator()(Args&&... args) -> decltype(std::declval<C&>().forward(std::forward<Args>(args)...)) {
    Contained* module = get();
    detail::ForwardScope scope(module);
    return module->forward(std::forward<Args>(args)...);
  }

  /// seq[i] is (*seq)[i], for containers.
  template <typename Arg>
  decltype(auto) operator[](Arg&& arg) {
    return (*get())[std::forward<Arg>(arg)];
  }

  bool is_empty() const noexcept { return impl_ == nullptr; }

 private:
  template <typename T = Contained, std::enable_if_t<std::is_default_constructible<T>::value, int> = 0>
  static std::shared_ptr<Contained> default_construct() {
    return std::make_shared<Contained>();
  }
  template <typename T = Contained, std::enable_if_t<!std::is_default_constructible<T>::value, int> = 0>
  static std::shared_ptr<Contained> default_construct() {
    return nullptr;
  }
};

/// Printing a holder prints its module.
template <typename ModuleType>
std::ostream& operator<<(std::ostream& stream, const ModuleHolder<ModuleType>& module) {
  return stream << *module;
}

}  // namespace nn
}  // namespace ember

/// Declares `Name` as a ModuleHolder of `ImplType`, with all of ModuleHolder's constructors.
#define EMBER_MODULE_IMPL(Name, ImplType)                                \
  class Name : public ::ember::nn::ModuleHolder<ImplType> { /* NOLINT */ \
   public:                                                               \
    using ::ember::nn::ModuleHolder<ImplType>::ModuleHolder;             \
    using Impl = ImplType;                                               \
  }

/// EMBER_MODULE(Net) declares `Net`, the holder of `NetImpl` (LibTorch's TORCH_MODULE).
#define EMBER_MODULE(Name) EMBER_MODULE_IMPL(Name, Name##Impl)
