#pragma once
// nn::EmbeddingBag, as LibTorch 1.13's torch::nn::EmbeddingBag: a table whose forward reduces
// bags of looked-up rows (F::embedding_bag, ember/nn/functional/embedding_bag.h).
#include <optional>
#include <ostream>

#include "ember/nn/functional/embedding_bag.h"
#include "ember/nn/module.h"
#include "ember/nn/pimpl.h"

namespace ember {
namespace nn {

/// EmbeddingBag(num_embeddings, embedding_dim): as EmbeddingOptions, plus the bag reduction
/// (mode, kMean by default) and include_last_offset.
struct EmbeddingBagOptions {
  EmbeddingBagOptions(int64_t num_embeddings, int64_t embedding_dim)
      : num_embeddings_(num_embeddings), embedding_dim_(embedding_dim) {}
  EMBER_ARG(int64_t, num_embeddings);
  EMBER_ARG(int64_t, embedding_dim);
  EMBER_ARG(std::optional<double>, max_norm) = std::nullopt;
  EMBER_ARG(double, norm_type) = 2.;
  EMBER_ARG(bool, scale_grad_by_freq) = false;
  EMBER_ARG(EmbeddingBagMode, mode) = kMean;
  EMBER_ARG(bool, sparse) = false;
  EMBER_ARG(Tensor, _weight) = Tensor();
  EMBER_ARG(bool, include_last_offset) = false;
  EMBER_ARG(std::optional<int64_t>, padding_idx) = std::nullopt;
};

/// EmbeddingBag::from_pretrained's options: freeze (the default) makes the table not require grad.
struct EmbeddingBagFromPretrainedOptions {
  EMBER_ARG(bool, freeze) = true;
  EMBER_ARG(std::optional<double>, max_norm) = std::nullopt;
  EMBER_ARG(double, norm_type) = 2.;
  EMBER_ARG(bool, scale_grad_by_freq) = false;
  EMBER_ARG(EmbeddingBagMode, mode) = kMean;
  EMBER_ARG(bool, sparse) = false;
  EMBER_ARG(bool, include_last_offset) = false;
  EMBER_ARG(std::optional<int64_t>, padding_idx) = std::nullopt;
};

/// EmbeddingBag: a table `weight` (num_embeddings, embedding_dim) initialised N(0, 1) (the
/// padding_idx row zeroed); forward(input, offsets, per_sample_weights) gives one reduced row
/// per bag.
class EMBER_API EmbeddingBagImpl : public Module {
 public:
  EmbeddingBagImpl(int64_t num_embeddings, int64_t embedding_dim)
      : EmbeddingBagImpl(EmbeddingBagOptions(num_embeddings, embedding_dim)) {}
  explicit EmbeddingBagImpl(EmbeddingBagOptions options_);
  /// Checks the options, registers the weight (options._weight when given) and initialises it.
  void reset();
  void reset_parameters();
  void pretty_print(std::ostream& stream) const override;
  Tensor forward(const Tensor& input, const Tensor& offsets = {}, const Tensor& per_sample_weights = {});

  EmbeddingBagOptions options;
  Tensor weight;
};

/// The holder, with LibTorch's EmbeddingBag::from_pretrained.
class EmbeddingBag : public ModuleHolder<EmbeddingBagImpl> {
 public:
  using ModuleHolder<EmbeddingBagImpl>::ModuleHolder;
  using Impl = EmbeddingBagImpl;
  /// An EmbeddingBag whose table is `embeddings` (2-D, used as is, not copied); with freeze
  /// (the default) it does not require grad.
  static EMBER_API EmbeddingBag from_pretrained(const Tensor& embeddings,
                                                const EmbeddingBagFromPretrainedOptions& options = {});
};

}  // namespace nn
}  // namespace ember
