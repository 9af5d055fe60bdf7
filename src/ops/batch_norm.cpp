// batch_norm as torch::batch_norm: one fused kernel forward (statistics, normalisation, affine
// map and the running-statistics update) and one fused kernel backward (grad input, weight and
// bias), recorded as one graph node (LibTorch's NativeBatchNormBackward0).
#include "common.h"

namespace ember {
namespace {

/// t as a contiguous (C) tensor of `dtype`, or undefined; a layout or dtype copy is not a graph node.
Tensor per_channel(const Tensor& t, ScalarType dtype) {
  if (!t.defined()) return t;
  NoGradGuard no_grad;
  return t.reshape({t.numel()}).to(dtype).contiguous();
}

}  // namespace

Tensor batch_norm(const Tensor& input, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                  const Tensor& running_var, bool training, double momentum, double eps, bool /*cudnn_enabled*/) {
  const char* op = "batch_norm";
  EMBER_CHECK(input.defined(), op, ": undefined input");
  EMBER_CHECK(input.dim() >= 2, op, ": expected input of shape (N, C, ...), got ", describe(input));
  check_floating(op, input);
  const int64_t n = input.size(0), c = input.size(1);
  int64_t inner = 1;
  for (int64_t d = 2; d < input.dim(); ++d) inner *= input.size(d);
  auto check_channels = [&](const Tensor& t, const char* what) {
    EMBER_CHECK(!t.defined() || t.numel() == c, op, ": expected ", what, " to have ", c,
                " elements (one per channel of input ", describe(input), "), got ", describe(t));
  };
  check_channels(running_mean, "running_mean");
  check_channels(running_var, "running_var");
  check_channels(weight, "weight");
  check_channels(bias, "bias");
  check_same_device(op, {input, running_mean, running_var, weight, bias});
  if (training) {
    EMBER_CHECK(n * inner != 1, op, ": expected more than 1 value per channel when training, got input ",
                describe(input));
  } else {
    EMBER_CHECK(running_mean.defined() && running_var.defined(), op,
                ": running_mean and running_var must be defined in evaluation mode (training = false)");
  }
  for (const Tensor* t : {&weight, &bias})
    EMBER_CHECK(!t->defined() || t->dtype() == input.dtype(), op, ": expected weight and bias of the input's dtype ",
                input.dtype(), ", got ", describe(*t));
  for (const Tensor* t : {&running_mean, &running_var})
    EMBER_CHECK(!t->defined() || t->is_floating_point(), op, ": expected floating-point running statistics, got ",
                describe(*t));

  const ScalarType dtype = input.dtype();
  const Device device = input.device();
  Tensor in_c, w_c = per_channel(weight, dtype), b_c = per_channel(bias, dtype);
  {
    NoGradGuard no_grad;
    in_c = input.contiguous();
  }
  // The kernel updates running statistics of the input's dtype in place; others (float32 stats
  // of a float64 input) go through a copy written back afterwards.
  auto stat = [&](const Tensor& t) {
    if (!t.defined() || (t.dtype() == dtype && t.is_contiguous())) return t;
    NoGradGuard no_grad;
    return t.reshape({c}).to(dtype).contiguous();
  };
  Tensor rm = stat(running_mean), rv = stat(running_var);
  Tensor out = make_empty(input.sizes(), dtype, device);
  Tensor save_mean = make_empty({c}, dtype, device), save_invstd = make_empty({c}, dtype, device);
  backend(input).batch_norm_forward(out, save_mean, save_invstd, in_c, w_c, b_c, rm, rv, training, momentum, eps);
  if (training) {
    NoGradGuard no_grad;
    if (rm.defined() && !rm.is_same(running_mean)) running_mean.copy_(rm.reshape(running_mean.sizes()));
    if (rv.defined() && !rv.is_same(running_var)) running_var.copy_(rv.reshape(running_var.sizes()));
  }

  if (autograd::needs_grad({input, weight, bias})) {
    auto s_in = autograd::save(in_c, op);
    auto s_w = w_c.defined() ? autograd::save(w_c, op) : autograd::SavedTensor();
    const bool has_weight = w_c.defined();
    const std::vector<int64_t> in_shape = input.sizes().vec();
    const std::vector<int64_t> w_shape = weight.defined() ? weight.sizes().vec() : std::vector<int64_t>();
    const std::vector<int64_t> b_shape = bias.defined() ? bias.sizes().vec() : std::vector<int64_t>();
    autograd::record(op, out, {input, weight, bias},
                     [s_in, s_w, has_weight, save_mean, save_invstd, training, in_shape, w_shape, b_shape](
                         const Tensor& grad, const std::vector<bool>& needs) {
                       variable_list grads(3);
                       const Tensor go = grad.contiguous();
                       const Tensor x = s_in.get();
                       const int64_t ch = save_mean.numel();
                       if (needs[0]) grads[0] = make_empty(in_shape, go.dtype(), go.device());
                       if (needs[1]) grads[1] = make_empty({ch}, go.dtype(), go.device());
                       if (needs[2]) grads[2] = make_empty({ch}, go.dtype(), go.device());
                       backend(go).batch_norm_backward(grads[0], grads[1], grads[2], go, x,
                                                       has_weight ? s_w.get() : Tensor(), save_mean, save_invstd,
                                                       training);
                       if (needs[1]) grads[1] = grads[1].view(w_shape);
                       if (needs[2]) grads[2] = grads[2].view(b_shape);
                       return grads;
                     });
  }
  return out;
}

}  // namespace ember
