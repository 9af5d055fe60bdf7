#pragma once
// Walking strided operands on the CPU, shared by the copy and pointwise kernels.
//
// The shape is coalesced first (make_geometry, src/geometry.h, shared with CUDA). What is left is
// walked with an N-d index counter, one tight innermost-dim loop per run. Large spaces are split
// into a fixed number of contiguous chunks for OpenMP threads; chunks are disjoint, so results
// never depend on the thread count.
#include <omp.h>

#include <algorithm>
#include <array>

#include "../geometry.h"

namespace ember {
namespace strided {

// Below this many elements the cost of waking threads outweighs the work.
constexpr int64_t kParallelMin = 32768;

using ember::Geometry;
using ember::make_geometry;
constexpr int kMaxDims = kMaxGeometryDims;

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

/// Chunk boundaries fall this many elements apart within an innermost run (see run).
constexpr int64_t kRunAlign = 16;

/// Walks the whole space, in parallel chunks when it is large. A chunk boundary is moved back to
/// a multiple of kRunAlign from the start of its innermost run, so the pieces a run is cut into
/// start at the same 16-element groups whatever the thread count: a loop that does whole groups
/// one way (the AVX-512 bodies in pointwise.cpp) and its remainder another then treats every
/// element alike for any number of threads.
template <int N, typename Row>
void run(const Geometry<N>& g, const Row& row) {
  const int64_t inner = g.sizes[g.ndim - 1];
  auto align = [inner](int64_t b) { return b - b % inner % kRunAlign; };  // monotone; keeps 0 and numel
  parallel_chunks(g.numel, [&](int64_t begin, int64_t end) { walk(g, align(begin), align(end), row); });
}

}  // namespace strided
}  // namespace ember
