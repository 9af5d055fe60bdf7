// Pointwise ops: arithmetic with broadcasting and type promotion, unary math, comparisons,
// where, and the in-place forms. Each front half validates, allocates, calls one backend entry
// and records its backward here, beside the forward.
#include <cmath>
#include <limits>

#include "common.h"
#include "ember/nn/functional/activation.h"
#include "pointwise.h"

namespace ember {
namespace {

using autograd::record;
using autograd::save;

Tensor cast(const Tensor& t, ScalarType dt) {
  if (t.dtype() == dt) return t;
  NoGradGuard g;
  return t.to(dt);
}

bool is_arith(BinaryOp op) { return !returns_bool(op) && op != BinaryOp::ReluGrad; }

/// The dtype a binary op's result has, given the promoted dtype: bool for comparisons and logical ops, floating
/// point for true division of integers (as torch.div), else the promoted dtype.
ScalarType result_dtype(BinaryOp op, ScalarType promoted, const char* name) {
  if (returns_bool(op)) return kBool;
  if ((op == BinaryOp::Div || op == BinaryOp::Atan2) && !is_floating_point(promoted)) return kFloat;
  EMBER_CHECK(!(op == BinaryOp::Sub && promoted == kBool), name,
              ": subtraction of bool tensors is not supported; use "
              "logical ops or cast to an integer dtype first");
  return promoted;
}

/// The dtype the kernel computes in: the result's for arithmetic (the operands' for
/// comparisons), with bool arithmetic (LibTorch adds and multiplies bools as or / and) and the
/// narrow integers done in int64 and stored back (kernel_dtype).
ScalarType compute_dtype(BinaryOp op, ScalarType promoted, ScalarType result) {
  const ScalarType t = returns_bool(op) ? promoted : result;
  if (t == kBool && is_arith(op)) return kLong;
  return kernel_dtype(t);
}

/// The kernel's output in the result's dtype.
Tensor stored_as(const Tensor& out, ScalarType result) { return out.dtype() == result ? out : cast(out, result); }

Tensor binary_kernel(BinaryOp op, const char* name, const Tensor& a, const Tensor& b, double alpha) {
  check_defined(name, a);
  check_defined(name, b);
  check_same_device(name, {a, b});
  const ScalarType promoted = result_type(a, b), rt = result_dtype(op, promoted, name);
  const ScalarType ct = compute_dtype(op, promoted, rt);
  std::vector<int64_t> shape = broadcast_shapes(a.sizes(), b.sizes(), name);
  Tensor out = make_empty(shape, returns_bool(op) ? kBool : ct, a.device(), name);
  PointwiseParams p;
  p.alpha = alpha;
  backend(a).binary(op, out, broadcast_view(cast(a, ct), shape), broadcast_view(cast(b, ct), shape), p);
  return stored_as(out, rt);
}

Tensor scalar_kernel(BinaryOp op, const char* name, const Tensor& a, const Scalar& s, bool reversed, double alpha = 1) {
  check_defined(name, a);
  const ScalarType promoted = result_type(a, s), rt = result_dtype(op, promoted, name);
  const ScalarType ct = compute_dtype(op, promoted, rt);
  Tensor out = make_empty(a.sizes(), returns_bool(op) ? kBool : ct, a.device());
  PointwiseParams p;
  p.alpha = alpha;
  backend(a).binary_scalar(op, out, cast(a, ct), s.toDouble(), reversed, p);
  return stored_as(out, rt);
}

Tensor unary_kernel(UnaryOp op, const Tensor& x, ScalarType out_dtype, const PointwiseParams& p = {}) {
  const ScalarType ct = kernel_dtype(out_dtype);
  Tensor out = make_empty(x.sizes(), ct, x.device());
  backend(x).unary(op, out, cast(x, ct), p);
  return stored_as(out, out_dtype);
}

Tensor arith(BinaryOp op, const char* name, const Tensor& a, const Tensor& b, double alpha = 1) {
  Tensor out = binary_kernel(op, name, a, b, alpha);
  if (!autograd::needs_grad({a, b}) || !out.is_floating_point()) return out;
  auto as = a.sizes().vec(), bs = b.sizes().vec();
  ScalarType at = a.dtype(), bt = b.dtype();
  auto reduce = [](const Tensor& g, const std::vector<int64_t>& sizes, ScalarType dt) {
    Tensor r = sum_to(g, sizes);
    return r.dtype() == dt ? r : r.to(dt);
  };
  switch (op) {
    case BinaryOp::Add:
    case BinaryOp::Sub: {
      double sb = op == BinaryOp::Add ? alpha : -alpha;
      record(name, out, {a, b}, [=](const Tensor& g, const std::vector<bool>& n) -> variable_list {
        return {n[0] ? reduce(g, as, at) : Tensor(), n[1] ? reduce(sb == 1 ? g : g * sb, bs, bt) : Tensor()};
      });
      break;
    }
    case BinaryOp::Mul: {
      auto sa = b.requires_grad() ? save(a, name) : autograd::SavedTensor();
      auto sb = a.requires_grad() ? save(b, name) : autograd::SavedTensor();
      record(name, out, {a, b}, [=](const Tensor& g, const std::vector<bool>& n) -> variable_list {
        return {n[0] ? reduce(g * sb.get(), as, at) : Tensor(), n[1] ? reduce(g * sa.get(), bs, bt) : Tensor()};
      });
      break;
    }
    case BinaryOp::Div: {
      auto sa = b.requires_grad() ? save(a, name) : autograd::SavedTensor();
      auto sb = save(b, name);
      record(name, out, {a, b}, [=](const Tensor& g, const std::vector<bool>& n) -> variable_list {
        const Tensor& bv = sb.get();
        return {n[0] ? reduce(g / bv, as, at) : Tensor(), n[1] ? reduce(-g * sa.get() / (bv * bv), bs, bt) : Tensor()};
      });
      break;
    }
    case BinaryOp::Pow: {
      auto sa = save(a, name), sb = save(b, name), so = save(out, name);
      record(name, out, {a, b}, [=](const Tensor& g, const std::vector<bool>& n) -> variable_list {
        const Tensor &av = sa.get(), &bv = sb.get();
        Tensor ga, gb;
        if (n[0]) ga = reduce(g * bv * ember::pow(av, bv - 1), as, at);
        if (n[1]) {
          // d/db a^b = a^b log a, taken as 0 where a == 0 and b >= 0 (PyTorch's convention).
          Tensor lg = where(av == 0, zeros_like(av), ember::log(av));
          gb = reduce(g * so.get() * lg, bs, bt);
        }
        return {ga, gb};
      });
      break;
    }
    default: break;
  }
  return out;
}

Tensor arith_scalar(BinaryOp op, const char* name, const Tensor& a, const Scalar& s, bool reversed, double alpha = 1) {
  Tensor out = scalar_kernel(op, name, a, s, reversed, alpha);
  if (!autograd::needs_grad({a}) || !out.is_floating_point()) return out;
  double v = s.toDouble();
  ScalarType at = a.dtype();
  auto back = [at](Tensor g) { return g.dtype() == at ? g : g.to(at); };
  switch (op) {
    case BinaryOp::Add: record(name, out, {a}, [=](const Tensor& g) -> variable_list { return {back(g)}; }); break;
    case BinaryOp::Sub: {
      double sg = reversed ? -alpha : 1.0;  // a - s  or  s - alpha * a
      record(name, out, {a}, [=](const Tensor& g) -> variable_list { return {back(sg == 1 ? g : g * sg)}; });
      break;
    }
    case BinaryOp::Mul: record(name, out, {a}, [=](const Tensor& g) -> variable_list { return {back(g * v)}; }); break;
    case BinaryOp::Div:
      if (!reversed) {
        record(name, out, {a}, [=](const Tensor& g) -> variable_list { return {back(g / v)}; });
      } else {  // s / a: LibTorch divides by a tensor, so this is its Tensor overload's node
        auto sa = save(a, name), so = save(out, name);
        record({name, "DivBackward0"}, out, {a},
               [=](const Tensor& g) -> variable_list { return {back(-g * so.get() / sa.get())}; });
      }
      break;
    default: throw Error(detail::str(name, ": no gradient for this scalar form"));
  }
  return out;
}

using detail::float_result;

Tensor compare(BinaryOp op, const char* name, const Tensor& a, const Tensor& b) {
  return binary_kernel(op, name, a, b, 1);
}
Tensor compare(BinaryOp op, const char* name, const Tensor& a, const Scalar& s) {
  return scalar_kernel(op, name, a, s, false);
}

/// Writes `result` into self (an in-place op): version bump, and history when it has one.
const Tensor& assign(const Tensor& self, const char* name, const Tensor& result) {
  EMBER_CHECK(is_floating_point(self.dtype()) || !result.is_floating_point(), name, ": result type ",
              toString(result.dtype()), " can't be cast to the desired output type ", toString(self.dtype()));
  EMBER_CHECK(result.sizes().equals(self.sizes()), name, ": output with shape ", self.sizes(),
              " doesn't match the broadcast shape ", result.sizes());
  autograd::rebase_history(self, result);
  return self;
}

/// An in-place op through the graph: computes `op(source)` out of place and writes it into self.
/// The source is a clone when `clone` (autograd records an op whose backward saves its input),
/// so tensors the backward saved are never the ones overwritten (PyTorch saves an
/// "original_self" for the same reason). Ops whose backward reads only their output or nothing
/// (relu_, add_) pass false: self is read once, before it is overwritten, and the clone would
/// be one more pass over it.
template <typename Op>
const Tensor& inplace_via(const Tensor& self, const char* name, bool clone, Op op) {
  return assign(self, name, op(clone ? self.clone() : self));
}

/// Whether a kernel of op on dtype t computes in t itself and gives t (so it may write into a t).
bool computes_in(BinaryOp op, ScalarType t, const char* name) {
  const ScalarType rt = result_dtype(op, t, name);
  return rt == t && compute_dtype(op, t, rt) == t;
}

/// Fast path for in-place arithmetic under no-grad: the kernel writes straight into self.
bool direct_inplace_ok(const Tensor& self, const Tensor& other) {
  return !autograd::needs_grad({self, other}) && self.is_contiguous() && self.device() == other.device() &&
         result_type(self, other) == self.dtype() &&
         broadcast_shapes(self.sizes(), other.sizes(), "in-place").size() == size_t(self.dim()) &&
         self.sizes().equals(broadcast_shapes(self.sizes(), other.sizes(), "in-place"));
}

const Tensor& inplace_binary(BinaryOp op, const char* name, const Tensor& self, const Tensor& other, double alpha) {
  autograd::check_inplace(self, name, {other});
  check_no_overlap(name, self, {other});
  if (direct_inplace_ok(self, other) && computes_in(op, self.dtype(), name)) {
    PointwiseParams p;
    p.alpha = alpha;
    backend(self).binary(op, self, self, broadcast_view(cast(other, self.dtype()), self.sizes()), p);
    bump_version(self);
    return self;
  }
  const bool rec = autograd::needs_grad({self, other});
  const bool sum = op == BinaryOp::Add || op == BinaryOp::Sub;  // a backward that saves nothing
  if (rec && sum && !self.is_view() && self.is_contiguous() && self.device() == other.device() &&
      result_type(self, other) == self.dtype() && computes_in(op, self.dtype(), name) &&
      self.sizes().equals(broadcast_shapes(self.sizes(), other.sizes(), name))) {
    // Recorded add_ / sub_ of a tensor that is no view (a residual sum): the kernel writes
    // straight into self and the node takes self's place in the graph, as rebase_history would
    // after an out-of-place sum and a copy back (two more passes over self).
    PointwiseParams p;
    p.alpha = alpha;
    backend(self).binary(op, self, self, broadcast_view(cast(other, self.dtype()), self.sizes()), p);
    bump_version(self);
    const std::vector<int64_t> ss = self.sizes().vec(), os = other.sizes().vec();
    const ScalarType st = self.dtype(), ot = other.dtype();
    const double sb = op == BinaryOp::Add ? alpha : -alpha;
    autograd::record(name, self, {self, other}, [=](const Tensor& g, const std::vector<bool>& n) -> variable_list {
      Tensor gb;
      if (n[1]) {
        gb = sum_to(sb == 1 ? g : g * sb, os);
        if (gb.dtype() != ot) gb = gb.to(ot);
      }
      return {n[0] ? (g.dtype() == st ? g : g.to(st)) : Tensor(), gb};
    });
    return self;
  }
  return inplace_via(self, name, rec && !sum, [&](const Tensor& src) { return arith(op, name, src, other, alpha); });
}

const Tensor& inplace_scalar(BinaryOp op, const char* name, const Tensor& self, const Scalar& s, double alpha) {
  autograd::check_inplace(self, name);
  check_no_overlap(name, self);
  if (!autograd::needs_grad({self}) && self.is_contiguous() && result_type(self, s) == self.dtype() &&
      computes_in(op, self.dtype(), name)) {
    PointwiseParams p;
    p.alpha = alpha;
    backend(self).binary_scalar(op, self, self, s.toDouble(), false, p);
    bump_version(self);
    return self;
  }
  const bool sum = op == BinaryOp::Add || op == BinaryOp::Sub;  // a backward that saves nothing
  return inplace_via(self, name, autograd::needs_grad({self}) && !sum,
                     [&](const Tensor& src) { return arith_scalar(op, name, src, s, false, alpha); });
}

}  // namespace

// --- arithmetic ------------------------------------------------------------------------------------
namespace {
/// other * alpha, keeping integer scalars integral (int64 += 1 stays integer arithmetic).
Scalar scaled(const Scalar& o, const Scalar& alpha) {
  if (!o.isFloatingPoint() && !alpha.isFloatingPoint()) return Scalar(o.toLong() * alpha.toLong());
  return Scalar(o.toDouble() * alpha.toDouble());
}
}  // namespace
Tensor add(const Tensor& a, const Tensor& b, const Scalar& alpha) {
  return arith(BinaryOp::Add, "add", a, b, alpha.toDouble());
}
Tensor sub(const Tensor& a, const Tensor& b, const Scalar& alpha) {
  return arith(BinaryOp::Sub, "sub", a, b, alpha.toDouble());
}
Tensor mul(const Tensor& a, const Tensor& b) { return arith(BinaryOp::Mul, "mul", a, b); }
Tensor div(const Tensor& a, const Tensor& b) { return arith(BinaryOp::Div, "div", a, b); }
Tensor pow(const Tensor& x, const Tensor& e) { return arith(BinaryOp::Pow, "pow", x, e); }

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator+(const Tensor& a, const Scalar& b) { return arith_scalar(BinaryOp::Add, "add", a, b, false); }
Tensor operator+(const Scalar& a, const Tensor& b) { return arith_scalar(BinaryOp::Add, "add", b, a, false); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator-(const Tensor& a, const Scalar& b) { return arith_scalar(BinaryOp::Sub, "sub", a, b, false); }
Tensor operator-(const Scalar& a, const Tensor& b) { return arith_scalar(BinaryOp::Sub, "rsub", b, a, true); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator*(const Tensor& a, const Scalar& b) { return arith_scalar(BinaryOp::Mul, "mul", a, b, false); }
Tensor operator*(const Scalar& a, const Tensor& b) { return arith_scalar(BinaryOp::Mul, "mul", b, a, false); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator/(const Tensor& a, const Scalar& b) { return arith_scalar(BinaryOp::Div, "div", a, b, false); }
Tensor operator/(const Scalar& a, const Tensor& b) { return arith_scalar(BinaryOp::Div, "div", b, a, true); }

Tensor Tensor::add(const Tensor& o, const Scalar& alpha) const { return ember::add(*this, o, alpha); }
Tensor Tensor::add(const Scalar& o, const Scalar& alpha) const {
  return arith_scalar(BinaryOp::Add, "add", *this, scaled(o, alpha), false);
}
Tensor Tensor::sub(const Tensor& o, const Scalar& alpha) const { return ember::sub(*this, o, alpha); }
Tensor Tensor::sub(const Scalar& o, const Scalar& alpha) const {
  return arith_scalar(BinaryOp::Sub, "sub", *this, scaled(o, alpha), false);
}
Tensor Tensor::mul(const Tensor& o) const { return ember::mul(*this, o); }
Tensor Tensor::mul(const Scalar& o) const { return *this * o; }
Tensor Tensor::div(const Tensor& o) const { return ember::div(*this, o); }
Tensor Tensor::div(const Scalar& o) const { return *this / o; }
Tensor Tensor::pow(const Tensor& e) const { return ember::pow(*this, e); }

// --- unary ----------------------------------------------------------------------------------------
namespace {
/// What a unary op's backward reads: its input, its output, or both. Saving only that keeps
/// in-place forms (relu_, whose input is overwritten) legal, as in PyTorch.
enum Uses { kIn = 1, kOut = 2 };

/// A unary op whose gradient is dfdx(g, x, out).
template <typename Grad>
Tensor unary(UnaryOp op, const char* name, const Tensor& x, ScalarType out_dtype, int uses, Grad dfdx,
             const PointwiseParams& p = {}) {
  check_defined(name, x);
  Tensor out = unary_kernel(op, x, out_dtype, p);
  if (autograd::needs_grad({x}) && out.is_floating_point()) {
    auto sx = uses & kIn ? save(x, name) : autograd::SavedTensor();
    auto so = uses & kOut ? save(out, name) : autograd::SavedTensor();
    record(name, out, {x}, [sx, so, dfdx](const Tensor& g) -> variable_list { return {dfdx(g, sx.get(), so.get())}; });
  }
  return out;
}
ScalarType numeric(const Tensor& x, const char* name) {
  EMBER_CHECK(x.dtype() != kBool, name, ": not defined for bool tensors (", describe(x), ")");
  return x.dtype();
}
}  // namespace

Tensor neg(const Tensor& x) {
  return unary(UnaryOp::Neg, "neg", x, numeric(x, "neg"), 0,
               [](const Tensor& g, const Tensor&, const Tensor&) { return -g; });
}
Tensor exp(const Tensor& x) {
  return unary(UnaryOp::Exp, "exp", x, float_result(x), kOut,
               [](const Tensor& g, const Tensor&, const Tensor& out) { return g * out; });
}
Tensor log(const Tensor& x) {
  return unary(UnaryOp::Log, "log", x, float_result(x), kIn,
               [](const Tensor& g, const Tensor& in, const Tensor&) { return g / in; });
}
Tensor sqrt(const Tensor& x) {
  return unary(UnaryOp::Sqrt, "sqrt", x, float_result(x), kOut,
               [](const Tensor& g, const Tensor&, const Tensor& out) { return g / (out * 2); });
}
Tensor abs(const Tensor& x) {
  return unary(UnaryOp::Abs, "abs", x, numeric(x, "abs"), kIn, [](const Tensor& g, const Tensor& in, const Tensor&) {
    return g * unary_kernel(UnaryOp::Sign, in, in.dtype());
  });
}
namespace {
/// relu's gradient from its output (relu and relu_).
Tensor relu_backward(const Tensor& g, const Tensor& out) {
  // A create_graph backward needs the gradient's dependence on g recorded: a where() over the
  // output's sign, instead of the fused kernel autograd cannot see.
  if (GradMode::is_enabled()) return where(out > 0, g, zeros({}, g.options()));
  Tensor gi = make_empty(g.sizes(), g.dtype(), g.device());
  backend(g).binary(BinaryOp::ReluGrad, gi, g, cast(out, g.dtype()), {});
  return gi;
}
}  // namespace

Tensor relu(const Tensor& x) {
  return unary(UnaryOp::Relu, "relu", x, numeric(x, "relu"), kOut,
               [](const Tensor& g, const Tensor&, const Tensor& out) { return relu_backward(g, out); });
}
Tensor sigmoid(const Tensor& x) {
  return unary(UnaryOp::Sigmoid, "sigmoid", x, float_result(x), kOut,
               [](const Tensor& g, const Tensor&, const Tensor& out) { return g * out * (1 - out); });
}
Tensor tanh(const Tensor& x) {
  return unary(UnaryOp::Tanh, "tanh", x, float_result(x), kOut,
               [](const Tensor& g, const Tensor&, const Tensor& out) { return g * (1 - out * out); });
}
Tensor erf(const Tensor& x) {
  return unary(UnaryOp::Erf, "erf", x, float_result(x), kIn, [](const Tensor& g, const Tensor& in, const Tensor&) {
    return g * (2.0 / std::sqrt(M_PI)) * ember::exp(-(in * in));
  });
}
Tensor pow(const Tensor& x, const Scalar& e) {
  PointwiseParams p;
  p.a = e.toDouble();
  ScalarType dt = e.isFloatingPoint() ? float_result(x) : numeric(x, "pow");
  EMBER_CHECK(is_floating_point(dt) || e.toLong() >= 0, "pow: Integers to negative integer powers are not allowed (",
              describe(x), " to the power ", e, ")");
  double ev = p.a;
  return unary(
      UnaryOp::PowScalar, "pow", x, dt, kIn,
      [ev](const Tensor& g, const Tensor& in, const Tensor&) {
        if (ev == 0) return zeros_like(g);
        return g * ev * ember::pow(in, ev - 1);
      },
      p);
}
namespace {
/// clamp, clamp_min and clamp_max: `name` tells LibTorch's node (ClampBackward1, ClampMinBackward0, ...).
Tensor clamp_as(const char* name, const Tensor& x, std::optional<Scalar> lo, std::optional<Scalar> hi) {
  EMBER_CHECK(lo || hi, "clamp: at least one of 'min' or 'max' must not be None");
  PointwiseParams p;
  p.a = lo ? lo->toDouble() : -std::numeric_limits<double>::infinity();
  p.b = hi ? hi->toDouble() : std::numeric_limits<double>::infinity();
  bool float_bound = (lo && lo->isFloatingPoint()) || (hi && hi->isFloatingPoint());
  ScalarType dt = float_bound ? float_result(x) : numeric(x, "clamp");
  double a = p.a, b = p.b;
  return unary(
      UnaryOp::Clamp, name, x, dt, kIn,
      [a, b](const Tensor& g, const Tensor& in, const Tensor&) {
        // The gradient passes where min <= x <= max, as in PyTorch.
        Tensor zero = zeros_like(g);
        return where(in >= a, where(in <= b, g, zero), zero);
      },
      p);
}
}  // namespace
Tensor clamp(const Tensor& x, std::optional<Scalar> lo, std::optional<Scalar> hi) {
  return clamp_as("clamp", x, lo, hi);
}
Tensor clamp_min(const Tensor& x, const Scalar& lo) { return clamp_as("clamp_min", x, lo, std::nullopt); }
Tensor clamp_max(const Tensor& x, const Scalar& hi) { return clamp_as("clamp_max", x, std::nullopt, hi); }

namespace detail {
Tensor pointwise_unary(UnaryOp op, const char* name, const Tensor& x, ScalarType out_dtype, bool save_in, bool save_out,
                       const UnaryGrad& dfdx, const PointwiseParams& p) {
  return unary(op, name, x, out_dtype, (save_in ? kIn : 0) | (save_out ? kOut : 0), dfdx, p);
}
const Tensor& pointwise_inplace(const Tensor& self, const char* name, bool recording,
                                const std::function<Tensor(const Tensor&)>& op) {
  return inplace_via(self, name, recording, op);
}
Tensor cast_for_kernel(const Tensor& t, ScalarType dt) { return cast(t, dt); }
Tensor pointwise_binary(BinaryOp op, const char* name, const Tensor& a, const Tensor& b) {
  return binary_kernel(op, name, a, b, 1);
}
Tensor pointwise_binary(BinaryOp op, const char* name, const Tensor& a, const Scalar& s) {
  return scalar_kernel(op, name, a, s, false);
}
}  // namespace detail

Tensor Tensor::neg() const { return ember::neg(*this); }
Tensor Tensor::exp() const { return ember::exp(*this); }
Tensor Tensor::log() const { return ember::log(*this); }
Tensor Tensor::sqrt() const { return ember::sqrt(*this); }
Tensor Tensor::abs() const { return ember::abs(*this); }
Tensor Tensor::relu() const { return ember::relu(*this); }
Tensor Tensor::sigmoid() const { return ember::sigmoid(*this); }
Tensor Tensor::tanh() const { return ember::tanh(*this); }
Tensor Tensor::erf() const { return ember::erf(*this); }
Tensor Tensor::pow(const Scalar& e) const { return ember::pow(*this, e); }
Tensor Tensor::clamp(std::optional<Scalar> lo, std::optional<Scalar> hi) const { return ember::clamp(*this, lo, hi); }
Tensor Tensor::clamp_min(const Scalar& lo) const { return ember::clamp_min(*this, lo); }
Tensor Tensor::clamp_max(const Scalar& hi) const { return ember::clamp_max(*this, hi); }

// --- comparisons and where ----------------------------------------------------------------------------
#define EMBER_COMPARISON(fname, OP, sym)                                                                               \
  Tensor fname(const Tensor& a, const Tensor& b) { return compare(BinaryOp::OP, #fname, a, b); }                       \
  Tensor Tensor::fname(const Tensor& o) const { return compare(BinaryOp::OP, #fname, *this, o); }                      \
  Tensor Tensor::fname(const Scalar& o) const { return compare(BinaryOp::OP, #fname, *this, o); }                      \
  const Tensor& Tensor::fname##_(const Tensor& o) const { return copy_(compare(BinaryOp::OP, #fname "_", *this, o)); } \
  const Tensor& Tensor::fname##_(const Scalar& o) const { return copy_(compare(BinaryOp::OP, #fname "_", *this, o)); } \
  Tensor operator sym(const Tensor& a, const Tensor& b) { return compare(BinaryOp::OP, #fname, a, b); }                \
  Tensor operator sym(const Tensor& a, const Scalar& b) { return compare(BinaryOp::OP, #fname, a, b); }
EMBER_COMPARISON(eq, Eq, ==)
EMBER_COMPARISON(ne, Ne, !=)
EMBER_COMPARISON(lt, Lt, <)
EMBER_COMPARISON(le, Le, <=)
EMBER_COMPARISON(gt, Gt, >)
EMBER_COMPARISON(ge, Ge, >=)
#undef EMBER_COMPARISON

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  check_defined("where", cond);
  check_defined("where", a);
  check_defined("where", b);
  check_same_device("where", {cond, a, b});
  EMBER_CHECK(cond.dtype() == kBool, "where: expected condition to be a bool tensor, got ", describe(cond));
  ScalarType dt = result_type(a, b);
  std::vector<int64_t> shape = broadcast_shapes(broadcast_shapes(cond.sizes(), a.sizes(), "where"), b.sizes(), "where");
  Tensor out = make_empty(shape, dt, a.device());
  backend(a).where(out, broadcast_view(cond, shape), broadcast_view(cast(a, dt), shape),
                   broadcast_view(cast(b, dt), shape));
  if (autograd::needs_grad({a, b}) && is_floating_point(dt)) {
    auto sc = save(cond, "where");
    auto as = a.sizes().vec(), bs = b.sizes().vec();
    ScalarType at = a.dtype(), bt = b.dtype();
    record("where", out, {a, b}, [=](const Tensor& g, const std::vector<bool>& n) -> variable_list {
      Tensor zero = zeros_like(g);
      Tensor ga = n[0] ? sum_to(where(sc.get(), g, zero), as).to(at) : Tensor();
      Tensor gb = n[1] ? sum_to(where(sc.get(), zero, g), bs).to(bt) : Tensor();
      return {ga, gb};
    });
  }
  return out;
}

bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
  NoGradGuard g;
  check_same_device("allclose", {a, b});
  Tensor af = a.to(kDouble), bf = b.to(kDouble);
  Tensor close = (af - bf).abs() <= (bf.abs() * rtol + atol);
  if (equal_nan) close = where((af != af) * (bf != bf) != 0, ones_like(close), close);
  return close.numel() == 0 || close.sum().item<int64_t>() == close.numel();
}
bool equal(const Tensor& a, const Tensor& b) {
  NoGradGuard g;
  if (!a.sizes().equals(b.sizes())) return false;
  return a.numel() == 0 || (a == b).sum().item<int64_t>() == a.numel();
}
bool Tensor::allclose(const Tensor& o, double rtol, double atol, bool equal_nan) const {
  return ember::allclose(*this, o, rtol, atol, equal_nan);
}
bool Tensor::equal(const Tensor& o) const { return ember::equal(*this, o); }

// --- in place -------------------------------------------------------------------------------------------
const Tensor& Tensor::add_(const Tensor& o, const Scalar& alpha) const {
  return inplace_binary(BinaryOp::Add, "add_", *this, o, alpha.toDouble());
}
const Tensor& Tensor::add_(const Scalar& o, const Scalar& alpha) const {
  return inplace_scalar(BinaryOp::Add, "add_", *this, scaled(o, alpha), 1);
}
const Tensor& Tensor::sub_(const Tensor& o, const Scalar& alpha) const {
  return inplace_binary(BinaryOp::Sub, "sub_", *this, o, alpha.toDouble());
}
const Tensor& Tensor::sub_(const Scalar& o, const Scalar& alpha) const {
  return inplace_scalar(BinaryOp::Sub, "sub_", *this, scaled(o, alpha), 1);
}
const Tensor& Tensor::mul_(const Tensor& o) const { return inplace_binary(BinaryOp::Mul, "mul_", *this, o, 1); }
const Tensor& Tensor::mul_(const Scalar& o) const { return inplace_scalar(BinaryOp::Mul, "mul_", *this, o, 1); }
const Tensor& Tensor::div_(const Tensor& o) const { return inplace_binary(BinaryOp::Div, "div_", *this, o, 1); }
const Tensor& Tensor::div_(const Scalar& o) const { return inplace_scalar(BinaryOp::Div, "div_", *this, o, 1); }

const Tensor& Tensor::clamp_(std::optional<Scalar> lo, std::optional<Scalar> hi) const {
  autograd::check_inplace(*this, "clamp_");
  check_no_overlap("clamp_", *this);
  return inplace_via(*this, "clamp_", autograd::needs_grad({*this}),
                     [&](const Tensor& src) { return ember::clamp(src, lo, hi); });
}
const Tensor& Tensor::clamp_min_(const Scalar& lo) const {
  autograd::check_inplace(*this, "clamp_min_");
  check_no_overlap("clamp_min_", *this);
  return inplace_via(*this, "clamp_min_", autograd::needs_grad({*this}),
                     [&](const Tensor& src) { return ember::clamp_min(src, lo); });
}
const Tensor& Tensor::relu_() const {
  autograd::check_inplace(*this, "relu_");
  check_no_overlap("relu_", *this);
  if (autograd::needs_grad({*this}) && !is_view() && is_floating_point()) {
    // Recorded relu_ of a tensor that is no view (ResNet's activations): the kernel writes in
    // self and the node takes self's place in the graph, saving self as its output (linked to
    // the node weakly, as a custom function's saved output: no cycle). Out of place and copied
    // back, it would be two more passes over self.
    backend(*this).unary(UnaryOp::Relu, *this, *this, {});
    bump_version(*this);
    auto out = std::make_shared<autograd::SavedTensor>();
    autograd::record("relu", *this, {*this},
                     [out](const Tensor& g) -> variable_list { return {relu_backward(g, out->get())}; });
    *out = autograd::SavedTensor::output(*this, grad_fn(), 0, "relu");
    return *this;
  }
  // relu's backward reads its output, not its input: no clone.
  return inplace_via(*this, "relu_", false, [](const Tensor& src) { return ember::relu(src); });
}
const Tensor& Tensor::neg_() const {
  autograd::check_inplace(*this, "neg_");
  check_no_overlap("neg_", *this);
  return inplace_via(*this, "neg_", autograd::needs_grad({*this}), [](const Tensor& src) { return ember::neg(src); });
}

namespace {
/// fill_ and zero_: `op` names the node (LibTorch's FillBackward2 and ZeroBackward0).
const Tensor& fill_as(const char* op, const Tensor& self, const Scalar& v) {
  autograd::check_inplace(self, op);
  backend(self).fill(self, v);
  autograd::overwrite_history(self, op);
  return self;
}
}  // namespace
const Tensor& Tensor::fill_(const Scalar& v) const { return fill_as("fill_", *this, v); }
const Tensor& Tensor::zero_() const { return fill_as("zero_", *this, 0); }

const Tensor& Tensor::copy_(const Tensor& src, bool non_blocking) const {
  check_defined("copy_", *this);
  check_defined("copy_", src);
  autograd::check_inplace(*this, "copy_", {src});
  std::vector<int64_t> shape = broadcast_shapes(sizes(), src.sizes(), "copy_");
  EMBER_CHECK(sizes().equals(shape), "copy_: source of shape ", src.sizes(),
              " cannot be broadcast to the destination's shape ", sizes());
  check_no_overlap("copy_", *this, {src});
  Tensor s = src.device() == device() ? src : src.to(device(), std::nullopt, non_blocking);
  // Only floating-point values carry gradients: a copy into an integer tensor is not recorded.
  if (!autograd::needs_grad({*this, s}) || !is_floating_point()) {
    backend(*this).copy(*this, broadcast_view(s, sizes()));
    bump_version(*this);
    return *this;
  }
  // LibTorch's CopyBackwards: src gets the gradient (summed over what was broadcast, in its own
  // dtype), the old values zeros. A view leaves the latter to its base's CopySlices.
  Tensor r = broadcast_view(s.detach(), sizes());  // a new tensor: the node is r's, never src's
  Tensor old = is_view() ? Tensor() : *this;
  std::vector<int64_t> src_sizes = s.sizes().vec();
  ScalarType src_dtype = s.dtype();
  autograd::record("copy_", r, {old, s}, [src_sizes, src_dtype](const Tensor& g, const std::vector<bool>& n) {
    Tensor gs;
    if (n[1]) {
      gs = sum_to(g, src_sizes);
      if (gs.dtype() != src_dtype) gs = gs.to(src_dtype);
    }
    return variable_list{n[0] ? zeros_like(g) : Tensor(), gs};
  });
  autograd::rebase_history(*this, r);
  return *this;
}

const Tensor& Tensor::normal_(double mean, double std) const {
  autograd::check_inplace(*this, "normal_");
  check_floating("normal_", *this);
  EMBER_CHECK(std >= 0, "normal_: expects std >= 0.0, but found std ", std);
  check_no_overlap("normal_", *this);
  backend(*this).normal(*this, mean, std);
  autograd::overwrite_history(*this, "normal_");
  return *this;
}
const Tensor& Tensor::uniform_(double from, double to) const {
  autograd::check_inplace(*this, "uniform_");
  check_floating("uniform_", *this);
  EMBER_CHECK(from <= to, "uniform_: expects from <= to, but got from=", from, " > to=", to);
  check_no_overlap("uniform_", *this);
  backend(*this).uniform(*this, from, to);
  autograd::overwrite_history(*this, "uniform_");
  return *this;
}

}  // namespace ember
