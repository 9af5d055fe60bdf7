// The direct convolution (src/cpu/conv_direct*.cpp) on each vector path the CPU has (AVX2 +
// FMA, AVX-512; a path the CPU lacks is reported skipped) against double-accumulated loops:
// forward with and without bias and the weight gradient, on shapes that straddle the vectors
// (planes smaller than one vector, odd widths, ragged last vectors), the register tiles
// (channel counts that are not multiples of 4 or 16), the kernel sizes (1x1 to 7x7, 3x1) and
// both input layouts (masked; padded where rows are whole vectors), stride 2 ("halving": odd
// kernels padded by half, output rows of whole vectors: odd heights and widths, 1x1 to 7x7),
// batches 1 to 3; the result does not depend on the thread count. Then end to end through
// conv2d's autograd (forward, input gradient as a flipped forward, weight gradient), float32
// on the widest path against float64 on im2col + BLAS, at ResNet-20's shapes.
#include <cmath>
#include <random>
#include <vector>

#include "../src/cpu/conv_direct.h"
#include "catch.h"
#include "ember/ember.h"
#include "helpers.h"

using namespace ember;

namespace {

struct Shape {
  int64_t n, c, cout, h, w, kh, kw, stride = 1;
};

// Same-shaped (stride 1, padding (k - 1) / 2) convolutions of all the sizes the header names.
const std::vector<Shape> kShapes = {
    {1, 1, 1, 1, 1, 3, 3},    // one pixel: every tap but the centre is padding
    {3, 3, 5, 3, 5, 3, 3},    // a plane of 15, under one AVX-512 vector
    {1, 2, 3, 4, 7, 1, 1},    // 1x1, 28 pixels: ragged last vector
    {2, 4, 13, 2, 3, 3, 3},   // 13 output channels: tiles of 4 / 16 plus remainders
    {3, 5, 7, 7, 9, 3, 3},    // odd plane, odd channels
    {2, 3, 6, 6, 7, 3, 1},    // a 3x1 kernel (padding 1, 0)
    {2, 3, 17, 11, 6, 5, 5},  // 5x5, padding 2
    {1, 6, 9, 5, 5, 7, 7},    // 7x7, padding 3: taps wider than the plane
    {2, 7, 19, 9, 13, 3, 3},  // 19 outputs, rows of 13 that wrap inside vectors
    // Widths of whole AVX2 vectors: the padded layout there (conv_direct_kernels.h).
    {1, 1, 1, 1, 8, 3, 3},     // one row: the rows above and below are padding
    {1, 2, 3, 2, 8, 1, 1},     // 1x1, no padding
    {2, 3, 5, 4, 8, 5, 5},     // 5x5 on a plane lower than the kernel
    {1, 2, 6, 3, 16, 7, 7},    // 7x7, padding 3
    {2, 5, 3, 5, 8, 3, 1},     // 3x1
    {1, 3, 16, 32, 32, 3, 3},  // ResNet-20's stem
    {3, 16, 16, 32, 32, 3, 3},
    {2, 32, 32, 16, 16, 3, 3},
    {3, 64, 64, 8, 8, 3, 3},  // its stages
    // Stride 2, padding (k - 1) / 2 (the AVX2 path): output widths of 8 or 16, whole vectors.
    {1, 1, 1, 2, 16, 3, 3, 2},     // one output row
    {2, 3, 5, 7, 16, 3, 3, 2},     // odd height: the last output row's lower taps in the padding
    {1, 2, 3, 5, 15, 3, 3, 2},     // odd width: one fewer odd column than even ones
    {2, 4, 6, 6, 32, 1, 1, 2},     // 1x1, no padding: the odd columns unread
    {1, 3, 5, 9, 32, 5, 5, 2},     // 5x5, padding 2
    {2, 3, 7, 6, 32, 3, 1, 2},     // 3x1 (padding 1, 0)
    {1, 2, 5, 5, 16, 7, 7, 2},     // 7x7, padding 3: taps wider than the output plane
    {2, 16, 32, 32, 32, 3, 3, 2},  // ResNet-20's downsampling convolutions
    {3, 32, 64, 16, 16, 3, 3, 2},
    {2, 16, 32, 32, 32, 1, 1, 2},  // and its 1x1 shortcuts
    {2, 32, 64, 16, 16, 1, 1, 2},
    {1, 2, 3, 4, 10, 3, 3, 2},  // output rows of 5: no direct path (im2col end to end)
};

ConvGeometry geometry(const Shape& s) {
  const int64_t ph = (s.kh - 1) / 2, pw = (s.kw - 1) / 2;
  const int64_t oh = (s.h + 2 * ph - s.kh) / s.stride + 1, ow = (s.w + 2 * pw - s.kw) / s.stride + 1;
  return ConvGeometry{s.n, s.c, s.h, s.w, s.cout, s.kh, s.kw, oh, ow, s.stride, s.stride, ph, pw, 1, 1};
}

std::vector<float> random_floats(size_t count, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  std::vector<float> v(count);
  for (float& x : v) x = dist(rng);
  return v;
}

// Calls f(n, co, c, oh, ow, ki, kj, ih, iw) for every product of the convolution whose input
// pixel is inside the plane.
template <typename F>
void for_each_product(const ConvGeometry& g, F&& f) {
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t co = 0; co < g.cout; ++co)
      for (int64_t c = 0; c < g.c; ++c)
        for (int64_t oh = 0; oh < g.oh; ++oh)
          for (int64_t ow = 0; ow < g.ow; ++ow)
            for (int64_t ki = 0; ki < g.kh; ++ki)
              for (int64_t kj = 0; kj < g.kw; ++kj) {
                const int64_t ih = oh * g.sh - g.ph + ki, iw = ow * g.sw - g.pw + kj;
                if (ih >= 0 && ih < g.h && iw >= 0 && iw < g.w) f(n, co, c, oh, ow, ki, kj, ih, iw);
              }
}

// |got - want| <= 1e-5 * sqrt(terms) per element: each value sums `terms` products of U(-1, 1)
// values in float, the reference in double. A wrong tap or mask is off by O(1).
void require_near(const std::vector<float>& got, const std::vector<double>& want, double terms) {
  REQUIRE(got.size() == want.size());
  const double tol = 1e-5 * std::sqrt(terms);
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i << ": got " << got[i] << ", want " << want[i]);
    REQUIRE(std::abs(double(got[i]) - want[i]) <= tol);
  }
}

void check_path(cpu::SimdIsa isa) {
  std::mt19937 rng(7);
  for (const Shape& s : kShapes) {
    const ConvGeometry g = geometry(s);
    INFO("n " << s.n << " c " << s.c << " cout " << s.cout << " plane " << s.h << "x" << s.w << " kernel " << s.kh
              << "x" << s.kw << " stride " << s.stride);
    REQUIRE(cpu::conv_direct_geometry(g));
    // Stride 2 runs on AVX2, with output rows of whole vectors.
    REQUIRE(cpu::conv_direct_path_applies(isa, g) == (s.stride == 1 || (isa == cpu::SimdIsa::avx2 && g.ow % 8 == 0)));
    if (!cpu::conv_direct_path_applies(isa, g)) continue;
    const size_t in_size = size_t(g.n * g.image_in()), out_size = size_t(g.n * g.image_out());
    const size_t w_size = size_t(g.cout * g.ckk());
    // Exactly sized buffers: a read past a plane's end would show under the sanitizers.
    const std::vector<float> x = random_floats(in_size, rng), w = random_floats(w_size, rng);
    const std::vector<float> bias = random_floats(size_t(g.cout), rng), go = random_floats(out_size, rng);

    std::vector<double> y_ref(out_size, 0.0), gw_ref(w_size, 0.0);
    for_each_product(g, [&](int64_t n, int64_t co, int64_t c, int64_t oh, int64_t ow, int64_t ki, int64_t kj,
                            int64_t ih, int64_t iw) {
      const size_t xi = size_t(((n * g.c + c) * g.h + ih) * g.w + iw);
      const size_t wi = size_t(((co * g.c + c) * g.kh + ki) * g.kw + kj);
      const size_t yi = size_t(((n * g.cout + co) * g.oh + oh) * g.ow + ow);
      y_ref[yi] += double(x[xi]) * double(w[wi]);
      gw_ref[wi] += double(x[xi]) * double(go[yi]);
    });
    const double fwd_terms = double(g.ckk()), wgt_terms = double(g.n * g.oh * g.ow);

    std::vector<float> y(out_size, std::nanf(""));  // NaN: every element must be written
    cpu::conv_direct_forward_with(isa, x.data(), w.data(), nullptr, y.data(), g);
    {
      INFO("forward without bias");
      require_near(y, y_ref, fwd_terms);
    }
    std::vector<double> yb_ref = y_ref;
    for (size_t i = 0; i < out_size; ++i) yb_ref[i] += bias[i / size_t(g.plane_out()) % size_t(g.cout)];
    cpu::conv_direct_forward_with(isa, x.data(), w.data(), bias.data(), y.data(), g);
    {
      INFO("forward with bias");
      require_near(y, yb_ref, fwd_terms + 1);
    }
    std::vector<float> gw(w_size, std::nanf(""));
    cpu::conv_direct_backward_weight_with(isa, x.data(), go.data(), gw.data(), g);
    {
      INFO("weight gradient");
      require_near(gw, gw_ref, wgt_terms);
    }

    // The forward on one thread is bit for bit the team's: each output element is one thread's
    // sum, in a fixed order.
    const int threads = get_num_threads();
    set_num_threads(1);
    std::vector<float> y1(out_size), gw1(w_size);
    cpu::conv_direct_forward_with(isa, x.data(), w.data(), bias.data(), y1.data(), g);
    cpu::conv_direct_backward_weight_with(isa, x.data(), go.data(), gw1.data(), g);
    set_num_threads(threads);
    CHECK(y1 == y);
    // The weight gradient's share per thread changes the order of its sums: close, not equal.
    require_near(gw1, gw_ref, wgt_terms);
  }
}

}  // namespace

TEST_CASE("conv_direct AVX2: forward and weight gradient against double loops", "[conv][conv_direct]") {
  if (!cpu::simd_available(cpu::SimdIsa::avx2)) EMBER_SKIP("this CPU has no AVX2 + FMA");
  check_path(cpu::SimdIsa::avx2);
}

TEST_CASE("conv_direct AVX-512: forward and weight gradient against double loops", "[conv][conv_direct]") {
  if (!cpu::simd_available(cpu::SimdIsa::avx512)) EMBER_SKIP("this CPU has no AVX-512");
  check_path(cpu::SimdIsa::avx512);
}

TEST_CASE("conv_direct: the geometry rule", "[conv][conv_direct]") {
  const ConvGeometry same{2, 3, 8, 8, 4, 3, 3, 8, 8, 1, 1, 1, 1, 1, 1};
  CHECK(cpu::conv_direct_geometry(same));
  ConvGeometry g = same;
  g.sh = 2, g.oh = 4;  // stride 2 down the columns only
  CHECK_FALSE(cpu::conv_direct_geometry(g));
  g.sw = 2, g.ow = 4;  // stride 2 both ways: halving
  CHECK(cpu::conv_direct_geometry(g));
  g.ph = g.pw = 0, g.oh = g.ow = 3;  // stride 2 unpadded 3x3
  CHECK_FALSE(cpu::conv_direct_geometry(g));
  g = same;
  g.kh = g.kw = 2, g.ph = g.pw = 0, g.sh = g.sw = 2, g.oh = g.ow = 4;  // an even kernel
  CHECK_FALSE(cpu::conv_direct_geometry(g));
  g = same;
  g.sh = g.sw = 3, g.oh = g.ow = 3;  // stride 3
  CHECK_FALSE(cpu::conv_direct_geometry(g));
  g = same;
  g.sh = g.sw = 2, g.oh = g.ow = 4;  // rows of 4 output pixels: shorter than a vector
  CHECK_FALSE(cpu::conv_direct_path_applies(cpu::SimdIsa::avx2, g));
  g = ConvGeometry{2, 3, 16, 16, 4, 3, 3, 8, 8, 2, 2, 1, 1, 1, 1};  // rows of 8: AVX2's, not AVX-512's
  CHECK(cpu::conv_direct_geometry(g));
  CHECK(cpu::conv_direct_path_applies(cpu::SimdIsa::avx2, g) == cpu::simd_available(cpu::SimdIsa::avx2));
  CHECK_FALSE(cpu::conv_direct_path_applies(cpu::SimdIsa::avx512, g));
  g = same;
  g.ph = 0, g.oh = 6;  // "valid": the output plane is smaller
  CHECK_FALSE(cpu::conv_direct_geometry(g));
  g = same;
  g.dw = 2, g.pw = 2;  // dilation
  CHECK_FALSE(cpu::conv_direct_geometry(g));
  g = same;
  g.kh = g.kw = 9, g.ph = g.pw = 4;  // 81 taps: over the 7x7 limit
  CHECK_FALSE(cpu::conv_direct_geometry(g));
}

TEST_CASE("conv2d float32 on the direct path matches float64 im2col: forward and both gradients",
          "[conv][conv_direct]") {
  if (!cpu::simd_available(cpu::SimdIsa::avx2) && !cpu::simd_available(cpu::SimdIsa::avx512))
    EMBER_SKIP("this CPU has no direct-convolution path (AVX2 + FMA or AVX-512)");
  manual_seed(3);
  for (const Shape& s : kShapes) {
    INFO("n " << s.n << " c " << s.c << " cout " << s.cout << " plane " << s.h << "x" << s.w << " kernel " << s.kh
              << "x" << s.kw << " stride " << s.stride);
    const std::vector<int64_t> padding{(s.kh - 1) / 2, (s.kw - 1) / 2};
    const ConvGeometry g = geometry(s);
    const Tensor x = randn({s.n, s.c, s.h, s.w}), w = randn({s.cout, s.c, s.kh, s.kw});
    const Tensor gout = randn({s.n, s.cout, g.oh, g.ow});
    auto run = [&](ScalarType dt) {
      Tensor xl = x.to(dt).detach().requires_grad_(true), wl = w.to(dt).detach().requires_grad_(true);
      Tensor out = conv2d(xl, wl, Tensor(), s.stride, padding);
      (out * gout.to(dt)).sum().backward();
      return std::vector<Tensor>{out.detach(), xl.grad(), wl.grad()};
    };
    const std::vector<Tensor> got = run(kFloat), expected = run(kDouble);
    const char* names[] = {"output", "input gradient", "weight gradient"};
    const double terms[] = {double(s.c * s.kh * s.kw), double(s.cout * s.kh * s.kw), double(s.n * g.oh * g.ow)};
    for (size_t i = 0; i < got.size(); ++i) {
      INFO(names[i]);
      // N(0, 1) values: each sum of n products is about sqrt(n) in size.
      ember_test::require_close(got[i].to(kDouble), expected[i], 0, 1e-5 * std::sqrt(terms[i]));
    }
  }
}
