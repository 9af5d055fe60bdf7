// The in-place view ops (x.unsqueeze_(0), squeeze_, transpose_, t_): the out-of-place view gives
// the geometry, which this tensor then takes as its own; no data moves. Under autograd the view's
// node (its input edge is this tensor's history before the call) becomes this tensor's grad_fn,
// as LibTorch's in-place view ops record (UnsqueezeBackward1 ...; ember names the node as the
// out-of-place op's).
#include "../autograd/function.h"
#include "../tensor_impl.h"
#include "common.h"

namespace ember {
namespace {

const Tensor& adopt_view(const char* op, const Tensor& self, const Tensor& view) {
  TensorImpl* s = self.unsafeGetTensorImpl();
  const TensorImpl* v = view.unsafeGetTensorImpl();
  if (GradMode::is_enabled() && view.requires_grad()) {
    EMBER_CHECK(!self.is_leaf(), op, ": a leaf tensor that requires grad (", describe(self),
                ") is being used in an in-place operation");
    EMBER_CHECK(!s->view_base.defined(), op,
                ": ember rewrites only tensors that are not views in place under autograd (", describe(self),
                " is a view that requires grad); use the out-of-place ", op, " without the underscore");
    autograd::set_grad_fn(self.impl(), autograd::current_grad_fn(view.impl()), v->output_nr);
  }
  s->sizes = v->sizes;
  s->strides = v->strides;
  s->offset = v->offset;
  return self;
}

}  // namespace

const Tensor& Tensor::unsqueeze_(int64_t dim) const { return adopt_view("unsqueeze_", *this, unsqueeze(dim)); }
const Tensor& Tensor::squeeze_() const { return adopt_view("squeeze_", *this, squeeze()); }
const Tensor& Tensor::squeeze_(int64_t dim) const { return adopt_view("squeeze_", *this, squeeze(dim)); }
const Tensor& Tensor::transpose_(int64_t d0, int64_t d1) const {
  return adopt_view("transpose_", *this, transpose(d0, d1));
}
const Tensor& Tensor::t_() const { return adopt_view("t_", *this, t()); }

}  // namespace ember
