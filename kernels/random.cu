// Random fills from a counter-based generator: Philox4x32-10 (Salmon et al., "Parallel random
// numbers: as easy as 1, 2, 3", SC'11), written from the published round function.
//
// Counter-based means there is no state to carry between threads or calls: a draw is a pure
// function of (key, counter). The key is the seed; the counter is (offset + i / 4) for element
// i, plus a sub-block number for draws that need more than one 32-bit word per element. Each
// call then advances the backend's offset past the counters it used, so consecutive calls
// differ, the same seed replays the same sequence, and the values do not depend on the launch
// configuration. One thread handles the four elements of one counter, so each Philox block
// is computed once.
//
// Per element: float uniform takes 24 bits of one word; double uniform takes 53 bits of a word
// pair; normal is Box-Muller on pairs of uniforms (both the cos and the sin branch are used);
// randint takes one word modulo the range, or a word pair when the range needs more than 32
// bits (the slight modulo bias is PyTorch's too).
#include <mutex>

#include "common.cuh"
#include "cuda/capture.h"
#include "cuda/cuda_backend.h"
#include "dtype_dispatch.h"
#include "sampling_rules.h"

namespace ember {
namespace cuda_kernels {
namespace {

// --- Philox4x32-10 ----------------------------------------------------------------------------

constexpr uint32_t kPhiloxM0 = 0xD2511F53u, kPhiloxM1 = 0xCD9E8D57u;  // round multipliers
constexpr uint32_t kPhiloxW0 = 0x9E3779B9u, kPhiloxW1 = 0xBB67AE85u;  // key schedule (Weyl) steps

__device__ __forceinline__ uint4 philox_round(uint4 c, uint2 k) {
  const uint32_t hi0 = __umulhi(kPhiloxM0, c.x), lo0 = kPhiloxM0 * c.x;
  const uint32_t hi1 = __umulhi(kPhiloxM1, c.z), lo1 = kPhiloxM1 * c.z;
  return make_uint4(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
}

/// Four random words for (seed, counter, sub).
__device__ __forceinline__ uint4 philox(uint64_t seed, uint64_t counter, uint32_t sub) {
  uint4 c = make_uint4(uint32_t(counter), uint32_t(counter >> 32), sub, 0u);
  uint2 k = make_uint2(uint32_t(seed), uint32_t(seed >> 32));
#pragma unroll
  for (int r = 0; r < 10; ++r) {
    c = philox_round(c, k);
    k.x += kPhiloxW0;
    k.y += kPhiloxW1;
  }
  return c;
}

__device__ __forceinline__ uint32_t word(const uint4& w, int i) {
  return i == 0 ? w.x : i == 1 ? w.y : i == 2 ? w.z : w.w;
}

/// [0, 1) with 24 random bits (exact in float).
__device__ __forceinline__ float unit_float(uint32_t w) { return float(w >> 8) * (1.0f / 16777216.0f); }
/// [0, 1) with 53 random bits (exact in double).
__device__ __forceinline__ double unit_double(uint32_t hi, uint32_t lo) {
  const uint64_t bits = ((uint64_t(hi) << 32) | lo) >> 11;
  return double(bits) * (1.0 / 9007199254740992.0);
}

// --- element generators: value of element q (0..3) of a counter -----------------------------------
// Each fills v[0..4) for one counter; the kernel writes the ones inside the tensor.

template <typename T>
struct Uniform {
  T low, span, high;
  __device__ __forceinline__ T finish(double u) const {
    T x = low + T(u) * span;
    // Rounding can land on `high` when span is large relative to T's spacing; stay below it.
    if (span > T(0) && !(x < high)) x = low;
    return x;
  }
  __device__ __forceinline__ void operator()(uint64_t seed, uint64_t ctr, T (&v)[4]) const {
    const uint4 w = philox(seed, ctr, 0);
    if constexpr (sizeof(T) == sizeof(float)) {
#pragma unroll
      for (int q = 0; q < 4; ++q) v[q] = finish(unit_float(word(w, q)));
    } else {
      const uint4 w2 = philox(seed, ctr, 1);
      v[0] = finish(unit_double(w.x, w.y));
      v[1] = finish(unit_double(w.z, w.w));
      v[2] = finish(unit_double(w2.x, w2.y));
      v[3] = finish(unit_double(w2.z, w2.w));
    }
  }
};

template <typename T>
struct Normal {
  T mean, std;
  __device__ __forceinline__ void operator()(uint64_t seed, uint64_t ctr, T (&v)[4]) const {
    const uint4 w = philox(seed, ctr, 0);
    if constexpr (sizeof(T) == sizeof(float)) {
      // u1 in (0, 1] keeps the log finite; sincospif(2 u2) avoids a large argument reduction.
#pragma unroll
      for (int p = 0; p < 2; ++p) {
        const float u1 = 1.0f - unit_float(word(w, 2 * p)), u2 = unit_float(word(w, 2 * p + 1));
        const float r = ::sqrtf(-2.0f * ::logf(u1));
        float s, c;
        ::sincospif(2.0f * u2, &s, &c);
        v[2 * p] = mean + std * (r * c);
        v[2 * p + 1] = mean + std * (r * s);
      }
    } else {
      const uint4 w2 = philox(seed, ctr, 1);
      const uint4 ws[2] = {w, w2};
#pragma unroll
      for (int p = 0; p < 2; ++p) {
        const double u1 = 1.0 - unit_double(ws[p].x, ws[p].y), u2 = unit_double(ws[p].z, ws[p].w);
        const double r = ::sqrt(-2.0 * ::log(u1));
        double s, c;
        ::sincospi(2.0 * u2, &s, &c);
        v[2 * p] = mean + std * (r * c);
        v[2 * p + 1] = mean + std * (r * s);
      }
    }
  }
};

template <typename T>
struct RandInt {
  int64_t low;
  uint64_t range;  // high - low, > 0
  __device__ __forceinline__ void operator()(uint64_t seed, uint64_t ctr, T (&v)[4]) const {
    const uint4 w = philox(seed, ctr, 0);
    if (range <= 0xffffffffull) {
      const uint32_t r32 = uint32_t(range);
#pragma unroll
      for (int q = 0; q < 4; ++q) v[q] = T(int64_t(uint64_t(word(w, q) % r32) + uint64_t(low)));
    } else {
      const uint4 w2 = philox(seed, ctr, 1);
      const uint64_t b[4] = {(uint64_t(w.x) << 32) | w.y, (uint64_t(w.z) << 32) | w.w, (uint64_t(w2.x) << 32) | w2.y,
                             (uint64_t(w2.z) << 32) | w2.w};
#pragma unroll
      for (int q = 0; q < 4; ++q) v[q] = T(int64_t(b[q] % range + uint64_t(low)));
    }
  }
};

/// One draw per element (a 53-bit uniform, or a Box-Muller normal for log_normal_) turned into a
/// value by the sampler's rule, shared with the CPU (src/sampling_rules.h).
template <typename T>
struct Sampled {
  Sampler kind;
  double a, b;
  __device__ __forceinline__ void operator()(uint64_t seed, uint64_t ctr, T (&v)[4]) const {
    const uint4 w = philox(seed, ctr, 0), w2 = philox(seed, ctr, 1);
    double d[4] = {unit_double(w.x, w.y), unit_double(w.z, w.w), unit_double(w2.x, w2.y), unit_double(w2.z, w2.w)};
    if (draws_normal(kind)) {
#pragma unroll
      for (int p = 0; p < 2; ++p) {
        const double r = ::sqrt(-2.0 * ::log(1.0 - d[2 * p]));
        double s, c;
        ::sincospi(2.0 * d[2 * p + 1], &s, &c);
        d[2 * p] = r * c;
        d[2 * p + 1] = r * s;
      }
    }
#pragma unroll
    for (int q = 0; q < 4; ++q) v[q] = static_cast<T>(sample_value(kind, d[q], a, b));
  }
};

/// out: (n) contiguous. Thread g fills elements 4g..4g+3 from counter offset + g.
template <typename T, typename Gen>
__global__ void random_kernel(T* __restrict__ out, int64_t n, Gen gen, uint64_t seed, uint64_t offset) {
  const int64_t groups = (n + 3) / 4;
  const int64_t step = int64_t(blockDim.x) * gridDim.x;
  for (int64_t g = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; g < groups; g += step) {
    T v[4];
    gen(seed, offset + uint64_t(g), v);
    const int64_t base = 4 * g;
    if (base + 4 <= n) {
#pragma unroll
      for (int q = 0; q < 4; ++q) out[base + q] = v[q];
    } else {
      for (int q = 0; base + q < n; ++q) out[base + q] = v[q];
    }
  }
}

/// Guards the offset: data-loader threads may draw concurrently.
std::mutex& offset_mutex() {
  static std::mutex m;
  return m;
}

}  // namespace
}  // namespace cuda_kernels

namespace {

/// Runs gen over out (through a contiguous scratch tensor when out is strided), reserving the
/// counters it uses from the backend's offset.
template <typename T, typename Gen>
void fill_random(Backend& be, const Tensor& out, const Gen& gen, const uint64_t& seed_ref, uint64_t& offset) {
  using namespace cuda_kernels;
  const int64_t n = out.numel();
  if (n == 0) return;
  const uint64_t groups = uint64_t((n + 3) / 4);
  uint64_t start = 0, seed = 0;
  {
    std::lock_guard<std::mutex> lock(offset_mutex());
    seed = seed_ref;
    start = offset;
    offset += groups;
  }
  const Tensor target = out.is_contiguous() ? out : make_empty(out.sizes(), out.dtype(), out.device());
  random_kernel<T><<<grid_for(int64_t(groups)), kBlockSize, 0, current_stream()>>>(static_cast<T*>(target.data_ptr()),
                                                                                   n, gen, seed, start);
  EMBER_CUDA_LAUNCH_CHECK();
  if (!target.is_same(out)) be.copy(out, target);
}

}  // namespace

// Each call takes its Philox offset on the host; a replayed graph would reuse the captured offset
// and draw the same numbers every time.
static const char* const kNoCaptureReason = "random ops cannot be captured yet: their offsets would repeat on replay";

void CudaBackend::manual_seed(uint64_t seed) {
  std::lock_guard<std::mutex> lock(cuda_kernels::offset_mutex());
  seed_ = seed;
  offset_ = 0;
}

void CudaBackend::uniform(const Tensor& out, double low, double high) {
  cuda_detail::check_not_capturing("uniform_ (random ops)", kNoCaptureReason);
  dispatch_floating(out.dtype(), "uniform_", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const cuda_kernels::Uniform<T> gen{T(low), T(high) - T(low), T(high)};
    fill_random<T>(*this, out, gen, seed_, offset_);
  });
}

void CudaBackend::normal(const Tensor& out, double mean, double std) {
  cuda_detail::check_not_capturing("normal_ (random ops)", kNoCaptureReason);
  dispatch_floating(out.dtype(), "normal_", [&](auto tag) {
    using T = typename decltype(tag)::type;
    fill_random<T>(*this, out, cuda_kernels::Normal<T>{T(mean), T(std)}, seed_, offset_);
  });
}

void CudaBackend::randint(const Tensor& out, int64_t low, int64_t high) {
  cuda_detail::check_not_capturing("random_ (random ops)", kNoCaptureReason);
  EMBER_CHECK(low < high, "random_: expects 'from' to be less than 'to', but got from=", low, " >= to=", high, " for ",
              describe(out));
  dispatch_numeric(out.dtype(), "random_", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const cuda_kernels::RandInt<T> gen{low, uint64_t(high) - uint64_t(low)};
    fill_random<T>(*this, out, gen, seed_, offset_);
  });
}

void CudaBackend::random_bits(const Tensor& out, int64_t low, uint64_t range) {
  cuda_detail::check_not_capturing("random_ (random ops)", kNoCaptureReason);
  dispatch_all(out.dtype(), "random_", [&](auto tag) {
    using T = typename decltype(tag)::type;
    fill_random<T>(*this, out, cuda_kernels::RandInt<T>{low, range}, seed_, offset_);
  });
}

void CudaBackend::sample(Sampler kind, const Tensor& out, double a, double b) {
  cuda_detail::check_not_capturing("random sampling (random ops)", kNoCaptureReason);
  dispatch_all(out.dtype(), "random sampling", [&](auto tag) {
    using T = typename decltype(tag)::type;
    fill_random<T>(*this, out, cuda_kernels::Sampled<T>{kind, a, b}, seed_, offset_);
  });
}

}  // namespace ember
