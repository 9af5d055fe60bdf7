#pragma once
// Walking strided operands on the CPU, shared by the copy and pointwise kernels.
//
// The shape is coalesced first: size-1 dims are dropped and neighbouring dims merged wherever
// every operand steps through them as one, so a contiguous op becomes one flat loop the compiler
// vectorises, and bias-style broadcasts become runs with a constant operand. What is left is
// walked with an N-d index counter, one tight innermost-dim loop per run. Large spaces are split
// into a fixed number of contiguous chunks for OpenMP threads; chunks are disjoint, so results
// never depend on the thread count.
#include <omp.h>

#include <algorithm>
#include <array>

#include "../tensor_impl.h"

namespace ember {
namespace strided {

// A tensor has at most 63 dims of size > 1 (their product must fit int64), and size-1 dims are
// dropped, so this bounds every coalesced shape.
constexpr int kMaxDims = 64;
// Below this many elements the cost of waking threads outweighs the work.
constexpr int64_t kParallelMin = 32768;

/// The coalesced iteration space of N operands (operand 0 is the output).
template <int N>
struct Geometry {
  int ndim = 0;
  int64_t numel = 1;
  int64_t sizes[kMaxDims];
  int64_t strides[N][kMaxDims];
  int64_t inner_stride(int i) const { return strides[i][ndim - 1]; }
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

/// Calls row(off, n) for each run of the innermost dim within elements [begin, end) of the
/// iteration space; off[i] is operand i's element offset at the start of the run.
template <int N, typename Row>
void walk(const Geometry<N>& g, int64_t begin, int64_t end, const Row& row) {
  const int last = g.ndim - 1;
  int64_t idx[kMaxDims];
  int64_t off[N] = {};
  int64_t rem = begin;
  for (int d = last; d >= 0; --d) {  // the only divisions: once per chunk
    idx[d] = rem % g.sizes[d];
    rem /= g.sizes[d];
    for (int i = 0; i < N; ++i) off[i] += idx[d] * g.strides[i][d];
  }
  const int64_t inner = g.sizes[last];
  while (begin < end) {
    const int64_t n = std::min(inner - idx[last], end - begin);
    row(off, n);
    begin += n;
    if (begin >= end) break;
    // The run ended at the end of the innermost dim: rewind it and carry outwards.
    for (int i = 0; i < N; ++i) off[i] -= idx[last] * g.strides[i][last];
    idx[last] = 0;
    for (int d = last - 1; d >= 0; --d) {
      ++idx[d];
      for (int i = 0; i < N; ++i) off[i] += g.strides[i][d];
      if (idx[d] < g.sizes[d]) break;
      for (int i = 0; i < N; ++i) off[i] -= g.sizes[d] * g.strides[i][d];
      idx[d] = 0;
    }
  }
}

/// Splits [0, numel) into at most one chunk per thread (one chunk when small) and calls
/// body(begin, end) for each.
template <typename Body>
void parallel_chunks(int64_t numel, const Body& body) {
  const int threads = get_num_threads();
  if (numel < kParallelMin || threads <= 1 || omp_in_parallel()) {
    body(int64_t(0), numel);
    return;
  }
  const int64_t chunks = std::min<int64_t>(threads, (numel + kParallelMin - 1) / kParallelMin);
  const int64_t per = (numel + chunks - 1) / chunks;
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t c = 0; c < chunks; ++c) body(c * per, std::min(numel, (c + 1) * per));
}

/// Walks the whole space, in parallel chunks when it is large.
template <int N, typename Row>
void run(const Geometry<N>& g, const Row& row) {
  parallel_chunks(g.numel, [&](int64_t begin, int64_t end) { walk(g, begin, end, row); });
}

}  // namespace strided
}  // namespace ember
