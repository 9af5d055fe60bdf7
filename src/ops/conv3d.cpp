// conv3d, composed over depth from the 2-D convolution: output plane od is the sum, over the
// kernel's depth taps kd, of the 2-D convolution of input plane id = od * sD - pD + kd * dD with
// weight plane kd. Each tap is one batched 2-D convolution of all the planes it reads (KD calls
// per forward, not OD * KD), so both backends run conv3d on their tuned conv2d kernels (im2col +
// GEMM, cuDNN) and CUDA needs no kernel of its own. The backward is composed the same way, from
// conv_transpose2d (conv2d's input gradient) and conv2d's weight gradient, as recorded ops, so a
// create_graph backward can differentiate it again. One node, ConvolutionBackward0 as in LibTorch.
#include <algorithm>
#include <array>

#include "conv.h"
#include "depth_taps.h"
#include "ember/nn/functional/conv_pool3d.h"
#include "ember/nn/functional/conv_transpose.h"
#include "index_add_rows.h"

namespace ember {
namespace {

struct Conv3dParams {
  std::array<int64_t, 3> stride, padding, dilation;
  int64_t groups;
  std::vector<int64_t> stride2() const { return {stride[1], stride[2]}; }
  std::vector<int64_t> padding2() const { return {padding[1], padding[2]}; }
  std::vector<int64_t> dilation2() const { return {dilation[1], dilation[2]}; }
};

DepthTap depth_tap(int64_t kd, int64_t depth, int64_t out_depth, const Conv3dParams& p) {
  return ember::depth_tap(kd, depth, out_depth, p.stride[0], p.padding[0], p.dilation[0]);
}

/// The input planes a tap reads, (count, N, C, H, W) from the depth-major x_d (D, N, C, H, W).
Tensor tap_planes(const Tensor& x_d, const DepthTap& t, const Conv3dParams& p) {
  return x_d.slice(0, t.first, t.first + (t.count() - 1) * p.stride[0] + 1, p.stride[0]);
}

/// The 2-D params of the height and width dims, for conv_detail's weight gradient.
conv_detail::ConvParams params2d(const Conv3dParams& p) {
  conv_detail::ConvParams c;
  for (int i = 0; i < 2; ++i) {
    c.stride[i] = p.stride[i + 1];
    c.padding[i] = p.padding[i + 1];
    c.dilation[i] = p.dilation[i + 1];
  }
  return c;
}

/// The input gradient (shape in_shape) of a convolution with weight w and output gradient g.
Tensor conv3d_grad_input(const Tensor& g, const Tensor& w, const std::vector<int64_t>& in_shape,
                         const Conv3dParams& p) {
  const int64_t n = in_shape[0], c = in_shape[1], depth = in_shape[2], h = in_shape[3], wd = in_shape[4];
  const int64_t o = g.size(1), od = g.size(2), oh = g.size(3), ow = g.size(4);
  // conv_transpose2d's output_padding that gives back the input's height and width.
  const std::vector<int64_t> out_pad{
      h - ((oh - 1) * p.stride[1] - 2 * p.padding[1] + p.dilation[1] * (w.size(3) - 1) + 1),
      wd - ((ow - 1) * p.stride[2] - 2 * p.padding[2] + p.dilation[2] * (w.size(4) - 1) + 1)};
  const Tensor g_d = g.permute({2, 0, 1, 3, 4});
  // Each tap's input gradients, for the planes it read: summed per plane by one index_add.
  std::vector<Tensor> planes, ids;
  for (int64_t kd = 0; kd < w.size(2); ++kd) {
    const DepthTap t = depth_tap(kd, depth, od, p);
    if (t.count() == 0) continue;
    const Tensor gs = g_d.narrow(0, t.lo, t.count()).reshape({t.count() * n, o, oh, ow});
    const Tensor gi =
        conv_transpose2d(gs, w.select(2, kd), Tensor(), p.stride2(), p.padding2(), out_pad, p.groups, p.dilation2());
    planes.push_back(gi.reshape({t.count(), n, c, h, wd}));
    ids.push_back(arange(t.first, t.first + (t.count() - 1) * p.stride[0] + 1, p.stride[0],
                         TensorOptions(kLong).device(g.device())));
  }
  const Tensor gx_d = planes.empty() ? zeros({depth, n, c, h, wd}, g.options())
                                     : index_add_into_zeros({depth, n, c, h, wd}, 0, cat(ids), cat(planes));
  return gx_d.permute({1, 2, 0, 3, 4});
}

/// The weight gradient (shape w_shape) of a convolution of x with output gradient g.
Tensor conv3d_grad_weight(const Tensor& g, const Tensor& x, const std::vector<int64_t>& w_shape,
                          const Conv3dParams& p) {
  const int64_t n = x.size(0), c = x.size(1), h = x.size(3), wd = x.size(4);
  const int64_t o = g.size(1), oh = g.size(3), ow = g.size(4);
  const int64_t og = o / p.groups, cg = c / p.groups;
  const Tensor x_d = x.permute({2, 0, 1, 3, 4}), g_d = g.permute({2, 0, 1, 3, 4});
  const conv_detail::ConvParams p2 = params2d(p);
  std::vector<Tensor> taps;
  for (int64_t kd = 0; kd < w_shape[2]; ++kd) {
    const DepthTap t = depth_tap(kd, x.size(2), g.size(2), p);
    if (t.count() == 0) {
      taps.push_back(zeros({w_shape[0], w_shape[1], w_shape[3], w_shape[4]}, g.options()));
      continue;
    }
    const Tensor gs = g_d.narrow(0, t.lo, t.count()).reshape({t.count() * n, o, oh, ow});
    const Tensor xs = tap_planes(x_d, t, p).reshape({t.count() * n, c, h, wd});
    // The 2-D weight gradient knows groups = 1: one call per group.
    std::vector<Tensor> groups;
    for (int64_t gi = 0; gi < p.groups; ++gi) {
      const Tensor gsg = p.groups == 1 ? gs : gs.narrow(1, gi * og, og);
      const Tensor xsg = p.groups == 1 ? xs : xs.narrow(1, gi * cg, cg);
      groups.push_back(conv_detail::conv2d_grad_weight(gsg, xsg, {og, cg, w_shape[3], w_shape[4]}, p2));
    }
    taps.push_back(p.groups == 1 ? groups[0] : cat(groups, 0));
  }
  return stack(taps, 2);
}

/// conv3d of a batched input, after the checks: a recorded op.
Tensor conv3d_batched(const Tensor& input, const Tensor& weight, const Tensor& bias, const Conv3dParams& p) {
  const int64_t n = input.size(0), c = input.size(1), depth = input.size(2), h = input.size(3), w = input.size(4);
  const int64_t o = weight.size(0);
  std::array<int64_t, 3> eff{}, padded{};
  for (int i = 0; i < 3; ++i) {
    eff[size_t(i)] = p.dilation[size_t(i)] * (weight.size(i + 2) - 1) + 1;
    padded[size_t(i)] = input.size(i + 2) + 2 * p.padding[size_t(i)];
  }
  EMBER_CHECK(padded[0] >= eff[0] && padded[1] >= eff[1] && padded[2] >= eff[2],
              "conv3d: calculated padded input size per channel: (", padded[0], " x ", padded[1], " x ", padded[2],
              "). Kernel size: (", eff[0], " x ", eff[1], " x ", eff[2],
              "). Kernel size can't be greater than actual input size");
  const int64_t od = conv_out_size(depth, weight.size(2), p.stride[0], p.padding[0], p.dilation[0]);
  const int64_t oh = conv_out_size(h, weight.size(3), p.stride[1], p.padding[1], p.dilation[1]);
  const int64_t ow = conv_out_size(w, weight.size(4), p.stride[2], p.padding[2], p.dilation[2]);

  Tensor out;
  {
    NoGradGuard no_grad;
    const Tensor x_d = input.permute({2, 0, 1, 3, 4}).contiguous();  // (D, N, C, H, W)
    Tensor out_d = zeros({od, n, o, oh, ow}, input.options());
    for (int64_t kd = 0; kd < weight.size(2); ++kd) {
      const DepthTap t = depth_tap(kd, depth, od, p);
      if (t.count() == 0 || n == 0) continue;
      const Tensor planes = tap_planes(x_d, t, p).reshape({t.count() * n, c, h, w});
      const Tensor y =
          conv2d(planes, weight.select(2, kd), Tensor(), p.stride2(), p.padding2(), p.dilation2(), p.groups);
      out_d.narrow(0, t.lo, t.count()).add_(y.view({t.count(), n, o, oh, ow}));
    }
    out = out_d.permute({1, 2, 0, 3, 4}).contiguous();
    if (bias.defined()) out.add_(bias.view({1, o, 1, 1, 1}));
  }

  if (autograd::needs_grad({input, weight, bias})) {
    // As conv2d: keep only what a wanted gradient reads.
    auto s_in = weight.requires_grad() ? autograd::save(input, "conv3d") : autograd::SavedTensor();
    auto s_w = input.requires_grad() ? autograd::save(weight, "conv3d") : autograd::SavedTensor();
    const std::vector<int64_t> in_shape = input.sizes().vec(), w_shape = weight.sizes().vec();
    autograd::record({"conv3d", "ConvolutionBackward0"}, out, {input, weight, bias},
                     [s_in, s_w, in_shape, w_shape, p](const Tensor& grad, const std::vector<bool>& needs) {
                       variable_list grads(3);
                       if (needs[0]) grads[0] = conv3d_grad_input(grad, s_w.get(), in_shape, p);
                       if (needs[1]) grads[1] = conv3d_grad_weight(grad, s_in.get(), w_shape, p);
                       if (needs[2]) grads[2] = grad.sum({0, 2, 3, 4});
                       return grads;
                     });
  }
  return out;
}

/// PyTorch's expansion of a 3-D op's int list argument: one value for all dims, or three.
std::array<int64_t, 3> expand3(IntArrayRef v, const char* op, const char* arg) {
  EMBER_CHECK(v.size() == 1 || v.size() == 3, op, ": expected ", arg,
              " to be a single integer value or a list of 3 values to match the convolution dimensions, but got ", arg,
              "=", v);
  return v.size() == 1 ? std::array<int64_t, 3>{v[0], v[0], v[0]} : std::array<int64_t, 3>{v[0], v[1], v[2]};
}

}  // namespace

Tensor conv3d(const Tensor& input, const Tensor& weight, const Tensor& bias, IntArrayRef stride, IntArrayRef padding,
              IntArrayRef dilation, int64_t groups) {
  const char* op = "conv3d";
  EMBER_CHECK(input.defined() && weight.defined(), op, ": undefined input or weight");
  EMBER_CHECK(groups >= 1, op, ": non-positive groups is not supported, got ", groups);
  EMBER_CHECK(input.dim() == 4 || input.dim() == 5, op,
              ": Expected 4D (unbatched) or 5D (batched) input to conv3d, but got input of size: ", input.sizes());
  EMBER_CHECK(weight.dim() == 5, op, ": expected a 5-D weight (out_channels, in_channels / groups, kD, kH, kW), got ",
              describe(weight));
  check_floating(op, input);
  EMBER_CHECK(weight.dtype() == input.dtype() && (!bias.defined() || bias.dtype() == input.dtype()), op,
              ": input, weight and bias must have the same dtype, got input ", describe(input), ", weight ",
              describe(weight), bias.defined() ? ", bias " + describe(bias) : std::string());
  check_same_device(op, {input, weight, bias});
  const int64_t in_channels = input.size(input.dim() - 4);
  EMBER_CHECK(in_channels == weight.size(1) * groups, op, ": Given groups=", groups, ", weight of size ",
              weight.sizes(), ", expected input", input.sizes(), " to have ", weight.size(1) * groups,
              " channels, but got ", in_channels, " channels instead");
  EMBER_CHECK(weight.size(0) % groups == 0, op, ": Given groups=", groups, ", expected weight ", weight.sizes(),
              " to be divisible by ", groups, " at dimension 0");
  EMBER_CHECK(!bias.defined() || (bias.dim() == 1 && bias.size(0) == weight.size(0)), op, ": Given weight of size ",
              weight.sizes(), ", expected bias to be 1-dimensional with ", weight.size(0),
              " elements, but got bias of size ", bias.sizes(), " instead");
  for (int64_t i = 2; i < 5; ++i)
    EMBER_CHECK(weight.size(i) > 0, op, ": kernel size must be positive, got weight of size ", weight.sizes());
  Conv3dParams p{expand3(stride, op, "stride"), expand3(padding, op, "padding"), expand3(dilation, op, "dilation"),
                 groups};
  for (int i = 0; i < 3; ++i) {
    EMBER_CHECK(p.stride[size_t(i)] > 0, op, ": non-positive stride is not supported, got stride=", stride);
    EMBER_CHECK(p.padding[size_t(i)] >= 0, op, ": negative padding is not supported, got padding=", padding);
    EMBER_CHECK(p.dilation[size_t(i)] > 0, op, ": dilation should be greater than zero, got dilation=", dilation);
  }
  if (input.dim() == 4) return conv3d_batched(input.unsqueeze(0), weight, bias, p).squeeze(0);
  return conv3d_batched(input, weight, bias, p);
}

}  // namespace ember
