// tan, the inverse and hyperbolic functions, log1p, expm1, atan2 and div with rounding modes
// against PyTorch (tests/fixtures/math_ops.txt, written by tools/gen_port_fixtures.py) on every
// test device with float64 gradchecks; their dtype rules, errors and node names; the in-place
// forms (x.sin_(), x.pow_(2), x.div_(y, "floor"), ...); Tensor::to(other).
#include <cmath>
#include <limits>

#include "ember/ember.h"
#include "helpers.h"

using namespace ember;
using ember_test::CaseOptions;
using ember_test::check_case;
using ember_test::node_name;
using ember_test::require_close;
using ember_test::require_equal;
using ember_test::require_throws_with;
using V = std::vector<Tensor>;

namespace {
const char* kFile = "math_ops";
}  // namespace

TEST_CASE("tan, asin ... atanh, log1p, expm1 against PyTorch", "[math]") {
  check_case(kFile, "tan", [](const V& v) { return v[0].tan(); });
  check_case(kFile, "asin", [](const V& v) { return ember::asin(v[0]); });
  check_case(kFile, "acos", [](const V& v) { return v[0].acos(); });
  check_case(kFile, "atan", [](const V& v) { return ember::arctan(v[0]); });
  check_case(kFile, "sinh", [](const V& v) { return v[0].sinh(); });
  check_case(kFile, "cosh", [](const V& v) { return ember::cosh(v[0]); });
  check_case(kFile, "asinh", [](const V& v) { return v[0].arcsinh(); });
  check_case(kFile, "acosh", [](const V& v) { return ember::acosh(v[0]); });
  check_case(kFile, "atanh", [](const V& v) { return v[0].atanh(); });
  check_case(kFile, "log1p", [](const V& v) { return ember::log1p(v[0]); });
  check_case(kFile, "expm1", [](const V& v) { return v[0].expm1(); });
}

TEST_CASE("atan2 against PyTorch, with broadcasting", "[math]") {
  check_case(kFile, "atan2", [](const V& v) { return ember::atan2(v[0], v[1]); });
  check_case(kFile, "atan2_broadcast", [](const V& v) { return v[0].arctan2(v[1]); });
}

TEST_CASE("div with rounding modes against PyTorch: zero gradient, PyTorch's floor rule", "[math]") {
  // The quotients are piecewise constant: the stored gradients are zeros, and finite differences
  // would straddle the steps, so no gradcheck.
  CaseOptions no_gradcheck;
  no_gradcheck.gradcheck = false;
  check_case(
      kFile, "div_trunc", [](const V& v) { return v[0].div(v[1], "trunc"); }, no_gradcheck);
  check_case(
      kFile, "div_floor", [](const V& v) { return ember::div(v[0], v[1], "floor"); }, no_gradcheck);
  // The edge quotients are float64's: in float32 0.3 / -0.1 floors to -4 (PyTorch's float32 too).
  CaseOptions f64_values = ember_test::values_only();
  f64_values.float32 = false;
  check_case(
      kFile, "div_floor_edge", [](const V& v) { return ember::floor_divide(v[0], v[1]); }, f64_values);
  const Tensor a = ember::tensor({7.0f, -7.0f, 1.0f, -0.0f, 5.5f, 0.3f}),
               b = ember::tensor({0.7f, 0.7f, 0.1f, 3.0f, -0.5f, -0.1f});
  require_equal(a.div(b, "floor"), ember::tensor({10.0f, -11.0f, 9.0f, -0.0f, -11.0f, -4.0f}));  // torch 1.13, float32
}

TEST_CASE("div rounding modes on integers stay integers; their errors are LibTorch's", "[math]") {
  for (Device d : ember_test::test_devices()) {
    Tensor a = ember::tensor({7, -7, 5, -6}, TensorOptions(kLong).device(d));
    Tensor b = ember::tensor({2, 2, -3, 3}, TensorOptions(kLong).device(d));
    require_equal(a.div(b, "floor").cpu(), ember::tensor({3, -4, -2, -2}, kLong));
    require_equal(a.div(b, "trunc").cpu(), ember::tensor({3, -3, -1, -2}, kLong));
    require_equal(a.floor_divide(2).cpu(), ember::tensor({3, -4, 2, -3}, kLong));
    require_equal(ember::div(a, -2, "trunc").cpu(), ember::tensor({-3, 3, -2, 3}, kLong));
    // An int32 tensor keeps its dtype; a float scalar divisor makes the result float.
    require_equal(a.to(kInt).div(b.to(kInt), "floor").cpu(), ember::tensor({3, -4, -2, -2}, kInt));
    require_equal(a.div(2.5, "floor").cpu(), ember::tensor({2.f, -3.f, 2.f, -3.f}));
    // nullopt is true division.
    require_close(a.div(b, std::nullopt).cpu(), ember::tensor({3.5f, -3.5f, -5.f / 3, -2.f}), 1e-6, 0);
    // Floating division by zero is inf / NaN, not an error.
    Tensor z = ember::tensor({5.0, -5.0, 0.0}, TensorOptions(kDouble).device(d));
    Tensor t = z.div(ember::zeros({3}, TensorOptions(kDouble).device(d)), "trunc").cpu();
    CHECK(t[0].item<double>() == std::numeric_limits<double>::infinity());
    CHECK(t[1].item<double>() == -std::numeric_limits<double>::infinity());
    CHECK(std::isnan(t[2].item<double>()));
    // floor of -0.0 / 3 keeps the sign of zero, as PyTorch's.
    Tensor nz = ember::tensor({-0.0}, TensorOptions(kDouble).device(d)).div(3.0, "floor").cpu();
    CHECK(std::signbit(nz.item<double>()));

    require_throws_with(
        [&] {
          a.div(ember::tensor({1, 0, 1, 1}, TensorOptions(kLong).device(d)), "floor");
        },
        {"div", "ZeroDivisionError"});
    require_throws_with([&] { a.div(0, "trunc"); }, {"div", "ZeroDivisionError"});
    require_throws_with([&] { a.div(b, "round"); },
                        {"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found 'round'"});
    Tensor yes = ember::tensor({true}, TensorOptions(kBool).device(d));
    require_throws_with([&] { yes.div(yes, "floor"); }, {"\"div_floor_cpu\" not implemented for 'Bool'"});
    require_throws_with([&] { yes.div(yes, "trunc"); }, {"\"div_trunc_cpu\" not implemented for 'Bool'"});
  }
}

TEST_CASE("the new ops' dtypes, special values and node names are LibTorch's", "[math]") {
  Tensor i = ember::tensor({0, 1, 2});
  CHECK(i.tan().dtype() == kFloat);
  CHECK(ember::atan2(i, i).dtype() == kFloat);
  CHECK(ember::atan2(i, ember::tensor({1.0, 1.0, 1.0}, kDouble)).dtype() == kDouble);
  require_close(ember::atan2(ember::tensor({1.0, -1.0, 0.0, 0.0}), ember::tensor({0.0, 0.0, -1.0, 1.0})),
                ember::tensor({M_PI / 2, -M_PI / 2, M_PI, 0.0}).to(kFloat), 1e-6, 1e-7);
  const double inf = std::numeric_limits<double>::infinity();
  Tensor special = ember::tensor({2.0, 1.0, -1.0}, kDouble);
  CHECK(std::isnan(special.asin()[0].item<double>()));
  CHECK(special.atanh()[1].item<double>() == inf);
  CHECK(special.log1p()[2].item<double>() == -inf);
  // Near 0 each keeps the digits 1 + x would lose: x - x^2 / 2 and x + x^2 / 2.
  CHECK(ember::tensor({1e-10}, kDouble).log1p().item<double>() == Approx(9.9999999995e-11).epsilon(1e-14));
  CHECK(ember::tensor({1e-10}, kDouble).expm1().item<double>() == Approx(1.00000000005e-10).epsilon(1e-14));

  Tensor x = ember::tensor({0.5}, TensorOptions(kDouble).requires_grad(true));
  Tensor y = ember::tensor({0.25}, TensorOptions(kDouble).requires_grad(true));
  CHECK(node_name(x.tan()) == "TanBackward0");
  CHECK(node_name(x.asin()) == "AsinBackward0");
  CHECK(node_name(x.arccos()) == "AcosBackward0");
  CHECK(node_name(x.atan()) == "AtanBackward0");
  CHECK(node_name(x.sinh()) == "SinhBackward0");
  CHECK(node_name(x.cosh()) == "CoshBackward0");
  CHECK(node_name(x.asinh()) == "AsinhBackward0");
  CHECK(node_name((x + 1).acosh()) == "AcoshBackward0");
  CHECK(node_name(x.atanh()) == "AtanhBackward0");
  CHECK(node_name(x.log1p()) == "Log1PBackward0");
  CHECK(node_name(x.expm1()) == "Expm1Backward0");
  CHECK(node_name(x.atan2(y)) == "Atan2Backward0");
  CHECK(node_name(x.div(y, "floor")) == "DivBackward2");
  CHECK(node_name(x.div(2, "trunc")) == "DivBackward3");
  Tensor q = (x * 7).div(y, "floor");
  q.sum().backward();
  require_equal(x.grad(), ember::zeros({1}, kDouble));
  require_equal(y.grad(), ember::zeros({1}, kDouble));
}

TEST_CASE("in-place pointwise forms write the out-of-place result and record LibTorch's graph", "[math]") {
  for (Device d : ember_test::test_devices()) {
    const TensorOptions o = TensorOptions(kDouble).device(d);
    Tensor base = ember::tensor({0.3, -0.6, 0.9}, o);
    struct Case {
      const char* name;
      std::function<const Tensor&(const Tensor&)> inplace;
      std::function<Tensor(const Tensor&)> outplace;
    };
    const std::vector<Case> cases = {
        {"exp_", [](const Tensor& t) -> const Tensor& { return t.exp_(); }, [](const Tensor& t) { return t.exp(); }},
        {"abs_", [](const Tensor& t) -> const Tensor& { return t.abs_(); }, [](const Tensor& t) { return t.abs(); }},
        {"sigmoid_", [](const Tensor& t) -> const Tensor& { return t.sigmoid_(); },
         [](const Tensor& t) { return t.sigmoid(); }},
        {"tanh_", [](const Tensor& t) -> const Tensor& { return t.tanh_(); }, [](const Tensor& t) { return t.tanh(); }},
        {"sin_", [](const Tensor& t) -> const Tensor& { return t.sin_(); }, [](const Tensor& t) { return t.sin(); }},
        {"tan_", [](const Tensor& t) -> const Tensor& { return t.tan_(); }, [](const Tensor& t) { return t.tan(); }},
        {"asin_", [](const Tensor& t) -> const Tensor& { return t.asin_(); }, [](const Tensor& t) { return t.asin(); }},
        {"atanh_", [](const Tensor& t) -> const Tensor& { return t.atanh_(); },
         [](const Tensor& t) { return t.atanh(); }},
        {"log1p_", [](const Tensor& t) -> const Tensor& { return t.log1p_(); },
         [](const Tensor& t) { return t.log1p(); }},
        {"square_", [](const Tensor& t) -> const Tensor& { return t.square_(); },
         [](const Tensor& t) { return t.square(); }},
        {"pow_", [](const Tensor& t) -> const Tensor& { return t.pow_(3); }, [](const Tensor& t) { return t.pow(3); }},
        {"clamp_max_", [](const Tensor& t) -> const Tensor& { return t.clamp_max_(0.5); },
         [](const Tensor& t) { return t.clamp_max(0.5); }},
        {"fmod_", [](const Tensor& t) -> const Tensor& { return t.fmod_(0.25); },
         [](const Tensor& t) { return t.fmod(0.25); }},
    };
    for (const Case& c : cases) {
      INFO(c.name << " on " << ember_test::device_name(d));
      // Values, and the same tensor back.
      Tensor t = base.clone();
      const int64_t version = t._version();
      const Tensor& r = c.inplace(t);
      CHECK(r.is_same(t));
      CHECK(t._version() > version);
      require_close(t.cpu(), c.outplace(base).cpu(), 1e-15, 1e-15);
      // Through autograd: the gradient of the in-place op on a non-leaf is the out-of-place one's.
      Tensor leaf = base.clone().requires_grad_();
      Tensor h = leaf * 1;
      c.inplace(h);
      h.sum().backward();
      Tensor ref_leaf = base.clone().requires_grad_();
      c.outplace(ref_leaf).sum().backward();
      require_close(leaf.grad().cpu(), ref_leaf.grad().cpu(), 1e-14, 1e-14);
    }
    // Binary in-place forms with tensors, broadcast into self.
    Tensor other = ember::tensor({0.5, -2.0, 1.5}, o);
    Tensor t = base.clone();
    t.atan2_(other);
    require_close(t.cpu(), ember::atan2(base, other).cpu(), 1e-15, 0);
    t = base.clone();
    t.div_(other, "floor");
    require_equal(t.cpu(), base.div(other, "floor").cpu());
    t = base.clone();
    t.lerp_(other, 0.25);
    require_close(t.cpu(), base.lerp(other, 0.25).cpu(), 1e-15, 0);
    t = base.clone().reshape({3, 1}).expand({3, 2}).contiguous();
    t.remainder_(ember::tensor({0.2, -0.2}, o));
    require_close(t.cpu(), base.reshape({3, 1}).remainder(ember::tensor({0.2, -0.2}, o)).cpu(), 1e-15, 1e-15);
    t = ember::tensor({std::nan(""), 1.0}, o);
    t.nan_to_num_(0.5);
    require_equal(t.cpu(), ember::tensor({0.5, 1.0}, kDouble));
    // logical_not_ keeps self's dtype; bitwise_not_ of int64.
    t = ember::tensor({0.0, 2.0}, o);
    t.logical_not_();
    require_equal(t.cpu(), ember::tensor({1.0, 0.0}, kDouble));
    Tensor bits = ember::tensor({0, 5}, TensorOptions(kLong).device(d));
    bits.bitwise_not_();
    require_equal(bits.cpu(), ember::tensor({-1, -6}, kLong));

    // A floating result cannot go into an integer tensor; a broadcast may not grow self.
    Tensor ints = ember::tensor({1, 2}, TensorOptions(kLong).device(d));
    require_throws_with([&] { ints.sin_(); },
                        {"sin_", "result type Float can't be cast to the desired output type Long"});
    require_throws_with([&] { ints.pow_(0.5); }, {"pow_", "can't be cast"});
    ints.floor_();  // integers round to themselves
    require_equal(ints.cpu(), ember::tensor({1, 2}, kLong));
    require_throws_with([&] { ember::tensor({0.5}, o).atan2_(other); },
                        {"atan2_", "doesn't match the broadcast shape"});
    // A leaf that requires grad refuses in-place ops, as LibTorch.
    Tensor w = ember::tensor({0.5}, o).requires_grad_();
    require_throws_with([&] { w.exp_(); }, {"exp_", "a leaf tensor that requires grad"});
  }
}

TEST_CASE("Tensor::to(other) takes other's dtype and device", "[math]") {
  Tensor x = ember::tensor({1.5, -2.5}, kDouble);
  Tensor ints = ember::tensor({1, 2}, kInt);
  Tensor y = x.to(ints);
  CHECK(y.dtype() == kInt);
  CHECK(y.device() == ints.device());
  require_equal(y, ember::tensor({1, -2}, kInt));
  CHECK(x.to(x).is_same(x));                // nothing to change: the tensor itself
  CHECK(!x.to(x, false, true).is_same(x));  // copy = true: a new tensor
  require_throws_with([&] { x.to(Tensor()); }, {"to", "undefined"});
  for (Device d : ember_test::test_devices()) {
    Tensor on = ember::zeros({1}, TensorOptions(kFloat).device(d));
    Tensor moved = x.to(on);
    CHECK(moved.device() == d);
    CHECK(moved.dtype() == kFloat);
  }
}

TEST_CASE("addcmul and addcdiv: values, one node each, gradients, integer rules", "[math]") {
  for (Device d : ember_test::test_devices()) {
    const TensorOptions o = TensorOptions(kDouble).device(d);
    Tensor x = ember::ones({2}, o), a = ember::tensor({2.0, 3.0}, o), b = ember::tensor({4.0, 5.0}, o);
    require_equal(x.addcmul(a, b, 0.5).cpu(), ember::tensor({5.0, 8.5}, kDouble));
    require_equal(ember::addcdiv(x, a, b, 2).cpu(), ember::tensor({2.0, 2.2}, kDouble));
    Tensor y = x.clone();
    y.addcmul_(a, b);
    require_equal(y.cpu(), ember::tensor({9.0, 16.0}, kDouble));
    y.addcdiv_(a, b, -4);
    require_equal(y.cpu(), ember::tensor({7.0, 13.6}, kDouble));
    // Integers: addcmul keeps them, addcdiv refuses them as LibTorch does.
    Tensor i = ember::tensor({1, 2}, TensorOptions(kLong).device(d));
    require_equal(ember::ones({2}, TensorOptions(kLong).device(d)).addcmul(i, i, 2).cpu(),
                  ember::tensor({3, 9}, kLong));
    require_throws_with([&] { i.addcdiv(i, i); }, {"addcdiv", "Integer division with addcdiv is no longer supported"});
    // Broadcasting, and the float64 finite-difference check of each input's gradient.
    Tensor bx = ember_test::rnd({3, 1}, kDouble), b1 = ember_test::rnd({1, 4}, kDouble),
           b2 = ember_test::rnd({3, 4}, kDouble).abs() + 0.5;
    ember_test::gradcheck([](const V& v) { return v[0].addcmul(v[1], v[2], 0.75); }, {bx, b1, b2}, d);
    ember_test::gradcheck([](const V& v) { return ember::addcdiv(v[0], v[1], v[2], -1.5); }, {bx, b1, b2}, d);
  }
  Tensor x = ember::ones({1}, TensorOptions(kDouble).requires_grad(true));
  CHECK(node_name(x.addcmul(x, x)) == "AddcmulBackward0");
  CHECK(node_name(x.addcdiv(x, x)) == "AddcdivBackward0");
}

TEST_CASE("type_as, toType, reshape_as, sgn, is_signed, is_complex as LibTorch's", "[math]") {
  Tensor x = ember::tensor({1.5, -2.5, 0.0, 4.0}, kDouble);
  Tensor f = ember::zeros({2, 2}, kFloat);
  CHECK(x.type_as(f).dtype() == kFloat);
  CHECK(x.toType(kLong).dtype() == kLong);
  CHECK(x.reshape_as(f).sizes() == ember::IntArrayRef({2, 2}));
  require_equal(x.sgn(), ember::tensor({1.0, -1.0, 0.0, 1.0}, kDouble));
  CHECK(x.is_signed());
  CHECK(ember::tensor({1}, kInt).is_signed());
  CHECK(!ember::tensor({1}, kByte).is_signed());
  CHECK(!ember::tensor({true}, kBool).is_signed());
  CHECK(!x.is_complex());
}
