// conv2d: checks in PyTorch's words, the output shape, one backend call forward, and the two
// fused backward kernels (input, weight) plus a plain sum for the bias. Grouped convolutions are
// composed from per-group convolutions. The pieces the transposed convolutions reuse are declared
// in conv.h.
#include "conv.h"

#include <utility>

namespace ember {
namespace conv_detail {
ConvGeometry geometry(IntArrayRef in, IntArrayRef w, const ConvParams& p) {
  return {in[0],
          in[1],
          in[2],
          in[3],
          w[0],
          w[2],
          w[3],
          conv_out_size(in[2], w[2], p.stride[0], p.padding[0], p.dilation[0]),
          conv_out_size(in[3], w[3], p.stride[1], p.padding[1], p.dilation[1]),
          p.stride[0],
          p.stride[1],
          p.padding[0],
          p.padding[1],
          p.dilation[0],
          p.dilation[1]};
}

Tensor with_history(const Tensor& t, const autograd::Edge& edge) {
  if (!edge.fn) return t;
  Tensor alias = t.detach();
  autograd::set_grad_fn(alias.impl(), edge.fn, edge.input_nr);
  alias.unsafeGetTensorImpl()->requires_grad = true;
  return alias;
}

std::pair<Tensor, Tensor> contiguous_pair(const Tensor& a, const Tensor& b) {
  NoGradGuard no_grad;
  return {a.contiguous(), b.contiguous()};
}

namespace {

Tensor conv2d_grad_input(const Tensor& g, const Tensor& w, const std::vector<int64_t>& in_shape, const ConvParams& p);

/// Records `out`, the input gradient (other = w) or the weight gradient (other = x) of a
/// convolution with output gradient g, for create_graph. Both are bilinear in (g, other), and
/// each one's gradients are the other two maps of a convolution, written once here for both:
///   input gradient A_w^T g   <gg, A_w^T g> = <A_w gg, g>: for g, conv(gg, w); for w, the
///                            weight gradient of a convolution of gg with output gradient g
///   weight gradient dW(g, x) <gw, dW(g, x)> = <g, conv(x, gw)>: for g, conv(x, gw); for x, the
///                            input gradient of g through gw
void record_conv_gradient(const Tensor& out, const Tensor& g, const Tensor& other, bool input_gradient,
                          const ConvParams& p) {
  if (!autograd::needs_grad({g, other})) return;
  const char* op = input_gradient ? "conv2d_backward_input" : "conv2d_backward_weight";
  auto sg = autograd::save(g, op), so = autograd::save(other, op);
  const std::vector<int64_t> other_shape = other.sizes().vec();
  autograd::record({op, "ConvolutionBackwardBackward0"}, out, {g, other},
                   [sg, so, other_shape, input_gradient, p](const Tensor& gout, const std::vector<bool>& needs) {
                     variable_list grads(2);
                     if (input_gradient) {
                       if (needs[0]) grads[0] = conv2d_batched(gout, so.get(), Tensor(), p);
                       if (needs[1]) grads[1] = conv2d_grad_weight(sg.get(), gout, other_shape, p);
                     } else {
                       if (needs[0]) grads[0] = conv2d_batched(so.get(), gout, Tensor(), p);
                       if (needs[1]) grads[1] = conv2d_grad_input(sg.get(), gout, other_shape, p);
                     }
                     return grads;
                   });
}

/// The input gradient of a convolution, as a recorded op (for create_graph).
Tensor conv2d_grad_input(const Tensor& g, const Tensor& w, const std::vector<int64_t>& in_shape, const ConvParams& p) {
  const auto [g_c, w_c] = contiguous_pair(g, w);
  Tensor out = make_empty(in_shape, g.dtype(), g.device());
  if (out.numel() > 0) backend(g).conv2d_backward_input(out, g_c, w_c, geometry(in_shape, w.sizes(), p));
  record_conv_gradient(out, g, w, /*input_gradient=*/true, p);
  return out;
}

}  // namespace

/// The weight gradient of a convolution of x with output gradient g, as a recorded op.
Tensor conv2d_grad_weight(const Tensor& g, const Tensor& x, const std::vector<int64_t>& w_shape, const ConvParams& p) {
  const auto [g_c, x_c] = contiguous_pair(g, x);
  Tensor out = make_empty(w_shape, g.dtype(), g.device());
  if (g.numel() > 0) {
    backend(g).conv2d_backward_weight(out, g_c, x_c, geometry(x.sizes(), w_shape, p));
  } else {
    backend(g).fill(out, 0);
  }
  record_conv_gradient(out, g, x, /*input_gradient=*/false, p);
  return out;
}

Tensor conv2d_batched(const Tensor& input, const Tensor& weight, const Tensor& bias, const ConvParams& p) {
  const int64_t n = input.size(0), h = input.size(2), w = input.size(3);
  const int64_t out_c = weight.size(0), kh = weight.size(2), kw = weight.size(3);
  const int64_t eff_kh = p.dilation[0] * (kh - 1) + 1, eff_kw = p.dilation[1] * (kw - 1) + 1;
  EMBER_CHECK(h + 2 * p.padding[0] >= eff_kh && w + 2 * p.padding[1] >= eff_kw,
              "conv2d: calculated padded input size per channel: (", h + 2 * p.padding[0], " x ", w + 2 * p.padding[1],
              "). Kernel size: (", eff_kh, " x ", eff_kw, "). Kernel size can't be greater than actual input size");
  const ConvGeometry g = geometry(input.sizes(), weight.sizes(), p);

  Tensor in_c, w_c, b_c;
  {
    NoGradGuard no_grad;  // layout copies for the kernel are not graph nodes
    in_c = input.contiguous();
    w_c = weight.contiguous();
    if (bias.defined()) b_c = bias.contiguous();
  }
  Tensor out = make_empty({n, out_c, g.oh, g.ow}, input.dtype(), input.device());
  if (out.numel() > 0) backend(input).conv2d_forward(out, in_c, w_c, b_c, g);

  if (autograd::needs_grad({input, weight, bias})) {
    // The input gradient needs the weight, the weight gradient needs the input: save only what
    // a gradient that is wanted will read (the first layer's input never needs a gradient).
    // The contiguous copies are saved, so backward does not copy again.
    auto s_in = weight.requires_grad() ? autograd::save(in_c, "conv2d") : autograd::SavedTensor();
    auto s_w = input.requires_grad() ? autograd::save(w_c, "conv2d") : autograd::SavedTensor();
    std::vector<int64_t> in_shape = input.sizes().vec(), w_shape = weight.sizes().vec();
    // The saved tensors are contiguous copies when the originals were not: a create_graph
    // backward gives them the originals' history.
    const autograd::Edge in_edge = s_in.defined() ? autograd::gradient_edge(input) : autograd::Edge();
    const autograd::Edge w_edge = s_w.defined() ? autograd::gradient_edge(weight) : autograd::Edge();
    autograd::record(
        "conv2d", out, {input, weight, bias},
        [s_in, s_w, in_shape, w_shape, p, g, in_edge, w_edge](const Tensor& grad, const std::vector<bool>& needs) {
          variable_list grads(3);
          if (GradMode::is_enabled()) {
            // create_graph: the two kernels as recorded ops, differentiable to any order.
            if (needs[0]) grads[0] = conv2d_grad_input(grad, with_history(s_w.get(), w_edge), in_shape, p);
            if (needs[1]) grads[1] = conv2d_grad_weight(grad, with_history(s_in.get(), in_edge), w_shape, p);
            if (needs[2]) grads[2] = grad.sum({0, 2, 3});
            return grads;
          }
          const Tensor go = grad.contiguous();
          if (needs[0]) {
            grads[0] = make_empty(in_shape, go.dtype(), go.device());
            if (grads[0].numel() > 0) backend(go).conv2d_backward_input(grads[0], go, s_w.get(), g);
          }
          if (needs[1]) {
            grads[1] = make_empty(w_shape, go.dtype(), go.device());
            if (go.numel() > 0) {
              backend(go).conv2d_backward_weight(grads[1], go, s_in.get(), g);
            } else {
              backend(go).fill(grads[1], 0);
            }
          }
          if (needs[2]) grads[2] = go.sum({0, 2, 3});
          return grads;
        });
  }
  return out;
}

}  // namespace conv_detail

using conv_detail::ConvParams;
using conv_detail::pair_str;

Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias, IntArrayRef stride, IntArrayRef padding,
              IntArrayRef dilation, int64_t groups) {
  EMBER_CHECK(input.defined() && weight.defined(), "conv2d: undefined input or weight");
  EMBER_CHECK(groups >= 1, "conv2d: groups must be positive, got ", groups);
  EMBER_CHECK(input.dim() == 3 || input.dim() == 4, "conv2d: expected 3-D (C, H, W) or 4-D (N, C, H, W) input, got ",
              describe(input));
  EMBER_CHECK(weight.dim() == 4, "conv2d: expected a 4-D weight (out_channels, in_channels, kH, kW), got ",
              describe(weight));
  check_floating("conv2d", input);
  EMBER_CHECK(weight.dtype() == input.dtype() && (!bias.defined() || bias.dtype() == input.dtype()),
              "conv2d: input, weight and bias must have the same dtype, got input ", describe(input), ", weight ",
              describe(weight), bias.defined() ? ", bias " + describe(bias) : std::string());
  check_same_device("conv2d", {input, weight, bias});

  const int64_t in_channels = input.size(input.dim() - 3);
  EMBER_CHECK(in_channels == weight.size(1) * groups, "conv2d: given groups=", groups, ", weight of size ",
              weight.sizes(), ", expected input", input.sizes(), " to have ", weight.size(1) * groups,
              " channels, but got ", in_channels, " channels instead");
  EMBER_CHECK(weight.size(0) % groups == 0, "conv2d: given groups=", groups, ", expected weight ", weight.sizes(),
              " to have out_channels divisible by groups");
  EMBER_CHECK(!bias.defined() || (bias.dim() == 1 && bias.size(0) == weight.size(0)), "conv2d: given weight of size ",
              weight.sizes(), ", expected bias to be 1-dimensional with ", weight.size(0),
              " elements, but got bias of size ", bias.sizes(), " instead");
  for (int64_t i = 2; i < 4; ++i)
    EMBER_CHECK(weight.size(i) > 0, "conv2d: kernel size must be positive, got weight of size ", weight.sizes());

  ConvParams p;
  const auto s = expand_pair(stride, "conv2d", "stride");
  const auto pad = expand_pair(padding, "conv2d", "padding");
  const auto dil = expand_pair(dilation, "conv2d", "dilation");
  EMBER_CHECK(s[0] > 0 && s[1] > 0, "conv2d: stride must be positive, got ", pair_str(s));
  EMBER_CHECK(pad[0] >= 0 && pad[1] >= 0, "conv2d: padding must be non-negative, got ", pair_str(pad));
  EMBER_CHECK(dil[0] > 0 && dil[1] > 0, "conv2d: dilation must be positive, got ", pair_str(dil));
  for (int i = 0; i < 2; ++i) {
    p.stride[i] = s[i];
    p.padding[i] = pad[i];
    p.dilation[i] = dil[i];
  }

  // Unbatched (C, H, W) input, as torch accepts: run it as a batch of one.
  const Tensor batched = input.dim() == 3 ? input.unsqueeze(0) : input;
  Tensor out;
  if (groups == 1) {
    out = conv_detail::conv2d_batched(batched, weight, bias, p);
  } else {
    // Grouped: each group of input channels meets its own slice of filters. The kernels know only
    // groups = 1, so run one convolution per group and join the outputs; autograd flows through
    // narrow and cat. Rare in the models ember targets, so simplicity wins over a fused kernel.
    const int64_t cg = weight.size(1), og = weight.size(0) / groups;
    std::vector<Tensor> outs;
    for (int64_t g = 0; g < groups; ++g) {
      outs.push_back(conv_detail::conv2d_batched(batched.narrow(1, g * cg, cg), weight.narrow(0, g * og, og),
                                                 bias.defined() ? bias.narrow(0, g * og, og) : Tensor(), p));
    }
    out = cat(outs, 1);
  }
  return input.dim() == 3 ? out.squeeze(0) : out;
}

}  // namespace ember
