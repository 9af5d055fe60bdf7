// ember::nn::functional: LibTorch's option-struct front ends over ember's ops, plus the layers
// that are compositions of ops (linear, batch_norm, dropout in place).
#include "ember/functional.h"

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
  EMBER_CHECK(weight.dim() == 2, "linear: expected a 2-D weight (out_features, in_features), got ",
              describe(weight));
  EMBER_CHECK(input.dim() >= 1 && input.size(-1) == weight.size(1), "linear: input ", describe(input),
              " does not match weight ", describe(weight), " (in_features ",
              input.dim() >= 1 ? input.size(-1) : 0, " != ", weight.size(1), ")");
  EMBER_CHECK(!bias.defined() || (bias.dim() == 1 && bias.size(0) == weight.size(0)),
              "linear: expected a bias of shape [", weight.size(0), "], got ", describe(bias));
  return ember::detail::linear(input, weight, bias);
}

Tensor conv2d(const Tensor& input, const Tensor& weight, const Conv2dFuncOptions& options) {
  return ember::conv2d(input, weight, options.bias(), options.stride(), options.padding(),
                       options.dilation(), options.groups());
}

Tensor max_pool2d(const Tensor& input, const MaxPool2dFuncOptions& options) {
  return ember::max_pool2d(input, options.kernel_size(), options.stride(), options.padding(),
                           options.dilation(), options.ceil_mode());
}

Tensor softmax(const Tensor& input, const SoftmaxFuncOptions& options) {
  return ember::softmax(input, options.dim(), options.dtype());
}

Tensor log_softmax(const Tensor& input, const LogSoftmaxFuncOptions& options) {
  return ember::log_softmax(input, options.dim(), options.dtype());
}

Tensor cross_entropy(const Tensor& input, const Tensor& target, const CrossEntropyFuncOptions& options) {
  return ember::detail::cross_entropy_loss(input, target, options.weight(), options.reduction(),
                                           options.ignore_index(), options.label_smoothing());
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
  const char* op = "batch_norm";
  EMBER_CHECK(input.defined(), op, ": undefined input");
  EMBER_CHECK(input.dim() >= 2, op, ": expected input of shape (N, C, ...), got ", describe(input));
  check_floating(op, input);
  const int64_t c = input.size(1);
  const Tensor& weight = options.weight();
  const Tensor& bias = options.bias();
  auto check_per_channel = [&](const Tensor& t, const char* what) {
    EMBER_CHECK(!t.defined() || t.numel() == c, op, ": expected ", what, " to have ", c,
                " elements (one per channel of input ", describe(input), "), got ", describe(t));
  };
  check_per_channel(running_mean, "running_mean");
  check_per_channel(running_var, "running_var");
  check_per_channel(weight, "weight");
  check_per_channel(bias, "bias");
  check_same_device(op, {input, running_mean, running_var, weight, bias});

  // Per-channel tensors broadcast as (1, C, 1, ...).
  std::vector<int64_t> bshape(size_t(input.dim()), 1);
  bshape[1] = c;
  std::vector<int64_t> reduce_dims{0};
  int64_t per_channel = input.size(0);
  for (int64_t d = 2; d < input.dim(); ++d) {
    reduce_dims.push_back(d);
    per_channel *= input.size(d);
  }

  Tensor out;
  if (options.training()) {
    EMBER_CHECK(per_channel != 1, op, ": expected more than 1 value per channel when training, got input ",
                describe(input));
    Tensor mean = input.mean(reduce_dims, /*keepdim=*/true);
    Tensor centered = input - mean;
    // Normalise with the biased variance of the batch, as PyTorch.
    Tensor var = (centered * centered).mean(reduce_dims, /*keepdim=*/true);
    out = centered / (var + options.eps()).sqrt();
    if (running_mean.defined() || running_var.defined()) {
      EMBER_CHECK(options.momentum().has_value(), op,
                  ": momentum = nullopt (a cumulative average) is not supported by the functional form");
      const double m = *options.momentum();
      NoGradGuard no_grad;
      if (running_mean.defined()) running_mean.mul_(1.0 - m).add_(mean.reshape({c}), m);
      // The running variance is the unbiased estimate, n / (n - 1) times the batch's.
      if (running_var.defined())
        running_var.mul_(1.0 - m).add_(var.reshape({c}), m * double(per_channel) / double(per_channel - 1));
    }
  } else {
    EMBER_CHECK(running_mean.defined() && running_var.defined(), op,
                ": running_mean and running_var must be defined in evaluation mode (training = false)");
    out = (input - running_mean.reshape(bshape)) / (running_var.reshape(bshape) + options.eps()).sqrt();
  }
  if (weight.defined()) out = out * weight.reshape(bshape);
  if (bias.defined()) out = out + bias.reshape(bshape);
  return out;
}

Tensor gelu(const Tensor& input, const GELUFuncOptions& options) {
  return ember::gelu(input, options.approximate());
}

Tensor flatten(const Tensor& input, const FlattenFuncOptions& options) {
  return ember::flatten(input, options.start_dim(), options.end_dim());
}

}  // namespace functional
}  // namespace nn
}  // namespace ember
