// Random sampling ops (src/ops/sampling.cpp): on the CPU, exactly PyTorch 1.13's numbers after the
// same manual_seed (tests/fixtures/random_ops.txt, tools/gen_random_fixtures.py); distribution
// checks of large samples with fixed seeds; LibTorch's errors; autograd; CUDA statistics.
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "ember/sampling.h"
#include "helpers.h"

using namespace ember;
using namespace ember_test;

namespace {

const Fixtures& fx() { return fixtures("random_ops"); }

/// Seeds, runs make(), and requires the result to equal fixture `name` exactly (compared in the
/// fixture's dtype: int32 results are stored widened to int64).
void require_fixture(const std::string& name, uint64_t seed, const std::function<Tensor()>& make) {
  INFO(name);
  manual_seed(seed);
  Tensor got = make();
  const Tensor& want = fx()[name];
  if (got.dtype() != want.dtype()) got = got.to(want.dtype());
  require_equal(got.contiguous(), want);
}

struct DtypeTag {
  ScalarType dt;
  const char* tag;
};
const DtypeTag kDtypes[] = {{kFloat, "f32"}, {kDouble, "f64"}};

std::string n(const char* base, const DtypeTag& d) { return std::string(base) + "_" + d.tag; }

/// Mean and (population) variance of a tensor's values, in double.
std::pair<double, double> moments(const Tensor& t) {
  const Tensor d = t.to(Device(kCPU), kDouble).contiguous();
  const double* v = d.data_ptr<double>();
  double m = 0, s = 0;
  for (int64_t i = 0; i < d.numel(); ++i) m += v[i];
  m /= double(d.numel());
  for (int64_t i = 0; i < d.numel(); ++i) s += (v[i] - m) * (v[i] - m);
  return {m, s / double(d.numel())};
}

}  // namespace

TEST_CASE("random_ draws PyTorch's integers for every range form", "[random_ops]") {
  for (const auto& d : kDtypes) {
    INFO(d.tag);
    require_fixture(n("random_full", d), 1, [&] { return empty({7}, d.dt).random_(); });
    require_fixture(n("random_to", d), 2, [&] { return empty({7}, d.dt).random_(10); });
    require_fixture(n("random_from_to", d), 3, [&] { return empty({7}, d.dt).random_(-5, 5); });
    // A float32 range past 2^24 (torch only warns: its values are not exact there) is not compared.
    if (d.dt == kDouble)
      require_fixture(n("random_wide", d), 4, [&] { return empty({7}, d.dt).random_(0, int64_t(1) << 40); });
    require_fixture(n("random_from", d), 5, [&] { return empty({7}, d.dt).random_(100, std::nullopt); });
  }
  require_fixture("random_full_i64", 30, [] { return empty({6}, kLong).random_(); });
  require_fixture("random_wide_i64", 31, [] { return empty({6}, kLong).random_(-3, int64_t(1) << 40); });
  require_fixture("random_from_i64", 32, [] { return empty({6}, kLong).random_(7, std::nullopt); });
  require_fixture("random_full_bool", 33, [] { return empty({9}, kBool).random_(); });
  require_fixture("random_int32", 34, [] { return empty({6}, kInt).random_(); });
}

TEST_CASE("exponential_, geometric_, log_normal_, cauchy_ draw PyTorch's values", "[random_ops]") {
  for (const auto& d : kDtypes) {
    INFO(d.tag);
    require_fixture(n("exponential", d), 6, [&] { return empty({20}, d.dt).exponential_(2.5); });
    require_fixture(n("exponential_default", d), 6, [&] { return empty({3, 4}, d.dt).exponential_(); });
    require_fixture(n("geometric", d), 7, [&] { return empty({20}, d.dt).geometric_(0.3); });
    require_fixture(n("log_normal", d), 8, [&] { return empty({21}, d.dt).log_normal_(0.5, 0.75); });
    require_fixture(n("log_normal_default", d), 8, [&] { return empty({5}, d.dt).log_normal_(); });
    require_fixture(n("cauchy", d), 9, [&] { return empty({20}, d.dt).cauchy_(1.5, 2.0); });
    // Transposed: drawn in memory order, as torch's TensorIterator.
    require_fixture(n("cauchy_t", d), 10, [&] { return empty({5, 4}, d.dt).t().cauchy_(); });
  }
  require_fixture("geometric_i64", 35, [] { return empty({8}, kLong).geometric_(0.2); });
}

TEST_CASE("bernoulli draws PyTorch's values for scalar and tensor probabilities", "[random_ops]") {
  for (const auto& d : kDtypes) {
    INFO(d.tag);
    require_fixture(n("bernoulli_scalar", d), 11, [&] { return empty({30}, d.dt).bernoulli_(0.3); });
    require_fixture(n("bernoulli_default", d), 11, [&] { return empty({2, 5}, d.dt).bernoulli_(); });
    const Tensor& p = fx()[n("bernoulli_p", d)];
    require_fixture(n("bernoulli", d), 12, [&] { return bernoulli(p); });
    require_fixture(n("bernoulli", d), 12, [&] { return p.bernoulli(); });
    require_fixture(n("bernoulli_t", d), 13, [&] { return empty({6, 4}, kDouble).t().bernoulli_(p); });
    const Tensor& row = fx()[n("bernoulli_row", d)];
    require_fixture(n("bernoulli_bcast", d), 14, [&] { return empty({3, 6}, d.dt).bernoulli_(row); });
  }
  require_fixture("bernoulli_i64", 36, [] { return empty({8}, kLong).bernoulli_(0.5); });
  require_fixture("bernoulli_bool", 37, [] { return empty({8}, kBool).bernoulli_(0.5); });
}

TEST_CASE("multinomial draws PyTorch's categories with and without replacement", "[random_ops]") {
  for (const auto& d : kDtypes) {
    INFO(d.tag);
    const Tensor& w1 = fx()[n("mn_w1", d)];
    const Tensor& w2 = fx()[n("mn_w2", d)];
    const Tensor& wl = fx()[n("mn_wl", d)];
    require_fixture(n("mn_1d_norep4", d), 15, [&] { return multinomial(w1, 4); });
    require_fixture(n("mn_1d_one", d), 16, [&] { return w1.multinomial(1); });
    require_fixture(n("mn_1d_one_rep", d), 16, [&] { return multinomial(w1, 1, true); });
    require_fixture(n("mn_1d_rep12", d), 17, [&] { return multinomial(w1, 12, true); });
    require_fixture(n("mn_2d_norep4", d), 18, [&] { return multinomial(w2, 4); });
    require_fixture(n("mn_2d_rep6", d), 19, [&] { return multinomial(w2, 6, true); });
    require_fixture(n("mn_large_norep20", d), 20, [&] { return multinomial(wl, 20); });
    require_fixture(n("mn_large_norep250", d), 21, [&] { return multinomial(wl, 250); });
    require_fixture(n("mn_large_rep100", d), 22, [&] { return multinomial(wl, 100, true); });
  }
}

TEST_CASE("normal with tensor arguments and randint_like draw PyTorch's values", "[random_ops]") {
  for (const auto& d : kDtypes) {
    INFO(d.tag);
    const Tensor& mean = fx()[n("normal_mean", d)];
    const Tensor& std = fx()[n("normal_std", d)];
    require_fixture(n("normal_tensor_double", d), 23, [&] { return normal(mean, 0.5); });
    require_fixture(n("normal_tensor_double_small", d), 23, [&] { return normal(mean.slice(0, 0, 5), 0.5); });
    require_fixture(n("normal_double_tensor", d), 24, [&] { return normal(1.5, std); });
    require_fixture(n("normal_tensor_tensor", d), 25, [&] { return normal(mean, std); });
    require_fixture(n("normal_bcast", d), 26, [&] {
      return normal(mean.slice(0, 0, 4).reshape({4, 1}), std.slice(0, 0, 5));
    });
    require_fixture(n("normal_size", d), 27, [&] { return normal(2.0, 3.0, {17}, d.dt); });
    require_fixture(n("randint_like", d), 28, [&] { return randint_like(empty({9}, d.dt), 10); });
    require_fixture(n("randint_like_low", d), 29, [&] { return randint_like(empty({9}, d.dt), -4, 4); });
  }
}

// Large samples with fixed seeds: each bound is 6 standard errors of the statistic (a chance of
// about 2e-9 per check for a correct sampler), so the seeds are not tuned.
TEST_CASE("samplers have the right means and variances", "[random_ops]") {
  for (const Device& dev : test_devices()) {
    INFO(device_name(dev));
    const int64_t N = 200000;
    const double se = 6.0 / std::sqrt(double(N));
    manual_seed(123);
    for (ScalarType dt : {kFloat, kDouble}) {
      const TensorOptions o = TensorOptions(dt).device(dev);
      {  // exponential(2): mean 1/2, variance 1/4 (sd of the variance estimate ~ sqrt(8)/4)
        auto [m, v] = moments(empty({N}, o).exponential_(2.0));
        CHECK(std::abs(m - 0.5) < se * 0.5);
        CHECK(std::abs(v - 0.25) < se * std::sqrt(8.0) / 4);
      }
      {  // geometric(0.25): mean 4, variance (1-p)/p^2 = 12
        auto [m, v] = moments(empty({N}, o).geometric_(0.25));
        CHECK(std::abs(m - 4.0) < se * std::sqrt(12.0));
        CHECK(std::abs(v - 12.0) < se * 12.0 * 2.5);  // sd(var) ~ 2.05 * var for this tail
      }
      {  // log_normal(0, 0.5): mean exp(1/8), variance (e^0.25 - 1) e^0.25
        const double mu = std::exp(0.125), var = (std::exp(0.25) - 1) * std::exp(0.25);
        auto [m, v] = moments(empty({N}, o).log_normal_(0.0, 0.5));
        CHECK(std::abs(m - mu) < se * std::sqrt(var));
        CHECK(std::abs(v - var) < se * var * 3);  // heavy right tail: kurtosis ~ 9
      }
      {  // cauchy: no moments; median 1, scale 2 put a quarter of the mass below -1, half below 1
        const Tensor c = empty({N}, o).cauchy_(1.0, 2.0);
        for (const auto& [x, q] : {std::pair<double, double>{-1.0, 0.25}, {1.0, 0.5}, {3.0, 0.75}}) {
          const double f = (c < x).to(kDouble).mean().item<double>();
          CHECK(std::abs(f - q) < se * std::sqrt(q * (1 - q)));
        }
      }
      {  // bernoulli(0.3): mean 0.3
        auto [m, v] = moments(empty({N}, o).bernoulli_(0.3));
        CHECK(std::abs(m - 0.3) < se * std::sqrt(0.21));
        (void)v;
      }
      {  // random_(-3, 5): uniform integers, mean 0.5, variance (8^2 - 1) / 12
        auto [m, v] = moments(empty({N}, o).random_(-3, 5));
        CHECK(std::abs(m - 0.5) < se * std::sqrt(63.0 / 12));
        CHECK(std::abs(v - 63.0 / 12) < se * 63.0 / 12);
        const Tensor h = empty({N}, o).random_(-3, 5).to(Device(kCPU), kDouble);
        CHECK(h.min().item<double>() == -3);
        CHECK(h.max().item<double>() == 4);
      }
    }
    {  // multinomial with replacement: category frequencies are the normalised weights
      const Tensor w = tensor({1.0, 2.0, 0.0, 5.0}).to(dev);
      const Tensor s = multinomial(w, N, true).to(Device(kCPU));
      REQUIRE(s.dtype() == kLong);
      const int64_t* v = s.data_ptr<int64_t>();
      std::vector<double> count(4, 0);
      for (int64_t i = 0; i < N; ++i) count[size_t(v[i])] += 1;
      const double p[4] = {0.125, 0.25, 0, 0.625};
      for (int k = 0; k < 4; ++k) CHECK(std::abs(count[k] / N - p[k]) < se * std::sqrt(p[k] * (1 - p[k])) + 1e-12);
    }
    {  // without replacement: distinct categories; a zero-weight one is never drawn while others remain
      const Tensor w = tensor({{1.0, 0.0, 3.0, 2.0, 4.0}, {0.5, 0.5, 0.5, 0.5, 0.0}}).to(dev);
      for (int rep = 0; rep < 50; ++rep) {
        const Tensor s = multinomial(w, 4).to(Device(kCPU));
        REQUIRE(s.sizes() == IntArrayRef({2, 4}));
        const int64_t* v = s.data_ptr<int64_t>();
        for (int r = 0; r < 2; ++r) {
          std::vector<bool> seen(5, false);
          for (int k = 0; k < 4; ++k) {
            REQUIRE(!seen[size_t(v[r * 4 + k])]);
            seen[size_t(v[r * 4 + k])] = true;
          }
          REQUIRE(!seen[r == 0 ? 1 : 4]);
        }
      }
      // The first pick follows the weights: category 4 of row 0 has probability 0.4.
      manual_seed(5);
      const Tensor first = multinomial(w.select(0, 0).unsqueeze(0).expand({N, 5}).contiguous(), 1).to(Device(kCPU));
      const double f = (first == 4).to(kDouble).mean().item<double>();
      CHECK(std::abs(f - 0.4) < se * std::sqrt(0.24));
    }
  }
}

TEST_CASE("random sampling errors use LibTorch's words", "[random_ops]") {
  const Tensor w = tensor({1.0, 2.0});
  require_throws_with(
      [&] {
        multinomial(tensor({1.0, -1.0}), 1);
      },
      {"multinomial", "probability tensor contains either `inf`, `nan` or element < 0", "[2]"});
  require_throws_with([&] { multinomial(tensor({1.0, INFINITY}), 1); }, {"`inf`, `nan` or element < 0"});
  require_throws_with([&] { multinomial(tensor({1.0, NAN}), 2); }, {"`inf`, `nan` or element < 0"});
  require_throws_with(
      [&] {
        multinomial(tensor({1.0, -1.0}), 2, true);
      },
      {"invalid multinomial distribution (encountering probability entry < 0)"});
  require_throws_with(
      [&] {
        multinomial(tensor({1.0, INFINITY}), 2, true);
      },
      {"invalid multinomial distribution (encountering probability entry = infinity or NaN)"});
  require_throws_with(
      [&] {
        multinomial(tensor({0.0, 0.0}), 1);
      },
      {"invalid multinomial distribution (sum of probabilities <= 0)"});
  require_throws_with(
      [&] {
        multinomial(tensor({{1.0, 1.0}, {0.0, 0.0}}), 3, true);
      },
      {"invalid multinomial distribution (sum of probabilities <= 0)", "row 1"});
  require_throws_with([&] { multinomial(w, 3); },
                      {"cannot sample n_sample > prob_dist.size(-1) samples without replacement"});
  require_throws_with([&] { multinomial(w, 0); }, {"cannot sample n_sample <= 0 samples"});
  require_throws_with(
      [&] {
        multinomial(tensor({int64_t(1), int64_t(2)}), 1);
      },
      {"multinomial only supports floating-point dtypes for input, got: Long"});
  require_throws_with([&] { multinomial(ones({2, 2, 2}), 1); }, {"prob_dist must be 1 or 2 dim", "[2, 2, 2]"});

  require_throws_with([&] { empty({2}).bernoulli_(1.5); }, {"bernoulli_ expects p to be in [0, 1], but got p=1.5"});
  require_throws_with([&] { bernoulli(tensor({2.0})); }, {"bernoulli", "p_in >= 0 && p_in <= 1"});
  require_throws_with([&] { empty({2}).bernoulli_(tensor({0.5, -0.5})); }, {"p_in >= 0 && p_in <= 1"});
  require_throws_with([&] { empty({2}).bernoulli_(tensor({0.5, 0.5, 0.5})); }, {"bernoulli_", "[3]", "[2]"});
  require_throws_with([&] { empty({2}).exponential_(-1); },
                      {"exponential_ expects lambda >= 0.0, but found lambda=-1"});
  require_throws_with([&] { empty({2}).geometric_(0); }, {"geometric_ expects p to be in (0, 1), but got p=0"});
  require_throws_with([&] { empty({2}).geometric_(1); }, {"geometric_ expects p to be in (0, 1), but got p=1"});
  require_throws_with([&] { empty({2}).log_normal_(1, 0); }, {"log_normal_ expects std > 0.0, but found std=0"});
  require_throws_with([&] { empty({2}, kLong).exponential_(); }, {"\"exponential_cpu\" not implemented for 'Long'"});
  require_throws_with([&] { empty({2}, kLong).cauchy_(); }, {"\"cauchy_cpu\" not implemented for 'Long'"});
  require_throws_with([&] { empty({2}).random_(5, 3); },
                      {"random_ expects 'from' to be less than 'to', but got from=5 >= to=3"});
  require_throws_with([&] { empty({2}, kInt).random_(0, int64_t(1) << 40); }, {"to - 1 is out of bounds for"});
  require_throws_with([&] { empty({2}, kByte).random_(-1, 5); }, {"from is out of bounds for"});
  require_throws_with([&] { normal(zeros({2}), -1.0); }, {"normal expects std >= 0.0, but found std -1"});
  require_throws_with([&] { normal(0.0, -ones({2})); }, {"normal expects all elements of std >= 0.0"});
  require_throws_with([&] { normal(zeros({2}), ones({3})); }, {"normal", "[2]", "[3]"});
  require_throws_with([&] { normal(0.0, -1.0, {2}); }, {"normal expects std >= 0.0, but found std -1"});
  require_throws_with([&] { randint_like(zeros({2}), 3, 3); }, {"'from' to be less than 'to'"});
}

TEST_CASE("random samplers and autograd: zero gradients, no in-place on leaves", "[random_ops]") {
  const Tensor p = tensor({0.2, 0.5, 0.9}).requires_grad_();
  const Tensor b = bernoulli(p);
  REQUIRE(b.requires_grad());  // as LibTorch: BernoulliBackward0 with a zero gradient
  b.sum().backward();
  require_equal(p.grad(), zeros_like(p));
  const Tensor m = tensor({0.0, 1.0}).requires_grad_();
  const Tensor s = tensor({1.0, 2.0}).requires_grad_();
  const Tensor x = normal(m, s);
  REQUIRE(x.requires_grad());
  x.sum().backward();
  require_equal(m.grad(), zeros_like(m));
  require_equal(s.grad(), zeros_like(s));
  REQUIRE(normal(m, 1.0).requires_grad());
  REQUIRE(normal(1.0, s).requires_grad());
  REQUIRE_FALSE(multinomial(p, 2).requires_grad());
  REQUIRE_FALSE(bernoulli(p.detach()).requires_grad());
  require_throws_with([&] { p.exponential_(); }, {"exponential_"});
  require_throws_with([&] { p.bernoulli_(0.5); }, {"bernoulli_"});
}

TEST_CASE("cuda: random samplers give the distributions' moments and valid categories", "[cuda][random_ops]") {
  EMBER_REQUIRE_CUDA();
  const Device gpu(kCUDA);
  const int64_t N = 200000;
  const double se = 6.0 / std::sqrt(double(N));
  manual_seed(7);
  for (ScalarType dt : {kFloat, kDouble}) {
    const TensorOptions o = TensorOptions(dt).device(gpu);
    auto [m, v] = moments(empty({N}, o).exponential_(2.0));
    CHECK(std::abs(m - 0.5) < se * 0.5);
    auto [mb, vb] = moments(bernoulli(full({N}, 0.3, o)));
    CHECK(std::abs(mb - 0.3) < se * std::sqrt(0.21));
    (void)v;
    (void)vb;
    const Tensor strided = empty({100, 2 * N / 100}, o).slice(1, 0, N / 100, 1).t();
    strided.bernoulli_(0.5);
    auto [ms, vs] = moments(strided);
    CHECK(std::abs(ms - 0.5) < 6 * 0.5 / std::sqrt(double(N / 2)));
    (void)vs;
    const Tensor w = tensor({{1.0, 0.0, 3.0, 2.0, 4.0}}, TensorOptions(dt)).to(gpu);
    const Tensor s = multinomial(w, 4).cpu();
    std::vector<bool> seen(5, false);
    for (int k = 0; k < 4; ++k) seen[size_t(s.data_ptr<int64_t>()[k])] = true;
    CHECK_FALSE(seen[1]);
    const Tensor r = multinomial(w, 1000, true).cpu();
    CHECK(((r == 1).sum().item<int64_t>()) == 0);
  }
}
