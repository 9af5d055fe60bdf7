// The pointwise conveniences: rounding, reciprocals, logs of other bases, trigonometric and
// hyperbolic functions and their inverses, log1p/expm1, atan2, remainders, division with a
// rounding mode, logical and bitwise ops (one functor each in src/functors.h, so both backends
// compute one formula); addcmul/addcdiv (composed values, one node); and the ones composed of
// other ops (isnan, nan_to_num, lerp, clamp with tensor bounds, isclose), whose gradients follow
// from their parts. The in-place forms are in pointwise_inplace.cpp.
#include <cmath>
#include <limits>

#include "ember/tensor_ops.h"
#include "pointwise.h"

namespace ember {
namespace {

using detail::pointwise_binary;
using detail::pointwise_unary;

using detail::float_result;

/// floor, ceil, round, trunc: integers come back as they are, bool is refused (as LibTorch's
/// kernels), and the gradient is zero.
Tensor rounding(UnaryOp op, const char* name, const Tensor& x) {
  check_defined(name, x);
  EMBER_CHECK(x.dtype() != kBool, name, ": \"", name, "\" not implemented for 'Bool' (", describe(x), ")");
  return pointwise_unary(op, name, x, x.dtype(), false, false,
                         [](const Tensor& g, const Tensor&, const Tensor&) { return zeros_like(g); });
}

/// A floating-point op that promotes integer and bool inputs to float32, as torch.sin does.
Tensor floating(UnaryOp op, const char* name, const Tensor& x, bool save_in, bool save_out,
                const detail::UnaryGrad& dfdx) {
  check_defined(name, x);
  return pointwise_unary(op, name, x, float_result(x), save_in, save_out, dfdx);
}

/// The bitwise ops take integers and bool only, as LibTorch's.
void check_integral(const char* name, const Tensor& x) {
  check_defined(name, x);
  EMBER_CHECK(!x.is_floating_point(), name, ": \"", name, "_cpu\" not implemented for '", toString(x.dtype()), "' (",
              describe(x), "; bitwise ops take integer and bool tensors)");
}

/// An integer fmod or remainder by zero traps the process: refused up front, as LibTorch's
/// "ZeroDivisionError".
void check_integer_divisor(const char* name, const Tensor& a, const Tensor& b) {
  if (is_floating_point(result_type(a, b))) return;
  NoGradGuard no_grad;
  EMBER_CHECK(b.numel() == 0 || !(b == 0).sum().item<int64_t>(), name, ": ZeroDivisionError (an integer divisor of ",
              describe(b), " is zero)");
}

/// fmod and remainder with a tensor divisor: d/da = 1, d/db = -q with q the quotient rounded as
/// the op rounds it (toward zero for fmod, down for remainder).
Tensor remainder_op(BinaryOp op, const char* name, const Tensor& a, const Tensor& b) {
  check_integer_divisor(name, a, b);
  Tensor out = pointwise_binary(op, name, a, b);
  if (!autograd::needs_grad({a, b}) || !out.is_floating_point()) return out;
  auto sa = autograd::save(a, name), sb = autograd::save(b, name);
  const bool toward_zero = op == BinaryOp::Fmod;
  auto as = a.sizes().vec(), bs = b.sizes().vec();
  autograd::record(name, out, {a, b}, [=](const Tensor& g, const std::vector<bool>& n) -> variable_list {
    Tensor gb;
    if (n[1]) {
      Tensor q = sa.get() / sb.get();
      q = toward_zero ? ember::trunc(q) : ember::floor(q);
      gb = sum_to(-g * q, bs);
    }
    return {n[0] ? sum_to(g, as) : Tensor(), gb};
  });
  return out;
}
Tensor remainder_op(BinaryOp op, const char* name, const Tensor& a, const Scalar& s) {
  check_defined(name, a);
  EMBER_CHECK(is_floating_point(result_type(a, s)) || s.toDouble() != 0, name,
              ": ZeroDivisionError (the integer divisor is zero; input ", describe(a), ")");
  Tensor out = pointwise_binary(op, name, a, s);
  if (autograd::needs_grad({a}) && out.is_floating_point()) {
    autograd::record(name, out, {a}, [](const Tensor& g) -> variable_list { return {g}; });
  }
  return out;
}

Tensor logical(BinaryOp op, const char* name, const Tensor& a, const Tensor& b) {
  check_defined(name, a);
  check_defined(name, b);
  return pointwise_binary(op, name, a, b);
}
Tensor bitwise(BinaryOp op, const char* name, const Tensor& a, const Tensor& b) {
  check_integral(name, a);
  check_integral(name, b);
  return pointwise_binary(op, name, a, b);
}
Tensor bitwise(BinaryOp op, const char* name, const Tensor& a, const Scalar& s) {
  check_integral(name, a);
  EMBER_CHECK(!s.isFloatingPoint(), name, ": \"", name, "_cpu\" not implemented for 'Float' (the scalar ", s, " with ",
              describe(a), ")");
  return pointwise_binary(op, name, a, s);
}

}  // namespace

// --- unary -------------------------------------------------------------------------------------------
Tensor sign(const Tensor& x) {
  check_defined("sign", x);
  if (x.dtype() == kBool) return x.clone();  // sign of a bool is itself
  return pointwise_unary(UnaryOp::Sign, "sign", x, x.dtype(), false, false,
                         [](const Tensor& g, const Tensor&, const Tensor&) { return zeros_like(g); });
}
Tensor floor(const Tensor& x) { return rounding(UnaryOp::Floor, "floor", x); }
Tensor ceil(const Tensor& x) { return rounding(UnaryOp::Ceil, "ceil", x); }
Tensor round(const Tensor& x) { return rounding(UnaryOp::Round, "round", x); }
Tensor trunc(const Tensor& x) { return rounding(UnaryOp::Trunc, "trunc", x); }
Tensor frac(const Tensor& x) {
  check_defined("frac", x);
  EMBER_CHECK(x.is_floating_point(), "frac: \"frac_cpu\" not implemented for ", describe(x),
              " (it takes floating-point tensors)");
  return pointwise_unary(UnaryOp::Frac, "frac", x, x.dtype(), false, false,
                         [](const Tensor& g, const Tensor&, const Tensor&) { return g; });
}
Tensor reciprocal(const Tensor& x) {
  return floating(UnaryOp::Reciprocal, "reciprocal", x, false, true,
                  [](const Tensor& g, const Tensor&, const Tensor& out) { return -g * out * out; });
}
Tensor rsqrt(const Tensor& x) {
  return floating(UnaryOp::Rsqrt, "rsqrt", x, false, true,
                  [](const Tensor& g, const Tensor&, const Tensor& out) { return g * out * out * out * -0.5; });
}
/// x * x; LibTorch's square is pow(x, 2) and records PowBackward0.
Tensor square(const Tensor& x) {
  check_defined("square", x);
  return ember::pow(x.dtype() == kBool ? x.to(kLong) : x, 2);
}
Tensor log2(const Tensor& x) {
  return floating(UnaryOp::Log2, "log2", x, true, false,
                  [](const Tensor& g, const Tensor& in, const Tensor&) { return g / (in * M_LN2); });
}
Tensor log10(const Tensor& x) {
  return floating(UnaryOp::Log10, "log10", x, true, false,
                  [](const Tensor& g, const Tensor& in, const Tensor&) { return g / (in * M_LN10); });
}
Tensor exp2(const Tensor& x) {
  return floating(UnaryOp::Exp2, "exp2", x, false, true,
                  [](const Tensor& g, const Tensor&, const Tensor& out) { return g * out * M_LN2; });
}
Tensor sin(const Tensor& x) {
  return floating(UnaryOp::Sin, "sin", x, true, false,
                  [](const Tensor& g, const Tensor& in, const Tensor&) { return g * ember::cos(in); });
}
Tensor cos(const Tensor& x) {
  return floating(UnaryOp::Cos, "cos", x, true, false,
                  [](const Tensor& g, const Tensor& in, const Tensor&) { return -g * ember::sin(in); });
}
Tensor tan(const Tensor& x) {
  return floating(UnaryOp::Tan, "tan", x, false, true,
                  [](const Tensor& g, const Tensor&, const Tensor& out) { return g * (out * out + 1); });
}
Tensor asin(const Tensor& x) {
  return floating(UnaryOp::Asin, "asin", x, true, false,
                  [](const Tensor& g, const Tensor& in, const Tensor&) { return g * ember::rsqrt(1 - in * in); });
}
Tensor acos(const Tensor& x) {
  return floating(UnaryOp::Acos, "acos", x, true, false,
                  [](const Tensor& g, const Tensor& in, const Tensor&) { return -g * ember::rsqrt(1 - in * in); });
}
Tensor atan(const Tensor& x) {
  return floating(UnaryOp::Atan, "atan", x, true, false,
                  [](const Tensor& g, const Tensor& in, const Tensor&) { return g / (in * in + 1); });
}
Tensor sinh(const Tensor& x) {
  return floating(UnaryOp::Sinh, "sinh", x, true, false,
                  [](const Tensor& g, const Tensor& in, const Tensor&) { return g * ember::cosh(in); });
}
Tensor cosh(const Tensor& x) {
  return floating(UnaryOp::Cosh, "cosh", x, true, false,
                  [](const Tensor& g, const Tensor& in, const Tensor&) { return g * ember::sinh(in); });
}
Tensor asinh(const Tensor& x) {
  return floating(UnaryOp::Asinh, "asinh", x, true, false,
                  [](const Tensor& g, const Tensor& in, const Tensor&) { return g * ember::rsqrt(in * in + 1); });
}
Tensor acosh(const Tensor& x) {
  return floating(UnaryOp::Acosh, "acosh", x, true, false,
                  [](const Tensor& g, const Tensor& in, const Tensor&) { return g * ember::rsqrt(in * in - 1); });
}
Tensor atanh(const Tensor& x) {
  return floating(UnaryOp::Atanh, "atanh", x, true, false,
                  [](const Tensor& g, const Tensor& in, const Tensor&) { return g / (1 - in * in); });
}
Tensor log1p(const Tensor& x) {
  return floating(UnaryOp::Log1p, "log1p", x, true, false,
                  [](const Tensor& g, const Tensor& in, const Tensor&) { return g / (in + 1); });
}
Tensor expm1(const Tensor& x) {
  return floating(UnaryOp::Expm1, "expm1", x, false, true,
                  [](const Tensor& g, const Tensor&, const Tensor& out) { return g * (out + 1); });
}
Tensor bitwise_not(const Tensor& x) {
  check_integral("bitwise_not", x);
  return pointwise_unary(UnaryOp::BitwiseNot, "bitwise_not", x, x.dtype(), false, false, nullptr);
}
Tensor logical_not(const Tensor& x) {
  check_defined("logical_not", x);
  return pointwise_binary(BinaryOp::Eq, "logical_not", x, Scalar(0));
}

// --- binary ------------------------------------------------------------------------------------------
Tensor fmod(const Tensor& x, const Tensor& o) { return remainder_op(BinaryOp::Fmod, "fmod", x, o); }
Tensor fmod(const Tensor& x, const Scalar& o) { return remainder_op(BinaryOp::Fmod, "fmod", x, o); }
Tensor remainder(const Tensor& x, const Tensor& o) { return remainder_op(BinaryOp::Remainder, "remainder", x, o); }
Tensor remainder(const Tensor& x, const Scalar& o) { return remainder_op(BinaryOp::Remainder, "remainder", x, o); }
Tensor logical_and(const Tensor& a, const Tensor& b) { return logical(BinaryOp::LogicalAnd, "logical_and", a, b); }
Tensor logical_or(const Tensor& a, const Tensor& b) { return logical(BinaryOp::LogicalOr, "logical_or", a, b); }
Tensor logical_xor(const Tensor& a, const Tensor& b) { return logical(BinaryOp::LogicalXor, "logical_xor", a, b); }
Tensor bitwise_and(const Tensor& a, const Tensor& b) { return bitwise(BinaryOp::BitwiseAnd, "bitwise_and", a, b); }
Tensor bitwise_or(const Tensor& a, const Tensor& b) { return bitwise(BinaryOp::BitwiseOr, "bitwise_or", a, b); }
Tensor bitwise_xor(const Tensor& a, const Tensor& b) { return bitwise(BinaryOp::BitwiseXor, "bitwise_xor", a, b); }

/// atan2(a, b), the angle of (b, a): d/da = b / (a^2 + b^2), d/db = -a / (a^2 + b^2).
Tensor atan2(const Tensor& a, const Tensor& b) {
  check_defined("atan2", a);
  check_defined("atan2", b);
  Tensor out = pointwise_binary(BinaryOp::Atan2, "atan2", a, b);
  if (!autograd::needs_grad({a, b})) return out;
  auto sa = autograd::save(a, "atan2"), sb = autograd::save(b, "atan2");
  auto as = a.sizes().vec(), bs = b.sizes().vec();
  autograd::record("atan2", out, {a, b}, [=](const Tensor& g, const std::vector<bool>& n) -> variable_list {
    const Tensor ta = sa.get(), tb = sb.get();
    const Tensor scaled = g / (ta * ta + tb * tb);
    return {n[0] ? sum_to(scaled * tb, as) : Tensor(), n[1] ? sum_to(-scaled * ta, bs) : Tensor()};
  });
  return out;
}

namespace {
/// The rounding modes of div: nullopt (true division), "trunc" or "floor".
std::optional<BinaryOp> rounding_op(const std::optional<std::string_view>& mode) {
  if (!mode) return std::nullopt;
  if (*mode == "trunc") return BinaryOp::DivTrunc;
  if (*mode == "floor") return BinaryOp::DivFloor;
  throw Error(detail::str("div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '", *mode, "'"));
}
const char* rounding_kernel(BinaryOp op) { return op == BinaryOp::DivTrunc ? "div_trunc_cpu" : "div_floor_cpu"; }

/// A rounded quotient's gradient is zero almost everywhere (LibTorch's DivBackward2 / 3).
template <typename B>
Tensor rounded_div(BinaryOp op, const char* node, const Tensor& a, const B& b, const std::vector<Tensor>& inputs) {
  EMBER_CHECK(result_type(a, b) != kBool, "div: \"", rounding_kernel(op), "\" not implemented for 'Bool' (",
              describe(a), ")");
  Tensor out = pointwise_binary(op, "div", a, b);
  if (autograd::needs_grad(inputs) && out.is_floating_point()) {
    std::vector<std::vector<int64_t>> shapes;
    for (const Tensor& t : inputs) shapes.push_back(t.sizes().vec());
    auto opts = out.options();
    autograd::record({"div", node}, out, inputs, [=](const Tensor&) -> variable_list {
      variable_list grads;
      for (const auto& s : shapes) grads.push_back(zeros(s, opts));
      return grads;
    });
  }
  return out;
}
}  // namespace

Tensor div(const Tensor& a, const Tensor& b, std::optional<std::string_view> rounding_mode) {
  check_defined("div", a);
  check_defined("div", b);
  const std::optional<BinaryOp> op = rounding_op(rounding_mode);
  if (!op) return ember::div(a, b);
  check_integer_divisor("div", a, b);
  return rounded_div(*op, "DivBackward2", a, b, {a, b});
}
Tensor div(const Tensor& a, const Scalar& b, std::optional<std::string_view> rounding_mode) {
  check_defined("div", a);
  const std::optional<BinaryOp> op = rounding_op(rounding_mode);
  if (!op) return a.div(b);
  EMBER_CHECK(is_floating_point(result_type(a, b)) || b.toDouble() != 0,
              "div: ZeroDivisionError (the integer divisor is zero; input ", describe(a), ")");
  return rounded_div(*op, "DivBackward3", a, b, {a});
}
namespace {
/// x + value * (t1 op t2) as one node (LibTorch's AddcmulBackward0 / AddcdivBackward0): the
/// values from the composed ops without recording, the gradients written out.
Tensor addc(const char* name, bool divide, const Tensor& x, const Tensor& t1, const Tensor& t2, const Scalar& value) {
  check_defined(name, x);
  check_defined(name, t1);
  check_defined(name, t2);
  Tensor out;
  {
    NoGradGuard no_grad;
    out = x + (divide ? t1 / t2 : t1 * t2) * value;
  }
  if (!autograd::needs_grad({x, t1, t2}) || !out.is_floating_point()) return out;
  auto s1 = autograd::save(t1, name), s2 = autograd::save(t2, name);
  auto xs = x.sizes().vec(), s1s = t1.sizes().vec(), s2s = t2.sizes().vec();
  autograd::record(name, out, {x, t1, t2}, [=](const Tensor& g, const std::vector<bool>& n) -> variable_list {
    const Tensor a = s1.get(), b = s2.get();
    const Tensor gv = g * value;
    Tensor g1, g2;
    if (n[1]) g1 = sum_to(divide ? gv / b : gv * b, s1s);
    if (n[2]) g2 = sum_to(divide ? -gv * a / (b * b) : gv * a, s2s);
    return {n[0] ? sum_to(g, xs) : Tensor(), g1, g2};
  });
  return out;
}
}  // namespace

Tensor addcmul(const Tensor& x, const Tensor& t1, const Tensor& t2, const Scalar& value) {
  return addc("addcmul", false, x, t1, t2, value);
}
Tensor addcdiv(const Tensor& x, const Tensor& t1, const Tensor& t2, const Scalar& value) {
  check_defined("addcdiv", t1);
  check_defined("addcdiv", t2);
  EMBER_CHECK(is_floating_point(result_type(t1, t2)),
              "addcdiv: Integer division with addcdiv is no longer supported, and in a future release addcdiv will "
              "perform a true division of tensor1 and tensor2 (tensor1 ",
              describe(t1), ", tensor2 ", describe(t2), ")");
  return addc("addcdiv", true, x, t1, t2, value);
}
std::vector<Tensor> broadcast_tensors(TensorList tensors) {
  std::vector<int64_t> shape;
  for (const Tensor& t : tensors) {
    check_defined("broadcast_tensors", t);
    shape = broadcast_shapes(shape, t.sizes(), "broadcast_tensors");
  }
  std::vector<Tensor> out;
  for (const Tensor& t : tensors) out.push_back(t.expand(shape));
  return out;
}
Tensor floor_divide(const Tensor& a, const Tensor& b) { return ember::div(a, b, "floor"); }
Tensor floor_divide(const Tensor& a, const Scalar& b) { return ember::div(a, b, "floor"); }

// --- composed ----------------------------------------------------------------------------------------
Tensor isnan(const Tensor& x) {
  check_defined("isnan", x);
  return pointwise_binary(BinaryOp::Ne, "isnan", x, x);
}
Tensor isinf(const Tensor& x) {
  check_defined("isinf", x);
  if (!x.is_floating_point()) return zeros(x.sizes(), TensorOptions(kBool).device(x.device()));
  NoGradGuard no_grad;
  return ember::abs(x) == std::numeric_limits<double>::infinity();
}
Tensor isfinite(const Tensor& x) {
  check_defined("isfinite", x);
  if (!x.is_floating_point()) return ones(x.sizes(), TensorOptions(kBool).device(x.device()));
  NoGradGuard no_grad;
  return (x - x) == 0;  // inf - inf and NaN - NaN are NaN, never equal to 0
}
Tensor nan_to_num(const Tensor& x, std::optional<double> nan, std::optional<double> posinf,
                  std::optional<double> neginf) {
  check_defined("nan_to_num", x);
  if (!x.is_floating_point()) return x.clone();
  const bool is_float = x.dtype() == kFloat;
  const double hi = is_float ? double(std::numeric_limits<float>::max()) : std::numeric_limits<double>::max();
  Tensor bad_nan, bad_pos, bad_neg;
  {
    NoGradGuard no_grad;
    bad_nan = isnan(x);
    bad_pos = x == std::numeric_limits<double>::infinity();
    bad_neg = x == -std::numeric_limits<double>::infinity();
  }
  auto constant = [&](double v) { return full({}, v, x.options()); };
  // Nested where: the gradient passes where x was finite, zero where a constant replaced it.
  Tensor out = where(bad_nan, constant(nan.value_or(0.0)), x);
  out = where(bad_pos, constant(posinf.value_or(hi)), out);
  return where(bad_neg, constant(neginf.value_or(-hi)), out);
}
Tensor lerp(const Tensor& start, const Tensor& end, const Scalar& weight) {
  check_defined("lerp", start);
  check_defined("lerp", end);
  EMBER_CHECK(start.dtype() == end.dtype(), "lerp: expected dtype ", start.dtype(), " for `end` but got dtype ",
              end.dtype());
  check_floating("lerp", start);
  const double w = weight.toDouble();
  // PyTorch's two-sided formula: exact at both ends, and no cancellation near weight 1.
  return w < 0.5 ? start + (end - start) * w : end - (end - start) * (1.0 - w);
}
Tensor lerp(const Tensor& start, const Tensor& end, const Tensor& weight) {
  check_defined("lerp", start);
  check_defined("lerp", end);
  check_defined("lerp", weight);
  EMBER_CHECK(start.dtype() == end.dtype(), "lerp: expected dtype ", start.dtype(), " for `end` but got dtype ",
              end.dtype());
  EMBER_CHECK(start.dtype() == weight.dtype(), "lerp: expected dtype ", start.dtype(), " for `weight` but got dtype ",
              weight.dtype());
  check_floating("lerp", start);
  Tensor small;
  {
    NoGradGuard no_grad;
    small = weight.abs() < 0.5;
  }
  Tensor diff = end - start;
  return where(small, start + weight * diff, end - diff * (1 - weight));
}
Tensor clamp(const Tensor& x, const std::optional<Tensor>& min, const std::optional<Tensor>& max) {
  check_defined("clamp", x);
  const bool has_min = min && min->defined(), has_max = max && max->defined();
  EMBER_CHECK(has_min || has_max, "clamp: At least one of 'min' or 'max' must not be None");
  Tensor out = x;
  // max(x, min) then min(., max): the gradient goes to whichever value was kept; NaN in x stays.
  if (has_min) out = where(out < *min, *min, out);
  if (has_max) out = where(out > *max, *max, out);
  return out.is_same(x) ? x.clone() : out;
}
Tensor isclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
  check_defined("isclose", a);
  check_defined("isclose", b);
  EMBER_CHECK(a.dtype() == b.dtype(), "isclose: ", a.dtype(), " did not match ", b.dtype());
  EMBER_CHECK(rtol >= 0, "isclose: rtol must be greater than or equal to zero, but got ", rtol);
  EMBER_CHECK(atol >= 0, "isclose: atol must be greater than or equal to zero, but got ", atol);
  NoGradGuard no_grad;
  Tensor close = a == b;
  if (equal_nan && a.is_floating_point()) close = logical_or(close, logical_and(isnan(a), isnan(b)));
  if (!a.is_floating_point()) return close;
  Tensor ad = a.to(kDouble), bd = b.to(kDouble);
  Tensor within = (ad - bd).abs() <= bd.abs() * rtol + atol;
  // Infinities are close only to themselves (inf - inf is NaN: never within).
  return logical_or(close, logical_and(within, isfinite(ad)));
}

// --- methods -----------------------------------------------------------------------------------------
Tensor Tensor::sign() const { return ember::sign(*this); }
Tensor Tensor::floor() const { return ember::floor(*this); }
Tensor Tensor::ceil() const { return ember::ceil(*this); }
Tensor Tensor::round() const { return ember::round(*this); }
Tensor Tensor::trunc() const { return ember::trunc(*this); }
Tensor Tensor::frac() const { return ember::frac(*this); }
Tensor Tensor::reciprocal() const { return ember::reciprocal(*this); }
Tensor Tensor::rsqrt() const { return ember::rsqrt(*this); }
Tensor Tensor::square() const { return ember::square(*this); }
Tensor Tensor::log2() const { return ember::log2(*this); }
Tensor Tensor::log10() const { return ember::log10(*this); }
Tensor Tensor::exp2() const { return ember::exp2(*this); }
Tensor Tensor::sin() const { return ember::sin(*this); }
Tensor Tensor::cos() const { return ember::cos(*this); }
Tensor Tensor::tan() const { return ember::tan(*this); }
Tensor Tensor::asin() const { return ember::asin(*this); }
Tensor Tensor::acos() const { return ember::acos(*this); }
Tensor Tensor::atan() const { return ember::atan(*this); }
Tensor Tensor::sinh() const { return ember::sinh(*this); }
Tensor Tensor::cosh() const { return ember::cosh(*this); }
Tensor Tensor::asinh() const { return ember::asinh(*this); }
Tensor Tensor::acosh() const { return ember::acosh(*this); }
Tensor Tensor::atanh() const { return ember::atanh(*this); }
Tensor Tensor::log1p() const { return ember::log1p(*this); }
Tensor Tensor::expm1() const { return ember::expm1(*this); }
Tensor Tensor::atan2(const Tensor& o) const { return ember::atan2(*this, o); }
Tensor Tensor::div(const Tensor& o, std::optional<std::string_view> mode) const { return ember::div(*this, o, mode); }
Tensor Tensor::div(const Scalar& o, std::optional<std::string_view> mode) const { return ember::div(*this, o, mode); }
Tensor Tensor::floor_divide(const Tensor& o) const { return ember::floor_divide(*this, o); }
bool Tensor::is_nonzero() const {
  check_defined("is_nonzero", *this);
  EMBER_CHECK(numel() == 1, "is_nonzero: Boolean value of Tensor with ",
              numel() == 0 ? "no values" : "more than one value", " is ambiguous (", describe(*this), ")");
  return item().toBool();
}
Tensor Tensor::addcmul(const Tensor& t1, const Tensor& t2, const Scalar& v) const {
  return ember::addcmul(*this, t1, t2, v);
}
Tensor Tensor::addcdiv(const Tensor& t1, const Tensor& t2, const Scalar& v) const {
  return ember::addcdiv(*this, t1, t2, v);
}
Tensor Tensor::floor_divide(const Scalar& o) const { return ember::floor_divide(*this, o); }
Tensor Tensor::fmod(const Tensor& o) const { return ember::fmod(*this, o); }
Tensor Tensor::fmod(const Scalar& o) const { return ember::fmod(*this, o); }
Tensor Tensor::remainder(const Tensor& o) const { return ember::remainder(*this, o); }
Tensor Tensor::remainder(const Scalar& o) const { return ember::remainder(*this, o); }
Tensor Tensor::isnan() const { return ember::isnan(*this); }
Tensor Tensor::isinf() const { return ember::isinf(*this); }
Tensor Tensor::isfinite() const { return ember::isfinite(*this); }
Tensor Tensor::nan_to_num(std::optional<double> nan, std::optional<double> posinf, std::optional<double> neginf) const {
  return ember::nan_to_num(*this, nan, posinf, neginf);
}
Tensor Tensor::lerp(const Tensor& end, const Scalar& w) const { return ember::lerp(*this, end, w); }
Tensor Tensor::lerp(const Tensor& end, const Tensor& w) const { return ember::lerp(*this, end, w); }
Tensor Tensor::clamp(const std::optional<Tensor>& min, const std::optional<Tensor>& max) const {
  return ember::clamp(*this, min, max);
}
Tensor Tensor::logical_and(const Tensor& o) const { return ember::logical_and(*this, o); }
Tensor Tensor::logical_or(const Tensor& o) const { return ember::logical_or(*this, o); }
Tensor Tensor::logical_xor(const Tensor& o) const { return ember::logical_xor(*this, o); }
Tensor Tensor::logical_not() const { return ember::logical_not(*this); }
Tensor Tensor::bitwise_and(const Tensor& o) const { return ember::bitwise_and(*this, o); }
Tensor Tensor::bitwise_and(const Scalar& o) const { return bitwise(BinaryOp::BitwiseAnd, "bitwise_and", *this, o); }
Tensor Tensor::bitwise_or(const Tensor& o) const { return ember::bitwise_or(*this, o); }
Tensor Tensor::bitwise_or(const Scalar& o) const { return bitwise(BinaryOp::BitwiseOr, "bitwise_or", *this, o); }
Tensor Tensor::bitwise_xor(const Tensor& o) const { return ember::bitwise_xor(*this, o); }
Tensor Tensor::bitwise_xor(const Scalar& o) const { return bitwise(BinaryOp::BitwiseXor, "bitwise_xor", *this, o); }
Tensor Tensor::bitwise_not() const { return ember::bitwise_not(*this); }
Tensor Tensor::isclose(const Tensor& o, double rtol, double atol, bool equal_nan) const {
  return ember::isclose(*this, o, rtol, atol, equal_nan);
}

}  // namespace ember
