#pragma once
// The float32 batch norm's per-channel sweeps on AVX2 + FMA vectors (batch_norm_avx2.cpp), for
// batch_norm.cpp on CPUs that have them (simd_available(SimdIsa::avx2)); float64, and CPUs
// without AVX2, take batch_norm.cpp's portable loops.
//
// Why: the portable loops sum in double lanes, and the library is built for the baseline x86-64
// (SSE2), so each sum was a chain of two-lane double additions, one element at a time in
// practice: batch norm was a tenth of ResNet-20's CPU step. Here a channel is cut into blocks
// (of one run, at most kBlock values), each block summed in float lanes (4 x 8 accumulators:
// each lane adds at most kBlock / 32 values, so float keeps the digits) and its sum carried in
// double. The variance stays two-pass, but per block, in L1: the block's mean first, then the
// squared deviations from it, and the blocks' (count, mean, M2) merged with Chan, Golub and
// LeVeque's pairwise update. So the statistics read the data once from memory and never
// subtract E[x]^2 from E[x^2] (which cancels when |mean| >> std).
#include <cstdint>

namespace ember {
namespace cpu {

/// One channel of an (N, C, inner) tensor: `runs` runs of `inner` contiguous values, `stride`
/// apart, from base. Other tensors of the same shape are addressed at the same offsets.
struct BnChannel {
  const float* base;
  int64_t runs, inner, stride;
};

/// The channel's mean and M2 (the sum of squared deviations from the mean), in double.
/// Precondition: simd_available(SimdIsa::avx2), runs * inner > 0.
void bn_stats_avx2(const BnChannel& x, double& mean, double& m2);
/// y = (x - mean) * scale + shift (rounded as the portable loop: no FMA); y: the channel's
/// first element of the output.
void bn_normalize_avx2(const BnChannel& x, float* y, float mean, float scale, float shift);
/// sum(dy) and sum(dy * (x - mean)), in double; dy: the channel's first element of grad_out.
void bn_backward_sums_avx2(const BnChannel& x, const float* dy, float mean, double& sum_dy, double& sum_dy_xmu);
/// dx = dy * a + ((x - mean) * bx + c0), rounded as the portable loop.
void bn_backward_dx_avx2(const BnChannel& x, const float* dy, float* dx, float mean, float a, float bx, float c0);

}  // namespace cpu
}  // namespace ember
