// ember/aten_forms.h: the free forms of the view methods, the bitwise operators, maximum /
// minimum (values, NaN, PyTorch's gradient split at ties, float64 gradcheck), where with a Scalar
// branch (PyTorch's result dtypes), pow with a Scalar base, movedim.
#include "ember/torch_compat.h"
#include "helpers.h"

using namespace ember;
using ember_test::gradcheck;
using ember_test::require_equal;
using ember_test::require_throws_with;
using V = std::vector<Tensor>;

TEST_CASE("maximum / minimum: values, NaN, broadcasting and PyTorch's gradient at ties", "[elementwise]") {
  for (Device dev : ember_test::test_devices()) {
    const double nan = std::nan("");
    Tensor a = tensor({1.0, 5.0, 2.0, nan, 3.0}, TensorOptions(kDouble).device(dev)).requires_grad_();
    Tensor b = tensor({4.0, 0.0, 2.0, 1.0, nan}, TensorOptions(kDouble).device(dev)).requires_grad_();
    Tensor mx = maximum(a, b), mn = torch::min(a, b);
    const Tensor got = mx.detach().cpu();
    CHECK(got[0].item<double>() == 4.0);
    CHECK(got[1].item<double>() == 5.0);
    CHECK(got[2].item<double>() == 2.0);
    CHECK(std::isnan(got[3].item<double>()));
    CHECK(std::isnan(got[4].item<double>()));
    CHECK(mn.detach().cpu()[0].item<double>() == 1.0);
    CHECK(ember_test::node_name(mx) == "MaximumBackward0");
    CHECK(ember_test::node_name(mn) == "MinimumBackward0");
    mx.narrow(0, 0, 3).sum().backward();
    require_equal(a.grad().cpu(), tensor({0.0, 1.0, 0.5, 0.0, 0.0}, kDouble));  // a tie splits in halves
    require_equal(b.grad().cpu(), tensor({1.0, 0.0, 0.5, 0.0, 0.0}, kDouble));

    const Tensor m =
        torch::max(tensor({{1, 7}, {9, 2}}, TensorOptions(kLong).device(dev)), tensor({3, 3}, kLong).to(dev));
    require_equal(m.cpu(), tensor({{3, 7}, {9, 3}}, kLong));
    CHECK(maximum(ones({2}, kInt).to(dev), full({2}, 0.5).to(dev)).dtype() == kFloat);  // promoted
  }
  gradcheck(
      [](const V& v) { return maximum(v[0], v[1]) * minimum(v[0], v[1].narrow(1, 0, 1)); },
      {tensor({{0.3, -1.2, 2.0}, {1.5, 0.1, -0.7}}, kDouble), tensor({{1.0, 0.4, -2.0}, {-0.5, 0.9, 0.2}}, kDouble)});
  require_throws_with([] { maximum(ones({2, 3}), ones({4})); }, {"maximum", "[2, 3]", "[4]"});
}

TEST_CASE("where with a Scalar branch: PyTorch's dtypes, gradients to the tensor branch", "[elementwise]") {
  const Tensor c = tensor({true, false, true});
  Tensor x = tensor({1.0, 2.0, 3.0}, kDouble).requires_grad_();
  const Tensor y = where(c, x, 0.5);
  require_equal(y.detach(), tensor({1.0, 0.5, 3.0}, kDouble));
  y.sum().backward();
  require_equal(x.grad(), tensor({1.0, 0.0, 1.0}, kDouble));
  require_equal(where(c, -1, tensor({4, 5, 6}, kLong)), tensor({-1, 5, -1}, kLong));
  CHECK(where(c, tensor({4, 5, 6}, kLong), 1.5).dtype() == kFloat);
  CHECK(where(c, 1, 0).dtype() == kLong);
  require_equal(where(c, 1.0, 0.0), tensor({1.0f, 0.0f, 1.0f}));
}

TEST_CASE("the bitwise operators, pow with a Scalar base, and the free view forms", "[elementwise]") {
  const Tensor p = tensor({true, true, false, false}), q = tensor({true, false, true, false});
  require_equal(p & q, tensor({true, false, false, false}));
  require_equal(p | q, tensor({true, true, true, false}));
  require_equal(p ^ q, tensor({false, true, true, false}));
  require_equal(~p, tensor({false, false, true, true}));
  require_equal(tensor({12, 10}, kLong) & 6, tensor({4, 2}, kLong));
  require_equal(3 | tensor({4, 8}, kLong), tensor({7, 11}, kLong));
  require_equal(~tensor({0, 5}, kLong), tensor({-1, -6}, kLong));
  Tensor m = tensor({true, false, true});
  m &= tensor({false, false, true});
  require_equal(m, tensor({false, false, true}));
  require_throws_with([] { (void)(ones({2}) & ones({2})); }, {"bitwise_and"});

  Tensor e = tensor({0.0, 1.0, 2.5}, kDouble).requires_grad_();
  const Tensor pw = torch::pow(2, e);
  ember_test::require_close(pw.detach(), tensor({1.0, 2.0, std::pow(2.0, 2.5)}, kDouble), 1e-15, 0);
  pw.sum().backward();
  ember_test::require_close(e.grad(), pw.detach() * std::log(2.0), 1e-15, 0);

  const Tensor x = arange(24).reshape({2, 3, 4});
  CHECK(torch::transpose(x, 0, 2).sizes() == IntArrayRef({4, 3, 2}));
  CHECK(torch::unsqueeze(x, 1).sizes() == IntArrayRef({2, 1, 3, 4}));
  CHECK(torch::squeeze(torch::unsqueeze(x, 0), 0).sizes() == x.sizes());
  CHECK(torch::reshape(x, {6, 4}).sizes() == IntArrayRef({6, 4}));
  CHECK(torch::movedim(x, 0, -1).sizes() == IntArrayRef({3, 4, 2}));
  require_equal(torch::movedim(x, 2, 0), x.permute({2, 0, 1}));
  require_equal(torch::select(x, 1, 2), x.select(1, 2));
  require_equal(torch::narrow(x, 2, 1, 2), x.narrow(2, 1, 2));
  CHECK(torch::numel(x) == 24);
  CHECK(torch::clone(x).data_ptr() != x.data_ptr());
  require_throws_with([&] { torch::movedim(x, 3, 0); }, {"movedim", "3"});
}

TEST_CASE("std / var resolve an integer argument to a dim, as LibTorch's overloads do", "[reduce]") {
  const Tensor s = tensor({{3.0, 1.0, 2.0, 1.0}, {0.0, -1.0, 5.0, 5.0}}, kDouble);
  require_equal(s.std(1), s.std(IntArrayRef({1})));  // LibTorch: [2], not the whole tensor
  require_equal(torch::var(s, 0), s.var(IntArrayRef({0})));
  CHECK(s.std(true).dim() == 0);
  CHECK(s.var(false).dim() == 0);
  ember_test::require_close(s.var(false), tensor(4.25, kDouble), 1e-15, 0);  // PyTorch: 4.25
  ember_test::require_close(torch::std(s), s.var().sqrt(), 1e-15, 0);
}
