// PyTorch-compatible CPU random streams: mt19937 plus the transforms PyTorch 1.13 applies.
//
// Every transform below mirrors one in PyTorch (aten/src/ATen/core/DistributionsHelper.h,
// TransformationHelper.h, native/cpu/DistributionTemplates.h), step for step, because the point
// is bit-identical output. Where the AVX2 build of PyTorch fuses a multiply and an add into one
// FMA (GCC contracts them under -mfma), we call std::fma; everywhere else the expressions are
// kept unfused, which the pragmas below guarantee even if ember is built with -march=native.
#include "generator.h"

#include <cmath>
#include <cstring>

#include "ember/error.h"

#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

// The float normal path is inlined into an FMA-enabled copy (see normal_fill_16_fma).
#if defined(__GNUC__) || defined(__clang__)
#define EMBER_RNG_INLINE inline __attribute__((always_inline))
#else
#define EMBER_RNG_INLINE inline
#endif

namespace ember {

namespace {

constexpr double kPi = 3.14159265358979323846;

uint32_t float_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}
float bits_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// uniform_real: keep as many random bits as the type's mantissa holds, scale to [0, 1), then
// map to [from, to) with one fused multiply-add (fused in PyTorch's AVX2 kernels).
float to_uniform(uint32_t bits, float from, float to) {
  const float x = float(bits & ((1u << 24) - 1)) * (1.0f / float(1u << 24));
  return std::fma(x, to - from, from);
}
double to_uniform(uint64_t bits, double from, double to) {
  const double x = double(bits & ((uint64_t(1) << 53) - 1)) * (1.0 / double(uint64_t(1) << 53));
  return std::fma(x, to - from, from);
}

// --- float32 normal_ on >= 16 contiguous values --------------------------------------------
// PyTorch's AVX2 normal_fill runs Box-Muller on 8 lanes with the Cephes-derived log256_ps and
// sincos256_ps (avx_mathfun.h), not libm. These are the same polynomials evaluated lane by lane
// with the same rounding steps, so the results match to the bit.

EMBER_RNG_INLINE float cephes_logf(float x) {
  const bool invalid = !(x > 0.0f);  // log of <= 0 (or NaN) is NaN
  const float min_normal = bits_float(0x00800000u);
  x = x > min_normal ? x : min_normal;  // denormals up to the smallest normal (maxps)
  const uint32_t bits = float_bits(x);
  // Split into mantissa in [0.5, 1) and exponent e.
  x = bits_float((bits & ~0x7f800000u) | float_bits(0.5f));
  float e = float(int32_t(bits >> 23) - 0x7f) + 1.0f;
  // Bring the mantissa into [sqrt(1/2), sqrt(2)) - 1 so the polynomial stays accurate.
  const bool small = x < 0.707106781186547524f;
  const float tmp = small ? x : 0.0f;
  x = x - 1.0f;
  e = e - (small ? 1.0f : 0.0f);
  x = x + tmp;

  const float z = x * x;
  float y = 7.0376836292E-2f;
  y = std::fma(y, x, -1.1514610310E-1f);
  y = std::fma(y, x, 1.1676998740E-1f);
  y = std::fma(y, x, -1.2420140846E-1f);
  y = std::fma(y, x, 1.4249322787E-1f);
  y = std::fma(y, x, -1.6668057665E-1f);
  y = std::fma(y, x, 2.0000714765E-1f);
  y = std::fma(y, x, -2.4999993993E-1f);
  y = std::fma(y, x, 3.3333331174E-1f);
  y = y * x;
  y = std::fma(y, z, e * -2.12194440e-4f);
  y = std::fma(-z, 0.5f, y);
  x = std::fma(e, 0.693359375f, x + y);
  return invalid ? std::nanf("") : x;
}

// sin and cos of x >= 0 together (x = 2*pi*u here, so never negative).
EMBER_RNG_INLINE void cephes_sincosf(float x, float* s, float* c) {
  const uint32_t sign_sin_in = float_bits(x) & 0x80000000u;
  x = std::fabs(x);
  // Octant j of x, rounded up to even; y = j as a float.
  int32_t j = int32_t(x * 1.27323954473516f);
  j = (j + 1) & ~1;
  const float y = float(j);
  const uint32_t swap_sin = uint32_t(j & 4) << 29;
  const bool poly_cos = (j & 2) == 0;  // which polynomial gives the sine in this octant
  // x - j*pi/4 in three pieces (extended-precision range reduction).
  x = std::fma(y, -0.78515625f, x);
  x = std::fma(y, -2.4187564849853515625e-4f, x);
  x = std::fma(y, -3.77489497744594108e-8f, x);
  const uint32_t sign_cos = uint32_t(~(j - 2) & 4) << 29;
  const uint32_t sign_sin = sign_sin_in ^ swap_sin;

  const float z = x * x;
  float yc = 2.443315711809948E-005f;
  yc = std::fma(yc, z, -1.388731625493765E-003f);
  yc = std::fma(yc, z, 4.166664568298827E-002f);
  yc = yc * z;
  yc = std::fma(yc, z, -(z * 0.5f));
  yc = yc + 1.0f;

  float ys = -1.9515295891E-4f;
  ys = std::fma(ys, z, 8.3321608736E-3f);
  ys = std::fma(ys, z, -1.6666654611E-1f);
  ys = ys * z;
  ys = std::fma(ys, x, x);

  // The vector code selects with masks and adds zeros; do the same so signed zeros agree.
  const float sin2 = poly_cos ? ys : 0.0f;
  const float sin1 = poly_cos ? 0.0f : yc;
  ys = ys - sin2;
  yc = yc - sin1;
  *s = bits_float(float_bits(sin1 + sin2) ^ sign_sin);
  *c = bits_float(float_bits(yc + ys) ^ sign_cos);
}

// 16 uniforms in data[0..16) become 16 normals: lane j pairs data[j] with data[j + 8].
EMBER_RNG_INLINE void normal_fill_16(float* data, float mean, float std) {
  const float two_pi = float(2.0 * kPi);
  for (int j = 0; j < 8; ++j) {
    const float u1 = 1.0f - data[j];  // (0, 1] for the log
    const float u2 = data[j + 8];
    const float radius = std::sqrt(-2.0f * cephes_logf(u1));
    float s, c;
    cephes_sincosf(two_pi * u2, &s, &c);
    data[j] = std::fma(radius * c, std, mean);
    data[j + 8] = std::fma(radius * s, std, mean);
  }
}

// std::fma is a libm call unless the compiler may emit FMA instructions; on x86-64 CPUs that
// have them, a copy of the float path built for FMA runs about 4x faster (same bits: fma is
// exactly rounded either way).
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("fma"))) void normal_fill_16_fma(float* data, float mean, float std) {
  normal_fill_16(data, mean, std);
}
bool cpu_has_fma() {
  static const bool has = __builtin_cpu_supports("fma");
  return has;
}
#else
void normal_fill_16_fma(float* data, float mean, float std) { normal_fill_16(data, mean, std); }
bool cpu_has_fma() { return false; }
#endif

// The float64 version uses libm (as PyTorch's scalar normal_fill_16 does).
void normal_fill_16(double* data, double mean, double std) {
  for (int j = 0; j < 8; ++j) {
    const double u1 = 1.0 - data[j];
    const double u2 = data[j + 8];
    const double radius = std::sqrt(-2.0 * std::log(u1));
    const double theta = 2.0 * kPi * u2;
    data[j] = std::fma(radius * std::cos(theta), std, mean);
    data[j + 8] = std::fma(radius * std::sin(theta), std, mean);
  }
}

}  // namespace

// --- mt19937, as at::mt19937 (the standard algorithm; only the low 32 bits of the seed count) --

void CpuGenerator::seed(uint64_t s) {
  seed_ = s;
  state_[0] = uint32_t(s & 0xffffffffu);
  for (int j = 1; j < kN; ++j) state_[j] = 1812433253u * (state_[j - 1] ^ (state_[j - 1] >> 30)) + uint32_t(j);
  left_ = 1;  // the first draw regenerates the whole state
  next_ = 0;
  have_next_normal_ = false;
  next_normal_ = 0;
}

void CpuGenerator::twist() {
  auto mix = [](uint32_t u, uint32_t v) {
    const uint32_t y = (u & 0x80000000u) | (v & 0x7fffffffu);
    return (y >> 1) ^ ((v & 1u) ? 0x9908b0dfu : 0u);
  };
  int k = 0;
  for (; k < kN - kM; ++k) state_[k] = state_[k + kM] ^ mix(state_[k], state_[k + 1]);
  for (; k < kN - 1; ++k) state_[k] = state_[k + kM - kN] ^ mix(state_[k], state_[k + 1]);
  state_[kN - 1] = state_[kM - 1] ^ mix(state_[kN - 1], state_[0]);
  left_ = kN;
  next_ = 0;
}

uint32_t CpuGenerator::random() {
  if (--left_ == 0) twist();
  uint32_t y = state_[next_++];
  y ^= y >> 11;
  y ^= (y << 7) & 0x9d2c5680u;
  y ^= (y << 15) & 0xefc60000u;
  y ^= y >> 18;
  return y;
}

uint64_t CpuGenerator::random64() {
  const uint32_t hi = random();
  const uint32_t lo = random();
  return (uint64_t(hi) << 32) | lo;
}

// --- state save / restore ------------------------------------------------------------------

void CpuGenerator::get_state(int64_t* out) const {
  for (int j = 0; j < kN; ++j) out[j] = int64_t(state_[j]);
  out[kN] = left_;
  out[kN + 1] = next_;
  int64_t seed_bits, normal_bits;
  std::memcpy(&seed_bits, &seed_, sizeof seed_bits);
  std::memcpy(&normal_bits, &next_normal_, sizeof normal_bits);
  out[kN + 2] = seed_bits;
  out[kN + 3] = have_next_normal_ ? 1 : 0;
  out[kN + 4] = normal_bits;
}

void CpuGenerator::set_state(const int64_t* in, const char* what) {
  bool any_nonzero = false;
  for (int j = 0; j < kN; ++j) {
    EMBER_CHECK(in[j] >= 0 && in[j] <= int64_t(0xffffffffu), what, ": word ", j, " of the mt19937 state is ", in[j],
                ", outside [0, 2^32)");
    any_nonzero = any_nonzero || in[j] != 0;
  }
  // An all-zero state would make mt19937 return zeros forever.
  EMBER_CHECK(any_nonzero, what, ": the mt19937 state words are all zero");
  const int64_t left = in[kN], next = in[kN + 1];
  // random() keeps left + next == kN + 1 between draws; seed() sets left 1, next 0.
  EMBER_CHECK(left >= 1 && left <= kN && (left + next == kN + 1 || (left == 1 && next == 0)), what,
              ": position words (left ", left, ", next ", next, ") are inconsistent (expected 1 <= left <= ", kN,
              " and left + next == ", kN + 1, ", or left 1 and next 0 right after seeding)");
  EMBER_CHECK(in[kN + 3] == 0 || in[kN + 3] == 1, what, ": the cached-normal flag is ", in[kN + 3], ", not 0 or 1");
  double cached;
  std::memcpy(&cached, &in[kN + 4], sizeof cached);
  EMBER_CHECK(std::isfinite(cached), what, ": the cached normal value is not finite");
  for (int j = 0; j < kN; ++j) state_[j] = uint32_t(in[j]);
  left_ = int(left);
  next_ = int(next);
  std::memcpy(&seed_, &in[kN + 2], sizeof seed_);
  have_next_normal_ = in[kN + 3] == 1;
  next_normal_ = cached;
}

// --- uniform ---------------------------------------------------------------------------------

template <typename T>
void CpuGenerator::uniform_impl(T* out, int64_t n, double low, double high) {
  // PyTorch casts the bounds to the tensor's type first, then works in that type.
  const T from = T(low), to = T(high);
  for (int64_t i = 0; i < n; ++i) {
    if constexpr (sizeof(T) == sizeof(float)) out[i] = to_uniform(random(), from, to);
    else out[i] = to_uniform(random64(), from, to);
  }
}
void CpuGenerator::uniform(float* out, int64_t n, double low, double high) { uniform_impl(out, n, low, high); }
void CpuGenerator::uniform(double* out, int64_t n, double low, double high) { uniform_impl(out, n, low, high); }

// --- normal ----------------------------------------------------------------------------------

double CpuGenerator::normal_double() {
  if (have_next_normal_) {
    have_next_normal_ = false;
    return next_normal_;
  }
  const double u1 = to_uniform(random64(), 0.0, 1.0);
  const double u2 = to_uniform(random64(), 0.0, 1.0);
  const double r = std::sqrt(-2.0 * std::log(1.0 - u2));
  const double theta = 2.0 * kPi * u1;
  next_normal_ = r * std::sin(theta);
  have_next_normal_ = true;
  return r * std::cos(theta);
}

template <typename T>
void CpuGenerator::normal_serial_impl(T* out, int64_t n, double mean, double std) {
  for (int64_t i = 0; i < n; ++i) out[i] = T(std::fma(normal_double(), std, mean));
}
void CpuGenerator::normal_serial(float* out, int64_t n, double mean, double std) {
  normal_serial_impl(out, n, mean, std);
}
void CpuGenerator::normal_serial(double* out, int64_t n, double mean, double std) {
  normal_serial_impl(out, n, mean, std);
}

// PyTorch's normal_fill: draw all n uniforms, transform them 16 at a time, and when n is not a
// multiple of 16 draw 16 fresh uniforms over the last 16 slots and transform those again.
template <typename T>
static void normal_fill(CpuGenerator& gen, T* out, int64_t n, T mean, T std) {
  void (*fill16)(T*, T, T) = normal_fill_16;
  if constexpr (sizeof(T) == sizeof(float)) {
    if (cpu_has_fma()) fill16 = normal_fill_16_fma;
  }
  gen.uniform(out, n, 0.0, 1.0);
  for (int64_t i = 0; i + 16 <= n; i += 16) fill16(out + i, mean, std);
  if (n % 16 != 0) {
    T* tail = out + n - 16;
    gen.uniform(tail, 16, 0.0, 1.0);
    fill16(tail, mean, std);
  }
}

void CpuGenerator::normal(float* out, int64_t n, double mean, double std) {
  if (n >= 16) normal_fill(*this, out, n, float(mean), float(std));
  else normal_serial(out, n, mean, std);
}
void CpuGenerator::normal(double* out, int64_t n, double mean, double std) {
  if (n >= 16) normal_fill(*this, out, n, mean, std);
  else normal_serial(out, n, mean, std);
}

// --- randint ---------------------------------------------------------------------------------

template <typename T>
void CpuGenerator::randint_impl(T* out, int64_t n, int64_t low, int64_t high) {
  const uint64_t range = uint64_t(high) - uint64_t(low);
  // PyTorch takes 64 random bits only when 32 cannot cover the range (int64/float/double).
  const bool wide = range >= (uint64_t(1) << 32);
  for (int64_t i = 0; i < n; ++i) {
    const uint64_t bits = wide ? random64() : uint64_t(random());
    out[i] = T(int64_t(bits % range + uint64_t(low)));
  }
}
void CpuGenerator::randint(int64_t* out, int64_t n, int64_t low, int64_t high) { randint_impl(out, n, low, high); }
void CpuGenerator::randint(float* out, int64_t n, int64_t low, int64_t high) { randint_impl(out, n, low, high); }
void CpuGenerator::randint(double* out, int64_t n, int64_t low, int64_t high) { randint_impl(out, n, low, high); }

void CpuGenerator::randperm(int64_t* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = i;
  for (int64_t i = 0; i + 1 < n; ++i) {
    const int64_t z = int64_t(random() % uint64_t(n - i));
    const int64_t t = out[i];
    out[i] = out[i + z];
    out[i + z] = t;
  }
}

}  // namespace ember
