// ember::nn::functional: LibTorch's option-struct front ends over ember's ops, plus the layers
// that are compositions of ops (linear, batch_norm, dropout in place).
#include "ember/functional.h"

#include "conv_padding.h"
#include "ops/common.h"
#include "ops/loss.h"

namespace ember {
namespace nn {
namespace functional {

Tensor relu(Tensor input, const ReLUFuncOptions& options) {
  if (options.inplace()) {
    input.relu_();
    return input;
  }
  return ember::relu(input);
}

Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias) {
  EMBER_CHECK(input.defined() && weight.defined(), "linear: undefined input or weight");
  EMBER_CHECK(weight.dim() == 2, "linear: expected a 2-D weight (out_features, in_features), got ", describe(weight));
  EMBER_CHECK(input.dim() >= 1 && input.size(-1) == weight.size(1), "linear: input ", describe(input),
              " does not match weight ", describe(weight), " (in_features ", input.dim() >= 1 ? input.size(-1) : 0,
              " != ", weight.size(1), ")");
  EMBER_CHECK(!bias.defined() || (bias.dim() == 1 && bias.size(0) == weight.size(0)),
              "linear: expected a bias of shape [", weight.size(0), "], got ", describe(bias));
  return ember::detail::linear(input, weight, bias);
}

Tensor conv2d(const Tensor& input, const Tensor& weight, const Conv2dFuncOptions& options) {
  const ConvPadding padded = resolve_conv_padding<2>("conv2d", input, weight, options.padding(), enumtype::kZeros(),
                                                     options.stride(), options.dilation());
  return ember::conv2d(padded.input, weight, options.bias(), options.stride(), padded.padding, options.dilation(),
                       options.groups());
}

Tensor max_pool2d(const Tensor& input, const MaxPool2dFuncOptions& options) {
  return ember::max_pool2d(input, options.kernel_size(), options.stride(), options.padding(), options.dilation(),
                           options.ceil_mode());
}

std::tuple<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input, const MaxPool2dFuncOptions& options) {
  return ember::max_pool2d_with_indices(input, options.kernel_size(), options.stride(), options.padding(),
                                        options.dilation(), options.ceil_mode());
}

Tensor softmax(const Tensor& input, const SoftmaxFuncOptions& options) {
  return ember::softmax(input, options.dim(), options.dtype());
}

Tensor log_softmax(const Tensor& input, const LogSoftmaxFuncOptions& options) {
  return ember::log_softmax(input, options.dim(), options.dtype());
}

Tensor cross_entropy(const Tensor& input, const Tensor& target, const CrossEntropyFuncOptions& options) {
  return ember::detail::cross_entropy_loss(input, target, options.weight(), options.reduction(), options.ignore_index(),
                                           options.label_smoothing());
}

Tensor nll_loss(const Tensor& input, const Tensor& target, const NLLLossFuncOptions& options) {
  return ember::detail::nll_loss(input, target, options.weight(), options.reduction(), options.ignore_index());
}

Tensor dropout(Tensor input, const DropoutFuncOptions& options) {
  const double p = options.p();
  if (!options.inplace()) return ember::dropout(input, p, options.training());
  EMBER_CHECK(p >= 0.0 && p <= 1.0, "dropout: probability has to be between 0 and 1, but got ", p);
  if (!options.training() || p == 0.0) return input;
  check_floating("dropout", input);
  Tensor mask;
  {
    NoGradGuard no_grad;
    mask = p == 1.0 ? zeros_like(input) : (rand_like(input) >= p).to(input.dtype()).mul_(1.0 / (1.0 - p));
  }
  input.mul_(mask);
  return input;
}

Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                  const BatchNormFuncOptions& options) {
  // LibTorch's F::batch_norm reads momentum.value(): only the module turns nullopt into its
  // cumulative average, so here it is an error (in words rather than bad_optional_access).
  EMBER_CHECK(
      options.momentum().has_value() || !options.training() || (!running_mean.defined() && !running_var.defined()),
      "batch_norm: momentum = nullopt (a cumulative average) is not supported by the functional form");
  return ember::batch_norm(input, options.weight(), options.bias(), running_mean, running_var, options.training(),
                           options.momentum().value_or(0.0), options.eps(), /*cudnn_enabled=*/true);
}

Tensor gelu(const Tensor& input, const GELUFuncOptions& options) { return ember::gelu(input, options.approximate()); }

Tensor flatten(const Tensor& input, const FlattenFuncOptions& options) {
  return ember::flatten(input, options.start_dim(), options.end_dim());
}

}  // namespace functional
}  // namespace nn
}  // namespace ember
