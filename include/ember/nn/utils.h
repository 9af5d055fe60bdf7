#pragma once
// nn::utils: gradient clipping and flattening parameters to one vector, as torch::nn::utils.
#include <initializer_list>
#include <vector>

#include "ember/tensor.h"

namespace ember {
namespace nn {
namespace utils {

/// Scales the gradients of `parameters` together so that their total norm (the norm_type-norm
/// of the per-parameter gradient norms; norm_type may be infinity) is at most max_norm, and
/// returns that total norm before clipping, as a double (LibTorch 1.13's return type).
/// Parameters without a gradient are skipped; none at all returns 0. With error_if_nonfinite a
/// NaN or infinite total norm is an error and nothing is scaled.
EMBER_API double clip_grad_norm_(std::vector<Tensor> parameters, double max_norm, double norm_type = 2.0,
                                 bool error_if_nonfinite = false);
EMBER_API double clip_grad_norm_(std::initializer_list<Tensor> parameters, double max_norm, double norm_type = 2.0,
                                 bool error_if_nonfinite = false);
EMBER_API double clip_grad_norm_(Tensor parameter, double max_norm, double norm_type = 2.0,
                                 bool error_if_nonfinite = false);

/// Clamps every defined gradient of `parameters` into [-clip_value, clip_value], in place.
EMBER_API void clip_grad_value_(std::vector<Tensor> parameters, double clip_value);
EMBER_API void clip_grad_value_(std::initializer_list<Tensor> parameters, double clip_value);
EMBER_API void clip_grad_value_(Tensor parameter, double clip_value);

/// The parameters flattened and joined into one 1-D tensor (all on one device).
EMBER_API Tensor parameters_to_vector(const std::vector<Tensor>& parameters);
/// The inverse: each parameter's data becomes the next numel() elements of `vec` (a view of
/// it, as LibTorch's set_data), in order.
EMBER_API void vector_to_parameters(const Tensor& vec, std::vector<Tensor> parameters);

}  // namespace utils
}  // namespace nn
}  // namespace ember
