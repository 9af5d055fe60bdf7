#pragma once
// The loss modules, as LibTorch's: nn::MSELoss(kSum), nn::CrossEntropyLoss(CrossEntropyLossOptions()
// .label_smoothing(0.1)), ... Each holds its options (and, as LibTorch's, registers its class or
// element weights as buffers) and forwards to the functional form. Options and functional forms are
// in ember/functional.h and ember/nn/functional/loss.h. Included by ember/nn.h.
#include <iosfwd>

#include "ember/functional.h"
#include "ember/nn/module.h"
#include "ember/nn/pimpl.h"
#include "ember/tensor.h"

namespace ember {
namespace nn {

/// The options of nn::CrossEntropyLoss and nn::NLLLoss are the functional ones (LibTorch's
/// CrossEntropyFuncOptions is an alias of CrossEntropyLossOptions).
using CrossEntropyLossOptions = functional::CrossEntropyFuncOptions;
using NLLLossOptions = functional::NLLLossFuncOptions;

#define EMBER_LOSS_MODULE(Name, ...)                        \
  class EMBER_API Name##Impl : public Module {              \
   public:                                                  \
    explicit Name##Impl(Name##Options options_ = {});       \
    void reset();                                           \
    void pretty_print(std::ostream& stream) const override; \
    Tensor forward(__VA_ARGS__);                            \
                                                            \
    Name##Options options;

/// Mean squared error.
EMBER_LOSS_MODULE(MSELoss, const Tensor& input, const Tensor& target)
};
EMBER_MODULE(MSELoss);

/// Mean absolute error.
EMBER_LOSS_MODULE(L1Loss, const Tensor& input, const Tensor& target)
};
EMBER_MODULE(L1Loss);

EMBER_LOSS_MODULE(SmoothL1Loss, const Tensor& input, const Tensor& target)
}
;
EMBER_MODULE(SmoothL1Loss);

EMBER_LOSS_MODULE(HuberLoss, const Tensor& input, const Tensor& target)
}
;
EMBER_MODULE(HuberLoss);

/// Binary cross entropy of probabilities.
EMBER_LOSS_MODULE(BCELoss, const Tensor& input, const Tensor& target)
Tensor weight;  // buffer "weight" (undefined without one)
}
;
EMBER_MODULE(BCELoss);

/// Binary cross entropy of logits (the stable form).
EMBER_LOSS_MODULE(BCEWithLogitsLoss, const Tensor& input, const Tensor& target)
Tensor weight;      // buffer "weight"
Tensor pos_weight;  // buffer "pos_weight"
}
;
EMBER_MODULE(BCEWithLogitsLoss);

EMBER_LOSS_MODULE(NLLLoss, const Tensor& input, const Tensor& target)
Tensor weight;  // buffer "weight"
}
;
EMBER_MODULE(NLLLoss);

EMBER_LOSS_MODULE(CrossEntropyLoss, const Tensor& input, const Tensor& target)
Tensor weight;  // buffer "weight"
}
;
EMBER_MODULE(CrossEntropyLoss);

EMBER_LOSS_MODULE(KLDivLoss, const Tensor& input, const Tensor& target)
}
;
EMBER_MODULE(KLDivLoss);

EMBER_LOSS_MODULE(MarginRankingLoss, const Tensor& input1, const Tensor& input2, const Tensor& target)
}
;
EMBER_MODULE(MarginRankingLoss);

EMBER_LOSS_MODULE(CosineEmbeddingLoss, const Tensor& input1, const Tensor& input2, const Tensor& target)
}
;
EMBER_MODULE(CosineEmbeddingLoss);

#undef EMBER_LOSS_MODULE

}  // namespace nn
}  // namespace ember
