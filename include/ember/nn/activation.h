#pragma once
// The activation modules, as LibTorch's (nn::SiLU, nn::LeakyReLU(LeakyReLUOptions().negative_slope(0.2)),
// nn::Softmax(1), ...): parameter-free, with LibTorch's options, `inplace` where LibTorch has it,
// and its printout. Their options and functional forms are in ember/nn/functional/activation.h.
// Included by ember/nn.h.
#include <iosfwd>

#include "ember/nn/functional/activation.h"
#include "ember/nn/options_module.h"
#include "ember/tensor.h"

namespace ember {
namespace nn {

/// alpha (exp(x) - 1) for x <= 0, x elsewhere.
EMBER_LAYER(ELU, OptionsModule<ELUOptions>, Tensor forward(Tensor input););
/// The self-normalising ELU.
EMBER_LAYER(SELU, OptionsModule<SELUOptions>, Tensor forward(Tensor input););
/// x clamped to [min_val, max_val] (max_val must exceed min_val).
EMBER_LAYER(Hardtanh, OptionsModule<HardtanhOptions>, Tensor forward(Tensor input); void reset(););
EMBER_LAYER(LeakyReLU, OptionsModule<LeakyReLUOptions>, Tensor forward(Tensor input););
/// min(max(x, 0), 6).
EMBER_LAYER(ReLU6, OptionsModule<ReLU6Options>, Tensor forward(Tensor input););
EMBER_LAYER(CELU, OptionsModule<CELUOptions>, Tensor forward(Tensor input););
/// The gated linear unit over options.dim().
EMBER_LAYER(GLU, OptionsModule<GLUOptions>, Tensor forward(const Tensor& input););
EMBER_LAYER(Softplus, OptionsModule<SoftplusOptions>, Tensor forward(const Tensor& input););
/// softmax, softmin (softmax of -x) and log_softmax over options.dim().
EMBER_LAYER(Softmax, OptionsModule<SoftmaxOptions>, Tensor forward(const Tensor& input););
EMBER_LAYER(Softmin, OptionsModule<SoftminOptions>, Tensor forward(const Tensor& input););
EMBER_LAYER(LogSoftmax, OptionsModule<LogSoftmaxOptions>, Tensor forward(const Tensor& input););
EMBER_LAYER(SiLU, LayerBase, Tensor forward(const Tensor& input););
EMBER_LAYER(Mish, LayerBase, Tensor forward(const Tensor& input););
EMBER_LAYER(Sigmoid, LayerBase, Tensor forward(const Tensor& input););
EMBER_LAYER(Tanh, LayerBase, Tensor forward(const Tensor& input););
EMBER_LAYER(LogSigmoid, LayerBase, Tensor forward(const Tensor& input););
EMBER_LAYER(Threshold, OptionsModule<ThresholdOptions>, Tensor forward(Tensor input););
EMBER_LAYER(Hardshrink, OptionsModule<HardshrinkOptions>, Tensor forward(const Tensor& input););
EMBER_LAYER(Softshrink, OptionsModule<SoftshrinkOptions>, Tensor forward(const Tensor& input); void reset(););
EMBER_LAYER(Softsign, LayerBase, Tensor forward(const Tensor& input););
EMBER_LAYER(Tanhshrink, LayerBase, Tensor forward(const Tensor& input););
/// max(0, x) + weight min(0, x) with learnt slopes `weight` (num_parameters of them).
EMBER_LAYER(PReLU, OptionsModule<PReLUOptions>, Tensor forward(const Tensor& input); void reset(); Tensor weight;);

}  // namespace nn
}  // namespace ember
