#pragma once
// nn::init: in-place weight initialisers, as torch::nn::init. Each one fills the tensor
// without recording a graph and returns it, so `init::kaiming_normal_(w)` works on a
// parameter that requires grad.
//
// The nonlinearity and fan-mode arguments are spelt as in LibTorch: each is a tag constant
// (ember::kReLU, ember::kFanIn, ...) of its own type, and the argument is a std::variant of
// the tags it accepts, so `kaiming_normal_(w, 0.0, ember::kFanOut, ember::kReLU)` compiles
// as it does with torch::, and passing a tag the function does not take is a compile error.
#include <cstdint>
#include <tuple>
#include <variant>

#include "ember/tensor.h"

// The tags, listed once (the padding modes and conv paddings, kConstant ... kSame, are used by
// ember/nn/functional/padding.h and the conv options) (kSELU is ember's: LibTorch 1.13 has no SELU nonlinearity tag,
// while PyTorch's calculate_gain('selu') gives 3/4): each is an empty type enumtype::kName (operator== lets two
// variants holding tags be compared) and a constant ember::kName of that type.
#define EMBER_INIT_TAGS(X)                                                                                             \
  X(Linear)                                                                                                            \
  X(Conv1D)                                                                                                            \
  X(Conv2D) X(Conv3D) X(ConvTranspose1D) X(ConvTranspose2D) X(ConvTranspose3D) X(Sigmoid) X(Tanh) X(ReLU) X(LeakyReLU) \
      X(SELU) X(FanIn) X(FanOut) X(Constant) X(Reflect) X(Replicate) X(Circular) X(Zeros) X(Valid) X(Same)

namespace ember {
namespace enumtype {
#define EMBER_INIT_TAG_TYPE(Name)                              \
  struct k##Name {                                             \
    constexpr bool operator==(k##Name) const { return true; }  \
    constexpr bool operator!=(k##Name) const { return false; } \
  };
EMBER_INIT_TAGS(EMBER_INIT_TAG_TYPE)
#undef EMBER_INIT_TAG_TYPE
}  // namespace enumtype

#define EMBER_INIT_TAG_CONSTANT(Name) constexpr enumtype::k##Name k##Name{};
EMBER_INIT_TAGS(EMBER_INIT_TAG_CONSTANT)
#undef EMBER_INIT_TAG_CONSTANT
#undef EMBER_INIT_TAGS

namespace nn {
namespace init {

using NonlinearityType =
    std::variant<enumtype::kLinear, enumtype::kConv1D, enumtype::kConv2D, enumtype::kConv3D, enumtype::kConvTranspose1D,
                 enumtype::kConvTranspose2D, enumtype::kConvTranspose3D, enumtype::kSigmoid, enumtype::kTanh,
                 enumtype::kReLU, enumtype::kLeakyReLU, enumtype::kSELU>;
using FanModeType = std::variant<enumtype::kFanIn, enumtype::kFanOut>;

/// The recommended gain for a nonlinearity: 1 for linear/conv/sigmoid, 5/3 for tanh,
/// sqrt(2) for ReLU, sqrt(2 / (1 + param^2)) for leaky ReLU with negative slope `param`, and
/// (ember's extra, as PyTorch's Python) 3/4 for SELU.
EMBER_API double calculate_gain(NonlinearityType nonlinearity, double param = 0.01);

/// (fan_in, fan_out) of a weight of at least 2 dims: dim 1 and dim 0 sizes, each times the
/// receptive field (the product of the remaining dims), so a conv weight [out, in, kH, kW]
/// has fan_in = in * kH * kW.
EMBER_API std::tuple<int64_t, int64_t> _calculate_fan_in_and_fan_out(const Tensor& tensor);

EMBER_API Tensor constant_(Tensor tensor, Scalar value);
EMBER_API Tensor ones_(Tensor tensor);
EMBER_API Tensor zeros_(Tensor tensor);
/// Fills with N(mean, std^2).
EMBER_API Tensor normal_(Tensor tensor, double mean = 0, double std = 1);
/// Fills with U(low, high).
EMBER_API Tensor uniform_(Tensor tensor, double low = 0, double high = 1);
/// The 2-D identity (rectangular matrices get ones on the main diagonal).
EMBER_API Tensor eye_(Tensor matrix);
/// He et al.: N(0, std^2) with std = gain(nonlinearity, a) / sqrt(fan). The defaults give
/// std = sqrt(2 / fan_in) (leaky ReLU with a = 0 has ReLU's gain).
EMBER_API Tensor kaiming_normal_(Tensor tensor, double a = 0, FanModeType mode = kFanIn,
                                 NonlinearityType nonlinearity = kLeakyReLU);
/// He et al.: U(-bound, bound) with bound = sqrt(3) * gain(nonlinearity, a) / sqrt(fan).
EMBER_API Tensor kaiming_uniform_(Tensor tensor, double a = 0, FanModeType mode = kFanIn,
                                  NonlinearityType nonlinearity = kLeakyReLU);
/// Glorot & Bengio: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out)).
EMBER_API Tensor xavier_normal_(Tensor tensor, double gain = 1.0);
/// Glorot & Bengio: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)).
EMBER_API Tensor xavier_uniform_(Tensor tensor, double gain = 1.0);
/// The Dirac delta of a 3-, 4- or 5-D convolution weight [out, in, k...]: 1 at the centre of
/// the kernel for each channel pair (i, i), i < min(out, in), 0 elsewhere, so the convolution
/// passes its input through (as LibTorch's, without Python's `groups`).
EMBER_API Tensor dirac_(Tensor tensor);
/// A (semi-)orthogonal matrix times gain, from the QR decomposition of a N(0, 1) matrix of
/// (size(0), numel / size(0)) (Saxe et al.); dims past the first are flattened. The QR is a
/// Householder factorisation on the host in float64, signed so that R has a positive diagonal
/// (LibTorch's "make Q uniform" step), so the result is the one LibTorch computes from the same
/// random draws.
EMBER_API Tensor orthogonal_(Tensor tensor, double gain = 1.0);
/// A 2-D matrix whose every column has ceil(sparsity * rows) zeros at random rows and N(0, std^2)
/// values elsewhere (Martens).
EMBER_API Tensor sparse_(Tensor tensor, double sparsity, double std = 0.01);
/// ember's extra (LibTorch 1.13's C++ API has no trunc_normal_): PyTorch's
/// torch.nn.init.trunc_normal_, N(mean, std^2) truncated to [a, b] by inverse-CDF sampling of a
/// uniform draw, then clamped into [a, b].
EMBER_API Tensor trunc_normal_(Tensor tensor, double mean = 0., double std = 1., double a = -2., double b = 2.);

}  // namespace init
}  // namespace nn
}  // namespace ember
