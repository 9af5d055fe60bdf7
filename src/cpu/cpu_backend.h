#pragma once
// The CPU backend: OpenBLAS for GEMM, own loops (OpenMP) for everything else. The entries are
// declared by EMBER_BACKEND_ENTRIES (src/backend.h) and defined, by group, in src/cpu/:
// memory.cpp (allocate, copy, fill), random.cpp (PyTorch-compatible mt19937 streams, see
// generator.h), pointwise.cpp, reduce.cpp, gemm.cpp, conv.cpp, pool.cpp, softmax.cpp (softmax
// and the fused cross entropy), sgd.cpp, index.cpp.
#include "../backend.h"
#include "generator.h"

namespace ember {

class CpuBackend final : public Backend {
 public:
  EMBER_BACKEND_ENTRIES("cpu")  // src/backend.h
  /// torch.randperm(n) on the CPU generator (no other backend needs it: randperm is made here).
  void randperm(int64_t* out, int64_t n);
  /// The generator itself (get/set_rng_state in random.cpp; lock generator_mutex there).
  CpuGenerator& generator() { return gen_; }

 private:
  CpuGenerator gen_;
};

}  // namespace ember
