// The CPU's fused selection kernels against references written out here (a stable std::sort with
// NaN as the largest value, std::map-free run counting, a plain loop for masked_select): sort
// rows around the radix sort's length threshold, topk's buffered selection, the fused unique
// and the fused masked_select. Ties and NaNs in the stable order, float32/float64/int64 and the
// narrow types, empty tensors, non-contiguous inputs, dims other than the last, one and two
// threads, gradients where the op has them.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "ember/ember.h"
#include "helpers.h"

using namespace ember;
using ember_test::gradcheck;
using ember_test::node_name;
using ember_test::require_equal;

namespace {

/// a before b in the ascending order: NaN above everything, two NaNs equal.
bool less_nan_last(double a, double b) { return std::isnan(b) ? !std::isnan(a) : a < b; }

/// The positions of row[0..n) in stable sorted order.
std::vector<int64_t> stable_order(const std::vector<double>& row, bool descending) {
  std::vector<int64_t> p(row.size());
  std::iota(p.begin(), p.end(), 0);
  std::stable_sort(p.begin(), p.end(), [&](int64_t a, int64_t b) {
    return descending ? less_nan_last(row[size_t(b)], row[size_t(a)]) : less_nan_last(row[size_t(a)], row[size_t(b)]);
  });
  return p;
}

/// (rows, n) float64 test data: small integers (many ties), a NaN now and then when `nans`, a
/// -0.0 beside the 0.0s, and one ascending row (every element beats the ones before it).
Tensor tie_rows(int64_t rows, int64_t n, bool nans, uint64_t seed) {
  manual_seed(seed);
  Tensor x = randint(-20, 20, {rows, n}).to(kDouble);
  auto* p = x.data_ptr<double>();
  for (int64_t i = 0; i < rows * n; i += 37) p[i] = -0.0;
  if (nans)
    for (int64_t i = 5; i < rows * n; i += 53) p[i] = NAN;
  if (rows > 1)
    for (int64_t j = 0; j < n; ++j) p[n + j] = double(j);
  return x;
}

/// The reference sort (or, with k >= 0, topk) of x's rows along the last dim: values, indices.
std::pair<Tensor, Tensor> reference_rows(const Tensor& x, bool descending, int64_t k = -1) {
  const int64_t rows = x.size(0), n = x.size(1), m = k < 0 ? n : k;
  Tensor xd = x.to(kDouble).contiguous();
  Tensor idx = empty({rows, m}, TensorOptions(kLong));
  for (int64_t r = 0; r < rows; ++r) {
    std::vector<double> row(xd.data_ptr<double>() + r * n, xd.data_ptr<double>() + (r + 1) * n);
    std::vector<int64_t> p = stable_order(row, descending);
    std::copy(p.begin(), p.begin() + m, idx.data_ptr<int64_t>() + r * m);
  }
  return {x.to(kDouble).gather(1, idx).to(x.dtype()), idx};  // gather has no narrow-integer kernel
}

}  // namespace

TEST_CASE("sort kernels: rows around the radix threshold, stable ties, NaN, every layout", "[sort][kernels]") {
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    for (int64_t n : {1, 2, 63, 64, 127, 128, 255, 256, 511, 512, 1000}) {
      const bool nans_ok = true;
      Tensor base = tie_rows(20, n, nans_ok, uint64_t(n));
      for (ScalarType dt : {kDouble, kFloat, kLong, kInt, kShort, kByte, kBool}) {
        const bool fp = dt == kDouble || dt == kFloat;
        Tensor x = fp ? base.to(dt) : base.nan_to_num(3.0).abs().to(dt);
        for (bool desc : {false, true}) {
          INFO("n " << n << ", dtype " << dt << ", descending " << desc << ", threads " << threads);
          auto [v, i] = x.sort(-1, desc);
          auto [rv, ri] = reference_rows(x, desc);
          require_equal(i, ri);
          require_equal(v, rv);
          // dim 0 of the transposed (non-contiguous) tensor: the same rows.
          auto [tv, ti] = x.t().sort(0, desc);
          require_equal(ti, ri.t());
          require_equal(tv, rv.t());
        }
      }
    }
  }
  set_num_threads(2);
}

TEST_CASE("topk kernel: the k first of the stable order, largest and smallest, any dim", "[sort][kernels]") {
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    for (int64_t n : {16, 100, 1000, 5000}) {
      for (int64_t k : {1, 3, 10, 100}) {
        if (k > n) continue;
        Tensor base = tie_rows(24, n, true, uint64_t(n + k));
        for (ScalarType dt : {kDouble, kFloat, kLong}) {
          Tensor x = dt == kLong ? base.nan_to_num(25.0).to(dt) : base.to(dt);
          for (bool largest : {true, false}) {
            INFO("n " << n << ", k " << k << ", dtype " << dt << ", largest " << largest << ", threads " << threads);
            auto [v, i] = x.topk(k, -1, largest);
            auto [rv, ri] = reference_rows(x, largest, k);
            require_equal(i, ri);
            require_equal(v, rv);
            auto [tv, ti] = ember::topk(x.t(), k, 0, largest);  // non-contiguous, dim 0
            require_equal(ti, ri.t());
            require_equal(tv, rv.t());
            auto [uv, ui] = x.topk(k, -1, largest, false);  // unsorted: the same set
            require_equal(std::get<0>(uv.sort(-1, largest)), rv);
            require_equal(x.gather(1, ui), uv);
          }
        }
      }
    }
  }
  set_num_threads(2);
  // All NaN rows: NaN beats nothing and nothing beats NaN for the largest; the smallest take
  // the numbers first.
  Tensor a = full({2, 64}, NAN);
  a.data_ptr<float>()[64 + 40] = 1.f;
  auto [v, i] = a.topk(2);
  require_equal(i, tensor({{int64_t(0), 1}, {int64_t(0), 1}}));
  auto [sv, si] = a.topk(2, -1, false);
  REQUIRE(si.index({1, 0}).item<int64_t>() == 40);
  REQUIRE(std::isnan(sv.index({1, 1}).item<double>()));
  REQUIRE(si.index({1, 1}).item<int64_t>() == 0);
  // Gradient through the buffered selection: to the selected places.
  gradcheck([](const std::vector<Tensor>& t) { return std::get<0>(t[0].topk(3)); }, {randn({3, 64}, kDouble)});
  gradcheck([](const std::vector<Tensor>& t) { return std::get<0>(t[0].topk(2, 0, false)); },
            {randn({40, 3}, kDouble)});
}

namespace {

/// unique's reference: the distinct values of x's stable sorted order (or of its runs of equal
/// neighbours), the run of each element and the run lengths; == equality (each NaN its own).
void check_unique(const Tensor& x, bool sorted) {
  Tensor flat = x.reshape({-1}).to(kDouble).contiguous();
  std::vector<double> vals(flat.data_ptr<double>(), flat.data_ptr<double>() + flat.numel());
  std::vector<int64_t> order(vals.size());
  if (sorted) order = stable_order(vals, false);
  else std::iota(order.begin(), order.end(), 0);
  std::vector<double> want_vals;
  std::vector<int64_t> want_counts, want_inverse(vals.size());
  for (size_t j = 0; j < order.size(); ++j) {
    const double v = vals[size_t(order[j])];
    if (j == 0 || !(v == vals[size_t(order[j - 1])])) {
      want_vals.push_back(v);
      want_counts.push_back(0);
    }
    ++want_counts.back();
    want_inverse[size_t(order[j])] = int64_t(want_vals.size()) - 1;
  }
  const int64_t runs = int64_t(want_vals.size());
  Tensor ev = from_blob(want_vals.data(), {runs}, TensorOptions(kDouble)).to(x.dtype());
  Tensor ec = from_blob(want_counts.data(), {runs}, TensorOptions(kLong)).clone();
  Tensor ei = from_blob(want_inverse.data(), {int64_t(vals.size())}, TensorOptions(kLong)).reshape(x.sizes());
  auto [v, inv, cnt] = sorted ? _unique2(x, true, true, true) : unique_consecutive(x, true, true);
  require_equal(v, ev);
  require_equal(inv, ei);
  require_equal(cnt, ec);
  // Only the values asked for: empty inverse and counts.
  auto [v2, inv2, cnt2] = sorted ? _unique2(x, true, false, false) : unique_consecutive(x, false, false);
  require_equal(v2, ev);
  REQUIRE(inv2.numel() == 0);
  REQUIRE(cnt2.numel() == 0);
}

}  // namespace

TEST_CASE("unique kernel: sorted and consecutive, inverse and counts, NaN, every dtype", "[sort][kernels]") {
  for (int64_t n : {1, 2, 100, 5000}) {
    Tensor base = tie_rows(2, n, true, uint64_t(7 * n));
    for (ScalarType dt : {kDouble, kFloat, kLong, kInt, kShort, kChar, kByte, kBool}) {
      const bool fp = dt == kDouble || dt == kFloat;
      Tensor x = fp ? base.to(dt) : base.nan_to_num(9.0).to(dt);
      for (bool sorted : {true, false}) {
        INFO("n " << n << ", dtype " << dt << ", sorted " << sorted);
        check_unique(x, sorted);
        check_unique(x.t(), sorted);            // non-contiguous: the inverse has x.t()'s shape
        check_unique(x.select(0, 1), sorted);   // one row: the ascending run
        check_unique(x.index({0, 0}), sorted);  // 0-dim
      }
    }
  }
  auto [v, inv, cnt] = _unique2(empty({0, 3}, TensorOptions(kLong)), true, true, true);
  REQUIRE(v.numel() == 0);
  REQUIRE(inv.sizes() == std::vector<int64_t>{0, 3});
  REQUIRE(cnt.numel() == 0);
}

TEST_CASE("masked_select kernel: every size class, threads, broadcasting, layouts, gradients", "[indexing][kernels]") {
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    for (int64_t n : {0, 1, 100, 70000, 200001}) {
      manual_seed(uint64_t(n));
      Tensor vals = randn({n}, kDouble);
      for (int pattern = 0; pattern < 4; ++pattern) {
        // Random, none, all, and a block of trues at the end (the chunks before select nothing).
        Tensor mask = pattern == 0   ? rand({n}) > 0.5
                      : pattern == 1 ? zeros({n}, TensorOptions(kBool))
                      : pattern == 2 ? ones({n}, TensorOptions(kBool))
                                     : arange(n) >= n - n / 10;
        std::vector<int64_t> pos;
        for (int64_t j = 0; j < n; ++j)
          if (mask.data_ptr<bool>()[j]) pos.push_back(j);
        Tensor idx = from_blob(pos.data(), {int64_t(pos.size())}, TensorOptions(kLong)).clone();
        for (ScalarType dt : {kDouble, kFloat, kLong, kInt, kShort, kByte, kBool}) {
          INFO("n " << n << ", pattern " << pattern << ", dtype " << dt << ", threads " << threads);
          Tensor x = dt == kBool ? vals > 0 : (vals * 50).to(dt);
          require_equal(x.masked_select(mask), x.index_select(0, idx));
        }
      }
    }
  }
  set_num_threads(2);
  // Broadcasting both ways and a non-contiguous input.
  manual_seed(3);
  Tensor x = randn({3, 1, 5}, kDouble), m = rand({4, 5}) > 0.4;
  Tensor xb = x.expand({3, 4, 5}).contiguous(), mb = m.expand({3, 4, 5}).contiguous();
  std::vector<double> want;
  for (int64_t j = 0; j < xb.numel(); ++j)
    if (mb.data_ptr<bool>()[j]) want.push_back(xb.data_ptr<double>()[j]);
  Tensor expected = from_blob(want.data(), {int64_t(want.size())}, TensorOptions(kDouble)).clone();
  require_equal(x.masked_select(m), expected);
  Tensor xt = randn({5, 4}, kDouble).t();
  require_equal(xt.masked_select(m), xt.contiguous().masked_select(m));
  // Gradients: to the selected places, summed over broadcast copies; double backward.
  Tensor leaf = x.clone().requires_grad_(true);
  Tensor y = leaf.masked_select(m);
  REQUIRE(node_name(y) == "MaskedSelectBackward0");
  y.sum().backward();
  require_equal(leaf.grad(), mb.to(kDouble).sum({1}, true));
  gradcheck([&](const std::vector<Tensor>& t) { return t[0].masked_select(m); }, {x});
  gradcheck([&](const std::vector<Tensor>& t) { return (t[0].masked_select(m) * t[0].masked_select(m)).sum(); }, {x});
  Tensor z = x.clone().requires_grad_(true);
  Tensor g = autograd::grad({z.masked_select(m).pow(2).sum()}, {z}, {}, std::nullopt, true)[0];
  Tensor gg = autograd::grad({g.sum()}, {z})[0];
  require_equal(gg, mb.to(kDouble).sum({1}, true) * 2);
}
