// Sorting and selection (sort, argsort, msort, topk, kthvalue, median, nanmedian, mode), unique
// and binary search against PyTorch 1.13 (tests/fixtures/sort.txt, tools/gen_sort_fixtures.py)
// on every test device, in float64, float32 and, for integer-valued cases, the integer dtypes;
// ties and NaNs in PyTorch's order, gradients against PyTorch's and float64 gradchecks, double
// backward, LibTorch's node names, empty tensors and the errors in LibTorch's words.
#include <cmath>

#include "ember/ember.h"
#include "helpers.h"

using namespace ember;
using ember_test::fixtures;
using ember_test::gradcheck;
using ember_test::node_name;
using ember_test::require_equal;
using ember_test::require_throws_with;
using ember_test::TensorFn;
using ember_test::test_devices;

namespace {

const Tensor& fx(const std::string& name) { return fixtures("sort")[name]; }

using PairFn = std::function<std::tuple<Tensor, Tensor>(const Tensor&)>;

/// Every dtype a case runs in: the floats always, the integers when its input is integer-valued
/// and NaN-free.
std::vector<ScalarType> dtypes_for(const Tensor& in, bool with_integers) {
  std::vector<ScalarType> d = {kDouble, kFloat};
  const bool integral = !isnan(in).any().item<bool>() && in.eq(in.round()).all().item<bool>();
  if (with_integers && integral) d.insert(d.end(), {kLong, kInt, kShort, kChar, kByte});
  return d;
}

/// How a case's indices are checked: equal to PyTorch's, or (where LibTorch leaves the choice
/// among equal values open, as topk's) only required to hold the values.
enum class Indices { Exact, HoldValues };

/// Runs fn on case NAME's input in every dtype and device; values (PyTorch's, rounded to the
/// dtype) and indices must be PyTorch's.
void check_pair(const std::string& name, const PairFn& fn, Indices check = Indices::Exact) {
  INFO("case " << name);
  const Tensor& in = fx(name + ".in");
  for (Device dev : test_devices()) {
    for (ScalarType dt : dtypes_for(in, true)) {
      INFO("device " << ember_test::device_name(dev) << ", dtype " << dt);
      auto [v, i] = fn(in.to(dev, dt));
      REQUIRE(v.dtype() == dt);
      require_equal(v.to(kCPU, kDouble), fx(name + ".values").to(dt).to(kDouble));
      if (check == Indices::Exact) {
        require_equal(i.to(kCPU), fx(name + ".indices"));
      } else {
        REQUIRE(i.sizes() == fx(name + ".indices").sizes());  // the last dim's: topk's cases
        require_equal(in.to(dt).to(kDouble).gather(in.dim() - 1, i.to(kCPU)), v.to(kCPU, kDouble));
      }
    }
  }
}

/// The gradient of case NAME's values for its stored upstream gradient, and a gradcheck.
void check_pair_grad(const std::string& name, const PairFn& fn) {
  INFO("case " << name);
  for (Device dev : test_devices()) {
    Tensor x = fx(name + ".in").to(dev).clone().requires_grad_(true);
    Tensor v = std::get<0>(fn(x));
    v.backward(fx(name + ".gout").to(dev));
    require_equal(x.grad().to(kCPU), fx(name + ".grad"));
    gradcheck([&](const std::vector<Tensor>& a) { return std::get<0>(fn(a[0])); }, {fx(name + ".in")}, dev);
  }
}

}  // namespace

TEST_CASE("sort: values and stable indices as PyTorch, ties, NaN, any dim, every dtype", "[sort]") {
  check_pair("sort_ties", [](const Tensor& x) { return x.sort(); });
  check_pair("sort_ties_desc", [](const Tensor& x) { return ember::sort(x, -1, true); });
  check_pair("sort_ties_dim0", [](const Tensor& x) { return x.sort(0); });
  check_pair("sort_ties_dim0_desc", [](const Tensor& x) { return x.sort(std::optional<bool>(true), 0, true); });
  check_pair("sort_nan_dim1", [](const Tensor& x) { return x.sort(1); });
  check_pair("sort_nan_dim1_desc", [](const Tensor& x) { return x.sort(1, true); });
  // 3000 elements: the CPU's radix sort path, with NaNs, -0.0 beside 0.0 and many ties.
  // (PyTorch's fixture: stable = true; its default sort of a long row reorders ties.)
  check_pair("sort_long", [](const Tensor& x) { return x.sort(std::optional<bool>(true)); });
  check_pair("sort_long_desc", [](const Tensor& x) { return x.sort(-1, true); });
  for (Device dev : test_devices()) {
    Tensor t = fx("argsort.in").to(dev);
    require_equal(t.argsort(int64_t(0), true).to(kCPU), fx("argsort.out"));
    require_equal(ember::argsort(t, true, 0, true).to(kCPU), fx("argsort.out"));
    require_equal(t.msort().to(kCPU), fx("msort.out"));
  }
}

TEST_CASE("sort: bool, 0-dim and empty tensors", "[sort]") {
  for (Device dev : test_devices()) {
    auto [v, i] = tensor({true, false, true, false}).to(dev).sort();
    require_equal(v.to(kCPU), tensor({false, false, true, true}));
    require_equal(i.to(kCPU), tensor({int64_t(1), 3, 0, 2}));
    auto [sv, si] = tensor(5.0).to(dev).sort();
    REQUIRE(sv.dim() == 0);
    REQUIRE(si.item<int64_t>() == 0);
    auto [ev, ei] = empty({2, 0, 3}, TensorOptions(kFloat).device(dev)).sort(1);
    REQUIRE(ev.sizes() == std::vector<int64_t>{2, 0, 3});
    REQUIRE(ei.dtype() == kLong);
    auto [tv, ti] = empty({3, 0}).to(dev).topk(0);
    REQUIRE(tv.sizes() == std::vector<int64_t>{3, 0});
  }
}

TEST_CASE("topk: k largest or smallest, k = 0 and k = size, NaN as the largest", "[sort]") {
  // Ties: LibTorch's topk does not say which of equal values it picks (its CPU kernel selects
  // with nth_element); ember picks the first ones. The values must match, the indices hold them.
  check_pair(
      "topk", [](const Tensor& x) { return x.topk(3); }, Indices::HoldValues);
  check_pair("topk_k0", [](const Tensor& x) { return x.topk(0); });
  check_pair(
      "topk_kn", [](const Tensor& x) { return x.topk(8); }, Indices::HoldValues);
  for (Device dev : test_devices()) {
    Tensor x = fx("topk_smallest_dim0.in").to(dev);
    auto [v, i] = ember::topk(x, 2, 0, false);
    require_equal(v.to(kCPU), fx("topk_smallest_dim0.values"));
    require_equal(x.gather(0, i).to(kCPU), fx("topk_smallest_dim0.values"));
  }
  check_pair(
      "topk_nan", [](const Tensor& x) { return x.topk(4); }, Indices::HoldValues);  // NaN ties
  check_pair("topk_nan_smallest", [](const Tensor& x) { return x.topk(4, -1, false); });
  // A long row with ties and NaNs (the CPU's heap selection for k <= n / 16): the first k of
  // PyTorch's stable sort, ties in input order.
  for (Device dev : test_devices()) {
    Tensor x = fx("sort_long.in").to(dev);
    auto [lv, li] = x.topk(40);
    require_equal(lv.to(kCPU), fx("sort_long_desc.values").narrow(0, 0, 40));
    require_equal(li.to(kCPU), fx("sort_long_desc.indices").narrow(0, 0, 40));
    auto [sv, si] = x.topk(40, 0, false);
    require_equal(sv.to(kCPU), fx("sort_long.values").narrow(0, 0, 40));
    require_equal(si.to(kCPU), fx("sort_long.indices").narrow(0, 0, 40));
  }
  // sorted = false: the same set, in some order.
  for (Device dev : test_devices()) {
    Tensor x = fx("topk.in").to(dev);
    auto [v, i] = x.topk(3, -1, true, false);
    require_equal(std::get<0>(v.sort(-1, true)).to(kCPU), fx("topk.values"));
    require_equal(x.gather(1, i).to(kCPU), v.to(kCPU));
  }
}

TEST_CASE("kthvalue, median, nanmedian: selection as PyTorch (lower median, NaN rules)", "[sort]") {
  check_pair("kthvalue", [](const Tensor& x) { return x.kthvalue(2, 1); });
  check_pair("kthvalue_dim0_keepdim", [](const Tensor& x) { return x.kthvalue(5, 0, true); });
  check_pair("kthvalue_nan", [](const Tensor& x) { return x.kthvalue(5); });
  check_pair("median_dim", [](const Tensor& x) { return x.median(1); });
  check_pair("median_dim0_keepdim", [](const Tensor& x) { return ember::median(x, 0, true); });
  check_pair("median_nan", [](const Tensor& x) { return x.median(1); });
  check_pair("nanmedian_nan", [](const Tensor& x) { return x.nanmedian(1); });
  check_pair("nanmedian_allnan", [](const Tensor& x) { return ember::nanmedian(x, 1); });
  for (Device dev : test_devices()) {
    for (ScalarType dt : {kDouble, kFloat}) {
      auto expected = [&](const char* name) { return fx(name).to(dt).to(kDouble); };
      require_equal(fx("median_all.in").to(dev, dt).median().to(kCPU, kDouble), expected("median_all.out"));
      require_equal(fx("median_all_nan.in").to(dev, dt).median().to(kCPU, kDouble), expected("median_all_nan.out"));
      require_equal(ember::nanmedian(fx("nanmedian_all.in").to(dev, dt)).to(kCPU, kDouble),
                    expected("nanmedian_all.out"));
    }
    // Integers: the lower median of 4 values.
    REQUIRE(tensor({int64_t(4), 1, 3, 2}).to(dev).median().item<int64_t>() == 2);
    // PyTorch: the median of no values is NaN.
    REQUIRE(std::isnan(empty({0}).to(dev).median().item<double>()));
  }
}

TEST_CASE("mode: the most frequent value, the smallest among equals, any dim", "[sort]") {
  // LibTorch does not say which position of the mode it returns (its CPU kernel's std::sort is
  // not stable): indices are checked to hold the mode. ember returns the last one.
  for (const std::string name : {"mode", "mode_dim0_keepdim"}) {
    INFO("case " << name);
    const bool keep = name != "mode";
    const int64_t dim = keep ? 0 : -1;
    for (Device dev : test_devices()) {
      for (ScalarType dt : dtypes_for(fx(name + ".in"), true)) {
        Tensor x = fx(name + ".in").to(dev, dt);
        auto [v, i] = x.mode(dim, keep);
        require_equal(v.to(kCPU, kDouble), fx(name + ".values"));
        Tensor picked = x.to(kDouble).gather(keep ? 0 : 1, keep ? i : i.unsqueeze(1));
        require_equal(picked.reshape(v.sizes()).to(kCPU), v.to(kCPU, kDouble));
      }
    }
  }
  auto [bv, bi] = tensor({true, false, true}).mode();
  REQUIRE(bv.item<bool>());
  REQUIRE(bi.item<int64_t>() == 2);
  auto [nv, ni] = tensor({1.0, NAN, NAN, 1.0}).mode();  // NaNs never equal each other
  REQUIRE(nv.item<double>() == 1.0);
}

TEST_CASE("sort family: gradients as PyTorch, gradchecks, double backward, node names", "[sort][autograd]") {
  check_pair_grad("sort_grad", [](const Tensor& x) { return x.sort(0, true); });
  check_pair_grad("topk_grad", [](const Tensor& x) { return x.topk(2, 0); });
  check_pair_grad("kthvalue", [](const Tensor& x) { return x.kthvalue(2, 1); });
  check_pair_grad("kthvalue_dim0_keepdim", [](const Tensor& x) { return x.kthvalue(5, 0, true); });
  check_pair_grad("median_dim", [](const Tensor& x) { return x.median(1); });
  check_pair_grad("median_dim0_keepdim", [](const Tensor& x) { return x.median(0, true); });
  for (Device dev : test_devices()) {
    Tensor x = fx("median_all_grad.in").to(dev).clone().requires_grad_(true);
    x.median().backward();
    require_equal(x.grad().to(kCPU), fx("median_all_grad.grad"));
    Tensor d = fx("median_all.in");
    gradcheck([](const std::vector<Tensor>& a) { return a[0].median(); }, {d}, dev);
    gradcheck([](const std::vector<Tensor>& a) { return ember::nanmedian(a[0]); }, {d}, dev);
    gradcheck([](const std::vector<Tensor>& a) { return std::get<0>(a[0].nanmedian(0)); }, {d}, dev);
    gradcheck([](const std::vector<Tensor>& a) { return std::get<0>(a[0].mode(1)); }, {d}, dev);
    gradcheck([](const std::vector<Tensor>& a) { return a[0].msort(); }, {d}, dev);
  }
  // Double backward: d/dx of the gradient of sum(sort(x)^2) is 2 (on the diagonal).
  Tensor x = tensor({3.0, -1.0, 2.0}).requires_grad_(true);
  Tensor y = std::get<0>(x.sort());
  Tensor g = autograd::grad({(y * y).sum()}, {x}, {}, std::nullopt, true)[0];
  require_equal(g.detach(), tensor({6.0, -2.0, 4.0}));
  Tensor gg = autograd::grad({g.sum()}, {x})[0];
  require_equal(gg, tensor({2.0, 2.0, 2.0}));

  Tensor z = tensor({3.0, 1.0, 2.0}).requires_grad_(true);
  REQUIRE(node_name(std::get<0>(z.sort())) == "SortBackward0");
  REQUIRE(node_name(std::get<0>(z.sort(std::optional<bool>(true)))) == "SortBackward1");
  REQUIRE(node_name(z.msort()) == "SortBackward0");
  REQUIRE(node_name(std::get<0>(z.topk(1))) == "TopkBackward0");
  REQUIRE(node_name(std::get<0>(z.kthvalue(1))) == "KthvalueBackward0");
  REQUIRE(node_name(z.median()) == "MedianBackward0");
  REQUIRE(node_name(std::get<0>(z.median(0))) == "MedianBackward1");
  REQUIRE(node_name(z.nanmedian()) == "NanmedianBackward0");
  REQUIRE(node_name(std::get<0>(z.nanmedian(0))) == "NanmedianBackward1");
  REQUIRE(node_name(std::get<0>(z.mode())) == "ModeBackward0");
  REQUIRE_FALSE(z.argsort().requires_grad());
}

TEST_CASE("unique: _unique2, unique_dim, unique_consecutive as PyTorch", "[sort]") {
  for (Device dev : test_devices()) {
    for (ScalarType dt : {kDouble, kFloat, kLong, kInt, kByte}) {
      INFO("dtype " << dt);
      auto [v, inv, cnt] = _unique2(fx("unique.in").to(dev, dt), true, true, true);
      require_equal(v.to(kCPU, kDouble), fx("unique.values"));
      require_equal(inv.to(kCPU), fx("unique.inverse"));
      require_equal(cnt.to(kCPU), fx("unique.counts"));
      auto [cv, cinv, ccnt] = unique_consecutive(fx("unique_consecutive.in").to(dev, dt), true, true);
      require_equal(cv.to(kCPU, kDouble), fx("unique_consecutive.values"));
      require_equal(cinv.to(kCPU), fx("unique_consecutive.inverse"));
      require_equal(ccnt.to(kCPU), fx("unique_consecutive.counts"));
      for (int64_t d : {0, 1}) {
        auto [dv, dinv, dcnt] = unique_dim(fx("unique_dim.in").to(dev, dt), d, true, true, true);
        const std::string p = "unique_dim" + std::to_string(d);
        require_equal(dv.to(kCPU, kDouble), fx(p + ".values"));
        require_equal(dinv.to(kCPU), fx(p + ".inverse"));
        require_equal(dcnt.to(kCPU), fx(p + ".counts"));
      }
      auto [ov, oinv, ocnt] = unique_consecutive(fx("unique_dim.in").to(dev, dt), false, false, 0);
      require_equal(ov.to(kCPU, kDouble), fx("unique_consecutive_dim0.values"));
      require_equal(oinv.to(kCPU), fx("unique_consecutive_dim0.inverse"));
    }
    // Not asked for: empty inverse and counts, as at::_unique2.
    auto [v, inv, cnt] = _unique2(tensor({2.0, 1.0, 2.0}).to(dev));
    require_equal(v.to(kCPU), tensor({1.0, 2.0}));
    REQUIRE(inv.numel() == 0);
    REQUIRE(cnt.numel() == 0);
    auto [bv, binv] = _unique(tensor({true, false, true}).to(dev), true, true);
    require_equal(bv.to(kCPU), tensor({false, true}));
    require_equal(binv.to(kCPU), tensor({int64_t(1), 0, 1}));
    auto [ev, einv, ecnt] = _unique2(empty({2, 0}).to(dev), true, true, true);
    REQUIRE(ev.numel() == 0);
    REQUIRE(einv.sizes() == std::vector<int64_t>{2, 0});
  }
}

TEST_CASE("searchsorted and bucketize: left and right, N-D sequences, sorter, int32", "[sort]") {
  for (Device dev : test_devices()) {
    for (ScalarType dt : {kDouble, kFloat, kLong}) {
      Tensor seq = fx("search.seq").to(dev, dt), vals = fx("search.values").to(dev, dt);
      if (dt == kLong) vals = fx("search.values").floor().to(dev, dt);
      if (dt != kLong) {
        require_equal(searchsorted(seq, vals).to(kCPU), fx("search.left"));
        require_equal(searchsorted(seq, vals, false, true).to(kCPU), fx("search.right"));
        require_equal(bucketize(vals, seq).to(kCPU), fx("bucketize.out"));
        require_equal(bucketize(vals, seq, false, true).to(kCPU), fx("bucketize.right"));
        Tensor seq2 = fx("search2.seq").to(dev, dt), vals2 = fx("search2.values").to(dev, dt);
        require_equal(searchsorted(seq2, vals2).to(kCPU), fx("search2.left"));
        require_equal(searchsorted(seq2, vals2, false, false, "right").to(kCPU), fx("search2.right"));
        Tensor i32 = searchsorted(seq, vals, true);
        REQUIRE(i32.dtype() == kInt);
        require_equal(i32.to(kCPU, kLong), fx("search.left"));
        require_equal(searchsorted(fx("search_sorter.seq").to(dev, dt), vals, false, false, std::nullopt,
                                   fx("search_sorter.sorter").to(dev))
                          .to(kCPU),
                      fx("search_sorter.out"));
      }
    }
    REQUIRE(searchsorted(tensor({1.0, 2.0, 3.0}).to(dev), Scalar(2.5)).item<int64_t>() == 2);
    REQUIRE(bucketize(Scalar(2.0), tensor({1.0, 2.0, 3.0}).to(dev), false, true).item<int64_t>() == 2);
    // NaN goes past every boundary, as PyTorch.
    REQUIRE(searchsorted(tensor({1.0, 2.0}).to(dev), tensor({NAN})).item<int64_t>() == 2);
    REQUIRE(searchsorted(empty({0}).to(dev), tensor({1.0, 2.0}).to(dev)).sum().item<int64_t>() == 0);
  }
}

TEST_CASE("sort family: errors in LibTorch's words", "[sort][errors]") {
  Tensor x = tensor({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}});
  require_throws_with([&] { x.topk(4); }, {"topk", "selected index k out of range", "[2, 3]"});
  require_throws_with([&] { x.topk(-1); }, {"topk", "selected index k out of range"});
  require_throws_with([&] { x.kthvalue(4); }, {"kthvalue(): selected number k out of range for dimension 1"});
  require_throws_with([&] { x.kthvalue(0, 0); }, {"kthvalue(): selected number k out of range for dimension 0"});
  require_throws_with([&] { x.sort(2); }, {"sort", "dimension out of range", "[-2, 1]", "got 2"});
  require_throws_with([&] { x.median(-3); }, {"median", "dimension out of range"});
  require_throws_with([&] { empty({2, 0}).median(1); }, {"median(): Expected reduction dim 1 to have non-zero size"});
  require_throws_with([&] { empty({2, 0}).mode(1); }, {"mode(): Expected reduction dim 1 to have non-zero size"});
  require_throws_with([&] { empty({2, 0}).kthvalue(1, 1); }, {"kthvalue(): Expected reduction dim 1"});
  require_throws_with([&] { tensor({true, false}).topk(1); }, {"topk", "not implemented for 'Bool'"});
  require_throws_with([&] { tensor({true, false}).median(); }, {"median", "not implemented for 'Bool'"});
  require_throws_with([&] { unique_dim(x, 2); }, {"unique_dim", "dimension out of range"});
  require_throws_with(
      [&] {
        searchsorted(tensor({{1.0, 2.0}}), tensor({1.0, 2.0}));
      },
      {"torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 dimensions", "[1, 2]", "[2]"});
  require_throws_with(
      [&] {
        searchsorted(tensor({1.0, 2.0}), tensor({1.0}), false, true, "left");
      },
      {"side and right can't be set to opposites"});
  require_throws_with(
      [&] {
        searchsorted(tensor({1.0, 2.0}), tensor({1.0}), false, false, "middle");
      },
      {"side can only be 'left' or 'right' but got middle"});
  require_throws_with(
      [&] {
        searchsorted(tensor({{1.0, 2.0}}), Scalar(1.0));
      },
      {"input value can be a scalar only when boundaries tensor dimension is 1"});
  require_throws_with(
      [&] {
        searchsorted(tensor({1.0, 2.0}), tensor({1.0}), false, false, std::nullopt, tensor({0}));
      },
      {"boundary and sorter must have the same size"});
  require_throws_with(
      [&] {
        bucketize(tensor({1.0}), tensor({{1.0, 2.0}}));
      },
      {"bucketize", "boundaries tensor must be 1 dimension, but got dim(2)"});
}
