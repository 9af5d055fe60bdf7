#pragma once
// How a BLAS (OpenBLAS on the CPU, cuBLAS on CUDA) reads one row-major 2-D GEMM operand given as
// a strided view: as stored (ld = stride(0)) or transposed (stored (cols, rows), ld = stride(1)),
// so a transposed operand becomes a transpose flag instead of a copy. Shared by both backends'
// gemm (src/cpu/gemm.cpp, src/cuda/blas.cpp).
#include <algorithm>
#include <cstdint>

#include "tensor_impl.h"

namespace ember {

struct GemmOperand {
  bool trans = false;
  int64_t ld = 1;
  bool usable = false;  // false: the strides fit neither layout and the operand must be packed
};

/// A dim of size 1 has an arbitrary stride (it is never stepped over), so it may be read either
/// way; BLAS still insists on ld >= the length of the unit-stride dim, which we then supply.
inline GemmOperand gemm_layout(const Tensor& t) {
  const int64_t rows = t.size(0), cols = t.size(1), s0 = t.stride(0), s1 = t.stride(1);
  GemmOperand op;
  if (s1 == 1 || cols == 1) {  // row-major: element (i, j) at i * ld + j
    op.trans = false;
    op.ld = rows == 1 ? std::max<int64_t>(cols, 1) : s0;
    op.usable = op.ld >= std::max<int64_t>(cols, 1);
    if (op.usable) return op;
  }
  if (s0 == 1 || rows == 1) {  // column-major: element (i, j) at j * ld + i
    op.trans = true;
    op.ld = cols == 1 ? std::max<int64_t>(rows, 1) : s1;
    op.usable = op.ld >= std::max<int64_t>(rows, 1);
  }
  return op;
}

/// The layout of a contiguous copy of a (rows, cols) operand (what a packed operand becomes).
inline GemmOperand packed_gemm_layout(int64_t cols) { return GemmOperand{false, std::max<int64_t>(cols, 1), true}; }

}  // namespace ember
