#pragma once
// The losses beyond cross_entropy and nll_loss (whose options are in ember/functional.h), as
// LibTorch has them: options structs in nn:: (MSELossOptions(kSum), ...) with the functional
// aliases (F::MSELossFuncOptions = nn::MSELossOptions, ...), and F::mse_loss, F::l1_loss,
// F::smooth_l1_loss, F::huber_loss, F::binary_cross_entropy, F::binary_cross_entropy_with_logits,
// F::kl_div, F::margin_ranking_loss, F::cosine_embedding_loss. The modules (nn::MSELoss, ...)
// are in ember/nn/loss.h. Included by ember/functional.h, after the Reduction enum.
#include <optional>

#include "ember/arg.h"
#include "ember/tensor.h"

namespace ember {

/// LibTorch's torch::kBatchMean, which only kl_div takes: the sum divided by the batch size.
struct BatchMeanReduction {};
constexpr BatchMeanReduction kBatchMean{};

namespace nn {

// The options whose only argument could be the reduction take it in their constructor, as
// LibTorch's (MSELoss(kSum)).
#define EMBER_REDUCTION_CTOR(Options) \
  Options() = default;                \
  Options(Reduction reduction) : reduction_(reduction) {}  // NOLINT  implicit, as LibTorch's

struct L1LossOptions {
  EMBER_REDUCTION_CTOR(L1LossOptions)
  EMBER_ARG(Reduction, reduction) = kMean;
};

struct MSELossOptions {
  EMBER_REDUCTION_CTOR(MSELossOptions)
  EMBER_ARG(Reduction, reduction) = kMean;
};

struct SmoothL1LossOptions {
  EMBER_REDUCTION_CTOR(SmoothL1LossOptions)
  EMBER_ARG(Reduction, reduction) = kMean;
  EMBER_ARG(double, beta) = 1.0;
};

struct HuberLossOptions {
  EMBER_REDUCTION_CTOR(HuberLossOptions)
  EMBER_ARG(Reduction, reduction) = kMean;
  EMBER_ARG(double, delta) = 1.0;
};

/// weight rescales each element's loss (broadcast to the target's shape).
struct BCELossOptions {
  EMBER_ARG(Tensor, weight) = {};
  EMBER_ARG(Reduction, reduction) = kMean;
};

/// weight rescales each element's loss; pos_weight (broadcast over the last dim: one per class)
/// rescales the positive term.
struct BCEWithLogitsLossOptions {
  EMBER_ARG(Tensor, weight) = {};
  EMBER_ARG(Reduction, reduction) = kMean;
  EMBER_ARG(Tensor, pos_weight) = {};
};

/// kl_div's reduction: kNone, kBatchMean, kSum or kMean (LibTorch's variant of the four).
class KLDivReduction {
 public:
  KLDivReduction(Reduction reduction) : reduction_(reduction) {}  // NOLINT  implicit, as the variant
  KLDivReduction(BatchMeanReduction) : batchmean_(true) {}        // NOLINT
  bool is_batchmean() const { return batchmean_; }
  /// The reduction of the elementwise losses (a sum for batchmean, then divided by the batch).
  Reduction reduction() const { return batchmean_ ? kSum : reduction_; }

 private:
  Reduction reduction_ = kMean;
  bool batchmean_ = false;
};

struct KLDivLossOptions {
  KLDivLossOptions() = default;
  KLDivLossOptions(Reduction reduction) : reduction_(reduction) {}           // NOLINT
  KLDivLossOptions(BatchMeanReduction reduction) : reduction_(reduction) {}  // NOLINT
  EMBER_ARG(KLDivReduction, reduction) = kMean;
  /// Whether target holds log-probabilities.
  EMBER_ARG(bool, log_target) = false;
};

struct MarginRankingLossOptions {
  EMBER_ARG(double, margin) = 0;
  EMBER_ARG(Reduction, reduction) = kMean;
};

struct CosineEmbeddingLossOptions {
  EMBER_ARG(double, margin) = 0.0;
  EMBER_ARG(Reduction, reduction) = kMean;
};

#undef EMBER_REDUCTION_CTOR

namespace functional {

using MSELossFuncOptions = MSELossOptions;
/// (input - target)^2, input and target broadcast together.
EMBER_API Tensor mse_loss(const Tensor& input, const Tensor& target, const MSELossFuncOptions& options = {});

using L1LossFuncOptions = L1LossOptions;
/// |input - target|, input and target broadcast together.
EMBER_API Tensor l1_loss(const Tensor& input, const Tensor& target, const L1LossFuncOptions& options = {});

using SmoothL1LossFuncOptions = SmoothL1LossOptions;
/// 0.5 d^2 / beta where |d| < beta, |d| - 0.5 beta elsewhere (d = input - target). LibTorch 1.13
/// takes beta from the trailing argument and ignores options.beta() here (its module reads
/// options.beta()); ember takes the argument when given and options.beta() otherwise.
EMBER_API Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, const SmoothL1LossFuncOptions& options = {},
                                std::optional<double> beta = std::nullopt);

using HuberLossFuncOptions = HuberLossOptions;
/// 0.5 d^2 where |d| < delta, delta (|d| - 0.5 delta) elsewhere.
EMBER_API Tensor huber_loss(const Tensor& input, const Tensor& target, const HuberLossFuncOptions& options = {});

using BinaryCrossEntropyFuncOptions = BCELossOptions;
/// -weight (target log(input) + (1 - target) log(1 - input)), the logs clamped at -100 as
/// PyTorch's; input (probabilities in [0, 1]) and target must have the same shape.
EMBER_API Tensor binary_cross_entropy(const Tensor& input, const Tensor& target,
                                      const BinaryCrossEntropyFuncOptions& options = {});

using BinaryCrossEntropyWithLogitsFuncOptions = BCEWithLogitsLossOptions;
/// binary_cross_entropy(sigmoid(input), target) in the stable form
/// (1 - target) input - (1 + (pos_weight - 1) target) log_sigmoid(input).
EMBER_API Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                                  const BinaryCrossEntropyWithLogitsFuncOptions& options = {});

using KLDivFuncOptions = KLDivLossOptions;
/// target (log(target) - input) (or exp(target) (target - input) with log_target); input holds
/// log-probabilities. kBatchMean divides the sum by input.size(0).
EMBER_API Tensor kl_div(const Tensor& input, const Tensor& target, const KLDivFuncOptions& options = {});

using MarginRankingLossFuncOptions = MarginRankingLossOptions;
/// max(0, -target (input1 - input2) + margin); all three must have the same number of dims.
EMBER_API Tensor margin_ranking_loss(const Tensor& input1, const Tensor& input2, const Tensor& target,
                                     const MarginRankingLossFuncOptions& options = {});

using CosineEmbeddingLossFuncOptions = CosineEmbeddingLossOptions;
/// 1 - cos(input1, input2) where target == 1, max(0, cos - margin) where target == -1; inputs
/// (N, D) with target (N), or (D) with a 0-dim target.
EMBER_API Tensor cosine_embedding_loss(const Tensor& input1, const Tensor& input2, const Tensor& target,
                                       const CosineEmbeddingLossFuncOptions& options = {});

}  // namespace functional
}  // namespace nn
}  // namespace ember
