// nn::Module: registration, the recursive walks, train/eval, to() and printing.
#include "ember/nn/module.h"

#include <cxxabi.h>

#include <cstdlib>
#include <ostream>
#include <typeinfo>

#include "autograd/function.h"
#include "set_data.h"
#include "tensor_impl.h"

namespace ember {
namespace nn {
namespace detail {
// LibTorch's Variable::set_data: `target` gets the storage, geometry and dtype of `source` and
// keeps its identity (the TensorImpl that user handles and optimizers point to) and its autograd
// leaf state. Module::to and utils::vector_to_parameters use it.
void set_data(const Tensor& target, const Tensor& source) {
  TensorImpl* dst = target.unsafeGetTensorImpl();
  TensorImpl* src = source.unsafeGetTensorImpl();
  if (dst == src) return;
  dst->storage = src->storage;
  dst->sizes = src->sizes;
  dst->strides = src->strides;
  dst->offset = src->offset;
  dst->dtype = src->dtype;
}
}  // namespace detail

namespace {

std::string demangle(const char* mangled) {
  int status = 0;
  char* out = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
  if (status != 0 || out == nullptr) return mangled;
  std::string result(out);
  std::free(out);
  return result;
}

std::string join_name(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}

void check_name(const std::string& name, const char* what) {
  EMBER_CHECK(!name.empty(), "Module::register_", what, ": the name must not be empty");
  EMBER_CHECK(name.find('.') == std::string::npos, "Module::register_", what, ": the name '", name,
              "' must not contain a dot (dots join the names of nested modules)");
}

// The type as a path segment: "ember::nn::Conv2dImpl" -> "Conv2d", "NetImpl" -> "Net".
std::string path_type_name(const Module& m) {
  std::string s = m.name();
  const size_t colons = s.rfind("::");
  if (s.find('<') == std::string::npos && colons != std::string::npos) s = s.substr(colons + 2);
  const std::string impl = "Impl";
  if (s.size() > impl.size() && s.compare(s.size() - impl.size(), impl.size(), impl) == 0)
    s.resize(s.size() - impl.size());
  return s;
}

}  // namespace

// --- the running-forward stack (anomaly mode) -----------------------------------------------------

bool detail::ForwardScope::enter(const Module* module) {
  if (!autograd::AnomalyMode::is_enabled() || module == nullptr) return false;
  const auto* parent = static_cast<const Module*>(autograd::current_module());
  if (parent == module) return false;  // entered already (the holder, then Sequential::forward)
  // A child of the running module is named as registered ("2/Conv2d", "fc1/Linear"); a module
  // called from outside its parent's tree gets its type alone.
  std::string segment = path_type_name(*module);
  if (parent != nullptr) {
    for (const auto& child : parent->named_children()) {
      if (child.value().get() == module) {
        segment = child.key() + "/" + segment;
        break;
      }
    }
  }
  autograd::push_module_frame(module, segment);
  return true;
}

void detail::ForwardScope::leave() { autograd::pop_module_frame(); }

Module::Module(std::string name) : name_(std::move(name)) {}
Module::Module() = default;

const std::string& Module::name() const noexcept {
  // Computed on first use: inside the base constructor typeid(*this) would say "Module".
  if (!name_) name_ = demangle(typeid(*this).name());
  return *name_;
}

void Module::check_child_name(const std::string& name, bool non_null) const {
  check_name(name, "module");
  EMBER_CHECK(non_null, "Module::register_module: the module registered as '", name, "' is null (an empty holder?)");
}

Tensor& Module::register_parameter(std::string name, Tensor tensor, bool requires_grad) {
  check_name(name, "parameter");
  if (tensor.defined()) tensor.set_requires_grad(requires_grad);
  return parameters_.insert(std::move(name), std::move(tensor));
}

Tensor& Module::register_buffer(std::string name, Tensor tensor) {
  check_name(name, "buffer");
  return buffers_.insert(std::move(name), std::move(tensor));
}

void Module::unregister_module(const std::string& name) {
  EMBER_CHECK(children_.contains(name), "Module::unregister_module: no submodule named '", name, "'");
  children_.erase(name);
}

// --- walks -----------------------------------------------------------------------------------

void Module::apply_to_submodules(const std::function<void(const std::string&, const std::shared_ptr<Module>&)>& fn,
                                 const std::string& name_prefix) const {
  // Pre-order: a child is visited before its own children, so names come out as
  // "fc1", "block", "block.0", ... in registration order.
  for (const auto& child : children_) {
    const std::string qualified = join_name(name_prefix, child.key());
    fn(qualified, child.value());
    child.value()->apply_to_submodules(fn, qualified);
  }
}

void Module::apply(const ModuleApplyFunction& function) {
  function(*this);
  apply_to_submodules([&](const std::string&, const std::shared_ptr<Module>& m) { function(*m); }, "");
}

void Module::apply(const NamedModuleApplyFunction& function, const std::string& name_prefix) {
  function(name_prefix, *this);
  apply_to_submodules([&](const std::string& n, const std::shared_ptr<Module>& m) { function(n, *m); }, name_prefix);
}

std::shared_ptr<Module> Module::shared_from_this_checked(const char* op) const {
  // shared_from_this needs an owner; a module on the stack has none (as in LibTorch).
  EMBER_CHECK(!weak_from_this().expired(), "Module::", op, ": needs the module to be owned by a ",
              "std::shared_ptr (a holder, or std::make_shared); this one is not");
  return std::const_pointer_cast<Module>(shared_from_this());
}

void Module::apply(const ModulePointerApplyFunction& function) const {
  function(shared_from_this_checked("apply"));
  apply_to_submodules([&](const std::string&, const std::shared_ptr<Module>& m) { function(m); }, "");
}

OrderedDict<std::string, Tensor> Module::named_tensors(bool recurse,
                                                       OrderedDict<std::string, Tensor> Module::*member) const {
  OrderedDict<std::string, Tensor> result;
  auto add_own = [&](const Module& m, const std::string& prefix) {
    for (const auto& t : m.*member)
      if (t.value().defined()) result.insert(join_name(prefix, t.key()), t.value());
  };
  add_own(*this, "");
  if (recurse) apply_to_submodules([&](const std::string& n, const std::shared_ptr<Module>& m) { add_own(*m, n); }, "");
  return result;
}

OrderedDict<std::string, Tensor> Module::named_parameters(bool recurse) const {
  return named_tensors(recurse, &Module::parameters_);
}

std::vector<Tensor> Module::parameters(bool recurse) const { return named_parameters(recurse).values(); }

OrderedDict<std::string, Tensor> Module::named_buffers(bool recurse) const {
  return named_tensors(recurse, &Module::buffers_);
}

std::vector<Tensor> Module::buffers(bool recurse) const { return named_buffers(recurse).values(); }

OrderedDict<std::string, std::shared_ptr<Module>> Module::named_modules(const std::string& name_prefix,
                                                                        bool include_self) const {
  OrderedDict<std::string, std::shared_ptr<Module>> result;
  if (include_self) result.insert(name_prefix, shared_from_this_checked("named_modules (include_self)"));
  apply_to_submodules([&](const std::string& n, const std::shared_ptr<Module>& m) { result.insert(n, m); },
                      name_prefix);
  return result;
}

std::vector<std::shared_ptr<Module>> Module::modules(bool include_self) const {
  return named_modules("", include_self).values();
}

OrderedDict<std::string, std::shared_ptr<Module>> Module::named_children() const { return children_; }

std::vector<std::shared_ptr<Module>> Module::children() const { return children_.values(); }

// --- state -----------------------------------------------------------------------------------

void Module::train(bool on) {
  for (auto& child : children_) child.value()->train(on);
  is_training_ = on;
}

template <typename Fn>
void Module::to_impl(const Fn& convert) {
  for (auto& child : children_) child.value()->to_impl(convert);
  // The conversion itself is not part of any graph.
  NoGradGuard no_grad;
  for (auto& p : parameters_) {
    if (!p.value().defined()) continue;
    detail::set_data(p.value(), convert(p.value()));
    Tensor& grad = p.value().mutable_grad();
    if (grad.defined()) grad = convert(grad);
  }
  for (auto& b : buffers_)
    if (b.value().defined()) detail::set_data(b.value(), convert(b.value()));
}

void Module::to(Device device, ScalarType dtype, bool non_blocking) {
  // Like LibTorch, only floating-point tensors change dtype: num_batches_tracked stays int64.
  to_impl([&](const Tensor& t) {
    return t.is_floating_point() ? t.to(device, dtype, non_blocking) : t.to(device, std::nullopt, non_blocking);
  });
}

void Module::to(ScalarType dtype, bool non_blocking) {
  to_impl([&](const Tensor& t) { return t.is_floating_point() ? t.to(dtype, non_blocking) : t; });
}

void Module::to(Device device, bool non_blocking) {
  to_impl([&](const Tensor& t) { return t.to(device, std::nullopt, non_blocking); });
}

void Module::zero_grad(bool set_to_none) {
  for (auto& child : children_) child.value()->zero_grad(set_to_none);
  for (auto& p : parameters_) autograd::clear_grad(p.value(), set_to_none);
}

// --- printing --------------------------------------------------------------------------------

void Module::pretty_print(std::ostream& stream) const { stream << name(); }

void Module::pretty_print_recursive(std::ostream& stream, const std::string& indentation) const {
  pretty_print(stream);
  if (children_.is_empty()) return;
  stream << "(\n";
  const std::string inner = indentation + "  ";
  for (const auto& child : children_) {
    stream << inner << "(" << child.key() << "): ";
    child.value()->pretty_print_recursive(stream, inner);
    stream << '\n';
  }
  stream << indentation << ")";
}

std::ostream& operator<<(std::ostream& stream, const Module& module) {
  module.pretty_print_recursive(stream, "");
  return stream;
}

}  // namespace nn
}  // namespace ember
