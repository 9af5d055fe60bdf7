// conv_transpose2d, and conv_transpose1d over (N, C, 1, L): checks in PyTorch's words, then
// conv2d's machinery (src/ops/conv.cpp) run backwards. The transposed convolution of x with w
// is the input gradient of the convolution, with the same w, of its output; so
//   forward          the backend's conv2d_backward_input, with x in the role of grad_out
//   input gradient   a plain conv2d of the output gradient with w
//   weight gradient  conv2d's weight gradient, with x as its output gradient and the output
//                    gradient as its input
// Both gradients are conv.cpp's recorded ops, so they differentiate again (create_graph). No
// backend has a kernel of its own: the CPU's col2im and cuDNN's backward-data already are one.
#include <string>
#include <vector>

#include "conv.h"
#include "ember/nn/functional/conv_transpose.h"
#include "ember/nn/functional/padding.h"

namespace ember {
namespace {

using conv_detail::ConvParams;
using conv_detail::pair_str;

/// The transposed convolution of a batched input, groups = 1, to an output of out_shape.
Tensor conv_transpose2d_batched(const Tensor& input, const Tensor& weight, const Tensor& bias, const ConvParams& p,
                                const std::vector<int64_t>& out_shape) {
  // The convolution being transposed maps out_shape-sized images to input-sized ones.
  const ConvGeometry g = conv_detail::geometry(out_shape, weight.sizes(), p);
  const auto [in_c, w_c] = conv_detail::contiguous_pair(input, weight);
  Tensor out = make_empty(out_shape, input.dtype(), input.device());
  if (out.numel() > 0) {
    backend(input).conv2d_backward_input(out, in_c, w_c, g);
    if (bias.defined()) {
      NoGradGuard no_grad;  // the bias's gradient is recorded with the node below
      out.add_(bias.view({1, -1, 1, 1}));
    }
  }
  if (autograd::needs_grad({input, weight, bias})) {
    // As conv2d's: save only what a wanted gradient reads (the contiguous copies, given the
    // originals' history for a create_graph backward).
    auto s_in = weight.requires_grad() ? autograd::save(in_c, "conv_transpose2d") : autograd::SavedTensor();
    auto s_w = input.requires_grad() ? autograd::save(w_c, "conv_transpose2d") : autograd::SavedTensor();
    const autograd::Edge in_edge = s_in.defined() ? autograd::gradient_edge(input) : autograd::Edge();
    const autograd::Edge w_edge = s_w.defined() ? autograd::gradient_edge(weight) : autograd::Edge();
    const std::vector<int64_t> w_shape = weight.sizes().vec();
    autograd::record(
        {"conv_transpose2d", "ConvolutionBackward0"}, out, {input, weight, bias},
        [s_in, s_w, in_edge, w_edge, w_shape, p](const Tensor& grad, const std::vector<bool>& needs) {
          variable_list grads(3);
          if (needs[0])
            grads[0] = conv_detail::conv2d_batched(grad, conv_detail::with_history(s_w.get(), w_edge), Tensor(), p);
          if (needs[1])
            grads[1] =
                conv_detail::conv2d_grad_weight(conv_detail::with_history(s_in.get(), in_edge), grad, w_shape, p);
          if (needs[2]) grads[2] = grad.sum({0, 2, 3});
          return grads;
        });
  }
  return out;
}

/// conv_transpose2d of a (C, H, W) or (N, C, H, W) input, after the rank check; `op` names the
/// op the user called in messages (conv_transpose1d runs here over (N, C, 1, L)).
Tensor conv_transpose(const char* op, const Tensor& input, const Tensor& weight, const Tensor& bias, IntArrayRef stride,
                      IntArrayRef padding, IntArrayRef output_padding, int64_t groups, IntArrayRef dilation) {
  EMBER_CHECK(groups > 0, op, ": non-positive groups is not supported");
  const auto s = expand_pair(stride, op, "stride");
  const auto pad = expand_pair(padding, op, "padding");
  const auto out_pad = expand_pair(output_padding, op, "output_padding");
  const auto dil = expand_pair(dilation, op, "dilation");
  EMBER_CHECK(s[0] > 0 && s[1] > 0, op, ": non-positive stride is not supported, got stride ", pair_str(s));
  EMBER_CHECK(pad[0] >= 0 && pad[1] >= 0, op, ": negative padding is not supported, got padding ", pair_str(pad));
  EMBER_CHECK(out_pad[0] >= 0 && out_pad[1] >= 0, op, ": negative output_padding is not supported, got output_padding ",
              pair_str(out_pad));
  EMBER_CHECK(dil[0] > 0 && dil[1] > 0, op, ": dilation should be greater than zero, got dilation ", pair_str(dil));
  check_floating(op, input);
  EMBER_CHECK(weight.dtype() == input.dtype() && (!bias.defined() || bias.dtype() == input.dtype()), op,
              ": input, weight and bias must have the same dtype, got input ", describe(input), ", weight ",
              describe(weight), bias.defined() ? ", bias " + describe(bias) : std::string());
  check_same_device(op, {input, weight, bias});
  EMBER_CHECK(weight.size(0) >= groups, op, ": Given groups=", groups, ", expected weight to be at least ", groups,
              " at dimension 0, but got weight of size ", weight.sizes(), " instead");
  EMBER_CHECK(weight.size(0) % groups == 0, op, ": Given groups=", groups, ", expected weight to be divisible by ",
              groups, " at dimension 0, but got weight of size ", weight.sizes(), " instead");
  const int64_t in_channels = input.size(input.dim() - 3), out_channels = weight.size(1) * groups;
  EMBER_CHECK(in_channels == weight.size(0), op, ": Given transposed=1, weight of size ", weight.sizes(),
              ", expected input", input.sizes(), " to have ", weight.size(0), " channels, but got ", in_channels,
              " channels instead");
  EMBER_CHECK(!bias.defined() || (bias.dim() == 1 && bias.size(0) == out_channels), op,
              ": Given transposed=1, weight of size ", weight.sizes(), ", expected bias to be 1-dimensional with ",
              out_channels, " elements, but got bias of size ", bias.sizes(), " instead");
  for (int64_t i = 2; i < 4; ++i)
    EMBER_CHECK(weight.size(i) > 0, op, ": kernel size must be positive, got weight of size ", weight.sizes());
  EMBER_CHECK((out_pad[0] < s[0] || out_pad[0] < dil[0]) && (out_pad[1] < s[1] || out_pad[1] < dil[1]), op,
              ": output padding must be smaller than either stride or dilation, but got output_padding_height: ",
              out_pad[0], " output_padding_width: ", out_pad[1], " stride_height: ", s[0], " stride_width: ", s[1],
              " dilation_height: ", dil[0], " dilation_width: ", dil[1]);

  const Tensor batched = input.dim() == 3 ? input.unsqueeze(0) : input;
  EMBER_CHECK(batched.size(0) == 0 || batched.size(1) == 0 || (batched.size(2) > 0 && batched.size(3) > 0), op,
              ": Only zero batch or zero channel inputs are supported, but got input shape: ", batched.sizes());
  const int64_t h = batched.size(2), w = batched.size(3);
  std::vector<int64_t> out_shape{batched.size(0), out_channels, 0, 0};
  for (int i = 0; i < 2; ++i)
    out_shape[2 + i] =
        (batched.size(2 + i) - 1) * s[i] - 2 * pad[i] + dil[i] * (weight.size(2 + i) - 1) + out_pad[i] + 1;
  EMBER_CHECK(out_shape[2] > 0 && out_shape[3] > 0, op, ": Given input size per channel: (", h, " x ", w,
              "). Calculated output size per channel: (", out_shape[2], " x ", out_shape[3],
              "). Output size is too small");

  ConvParams p;
  for (int i = 0; i < 2; ++i) {
    p.stride[i] = s[i];
    p.padding[i] = pad[i];
    p.dilation[i] = dil[i];
  }
  // The convolution being transposed has conv_out_size(out) = in + output_padding / stride
  // outputs per dim: an output_padding of a stride or more (allowed below the dilation) reaches
  // rows the input does not have. They are zeros of the transposed input, so pad it with them.
  Tensor x = batched;
  const int64_t extra_h = out_pad[0] / s[0], extra_w = out_pad[1] / s[1];
  if (extra_h > 0 || extra_w > 0) x = nn::functional::pad(x, nn::functional::PadFuncOptions({0, extra_w, 0, extra_h}));

  Tensor out;
  if (groups == 1) {
    out = conv_transpose2d_batched(x, weight, bias, p, out_shape);
  } else {
    // One transposed convolution per group, joined (as conv2d's groups).
    const int64_t cg = weight.size(0) / groups, og = weight.size(1);
    std::vector<int64_t> group_shape = out_shape;
    group_shape[1] = og;
    std::vector<Tensor> outs;
    for (int64_t gi = 0; gi < groups; ++gi) {
      outs.push_back(conv_transpose2d_batched(x.narrow(1, gi * cg, cg), weight.narrow(0, gi * cg, cg),
                                              bias.defined() ? bias.narrow(0, gi * og, og) : Tensor(), p, group_shape));
    }
    out = cat(outs, 1);
  }
  return input.dim() == 3 ? out.squeeze(0) : out;
}

}  // namespace

Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor& bias, IntArrayRef stride,
                        IntArrayRef padding, IntArrayRef output_padding, int64_t groups, IntArrayRef dilation) {
  EMBER_CHECK(input.defined() && weight.defined(), "conv_transpose2d: undefined input or weight");
  EMBER_CHECK(input.dim() == 3 || input.dim() == 4,
              "conv_transpose2d: Expected 3D (unbatched) or 4D (batched) input to conv_transpose2d, but got input of "
              "size: ",
              input.sizes());
  EMBER_CHECK(weight.dim() == 4,
              "conv_transpose2d: expected a 4-D weight (in_channels, out_channels / groups, kH, kW), got ",
              describe(weight));
  return conv_transpose("conv_transpose2d", input, weight, bias, stride, padding, output_padding, groups, dilation);
}

Tensor conv_transpose1d(const Tensor& input, const Tensor& weight, const Tensor& bias, IntArrayRef stride,
                        IntArrayRef padding, IntArrayRef output_padding, int64_t groups, IntArrayRef dilation) {
  EMBER_CHECK(input.defined() && weight.defined(), "conv_transpose1d: undefined input or weight");
  EMBER_CHECK(input.dim() == 2 || input.dim() == 3,
              "conv_transpose1d: Expected 2D (unbatched) or 3D (batched) input to conv_transpose1d, but got input of "
              "size: ",
              input.sizes());
  EMBER_CHECK(weight.dim() == 3,
              "conv_transpose1d: expected a 3-D weight (in_channels, out_channels / groups, kW), got ",
              describe(weight));
  const auto one = [](IntArrayRef v, const char* arg) {
    EMBER_CHECK(v.size() == 1, "conv_transpose1d: expected ", arg,
                " to be a single integer value or a list of 1 values to match the convolution dimensions, but got ",
                arg, "=", v);
    return v[0];
  };
  const int64_t s = one(stride, "stride"), pad = one(padding, "padding"),
                out_pad = one(output_padding, "output_padding"), dil = one(dilation, "dilation");
  // (N, C, L) as (N, C, 1, L): the height dim has kernel 1, stride 1 and nothing to pad.
  return conv_transpose("conv_transpose1d", input.unsqueeze(-2), weight.unsqueeze(2), bias, {1, s}, {0, pad},
                        {0, out_pad}, groups, {1, dil})
      .squeeze(-2);
}

namespace nn {
namespace functional {

Tensor conv_transpose1d(const Tensor& input, const Tensor& weight, const ConvTranspose1dFuncOptions& options) {
  return ember::conv_transpose1d(input, weight, options.bias(), options.stride(), options.padding(),
                                 options.output_padding(), options.groups(), options.dilation());
}

Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const ConvTranspose2dFuncOptions& options) {
  return ember::conv_transpose2d(input, weight, options.bias(), options.stride(), options.padding(),
                                 options.output_padding(), options.groups(), options.dilation());
}

}  // namespace functional
}  // namespace nn
}  // namespace ember
