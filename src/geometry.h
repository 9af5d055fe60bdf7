#pragma once
// Device-neutral host logic of the strided kernels, shared by both backends:
//  - Geometry / make_geometry: the coalesced iteration space of N same-shape operands (operand 0
//    is the output). Size-1 dims are dropped and neighbouring dims merged wherever every operand
//    steps through them as one, so a contiguous op becomes one flat run (the CPU's vectorised
//    loop, CUDA's contiguous kernel) and bias-style broadcasts become runs with a stride-0
//    operand.
//  - SliceDims / split_at: a tensor viewed as (outer, n, inner) around one dim, the layout of
//    index_select and index_add.
#include <array>
#include <cstdint>

#include "tensor_impl.h"

namespace ember {

// A tensor has at most 63 dims of size > 1 (their product must fit int64), and size-1 dims are
// dropped, so this bounds every coalesced shape.
constexpr int kMaxGeometryDims = 64;

/// The coalesced iteration space of N operands, outermost dim first.
template <int N>
struct Geometry {
  int ndim = 0;
  int64_t numel = 1;
  int64_t sizes[kMaxGeometryDims];
  int64_t strides[N][kMaxGeometryDims];

  int64_t inner_stride(int i) const { return strides[i][ndim - 1]; }
  /// One run in which every operand has unit stride.
  bool contiguous() const {
    if (ndim != 1) return false;
    for (int k = 0; k < N; ++k)
      if (strides[k][0] != 1) return false;
    return true;
  }
};

template <int N>
Geometry<N> make_geometry(const std::array<const Tensor*, N>& ops) {
  Geometry<N> g;
  IntArrayRef sizes = ops[0]->sizes();
  IntArrayRef strides[N];
  for (int i = 0; i < N; ++i) strides[i] = ops[i]->strides();
  for (size_t d = 0; d < sizes.size(); ++d) {
    const int64_t n = sizes[d];
    g.numel *= n;
    if (n == 1) continue;
    bool merge = g.ndim > 0;
    for (int i = 0; i < N && merge; ++i) merge = g.strides[i][g.ndim - 1] == strides[i][d] * n;
    if (merge) {
      g.sizes[g.ndim - 1] *= n;
      for (int i = 0; i < N; ++i) g.strides[i][g.ndim - 1] = strides[i][d];
    } else {
      g.sizes[g.ndim] = n;
      for (int i = 0; i < N; ++i) g.strides[i][g.ndim] = strides[i][d];
      ++g.ndim;
    }
  }
  if (g.ndim == 0) {  // a single element
    g.ndim = 1;
    g.sizes[0] = 1;
    for (int i = 0; i < N; ++i) g.strides[i][0] = 1;
  }
  return g;
}

/// A tensor as (outer, n, inner) around dim: `n` slices of `inner` contiguous elements, `outer`
/// times.
struct SliceDims {
  int64_t outer = 1, n = 1, inner = 1;
};

inline SliceDims split_at(IntArrayRef sizes, int64_t dim) {
  SliceDims d;
  for (int64_t i = 0; i < int64_t(sizes.size()); ++i) {
    if (i < dim) d.outer *= sizes[i];
    else if (i == dim) d.n = sizes[i];
    else d.inner *= sizes[i];
  }
  return d;
}

}  // namespace ember
