// The 2-D pools (max, average, adaptive): PyTorch's argument checks and output-size rule
// (ceil_mode included), the forward kernels (max pooling's also records each window's argmax),
// and the backwards, recorded ops under create_graph (double backward).
#include <functional>

#include "common.h"
#include "pool_size.h"

namespace ember {
namespace {

/// A pooling op's input gradient: `kernel` writes it (the input's shape) from the contiguous
/// output gradient. The map from g is linear, so under create_graph (grad mode on in a backward)
/// it is recorded as the op `name`, whose own backward is the transposed map `adjoint` applied
/// to gg: the pool itself for average pooling, a gather at the saved indices for max pooling.
Tensor pool_grad_input(autograd::NodeName name, const Tensor& g, const std::vector<int64_t>& in_shape,
                       const std::function<void(const Tensor& grad_in, const Tensor& g_c)>& kernel,
                       std::function<Tensor(const Tensor& gg)> adjoint) {
  Tensor grad_in = make_empty(in_shape, g.dtype(), g.device());
  if (g.numel() > 0) {
    Tensor g_c;
    {
      NoGradGuard no_grad;
      g_c = g.contiguous();
    }
    kernel(grad_in, g_c);
  } else if (grad_in.numel() > 0) {
    backend(g).fill(grad_in, 0);
  }
  if (autograd::needs_grad({g}))
    autograd::record(name, grad_in, {g},
                     [adjoint = std::move(adjoint)](const Tensor& gg) -> variable_list { return {adjoint(gg)}; });
  return grad_in;
}

/// gg (N, C, H, W) read at each window's maximum: the transpose of max pooling's scatter, as a
/// recorded index_select over the flattened planes (the indices count within each (n, c) plane).
Tensor gather_at_indices(const Tensor& gg, const Tensor& indices) {
  const std::vector<int64_t> out_shape = indices.sizes().vec();
  if (indices.numel() == 0) return zeros(out_shape, gg.options());
  const int64_t planes = gg.size(0) * gg.size(1), plane = gg.size(2) * gg.size(3);
  Tensor offsets =
      arange(planes, TensorOptions(kLong).device(gg.device())).reshape({gg.size(0), gg.size(1), 1, 1}) * plane;
  Tensor flat = (indices + offsets).reshape({indices.numel()});
  return index_select(gg.reshape({gg.numel()}), 0, flat).reshape(out_shape);
}

std::tuple<Tensor, Tensor> max_pool2d_batched(const Tensor& input, const PoolParams& p, bool ceil_mode) {
  const int64_t n = input.size(0), c = input.size(1), h = input.size(2), w = input.size(3);
  const int64_t oh = pool_out_size(h, p.kernel[0], p.padding[0], p.stride[0], p.dilation[0], ceil_mode);
  const int64_t ow = pool_out_size(w, p.kernel[1], p.padding[1], p.stride[1], p.dilation[1], ceil_mode);
  EMBER_CHECK(oh >= 1 && ow >= 1, "max_pool2d: given input size (", c, "x", h, "x", w,
              "), the calculated output size (", c, "x", oh, "x", ow, ") is too small");

  Tensor in_c;
  {
    NoGradGuard no_grad;
    in_c = input.contiguous();
  }
  Tensor out = make_empty({n, c, oh, ow}, input.dtype(), input.device());
  Tensor indices = make_empty({n, c, oh, ow}, kLong, input.device());
  if (out.numel() > 0) backend(input).max_pool2d_forward(out, indices, in_c, p);

  if (autograd::needs_grad({input})) {
    // Backward routes each gradient to where its maximum came from (the indices are ours, never
    // changed); the window parameters let a backend gather instead of scatter (see backend.h).
    std::vector<int64_t> in_shape = input.sizes().vec();
    autograd::record("max_pool2d", out, {input}, [indices, in_shape, p](const Tensor& grad) -> variable_list {
      return {pool_grad_input(
          {"max_pool2d_backward", "MaxPool2DWithIndicesBackwardBackward0"}, grad, in_shape,
          [&](const Tensor& gi, const Tensor& g_c) { backend(g_c).max_pool2d_backward(gi, g_c, indices, p); },
          [indices](const Tensor& gg) { return gather_at_indices(gg, indices); })};
    });
  }
  return {out, indices};
}

}  // namespace

std::tuple<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input, IntArrayRef kernel_size, IntArrayRef stride,
                                                   IntArrayRef padding, IntArrayRef dilation, bool ceil_mode) {
  EMBER_CHECK(input.defined(), "max_pool2d: undefined input");
  EMBER_CHECK(input.dim() == 3 || input.dim() == 4,
              "max_pool2d: expected 3-D (C, H, W) or 4-D (N, C, H, W) input, got ", describe(input));
  check_floating("max_pool2d", input);
  for (int64_t d = input.dim() - 3; d < input.dim(); ++d)
    EMBER_CHECK(input.size(d) > 0, "max_pool2d: expected non-empty channel and spatial dims, got ", describe(input));

  const auto k = expand_pair(kernel_size, "max_pool2d", "kernel_size");
  const auto s = stride.empty() ? k : expand_pair(stride, "max_pool2d", "stride");
  const auto pad = expand_pair(padding, "max_pool2d", "padding");
  const auto dil = expand_pair(dilation, "max_pool2d", "dilation");
  EMBER_CHECK(k[0] > 0 && k[1] > 0, "max_pool2d: kernel size should be greater than zero, got (", k[0], ", ", k[1],
              ")");
  EMBER_CHECK(s[0] > 0 && s[1] > 0, "max_pool2d: stride should be greater than zero, got (", s[0], ", ", s[1], ")");
  EMBER_CHECK(dil[0] > 0 && dil[1] > 0, "max_pool2d: dilation should be greater than zero, got (", dil[0], ", ", dil[1],
              ")");
  EMBER_CHECK(pad[0] >= 0 && pad[1] >= 0 && pad[0] <= k[0] / 2 && pad[1] <= k[1] / 2,
              "max_pool2d: pad should be at most half of kernel size, but got padding (", pad[0], ", ", pad[1],
              ") and kernel_size (", k[0], ", ", k[1], ")");

  PoolParams p;
  for (int i = 0; i < 2; ++i) {
    p.kernel[i] = k[i];
    p.stride[i] = s[i];
    p.padding[i] = pad[i];
    p.dilation[i] = dil[i];
  }
  if (input.dim() == 4) return max_pool2d_batched(input, p, ceil_mode);
  auto [out, indices] = max_pool2d_batched(input.unsqueeze(0), p, ceil_mode);
  return {out.squeeze(0), indices.squeeze(0)};
}

Tensor max_pool2d(const Tensor& input, IntArrayRef kernel_size, IntArrayRef stride, IntArrayRef padding,
                  IntArrayRef dilation, bool ceil_mode) {
  return std::get<0>(max_pool2d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode));
}

// --- avg_pool2d --------------------------------------------------------------------------------------

namespace {

/// The checks every 2-D pool shares: defined, floating, (C, H, W) or (N, C, H, W), non-empty
/// channel and spatial dims.
void check_pool_input(const char* op, const Tensor& input) {
  EMBER_CHECK(input.defined(), op, ": undefined input");
  EMBER_CHECK(input.dim() == 3 || input.dim() == 4, op, ": expected 3-D (C, H, W) or 4-D (N, C, H, W) input, got ",
              describe(input));
  check_floating(op, input);
  for (int64_t d = input.dim() - 3; d < input.dim(); ++d)
    EMBER_CHECK(input.size(d) > 0, op, ": expected non-empty channel and spatial dims, got ", describe(input));
}

Tensor contiguous_input(const Tensor& input) {
  NoGradGuard no_grad;
  return input.contiguous();
}

}  // namespace

Tensor avg_pool2d(const Tensor& input, IntArrayRef kernel_size, IntArrayRef stride, IntArrayRef padding, bool ceil_mode,
                  bool count_include_pad, std::optional<int64_t> divisor_override) {
  const char* op = "avg_pool2d";
  check_pool_input(op, input);
  const auto k = expand_pair(kernel_size, op, "kernel_size");
  const auto s = stride.empty() ? k : expand_pair(stride, op, "stride");
  const auto pad = expand_pair(padding, op, "padding");
  EMBER_CHECK(k[0] > 0 && k[1] > 0, op, ": kernel size should be greater than zero, got (", k[0], ", ", k[1], ")");
  EMBER_CHECK(s[0] > 0 && s[1] > 0, op, ": stride should be greater than zero, got (", s[0], ", ", s[1], ")");
  EMBER_CHECK(pad[0] >= 0 && pad[1] >= 0 && pad[0] <= k[0] / 2 && pad[1] <= k[1] / 2, op,
              ": pad should be at most half of kernel size, but got padding (", pad[0], ", ", pad[1],
              ") and kernel_size (", k[0], ", ", k[1], ")");
  EMBER_CHECK(!divisor_override || *divisor_override != 0, op, ": divisor must be not zero");
  const int64_t divisor = divisor_override.value_or(0);
  PoolParams p;
  for (int i = 0; i < 2; ++i) {
    p.kernel[i] = k[i];
    p.stride[i] = s[i];
    p.padding[i] = pad[i];
  }
  return with_batch(input, 4, [&](const Tensor& x) {
    const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
    const int64_t oh = pool_out_size(h, k[0], pad[0], s[0], 1, ceil_mode);
    const int64_t ow = pool_out_size(w, k[1], pad[1], s[1], 1, ceil_mode);
    EMBER_CHECK(oh >= 1 && ow >= 1, op, ": given input size (", c, "x", h, "x", w, "), the calculated output size (", c,
                "x", oh, "x", ow, ") is too small");
    Tensor out = make_empty({n, c, oh, ow}, x.dtype(), x.device());
    if (out.numel() > 0) backend(x).avg_pool2d_forward(out, contiguous_input(x), p, count_include_pad, divisor);
    if (autograd::needs_grad({x})) {
      std::vector<int64_t> in_shape = x.sizes().vec();
      const std::vector<int64_t> k_v{k[0], k[1]}, s_v{s[0], s[1]}, pad_v{pad[0], pad[1]};
      autograd::record(op, out, {x}, [=](const Tensor& grad) -> variable_list {
        return {pool_grad_input(
            {"avg_pool2d_backward", "AvgPool2DBackwardBackward0"}, grad, in_shape,
            [&](const Tensor& gi, const Tensor& g_c) {
              backend(g_c).avg_pool2d_backward(gi, g_c, p, count_include_pad, divisor);
            },
            [=](const Tensor& gg) {
              return avg_pool2d(gg, k_v, s_v, pad_v, ceil_mode, count_include_pad, divisor_override);
            })};
      });
    }
    return out;
  });
}

// --- adaptive pooling ----------------------------------------------------------------------------

namespace {

std::array<int64_t, 2> adaptive_output(const char* op, IntArrayRef output_size) {
  const auto o = expand_pair(output_size, op, "output_size");
  EMBER_CHECK(o[0] >= 0 && o[1] >= 0, op, ": output_size must not be negative, got (", o[0], ", ", o[1], ")");
  return o;
}

}  // namespace

Tensor adaptive_avg_pool2d(const Tensor& input, IntArrayRef output_size) {
  const char* op = "adaptive_avg_pool2d";
  check_pool_input(op, input);
  const auto o = adaptive_output(op, output_size);
  return with_batch(input, 4, [&](const Tensor& x) {
    Tensor out = make_empty({x.size(0), x.size(1), o[0], o[1]}, x.dtype(), x.device());
    if (out.numel() > 0) backend(x).adaptive_avg_pool2d_forward(out, contiguous_input(x));
    if (autograd::needs_grad({x})) {
      std::vector<int64_t> in_shape = x.sizes().vec();
      const std::vector<int64_t> out_size{o[0], o[1]};
      autograd::record(op, out, {x}, [in_shape, out_size](const Tensor& grad) -> variable_list {
        return {pool_grad_input(
            {"adaptive_avg_pool2d_backward", "AdaptiveAvgPool2DBackwardBackward0"}, grad, in_shape,
            [](const Tensor& gi, const Tensor& g_c) { backend(g_c).adaptive_avg_pool2d_backward(gi, g_c); },
            [out_size](const Tensor& gg) { return adaptive_avg_pool2d(gg, out_size); })};
      });
    }
    return out;
  });
}

std::tuple<Tensor, Tensor> adaptive_max_pool2d(const Tensor& input, IntArrayRef output_size) {
  const char* op = "adaptive_max_pool2d";
  check_pool_input(op, input);
  const auto o = adaptive_output(op, output_size);
  const bool batched = input.dim() == 4;
  const Tensor x = batched ? input : input.unsqueeze(0);
  Tensor out = make_empty({x.size(0), x.size(1), o[0], o[1]}, x.dtype(), x.device());
  Tensor indices = make_empty({x.size(0), x.size(1), o[0], o[1]}, kLong, x.device());
  if (out.numel() > 0) backend(x).adaptive_max_pool2d_forward(out, indices, contiguous_input(x));
  if (autograd::needs_grad({x})) {
    std::vector<int64_t> in_shape = x.sizes().vec();
    autograd::record(op, out, {x}, [in_shape, indices](const Tensor& grad) -> variable_list {
      return {pool_grad_input(
          {"adaptive_max_pool2d_backward", "AdaptiveMaxPool2DBackwardBackward0"}, grad, in_shape,
          [&](const Tensor& gi, const Tensor& g_c) { backend(g_c).adaptive_max_pool2d_backward(gi, g_c, indices); },
          [indices](const Tensor& gg) { return gather_at_indices(gg, indices); })};
    });
  }
  if (batched) return {out, indices};
  return {out.squeeze(0), indices.squeeze(0)};
}

}  // namespace ember
