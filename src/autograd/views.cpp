// Autograd for views and in-place ops, as LibTorch does it: a view keeps its root base; an
// in-place change through the view gives the base a CopySlices node, and the view itself gets
// an AsStridedBackward0 node over the base the next time anyone asks for its grad_fn (the
// storage's version counter says when that is due). See "views and in-place ops" in function.h.
#include "../backend.h"
#include "function.h"

namespace ember {
namespace autograd {
namespace {

/// Where a tensor's elements lie in its storage, the offset taken from its base's first element.
struct Geometry {
  std::vector<int64_t> sizes, strides;
  int64_t offset = 0;
};

Geometry geometry(const Tensor& t, const Tensor& base) {
  return {t.sizes().vec(), t.strides().vec(), t.storage_offset() - base.storage_offset()};
}

/// A fresh tensor laid out as `base` is (its sizes and strides over a storage of its extent), so
/// that a view's geometry relative to the base addresses the view's elements in it.
Tensor laid_out_as(const Geometry& base, const TensorOptions& options, bool zeroed) {
  int64_t extent = 1;
  for (size_t d = 0; d < base.sizes.size(); ++d) {
    if (base.sizes[d] == 0) extent = 0;
    if (extent > 0) extent += (base.sizes[d] - 1) * base.strides[d];
  }
  Tensor storage = make_empty({extent}, options.dtype(), options.device());
  if (zeroed) backend(storage).fill(storage, 0);
  return make_view(storage, base.sizes, base.strides, 0);
}

Tensor region_of(const Tensor& laid_out, const Geometry& view) {
  return make_view(laid_out, view.sizes, view.strides, view.offset);
}

/// For each element of the view (in its row-major order), the row-major index of the base
/// element it is: what a create_graph backward gathers with (index_select is recorded).
Tensor base_element_index(const Geometry& base, const Geometry& view, Device device) {
  NoGradGuard no_grad;
  int64_t n = 1;
  for (int64_t s : base.sizes) n *= s;
  const TensorOptions options = TensorOptions(kLong).device(device);
  Tensor positions = laid_out_as(base, options, true);
  backend(positions).copy(positions, arange(n, options).reshape(base.sizes));
  Tensor region = region_of(positions, view).contiguous();
  return region.reshape({region.numel()});
}

/// g (the view's gradient) added into zeros laid out as the base, repeated elements summed; a
/// recorded op when g needs a gradient (create_graph), plain work otherwise.
Tensor scatter_into_base(const Tensor& g, const Geometry& base, const Geometry& view) {
  Tensor out = laid_out_as(base, g.options(), true);
  // An expand()ed view repeats elements (stride 0): their gradients add up in one element.
  Geometry target = view;
  std::vector<int64_t> repeated;
  for (size_t d = 0; d < view.sizes.size(); ++d)
    if (view.strides[d] == 0 && view.sizes[d] > 1) {
      repeated.push_back(int64_t(d));
      target.sizes[d] = 1;
    }
  Tensor src;
  {
    NoGradGuard no_grad;  // plumbing: the recorded op below is the whole of it
    src = repeated.empty() ? g : g.sum(repeated, /*keepdim=*/true);
  }
  backend(out).copy(region_of(out, target), src);
  if (needs_grad({g})) {
    // create_graph: linear in g, its own gradient reads gg at the view's elements.
    std::vector<int64_t> sizes = g.sizes().vec();
    record({"as_strided_backward", "AsStridedBackwardBackward0"}, out, {g},
           [base, view, sizes](const Tensor& gg) -> variable_list {
             Tensor idx = base_element_index(base, view, gg.device());
             return {index_select(gg.reshape({gg.numel()}), 0, idx).reshape(sizes)};
           });
  }
  return out;
}

/// The gradient of a view for its base: the view's gradient written into zeros laid out as the
/// base. Regenerated for a view whose storage changed in place (LibTorch's AsStridedBackward0).
struct AsStridedBackward : Node {
  Geometry base, view;
  AsStridedBackward(Geometry b, Geometry v) : base(std::move(b)), view(std::move(v)) {}
  variable_list apply(variable_list&& grads) override {
    const Tensor& g = grads[0];
    if (!g.defined()) return {Tensor()};
    // One scatter for both modes: it records itself only under create_graph (grad mode on).
    return {scatter_into_base(g, base, view)};
  }
  std::string name() const override { return "AsStridedBackward0"; }
};

/// The history of a base after an in-place change through its view: its old value with the
/// view's region replaced by `result`. Input 0 is the base's old history (which gets the
/// gradient with the region zeroed), input 1 the new values' (which gets the region).
struct CopySlices : Node {
  Geometry base, view;
  CopySlices(Geometry b, Geometry v) : base(std::move(b)), view(std::move(v)) {}
  variable_list apply(variable_list&& grads) override {
    const Tensor& g = grads[0];
    variable_list out(2);
    if (!g.defined()) return out;
    if (GradMode::is_enabled()) {
      // create_graph: the region gathered from g, and g with the region zeroed (times a
      // constant mask), both in recorded ops.
      if (next_edges[1].fn) {
        Tensor idx = base_element_index(base, view, g.device());
        out[1] = index_select(g.reshape({g.numel()}), 0, idx).reshape(view.sizes);
      }
      if (next_edges[0].fn) {
        Tensor mask;
        {
          NoGradGuard no_grad;
          Tensor laid_out = laid_out_as(base, g.options(), false);
          backend(laid_out).fill(laid_out, 1);
          Tensor region = region_of(laid_out, view);
          backend(region).fill(region, 0);
          mask = laid_out;
        }
        out[0] = g * mask;
      }
      return out;
    }
    Tensor laid_out = laid_out_as(base, g.options(), false);
    backend(laid_out).copy(laid_out, g);
    Tensor region = region_of(laid_out, view);
    if (next_edges[1].fn) out[1] = region.clone();
    if (next_edges[0].fn) {
      backend(region).fill(region, 0);
      out[0] = laid_out;
    }
    return out;
  }
  std::string name() const override { return "ember::autograd::CopySlices"; }
};

/// Gives the base of view `self` a CopySlices node over its old history and `result`'s (an
/// undefined result: values that depend on nothing), then regenerates the view's grad_fn.
void rebase_view(const Tensor& self, const Tensor& result) {
  TensorImpl* s = self.unsafeGetTensorImpl();
  const Tensor& base = s->view_base;
  auto node = std::make_shared<CopySlices>(geometry(base, base), geometry(self, base));
  node->next_edges = {gradient_edge(base), gradient_edge(result)};
  node->input_sizes = {base.sizes().vec(), self.sizes().vec()};
  set_grad_fn(base.impl(), std::move(node), 0);
  current_grad_fn(self.impl());
}

}  // namespace

void mark_view(const Tensor& view, const Tensor& input) {
  TensorImpl* v = view.unsafeGetTensorImpl();
  const TensorImpl* in = input.unsafeGetTensorImpl();
  const bool input_is_view = in->view_base.defined();
  v->view_base = input_is_view ? in->view_base : input;
  v->view_version = view._version();
  // LibTorch's CreationMeta::NO_GRAD_MODE, inherited by views of such a view.
  v->view_made_in_no_grad = !GradMode::is_enabled() || (input_is_view && in->view_made_in_no_grad);
}

const std::shared_ptr<Node>& current_grad_fn(const std::shared_ptr<TensorImpl>& t) {
  if (!t->view_base.defined()) return t->grad_fn;
  const Tensor& base = t->view_base;
  if (!t->grad_fn && !base.requires_grad()) return t->grad_fn;
  const uint32_t version = t->storage->version.load();
  if (t->view_version != version) {
    Tensor view(t);
    auto node = std::make_shared<AsStridedBackward>(geometry(base, base), geometry(view, base));
    node->next_edges = {gradient_edge(base)};
    node->input_sizes = {base.sizes().vec()};
    set_grad_fn(t, std::move(node), 0);
    t->view_version = version;
  }
  return t->grad_fn;
}

void check_inplace(const Tensor& self, const char* op, std::initializer_list<Tensor> others) {
  if (!GradMode::is_enabled()) return;
  const TensorImpl* s = self.unsafeGetTensorImpl();
  const bool self_grad = self.requires_grad();
  if (!s->view_base.defined()) {
    EMBER_CHECK(!(self_grad && self.is_leaf()), op, ": a leaf tensor that requires grad (", describe(self),
                ") is being used in an in-place operation. Wrap the update in ember::NoGradGuard, "
                "as the tutorial's SGD step does.");
    return;
  }
  const Tensor& base = s->view_base;
  bool recorded = self_grad || base.requires_grad();
  for (const Tensor& t : others) recorded = recorded || (t.defined() && t.requires_grad());
  if (!recorded) return;
  EMBER_CHECK(!s->view_made_in_no_grad, op,
              ": A view was created in no_grad mode and is being modified inplace "
              "with grad mode enabled (the view ",
              describe(self),
              "). Given that this use case is ambiguous "
              "and error-prone, it is forbidden. You can clarify your code by moving both the view and the "
              "inplace either both inside the no_grad block (if you don't want the inplace to be tracked) or "
              "both outside (if you want the inplace to be tracked).");
  EMBER_CHECK(!(self_grad && base.is_leaf()), op,
              ": a view of a leaf Variable that requires grad is being "
              "used in an in-place operation (the view ",
              describe(self), " of the leaf ", describe(base),
              "). Wrap the update in ember::NoGradGuard, as the tutorial's SGD step does.");
}

void rebase_history(const Tensor& self, const Tensor& result) {
  backend(self).copy(self, result);
  bump_version(self);
  if (!GradMode::is_enabled()) return;
  const bool result_grad = result.requires_grad();
  if (self.unsafeGetTensorImpl()->view_base.defined()) {
    if (result_grad || self.unsafeGetTensorImpl()->view_base.requires_grad()) rebase_view(self, result);
    return;
  }
  if (!result_grad) return;
  set_grad_fn(self.impl(), current_grad_fn(result.impl()), result.unsafeGetTensorImpl()->output_nr);
  self.unsafeGetTensorImpl()->requires_grad = true;
}

void overwrite_history(const Tensor& self, const char* op) {
  bump_version(self);
  if (!GradMode::is_enabled()) return;
  const Tensor& base = self.unsafeGetTensorImpl()->view_base;
  if (base.defined()) {
    if (base.requires_grad()) rebase_view(self, Tensor());
    return;
  }
  if (!self.requires_grad()) return;
  record(op, self, {self}, [](const Tensor& g) -> variable_list { return {zeros_like(g)}; });
}

}  // namespace autograd
}  // namespace ember
