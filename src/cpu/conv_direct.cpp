// Which direct-convolution path runs (conv_direct.h): the geometry rule, and the widest vector
// instruction set this CPU has. Compiled for the baseline CPU; the paths are in
// conv_direct_avx512.cpp and conv_direct_avx2.cpp.
#include "conv_direct.h"

#include "sgemm.h"

namespace ember {
namespace cpu {

constexpr int64_t kMaxTaps = 49;  // kernels up to 7x7

bool simd_available(SimdIsa isa) {
  if (isa == SimdIsa::avx512) return sgemm_avx512_available();
  static const bool avx2 = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }();
  return avx2;
}

bool conv_direct_geometry(const ConvGeometry& g) {
  if (g.dh != 1 || g.dw != 1 || g.kh * g.kw > kMaxTaps || g.oh * g.ow <= 0) return false;
  // "Same": stride 1, the output plane the input's.
  if (g.sh == 1 && g.sw == 1) return g.oh == g.h && g.ow == g.w;
  // Halving: stride 2 with an odd kernel padded by half of it (ResNet's downsampling 3x3 pad 1
  // and 1x1 shortcuts).
  return g.sh == 2 && g.sw == 2 && g.kh % 2 == 1 && g.kw % 2 == 1 && 2 * g.ph == g.kh - 1 && 2 * g.pw == g.kw - 1;
}

bool conv_direct_path_applies(SimdIsa isa, const ConvGeometry& g) {
  // Stride 2 reads only the padded layout, whose output rows are whole vectors; on AVX2 only,
  // where it was measured (2x im2col's forward). AVX-512 keeps im2col into its packed-panel
  // SGEMM for stride 2 until the direct path is measured there.
  return simd_available(isa) && conv_direct_geometry(g) && (g.sw == 1 || (isa == SimdIsa::avx2 && g.ow % 8 == 0));
}

namespace {
SimdIsa widest() { return simd_available(SimdIsa::avx512) ? SimdIsa::avx512 : SimdIsa::avx2; }
}  // namespace

bool conv_direct_applies(const ConvGeometry& g) { return conv_direct_path_applies(widest(), g); }

void conv_direct_forward(const float* x, const float* w, const float* bias, float* y, const ConvGeometry& g) {
  conv_direct_forward_with(widest(), x, w, bias, y, g);
}

void conv_direct_backward_weight(const float* x, const float* go, float* gw, const ConvGeometry& g) {
  conv_direct_backward_weight_with(widest(), x, go, gw, g);
}

void conv_direct_forward_with(SimdIsa isa, const float* x, const float* w, const float* bias, float* y,
                              const ConvGeometry& g) {
  if (isa == SimdIsa::avx512) return conv_direct_forward_avx512(x, w, bias, y, g);
  conv_direct_forward_avx2(x, w, bias, y, g);
}

void conv_direct_backward_weight_with(SimdIsa isa, const float* x, const float* go, float* gw, const ConvGeometry& g) {
  if (isa == SimdIsa::avx512) return conv_direct_backward_weight_avx512(x, go, gw, g);
  conv_direct_backward_weight_avx2(x, go, gw, g);
}

}  // namespace cpu
}  // namespace ember
