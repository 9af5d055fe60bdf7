#pragma once
// The normalisations beyond batch_norm, as LibTorch's functional forms: F::layer_norm,
// F::group_norm, F::instance_norm and F::normalize with their ...FuncOptions (names, defaults and
// the required arguments LibTorch's constructors take). The free functions they call
// (ember::layer_norm, group_norm, instance_norm) are in ember/tensor.h and the modules (nn::LayerNorm,
// nn::GroupNorm, nn::InstanceNorm1d/2d) in ember/nn/normalization.h. Included by ember/functional.h.
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "ember/arg.h"
#include "ember/tensor.h"

namespace ember {
namespace nn {
namespace functional {

/// F::layer_norm(x, LayerNormFuncOptions({3, 4}).weight(w).bias(b)).
struct LayerNormFuncOptions {
  LayerNormFuncOptions(std::vector<int64_t> normalized_shape)  // NOLINT  implicit, as LibTorch's
      : normalized_shape_(std::move(normalized_shape)) {}
  EMBER_ARG(std::vector<int64_t>, normalized_shape);
  EMBER_ARG(Tensor, weight) = {};
  EMBER_ARG(Tensor, bias) = {};
  EMBER_ARG(double, eps) = 1e-5;
};

/// F::group_norm(x, GroupNormFuncOptions(2).weight(w).bias(b)).
struct GroupNormFuncOptions {
  GroupNormFuncOptions(int64_t num_groups) : num_groups_(num_groups) {}  // NOLINT
  EMBER_ARG(int64_t, num_groups);
  EMBER_ARG(Tensor, weight) = {};
  EMBER_ARG(Tensor, bias) = {};
  EMBER_ARG(double, eps) = 1e-5;
};

/// F::instance_norm: use_input_stats normalises with each instance's own statistics (updating the
/// running ones, when given); false normalises with running_mean and running_var.
struct InstanceNormFuncOptions {
  EMBER_ARG(Tensor, running_mean) = {};
  EMBER_ARG(Tensor, running_var) = {};
  EMBER_ARG(Tensor, weight) = {};
  EMBER_ARG(Tensor, bias) = {};
  EMBER_ARG(bool, use_input_stats) = true;
  EMBER_ARG(double, momentum) = 0.1;
  EMBER_ARG(double, eps) = 1e-5;
};

/// F::normalize: input / max(||input||_p along dim, eps). out, when given, receives the result (it
/// must have the input's shape; ember does not resize it) and is returned.
struct NormalizeFuncOptions {
  EMBER_ARG(double, p) = 2.0;
  EMBER_ARG(int64_t, dim) = 1;
  EMBER_ARG(double, eps) = 1e-12;
  EMBER_ARG(std::optional<Tensor>, out) = std::nullopt;
};

EMBER_API Tensor layer_norm(const Tensor& input, const LayerNormFuncOptions& options);
EMBER_API Tensor group_norm(const Tensor& input, const GroupNormFuncOptions& options);
EMBER_API Tensor instance_norm(const Tensor& input, const InstanceNormFuncOptions& options = {});
/// p may be any positive number or +-infinity (the largest or smallest |x|). A slice whose norm is
/// 0 gets the gradient g / eps, as PyTorch's (the norm's own gradient there is taken as 0).
EMBER_API Tensor normalize(const Tensor& input, NormalizeFuncOptions options = {});

}  // namespace functional
}  // namespace nn
}  // namespace ember
