// Tensor indexing (Tensor::index / index_put_, torch::indexing) and the gather / scatter family:
// values and gradients against PyTorch 1.13 (tests/fixtures/indexing.txt, written by
// tools/gen_indexing_fixtures.py), float64 gradchecks, views vs copies, LibTorch's errors, and
// the CUDA kernels against the CPU's.
#include "ember/indexing.h"

#include <sstream>

#include "helpers.h"

using namespace ember;
using namespace ember::indexing;
using ember_test::CaseOptions;
using ember_test::check_case;
using ember_test::require_equal;
using ember_test::require_throws_with;
using V = std::vector<Tensor>;

namespace {
void fx(const std::string& name, const ember_test::TensorFn& fn) { check_case("indexing", name, fn); }
CaseOptions values_only() {
  CaseOptions o;
  o.grads = false;
  o.gradcheck = false;
  o.float32 = false;
  return o;
}
}  // namespace

TEST_CASE("index: ints, slices, None and Ellipsis against PyTorch", "[indexing]") {
  fx("basic", [](const V& v) { return v[0].index({Slice(1, None), 0}) * 1.0; });
  fx("ellipsis_none", [](const V& v) { return v[0].index({"...", None, Slice(1, 4, 2)}) * 1.0; });
  fx("slice_then_tensor", [](const V& v) { return v[0].index({Slice(1), v[1], None}); });
}

TEST_CASE("index: integer tensors, broadcasting, separated dims, masks against PyTorch", "[indexing]") {
  fx("int_tensor", [](const V& v) { return v[0].index({v[1]}); });
  fx("separated", [](const V& v) { return v[0].index({v[1], Slice(), v[2]}); });
  fx("adjacent_bcast", [](const V& v) { return v[0].index({Slice(), v[1], v[2]}); });
  fx("mask", [](const V& v) { return v[0].index({v[1]}); });
  fx("mask_dim1", [](const V& v) { return v[0].index({Slice(), v[1]}); });
  check_case(
      "indexing", "index_long", [](const V& v) { return v[0][v[1]]; }, values_only());
}

TEST_CASE("index_put against PyTorch, with and without accumulate", "[indexing]") {
  fx("index_put", [](const V& v) { return index_put(v[0], {v[2]}, v[1]); });
  fx("index_put_acc", [](const V& v) { return v[0].index_put({v[2]}, v[1], true); });
  fx("index_put_two", [](const V& v) { return index_put(v[0], {v[2], v[3]}, v[1], true); });
}

TEST_CASE("gather and scatter against PyTorch", "[indexing][scatter]") {
  fx("gather0", [](const V& v) { return v[0].gather(0, v[1]); });
  fx("gather1", [](const V& v) { return gather(v[0], 1, v[1]); });
  fx("gather3d", [](const V& v) { return v[0].gather(-1, v[1]); });
  fx("scatter", [](const V& v) { return v[0].scatter(1, v[2], v[1]); });
  fx("scatter_value", [](const V& v) { return v[0].scatter(0, v[1], 2.5); });
  fx("scatter_add", [](const V& v) { return scatter_add(v[0], 0, v[2], v[1]); });
  check_case(
      "indexing", "gather_long", [](const V& v) { return v[0].gather(1, v[1]); }, values_only());
  check_case(
      "indexing", "scatter_add_long", [](const V& v) { return v[0].scatter_add(1, v[2], v[1]); }, values_only());
}

TEST_CASE("scatter_reduce: every reduction, with and without self, against PyTorch", "[indexing][scatter]") {
  for (std::string r : {"sum", "prod", "mean", "amax", "amin"}) {
    for (bool inc : {true, false}) {
      INFO("reduce " << r << " include_self " << inc);
      fx("scatter_reduce_" + r + (inc ? "_self" : "_noself"),
         [r, inc](const V& v) { return v[0].scatter_reduce(1, v[2], v[1], r, inc); });
    }
  }
  check_case(
      "indexing", "scatter_mean_long", [](const V& v) { return v[0].scatter_reduce(1, v[2], v[1], "mean"); },
      values_only());
  check_case(
      "indexing", "scatter_mean_long_noself",
      [](const V& v) { return v[0].scatter_reduce(1, v[2], v[1], "mean", false); }, values_only());
}

TEST_CASE("index_add, index_copy, index_fill against PyTorch", "[indexing]") {
  fx("index_add", [](const V& v) { return v[0].index_add(1, v[2], v[1], 2.0); });
  fx("index_copy", [](const V& v) { return index_copy(v[0], 0, v[2], v[1]); });
  fx("index_fill", [](const V& v) { return v[0].index_fill(1, v[1], -1.5); });
  fx("index_fill_tensor", [](const V& v) { return v[0].index_fill(0, v[2], v[1]); });
}

TEST_CASE("masked_fill, masked_select, masked_scatter, take, nonzero against PyTorch", "[indexing]") {
  fx("masked_fill", [](const V& v) { return v[0].masked_fill(v[1], 0.75); });
  fx("masked_fill_bcast", [](const V& v) { return masked_fill(v[0], v[1], -2.0); });
  fx("masked_fill_tensor", [](const V& v) { return v[0].masked_fill(v[2], v[1]); });
  fx("masked_select", [](const V& v) { return v[0].masked_select(v[1]); });
  fx("masked_select_bcast", [](const V& v) { return masked_select(v[0], v[1]); });
  fx("masked_scatter", [](const V& v) { return v[0].masked_scatter(v[2], v[1]); });
  fx("take", [](const V& v) { return v[0].take(v[1]); });
  check_case(
      "indexing", "nonzero", [](const V& v) { return v[0].nonzero(); }, values_only());
  check_case(
      "indexing", "nonzero_float", [](const V& v) { return nonzero(v[0]); }, values_only());
  check_case(
      "indexing", "masked_select_bool", [](const V& v) { return v[0].masked_select(v[1]); }, values_only());
}

TEST_CASE("where(condition) gives one index tensor per dim", "[indexing]") {
  Tensor c = tensor({{false, true, true}, {true, false, false}});
  std::vector<Tensor> w = where(c);
  REQUIRE(w.size() == 2);
  require_equal(w[0].contiguous(), tensor({0, 0, 1}));
  require_equal(w[1].contiguous(), tensor({1, 2, 0}));
  require_equal(where(c, tensor({1., 2., 3.}), tensor({-1.})), tensor({{-1., 2., 3.}, {1., -1., -1.}}));
}

TEST_CASE("basic indexing gives views; advanced indexing gives copies", "[indexing][views]") {
  Tensor t = zeros({3, 4});
  Tensor v = t.index({Slice(), 1});
  CHECK(v.is_view());
  t.index({Slice(), 0}) = 5;  // the rvalue assignment fills the view
  t.index({1, Slice(2, None)}) = tensor({7., 8.});
  t.index({"...", -1}) += 1;
  require_equal(t, tensor({{5., 0., 0., 1.}, {5., 0., 7., 9.}, {5., 0., 0., 1.}}));
  v.fill_(2);
  CHECK(t.index({2, 1}).item<float>() == 2.0f);

  Tensor a = t.index({tensor({0, 2})});
  CHECK_FALSE(a.is_view());
  a.fill_(-1);
  CHECK(t.index({0, 0}).item<float>() == 5.0f);  // the base is unchanged
  Tensor m = t.index({t > 4});
  m.zero_();
  CHECK(t.index({0, 0}).item<float>() == 5.0f);
  // None and Ellipsis shapes.
  Tensor x = zeros({2, 3, 4});
  CHECK(x.index({None, "...", None}).sizes().vec() == std::vector<int64_t>{1, 2, 3, 4, 1});
  CHECK(x.index({Ellipsis, 0, Slice()}).sizes().vec() == std::vector<int64_t>{2, 4});
  CHECK(x.index({true}).sizes().vec() == std::vector<int64_t>{1, 2, 3, 4});
  CHECK(x.index({false}).sizes().vec() == std::vector<int64_t>{0, 2, 3, 4});
  CHECK(x.index({0, true, 1}).sizes().vec() == std::vector<int64_t>{1, 4});
  CHECK(x.index({tensor(int64_t(1))}).sizes().vec() == std::vector<int64_t>{3, 4});
}

TEST_CASE("index_put_ writes through slices, tensors, masks, scalars", "[indexing]") {
  Tensor t = zeros({3, 4});
  t.index_put_({Slice(), tensor({1, 3})}, 2.0);
  t.index_put_({t == 0}, tensor(-1.));
  t.index_put_({0}, tensor({{1., 2., 3., 4.}}));  // leading size-1 dims of the value are dropped
  require_equal(t, tensor({{1., 2., 3., 4.}, {-1., 2., -1., 2.}, {-1., 2., -1., 2.}}));
  Tensor acc = zeros({3}, kLong);
  acc.index_put_({tensor({0, 0, 2})}, tensor({1, 2, 3}), true);
  require_equal(acc, tensor({3, 0, 3}));
  Tensor torch_style = zeros({2, 2});
  torch_style[tensor({1})] = 4;                    // t[idx] = value through the rvalue assignment is not a put...
  CHECK(torch_style.sum().item<float>() == 0.0f);  // ...as in LibTorch: the gathered copy is written
}

TEST_CASE("in-place forms change self, and autograd sees them", "[indexing][autograd]") {
  Tensor t = zeros({2, 3});
  t.scatter_(1, tensor({{2}, {0}}), 1.5);
  t.scatter_add_(1, tensor({{2}, {0}}), tensor({{1.}, {1.}}));
  t.index_fill_(0, tensor({1}), 3.0);
  t.masked_fill_(t == 0, -1.0);
  t.index_add_(1, tensor({0}), tensor({{1.}, {1.}}));
  t.index_copy_(1, tensor({1}), tensor({{9.}, {8.}}));
  require_equal(t, tensor({{0., 9., 2.5}, {4., 8., 3.}}));
  Tensor u = zeros({4});
  u.masked_scatter_(tensor({true, false, true, false}), tensor({1., 2., 3.}));
  u.scatter_reduce_(0, tensor({3, 3}), tensor({5., 7.}), "amax", false);
  require_equal(u, tensor({1., 0., 2., 7.}));

  // Through autograd: x -> y (clone) -> in-place put -> sum.
  Tensor x = tensor({1., 2., 3.}).requires_grad_();
  Tensor w = tensor({10., 20.}).requires_grad_();
  Tensor y = x * 1.0;
  y.index_put_({tensor({0, 2})}, w, false);
  (y * tensor({1., 2., 3.})).sum().backward();
  require_equal(x.grad(), tensor({0., 2., 0.}));
  require_equal(w.grad(), tensor({1., 3.}));
  // A put through a basic-index view reaches the base's history.
  Tensor a = tensor({{1., 2.}, {3., 4.}}).requires_grad_();
  Tensor b = a * 2.0;
  b.index({Slice(), 0}) = w;
  b.sum().backward();
  require_equal(a.grad(), tensor({{0., 2.}, {0., 2.}}));
}

TEST_CASE("double backward through gather and index", "[indexing][autograd]") {
  auto fn = [](const V& v) {
    // The finite differences run this under NoGradGuard: the first gradient still needs a graph.
    AutoGradMode enable(true);
    Tensor x = v[0].requires_grad() ? v[0] : v[0].detach().requires_grad_();
    Tensor g =
        autograd::grad({x.gather(1, v[1]).pow(2).sum() + x.index({v[2]}).pow(3).sum()}, {x}, {}, std::nullopt, true)[0];
    return g * 1.0;
  };
  ember_test::gradcheck(fn, {ember_test::rnd({3, 4}, kDouble), tensor({{0, 3}, {1, 1}, {2, 0}}), tensor({2, 0, 2})});
}

TEST_CASE("indexing errors name the rule, as LibTorch", "[indexing][errors]") {
  Tensor x = zeros({2, 3, 4});
  require_throws_with([&] { x.index({5}); }, {"index 5 is out of bounds for dimension 0 with size 2"});
  require_throws_with([&] { x.index({tensor({5})}); }, {"index 5 is out of bounds for dimension 0 with size 2"});
  require_throws_with(
      [&] {
        x.index({Slice(), tensor({-4})});
      },
      {"index -4 is out of bounds for dimension 1 with size 3"});
  require_throws_with([&] { x.index({0, 0, 0, 0}); }, {"too many indices for tensor of dimension 3"});
  require_throws_with([&] { x.index({tensor({0.5})}); }, {"tensors used as indices must be long, byte or bool"});
  require_throws_with(
      [&] {
        x.index({ones({3, 3}, kBool)});
      },
      {"The shape of the mask [3, 3] at index 0 does not match the shape of the indexed tensor "
       "[2, 3, 4] at index 0"});
  require_throws_with(
      [&] {
        x.index({tensor({0, 1}), tensor({0, 1, 2})});
      },
      {"shape mismatch: indexing tensors could not be broadcast together"});
  require_throws_with([&] { x.index({Slice(None, None, -1)}); }, {"step must be greater than zero"});
  require_throws_with([&] { Slice(0, 1, 0); }, {"slice step cannot be zero"});
  require_throws_with([&] { x.index({"..", 0}); }, {"Expected \"...\" to represent an ellipsis index"});
  require_throws_with([&] { x.index({"...", 0, "..."}); }, {"single ellipsis"});
  require_throws_with(
      [&] {
        zeros({2, 3}).index_put_({tensor({1})}, ones({2}));
      },
      {"shape mismatch: value tensor of shape [2] cannot be broadcast to indexing result of shape "
       "[1, 3]"});
  Tensor y = zeros({2, 3});
  require_throws_with([&] { y.gather(0, tensor({{0.}})); }, {"gather()", "Expected dtype int64 for index"});
  require_throws_with([&] { y.gather(0, tensor({{5}})); }, {"index 5 is out of bounds for dimension 0 with size 2"});
  require_throws_with([&] { y.gather(1, tensor({{-1}})); }, {"index -1 is out of bounds for dimension 1 with size 3"});
  require_throws_with([&] { y.gather(0, tensor({0})); },
                      {"Index tensor must have the same number of dimensions as self tensor"});
  require_throws_with(
      [&] {
        y.gather(0, zeros({2, 4}, kLong));
      },
      {"Size does not match at dimension 1 expected index [2, 4] to be smaller than self [2, 3] "
       "apart from dimension 0"});
  require_throws_with(
      [&] {
        y.scatter(0, tensor({{0}}), ones({1, 1}, kDouble));
      },
      {"scatter()", "Expected self.dtype to be equal to src.dtype"});
  require_throws_with(
      [&] {
        y.scatter(0, zeros({2, 2}, kLong), ones({1, 1}));
      },
      {"Expected index [2, 2] to be smaller than self [2, 3] apart from dimension 0 and to be "
       "smaller size than src [1, 1]"});
  require_throws_with(
      [&] {
        y.scatter_reduce(0, tensor({{0}}), ones({1, 1}), "foo");
      },
      {"reduce argument must be either sum, prod, mean, amax or amin"});
  require_throws_with(
      [&] {
        y.index_copy(0, tensor({1, 0}), ones({1, 3}));
      },
      {"index_copy_(): Number of indices (2) should be equal to source.size(dim) (1)"});
  require_throws_with(
      [&] {
        y.index_add(0, tensor({2}), ones({1, 3}));
      },
      {"index_add_()", "index 2 is out of bounds for dimension 0 with size 2"});
  require_throws_with(
      [&] {
        y.index_add(0, tensor({0}), ones({1, 2}));
      },
      {"must have the same size in every dimension except dim 0"});
  require_throws_with([&] { y.index_fill(0, tensor({0.}), 1.0); }, {"index_fill_()", "long tensor for index"});
  require_throws_with([&] { y.masked_fill(ones({3}), 1.0); }, {"masked_fill_ only supports boolean masks"});
  require_throws_with([&] { y.masked_fill(ones({3}, kBool), ones({2})); },
                      {"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with 1 dimension(s)"});
  require_throws_with(
      [&] {
        zeros({3}).masked_fill_(ones({2, 3}, kBool), 1.0);
      },
      {"output with shape [3] doesn't match the broadcast shape [2, 3]"});
  require_throws_with([&] { y.masked_select(ones({3})); }, {"masked_select: expected BoolTensor for mask"});
  require_throws_with([&] { y.masked_scatter(ones({3}, kBool), ones({5})); },
                      {"Number of elements of source < number of ones in mask"});
  require_throws_with([&] { y.take(tensor({6})); },
                      {"out of range: tried to access index 6 on a tensor of 6 elements"});
  require_throws_with([&] { y.take(tensor({0.})); }, {"take(): Expected a long tensor for index"});
}

TEST_CASE("TensorIndex and Slice print as LibTorch's", "[indexing]") {
  std::ostringstream os;
  os << Slice() << " " << Slice(1, 5, 2) << " " << TensorIndex(None) << " " << TensorIndex("...") << " "
     << TensorIndex(3) << " " << TensorIndex(true);
  CHECK(os.str() == "0:9223372036854775807:1 1:5:2 None ... 3 true");
}

TEST_CASE("node names as LibTorch's", "[indexing][autograd]") {
  Tensor x = ember_test::rnd({3, 3}).requires_grad_();
  CHECK(ember_test::node_name(x.index({tensor({0, 1})})) == "IndexBackward0");
  CHECK(ember_test::node_name(x.gather(0, tensor({{0}}))) == "GatherBackward0");
  CHECK(ember_test::node_name(x.scatter_add(0, tensor({{0}}), ones({1, 1}))) == "ScatterAddBackward0");
  CHECK(ember_test::node_name(x.scatter_reduce(0, tensor({{0}}), ones({1, 1}), "sum")) == "ScatterReduceBackward0");
  CHECK(ember_test::node_name(index_put(x, {tensor({0})}, ones({3}))) == "IndexPutBackward0");
}

TEST_CASE("CUDA indexing kernels match the CPU", "[indexing][cuda]") {
  EMBER_REQUIRE_CUDA();
  Device cuda(kCUDA);
  manual_seed(3);
  for (ScalarType dt : {kFloat, kDouble, kLong}) {
    INFO("dtype " << dt);
    Tensor x = (rand({40, 50}) * 100).to(dt);
    Tensor i = randint(0, 40, {30, 50});
    Tensor src = (rand({30, 50}) * 10).to(dt);
    Tensor m = rand({40, 50}) > 0.5;
    Tensor xc = x.to(cuda), ic = i.to(cuda), sc = src.to(cuda), mc = m.to(cuda);
    require_equal(xc.gather(0, ic).cpu(), x.gather(0, i));
    require_equal(xc.index({ic.index({Slice(), 0})}).cpu(), x.index({i.index({Slice(), 0})}));
    require_equal(xc.index({Slice(), ic.index({0})}).cpu(), x.index({Slice(), i.index({0})}));
    require_equal(xc.masked_select(mc).cpu(), x.masked_select(m));
    require_equal(xc.nonzero().cpu(), x.nonzero());
    require_equal(xc.take(ic).cpu(), x.take(i));
    require_equal(xc.scatter(0, ic.index({Slice(0, 1)}), sc).cpu(), x.scatter(0, i.index({Slice(0, 1)}), src));
    require_equal(xc.masked_scatter(mc, xc).cpu(), x.masked_scatter(m, x));
    for (std::string r : {"sum", "prod", "amax", "amin", "mean"}) {
      INFO("reduce " << r);
      Tensor got = xc.scatter_reduce(0, ic, sc, r).cpu(), want = x.scatter_reduce(0, i, src, r);
      if (dt == kLong && r != "prod") require_equal(got, want);
      else if (dt != kLong) ember_test::require_close(got, want, ember_test::tol_for(dt));
    }
    if (dt != kLong)
      ember_test::require_close(xc.index_put({ic.index({Slice(), 0})}, sc.index({Slice(), 0}), true).cpu(),
                                x.index_put({i.index({Slice(), 0})}, src.index({Slice(), 0}), true),
                                ember_test::tol_for(dt));
  }
}
