#pragma once
// float32 exp, expm1, log1p, tanh and erf on 16 lanes (AVX-512), for the pointwise kernels'
// vector bodies (src/cpu/vec16.h). Why not libm: glibc computes one element per call, and the
// activations that need these were 2-16 times slower than PyTorch's (Sleef) vector math.
//
// Each function reduces the argument, evaluates a polynomial (coefficients fitted with mpmath's
// chebyfit to the function on the reduced interval, then rounded to float; erf picks one of 16
// pieces per lane with vpermps) and puts the result back together with AVX-512's exact helpers:
// scalef (x 2^n, rounding once into the subnormals and overflowing to inf), getexp. Special inputs follow C99 Annex F:
// NaN propagates, +-inf and -0 give the limits and the signed zero, overflow gives inf, underflow 0 or a subnormal.
//
// Accuracy: the largest error against double-precision libm (whose own error is far below a
// float ulp), in float32 ulps at the exact result, over all 2^32 float32 inputs
// (`ember_tests "[vecmath-exhaustive]"`, a few minutes; tests/test_vecmath.cpp checks every
// 127th input on each run):
//   exp 0.988 (x = 59.275), expm1 1.347 (x = 0.35426), log1p 0.971 (x = 0.49781),
//   tanh 1.046 (x = 0.87844), erf 1.423 (x = 0.013841)
// kMaxUlp below holds these, rounded up; the tests assert them. Rounding mode: round to
// nearest (the default), DAZ/FTZ off.
#include <cstddef>

#include "avx512.h"  // intrinsics, EMBER_AVX512_INLINE; the includer pops the diagnostics

namespace ember {
namespace cpu {
namespace vecmath {

/// The documented error bounds, in ulp (measured over every input, see above), asserted by
/// tests/test_vecmath.cpp.
struct MaxUlp {
  double exp, expm1, log1p, tanh, erf;
};
constexpr MaxUlp kMaxUlp = {0.99, 1.35, 0.98, 1.05, 1.43};

EMBER_AVX512_INLINE __m512 splat(float v) { return _mm512_set1_ps(v); }

/// c[0] x^(N-1) + ... + c[N-1] (highest power first), by Horner's rule with FMAs.
template <size_t N>
EMBER_AVX512_INLINE __m512 horner(__m512 x, const float (&c)[N]) {
  __m512 p = splat(c[0]);
  for (size_t k = 1; k < N; ++k) p = _mm512_fmadd_ps(p, x, splat(c[k]));
  return p;
}

// The polynomials' coefficients (see each function), highest power first.
constexpr float kExpm1P[] = {0.00019891103420544327f, 0.0013933751387987224f, 0.008333310823923211f,
                             0.04166646401078555f,    0.16666666681725f,      0.5000000013557447f};
constexpr float kLog1pP[] = {0.03999274180743669f, -0.09420567267352355f, 0.11799980158168827f, -0.12708607233754704f,
                             0.14263367678605657f, -0.16655093501639792f, 0.20000070491141095f, -0.2500019252466722f,
                             0.33333335172873724f, -0.49999999496782455f};
constexpr float kTanhP[] = {-0.0006345422356464645f, 0.002987045422972764f,  -0.008621063623544685f,
                            0.021817761133720217f,   -0.053962882671571274f, 0.1333331213583102f,
                            -0.33333333195266096f};

/// a with the sign bit of s (copysign): the functions below are odd or keep their argument's
/// sign, and fixing the sign at the end is what gives -0 for -0.
EMBER_AVX512_INLINE __m512 with_sign_of(__m512 a, __m512 s) {
  const __m512i sign = _mm512_set1_epi32(int(0x80000000u));
  // bit select: sign ? s : a
  return _mm512_castsi512_ps(_mm512_ternarylogic_epi32(sign, _mm512_castps_si512(s), _mm512_castps_si512(a), 0xCA));
}
EMBER_AVX512_INLINE __m512 abs(__m512 a) { return _mm512_abs_ps(a); }

/// x = n ln2 + r with n = round(x / ln2), |r| <= ln2 / 2 (a hair more after rounding x / ln2).
/// The first FMA is exact (x - n ln2_hi is a multiple of x's or ln2_hi's ulp and below 1), the
/// second folds in the rest of ln2.
EMBER_AVX512_INLINE __m512 reduce_ln2(__m512 x, __m512& n) {
  n = _mm512_roundscale_ps(_mm512_mul_ps(x, splat(1.44269504088896341f)),
                           _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const __m512 r = _mm512_fnmadd_ps(n, splat(0.693147182464599609375f), x);  // float(ln2)
  return _mm512_fnmadd_ps(n, splat(-1.904654323148236e-09f), r);             // ln2 - float(ln2)
}

/// expm1(r) = r + r^2 P(r) for |r| <= 0.347; P fitted to 1.4e-9.
EMBER_AVX512_INLINE __m512 expm1_reduced(__m512 r) {
  const __m512 p = horner(r, kExpm1P);
  return _mm512_fmadd_ps(_mm512_mul_ps(r, r), p, r);
}

/// e^x. Clamping to [-104, 89] keeps r finite for +-inf (min/max return their second operand,
/// x, when it is NaN); scalef then overflows to inf past ln(FLT_MAX) = 88.72 and rounds to 0
/// below ln(2^-150) = -103.97.
EMBER_AVX512_INLINE __m512 exp(__m512 x) {
  x = _mm512_max_ps(splat(-104.f), _mm512_min_ps(splat(89.f), x));
  __m512 n;
  const __m512 r = reduce_ln2(x, n);
  return _mm512_scalef_ps(_mm512_add_ps(expm1_reduced(r), splat(1.f)), n);
}

/// e^x - 1 = 2^n expm1(r) + (2^n - 1) = t e + (t - 1) with t = 2^n, one rounding (FMA). t - 1
/// is exact up to n = 24; above, the 1 moves inside as t (e - 2^-n) + t, where e - 2^-n is
/// exact or off by 1/8 ulp of the result. 2^128 is not a float, so n = 128 (x in [88.38, 89])
/// takes t = 2^127 and doubles afterwards, overflowing to inf; below -30 the result is -1.
EMBER_AVX512_INLINE __m512 expm1(__m512 x) {
  const __m512 xc = _mm512_max_ps(splat(-30.f), _mm512_min_ps(splat(89.f), x));
  __m512 n;
  const __m512 e = expm1_reduced(reduce_ln2(xc, n));
  const __m512 nt = _mm512_min_ps(n, splat(127.f));
  const __m512 t = _mm512_scalef_ps(splat(1.f), nt);
  const __mmask16 big = _mm512_cmp_ps_mask(n, splat(24.f), _CMP_GT_OQ);
  const __m512 u = _mm512_mask_sub_ps(e, big, e, _mm512_scalef_ps(splat(1.f), _mm512_sub_ps(_mm512_setzero_ps(), nt)));
  const __m512 v = _mm512_mask_sub_ps(t, __mmask16(~big), t, splat(1.f));
  const __m512 y = _mm512_fmadd_ps(t, u, v);
  return with_sign_of(_mm512_scalef_ps(y, _mm512_sub_ps(n, nt)), x);  // the sign: expm1(-0) = -0
}

/// log(1 + x). u = 1 + x = 2^k m with m in [0.75, 1.5), f = m - 1 (exact), and
/// log1p(x) = k ln2 + log(1 + f) + c / u, c the rounding error of 1 + x. Where k = 0, f is x
/// itself, exactly, and there is no c. log(1 + f) = f + f^2 P(f), P fitted to 6.6e-9 on
/// [-0.26, 0.51].
EMBER_AVX512_INLINE __m512 log1p(__m512 x) {
  const __m512 one = splat(1.f);
  const __m512 u = _mm512_add_ps(x, one);
  // floor(log2(4u / 3)), computed as floor(log2(2u / 3)) + 1 so FLT_MAX does not overflow.
  const __m512 k = _mm512_add_ps(_mm512_getexp_ps(_mm512_mul_ps(u, splat(2.f / 3.f))), one);
  const __mmask16 k0 = _mm512_cmp_ps_mask(k, _mm512_setzero_ps(), _CMP_EQ_OQ);
  const __m512 f =
      _mm512_mask_mov_ps(_mm512_sub_ps(_mm512_scalef_ps(u, _mm512_sub_ps(_mm512_setzero_ps(), k)), one), k0, x);
  // The rounding error of u = 1 + x, exactly (Sterbenz: u - 1 is exact for u <= 2, u - x for u > 2).
  const __mmask16 u_le2 = _mm512_cmp_ps_mask(u, splat(2.f), _CMP_LE_OQ);
  const __m512 c =
      _mm512_mask_blend_ps(u_le2, _mm512_sub_ps(one, _mm512_sub_ps(u, x)), _mm512_sub_ps(x, _mm512_sub_ps(u, one)));
  // c / u is below 2^-24 of the result where k != 0, so a 14-bit reciprocal is plenty.
  const __m512 corr = _mm512_maskz_mul_ps(__mmask16(~k0), c, _mm512_rcp14_ps(u));

  const __m512 p = horner(f, kLog1pP);
  // lo: everything but f and k ln2_hi; k ln2_hi is exact inside the last FMA.
  const __m512 lo = _mm512_fmadd_ps(_mm512_mul_ps(f, f), p, _mm512_fmadd_ps(k, splat(-1.904654323148236e-09f), corr));
  __m512 y = _mm512_fmadd_ps(k, splat(0.693147182464599609375f), _mm512_add_ps(f, lo));
  y = with_sign_of(y, x);  // log1p(-0) = -0
  // x = -1: -inf; x < -1: NaN; x = +inf: +inf (u's exponent is infinite there).
  y = _mm512_mask_mov_ps(y, _mm512_cmp_ps_mask(x, splat(-1.f), _CMP_EQ_OQ), splat(-__builtin_inff()));
  y = _mm512_mask_mov_ps(y, _mm512_cmp_ps_mask(x, splat(-1.f), _CMP_LT_OQ), splat(__builtin_nanf("")));
  return _mm512_mask_mov_ps(y, _mm512_cmp_ps_mask(x, splat(__builtin_inff()), _CMP_EQ_OQ), x);
}

/// tanh(x), odd: for |x| < 0.8 a + a^3 P(a^2) (P fitted to 1.4e-9), above 1 - 2 / (e^2a + 1),
/// which is 1 in float from |x| = 9.01 on (clamping there keeps e^2a finite).
EMBER_AVX512_INLINE __m512 tanh(__m512 x) {
  const __m512 a = abs(x);
  const __m512 a2 = _mm512_mul_ps(a, a);
  const __m512 p = horner(a2, kTanhP);
  const __m512 small = _mm512_fmadd_ps(_mm512_mul_ps(a, a2), p, a);
  const __m512 ac = _mm512_min_ps(splat(9.5f), a);  // NaN passes
  const __m512 e = exp(_mm512_add_ps(ac, ac));
  const __m512 large = _mm512_sub_ps(splat(1.f), _mm512_div_ps(splat(2.f), _mm512_add_ps(e, splat(1.f))));
  return with_sign_of(_mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, splat(0.8f), _CMP_LT_OQ), large, small), x);
}

/// erf's pieces: on [i / 4, (i + 1) / 4), i = 0 .. 15, erf(a) = c0[i] + lo[i] + t Q_i(t) with
/// t = a - i / 4 and Q_i of degree 5 (q0 .. q5), c0 + lo = erf(i / 4) and q0 + q0_lo = Q_i(0) to
/// 48 bits. Fitted (mpmath chebyfit) to 6e-10 absolute for i > 0 and to 3e-9 relative on
/// [0, 1/4], where c0 = lo = 0 and Q_0 is erf(t) / t: there q0 alone (2 / sqrt(pi) in float) would
/// be 0.8 ulp off. One vpermps per coefficient picks each lane's piece.
struct ErfTable {
  alignas(64) float c0[16], lo[16], q0_lo[16], q[6][16];
};
constexpr ErfTable kErf = {
    {0.0f, 0.27632638812065125f, 0.5204998850822449f, 0.7111556529998779f, 0.8427007794380188f, 0.9229001402854919f,
     0.9661051630973816f, 0.9866716861724854f, 0.9953222870826721f, 0.9985373020172119f, 0.9995930194854736f,
     0.9998993873596191f, 0.9999778866767883f, 0.9999957084655762f, 0.9999992847442627f, 0.9999998807907104f},
    {0.0f, 2.0475856565838058e-09f, -7.269198132320298e-09f, -1.9346362734040667e-08f, 1.35116957622472e-08f,
     -1.202903376906761e-08f, -1.6622070830862867e-08f, -1.4953302596154572e-08f, -2.206371974011745e-08f,
     -1.8603893536806027e-08f, 2.84970820274566e-08f, -9.281738932997996e-09f, 2.282621380800265e-08f,
     -1.1245039566176729e-08f, -2.784263486432792e-08f, 5.482033049730717e-09f},
    {-5.564715621630967e-08f, 1.6727759177825874e-09f, 7.143454716640463e-09f, 2.2850313641242792e-08f,
     7.468363705243064e-09f, -2.3629020962090408e-09f, 2.272142252124354e-09f, 9.911844678356374e-10f,
     7.79121434035801e-10f, 1.496129609090957e-10f, 4.484584578690054e-11f, 1.5252021867695476e-11f,
     6.384190918973243e-12f, -5.294888876308801e-13f, 1.2418732220961098e-13f, -2.1766212421857334e-14f},
    {{1.1283791700837384f, 1.0600141303577735f, 0.8787825775055458f, 0.6429310669520295f, 0.415107496100566f,
      0.2365211224768806f, 0.11893028993131045f, 0.05277499655659892f, 0.020666985620348972f, 0.007142319027935798f,
      0.002178284151621964f, 0.0005862771802365159f, 0.00013925301665903335f, 2.918901138202347e-05f,
      5.399422331306961e-06f, 8.814310272717153e-07f},
     {-8.610627597444854e-07f, -0.26500381636909726f, -0.43939087860377296f, -0.4821976557978128f,
      -0.41510711656605215f, -0.29565141100816666f, -0.1783956375113228f, -0.09235642344360817f, -0.041334047565993653f,
      -0.01607021959042509f, -0.005445687913441152f, -0.0016122431596858199f, -0.00041774897865477057f,
      -9.486029249782629e-05f, -1.8896710351534698e-05f, -3.3050346188225987e-06f},
     {-0.37608609719266267f, -0.30915721789700895f, -0.14648270789554113f, 0.026758628415462914f, 0.13835122708597472f,
      0.1675360276224116f, 0.13876147589535553f, 0.09016574693032722f, 0.04822659497953647f, 0.021724658197596967f,
      0.008349034891304638f, 0.0027594858486794313f, 0.0007886222329418416f, 0.00019561935380471075f,
      4.223491815037425e-05f, 7.95371910864297e-06f},
     {-0.0006913560053251241f, 0.1267381606467603f, 0.18339485322214222f, 0.15120222791945104f, 0.0694965563366286f,
      -0.006158446389368341f, -0.04475929837001766f, -0.04824788059111949f, -0.034508418725533285f,
      -0.01908591662322211f, -0.008604484172936985f, -0.003242578819453605f, -0.0010361104622816674f,
      -0.0002832554402746368f, -6.665861176732403e-05f, -1.356230603358719e-05f},
     {0.11822165323056909f, 0.08208812224065597f, 0.005015238518328573f, -0.05722067931920286f, -0.07167617253209933f,
      -0.04726221878717807f, -0.01364783258634166f, 0.00776601954168386f, 0.01360088423864564f, 0.010688578698455995f,
      0.005981100883692985f, 0.0026341410398659686f, 0.0009507858294117943f, 0.0002872524549685918f,
      7.356467900723288e-05f, 1.610289162364159e-05f},
     {-0.019467393335826155f, -0.048987550870310426f, -0.04280550162481831f, -0.012747599932937942f, 0.014103334613393f,
      0.02216484147255134f, 0.015158059301941118f, 0.004774939089815135f, -0.0015324415049732818f,
      -0.0031045807765220897f, -0.002329767163562578f, -0.0012113281943936063f, -0.0004900909796424068f,
      -0.00016143301984547967f, -4.430611142618695e-05f, -1.0272445119263559e-05f}}};

/// Each lane's entry of a 16-entry table.
EMBER_AVX512_INLINE __m512 piece(__m512i i, const float* table) {
  return _mm512_permutexvar_ps(i, _mm512_load_ps(table));
}

/// erf(x), odd: the piece of |x| (above), evaluated in t; |x| is clamped below 4, where erf
/// rounds to 1 in float from 3.92 on.
EMBER_AVX512_INLINE __m512 erf(__m512 x) {
  const __m512 a = _mm512_min_ps(splat(3.99999976f), abs(x));  // NaN passes (min's 2nd operand)
  // NaN converts to INT_MIN, whose low bits pick piece 0: the result stays NaN.
  const __m512i i = _mm512_cvttps_epi32(_mm512_mul_ps(a, splat(4.f)));
  const __m512 t = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(i), splat(0.25f), a);  // exact
  __m512 p = piece(i, kErf.q[5]);
  for (int k = 4; k >= 0; --k) p = _mm512_fmadd_ps(p, t, piece(i, kErf.q[k]));
  const __m512 lo = _mm512_fmadd_ps(t, piece(i, kErf.q0_lo), piece(i, kErf.lo));
  const __m512 y = _mm512_add_ps(piece(i, kErf.c0), _mm512_fmadd_ps(t, p, lo));
  return with_sign_of(y, x);
}

}  // namespace vecmath
}  // namespace cpu
}  // namespace ember
