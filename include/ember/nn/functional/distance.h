#pragma once
// Distances and one-hot codes, as LibTorch's: F::cosine_similarity and F::pairwise_distance with
// their option structs (torch::cosine_similarity / pairwise_distance as ATen spells them), and
// F::one_hot / torch::one_hot. Compositions of recorded ops: autograd and both devices come with
// them. The modules nn::CosineSimilarity and nn::PairwiseDistance are in ember/nn/distance.h.
// Included by ember/functional.h.
#include <cstdint>

#include "ember/arg.h"
#include "ember/tensor.h"

namespace ember {

/// sum(x1 / max(|x1|, eps) * x2 / max(|x2|, eps)) along dim, the norms taken along dim (PyTorch
/// 1.13's formula: each input divided by its norm first).
EMBER_API Tensor cosine_similarity(const Tensor& x1, const Tensor& x2, int64_t dim = 1, double eps = 1e-8);
/// The p-norm of x1 - x2 + eps along the last dim of the broadcast shape.
EMBER_API Tensor pairwise_distance(const Tensor& x1, const Tensor& x2, double p = 2, double eps = 1e-6,
                                   bool keepdim = false);
/// int64 codes of shape (*self.sizes(), num_classes) with a 1 at each class index; num_classes -1:
/// the largest index + 1.
EMBER_API Tensor one_hot(const Tensor& self, int64_t num_classes = -1);

namespace nn {

struct CosineSimilarityOptions {
  EMBER_ARG(int64_t, dim) = 1;
  EMBER_ARG(double, eps) = 1e-8;
};

struct PairwiseDistanceOptions {
  EMBER_ARG(double, p) = 2.0;
  EMBER_ARG(double, eps) = 1e-6;
  EMBER_ARG(bool, keepdim) = false;
};

namespace functional {

using CosineSimilarityFuncOptions = CosineSimilarityOptions;
using PairwiseDistanceFuncOptions = PairwiseDistanceOptions;

inline Tensor cosine_similarity(const Tensor& x1, const Tensor& x2, const CosineSimilarityFuncOptions& options = {}) {
  return ember::cosine_similarity(x1, x2, options.dim(), options.eps());
}
inline Tensor pairwise_distance(const Tensor& x1, const Tensor& x2, const PairwiseDistanceFuncOptions& options = {}) {
  return ember::pairwise_distance(x1, x2, options.p(), options.eps(), options.keepdim());
}
inline Tensor one_hot(const Tensor& tensor, int64_t num_classes = -1) { return ember::one_hot(tensor, num_classes); }

}  // namespace functional
}  // namespace nn
}  // namespace ember
