#pragma once
// ATen's free-function spellings of Tensor methods that ported LibTorch code calls as
// torch::transpose(x, 0, 1), torch::unsqueeze(x, 0), torch::clone(x), ...; the bitwise operators
// (`mask_a & mask_b`, `|`, `^`, `~`, LibTorch's TensorOperators); torch::maximum / minimum (and
// torch::max(a, b) / min(a, b)); torch::where with a Scalar branch. Kept out of tensor.h so that
// adding one does not rebuild every file; <ember/ember.h> includes it.
#include <cstdint>
#include <optional>

#include "ember/tensor.h"

namespace ember {

// --- the view and structure methods, as free functions -------------------------------------------
inline Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1) { return x.transpose(dim0, dim1); }
inline Tensor permute(const Tensor& x, IntArrayRef dims) { return x.permute(dims); }
inline Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length) {
  return x.narrow(dim, start, length);
}
inline Tensor select(const Tensor& x, int64_t dim, int64_t index) { return x.select(dim, index); }
inline Tensor t(const Tensor& x) { return x.t(); }
inline Tensor squeeze(const Tensor& x) { return x.squeeze(); }
inline Tensor squeeze(const Tensor& x, int64_t dim) { return x.squeeze(dim); }
inline Tensor unsqueeze(const Tensor& x, int64_t dim) { return x.unsqueeze(dim); }
inline Tensor reshape(const Tensor& x, IntArrayRef shape) { return x.reshape(shape); }
inline Tensor clone(const Tensor& x) { return x.clone(); }
inline Tensor detach(const Tensor& x) { return x.detach(); }
inline int64_t numel(const Tensor& x) { return x.numel(); }
/// movedim(x, source, destination): dim `source` moved to `destination`, the others in order.
EMBER_API Tensor movedim(const Tensor& x, int64_t source, int64_t destination);
inline Tensor swapaxes(const Tensor& x, int64_t axis0, int64_t axis1) { return x.transpose(axis0, axis1); }
inline Tensor swapdims(const Tensor& x, int64_t dim0, int64_t dim1) { return x.transpose(dim0, dim1); }

// --- the bitwise operators (integral and bool tensors) --------------------------------------------
inline Tensor operator&(const Tensor& a, const Tensor& b) { return a.bitwise_and(b); }
inline Tensor operator&(const Tensor& a, const Scalar& b) { return a.bitwise_and(b); }
inline Tensor operator&(const Scalar& a, const Tensor& b) { return b.bitwise_and(a); }
inline Tensor operator|(const Tensor& a, const Tensor& b) { return a.bitwise_or(b); }
inline Tensor operator|(const Tensor& a, const Scalar& b) { return a.bitwise_or(b); }
inline Tensor operator|(const Scalar& a, const Tensor& b) { return b.bitwise_or(a); }
inline Tensor operator^(const Tensor& a, const Tensor& b) { return a.bitwise_xor(b); }
inline Tensor operator^(const Tensor& a, const Scalar& b) { return a.bitwise_xor(b); }
inline Tensor operator^(const Scalar& a, const Tensor& b) { return b.bitwise_xor(a); }
inline Tensor operator~(const Tensor& a) { return a.bitwise_not(); }
/// a &= b (and |=, ^=): the result written into a (its dtype kept), as LibTorch's.
inline const Tensor& operator&=(const Tensor& a, const Tensor& b) { return a.copy_(a.bitwise_and(b)); }
inline const Tensor& operator|=(const Tensor& a, const Tensor& b) { return a.copy_(a.bitwise_or(b)); }
inline const Tensor& operator^=(const Tensor& a, const Tensor& b) { return a.copy_(a.bitwise_xor(b)); }

inline Tensor bitwise_and(const Tensor& a, const Scalar& b) { return a.bitwise_and(b); }
inline Tensor bitwise_or(const Tensor& a, const Scalar& b) { return a.bitwise_or(b); }
inline Tensor bitwise_xor(const Tensor& a, const Scalar& b) { return a.bitwise_xor(b); }

/// torch::pow(base, exponent) with a Scalar base (the gradient reaches the exponent).
EMBER_API Tensor pow(const Scalar& base, const Tensor& exponent);

// --- elementwise maximum and minimum -------------------------------------------------------------
/// The larger of a and b at each position (broadcast, promoted); NaN where either is NaN. The
/// gradient goes to the larger one; at a tie it is split in halves, as PyTorch's.
EMBER_API Tensor maximum(const Tensor& a, const Tensor& b);
EMBER_API Tensor minimum(const Tensor& a, const Tensor& b);
/// torch::max(a, b) / min(a, b): maximum / minimum.
inline Tensor max(const Tensor& a, const Tensor& b) { return maximum(a, b); }
inline Tensor min(const Tensor& a, const Tensor& b) { return minimum(a, b); }

// --- where with a Scalar branch ------------------------------------------------------------------
/// The Scalar becomes a 0-dim tensor of the other branch's dtype (a floating Scalar against an
/// integral tensor: the default float dtype), as PyTorch's promotion gives.
EMBER_API Tensor where(const Tensor& condition, const Tensor& self, const Scalar& other);
EMBER_API Tensor where(const Tensor& condition, const Scalar& self, const Tensor& other);
EMBER_API Tensor where(const Tensor& condition, const Scalar& self, const Scalar& other);

}  // namespace ember
