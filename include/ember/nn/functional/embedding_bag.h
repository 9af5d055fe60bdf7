#pragma once
// F::embedding_bag with LibTorch 1.13's EmbeddingBagFuncOptions, ATen's torch::embedding_bag (the
// four outputs), and the mode tag kMax. The module is in ember/nn/embedding_bag.h.
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>

#include "ember/arg.h"
#include "ember/enum.h"
#include "ember/functional.h"
#include "ember/tensor.h"

namespace ember {
namespace enumtype {
/// LibTorch's torch::kMax, which only EmbeddingBag's mode takes (kSum and kMean are ember's
/// Reduction values, which the mode also takes).
struct kMax {
  constexpr bool operator==(kMax) const { return true; }
  constexpr bool operator!=(kMax) const { return false; }
  static constexpr const char* name() { return "Max"; }
};
}  // namespace enumtype
constexpr enumtype::kMax kMax{};

namespace nn {

/// EmbeddingBag's mode: kSum, kMean or kMax (LibTorch's variant of the three tags). kNone
/// converts too, as it is a Reduction, and is refused where the mode is used.
class EmbeddingBagMode {
 public:
  EmbeddingBagMode(Reduction reduction) : mode_(reduction == kSum ? 0 : reduction == kMean ? 1 : -1) {}  // NOLINT
  EmbeddingBagMode(enumtype::kMax) : mode_(2) {}                                                         // NOLINT
  /// ATen's mode number: 0 sum, 1 mean, 2 max (-1: not a mode).
  int64_t mode_enum() const { return mode_; }
  bool operator==(const EmbeddingBagMode& other) const { return mode_ == other.mode_; }
  bool operator!=(const EmbeddingBagMode& other) const { return mode_ != other.mode_; }

 private:
  int64_t mode_;
};
/// "kSum", "kMean" or "kMax", as torch::enumtype::get_enum_name prints the mode.
EMBER_API std::string get_enum_name(const EmbeddingBagMode& mode);

namespace functional {

struct EmbeddingBagFuncOptions {
  /// 1-D input: where each bag starts (int64 or int32, offsets[0] == 0). 2-D input: none (each
  /// row is one bag).
  EMBER_ARG(Tensor, offsets) = Tensor();
  EMBER_ARG(std::optional<double>, max_norm) = std::nullopt;
  EMBER_ARG(double, norm_type) = 2.;
  EMBER_ARG(bool, scale_grad_by_freq) = false;
  EMBER_ARG(EmbeddingBagMode, mode) = kMean;
  EMBER_ARG(bool, sparse) = false;
  /// One weight per index (mode kSum only), of the input's shape and the table's dtype.
  EMBER_ARG(Tensor, per_sample_weights) = Tensor();
  /// offsets has one more entry than there are bags: the end of the last one.
  EMBER_ARG(bool, include_last_offset) = false;
  EMBER_ARG(std::optional<int64_t>, padding_idx) = std::nullopt;
};

/// The sums, means or maxima of bags of rows of `weight`: (bags, embedding_dim). An empty bag
/// (or one of padding_idx entries only) gives zeros. scale_grad_by_freq and sparse gradients are
/// not supported (true throws), as for F::embedding.
EMBER_API Tensor embedding_bag(const Tensor& input, const Tensor& weight, const EmbeddingBagFuncOptions& options = {});

}  // namespace functional
}  // namespace nn

/// ATen's torch::embedding_bag(weight, indices (1-D), offsets, scale_grad_by_freq, mode (0 sum,
/// 1 mean, 2 max), sparse, per_sample_weights, include_last_offset, padding_idx): (output,
/// offset2bag, bag_size, max_indices), as PyTorch's CPU kernel fills them.
EMBER_API std::tuple<Tensor, Tensor, Tensor, Tensor> embedding_bag(
    const Tensor& weight, const Tensor& indices, const Tensor& offsets, bool scale_grad_by_freq = false,
    int64_t mode = 0, bool sparse = false, const Tensor& per_sample_weights = {}, bool include_last_offset = false,
    std::optional<int64_t> padding_idx = std::nullopt);

}  // namespace ember
