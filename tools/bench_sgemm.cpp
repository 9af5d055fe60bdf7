// Micro-benchmark: ember's AVX-512 sgemm against OpenBLAS's cblas_sgemm (single-threaded, as
// gemm.cpp and conv.cpp call them) on the shapes of the tutorial's trainings. Prints GFLOP/s of
// the fastest of many repeats, interleaving the two so machine load hits both alike.
// usage: bench_sgemm [repeats]
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "../src/cpu/sgemm.h"

namespace {

struct Shape {
  const char* name;
  bool ta, tb;
  int64_t m, n, k;
};

// L = columns of one conv unit (src/cpu/conv.cpp's 1 MB units): 2048 for conv1, 862 for conv2.
const Shape kShapes[] = {
    {"conv1 fwd   W@cols", false, false, 32, 2048, 75},  {"conv1 wgrad g@cols^T", false, true, 32, 75, 2048},
    {"conv2 fwd   W@cols", false, false, 16, 862, 288},  {"conv2 igrad W^T@g", true, false, 288, 862, 16},
    {"conv2 wgrad g@cols^T", false, true, 16, 288, 862}, {"fc fwd x@W (half)", false, false, 32, 10, 16384},
    {"fc fwd x@W^T (half)", false, true, 32, 10, 16384}, {"fc dx g@W^T", false, true, 64, 16384, 10},
    {"fc dx g@W (half)", false, false, 64, 8192, 10},    {"fc dW x^T@g (half)", true, false, 8192, 10, 64},
    {"mm fwd (half)", false, false, 64, 2000, 3072},     {"mm dx g@W^T (half)", false, true, 64, 1536, 4000},
    {"mm dW x^T@g (half)", true, false, 3072, 2000, 64},
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  const int repeats = argc > 1 ? std::atoi(argv[1]) : 50;
  openblas_set_num_threads(1);
  if (!ember::cpu::sgemm_avx512_available()) {
    std::printf("this CPU has no AVX-512: nothing to compare\n");
    return 0;
  }
  std::mt19937 rng(0);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  std::printf("%-22s %5s %6s %6s %9s %9s %7s %9s\n", "shape", "m", "n", "k", "blas GF/s", "ours GF/s", "ratio",
              "max|diff|");
  for (const Shape& s : kShapes) {
    const int64_t lda = s.ta ? s.m : s.k, ldb = s.tb ? s.k : s.n;
    std::vector<float> a(size_t(s.m * s.k)), b(size_t(s.k * s.n)), c1(size_t(s.m * s.n)), c2(c1.size());
    for (float& v : a) v = dist(rng);
    for (float& v : b) v = dist(rng);
    auto blas = [&] {
      cblas_sgemm(CblasRowMajor, s.ta ? CblasTrans : CblasNoTrans, s.tb ? CblasTrans : CblasNoTrans, int(s.m), int(s.n),
                  int(s.k), 1.f, a.data(), int(lda), b.data(), int(ldb), 0.f, c1.data(), int(s.n));
    };
    auto ours = [&] {
      ember::cpu::sgemm_avx512(s.ta, s.tb, s.m, s.n, s.k, 1.f, a.data(), lda, b.data(), ldb, 0.f, c2.data(), s.n);
    };
    blas();
    ours();
    double diff = 0;
    for (size_t i = 0; i < c1.size(); ++i) diff = std::max(diff, double(std::fabs(c1[i] - c2[i])));
    // Enough calls per sample that a sample lasts ~1 ms.
    const double flops = 2.0 * double(s.m) * double(s.n) * double(s.k);
    const int inner = std::max(1, int(2e7 / flops));
    double best_blas = 1e30, best_ours = 1e30;
    for (int r = 0; r < repeats; ++r) {
      auto t0 = std::chrono::steady_clock::now();
      for (int i = 0; i < inner; ++i) blas();
      best_blas = std::min(best_blas, seconds_since(t0) / inner);
      t0 = std::chrono::steady_clock::now();
      for (int i = 0; i < inner; ++i) ours();
      best_ours = std::min(best_ours, seconds_since(t0) / inner);
    }
    std::printf("%-22s %5lld %6lld %6lld %9.1f %9.1f %6.2fx %9.2e\n", s.name, (long long)s.m, (long long)s.n,
                (long long)s.k, flops / best_blas * 1e-9, flops / best_ours * 1e-9, best_blas / best_ours, diff);
  }
  return 0;
}
