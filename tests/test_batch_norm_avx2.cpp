// Float32 batch norm on the CPU (on CPUs with AVX2: src/cpu/batch_norm_avx2.cpp's blocked sweeps)
// against a double-precision loop reference: the output, the saved statistics' effect on the
// running mean and variance, and the gradients of the input, weight and bias, over shapes that
// straddle the vectors (runs of 8, 15, 64 values), the blocks (runs longer than 2048, with a
// tail), one run per channel and many, the portable path (runs shorter than a vector), and
// data far from zero (a mean of 50 with a spread of 0.5, where E[x^2] - E[x]^2 would cancel).
#include <cmath>
#include <vector>

#include "catch.h"
#include "ember/ember.h"
#include "helpers.h"

using namespace ember;
namespace F = ember::nn::functional;

namespace {

struct Shape {
  int64_t n, c, h, w;
};

struct Reference {
  std::vector<double> y, dx, dw, db, rm, rv;
};

// Training-mode batch norm of x (N, C, inner) in double, and its backward for grad_out go.
Reference reference(const std::vector<double>& x, const std::vector<double>& w, const std::vector<double>& b,
                    const std::vector<double>& go, int64_t n, int64_t c, int64_t inner, double momentum, double eps) {
  Reference r;
  r.y.resize(x.size());
  r.dx.resize(x.size());
  const double count = double(n * inner);
  for (int64_t ch = 0; ch < c; ++ch) {
    auto at = [&](int64_t i, int64_t j) { return size_t((i * c + ch) * inner + j); };
    double mean = 0, ss = 0;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < inner; ++j) mean += x[at(i, j)];
    mean /= count;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < inner; ++j) ss += (x[at(i, j)] - mean) * (x[at(i, j)] - mean);
    const double invstd = 1.0 / std::sqrt(ss / count + eps);
    r.rm.push_back(momentum * mean);                               // running mean from 0
    r.rv.push_back((1 - momentum) + momentum * ss / (count - 1));  // running variance from 1
    double sum_go = 0, sum_go_xhat = 0;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < inner; ++j) {
        const double xhat = (x[at(i, j)] - mean) * invstd;
        r.y[at(i, j)] = xhat * w[size_t(ch)] + b[size_t(ch)];
        sum_go += go[at(i, j)];
        sum_go_xhat += go[at(i, j)] * xhat;
      }
    r.db.push_back(sum_go);
    r.dw.push_back(sum_go_xhat);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < inner; ++j) {
        const double xhat = (x[at(i, j)] - mean) * invstd;
        r.dx[at(i, j)] = w[size_t(ch)] * invstd * (go[at(i, j)] - sum_go / count - xhat * sum_go_xhat / count);
      }
  }
  return r;
}

Tensor as_tensor(const std::vector<double>& v, IntArrayRef sizes) {
  return from_blob(const_cast<double*>(v.data()), sizes, kDouble).clone();
}

}  // namespace

TEST_CASE("batch_norm: float32 forward and backward match a float64 reference across runs and blocks", "[norm]") {
  const std::vector<Shape> shapes = {
      {2, 3, 1, 8},     // runs of one vector
      {3, 2, 3, 5},     // runs of 15: one vector and a scalar tail
      {4, 3, 8, 8},     // ResNet-20's last stage (runs of 64)
      {2, 2, 1, 4100},  // runs of two full blocks and a 4-value block
      {1, 2, 64, 70},   // one run per channel, two blocks and a ragged third
      {16, 4, 16, 16},  // many runs per channel
      {5, 3, 1, 7},     // runs shorter than a vector: the portable loops
  };
  const double momentum = 0.1, eps = 1e-5;
  for (const Shape& s : shapes) {
    for (double offset : {0.0, 50.0}) {
      INFO("shape " << s.n << "x" << s.c << "x" << s.h << "x" << s.w << ", offset " << offset);
      manual_seed(7);
      const double spread = offset == 0.0 ? 1.0 : 0.5;
      // The float32 input, and the same values in double for the reference.
      const Tensor x32 = ember_test::rnd({s.n, s.c, s.h, s.w}) * spread + offset;
      const Tensor go32 = ember_test::rnd({s.n, s.c, s.h, s.w});
      const Tensor w32 = ember_test::rnd({s.c}) + 1.5, b32 = ember_test::rnd({s.c});
      const std::vector<double> x = ember_test::values(x32), go = ember_test::values(go32), w = ember_test::values(w32),
                                b = ember_test::values(b32);
      const int64_t inner = s.h * s.w;
      const Reference r = reference(x, w, b, go, s.n, s.c, inner, momentum, eps);

      const Tensor xin = x32.clone().requires_grad_(true), wt = w32.clone().requires_grad_(true),
                   bt = b32.clone().requires_grad_(true);
      Tensor rm = zeros({s.c}), rv = ones({s.c});
      const Tensor y = F::batch_norm(
          xin, rm, rv, F::BatchNormFuncOptions().weight(wt).bias(bt).training(true).momentum(momentum).eps(eps));
      (y * go32).sum().backward();

      const IntArrayRef shape = x32.sizes();
      // Outputs are O(1) (normalised): float32 resolves them to ~1e-7; the statistics of
      // offset data lose ~1e-7 of the offset (50) in the input itself, 1e-5 of the spread.
      const double tol = offset == 0.0 ? 2e-5 : 2e-4;
      ember_test::require_close(y.to(kDouble), as_tensor(r.y, shape), tol, tol);
      ember_test::require_close(xin.grad().to(kDouble), as_tensor(r.dx, shape), tol, tol);
      // Sums over count values of O(1) terms.
      const double count = double(s.n * inner), sum_tol = tol * std::sqrt(count);
      ember_test::require_close(wt.grad().to(kDouble), as_tensor(r.dw, {s.c}), tol, sum_tol);
      ember_test::require_close(bt.grad().to(kDouble), as_tensor(r.db, {s.c}), tol, sum_tol);
      ember_test::require_close(rm.to(kDouble), as_tensor(r.rm, {s.c}), 1e-6, 1e-6);
      ember_test::require_close(rv.to(kDouble), as_tensor(r.rv, {s.c}), 1e-5, 1e-6);
    }
  }
}

TEST_CASE("batch_norm: float32 results do not depend on the thread count", "[norm][threads]") {
  manual_seed(11);
  const Tensor x = ember_test::rnd({8, 6, 16, 16}) * 2.0 + 3.0, go = ember_test::rnd({8, 6, 16, 16});
  std::vector<Tensor> results;
  const int threads = get_num_threads();
  for (int t : {1, 2, 3}) {
    set_num_threads(t);
    const Tensor xin = x.clone().requires_grad_(true);
    Tensor rm = zeros({6}), rv = ones({6});
    const Tensor y = F::batch_norm(xin, rm, rv, F::BatchNormFuncOptions().training(true));
    (y * go).sum().backward();
    results.push_back(cat({y.flatten(), xin.grad().flatten(), rm, rv}));
  }
  set_num_threads(threads);
  ember_test::require_equal(results[1], results[0]);
  ember_test::require_equal(results[2], results[0]);
}
