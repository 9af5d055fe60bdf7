#pragma once
// Each pointwise formula exists once, here, as a functor that compiles for the host and for the
// device. The CPU backend drives them with plain loops, the CUDA backend with grid-stride kernels;
// dispatch_unary / dispatch_binary turn the runtime op enum into the functor type once per launch.
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "ember/error.h"

#if defined(__CUDACC__)
#define EMBER_HD __host__ __device__ __forceinline__
#else
#define EMBER_HD inline
#endif

namespace ember {

enum class UnaryOp { Neg, Exp, Log, Sqrt, Abs, Sign, Relu, Sigmoid, Tanh, Erf, PowScalar, Clamp, Identity };
enum class BinaryOp { Add, Sub, Mul, Div, Pow, Maximum, Minimum, Eq, Ne, Lt, Le, Gt, Ge, ReluGrad };

/// Parameters of parameterised pointwise ops: PowScalar uses a, Clamp uses [a, b], Add/Sub scale
/// their second operand by alpha.
struct PointwiseParams {
  double a = 0, b = 0, alpha = 1;
};

namespace fn {
// Transcendentals in the operand's own precision: float calls the f-suffixed function (on the
// host, plain ::exp would compute float inputs in double, several times slower); other types
// compute in double.
#define EMBER_MATH1(name)                                                  \
  template <typename T> EMBER_HD T name##_of(T x) {                       \
    if constexpr (std::is_same<T, float>::value) return ::name##f(x);     \
    else return T(::name(double(x)));                                     \
  }
EMBER_MATH1(exp)
EMBER_MATH1(log)
EMBER_MATH1(sqrt)
EMBER_MATH1(tanh)
EMBER_MATH1(erf)
#undef EMBER_MATH1

struct Neg { template <typename T> EMBER_HD T operator()(T x) const { return -x; } };
struct Exp { template <typename T> EMBER_HD T operator()(T x) const { return exp_of(x); } };
struct Log { template <typename T> EMBER_HD T operator()(T x) const { return log_of(x); } };
struct Sqrt { template <typename T> EMBER_HD T operator()(T x) const { return sqrt_of(x); } };
struct Abs { template <typename T> EMBER_HD T operator()(T x) const { return x < T(0) ? -x : x; } };
struct Sign {
  template <typename T> EMBER_HD T operator()(T x) const { return T((x > T(0)) - (x < T(0))); }
};
struct Relu {  // NaN propagates, as in PyTorch
  template <typename T> EMBER_HD T operator()(T x) const { return x < T(0) ? T(0) : x; }
};
struct Sigmoid {
  template <typename T> EMBER_HD T operator()(T x) const { return T(1) / (T(1) + exp_of(-x)); }
};
struct Tanh { template <typename T> EMBER_HD T operator()(T x) const { return tanh_of(x); } };
struct Erf { template <typename T> EMBER_HD T operator()(T x) const { return erf_of(x); } };
struct Identity { template <typename T> EMBER_HD T operator()(T x) const { return x; } };
struct PowScalar {
  double e;
  template <typename T> EMBER_HD T operator()(T x) const {
    if (e == 2.0) return x * x;
    return T(::pow(double(x), e));
  }
};
struct Clamp {  // bounds are +-inf when absent; NaN propagates
  double lo, hi;
  template <typename T> EMBER_HD T operator()(T x) const {
    if (x != x) return x;
    double v = double(x);
    v = v < lo ? lo : v;
    v = v > hi ? hi : v;
    return T(v);
  }
};

struct Add { double alpha; template <typename T> EMBER_HD T operator()(T a, T b) const { return a + T(alpha) * b; } };
struct Sub { double alpha; template <typename T> EMBER_HD T operator()(T a, T b) const { return a - T(alpha) * b; } };
struct Mul { template <typename T> EMBER_HD T operator()(T a, T b) const { return a * b; } };
struct Div { template <typename T> EMBER_HD T operator()(T a, T b) const { return a / b; } };
struct Pow { template <typename T> EMBER_HD T operator()(T a, T b) const { return T(::pow(double(a), double(b))); } };
struct Maximum {
  template <typename T> EMBER_HD T operator()(T a, T b) const { return (a != a || a > b) ? a : b; }
};
struct Minimum {
  template <typename T> EMBER_HD T operator()(T a, T b) const { return (a != a || a < b) ? a : b; }
};
struct Eq { template <typename T> EMBER_HD bool operator()(T a, T b) const { return a == b; } };
struct Ne { template <typename T> EMBER_HD bool operator()(T a, T b) const { return a != b; } };
struct Lt { template <typename T> EMBER_HD bool operator()(T a, T b) const { return a < b; } };
struct Le { template <typename T> EMBER_HD bool operator()(T a, T b) const { return a <= b; } };
struct Gt { template <typename T> EMBER_HD bool operator()(T a, T b) const { return a > b; } };
struct Ge { template <typename T> EMBER_HD bool operator()(T a, T b) const { return a >= b; } };
/// relu backward: the gradient g passes where the input x was positive.
struct ReluGrad { template <typename T> EMBER_HD T operator()(T g, T x) const { return x > T(0) ? g : T(0); } };
}  // namespace fn

inline bool is_comparison(BinaryOp op) {
  return op == BinaryOp::Eq || op == BinaryOp::Ne || op == BinaryOp::Lt || op == BinaryOp::Le ||
         op == BinaryOp::Gt || op == BinaryOp::Ge;
}

template <typename F>
decltype(auto) dispatch_unary(UnaryOp op, const PointwiseParams& p, F&& f) {
  switch (op) {
    case UnaryOp::Neg: return f(fn::Neg{});
    case UnaryOp::Exp: return f(fn::Exp{});
    case UnaryOp::Log: return f(fn::Log{});
    case UnaryOp::Sqrt: return f(fn::Sqrt{});
    case UnaryOp::Abs: return f(fn::Abs{});
    case UnaryOp::Sign: return f(fn::Sign{});
    case UnaryOp::Relu: return f(fn::Relu{});
    case UnaryOp::Sigmoid: return f(fn::Sigmoid{});
    case UnaryOp::Tanh: return f(fn::Tanh{});
    case UnaryOp::Erf: return f(fn::Erf{});
    case UnaryOp::PowScalar: return f(fn::PowScalar{p.a});
    case UnaryOp::Clamp: return f(fn::Clamp{p.a, p.b});
    case UnaryOp::Identity: return f(fn::Identity{});
  }
  throw Error("dispatch_unary: unknown op");
}

template <typename F>
decltype(auto) dispatch_binary(BinaryOp op, const PointwiseParams& p, F&& f) {
  switch (op) {
    case BinaryOp::Add: return f(fn::Add{p.alpha});
    case BinaryOp::Sub: return f(fn::Sub{p.alpha});
    case BinaryOp::Mul: return f(fn::Mul{});
    case BinaryOp::Div: return f(fn::Div{});
    case BinaryOp::Pow: return f(fn::Pow{});
    case BinaryOp::Maximum: return f(fn::Maximum{});
    case BinaryOp::Minimum: return f(fn::Minimum{});
    case BinaryOp::Eq: return f(fn::Eq{});
    case BinaryOp::Ne: return f(fn::Ne{});
    case BinaryOp::Lt: return f(fn::Lt{});
    case BinaryOp::Le: return f(fn::Le{});
    case BinaryOp::Gt: return f(fn::Gt{});
    case BinaryOp::Ge: return f(fn::Ge{});
    case BinaryOp::ReluGrad: return f(fn::ReluGrad{});
  }
  throw Error("dispatch_binary: unknown op");
}

}  // namespace ember
