#pragma once
// layer_norm and group_norm are one operation: a contiguous input viewed as `rows` rows of
// `row_size` values, each row normalised with its own mean and variance, then an elementwise
// affine map whose parameter for element j of row r is param(r, j). Layer norm: a row is the
// trailing normalized_shape, param(r, j) = j. Group norm over (N, C, *): a row is one sample's
// group of C / groups channels, and the `inner` (= H * W ...) values of a channel share its
// parameter. The geometry and the per-row rules are here once; the CPU loops (src/cpu/row_norm.cpp)
// and the CUDA kernels (kernels/row_norm.cu) both call them.
#include <cmath>
#include <cstdint>

#include "functors.h"

namespace ember {

struct RowNormGeometry {
  int64_t rows = 0;      // rows normalised independently (layer norm: the leading dims; group norm: N * groups)
  int64_t row_size = 0;  // values per row
  int64_t groups = 1;    // row r belongs to group r % groups (layer norm: 1)
  int64_t inner = 1;     // consecutive values of a row sharing one affine parameter (layer norm: 1)

  /// The affine parameters: prod(normalized_shape) for layer norm, C for group norm.
  int64_t params() const { return inner > 0 ? groups * row_size / inner : 0; }
  /// The index into weight and bias of value j of row r.
  EMBER_HD int64_t param(int64_t r, int64_t j) const { return ((r % groups) * row_size + j) / inner; }
};

// --- the per-row rules, in double ------------------------------------------------------------------
// The variance is two-pass (the mean first, then the squared deviations from it): E[x^2] - E[x]^2
// cancels catastrophically when |mean| >> std. The variance is the biased one, as PyTorch's.

EMBER_HD double row_mean(double sum, int64_t n) { return n > 0 ? sum / double(n) : 0.0; }

/// 1 / sqrt(var + eps) from the sum of squared deviations from the mean.
EMBER_HD double row_rstd(double sum_sq_dev, int64_t n, double eps) {
  const double var = n > 0 ? sum_sq_dev / double(n) : 0.0;
  return 1.0 / ::sqrt(var + eps);
}

/// y = (x - mean) * rstd * weight + bias, in the data's precision and rounded step by step on both
/// devices. Centred first: x * scale + (bias - mean * scale) would cancel two large terms.
template <typename T>
EMBER_HD T row_norm_apply(T x, T mean, T rstd, T weight, T bias) {
  return add_rn(mul_rn(mul_rn(x - mean, rstd), weight), bias);
}

/// The gradient of one input value, from a = dy * weight and xhat = (x - mean) * rstd, and the
/// row's means of a and of a * xhat: rstd * (a - mean(a) - xhat * mean(a * xhat)). (The mean and
/// the variance depend on every value of the row; these are their terms.)
EMBER_HD double row_norm_input_grad(double a, double xhat, double mean_a, double mean_a_xhat, double rstd) {
  return rstd * (a - mean_a - xhat * mean_a_xhat);
}

}  // namespace ember
