// softmax and log_softmax over one dim. The input is viewed as (outer, c, inner) around that dim,
// so one kernel pair serves every dim; backward reads only the forward output.
#include "common.h"

namespace ember {
namespace {

Tensor softmax_impl(const Tensor& x_in, int64_t dim, std::optional<ScalarType> dtype, bool log) {
  const char* op = log ? "log_softmax" : "softmax";
  EMBER_CHECK(x_in.defined(), op, ": undefined input");
  // The optional dtype converts before the op, as in PyTorch (for a float32 input reduced in float64).
  Tensor x = dtype && *dtype != x_in.dtype() ? x_in.to(*dtype) : x_in;
  check_floating(op, x);
  // A 0-dim tensor behaves like a 1-element vector: dims -1 and 0 are both valid.
  const int64_t d = wrap_dim(dim, std::max<int64_t>(x.dim(), 1), op);
  int64_t outer = 1, c = 1, inner = 1;
  for (int64_t i = 0; i < x.dim(); ++i) {
    if (i < d) outer *= x.size(i);
    else if (i == d) c = x.size(i);
    else inner *= x.size(i);
  }

  Tensor x_c;
  {
    NoGradGuard no_grad;
    x_c = x.contiguous();
  }
  Tensor out = make_empty(x.sizes(), x.dtype(), x.device());
  if (out.numel() > 0) backend(x).softmax_forward(out, x_c, outer, c, inner, log);

  if (autograd::needs_grad({x})) {
    auto saved_out = autograd::save(out, op);
    autograd::record(op, out, {x}, [saved_out, outer, c, inner, log](const Tensor& grad) -> variable_list {
      const Tensor y = saved_out.get();
      if (GradMode::is_enabled()) {
        // A create_graph backward: the same formula in recorded ops, so that it can be
        // differentiated again (the fused kernel below is invisible to autograd).
        const std::vector<int64_t> shape{outer, c, inner};
        Tensor g3 = grad.reshape(shape), y3 = y.reshape(shape);
        Tensor gi =
            log ? g3 - y3.exp() * g3.sum({1}, /*keepdim=*/true) : y3 * (g3 - (g3 * y3).sum({1}, /*keepdim=*/true));
        return {gi.reshape(y.sizes())};
      }
      Tensor grad_in = make_empty(y.sizes(), y.dtype(), y.device());
      if (grad_in.numel() > 0) backend(y).softmax_backward(grad_in, grad.contiguous(), y, outer, c, inner, log);
      return {grad_in};
    });
  }
  return out;
}

}  // namespace

Tensor softmax(const Tensor& x, int64_t dim, std::optional<ScalarType> dtype) {
  return softmax_impl(x, dim, dtype, false);
}
Tensor log_softmax(const Tensor& x, int64_t dim, std::optional<ScalarType> dtype) {
  return softmax_impl(x, dim, dtype, true);
}
Tensor Tensor::softmax(int64_t dim, std::optional<ScalarType> dtype) const { return ember::softmax(*this, dim, dtype); }
Tensor Tensor::log_softmax(int64_t dim, std::optional<ScalarType> dtype) const {
  return ember::log_softmax(*this, dim, dtype);
}

}  // namespace ember
