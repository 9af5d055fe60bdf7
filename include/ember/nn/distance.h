#pragma once
// The distance layers, as LibTorch's nn::CosineSimilarity and nn::PairwiseDistance; their
// functional forms are in ember/nn/functional/distance.h. Included by ember/nn.h.
#include <iosfwd>

#include "ember/nn/functional/distance.h"
#include "ember/nn/options_module.h"

namespace ember {
namespace nn {

EMBER_LAYER(CosineSimilarity, OptionsModule<CosineSimilarityOptions>,
            Tensor forward(const Tensor& input1, const Tensor& input2););
EMBER_LAYER(PairwiseDistance, OptionsModule<PairwiseDistanceOptions>,
            Tensor forward(const Tensor& input1, const Tensor& input2););

}  // namespace nn
}  // namespace ember
