// batch_norm as torch::batch_norm: one fused kernel forward (statistics, normalisation, affine
// map and the running-statistics update) and one fused kernel backward (grad input, weight and
// bias), recorded as one graph node (LibTorch's NativeBatchNormBackward0). And instance_norm,
// which PyTorch computes as a batch norm of the input reshaped.
#include "common.h"

namespace ember {
namespace {

/// t as a contiguous (C) tensor of `dtype`, or undefined; a layout or dtype copy is not a graph node.
Tensor per_channel(const Tensor& t, ScalarType dtype) {
  if (!t.defined()) return t;
  NoGradGuard no_grad;
  return t.reshape({t.numel()}).to(dtype).contiguous();
}

/// batch_norm's backward in recorded ops, for a create_graph backward: the fused kernel's
/// formulas, with x^ = (x - mean) * invstd and per-channel means over the other dims,
///   training: dx = w * invstd * (dy - mean(dy) - x^ * mean(dy * x^)),  eval: dx = w * invstd * dy,
///   dw = sum(dy * x^), db = sum(dy).
/// In training the batch statistics are recomputed from x, so their dependence on it is
/// differentiated too; in evaluation they are the running statistics, constants.
variable_list batch_norm_graph_backward(const Tensor& x, const Tensor& weight, const Tensor& go,
                                        const Tensor& save_mean, const Tensor& save_invstd, bool training, double eps,
                                        const std::vector<bool>& needs) {
  std::vector<int64_t> channel_shape(x.dim(), 1), dims;  // (1, C, 1, ...) broadcasts per channel
  channel_shape[1] = x.size(1);
  for (int64_t d = 0; d < x.dim(); ++d)
    if (d != 1) dims.push_back(d);
  Tensor mean = save_mean.reshape(channel_shape), invstd = save_invstd.reshape(channel_shape);
  if (training) {
    mean = x.mean(dims, true);
    const Tensor centred = x - mean;
    invstd = ((centred * centred).mean(dims, true) + eps).pow(-0.5);
  }
  const Tensor x_hat = (x - mean) * invstd;
  variable_list grads(3);
  if (needs[0]) {
    const Tensor scale = weight.defined() ? invstd * weight.reshape(channel_shape) : invstd;
    grads[0] = training ? scale * (go - go.mean(dims, true) - x_hat * (go * x_hat).mean(dims, true)) : go * scale;
  }
  if (needs[1]) grads[1] = (go * x_hat).sum(dims);
  if (needs[2]) grads[2] = go.sum(dims);
  return grads;
}

/// batch_norm without the check that training has more than one value per channel: instance_norm
/// runs it on (1, N * C, *), where one spatial value per sample is allowed (it normalises to 0), as
/// at::instance_norm.
Tensor native_batch_norm(const Tensor& input, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                         const Tensor& running_var, bool training, double momentum, double eps) {
  const char* op = "batch_norm";
  EMBER_CHECK(input.dim() >= 2, op, ": expected input of shape (N, C, ...), got ", describe(input));
  check_floating(op, input);
  const int64_t c = input.size(1);
  auto check_channels = [&](const Tensor& t, const char* what) {
    EMBER_CHECK(!t.defined() || t.numel() == c, op, ": expected ", what, " to have ", c,
                " elements (one per channel of input ", describe(input), "), got ", describe(t));
  };
  check_channels(running_mean, "running_mean");
  check_channels(running_var, "running_var");
  check_channels(weight, "weight");
  check_channels(bias, "bias");
  check_same_device(op, {input, running_mean, running_var, weight, bias});
  EMBER_CHECK(training || (running_mean.defined() && running_var.defined()), op,
              ": running_mean and running_var must be defined in evaluation mode (training = false)");
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
    // The input and weight themselves are saved (not their contiguous copies), so that a
    // create_graph backward differentiates through them.
    auto s_in = autograd::save(input, op);
    auto s_w = weight.defined() ? autograd::save(weight, op) : autograd::SavedTensor();
    const bool has_weight = weight.defined();
    record_norm(
        op, out, input, weight, bias, c,
        [s_in, s_w, has_weight, save_mean, save_invstd, training, dtype](const Tensor& gi, const Tensor& gw,
                                                                         const Tensor& gb, const Tensor& go) {
          Tensor x;
          {
            NoGradGuard no_grad;
            x = s_in.get().contiguous();
          }
          backend(go).batch_norm_backward(gi, gw, gb, go, x, has_weight ? per_channel(s_w.get(), dtype) : Tensor(),
                                          save_mean, save_invstd, training);
        },
        [s_in, s_w, has_weight, save_mean, save_invstd, training, eps](const Tensor& go,
                                                                       const std::vector<bool>& needs) {
          return batch_norm_graph_backward(s_in.get(), has_weight ? s_w.get() : Tensor(), go, save_mean, save_invstd,
                                           training, eps, needs);
        });
  }
  return out;
}

}  // namespace

Tensor batch_norm(const Tensor& input, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                  const Tensor& running_var, bool training, double momentum, double eps, bool /*cudnn_enabled*/) {
  const char* op = "batch_norm";
  EMBER_CHECK(input.defined(), op, ": undefined input");
  EMBER_CHECK(input.dim() >= 2, op, ": expected input of shape (N, C, ...), got ", describe(input));
  int64_t values_per_channel = 1;
  for (int64_t d = 0; d < input.dim(); ++d)
    if (d != 1) values_per_channel *= input.size(d);
  EMBER_CHECK(!training || values_per_channel != 1, op,
              ": expected more than 1 value per channel when training, got input ", describe(input));
  return native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps);
}

Tensor instance_norm(const Tensor& input, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                     const Tensor& running_var, bool use_input_stats, double momentum, double eps,
                     bool /*cudnn_enabled*/) {
  const char* op = "instance_norm";
  EMBER_CHECK(input.defined(), op, ": undefined input");
  EMBER_CHECK(use_input_stats || (running_mean.defined() && running_var.defined()), op,
              ": Expected running_mean and running_var to be defined when use_input_stats is false");
  EMBER_CHECK(input.dim() >= 2, op, ": expected input of shape (N, C, ...), got ", describe(input));
  const int64_t b = input.size(0), c = input.size(1);
  for (const Tensor* t : {&weight, &bias, &running_mean, &running_var})
    EMBER_CHECK(!t->defined() || t->numel() == c, op, ": expected weight, bias and running statistics of ", c,
                " elements (one per channel of input ", describe(input), "), got ", describe(*t));
  // PyTorch's reduction to batch norm: each (sample, channel) is a channel of (1, N * C, *), its
  // per-channel tensors repeated N times; the running statistics are updated there and averaged
  // over the samples back into the (C) buffers.
  auto repeated = [b, c](const Tensor& t) {
    return t.defined() ? t.reshape({1, c}).expand({b, c}).reshape({b * c}) : t;
  };
  Tensor rm, rv;
  {
    NoGradGuard no_grad;
    rm = repeated(running_mean);
    rv = repeated(running_var);
  }
  std::vector<int64_t> shape = input.sizes().vec();
  shape[0] = 1;
  shape[1] = b * c;
  Tensor out = native_batch_norm(input.contiguous().view(shape), repeated(weight), repeated(bias), rm, rv,
                                 use_input_stats, momentum, eps);
  if (use_input_stats) {
    NoGradGuard no_grad;
    if (running_mean.defined()) running_mean.copy_(rm.view({b, c}).mean({0}).view(running_mean.sizes()));
    if (running_var.defined()) running_var.copy_(rv.view({b, c}).mean({0}).view(running_var.sizes()));
  }
  return out.view(input.sizes());
}

}  // namespace ember
