// ember's AVX-512 sgemm (src/cpu/sgemm_avx512.cpp) against a plain double-accumulated loop:
// every transposition, odd and edge-straddling sizes for both of its algorithms (packed panels
// and the dot kernel), padded leading dimensions, alpha/beta, beta = 0 over NaN, k = 0, and the
// shapes of the tutorial's convolutions, mm and fc layers. Also end to end through mm and conv2d.
#include <cmath>
#include <limits>
#include <random>
#include <tuple>
#include <vector>

#include "../src/cpu/sgemm.h"
#include "catch.h"
#include "ember/ember.h"

namespace {

struct Case {
  bool ta, tb;
  int64_t m, n, k;
  float alpha, beta;
  int64_t pad = 0;  // added to every leading dimension
};

// Runs one case and returns the worst |ours - reference| / (1 + sum |terms|) over C, checking
// on the way that the padding between rows of C was left alone.
double run_case(const Case& t, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  const int64_t arows = t.ta ? t.k : t.m, acols = t.ta ? t.m : t.k;
  const int64_t brows = t.tb ? t.n : t.k, bcols = t.tb ? t.k : t.n;
  const int64_t lda = acols + t.pad, ldb = bcols + t.pad, ldc = t.n + t.pad;
  std::vector<float> a(size_t(std::max<int64_t>(arows * lda, 1))), b(size_t(std::max<int64_t>(brows * ldb, 1)));
  std::vector<float> c(size_t(std::max<int64_t>(t.m * ldc, 1)));
  for (float& v : a) v = dist(rng);
  for (float& v : b) v = dist(rng);
  const float sentinel = 12345.f;
  for (int64_t i = 0; i < t.m; ++i)
    for (int64_t j = 0; j < ldc; ++j)
      c[size_t(i * ldc + j)] = j >= t.n        ? sentinel
                               : t.beta == 0.f ? std::numeric_limits<float>::quiet_NaN()
                                               : dist(rng);
  const std::vector<float> c0 = c;
  ember::cpu::sgemm_avx512(t.ta, t.tb, t.m, t.n, t.k, t.alpha, a.data(), lda, b.data(), ldb, t.beta, c.data(), ldc);
  double worst = 0;
  for (int64_t i = 0; i < t.m; ++i)
    for (int64_t j = 0; j < ldc; ++j) {
      const float got = c[size_t(i * ldc + j)];
      if (j >= t.n) {
        if (got != sentinel) return 1e30;  // wrote past the row
        continue;
      }
      double sum = 0, mag = 0;
      for (int64_t p = 0; p < t.k; ++p) {
        const double av = t.ta ? a[size_t(p * lda + i)] : a[size_t(i * lda + p)];
        const double bv = t.tb ? b[size_t(j * ldb + p)] : b[size_t(p * ldb + j)];
        sum += av * bv;
        mag += std::fabs(av * bv);
      }
      double want = double(t.alpha) * sum;
      if (t.beta != 0.f) want += double(t.beta) * c0[size_t(i * ldc + j)];
      if (!std::isfinite(got)) return 1e30;
      worst = std::max(worst, std::fabs(got - want) / (1.0 + std::fabs(double(t.alpha)) * mag));
    }
  return worst;
}

void check(const Case& t, std::mt19937& rng) {
  INFO("ta " << t.ta << " tb " << t.tb << " m " << t.m << " n " << t.n << " k " << t.k << " alpha " << t.alpha
             << " beta " << t.beta << " pad " << t.pad);
  CHECK(run_case(t, rng) < 1e-5);
}

bool skip_without_avx512() { return !ember::cpu::sgemm_avx512_available(); }

}  // namespace

TEST_CASE("sgemm_avx512: sizes around the panel and block edges, all transpositions", "[sgemm]") {
  if (skip_without_avx512()) EMBER_SKIP("this CPU has no AVX-512");
  std::mt19937 rng(1);
  // 1..33 straddle the 12-row A panels and 32-column B panels; 127..130 the dot kernel's
  // threshold; 300 and 650 need two packed k blocks (kc <= 320); 145 two row blocks.
  const int64_t sizes[] = {1, 2, 3, 5, 7, 11, 12, 13, 16, 17, 31, 32, 33, 47, 64, 100, 145, 300};
  const int64_t ks[] = {1, 2, 7, 16, 17, 75, 127, 128, 130, 288, 330, 650};
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (int64_t m : sizes)
        for (int64_t n : {int64_t(1), int64_t(9), int64_t(33), int64_t(70), m})
          for (int64_t k : ks)
            if (m * n * k <= 3000000) check({ta, tb, m, n, k, 1.f, 0.f}, rng);
}

TEST_CASE("sgemm_avx512: alpha, beta, padded leading dimensions", "[sgemm]") {
  if (skip_without_avx512()) EMBER_SKIP("this CPU has no AVX-512");
  std::mt19937 rng(2);
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (float alpha : {1.f, -0.5f, 2.f})
        for (float beta : {0.f, 1.f, 0.25f})
          for (int64_t pad : {0, 3, 16}) {
            check({ta, tb, 13, 45, 19, alpha, beta, pad}, rng);
            check({ta, tb, 29, 7, 333, alpha, beta, pad}, rng);  // dot kernel when !ta && tb
            check({ta, tb, 40, 100, 700, alpha, beta, pad}, rng);
          }
}

TEST_CASE("sgemm_avx512: k = 0 and alpha = 0 only scale C, beta = 0 ignores NaN in C", "[sgemm]") {
  if (skip_without_avx512()) EMBER_SKIP("this CPU has no AVX-512");
  std::mt19937 rng(3);
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      check({ta, tb, 5, 40, 0, 1.f, 0.f, 2}, rng);  // C full of NaN must come out as zeros
      check({ta, tb, 5, 40, 0, 1.f, 0.5f, 2}, rng);
      check({ta, tb, 5, 40, 9, 0.f, 1.5f, 2}, rng);
      check({ta, tb, 33, 65, 200, 1.f, 0.f, 0}, rng);
    }
  // alpha = 0: A and B are not read, so NaN in them does not reach C (BLAS semantics).
  std::vector<float> a(6, std::numeric_limits<float>::quiet_NaN()), b(6, 1.f), c(4, 2.f);
  ember::cpu::sgemm_avx512(false, false, 2, 2, 3, 0.f, a.data(), 3, b.data(), 2, 0.5f, c.data(), 2);
  for (float v : c) CHECK(v == 1.f);
  // m = 0 or n = 0: nothing is touched.
  ember::cpu::sgemm_avx512(false, false, 0, 2, 3, 1.f, a.data(), 3, b.data(), 2, 0.f, c.data(), 2);
  ember::cpu::sgemm_avx512(false, false, 2, 0, 3, 1.f, a.data(), 3, b.data(), 2, 0.f, c.data(), 2);
  for (float v : c) CHECK(v == 1.f);
}

TEST_CASE("sgemm_avx512: the tutorial's conv, fc and mm shapes", "[sgemm]") {
  if (skip_without_avx512()) EMBER_SKIP("this CPU has no AVX-512");
  std::mt19937 rng(4);
  const Case cases[] = {
      {false, false, 32, 2048, 75, 1.f, 0.f},   // conv1 forward W @ cols
      {false, true, 32, 75, 2048, 1.f, 1.f},    // conv1 weight grad g @ cols^T (accumulating)
      {true, false, 75, 1024, 32, 1.f, 0.f},    // conv1 input grad W^T @ g
      {false, false, 16, 862, 288, 1.f, 0.f},   // conv2 forward
      {true, false, 288, 862, 16, 1.f, 0.f},    // conv2 input grad
      {false, true, 16, 288, 862, 1.f, 1.f},    // conv2 weight grad
      {false, true, 64, 10, 4096, 1.f, 0.f},    // fc forward x @ W^T
      {false, false, 64, 300, 10, 1.f, 0.f},    // fc input grad g @ W
      {true, false, 300, 10, 64, 1.f, 0.f},     // fc weight grad x^T @ g
      {false, false, 64, 200, 3072, 1.f, 0.f},  // mm forward (a column block)
      {false, true, 64, 150, 4000, 1.f, 0.f},   // mm input grad
  };
  for (const Case& t : cases) check(t, rng);
}

TEST_CASE("mm and conv2d in float32 agree with float64 (whichever GEMM the CPU runs)", "[sgemm]") {
  using namespace ember;
  manual_seed(5);
  for (auto [m, k, n] : {std::tuple<int64_t, int64_t, int64_t>{64, 300, 70}, {33, 17, 129}, {5, 1000, 3}}) {
    Tensor a = randn({m, k}), b = randn({k, n});
    Tensor want = a.to(kFloat64).mm(b.to(kFloat64));
    CHECK(allclose(a.mm(b).to(kFloat64), want, 1e-4, 1e-4));
    CHECK(allclose(a.t().contiguous().t().mm(b.t().contiguous().t()).to(kFloat64), want, 1e-4, 1e-4));
  }
  Tensor x = randn({3, 5, 11, 13}, TensorOptions().requires_grad(true));
  Tensor w = randn({7, 5, 3, 3}, TensorOptions().requires_grad(true));
  Tensor y = conv2d(x, w, Tensor(), 1, 1);
  y.sum().backward();
  Tensor x64 = x.detach().to(kFloat64), w64 = w.detach().to(kFloat64);
  x64.set_requires_grad(true);
  w64.set_requires_grad(true);
  Tensor y64 = conv2d(x64, w64, Tensor(), 1, 1);
  y64.sum().backward();
  CHECK(allclose(y.to(kFloat64), y64, 1e-4, 1e-4));
  CHECK(allclose(x.grad().to(kFloat64), x64.grad(), 1e-4, 1e-4));
  CHECK(allclose(w.grad().to(kFloat64), w64.grad(), 1e-4, 1e-4));
}
