#pragma once
// The CUDA backend: own kernels (kernels/*.cu), cuBLAS for GEMM, cuDNN for convolution; all work
// is queued on the context stream. The entries are declared by EMBER_BACKEND_ENTRIES
// (src/backend.h) and defined, by group, in: src/cuda/memory.cpp (allocate, host copies,
// synchronize; the caching allocator is src/cuda/allocator.cpp), kernels/copy.cu (copy, fill),
// kernels/random.cu (counter-based
// Philox: seed + offset, reproducible), kernels/pointwise.cu, kernels/reduce.cu, src/cuda/blas.cpp
// (cuBLAS), src/cuda/conv.cpp (cuDNN, or im2col + cuBLAS), kernels/pool.cu, kernels/softmax.cu,
// kernels/sgd.cu, kernels/index.cu.
#include "../backend.h"
#include "context.h"

namespace ember {

class CudaBackend final : public Backend {
 public:
  EMBER_BACKEND_ENTRIES("cuda")  // src/backend.h
  void synchronize() override;

 private:
  uint64_t seed_ = 67280421310721ULL, offset_ = 0;
};

}  // namespace ember
