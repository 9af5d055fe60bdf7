#pragma once
// ember::nn::functional, the tutorial's `F`: stateless layers and losses taking LibTorch's
// ...FuncOptions structs, with LibTorch's names, defaults and implicit conversions, so that
//   namespace F = ember::nn::functional;
//   F::conv2d(x, w, F::Conv2dFuncOptions().bias(b).padding(1));
//   F::cross_entropy(scores, y, F::CrossEntropyFuncOptions().label_smoothing(0.1));
//   F::log_softmax(x, 1);
// read as they do with LibTorch.
#include <cstdint>
#include <optional>
#include <string>

#include "ember/arg.h"
#include "ember/expanding_array.h"
#include "ember/nn/options.h"
#include "ember/tensor.h"

// The activations' free functions, options and F:: forms.
#include "ember/nn/functional/activation.h"
// F::pad and its PadFuncOptions.
#include "ember/nn/functional/padding.h"
// F::conv1d, F::max_pool1d, F::avg_pool1d.
#include "ember/nn/functional/conv_pool1d.h"
// ember::conv_transpose1d/2d, F::conv_transpose1d/2d.
#include "ember/nn/functional/conv_transpose.h"
#include "ember/nn/functional/distance.h"

namespace ember {

/// How a loss reduces its per-sample values, as LibTorch's torch::kNone / kMean / kSum.
enum class Reduction { None, Mean, Sum };
constexpr Reduction kNone = Reduction::None;
constexpr Reduction kMean = Reduction::Mean;
constexpr Reduction kSum = Reduction::Sum;

namespace nn {
namespace functional {

/// F::max_pool2d options are the module's, as in LibTorch (the stride defaults to the kernel size).
using MaxPool2dFuncOptions = MaxPool2dOptions;

/// F::cross_entropy options (nn::CrossEntropyLossOptions is the same struct). weight: one
/// rescaling factor per class; a weighted mean divides by the summed weights of the targets
/// that count, as PyTorch.
struct CrossEntropyFuncOptions {
  EMBER_ARG(Tensor, weight) = Tensor();
  EMBER_ARG(int64_t, ignore_index) = -100;
  EMBER_ARG(Reduction, reduction) = kMean;
  EMBER_ARG(double, label_smoothing) = 0.0;
};

/// F::nll_loss options (nn::NLLLossOptions is the same struct); weight as cross_entropy's.
struct NLLLossFuncOptions {
  EMBER_ARG(Tensor, weight) = Tensor();
  EMBER_ARG(int64_t, ignore_index) = -100;
  EMBER_ARG(Reduction, reduction) = kMean;
};

struct SoftmaxFuncOptions {
  SoftmaxFuncOptions(int64_t dim) : dim_(dim) {}  // NOLINT  F::softmax(x, 1)
  EMBER_ARG(int64_t, dim);
  EMBER_ARG(std::optional<ScalarType>, dtype) = std::nullopt;
};

struct LogSoftmaxFuncOptions {
  LogSoftmaxFuncOptions(int64_t dim) : dim_(dim) {}  // NOLINT  F::log_softmax(x, 1)
  EMBER_ARG(int64_t, dim);
  EMBER_ARG(std::optional<ScalarType>, dtype) = std::nullopt;
};

struct DropoutFuncOptions {
  EMBER_ARG(double, p) = 0.5;
  EMBER_ARG(bool, training) = true;
  EMBER_ARG(bool, inplace) = false;
};

/// Options of F::flatten (ember's own: LibTorch has only torch::flatten and nn::Flatten). The
/// defaults are nn::Flatten's: keep the batch dim, flatten the rest.
struct FlattenFuncOptions {
  EMBER_ARG(int64_t, start_dim) = 1;
  EMBER_ARG(int64_t, end_dim) = -1;
};

struct BatchNormFuncOptions {
  EMBER_ARG(Tensor, weight) = Tensor();
  EMBER_ARG(Tensor, bias) = Tensor();
  EMBER_ARG(bool, training) = false;
  EMBER_ARG(std::optional<double>, momentum) = 0.1;
  EMBER_ARG(double, eps) = 1e-5;
};

/// approximate: "none" (exact, with erf) or "tanh".
struct GELUFuncOptions {
  EMBER_ARG(std::string, approximate) = "none";
};

struct ReLUFuncOptions {
  ReLUFuncOptions(bool inplace = false) : inplace_(inplace) {}  // NOLINT
  EMBER_ARG(bool, inplace);
};

/// max(x, 0); with inplace, x itself is changed and returned.
EMBER_API Tensor relu(Tensor input, const ReLUFuncOptions& options = {});
/// input @ weight^T + bias; weight is (out_features, in_features).
EMBER_API Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias = {});
EMBER_API Tensor conv2d(const Tensor& input, const Tensor& weight, const Conv2dFuncOptions& options = {});
EMBER_API Tensor max_pool2d(const Tensor& input, const MaxPool2dFuncOptions& options);
/// (output, indices): what MaxPool2d's return_indices gives in PyTorch.
EMBER_API std::tuple<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input, const MaxPool2dFuncOptions& options);
EMBER_API Tensor softmax(const Tensor& input, const SoftmaxFuncOptions& options);
EMBER_API Tensor log_softmax(const Tensor& input, const LogSoftmaxFuncOptions& options);
/// Cross entropy of logits against int64 class indices: input (N, C) with target (N), input (C)
/// with a 0-dim target, or (N, C, d1, ...) with (N, d1, ...). Mean over non-ignored samples by
/// default.
EMBER_API Tensor cross_entropy(const Tensor& input, const Tensor& target, const CrossEntropyFuncOptions& options = {});
/// Negative log-likelihood of log-probabilities (the output of log_softmax).
EMBER_API Tensor nll_loss(const Tensor& input, const Tensor& target, const NLLLossFuncOptions& options = {});
EMBER_API Tensor dropout(Tensor input, const DropoutFuncOptions& options = {});
/// Batch norm over dim 1 of (N, C, ...). In training, batch statistics normalise and the
/// running statistics (when defined) are updated in place with the unbiased variance, as PyTorch.
EMBER_API Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                            const BatchNormFuncOptions& options = {});
EMBER_API Tensor gelu(const Tensor& input, const GELUFuncOptions& options = {});
EMBER_API Tensor flatten(const Tensor& input, const FlattenFuncOptions& options = {});

/// F::dropout2d: whole channels of (N, C, H, W) or unbatched (C, H, W) input.
using Dropout2dFuncOptions = DropoutFuncOptions;
EMBER_API Tensor dropout2d(Tensor input, const Dropout2dFuncOptions& options = {});

/// F::alpha_dropout. As LibTorch, training defaults to false here (F::dropout's is true).
struct AlphaDropoutFuncOptions {
  EMBER_ARG(double, p) = 0.5;
  EMBER_ARG(bool, training) = false;
  EMBER_ARG(bool, inplace) = false;
};
EMBER_API Tensor alpha_dropout(Tensor input, const AlphaDropoutFuncOptions& options = {});

/// F::embedding options (Embedding's, without the sizes).
struct EmbeddingFuncOptions {
  EMBER_ARG(std::optional<int64_t>, padding_idx) = std::nullopt;
  EMBER_ARG(std::optional<double>, max_norm) = std::nullopt;
  EMBER_ARG(double, norm_type) = 2.;
  EMBER_ARG(bool, scale_grad_by_freq) = false;
  EMBER_ARG(bool, sparse) = false;
};
/// The rows of `weight` at the integer `input`: shape input.sizes() + [weight.size(1)]. The
/// gradient reaches weight (repeated indices add up) except the padding_idx row. With
/// max_norm, the looked-up rows of weight are first renormalised in place (no gradient), as
/// LibTorch's.
EMBER_API Tensor embedding(const Tensor& input, const Tensor& weight, const EmbeddingFuncOptions& options = {});

}  // namespace functional
}  // namespace nn
}  // namespace ember

// The other losses' options and F:: forms (they use Reduction, above).
#include "ember/nn/functional/loss.h"
#include "ember/nn/functional/upsampling.h"
// layer_norm, group_norm, instance_norm and normalize.
#include "ember/nn/functional/normalization.h"
