// layer_norm and group_norm as torch::layer_norm and torch::group_norm: one per-row normalisation
// (src/row_norm.h) with one fused kernel forward (statistics, normalisation, affine map) and one
// fused kernel backward (grad input, weight and bias), recorded as one graph node (LibTorch's
// NativeLayerNormBackward0, NativeGroupNormBackward0). The checks and their words are PyTorch's.
#include <sstream>

#include "common.h"

namespace ember {
namespace {

/// t flattened to a contiguous (params) tensor, or undefined; a layout copy is not a graph node.
Tensor flat_param(const Tensor& t) {
  if (!t.defined()) return t;
  NoGradGuard no_grad;
  return t.reshape({t.numel()}).contiguous();
}

/// The front half both ops share once their shapes are checked: dtypes, devices, the kernel and
/// the node. mean and rstd are per row, of the input's dtype.
Tensor row_norm(const char* op, const Tensor& input, const Tensor& weight, const Tensor& bias, const RowNormGeometry& g,
                double eps) {
  check_floating(op, input);
  check_same_device(op, {input, weight, bias});
  for (const Tensor* t : {&weight, &bias})
    EMBER_CHECK(!t->defined() || t->dtype() == input.dtype(), op, ": expected weight and bias of the input's dtype ",
                input.dtype(), ", got ", describe(*t));
  const ScalarType dtype = input.dtype();
  const Device device = input.device();
  Tensor in_c;
  {
    NoGradGuard no_grad;
    in_c = input.contiguous();
  }
  const Tensor w = flat_param(weight), b = flat_param(bias);
  Tensor out = make_empty(input.sizes(), dtype, device);
  Tensor mean = make_empty({g.rows}, dtype, device), rstd = make_empty({g.rows}, dtype, device);
  backend(input).row_norm_forward(out, mean, rstd, in_c, w, b, g, eps);

  if (autograd::needs_grad({input, weight, bias})) {
    auto s_in = autograd::save(in_c, op);
    auto s_w = w.defined() ? autograd::save(w, op) : autograd::SavedTensor();
    const bool has_weight = w.defined();
    record_norm(
        op, out, input, weight, bias, g.params(),
        [s_in, s_w, has_weight, mean, rstd, g](const Tensor& gi, const Tensor& gw, const Tensor& gb, const Tensor& go) {
          backend(go).row_norm_backward(gi, gw, gb, go, s_in.get(), has_weight ? s_w.get() : Tensor(), mean, rstd, g);
        });
  }
  return out;
}

}  // namespace

Tensor layer_norm(const Tensor& input, IntArrayRef normalized_shape, const Tensor& weight, const Tensor& bias,
                  double eps, bool /*cudnn_enable*/) {
  const char* op = "layer_norm";
  EMBER_CHECK(input.defined(), op, ": undefined input");
  const int64_t k = int64_t(normalized_shape.size()), d = input.dim();
  EMBER_CHECK(k >= 1, op, ": Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one ",
              "element, but got normalized_shape = ", normalized_shape);
  EMBER_CHECK(!weight.defined() || weight.sizes().equals(normalized_shape), op,
              ": Expected weight to be of same shape as normalized_shape, but got weight of shape ", weight.sizes(),
              " and normalized_shape = ", normalized_shape);
  EMBER_CHECK(!bias.defined() || bias.sizes().equals(normalized_shape), op,
              ": Expected bias to be of same shape as normalized_shape, but got bias of shape ", bias.sizes(),
              " and normalized_shape = ", normalized_shape);
  const bool fits = d >= k && IntArrayRef(input.sizes().data() + (d - k), size_t(k)).equals(normalized_shape);
  std::ostringstream expected;  // PyTorch's [*, 2, 3]
  if (!fits)
    for (int64_t s : normalized_shape) expected << ", " << s;
  EMBER_CHECK(fits, op, ": Given normalized_shape=", normalized_shape, ", expected input with shape [*", expected.str(),
              "], but got input of size", input.sizes());
  RowNormGeometry g;
  g.row_size = 1;
  for (int64_t s : normalized_shape) g.row_size *= s;
  g.rows = 1;
  for (int64_t i = 0; i < d - k; ++i) g.rows *= input.size(i);
  return row_norm(op, input, weight, bias, g, eps);
}

Tensor group_norm(const Tensor& input, int64_t num_groups, const Tensor& weight, const Tensor& bias, double eps,
                  bool /*cudnn_enabled*/) {
  const char* op = "group_norm";
  EMBER_CHECK(input.defined(), op, ": undefined input");
  EMBER_CHECK(input.dim() >= 2, op, ": expected an input of shape (N, C, *), got ", describe(input));
  const int64_t n = input.size(0), c = input.size(1);
  EMBER_CHECK(num_groups > 0, op, ": Expected num groups to be greater than 0, got ", num_groups);
  EMBER_CHECK(c % num_groups == 0, op,
              ": Expected number of channels in input to be divisible by num_groups, but got input of shape ",
              input.sizes(), " and num_groups=", num_groups);
  EMBER_CHECK(!weight.defined() || (weight.dim() == 1 && weight.numel() == c), op,
              ": Expected weight to be a vector of size equal to the number of channels in input, but got weight of "
              "shape ",
              weight.sizes(), " and input of shape ", input.sizes());
  EMBER_CHECK(!bias.defined() || (bias.dim() == 1 && bias.numel() == c), op,
              ": Expected bias to be a vector of size equal to the number of channels in input, but got bias of shape ",
              bias.sizes(), " and input of shape ", input.sizes());
  RowNormGeometry g;
  g.inner = 1;
  for (int64_t i = 2; i < input.dim(); ++i) g.inner *= input.size(i);
  g.groups = num_groups;
  g.rows = n * num_groups;
  g.row_size = c / num_groups * g.inner;
  return row_norm(op, input, weight, bias, g, eps);
}

}  // namespace ember
