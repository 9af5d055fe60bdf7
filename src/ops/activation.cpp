// The activations' front halves (silu ... gelu, hardtanh, their in-place forms, and the
// derivatives a create_graph backward records), on the pointwise machinery of elementwise.cpp
// (src/ops/pointwise.h).
#include <cmath>

#include "ember/nn/functional/activation.h"
#include "pointwise.h"

namespace ember {
namespace {
using autograd::record;
using autograd::save;
}  // namespace

// --- activations ------------------------------------------------------------------------------------
// One forward functor and one backward functor each (src/functors.h): the backward kernel reads
// the incoming gradient and the saved input, so every activation is one node on both devices.
// The in-place forms compute the out-of-place op (on a clone while recording) and write it back;
// elu_, selu_, celu_ and leaky_relu_ record under their own names because LibTorch numbers their
// nodes apart (EluBackward1, ...).
namespace {
constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
constexpr double kSeluScale = 1.0507009873554804934193349852946;

/// The gradient kernel of an activation: grad_op over (g, input) with the forward's parameters.
Tensor activation_grad(BinaryOp grad_op, const Tensor& g, const Tensor& in, const PointwiseParams& p) {
  Tensor gi = make_empty(g.sizes(), g.dtype(), g.device());
  backend(g).binary(grad_op, gi, g, detail::cast_for_kernel(in, g.dtype()), p);
  return gi;
}

// f'(x) of each activation in recorded ops, for a create_graph backward, whose gradient must be
// differentiable again (the kernel's backward functor is not). Same formulas as the functors in
// src/functors.h; tests/test_double_backward_activations.cpp checks each against finite
// differences of the kernel's gradient. Piecewise rules use 0/1 masks (constants to autograd),
// and an arm that may overflow reads clamped inputs, so that 0 * inf never makes a NaN.
using Derivative = Tensor (*)(const Tensor& x, const PointwiseParams& p);
Tensor mask(const Tensor& condition, const Tensor& like) { return condition.to(like.dtype()); }

Tensor silu_derivative(const Tensor& x, const PointwiseParams&) {
  Tensor s = sigmoid(x);
  return s * (1 + x * (1 - s));
}
Tensor softplus_derivative(const Tensor& x, const PointwiseParams& p) {  // p: beta, threshold
  Tensor linear = mask(x * p.a > Scalar(p.b), x);
  return linear + (1 - linear) * sigmoid(x * p.a);
}
Tensor mish_derivative(const Tensor& x, const PointwiseParams&) {
  Tensor t = tanh(softplus(x, 1, 20));
  return t + x * sigmoid(x) * (1 - t * t);
}
Tensor leaky_relu_derivative(const Tensor& x, const PointwiseParams& p) {  // p: slope
  Tensor positive = mask(x > Scalar(0), x);
  return positive + (1 - positive) * p.a;
}
Tensor elu_derivative(const Tensor& x, const PointwiseParams& p) {  // p: neg, pos, in
  Tensor positive = mask(x > Scalar(0), x);
  return positive * p.b + (1 - positive) * exp(clamp_max(x, 0) * p.c) * (p.a * p.c);
}
Tensor hardtanh_derivative(const Tensor& x, const PointwiseParams& p) {  // p: lo, hi
  return mask(x > Scalar(p.a), x) * mask(x < Scalar(p.b), x);
}
Tensor hardswish_derivative(const Tensor& x, const PointwiseParams&) {
  Tensor middle = mask(x >= Scalar(-3), x) * mask(x <= Scalar(3), x);
  return middle * (x / 3 + 0.5) + mask(x > Scalar(3), x);
}
Tensor hardsigmoid_derivative(const Tensor& x, const PointwiseParams&) {
  return mask(x > Scalar(-3), x) * mask(x < Scalar(3), x) * double(1.0f / 6.0f);
}
Tensor log_sigmoid_derivative(const Tensor& x, const PointwiseParams&) { return sigmoid(-x); }
Tensor gelu_derivative(const Tensor& x, const PointwiseParams&) {
  return (1 + erf(x * fn::kSqrtHalf)) * 0.5 + x * exp(x * x * -0.5) * fn::kInvSqrt2Pi;
}
Tensor gelu_tanh_derivative(const Tensor& x, const PointwiseParams&) {
  Tensor x2 = x * x;
  Tensor t = tanh((x + x2 * x * fn::kGeluTanhKappa) * fn::kGeluTanhBeta);
  return (1 + t) * 0.5 + x * (1 - t * t) * (1 + x2 * (3 * fn::kGeluTanhKappa)) * (0.5 * fn::kGeluTanhBeta);
}

/// An activation's backward: the fused kernel, or under create_graph g * f'(x) in recorded ops.
auto activation_backward(BinaryOp grad_op, Derivative derivative, const PointwiseParams& p) {
  return [grad_op, derivative, p](const Tensor& g, const Tensor& in, const Tensor&) {
    if (GradMode::is_enabled()) return g * derivative(in, p);
    return activation_grad(grad_op, g, in, p);
  };
}

/// A floating-point activation: LibTorch's kernels are not defined for integer or bool tensors
/// (it says "silu_cpu" not implemented for 'Long'), so neither is ember's; no promotion.
Tensor activation(UnaryOp op, BinaryOp grad_op, Derivative derivative, const char* name, const Tensor& x,
                  const PointwiseParams& p = {}) {
  check_defined(name, x);
  EMBER_CHECK(x.is_floating_point(), name, ": not implemented for ", describe(x),
              " (it takes floating-point tensors, as LibTorch's)");
  return detail::pointwise_unary(op, name, x, x.dtype(), true, false, activation_backward(grad_op, derivative, p), p);
}

PointwiseParams params(double a, double b = 0, double c = 0) {
  PointwiseParams p;
  p.a = a;
  p.b = b;
  p.c = c;
  return p;
}

/// elu, selu and celu: `name` is the op (and node) name.
Tensor elu_as(const char* name, const Tensor& x, double alpha, double scale, double input_scale) {
  return activation(UnaryOp::Elu, BinaryOp::EluGrad, elu_derivative, name, x,
                    params(alpha * scale, scale, input_scale));
}

/// An in-place activation through the graph (the out-of-place op on a clone when recording).
template <typename Op>
Tensor& activation_(const char* name, Tensor& self, Op op) {
  check_defined(name, self);
  autograd::check_inplace(self, name);
  check_no_overlap(name, self);
  detail::pointwise_inplace(self, name, autograd::needs_grad({self}), op);
  return self;
}
}  // namespace

Tensor silu(const Tensor& x) { return activation(UnaryOp::Silu, BinaryOp::SiluGrad, silu_derivative, "silu", x); }
Tensor mish(const Tensor& x) { return activation(UnaryOp::Mish, BinaryOp::MishGrad, mish_derivative, "mish", x); }
namespace {
Tensor leaky_relu_as(const char* name, const Tensor& x, const Scalar& negative_slope) {
  return activation(UnaryOp::LeakyRelu, BinaryOp::LeakyReluGrad, leaky_relu_derivative, name, x,
                    params(negative_slope.toDouble()));
}
Tensor celu_as(const char* name, const Tensor& x, const Scalar& alpha) {
  const double a = alpha.toDouble();
  EMBER_CHECK(a != 0, name, ": ZeroDivisionError: alpha cannot be 0 for CELU (input ", describe(x), ")");
  return elu_as(name, x, a, 1.0, 1.0 / a);
}
}  // namespace
Tensor leaky_relu(const Tensor& x, const Scalar& negative_slope) {
  return leaky_relu_as("leaky_relu", x, negative_slope);
}
Tensor elu(const Tensor& x, const Scalar& alpha, const Scalar& scale, const Scalar& input_scale) {
  return elu_as("elu", x, alpha.toDouble(), scale.toDouble(), input_scale.toDouble());
}
Tensor selu(const Tensor& x) { return elu_as("selu", x, kSeluAlpha, kSeluScale, 1.0); }
Tensor celu(const Tensor& x, const Scalar& alpha) { return celu_as("celu", x, alpha); }
Tensor softplus(const Tensor& x, const Scalar& beta, const Scalar& threshold) {
  return activation(UnaryOp::Softplus, BinaryOp::SoftplusGrad, softplus_derivative, "softplus", x,
                    params(beta.toDouble(), threshold.toDouble()));
}
namespace {
/// hardtanh and relu6 (LibTorch's relu6 is hardtanh(0, 6) and records its node). Integer tensors
/// are clamped in their own dtype, as PyTorch's; bool is refused.
Tensor hardtanh_as(const char* name, const Tensor& x, double lo, double hi) {
  check_defined(name, x);
  EMBER_CHECK(x.dtype() != kBool, name, ": Bool inputs not supported for hardtanh (", describe(x), ")");
  const PointwiseParams p = params(lo, hi);
  return detail::pointwise_unary(UnaryOp::Hardtanh, name, x, x.dtype(), true, false,
                                 activation_backward(BinaryOp::HardtanhGrad, hardtanh_derivative, p), p);
}
}  // namespace
Tensor hardtanh(const Tensor& x, const Scalar& min_val, const Scalar& max_val) {
  return hardtanh_as("hardtanh", x, min_val.toDouble(), max_val.toDouble());
}
Tensor relu6(const Tensor& x) { return hardtanh_as("relu6", x, 0.0, 6.0); }
Tensor hardswish(const Tensor& x) {
  return activation(UnaryOp::Hardswish, BinaryOp::HardswishGrad, hardswish_derivative, "hardswish", x);
}
Tensor hardsigmoid(const Tensor& x) {
  return activation(UnaryOp::Hardsigmoid, BinaryOp::HardsigmoidGrad, hardsigmoid_derivative, "hardsigmoid", x);
}
Tensor log_sigmoid(const Tensor& x) {
  return activation(UnaryOp::LogSigmoid, BinaryOp::LogSigmoidGrad, log_sigmoid_derivative, "log_sigmoid", x);
}
Tensor gelu(const Tensor& x, const std::string& approximate) {
  EMBER_CHECK(approximate == "none" || approximate == "tanh",
              "gelu: approximate argument must be either none or tanh, got \"", approximate, "\"");
  if (approximate == "tanh")
    return activation(UnaryOp::GeluTanh, BinaryOp::GeluTanhGrad, gelu_tanh_derivative, "gelu", x);
  return activation(UnaryOp::Gelu, BinaryOp::GeluGrad, gelu_derivative, "gelu", x);
}
Tensor glu(const Tensor& x, int64_t dim) {
  const char* op = "glu";
  check_defined(op, x);
  EMBER_CHECK(x.dim() > 0, op, ": glu does not support scalars because halving size must be even (input ", describe(x),
              ")");
  EMBER_CHECK(x.is_floating_point(), op, ": not implemented for ", describe(x),
              " (it takes floating-point tensors, as LibTorch's)");
  EMBER_CHECK(dim >= -x.dim() && dim < x.dim(), op, ": dimension ", dim, " is out of range for ", describe(x));
  const int64_t d = dim < 0 ? dim + x.dim() : dim;
  const int64_t n = x.size(d);
  EMBER_CHECK(n % 2 == 0, op, ": Halving dimension must be even, but dimension ", d, " is size ", n, " (input ",
              describe(x), ")");
  // a * sigmoid(b) for the halves a, b along dim, computed outside the graph and recorded as one
  // node (LibTorch's GluBackward0) whose backward is [g sigmoid(b), g a sigmoid(b) (1 - sigmoid(b))].
  Tensor out;
  {
    NoGradGuard no_grad;
    out = x.narrow(d, 0, n / 2) * ember::sigmoid(x.narrow(d, n / 2, n / 2));
  }
  if (autograd::needs_grad({x})) {
    auto sx = save(x, op);
    record(op, out, {x}, [sx, d, n](const Tensor& g) -> variable_list {
      const Tensor& xs = sx.get();
      Tensor a = xs.narrow(d, 0, n / 2);
      Tensor s = ember::sigmoid(xs.narrow(d, n / 2, n / 2));
      return {ember::cat({g * s, g * a * s * (1 - s)}, d)};
    });
  }
  return out;
}

Tensor& silu_(Tensor& x) {
  return activation_("silu_", x, [](const Tensor& s) { return silu(s); });
}
Tensor& mish_(Tensor& x) {
  return activation_("mish_", x, [](const Tensor& s) { return mish(s); });
}
Tensor& leaky_relu_(Tensor& x, const Scalar& negative_slope) {
  return activation_("leaky_relu_", x,
                     [&](const Tensor& s) { return leaky_relu_as("leaky_relu_", s, negative_slope); });
}
Tensor& elu_(Tensor& x, const Scalar& alpha, const Scalar& scale, const Scalar& input_scale) {
  return activation_("elu_", x, [&](const Tensor& s) {
    return elu_as("elu_", s, alpha.toDouble(), scale.toDouble(), input_scale.toDouble());
  });
}
Tensor& selu_(Tensor& x) {
  return activation_("selu_", x, [](const Tensor& s) { return elu_as("selu_", s, kSeluAlpha, kSeluScale, 1.0); });
}
Tensor& celu_(Tensor& x, const Scalar& alpha) {
  return activation_("celu_", x, [&](const Tensor& s) { return celu_as("celu_", s, alpha); });
}
Tensor& hardtanh_(Tensor& x, const Scalar& min_val, const Scalar& max_val) {
  return activation_("hardtanh_", x, [&](const Tensor& s) { return hardtanh(s, min_val, max_val); });
}
Tensor& relu6_(Tensor& x) {
  return activation_("relu6_", x, [](const Tensor& s) { return relu6(s); });
}
Tensor& hardswish_(Tensor& x) {
  return activation_("hardswish_", x, [](const Tensor& s) { return hardswish(s); });
}
Tensor& hardsigmoid_(Tensor& x) {
  return activation_("hardsigmoid_", x, [](const Tensor& s) { return hardsigmoid(s); });
}
Tensor& gelu_(Tensor& x, const std::string& approximate) {
  return activation_("gelu_", x, [&](const Tensor& s) { return gelu(s, approximate); });
}

}  // namespace ember
