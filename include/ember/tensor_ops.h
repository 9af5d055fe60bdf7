#pragma once
// The free forms of the Tensor conveniences LibTorch code uses everywhere (torch::floor,
// torch::flip, torch::linspace, torch::cumsum, torch::addmm, torch::einsum, ...): each is also a
// Tensor method where LibTorch has one (include/ember/tensor.h). Kept out of tensor.h so that
// adding one here does not rebuild every file; <ember/ember.h> includes it.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "ember/sorting.h"
#include "ember/tensor.h"

namespace ember {

// --- pointwise (src/ops/pointwise_extra.cpp) ------------------------------------------------------
EMBER_API Tensor sign(const Tensor& x);
EMBER_API Tensor floor(const Tensor& x);
EMBER_API Tensor ceil(const Tensor& x);
/// Rounds half to even, as torch.round.
EMBER_API Tensor round(const Tensor& x);
EMBER_API Tensor trunc(const Tensor& x);
EMBER_API Tensor frac(const Tensor& x);
EMBER_API Tensor reciprocal(const Tensor& x);
EMBER_API Tensor rsqrt(const Tensor& x);
EMBER_API Tensor square(const Tensor& x);
EMBER_API Tensor log2(const Tensor& x);
EMBER_API Tensor log10(const Tensor& x);
EMBER_API Tensor exp2(const Tensor& x);
EMBER_API Tensor sin(const Tensor& x);
EMBER_API Tensor cos(const Tensor& x);
EMBER_API Tensor tan(const Tensor& x);
EMBER_API Tensor asin(const Tensor& x);
EMBER_API Tensor acos(const Tensor& x);
EMBER_API Tensor atan(const Tensor& x);
EMBER_API Tensor sinh(const Tensor& x);
EMBER_API Tensor cosh(const Tensor& x);
EMBER_API Tensor asinh(const Tensor& x);
EMBER_API Tensor acosh(const Tensor& x);
EMBER_API Tensor atanh(const Tensor& x);
/// log(1 + x) and exp(x) - 1, accurate near 0.
EMBER_API Tensor log1p(const Tensor& x);
EMBER_API Tensor expm1(const Tensor& x);
/// The angle of the point (other, x) (broadcast), in (-pi, pi].
EMBER_API Tensor atan2(const Tensor& x, const Tensor& other);
inline Tensor arcsin(const Tensor& x) { return asin(x); }
inline Tensor arccos(const Tensor& x) { return acos(x); }
inline Tensor arctan(const Tensor& x) { return atan(x); }
inline Tensor arcsinh(const Tensor& x) { return asinh(x); }
inline Tensor arccosh(const Tensor& x) { return acosh(x); }
inline Tensor arctanh(const Tensor& x) { return atanh(x); }
inline Tensor arctan2(const Tensor& x, const Tensor& other) { return atan2(x, other); }
/// Division with rounding_mode "trunc" or "floor" (integers stay integers, an integer division
/// by zero is an Error); nullopt is true division.
EMBER_API Tensor div(const Tensor& x, const Tensor& other, std::optional<std::string_view> rounding_mode);
EMBER_API Tensor div(const Tensor& x, const Scalar& other, std::optional<std::string_view> rounding_mode);
/// Each tensor expanded (a view) to the shape they broadcast to together.
EMBER_API std::vector<Tensor> broadcast_tensors(TensorList tensors);
/// x + value * tensor1 * tensor2 and x + value * tensor1 / tensor2 (broadcast).
EMBER_API Tensor addcmul(const Tensor& x, const Tensor& tensor1, const Tensor& tensor2, const Scalar& value = 1);
EMBER_API Tensor addcdiv(const Tensor& x, const Tensor& tensor1, const Tensor& tensor2, const Scalar& value = 1);
inline Tensor sgn(const Tensor& x) { return sign(x); }
/// div(x, other, "floor").
EMBER_API Tensor floor_divide(const Tensor& x, const Tensor& other);
EMBER_API Tensor floor_divide(const Tensor& x, const Scalar& other);
/// C's fmod: the remainder takes the dividend's sign.
EMBER_API Tensor fmod(const Tensor& x, const Tensor& other);
EMBER_API Tensor fmod(const Tensor& x, const Scalar& other);
/// Python's %: the remainder takes the divisor's sign.
EMBER_API Tensor remainder(const Tensor& x, const Tensor& other);
EMBER_API Tensor remainder(const Tensor& x, const Scalar& other);
EMBER_API Tensor isnan(const Tensor& x);
EMBER_API Tensor isinf(const Tensor& x);
EMBER_API Tensor isfinite(const Tensor& x);
/// NaN -> nan (0), +inf -> posinf (the dtype's largest), -inf -> neginf (its lowest).
EMBER_API Tensor nan_to_num(const Tensor& x, std::optional<double> nan = std::nullopt,
                            std::optional<double> posinf = std::nullopt, std::optional<double> neginf = std::nullopt);
/// start + weight * (end - start).
EMBER_API Tensor lerp(const Tensor& start, const Tensor& end, const Scalar& weight);
EMBER_API Tensor lerp(const Tensor& start, const Tensor& end, const Tensor& weight);
/// clamp with tensor bounds (broadcast): min(max(x, min), max).
EMBER_API Tensor clamp(const Tensor& x, const std::optional<Tensor>& min, const std::optional<Tensor>& max = {});
EMBER_API Tensor logical_and(const Tensor& a, const Tensor& b);
EMBER_API Tensor logical_or(const Tensor& a, const Tensor& b);
EMBER_API Tensor logical_xor(const Tensor& a, const Tensor& b);
EMBER_API Tensor logical_not(const Tensor& x);
/// Bitwise ops of integer and bool tensors (bool: the logical op, bool result).
EMBER_API Tensor bitwise_and(const Tensor& a, const Tensor& b);
EMBER_API Tensor bitwise_or(const Tensor& a, const Tensor& b);
EMBER_API Tensor bitwise_xor(const Tensor& a, const Tensor& b);
EMBER_API Tensor bitwise_not(const Tensor& x);
EMBER_API Tensor isclose(const Tensor& a, const Tensor& b, double rtol = 1e-05, double atol = 1e-08,
                         bool equal_nan = false);

// --- structure (src/ops/structure.cpp) -------------------------------------------------------------
EMBER_API Tensor flip(const Tensor& x, IntArrayRef dims);
EMBER_API Tensor roll(const Tensor& x, IntArrayRef shifts, IntArrayRef dims = {});
EMBER_API Tensor rot90(const Tensor& x, int64_t k = 1, IntArrayRef dims = {0, 1});
EMBER_API Tensor repeat_interleave(const Tensor& x, const Tensor& repeats, std::optional<int64_t> dim = std::nullopt,
                                   std::optional<int64_t> output_size = std::nullopt);
EMBER_API Tensor repeat_interleave(const Tensor& x, int64_t repeats, std::optional<int64_t> dim = std::nullopt,
                                   std::optional<int64_t> output_size = std::nullopt);
/// torch::repeat_interleave(repeats): each i repeated repeats[i] times (int64, 1-D).
EMBER_API Tensor repeat_interleave(const Tensor& repeats, std::optional<int64_t> output_size = std::nullopt);
EMBER_API Tensor tile(const Tensor& x, IntArrayRef dims);
EMBER_API std::vector<Tensor> chunk(const Tensor& x, int64_t chunks, int64_t dim = 0);
EMBER_API std::vector<Tensor> split(const Tensor& x, int64_t split_size, int64_t dim = 0);
EMBER_API std::vector<Tensor> split(const Tensor& x, IntArrayRef split_size, int64_t dim = 0);
EMBER_API std::vector<Tensor> split_with_sizes(const Tensor& x, IntArrayRef split_sizes, int64_t dim = 0);
EMBER_API std::vector<Tensor> unbind(const Tensor& x, int64_t dim = 0);
/// indexing "ij" (matrix, the default) or "xy" (Cartesian: the first two outputs' dims swapped).
EMBER_API std::vector<Tensor> meshgrid(TensorList tensors, const std::string& indexing = "ij");
EMBER_API Tensor tril(const Tensor& x, int64_t diagonal = 0);
EMBER_API Tensor triu(const Tensor& x, int64_t diagonal = 0);
/// A vector's diagonal matrix, or a matrix's diagonal as a vector; `diagonal` > 0 above the main one.
EMBER_API Tensor diag(const Tensor& x, int64_t diagonal = 0);
EMBER_API Tensor outer(const Tensor& a, const Tensor& b);

// --- factories (src/factories_extra.cpp) ------------------------------------------------------------
/// `steps` values from start to end inclusive (float32 unless options say).
EMBER_API Tensor linspace(const Scalar& start, const Scalar& end, int64_t steps, const TensorOptions& options = {});
/// base ** linspace(start, end, steps).
EMBER_API Tensor logspace(const Scalar& start, const Scalar& end, int64_t steps, double base = 10.0,
                          const TensorOptions& options = {});
EMBER_API Tensor empty_strided(IntArrayRef size, IntArrayRef stride, const TensorOptions& options = {});
/// Wraps memory owned elsewhere; `deleter(data)` runs when the last tensor sharing it goes.
EMBER_API Tensor from_blob(void* data, IntArrayRef sizes, IntArrayRef strides,
                           const std::function<void(void*)>& deleter, const TensorOptions& options = {});
EMBER_API Tensor from_blob(void* data, IntArrayRef sizes, const std::function<void(void*)>& deleter,
                           const TensorOptions& options = {});

// --- reductions (src/ops/reduce_extra.cpp) ----------------------------------------------------------
EMBER_API Tensor norm(const Tensor& x, const Scalar& p = 2);
EMBER_API Tensor norm(const Tensor& x, const std::optional<Scalar>& p, IntArrayRef dim, bool keepdim = false);
EMBER_API Tensor all(const Tensor& x);
EMBER_API Tensor all(const Tensor& x, int64_t dim, bool keepdim = false);
EMBER_API Tensor any(const Tensor& x);
EMBER_API Tensor any(const Tensor& x, int64_t dim, bool keepdim = false);
EMBER_API Tensor prod(const Tensor& x, std::optional<ScalarType> dtype = std::nullopt);
EMBER_API Tensor prod(const Tensor& x, int64_t dim, bool keepdim = false,
                      std::optional<ScalarType> dtype = std::nullopt);
EMBER_API Tensor cumsum(const Tensor& x, int64_t dim, std::optional<ScalarType> dtype = std::nullopt);
EMBER_API Tensor cumprod(const Tensor& x, int64_t dim, std::optional<ScalarType> dtype = std::nullopt);
/// Over all elements: only a bool picks this form (torch::std(x, 1) reduces dim 1, as LibTorch's
/// overloads resolve it); Tensor::std(bool) says the same.
template <typename Bool, std::enable_if_t<std::is_same<Bool, bool>::value, int> = 0>
Tensor std(const Tensor& x, Bool unbiased) {
  return x.std(unbiased);
}
inline Tensor std(const Tensor& x) { return x.std(); }
EMBER_API Tensor std(const Tensor& x, IntArrayRef dim, bool unbiased = true, bool keepdim = false);
EMBER_API Tensor std(const Tensor& x, IntArrayRef dim, std::optional<int64_t> correction, bool keepdim = false);
template <typename Bool, std::enable_if_t<std::is_same<Bool, bool>::value, int> = 0>
Tensor var(const Tensor& x, Bool unbiased) {
  return x.var(unbiased);
}
inline Tensor var(const Tensor& x) { return x.var(); }
EMBER_API Tensor var(const Tensor& x, IntArrayRef dim, bool unbiased = true, bool keepdim = false);
EMBER_API Tensor var(const Tensor& x, IntArrayRef dim, std::optional<int64_t> correction, bool keepdim = false);
EMBER_API Tensor logsumexp(const Tensor& x, IntArrayRef dim, bool keepdim = false);

// --- products (src/ops/products.cpp) -----------------------------------------------------------------
EMBER_API Tensor bmm(const Tensor& a, const Tensor& b);
EMBER_API Tensor mv(const Tensor& mat, const Tensor& vec);
EMBER_API Tensor dot(const Tensor& a, const Tensor& b);
/// beta * self + alpha * (mat1 @ mat2).
EMBER_API Tensor addmm(const Tensor& self, const Tensor& mat1, const Tensor& mat2, const Scalar& beta = 1,
                       const Scalar& alpha = 1);
EMBER_API Tensor addmv(const Tensor& self, const Tensor& mat, const Tensor& vec, const Scalar& beta = 1,
                       const Scalar& alpha = 1);
EMBER_API Tensor baddbmm(const Tensor& self, const Tensor& batch1, const Tensor& batch2, const Scalar& beta = 1,
                         const Scalar& alpha = 1);
/// Einstein summation over one-letter subscripts ("bij,bjk->bik", "ii->i" is not supported:
/// each operand's letters must differ); without "->" the output is the letters seen once, sorted.
EMBER_API Tensor einsum(const std::string& equation, TensorList tensors);

}  // namespace ember
