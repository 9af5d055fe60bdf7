#pragma once
// The activations, as LibTorch has them in three places:
//   - free functions (torch::silu, torch::leaky_relu_, torch::hardswish, ...) in namespace ember;
//   - their options (nn::LeakyReLUOptions, ...) with the functional aliases
//     (F::LeakyReLUFuncOptions = nn::LeakyReLUOptions, as LibTorch's);
//   - F::silu, F::leaky_relu(x, F::LeakyReLUFuncOptions().negative_slope(0.2)), ...
// The modules (nn::SiLU, nn::LeakyReLU, ...) are in ember/nn/activation.h. Each activation is one
// pointwise op with one autograd node of LibTorch's name (SiluBackward0, LeakyReluBackward0, ...).
// Included by ember/functional.h.
#include <cstdint>
#include <optional>
#include <string>

#include "ember/arg.h"
#include "ember/tensor.h"

namespace ember {

/// x sigmoid(x).
EMBER_API Tensor silu(const Tensor& x);
EMBER_API Tensor& silu_(Tensor& x);
/// x tanh(softplus(x)).
EMBER_API Tensor mish(const Tensor& x);
EMBER_API Tensor& mish_(Tensor& x);
/// x where x > 0, negative_slope x elsewhere.
EMBER_API Tensor leaky_relu(const Tensor& x, const Scalar& negative_slope = 0.01);
EMBER_API Tensor& leaky_relu_(Tensor& x, const Scalar& negative_slope = 0.01);
/// scale x where x > 0, scale alpha (exp(input_scale x) - 1) elsewhere.
EMBER_API Tensor elu(const Tensor& x, const Scalar& alpha = 1, const Scalar& scale = 1, const Scalar& input_scale = 1);
EMBER_API Tensor& elu_(Tensor& x, const Scalar& alpha = 1, const Scalar& scale = 1, const Scalar& input_scale = 1);
/// elu with PyTorch's fixed alpha = 1.6732632... and scale = 1.0507009... (node EluBackward0).
EMBER_API Tensor selu(const Tensor& x);
EMBER_API Tensor& selu_(Tensor& x);
/// max(0, x) + min(0, alpha (exp(x / alpha) - 1)); alpha must not be 0.
EMBER_API Tensor celu(const Tensor& x, const Scalar& alpha = 1.0);
EMBER_API Tensor& celu_(Tensor& x, const Scalar& alpha = 1.0);
/// log(1 + exp(beta x)) / beta, and x where beta x > threshold.
EMBER_API Tensor softplus(const Tensor& x, const Scalar& beta = 1, const Scalar& threshold = 20);
/// x clamped to [min_val, max_val]; the gradient is 0 at and beyond the bounds.
EMBER_API Tensor hardtanh(const Tensor& x, const Scalar& min_val = -1, const Scalar& max_val = 1);
EMBER_API Tensor& hardtanh_(Tensor& x, const Scalar& min_val = -1, const Scalar& max_val = 1);
/// hardtanh(x, 0, 6) (node HardtanhBackward0, as LibTorch's).
EMBER_API Tensor relu6(const Tensor& x);
EMBER_API Tensor& relu6_(Tensor& x);
/// x min(max(x + 3, 0), 6) / 6.
EMBER_API Tensor hardswish(const Tensor& x);
EMBER_API Tensor& hardswish_(Tensor& x);
/// min(max(x + 3, 0), 6) / 6.
EMBER_API Tensor hardsigmoid(const Tensor& x);
EMBER_API Tensor& hardsigmoid_(Tensor& x);
/// log(sigmoid(x)), without overflow for large |x|.
EMBER_API Tensor log_sigmoid(const Tensor& x);
/// x Phi(x) (approximate "none", with erf) or its tanh approximation (approximate "tanh").
EMBER_API Tensor gelu(const Tensor& x, const std::string& approximate = "none");
EMBER_API Tensor& gelu_(Tensor& x, const std::string& approximate = "none");
/// The gated linear unit a sigmoid(b), a and b the halves of x along dim (whose size must be even).
EMBER_API Tensor glu(const Tensor& x, int64_t dim = -1);
/// x where x > threshold, value elsewhere; the gradient passes where x > threshold.
EMBER_API Tensor threshold(const Tensor& x, const Scalar& threshold, const Scalar& value);
EMBER_API Tensor& threshold_(Tensor& x, const Scalar& threshold, const Scalar& value);
/// x where |x| > lambd, 0 elsewhere.
EMBER_API Tensor hardshrink(const Tensor& x, const Scalar& lambd = 0.5);
/// x - lambd above lambd, x + lambd below -lambd, 0 between (lambd >= 0).
EMBER_API Tensor softshrink(const Tensor& x, const Scalar& lambd = 0.5);
/// x where x > 0, weight x elsewhere; weight holds one value or one per channel (dim 1).
EMBER_API Tensor prelu(const Tensor& x, const Tensor& weight);

namespace nn {

struct ELUOptions {
  EMBER_ARG(double, alpha) = 1.0;
  EMBER_ARG(bool, inplace) = false;
};

struct SELUOptions {
  SELUOptions(bool inplace = false) : inplace_(inplace) {}  // NOLINT  SELU(true)
  EMBER_ARG(bool, inplace);
};

struct GLUOptions {
  GLUOptions(int64_t dim = -1) : dim_(dim) {}  // NOLINT  GLU(1)
  EMBER_ARG(int64_t, dim);
};

struct HardtanhOptions {
  EMBER_ARG(double, min_val) = -1.0;
  EMBER_ARG(double, max_val) = 1.0;
  EMBER_ARG(bool, inplace) = false;
};

struct LeakyReLUOptions {
  EMBER_ARG(double, negative_slope) = 1e-2;
  EMBER_ARG(bool, inplace) = false;
};

struct SoftmaxOptions {
  SoftmaxOptions(int64_t dim) : dim_(dim) {}  // NOLINT  Softmax(1)
  EMBER_ARG(int64_t, dim);
};

struct SoftminOptions {
  SoftminOptions(int64_t dim) : dim_(dim) {}  // NOLINT  Softmin(1)
  EMBER_ARG(int64_t, dim);
};

struct LogSoftmaxOptions {
  LogSoftmaxOptions(int64_t dim) : dim_(dim) {}  // NOLINT  LogSoftmax(1)
  EMBER_ARG(int64_t, dim);
};

struct ReLU6Options {
  ReLU6Options(bool inplace = false) : inplace_(inplace) {}  // NOLINT  ReLU6(true)
  EMBER_ARG(bool, inplace);
};

struct CELUOptions {
  EMBER_ARG(double, alpha) = 1.0;
  EMBER_ARG(bool, inplace) = false;
};

struct SoftplusOptions {
  EMBER_ARG(double, beta) = 1.0;
  EMBER_ARG(double, threshold) = 20.0;
};

struct ThresholdOptions {
  ThresholdOptions(double threshold, double value) : threshold_(threshold), value_(value) {}
  EMBER_ARG(double, threshold);
  EMBER_ARG(double, value);
  EMBER_ARG(bool, inplace) = false;
};

struct HardshrinkOptions {
  HardshrinkOptions(double lambda = 0.5) : lambda_(lambda) {}  // NOLINT  Hardshrink(0.3)
  EMBER_ARG(double, lambda);
};

struct SoftshrinkOptions {
  SoftshrinkOptions(double lambda = 0.5) : lambda_(lambda) {}  // NOLINT  Softshrink(0.3)
  EMBER_ARG(double, lambda);
};

struct PReLUOptions {
  /// 1, or the input's channel count (its dim 1): one slope each.
  EMBER_ARG(int64_t, num_parameters) = 1;
  /// The slopes' initial value.
  EMBER_ARG(double, init) = 0.25;
};

namespace functional {

using ThresholdFuncOptions = ThresholdOptions;
using HardshrinkFuncOptions = HardshrinkOptions;
using SoftshrinkFuncOptions = SoftshrinkOptions;
using ELUFuncOptions = ELUOptions;
using SELUFuncOptions = SELUOptions;
using GLUFuncOptions = GLUOptions;
using HardtanhFuncOptions = HardtanhOptions;
using LeakyReLUFuncOptions = LeakyReLUOptions;
using ReLU6FuncOptions = ReLU6Options;
using CELUFuncOptions = CELUOptions;
using SoftplusFuncOptions = SoftplusOptions;

struct SoftminFuncOptions {
  SoftminFuncOptions(int64_t dim) : dim_(dim) {}  // NOLINT  F::softmin(x, 1)
  EMBER_ARG(int64_t, dim);
  EMBER_ARG(std::optional<ScalarType>, dtype) = std::nullopt;
};

/// The forms with `inplace` change and return their input when it is set, as LibTorch's.
EMBER_API Tensor elu(Tensor input, const ELUFuncOptions& options = {});
EMBER_API Tensor selu(Tensor input, const SELUFuncOptions& options = {});
EMBER_API Tensor hardtanh(Tensor input, const HardtanhFuncOptions& options = {});
EMBER_API Tensor leaky_relu(Tensor input, const LeakyReLUFuncOptions& options = {});
EMBER_API Tensor relu6(Tensor input, const ReLU6FuncOptions& options = {});
EMBER_API Tensor celu(Tensor input, const CELUFuncOptions& options = {});
EMBER_API Tensor softplus(const Tensor& input, const SoftplusFuncOptions& options = {});
EMBER_API Tensor logsigmoid(const Tensor& input);
EMBER_API Tensor silu(const Tensor& input);
EMBER_API Tensor mish(const Tensor& input);
/// softmax(-input, dim).
EMBER_API Tensor softmin(const Tensor& input, const SoftminFuncOptions& options);
EMBER_API Tensor glu(const Tensor& input, const GLUFuncOptions& options = {});
EMBER_API Tensor threshold(Tensor input, const ThresholdFuncOptions& options);
EMBER_API Tensor hardshrink(const Tensor& input, const HardshrinkFuncOptions& options = {});
EMBER_API Tensor softshrink(const Tensor& input, const SoftshrinkFuncOptions& options = {});
/// x / (1 + |x|).
EMBER_API Tensor softsign(const Tensor& input);
/// x - tanh(x).
EMBER_API Tensor tanhshrink(const Tensor& input);
EMBER_API Tensor prelu(const Tensor& input, const Tensor& weight);

}  // namespace functional
}  // namespace nn
}  // namespace ember
