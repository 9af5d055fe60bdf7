#pragma once
// The activation modules, as LibTorch's (nn::SiLU, nn::LeakyReLU(LeakyReLUOptions().negative_slope(0.2)),
// nn::Softmax(1), ...): parameter-free, with LibTorch's options, `inplace` where LibTorch has it,
// and its printout. Their options and functional forms are in ember/nn/functional/activation.h.
// Included by ember/nn.h.
#include <iosfwd>

#include "ember/nn/functional/activation.h"
#include "ember/nn/module.h"
#include "ember/nn/pimpl.h"
#include "ember/tensor.h"

namespace ember {
namespace nn {

#define EMBER_ACTIVATION_WITH_OPTIONS(Name, Input)           \
  class EMBER_API Name##Impl : public Module {               \
   public:                                                   \
    explicit Name##Impl(const Name##Options& options_ = {}); \
    void reset();                                            \
    void pretty_print(std::ostream& stream) const override;  \
    Tensor forward(Input input);                             \
                                                             \
    Name##Options options;                                   \
  };                                                         \
  EMBER_MODULE(Name);

#define EMBER_ACTIVATION_WITH_DIM(Name)                                  \
  class EMBER_API Name##Impl : public Module {                           \
   public:                                                               \
    explicit Name##Impl(int64_t dim) : Name##Impl(Name##Options(dim)) {} \
    explicit Name##Impl(const Name##Options& options_);                  \
    void reset() {}                                                      \
    void pretty_print(std::ostream& stream) const override;              \
    Tensor forward(const Tensor& input);                                 \
                                                                         \
    Name##Options options;                                               \
  };                                                                     \
  EMBER_MODULE(Name);

#define EMBER_ACTIVATION_PLAIN(Name)                        \
  class EMBER_API Name##Impl : public Module {              \
   public:                                                  \
    void reset() {}                                         \
    void pretty_print(std::ostream& stream) const override; \
    Tensor forward(const Tensor& input);                    \
  };                                                        \
  EMBER_MODULE(Name);

/// alpha (exp(x) - 1) for x <= 0, x elsewhere.
EMBER_ACTIVATION_WITH_OPTIONS(ELU, Tensor)
/// The self-normalising ELU.
EMBER_ACTIVATION_WITH_OPTIONS(SELU, Tensor)
/// x clamped to [min_val, max_val] (max_val must exceed min_val).
EMBER_ACTIVATION_WITH_OPTIONS(Hardtanh, Tensor)
EMBER_ACTIVATION_WITH_OPTIONS(LeakyReLU, Tensor)
/// min(max(x, 0), 6).
EMBER_ACTIVATION_WITH_OPTIONS(ReLU6, Tensor)
EMBER_ACTIVATION_WITH_OPTIONS(CELU, Tensor)
/// The gated linear unit over options.dim().
EMBER_ACTIVATION_WITH_OPTIONS(GLU, const Tensor&)
EMBER_ACTIVATION_WITH_OPTIONS(Softplus, const Tensor&)
/// softmax, softmin (softmax of -x) and log_softmax over options.dim().
EMBER_ACTIVATION_WITH_DIM(Softmax)
EMBER_ACTIVATION_WITH_DIM(Softmin)
EMBER_ACTIVATION_WITH_DIM(LogSoftmax)
EMBER_ACTIVATION_PLAIN(SiLU)
EMBER_ACTIVATION_PLAIN(Mish)
EMBER_ACTIVATION_PLAIN(Sigmoid)
EMBER_ACTIVATION_PLAIN(Tanh)
EMBER_ACTIVATION_PLAIN(LogSigmoid)

#undef EMBER_ACTIVATION_WITH_OPTIONS
#undef EMBER_ACTIVATION_WITH_DIM
#undef EMBER_ACTIVATION_PLAIN

}  // namespace nn
}  // namespace ember
