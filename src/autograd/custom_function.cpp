// Custom autograd functions (LibTorch's torch::autograd::Function<T>): the context a forward
// fills for its backward, the node one call records, and the IValue kept in saved_data.
#include <cxxabi.h>

#include <cstdlib>

#include "../ops/common.h"

namespace ember {

// --- IValue ------------------------------------------------------------------------------------

std::string IValue::tagKind() const {
  static const char* const kinds[] = {"None", "Tensor", "Double", "Int", "Bool", "String"};
  return kinds[v_.index()];
}
const Tensor& IValue::toTensor() const {
  EMBER_CHECK(isTensor(), "Expected Tensor but got ", tagKind());
  return std::get<Tensor>(v_);
}
double IValue::toDouble() const {
  EMBER_CHECK(isDouble(), "Expected Double but got ", tagKind());
  return std::get<double>(v_);
}
int64_t IValue::toInt() const {
  EMBER_CHECK(isInt(), "Expected Int but got ", tagKind());
  return std::get<int64_t>(v_);
}
bool IValue::toBool() const {
  EMBER_CHECK(isBool(), "Expected Bool but got ", tagKind());
  return std::get<bool>(v_);
}
const std::string& IValue::toStringRef() const {
  EMBER_CHECK(isString(), "Expected String but got ", tagKind());
  return std::get<std::string>(v_);
}

namespace autograd {

struct SavedVariables {
  std::vector<SavedTensor> tensors;
};

namespace {
const char* const kSavedBy = "a custom autograd function";

/// LibTorch's words for a second backward through freed saved tensors.
const char* const kBackwardTwice =
    "Trying to backward through the graph a second time (or directly access saved tensors after they have "
    "already been freed). Saved intermediate values of the graph are freed when you call .backward() or "
    "autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or "
    "if you need to access saved tensors after calling backward.";

bool same_impl(const Tensor& a, const Tensor& b) {
  return a.defined() && b.defined() && a.unsafeGetTensorImpl() == b.unsafeGetTensorImpl();
}
bool holds(const variable_list& list, const Tensor& t) {
  for (const Tensor& x : list)
    if (same_impl(x, t)) return true;
  return false;
}
}  // namespace

std::string custom_node_name(const std::type_info& type) {
  int status = 0;
  char* readable = abi::__cxa_demangle(type.name(), nullptr, nullptr, &status);
  std::string name = status == 0 && readable != nullptr ? readable : type.name();
  std::free(readable);
  return "ember::autograd::CppNode<" + name + ">";
}

// --- AutogradContext ---------------------------------------------------------------------------

void AutogradContext::save_for_backward(variable_list to_save) { to_save_ = std::move(to_save); }

void AutogradContext::mark_dirty(const variable_list& inputs) {
  dirty_.clear();
  for (const Tensor& t : inputs)
    if (t.defined()) dirty_.insert(t.unsafeGetTensorImpl());
}

void AutogradContext::mark_non_differentiable(const variable_list& outputs) {
  non_differentiable_.clear();
  for (const Tensor& t : outputs)
    if (t.defined()) non_differentiable_.insert(t.unsafeGetTensorImpl());
}

void AutogradContext::set_materialize_grads(bool value) { materialize_grads_ = value; }

variable_list AutogradContext::get_saved_variables() const {
  EMBER_CHECK(!released_, kBackwardTwice);
  variable_list out;
  if (!saved_) return out;
  out.reserve(saved_->tensors.size());
  for (const SavedTensor& s : saved_->tensors) out.push_back(s.get());
  return out;
}

bool AutogradContext::needs_input_grad(size_t output_edge_index) const {
  std::shared_ptr<Node> fn = grad_fn_.lock();
  EMBER_CHECK(fn != nullptr, "needs_input_grad: the context has no node (the call recorded no graph)");
  EMBER_CHECK(output_edge_index < fn->next_edges.size(), "needs_input_grad: index ", output_edge_index,
              " is out of range for a function with ", fn->next_edges.size(), " tensor inputs");
  return fn->next_edges[output_edge_index].fn != nullptr;
}

// --- the node ----------------------------------------------------------------------------------

bool CustomNodeBase::begin(const std::shared_ptr<CustomNodeBase>& self, const variable_list& inputs) {
  ctx_.grad_fn_ = self;
  if (!needs_grad(inputs)) return false;
  for (const Tensor& in : inputs) {
    next_edges.push_back(gradient_edge(in));
    input_sizes.push_back(in.defined() ? in.sizes().vec() : std::vector<int64_t>{});
  }
  return true;
}

variable_list CustomNodeBase::finish(const std::shared_ptr<CustomNodeBase>& self, const variable_list& inputs,
                                     variable_list outputs, bool executable) {
  clear_saved_outputs();  // tensors saved by ops inside forward are nobody's outputs here
  const std::string fn_name = name();
  const variable_list originals = outputs;  // what forward returned, before any aliasing below
  for (size_t i = 0; i < outputs.size(); ++i) {
    Tensor& out = outputs[i];
    output_defined_.push_back(out.defined());
    output_sizes_.push_back(out.defined() ? out.sizes().vec() : std::vector<int64_t>{});
    output_options_.push_back(out.defined() ? out.options() : TensorOptions());
    if (!out.defined()) continue;
    const void* impl = out.unsafeGetTensorImpl();
    const bool is_input = holds(inputs, out);
    const bool dirty = ctx_.dirty_.count(impl) != 0;
    EMBER_CHECK(!dirty || is_input, fn_name,
                ": mark_dirty was given a tensor that is not an input of the function "
                "(output ",
                i, ": ", describe(out), ")");
    if (!executable) continue;
    if (ctx_.non_differentiable_.count(impl) != 0) {
      if (is_input) out = out.detach();  // the input keeps its own history; the output has none
      continue;
    }
    if (dirty) {
      // Changed in place: the input itself takes this node as its history.
      EMBER_CHECK(!(out.is_leaf() && out.requires_grad()), fn_name, ": a leaf Variable that requires grad (",
                  describe(out), ") has been used in an in-place operation (mark_dirty).");
      EMBER_CHECK(!out.is_view(), fn_name, ": mark_dirty on a view (", describe(out),
                  ") is not supported by ember's custom functions; modify a tensor that is not a view");
    } else if (is_input || out.requires_grad()) {
      // An input returned as is, or a tensor with a history of its own (or a leaf that requires
      // grad, say a captured parameter): an alias gets the node, so the original keeps its
      // history (LibTorch returns a view of the input).
      out = out.detach();
    }
    set_grad_fn(out.impl(), self, uint32_t(i));
    out.unsafeGetTensorImpl()->requires_grad = true;
  }
  if (executable) {
    auto saved = std::make_shared<SavedVariables>();
    for (const Tensor& t : ctx_.to_save_) {
      size_t k = 0;
      while (k < outputs.size() && !(t.defined() && (same_impl(outputs[k], t) || same_impl(originals[k], t)))) ++k;
      // An output is kept without its node (which holds this context): no reference cycle.
      saved->tensors.push_back(k < outputs.size() ? SavedTensor::output(t, self, uint32_t(k), kSavedBy)
                                                  : SavedTensor(t, kSavedBy));
    }
    clear_saved_outputs();
    ctx_.saved_ = std::move(saved);
  }
  ctx_.to_save_.clear();
  return outputs;
}

variable_list CustomNodeBase::apply(variable_list&& grads) {
  grads.resize(output_defined_.size());
  if (ctx_.materialize_grads_) {
    for (size_t i = 0; i < grads.size(); ++i)
      if (!grads[i].defined() && output_defined_[i]) grads[i] = zeros(output_sizes_[i], output_options_[i]);
  }
  variable_list outputs = call_backward(std::move(grads));

  // LibTorch's checks and words: extra trailing undefined gradients are dropped.
  const size_t n_forward = is_variable_input_.size();
  if (outputs.size() > n_forward) {
    bool all_undefined = true;
    for (size_t i = n_forward; i < outputs.size(); ++i) all_undefined = all_undefined && !outputs[i].defined();
    if (all_undefined) outputs.resize(n_forward);
  }
  EMBER_CHECK(outputs.size() == n_forward, "function ", name(), " returned an incorrect number of gradients (expected ",
              n_forward, ", got ", outputs.size(), ")");
  variable_list results;
  for (size_t i = 0; i < n_forward; ++i) {
    if (!is_variable_input_[i]) {
      EMBER_CHECK(!outputs[i].defined(), "function ", name(),
                  " returned a gradient different that is defined at "
                  "position ",
                  i + 1, ", but the corresponding forward input was not a Variable");
      continue;
    }
    results.push_back(std::move(outputs[i]));
  }
  // Each gradient must have its input's shape, or one that sums down to it.
  for (size_t i = 0; i < results.size() && i < input_sizes.size(); ++i) {
    Tensor& g = results[i];
    if (!g.defined() || g.sizes().equals(input_sizes[i]) || !next_edges[i].fn) continue;
    const IntArrayRef want(input_sizes[i]);
    bool expandable = want.size() <= g.sizes().size();
    for (size_t d = 0; expandable && d < want.size(); ++d) {
      int64_t gd = g.size(int64_t(g.dim() - want.size() + d));
      expandable = want[d] == gd || want[d] == 1;
    }
    EMBER_CHECK(expandable, "Function ", name(), " returned an invalid gradient at index ", i, " - got ", g.sizes(),
                " but expected shape compatible with ", want);
    g = sum_to(g, want);
  }
  return results;
}

void CustomNodeBase::release_variables() {
  ctx_.saved_.reset();
  ctx_.released_ = true;
}

}  // namespace autograd
}  // namespace ember
