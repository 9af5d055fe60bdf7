#pragma once
// The loss modules, as LibTorch's: nn::MSELoss(kSum), nn::CrossEntropyLoss(CrossEntropyLossOptions()
// .label_smoothing(0.1)), ... Each holds its options (and, as LibTorch's, registers its class or
// element weights as buffers) and forwards to the functional form. Options and functional forms are
// in ember/functional.h and ember/nn/functional/loss.h. Included by ember/nn.h.
#include <iosfwd>

#include "ember/functional.h"
#include "ember/nn/options_module.h"
#include "ember/tensor.h"

namespace ember {
namespace nn {

/// The options of nn::CrossEntropyLoss and nn::NLLLoss are the functional ones (LibTorch's
/// CrossEntropyFuncOptions is an alias of CrossEntropyLossOptions).
using CrossEntropyLossOptions = functional::CrossEntropyFuncOptions;
using NLLLossOptions = functional::NLLLossFuncOptions;

/// Mean squared error.
EMBER_LAYER(MSELoss, OptionsModule<MSELossOptions>, Tensor forward(const Tensor& input, const Tensor& target););
/// Mean absolute error.
EMBER_LAYER(L1Loss, OptionsModule<L1LossOptions>, Tensor forward(const Tensor& input, const Tensor& target););
EMBER_LAYER(SmoothL1Loss, OptionsModule<SmoothL1LossOptions>,
            Tensor forward(const Tensor& input, const Tensor& target););
EMBER_LAYER(HuberLoss, OptionsModule<HuberLossOptions>, Tensor forward(const Tensor& input, const Tensor& target););
EMBER_LAYER(KLDivLoss, OptionsModule<KLDivLossOptions>, Tensor forward(const Tensor& input, const Tensor& target););
EMBER_LAYER(MarginRankingLoss, OptionsModule<MarginRankingLossOptions>,
            Tensor forward(const Tensor& input1, const Tensor& input2, const Tensor& target););
EMBER_LAYER(CosineEmbeddingLoss, OptionsModule<CosineEmbeddingLossOptions>,
            Tensor forward(const Tensor& input1, const Tensor& input2, const Tensor& target););

// The weighted losses register their weights as buffers (so that to(device) moves them), as
// LibTorch's; forward reads the buffers.
/// Binary cross entropy of probabilities.
EMBER_LAYER(BCELoss, OptionsModule<BCELossOptions>, Tensor forward(const Tensor& input, const Tensor& target);
            void reset(); Tensor weight;);
/// Binary cross entropy of logits (the stable form).
EMBER_LAYER(BCEWithLogitsLoss, OptionsModule<BCEWithLogitsLossOptions>,
            Tensor forward(const Tensor& input, const Tensor& target);
            void reset(); Tensor weight; Tensor pos_weight;);
EMBER_LAYER(NLLLoss, OptionsModule<NLLLossOptions>, Tensor forward(const Tensor& input, const Tensor& target);
            void reset(); Tensor weight;);
EMBER_LAYER(CrossEntropyLoss, OptionsModule<CrossEntropyLossOptions>,
            Tensor forward(const Tensor& input, const Tensor& target);
            void reset(); Tensor weight;);

}  // namespace nn
}  // namespace ember
