#pragma once
// Each pointwise formula exists once, here, as a functor that compiles for the host and for the
// device. The CPU backend drives them with plain loops, the CUDA backend with grid-stride kernels;
// dispatch_unary / dispatch_binary turn the runtime op enum into the functor type once per launch.
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "ember/error.h"
#include "ember/types.h"

#if defined(__CUDACC__)
#define EMBER_HD __host__ __device__ __forceinline__
#else
#define EMBER_HD inline
#endif

namespace ember {

// Every value of these enums is dispatched (dispatch_unary / dispatch_binary below); a value with
// no functor is a -Wswitch warning there and an op without a name or dtype rule does not compile.
enum class UnaryOp { Neg, Exp, Log, Sqrt, Abs, Sign, Relu, Sigmoid, Tanh, Erf, PowScalar, Clamp };
enum class BinaryOp { Add, Sub, Mul, Div, Pow, Eq, Ne, Lt, Le, Gt, Ge, ReluGrad };
/// The last value of each enum, for tests that walk every op.
constexpr UnaryOp kLastUnaryOp = UnaryOp::Clamp;
constexpr BinaryOp kLastBinaryOp = BinaryOp::ReluGrad;

/// Parameters of parameterised pointwise ops: PowScalar uses a, Clamp uses [a, b], Add/Sub scale
/// their second operand by alpha.
struct PointwiseParams {
  double a = 0, b = 0, alpha = 1;
};

namespace fn {
// The dtypes a functor is defined for, as a base class: every functor derives from exactly one,
// so `F::template defined_for<T>()` exists for each (no default: a functor without a rule does
// not compile). The front halves promote what a kernel lacks, as LibTorch does: bool to int64 for
// arithmetic, integers to floating point for transcendental ops and true division. The kernels'
// check turns a slip there into an Error instead of garbage (or an integer division by zero,
// which would kill the process).
struct AnyDtype {  // float, double, int64, bool
  template <typename T> static constexpr bool defined_for() { return true; }
};
struct Numeric {  // not bool (LibTorch rejects neg, abs, relu, clamp of bool)
  template <typename T> static constexpr bool defined_for() { return !std::is_same<T, bool>::value; }
};
struct Floating {  // float and double only
  template <typename T> static constexpr bool defined_for() { return std::is_floating_point<T>::value; }
};

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

// Each functor: its name (the public op's, for error messages), its dtype rule (the base), and
// its formula.
struct Neg : Numeric {
  static constexpr const char* name = "neg";
  template <typename T> EMBER_HD T operator()(T x) const { return -x; }
};
struct Exp : Floating {
  static constexpr const char* name = "exp";
  template <typename T> EMBER_HD T operator()(T x) const { return exp_of(x); }
};
struct Log : Floating {
  static constexpr const char* name = "log";
  template <typename T> EMBER_HD T operator()(T x) const { return log_of(x); }
};
struct Sqrt : Floating {
  static constexpr const char* name = "sqrt";
  template <typename T> EMBER_HD T operator()(T x) const { return sqrt_of(x); }
};
struct Abs : Numeric {
  static constexpr const char* name = "abs";
  template <typename T> EMBER_HD T operator()(T x) const { return x < T(0) ? -x : x; }
};
struct Sign : Numeric {
  static constexpr const char* name = "sign";
  template <typename T> EMBER_HD T operator()(T x) const { return T((x > T(0)) - (x < T(0))); }
};
struct Relu : Numeric {  // NaN propagates, as in PyTorch
  static constexpr const char* name = "relu";
  template <typename T> EMBER_HD T operator()(T x) const { return x < T(0) ? T(0) : x; }
};
struct Sigmoid : Floating {
  static constexpr const char* name = "sigmoid";
  template <typename T> EMBER_HD T operator()(T x) const { return T(1) / (T(1) + exp_of(-x)); }
};
struct Tanh : Floating {
  static constexpr const char* name = "tanh";
  template <typename T> EMBER_HD T operator()(T x) const { return tanh_of(x); }
};
struct Erf : Floating {
  static constexpr const char* name = "erf";
  template <typename T> EMBER_HD T operator()(T x) const { return erf_of(x); }
};
struct PowScalar : Numeric {
  static constexpr const char* name = "pow";
  double e;
  template <typename T> EMBER_HD T operator()(T x) const {
    if (e == 2.0) return x * x;
    return T(::pow(double(x), e));
  }
};
struct Clamp : Numeric {  // bounds are +-inf when absent; NaN propagates
  static constexpr const char* name = "clamp";
  double lo, hi;
  template <typename T> EMBER_HD T operator()(T x) const {
    if (x != x) return x;
    double v = double(x);
    v = v < lo ? lo : v;
    v = v > hi ? hi : v;
    return T(v);
  }
};

struct Add : Numeric {
  static constexpr const char* name = "add";
  double alpha;
  template <typename T> EMBER_HD T operator()(T a, T b) const { return a + T(alpha) * b; }
};
struct Sub : Numeric {
  static constexpr const char* name = "sub";
  double alpha;
  template <typename T> EMBER_HD T operator()(T a, T b) const { return a - T(alpha) * b; }
};
struct Mul : Numeric {
  static constexpr const char* name = "mul";
  template <typename T> EMBER_HD T operator()(T a, T b) const { return a * b; }
};
struct Div : Floating {  // integer operands are promoted: true division, as torch.div
  static constexpr const char* name = "div";
  template <typename T> EMBER_HD T operator()(T a, T b) const { return a / b; }
};
struct Pow : Numeric {
  static constexpr const char* name = "pow";
  template <typename T> EMBER_HD T operator()(T a, T b) const { return T(::pow(double(a), double(b))); }
};
// Comparisons write bool and are defined for every dtype.
struct Eq : AnyDtype {
  static constexpr const char* name = "eq";
  template <typename T> EMBER_HD bool operator()(T a, T b) const { return a == b; }
};
struct Ne : AnyDtype {
  static constexpr const char* name = "ne";
  template <typename T> EMBER_HD bool operator()(T a, T b) const { return a != b; }
};
struct Lt : AnyDtype {
  static constexpr const char* name = "lt";
  template <typename T> EMBER_HD bool operator()(T a, T b) const { return a < b; }
};
struct Le : AnyDtype {
  static constexpr const char* name = "le";
  template <typename T> EMBER_HD bool operator()(T a, T b) const { return a <= b; }
};
struct Gt : AnyDtype {
  static constexpr const char* name = "gt";
  template <typename T> EMBER_HD bool operator()(T a, T b) const { return a > b; }
};
struct Ge : AnyDtype {
  static constexpr const char* name = "ge";
  template <typename T> EMBER_HD bool operator()(T a, T b) const { return a >= b; }
};
/// relu backward: the gradient g passes where the input x was positive.
struct ReluGrad : Numeric {
  static constexpr const char* name = "relu_backward";
  template <typename T> EMBER_HD T operator()(T g, T x) const { return x > T(0) ? g : T(0); }
};
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
    case UnaryOp::PowScalar: return f(fn::PowScalar{{}, p.a});
    case UnaryOp::Clamp: return f(fn::Clamp{{}, p.a, p.b});
  }
  throw Error(detail::str("dispatch_unary: unknown op #", int(op)));
}

template <typename F>
decltype(auto) dispatch_binary(BinaryOp op, const PointwiseParams& p, F&& f) {
  switch (op) {
    case BinaryOp::Add: return f(fn::Add{{}, p.alpha});
    case BinaryOp::Sub: return f(fn::Sub{{}, p.alpha});
    case BinaryOp::Mul: return f(fn::Mul{});
    case BinaryOp::Div: return f(fn::Div{});
    case BinaryOp::Pow: return f(fn::Pow{});
    case BinaryOp::Eq: return f(fn::Eq{});
    case BinaryOp::Ne: return f(fn::Ne{});
    case BinaryOp::Lt: return f(fn::Lt{});
    case BinaryOp::Le: return f(fn::Le{});
    case BinaryOp::Gt: return f(fn::Gt{});
    case BinaryOp::Ge: return f(fn::Ge{});
    case BinaryOp::ReluGrad: return f(fn::ReluGrad{});
  }
  throw Error(detail::str("dispatch_binary: unknown op #", int(op)));
}

/// The one guard both backends run a pointwise kernel behind: run(f) when functor F is defined
/// for T, else an Error that names the op (F::name), the dtype and the backend entry. Kernels for
/// undefined pairs are never instantiated.
template <typename T, typename F, typename Run>
void if_defined_for(const char* entry, ScalarType t, const F& f, Run&& run) {
  if constexpr (F::template defined_for<T>()) {
    run(f);
  } else {
    throw Error(detail::str(entry, ": ", F::name, " is not defined for ", t,
                            " tensors here (the front half should promote them: bool to int64 for "
                            "arithmetic, integers to floating point for ",
                            F::name, ")"));
  }
}

}  // namespace ember
