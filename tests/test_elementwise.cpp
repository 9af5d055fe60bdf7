// Pointwise arithmetic, unary math, clamp, comparisons and where: values and gradients against
// PyTorch (tests/fixtures/elementwise.txt) on every device, plus float64 gradchecks.
#include "helpers.h"

using namespace ember;
using namespace ember_test;
using V = std::vector<Tensor>;

namespace {
void elementwise_case(const std::string& name, const ember_test::TensorFn& fn) { check_case("elementwise", name, fn); }
CaseOptions no_grad_case() {
  CaseOptions o;
  o.grads = false;
  o.gradcheck = false;
  return o;
}
}  // namespace

TEST_CASE("add: tensors, broadcasting, alpha and scalars in both orders", "[elementwise]") {
  elementwise_case("add", [](const V& v) { return v[0] + v[1]; });
  elementwise_case("add_bcast", [](const V& v) { return v[0] + v[1]; });
  elementwise_case("add_bcast2", [](const V& v) { return add(v[0], v[1]); });
  elementwise_case("add_alpha", [](const V& v) { return v[0].add(v[1], 2.5); });
  elementwise_case("add_scalar", [](const V& v) { return v[0] + 2.5; });
  elementwise_case("radd_scalar", [](const V& v) { return 2.5 + v[0]; });
}

TEST_CASE("sub: tensors, broadcasting, alpha and scalars in both orders", "[elementwise]") {
  elementwise_case("sub", [](const V& v) { return v[0] - v[1]; });
  elementwise_case("sub_bcast", [](const V& v) { return sub(v[0], v[1]); });
  elementwise_case("sub_alpha", [](const V& v) { return v[0].sub(v[1], 0.5); });
  elementwise_case("sub_scalar", [](const V& v) { return v[0] - 2.5; });
  elementwise_case("rsub_scalar", [](const V& v) { return 2.5 - v[0]; });
}

TEST_CASE("mul: tensors, broadcasting and scalars in both orders", "[elementwise]") {
  elementwise_case("mul", [](const V& v) { return v[0] * v[1]; });
  elementwise_case("mul_bcast", [](const V& v) { return mul(v[0], v[1]); });
  elementwise_case("mul_scalar", [](const V& v) { return v[0] * 2.5; });
  elementwise_case("rmul_scalar", [](const V& v) { return 2.5 * v[0]; });
}

TEST_CASE("div: tensors, broadcasting and scalars in both orders", "[elementwise]") {
  elementwise_case("div", [](const V& v) { return v[0] / v[1]; });
  elementwise_case("div_bcast", [](const V& v) { return div(v[0], v[1]); });
  elementwise_case("div_scalar", [](const V& v) { return v[0] / 2.5; });
  elementwise_case("rdiv_scalar", [](const V& v) { return 2.5 / v[0]; });
}

TEST_CASE("unary: neg exp log sqrt abs", "[elementwise]") {
  elementwise_case("neg", [](const V& v) { return -v[0]; });
  elementwise_case("neg", [](const V& v) { return neg(v[0]); });
  elementwise_case("exp", [](const V& v) { return v[0].exp(); });
  elementwise_case("log", [](const V& v) { return log(v[0]); });
  elementwise_case("sqrt", [](const V& v) { return v[0].sqrt(); });
  elementwise_case("abs", [](const V& v) { return abs(v[0]); });
}

TEST_CASE("activations: relu sigmoid tanh", "[elementwise]") {
  elementwise_case("relu", [](const V& v) { return v[0].relu(); });
  elementwise_case("relu", [](const V& v) { return relu(v[0]); });
  elementwise_case("sigmoid", [](const V& v) { return sigmoid(v[0]); });
  elementwise_case("tanh", [](const V& v) { return v[0].tanh(); });
}

TEST_CASE("pow: scalar and tensor exponents", "[elementwise]") {
  elementwise_case("pow_scalar", [](const V& v) { return v[0].pow(2.5); });
  elementwise_case("pow_int", [](const V& v) { return pow(v[0], 3); });
  elementwise_case("pow_square", [](const V& v) { return v[0].pow(2); });
  elementwise_case("pow_tensor", [](const V& v) { return v[0].pow(v[1]); });
  elementwise_case("pow_tensor_bcast", [](const V& v) { return pow(v[0], v[1]); });
}

TEST_CASE("clamp, clamp_min, clamp_max", "[elementwise]") {
  elementwise_case("clamp", [](const V& v) { return v[0].clamp(-0.5, 1.0); });
  elementwise_case("clamp_min_only", [](const V& v) { return clamp(v[0], -0.5); });
  elementwise_case("clamp_max_only", [](const V& v) { return v[0].clamp(std::nullopt, 1.0); });
  elementwise_case("clamp_min", [](const V& v) { return v[0].clamp_min(0.25); });
  elementwise_case("clamp_max", [](const V& v) { return clamp_max(v[0], 0.25); });
}

TEST_CASE("comparisons give bool tensors", "[elementwise]") {
  auto o = no_grad_case();
  check_case(
      "elementwise", "eq", [](const V& v) { return v[0].eq(v[1]); }, o);
  check_case(
      "elementwise", "eq", [](const V& v) { return v[0] == v[1]; }, o);
  check_case(
      "elementwise", "eq_bcast", [](const V& v) { return eq(v[0], v[1]); }, o);
  check_case(
      "elementwise", "eq_scalar", [](const V& v) { return v[0] == 2.0; }, o);
  check_case(
      "elementwise", "ne", [](const V& v) { return v[0] != v[1]; }, o);
  check_case(
      "elementwise", "ne_bcast", [](const V& v) { return ne(v[0], v[1]); }, o);
  check_case(
      "elementwise", "ne_scalar", [](const V& v) { return v[0].ne(2.0); }, o);
  check_case(
      "elementwise", "lt", [](const V& v) { return v[0] < v[1]; }, o);
  check_case(
      "elementwise", "lt_bcast", [](const V& v) { return lt(v[0], v[1]); }, o);
  check_case(
      "elementwise", "lt_scalar", [](const V& v) { return v[0] < 2.0; }, o);
  check_case(
      "elementwise", "le", [](const V& v) { return v[0] <= v[1]; }, o);
  check_case(
      "elementwise", "le_bcast", [](const V& v) { return v[0].le(v[1]); }, o);
  check_case(
      "elementwise", "le_scalar", [](const V& v) { return v[0] <= 2.0; }, o);
  check_case(
      "elementwise", "gt", [](const V& v) { return v[0] > v[1]; }, o);
  check_case(
      "elementwise", "gt_bcast", [](const V& v) { return gt(v[0], v[1]); }, o);
  check_case(
      "elementwise", "gt_scalar", [](const V& v) { return v[0].gt(2.0); }, o);
  check_case(
      "elementwise", "ge", [](const V& v) { return v[0] >= v[1]; }, o);
  check_case(
      "elementwise", "ge_bcast", [](const V& v) { return ge(v[0], v[1]); }, o);
  check_case(
      "elementwise", "ge_scalar", [](const V& v) { return v[0] >= 2.0; }, o);
}

TEST_CASE("where selects between tensors, with broadcasting", "[elementwise]") {
  elementwise_case("where", [](const V& v) { return where(v[0], v[1], v[2]); });
  elementwise_case("where_bcast", [](const V& v) { return where(v[0], v[1], v[2]); });
}

TEST_CASE("in-place arithmetic matches the out-of-place ops", "[elementwise]") {
  for (Device d : ember_test::test_devices()) {
    INFO("device " << d);
    const auto& f = ember_test::fixtures("elementwise");
    Tensor a = f["add_bcast.in0"].to(d, kDouble).clone();
    Tensor b = f["add_bcast.in1"].to(d, kDouble);
    Tensor x = a.clone();
    x += b;
    ember_test::require_close(x, f["add_bcast.out"], 1e-12, 1e-12);
    x = a.clone();
    x.add_(b).mul_(2.0).sub_(1.0).div_(4.0);
    ember_test::require_close(x, (a + b) * 2.0 / 4.0 - 0.25, 1e-12, 1e-12);
    x = a.clone();
    x *= b;
    x -= b;
    x /= 2.0;
    ember_test::require_close(x, (a * b - b) / 2.0, 1e-12, 1e-12);
    // An in-place op returns its own handle, so chained calls act on the same data.
    Tensor y = zeros({3}, TensorOptions(kDouble).device(d));
    const Tensor& r = y.fill_(2.0);
    CHECK(r.is_same(y));
    ember_test::require_close(y, full({3}, 2.0, kDouble), 0, 0);
    y.zero_();
    ember_test::require_close(y, zeros({3}, kDouble), 0, 0);
  }
}

TEST_CASE("type promotion of arithmetic and comparisons", "[elementwise]") {
  for (Device d : ember_test::test_devices()) {
    INFO("device " << d);
    Tensor i = tensor({1, 2, 3}, TensorOptions(kLong).device(d));
    Tensor fl = tensor({0.5, 1.5, 2.5}, TensorOptions(kFloat).device(d));
    Tensor db = tensor({0.5, 1.5, 2.5}, TensorOptions(kDouble).device(d));
    CHECK((i + i).dtype() == kLong);
    CHECK((i + fl).dtype() == kFloat);
    CHECK((fl + db).dtype() == kDouble);
    CHECK((i * 2).dtype() == kLong);
    CHECK((i * 2.5).dtype() == kFloat);  // an int tensor times a float scalar: default float dtype
    CHECK((fl * 2).dtype() == kFloat);
    CHECK((i < 2).dtype() == kBool);
    CHECK((fl == db).dtype() == kBool);
    ember_test::require_equal(i * 2, tensor({2, 4, 6}, kLong));
    ember_test::require_close(i * 2.5, tensor({2.5, 5.0, 7.5}, kFloat), 0, 0);
    ember_test::require_equal(i > 1, tensor({false, true, true}));
  }
}

#if defined(EMBER_TEST_HAVE_FUNCTIONAL)
TEST_CASE("functional: gelu and linear", "[elementwise][functional]") {
  elementwise_case("gelu", [](const V& v) { return nn::functional::gelu(v[0]); });
  elementwise_case("gelu_tanh", [](const V& v) {
    return nn::functional::gelu(v[0], nn::functional::GELUFuncOptions().approximate("tanh"));
  });
  elementwise_case("linear", [](const V& v) { return nn::functional::linear(v[0], v[1], v[2]); });
  elementwise_case("linear_nobias", [](const V& v) { return nn::functional::linear(v[0], v[1]); });
}
#endif  // EMBER_TEST_HAVE_FUNCTIONAL (test_loss.cpp fails when it is missing)
