#pragma once
// Device-neutral layout of the gather / scatter kernels, shared by both backends. Every op of
// the family (gather, scatter*, index_add/copy/fill, take, advanced indexing) walks an index
// tensor: element c (coordinates) of the index reads or writes `self` at c with coordinate
// `dim` replaced by index[c], and `other` (gather's output, scatter's source) at c itself.
// Strides carry the broadcasting: index_copy's 1-D index is a stride-0 view over the other dims,
// a scalar source is stride 0 everywhere.
#include <cstdint>
#include <type_traits>

#include "ember/tensor.h"

namespace ember {

/// How scatter combines a source element with its destination.
enum class ScatterReduce { Assign, Sum, Prod, Amax, Amin };

/// f(std::integral_constant<ScatterReduce, op>): the reduction as a compile-time constant, for
/// both backends' kernels.
template <typename F>
void dispatch_reduce(ScatterReduce op, const F& f) {
  switch (op) {
    case ScatterReduce::Assign: return f(std::integral_constant<ScatterReduce, ScatterReduce::Assign>{});
    case ScatterReduce::Sum: return f(std::integral_constant<ScatterReduce, ScatterReduce::Sum>{});
    case ScatterReduce::Prod: return f(std::integral_constant<ScatterReduce, ScatterReduce::Prod>{});
    case ScatterReduce::Amax: return f(std::integral_constant<ScatterReduce, ScatterReduce::Amax>{});
    case ScatterReduce::Amin: return f(std::integral_constant<ScatterReduce, ScatterReduce::Amin>{});
  }
}

/// The most dims the family takes (a kernel argument on CUDA, so it stays small).
constexpr int kMaxScatterDims = 16;

struct ScatterGeometry {
  int ndim = 1;       // the index's dims (a 0-dim index is one element of a 1-dim space)
  int dim = 0;        // the dim of self that the index values select along
  int64_t numel = 1;  // index elements
  int64_t self_dim_stride = 0;
  // The CPU kernels check the index values themselves (one pass over the index, not two) when
  // out_of_range is set: a value outside [0, self_dim_size) (after adding self_dim_size to a
  // negative one, with wrap_negative) skips its element and sets *out_of_range to 1; the caller
  // then reports it. Unset (CUDA, or values the caller checked), the values are trusted.
  int64_t self_dim_size = 0;
  bool wrap_negative = false;
  int64_t* out_of_range = nullptr;
  int64_t sizes[kMaxScatterDims];  // the index's sizes
  // Per dim: the strides of index, self (0 at `dim`: the index value chooses there) and other.
  int64_t index_strides[kMaxScatterDims];
  int64_t self_strides[kMaxScatterDims];
  int64_t other_strides[kMaxScatterDims];
};

/// The geometry of index (walked), self (indexed along dim) and other (walked with the index;
/// undefined for none). Checked by the caller: same number of dims (or 0), dim in range.
inline ScatterGeometry make_scatter_geometry(const Tensor& self, int64_t dim, const Tensor& index,
                                             const Tensor& other) {
  ScatterGeometry g;
  g.ndim = index.dim() == 0 ? 1 : int(index.dim());
  g.dim = int(dim);
  g.numel = index.numel();
  g.self_dim_stride = self.dim() == 0 ? 0 : self.stride(dim);
  for (int k = 0; k < g.ndim; ++k) {
    const bool scalar = index.dim() == 0;
    g.sizes[k] = scalar ? 1 : index.size(k);
    g.index_strides[k] = scalar ? 0 : index.stride(k);
    g.self_strides[k] = (k == g.dim || self.dim() == 0) ? 0 : self.stride(k);
    g.other_strides[k] = (!other.defined() || other.dim() == 0) ? 0 : other.stride(k);
  }
  return g;
}

}  // namespace ember
