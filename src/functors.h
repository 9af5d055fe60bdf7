#pragma once
// Each pointwise formula exists once, here, as a functor that compiles for the host and for the
// device. The CPU backend drives them with plain loops, the CUDA backend with grid-stride kernels;
// dispatch_unary / dispatch_binary turn the runtime op enum into the functor type once per launch.
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "dtype_dispatch.h"
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
// The activations (Silu ... LogSigmoid) each have a forward functor here and a backward one in
// BinaryOp (SiluGrad ...: the incoming gradient and the saved input).
enum class UnaryOp {
  Neg,
  Exp,
  Log,
  Sqrt,
  Abs,
  Sign,
  Relu,
  Sigmoid,
  Tanh,
  Erf,
  PowScalar,
  Clamp,
  Silu,
  Mish,
  LeakyRelu,
  Elu,
  Softplus,
  Hardtanh,
  Hardswish,
  Hardsigmoid,
  Gelu,
  GeluTanh,
  LogSigmoid,
  Floor,
  Ceil,
  Round,
  Trunc,
  Frac,
  Reciprocal,
  Rsqrt,
  Log2,
  Log10,
  Exp2,
  Sin,
  Cos,
  BitwiseNot,
  Tan,
  Asin,
  Acos,
  Atan,
  Sinh,
  Cosh,
  Asinh,
  Acosh,
  Atanh,
  Log1p,
  Expm1
};
enum class BinaryOp {
  Add,
  Sub,
  Mul,
  Div,
  Pow,
  Eq,
  Ne,
  Lt,
  Le,
  Gt,
  Ge,
  ReluGrad,
  SiluGrad,
  MishGrad,
  LeakyReluGrad,
  EluGrad,
  SoftplusGrad,
  HardtanhGrad,
  HardswishGrad,
  HardsigmoidGrad,
  GeluGrad,
  GeluTanhGrad,
  LogSigmoidGrad,
  Fmod,
  Remainder,
  LogicalAnd,
  LogicalOr,
  LogicalXor,
  BitwiseAnd,
  BitwiseOr,
  BitwiseXor,
  Atan2,
  DivTrunc,
  DivFloor
};
/// The last value of each enum, for tests that walk every op.
constexpr UnaryOp kLastUnaryOp = UnaryOp::Expm1;
constexpr BinaryOp kLastBinaryOp = BinaryOp::DivFloor;

/// Parameters of parameterised pointwise ops: PowScalar uses a, Clamp and Hardtanh [a, b],
/// LeakyRelu the slope a, Softplus beta a and threshold b, Elu the coefficients a (alpha * scale
/// for x <= 0), b (scale for x > 0) and c (the input's scale for x <= 0); Add/Sub scale their
/// second operand by alpha. The activations' backward functors read the forward's.
struct PointwiseParams {
  double a = 0, b = 0, alpha = 1, c = 0;
};

namespace fn {
/// The conversion of copy and to(dtype), on both devices: to bool is "!= 0" (NaN -> true);
/// floating point to an integer truncates toward zero through int64, as PyTorch does (so -1.0
/// becomes 255 in uint8, numpy's wrap); outside int64's range (and NaN), where C++ leaves the
/// conversion undefined, it gives int64's minimum as x86's cvttsd2si; integers narrow modulo
/// 2^bits.
template <typename D, typename S>
EMBER_HD D cast_to(S x) {
  if constexpr (std::is_same<D, bool>::value) {
    return x != S(0);
  } else if constexpr (std::is_integral<D>::value && std::is_floating_point<S>::value) {
    const double d = double(x);
    const bool fits = d >= -9223372036854775808.0 && d < 9223372036854775808.0;
    return D(fits ? int64_t(d) : INT64_MIN);
  } else {
    return static_cast<D>(x);
  }
}

// The dtypes a functor is defined for, as a base class: every functor derives from exactly one,
// so `F::template defined_for<T>()` exists for each (no default: a functor without a rule does
// not compile). The front halves promote what a kernel lacks, as LibTorch does: bool to int64 for
// arithmetic, integers to floating point for transcendental ops and true division. The kernels'
// check turns a slip there into an Error instead of garbage (or an integer division by zero,
// which would kill the process).
struct AnyDtype {  // float, double, int64, bool
  template <typename T>
  static constexpr bool defined_for() {
    return true;
  }
};
struct Numeric {  // not bool (LibTorch rejects neg, abs, relu, clamp of bool)
  template <typename T>
  static constexpr bool defined_for() {
    return !std::is_same<T, bool>::value;
  }
};
struct Floating {  // float and double only
  template <typename T>
  static constexpr bool defined_for() {
    return std::is_floating_point<T>::value;
  }
};
struct Integral {  // int64 and bool: the bitwise ops
  template <typename T>
  static constexpr bool defined_for() {
    return !std::is_floating_point<T>::value;
  }
};

// Transcendentals in the operand's own precision: float calls the f-suffixed function (on the
// host, plain ::exp would compute float inputs in double, several times slower); other types
// compute in double.
#define EMBER_MATH1(name)                                             \
  template <typename T>                                               \
  EMBER_HD T name##_of(T x) {                                         \
    if constexpr (std::is_same<T, float>::value) return ::name##f(x); \
    else return T(::name(double(x)));                                 \
  }
EMBER_MATH1(exp)
EMBER_MATH1(log)
EMBER_MATH1(sqrt)
EMBER_MATH1(tanh)
EMBER_MATH1(erf)
EMBER_MATH1(log1p)
EMBER_MATH1(expm1)
EMBER_MATH1(floor)
EMBER_MATH1(ceil)
EMBER_MATH1(trunc)
EMBER_MATH1(nearbyint)
EMBER_MATH1(log2)
EMBER_MATH1(log10)
EMBER_MATH1(exp2)
EMBER_MATH1(sin)
EMBER_MATH1(cos)
EMBER_MATH1(tan)
EMBER_MATH1(asin)
EMBER_MATH1(acos)
EMBER_MATH1(atan)
EMBER_MATH1(sinh)
EMBER_MATH1(cosh)
EMBER_MATH1(asinh)
EMBER_MATH1(acosh)
EMBER_MATH1(atanh)
#undef EMBER_MATH1
template <typename T>
EMBER_HD T atan2_of(T y, T x) {
  if constexpr (std::is_same<T, float>::value) return ::atan2f(y, x);
  else return T(::atan2(double(y), double(x)));
}
template <typename T>
EMBER_HD T fmod_of(T a, T b) {
  if constexpr (std::is_same<T, float>::value) return ::fmodf(a, b);
  else return T(::fmod(double(a), double(b)));
}

// Each functor: its name (the public op's, for error messages), its dtype rule (the base), and
// its formula. The one-line ones are spelled by these two macros; the rest are written out.
#define EMBER_UNARY_FN(Fn, op_name, Rule, expr)  \
  struct Fn : Rule {                             \
    static constexpr const char* name = op_name; \
    template <typename T>                        \
    EMBER_HD T operator()(T x) const {           \
      return expr;                               \
    }                                            \
  };
#define EMBER_BINARY_FN(Fn, op_name, Rule, R, expr) \
  struct Fn : Rule {                                \
    static constexpr const char* name = op_name;    \
    template <typename T>                           \
    EMBER_HD R operator()(T a, T b) const {         \
      return expr;                                  \
    }                                               \
  };

EMBER_UNARY_FN(Neg, "neg", Numeric, -x)
EMBER_UNARY_FN(Exp, "exp", Floating, exp_of(x))
EMBER_UNARY_FN(Log, "log", Floating, log_of(x))
EMBER_UNARY_FN(Sqrt, "sqrt", Floating, sqrt_of(x))
EMBER_UNARY_FN(Abs, "abs", Numeric, x < T(0) ? -x : x)
EMBER_UNARY_FN(Sign, "sign", Numeric, T((x > T(0)) - (x < T(0))))
EMBER_UNARY_FN(Relu, "relu", Numeric, x < T(0) ? T(0) : x)  // NaN propagates, as in PyTorch
EMBER_UNARY_FN(Sigmoid, "sigmoid", Floating, T(1) / (T(1) + exp_of(-x)))
EMBER_UNARY_FN(Tanh, "tanh", Floating, tanh_of(x))
EMBER_UNARY_FN(Erf, "erf", Floating, erf_of(x))
struct PowScalar : Numeric {
  static constexpr const char* name = "pow";
  double e;
  template <typename T>
  EMBER_HD T operator()(T x) const {
    if (e == 2.0) return x * x;
    return T(::pow(double(x), e));
  }
};
struct Clamp : Numeric {  // bounds are +-inf when absent; NaN propagates
  static constexpr const char* name = "clamp";
  double lo, hi;
  template <typename T>
  EMBER_HD T operator()(T x) const {
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
  template <typename T>
  EMBER_HD T operator()(T a, T b) const {
    return a + T(alpha) * b;
  }
};
struct Sub : Numeric {
  static constexpr const char* name = "sub";
  double alpha;
  template <typename T>
  EMBER_HD T operator()(T a, T b) const {
    return a - T(alpha) * b;
  }
};
EMBER_BINARY_FN(Mul, "mul", Numeric, T, a* b)
// Integer operands are promoted by the front half: true division, as torch.div.
EMBER_BINARY_FN(Div, "div", Floating, T, a / b)
EMBER_BINARY_FN(Pow, "pow", Numeric, T, T(::pow(double(a), double(b))))
// Comparisons write bool and are defined for every dtype.
EMBER_BINARY_FN(Eq, "eq", AnyDtype, bool, a == b)
EMBER_BINARY_FN(Ne, "ne", AnyDtype, bool, a != b)
EMBER_BINARY_FN(Lt, "lt", AnyDtype, bool, a < b)
EMBER_BINARY_FN(Le, "le", AnyDtype, bool, a <= b)
EMBER_BINARY_FN(Gt, "gt", AnyDtype, bool, a > b)
EMBER_BINARY_FN(Ge, "ge", AnyDtype, bool, a >= b)
/// relu backward: the gradient a passes where the input b was positive.
EMBER_BINARY_FN(ReluGrad, "relu_backward", Numeric, T, b > T(0) ? a : T(0))

// --- rounding, reciprocals, logs of other bases, trigonometry --------------------------------------
// The rounding functors leave integers as they are (LibTorch's floor of an int64 tensor is a
// copy); a float goes through the C function, which keeps NaN, infinities and -0.
#define EMBER_ROUNDING_FN(Fn, op_name, fname)                          \
  struct Fn : Numeric {                                                \
    static constexpr const char* name = op_name;                       \
    template <typename T>                                              \
    EMBER_HD T operator()(T x) const {                                 \
      if constexpr (std::is_floating_point<T>::value) return fname(x); \
      else return x;                                                   \
    }                                                                  \
  };
EMBER_ROUNDING_FN(Floor, "floor", floor_of)
EMBER_ROUNDING_FN(Ceil, "ceil", ceil_of)
// nearbyint rounds half to even in the default rounding mode, as torch.round.
EMBER_ROUNDING_FN(Round, "round", nearbyint_of)
EMBER_ROUNDING_FN(Trunc, "trunc", trunc_of)
#undef EMBER_ROUNDING_FN
EMBER_UNARY_FN(Frac, "frac", Floating, x - trunc_of(x))
EMBER_UNARY_FN(Reciprocal, "reciprocal", Floating, T(1) / x)
EMBER_UNARY_FN(Rsqrt, "rsqrt", Floating, T(1) / sqrt_of(x))
EMBER_UNARY_FN(Log2, "log2", Floating, log2_of(x))
EMBER_UNARY_FN(Log10, "log10", Floating, log10_of(x))
EMBER_UNARY_FN(Exp2, "exp2", Floating, exp2_of(x))
EMBER_UNARY_FN(Sin, "sin", Floating, sin_of(x))
EMBER_UNARY_FN(Cos, "cos", Floating, cos_of(x))
EMBER_UNARY_FN(Tan, "tan", Floating, tan_of(x))
EMBER_UNARY_FN(Asin, "asin", Floating, asin_of(x))
EMBER_UNARY_FN(Acos, "acos", Floating, acos_of(x))
EMBER_UNARY_FN(Atan, "atan", Floating, atan_of(x))
EMBER_UNARY_FN(Sinh, "sinh", Floating, sinh_of(x))
EMBER_UNARY_FN(Cosh, "cosh", Floating, cosh_of(x))
EMBER_UNARY_FN(Asinh, "asinh", Floating, asinh_of(x))
EMBER_UNARY_FN(Acosh, "acosh", Floating, acosh_of(x))
EMBER_UNARY_FN(Atanh, "atanh", Floating, atanh_of(x))
EMBER_UNARY_FN(Log1p, "log1p", Floating, log1p_of(x))
EMBER_UNARY_FN(Expm1, "expm1", Floating, expm1_of(x))
EMBER_BINARY_FN(Atan2, "atan2", Floating, T, atan2_of(a, b))

// --- remainders ----------------------------------------------------------------------------------
// The front half refuses an integer division by zero before a kernel could trap on it.
/// C's fmod: the result has the dividend's sign.
struct Fmod : Numeric {
  static constexpr const char* name = "fmod";
  template <typename T>
  EMBER_HD T operator()(T a, T b) const {
    if constexpr (std::is_floating_point<T>::value) return T(::fmod(a, b));
    else return a % b;
  }
};
/// Python's %: the result has the divisor's sign (PyTorch's rule: fmod, then add b when the
/// signs differ).
struct Remainder : Numeric {
  static constexpr const char* name = "remainder";
  template <typename T>
  EMBER_HD T operator()(T a, T b) const {
    T r;
    if constexpr (std::is_floating_point<T>::value) r = T(::fmod(a, b));
    else r = a % b;
    return r != T(0) && ((r < T(0)) != (b < T(0))) ? r + b : r;
  }
};
/// div(a, b, rounding_mode="trunc"): the quotient rounded toward zero; integers stay integers.
struct DivTrunc : Numeric {
  static constexpr const char* name = "div";
  template <typename T>
  EMBER_HD T operator()(T a, T b) const {
    if constexpr (std::is_floating_point<T>::value) return trunc_of(a / b);
    else return a / b;
  }
};
/// div(a, b, rounding_mode="floor") (and floor_divide): the quotient rounded down. For floating
/// point PyTorch's rule: (a - fmod(a, b)) / b, one less when the remainder's sign differs from
/// b's, then rounded to the nearest integer (7.0 / 0.7 gives 10, where Python's 7.0 // 0.7 is 9);
/// x / 0 is a / b's inf or NaN.
struct DivFloor : Numeric {
  static constexpr const char* name = "div";
  template <typename T>
  EMBER_HD T operator()(T a, T b) const {
    if constexpr (std::is_floating_point<T>::value) {
      if (b == T(0)) return a / b;
      const T mod = fmod_of(a, b);
      T div = (a - mod) / b;
      if (mod != T(0) && ((b < T(0)) != (mod < T(0)))) div -= T(1);
      if (div == T(0)) return T(0) * (a / b);  // a zero with the sign of a / b
      T q = floor_of(div);
      if (div - q > T(0.5)) q += T(1);
      return q;
    } else {
      const T q = a / b;
      return (a % b != T(0) && ((a < T(0)) != (b < T(0)))) ? T(q - T(1)) : q;
    }
  }
};

// --- logical and bitwise -------------------------------------------------------------------------
// Logical ops read any dtype as true where nonzero (NaN too) and write bool; bitwise ones take
// int64 and bool (for bool they are the logical ops).
EMBER_BINARY_FN(LogicalAnd, "logical_and", AnyDtype, bool, (a != T(0)) && (b != T(0)))
EMBER_BINARY_FN(LogicalOr, "logical_or", AnyDtype, bool, (a != T(0)) || (b != T(0)))
EMBER_BINARY_FN(LogicalXor, "logical_xor", AnyDtype, bool, (a != T(0)) != (b != T(0)))
EMBER_BINARY_FN(BitwiseAnd, "bitwise_and", Integral, T, T(a& b))
EMBER_BINARY_FN(BitwiseOr, "bitwise_or", Integral, T, T(a | b))
EMBER_BINARY_FN(BitwiseXor, "bitwise_xor", Integral, T, T(a ^ b))
struct BitwiseNot : Integral {
  static constexpr const char* name = "bitwise_not";
  template <typename T>
  EMBER_HD T operator()(T x) const {
    if constexpr (std::is_same<T, bool>::value) return !x;
    else return ~x;
  }
};

// --- activations ---------------------------------------------------------------------------------
// PyTorch's CPU formulas, in the operand's precision (its kernels compute float in float). Each
// backward functor takes (incoming gradient g, saved input x) and reads the forward's parameters.
// The piecewise ones compare so that NaN propagates, as PyTorch's do.
//
// The functors named in EMBER_VEC16_UNARY / EMBER_VEC16_BINARY (below) also run on 16 float32
// lanes at a time: on CPUs with AVX-512, CpuBackend instantiates their operator() with T =
// cpu::Vec16 (src/cpu/vec16.h) for contiguous float32 data, and the scalar T = float finishes
// the tail. Their formula is written once for both, so it uses only what Vec16 has: constants
// as T(c), + - * / and unary minus, comparisons, exp_of / expm1_of / log1p_of / tanh_of /
// erf_of, and pick(c, a, b) where a scalar formula would say c ? a : b.

/// c ? a : b, as a call so that a vector body can blend: both a and b are computed, then one is
/// kept (for Vec16 lane by lane).
template <typename T>
EMBER_HD T pick(bool c, T a, T b) {
  return c ? a : b;
}
template <typename T>
EMBER_HD T sigmoid_of(T x) {
  return T(1) / (T(1) + exp_of(-x));
}
/// min(max(v, 0), 6), NaN passing through.
template <typename T>
EMBER_HD T clip06(T v) {
  return pick(v < T(0), T(0), pick(v > T(6), T(6), v));
}
constexpr double kSqrtHalf = 0.70710678118654752440;      // 1 / sqrt(2)
constexpr double kInvSqrt2Pi = 0.39894228040143267794;    // 1 / sqrt(2 pi): the normal pdf at 0
constexpr double kGeluTanhBeta = 0.79788456080286535588;  // sqrt(2 / pi)
constexpr double kGeluTanhKappa = 0.044715;

EMBER_UNARY_FN(Silu, "silu", Floating, x / (T(1) + exp_of(-x)))
EMBER_BINARY_FN(SiluGrad, "silu_backward", Floating, T, a* sigmoid_of(b) * (T(1) + b * (T(1) - sigmoid_of(b))))
struct Mish : Floating {  // x tanh(softplus(x))
  static constexpr const char* name = "mish";
  template <typename T>
  EMBER_HD T operator()(T x) const {
    return x * tanh_of(log1p_of(exp_of(x)));
  }
};
struct MishGrad : Floating {
  static constexpr const char* name = "mish_backward";
  template <typename T>
  EMBER_HD T operator()(T g, T x) const {
    const T t = tanh_of(log1p_of(exp_of(x)));
    return g * (t + x * sigmoid_of(x) * (T(1) - t * t));
  }
};
// The piecewise functors compare and select values computed up front (hardtanh's bounds are
// converted before the tests): GCC then vectorises the loop with blends. A floating-point
// multiply or conversion needed in one arm only stays a branch per element (with -ftrapping-math
// it may not be speculated): hardtanh written so was 60 times slower, and leaky_relu's scalar
// loop still is about 10 times slower than relu on random signs (rewriting it as
// x * (m + (1 - m) s) did not help: GCC recognises the select and branches again). Its float32
// vector body (EMBER_VEC16_UNARY) blends instead, as hardswish's does.
struct LeakyRelu : Floating {
  static constexpr const char* name = "leaky_relu";
  double slope;
  template <typename T>
  EMBER_HD T operator()(T x) const {
    return pick(x > T(0), x, x * T(slope));
  }
};
struct LeakyReluGrad : Floating {
  static constexpr const char* name = "leaky_relu_backward";
  double slope;
  template <typename T>
  EMBER_HD T operator()(T g, T x) const {
    return pick(x > T(0), g, g * T(slope));
  }
};
/// ELU, SELU and CELU: x > 0 ? pos x : neg (exp(in x) - 1).
struct Elu : Floating {
  static constexpr const char* name = "elu";
  double neg, pos, in;
  template <typename T>
  EMBER_HD T operator()(T x) const {
    return pick(x > T(0), x * T(pos), expm1_of(x * T(in)) * T(neg));
  }
};
struct EluGrad : Floating {
  static constexpr const char* name = "elu_backward";
  double neg, pos, in;
  template <typename T>
  EMBER_HD T operator()(T g, T x) const {
    return pick(x > T(0), g * T(pos), g * T(in) * T(neg) * exp_of(x * T(in)));
  }
};
/// log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (where exp may overflow:
/// that value is computed and dropped).
struct Softplus : Floating {
  static constexpr const char* name = "softplus";
  double beta, threshold;
  template <typename T>
  EMBER_HD T operator()(T x) const {
    const T bx = x * T(beta);
    return pick(bx > T(threshold), x, log1p_of(exp_of(bx)) / T(beta));
  }
};
struct SoftplusGrad : Floating {
  static constexpr const char* name = "softplus_backward";
  double beta, threshold;
  template <typename T>
  EMBER_HD T operator()(T g, T x) const {
    const T bx = x * T(beta);
    const T z = exp_of(bx);
    return pick(bx > T(threshold), g, g * z / (z + T(1)));
  }
};
/// clamp(x, lo, hi) for numbers of any kind but bool (hardtanh of int64 stays int64, as in PyTorch),
/// comparing in the operand's dtype as PyTorch's kernel does. NaN fails both tests and passes.
struct Hardtanh : Numeric {
  static constexpr const char* name = "hardtanh";
  double lo, hi;
  template <typename T>
  EMBER_HD T operator()(T x) const {
    const T l = T(lo), h = T(hi);
    return x < l ? l : (x > h ? h : x);
  }
};
/// No gradient at the bounds themselves, as PyTorch's hardtanh_backward.
struct HardtanhGrad : Floating {
  static constexpr const char* name = "hardtanh_backward";
  double lo, hi;
  template <typename T>
  EMBER_HD T operator()(T g, T x) const {
    const T l = T(lo), h = T(hi);
    return ((x <= l) | (x >= h)) ? T(0) : g;
  }
};
EMBER_UNARY_FN(Hardswish, "hardswish", Floating, x* clip06(x + T(3)) / T(6))
struct HardswishGrad : Floating {
  static constexpr const char* name = "hardswish_backward";
  template <typename T>
  EMBER_HD T operator()(T g, T x) const {
    const T mid = g * (x / T(3) + T(0.5));
    return pick(x < T(-3), T(0), pick(x <= T(3), mid, g));
  }
};
EMBER_UNARY_FN(Hardsigmoid, "hardsigmoid", Floating, clip06(x + T(3)) / T(6))
// PyTorch's kernel multiplies by 1.0f / 6.0f, a float constant, for doubles too: so does ember,
// to give the same gradient to the last bit.
EMBER_BINARY_FN(HardsigmoidGrad, "hardsigmoid_backward", Floating, T,
                ((b > T(-3)) & (b < T(3))) ? a* T(1.0f / 6.0f) : T(0))
/// The exact GELU, x Phi(x) with the normal cdf Phi(x) = (1 + erf(x / sqrt 2)) / 2.
EMBER_UNARY_FN(Gelu, "gelu", Floating, x* T(0.5) * (T(1) + erf_of(x * T(kSqrtHalf))))
EMBER_BINARY_FN(GeluGrad, "gelu_backward", Floating, T,
                a*(T(0.5) * (T(1) + erf_of(b * T(kSqrtHalf))) + b * T(kInvSqrt2Pi) * exp_of(T(-0.5) * b * b)))
/// GELU's tanh approximation: x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2.
struct GeluTanh : Floating {
  static constexpr const char* name = "gelu";
  template <typename T>
  EMBER_HD T operator()(T x) const {
    const T inner = T(kGeluTanhBeta) * (x + T(kGeluTanhKappa) * x * x * x);
    return T(0.5) * x * (T(1) + tanh_of(inner));
  }
};
struct GeluTanhGrad : Floating {
  static constexpr const char* name = "gelu_backward";
  template <typename T>
  EMBER_HD T operator()(T g, T x) const {
    const T x2 = x * x;
    const T t = tanh_of(T(kGeluTanhBeta) * (x + T(kGeluTanhKappa) * x2 * x));
    const T left = T(0.5) * (T(1) + t);
    const T right = T(0.5) * x * (T(1) - t * t) * T(kGeluTanhBeta) * (T(1) + T(3 * kGeluTanhKappa) * x2);
    return g * (left + right);
  }
};
/// log(sigmoid(x)) = min(x, 0) - log(1 + exp(-|x|)): no overflow for either sign.
struct LogSigmoid : Floating {
  static constexpr const char* name = "log_sigmoid";
  template <typename T>
  EMBER_HD T operator()(T x) const {
    const auto negative = x < T(0);
    const T ax = pick(negative, -x, x);
    return pick(negative, x, T(0)) - log1p_of(exp_of(-ax));
  }
};
/// d/dx log(sigmoid(x)) = sigmoid(-x), written with exp(-|x|) so it never overflows.
struct LogSigmoidGrad : Floating {
  static constexpr const char* name = "log_sigmoid_backward";
  template <typename T>
  EMBER_HD T operator()(T g, T x) const {
    const auto negative = x < T(0);
    const T z = exp_of(pick(negative, x, -x));
    return g * pick(negative, T(1) - z / (T(1) + z), z / (T(1) + z));
  }
};

#undef EMBER_UNARY_FN
#undef EMBER_BINARY_FN
}  // namespace fn

/// The functors with a 16-lane float32 body (see "activations" above): X(Functor) for each.
/// src/cpu/pointwise_avx512.cpp instantiates the vector loops for these, tests/test_vecmath.cpp
/// checks each body against its scalar formula bit for bit.
#define EMBER_VEC16_UNARY(X) \
  X(Exp)                     \
  X(Sigmoid)                 \
  X(Tanh)                    \
  X(Erf)                     \
  X(Silu)                    \
  X(Mish)                    \
  X(Elu)                     \
  X(Softplus)                \
  X(Gelu)                    \
  X(GeluTanh)                \
  X(LogSigmoid)              \
  X(LeakyRelu)               \
  X(Hardswish)
#define EMBER_VEC16_BINARY(X) \
  X(SiluGrad)                 \
  X(MishGrad)                 \
  X(EluGrad)                  \
  X(SoftplusGrad)             \
  X(GeluGrad)                 \
  X(GeluTanhGrad)             \
  X(LogSigmoidGrad)           \
  X(LeakyReluGrad)            \
  X(HardswishGrad)

/// Whether functor F has a 16-lane float32 body (is named in EMBER_VEC16_UNARY / _BINARY).
template <typename F>
struct has_vec16 : std::false_type {};
#define EMBER_HAS_VEC16(F) \
  template <>              \
  struct has_vec16<fn::F> : std::true_type {};
EMBER_VEC16_UNARY(EMBER_HAS_VEC16)
EMBER_VEC16_BINARY(EMBER_HAS_VEC16)
#undef EMBER_HAS_VEC16

inline bool is_comparison(BinaryOp op) {
  return op == BinaryOp::Eq || op == BinaryOp::Ne || op == BinaryOp::Lt || op == BinaryOp::Le || op == BinaryOp::Gt ||
         op == BinaryOp::Ge;
}
inline bool is_logical(BinaryOp op) {
  return op == BinaryOp::LogicalAnd || op == BinaryOp::LogicalOr || op == BinaryOp::LogicalXor;
}
/// The ops whose kernel writes bool whatever it reads: comparisons and logical ops.
inline bool returns_bool(BinaryOp op) { return is_comparison(op) || is_logical(op); }

// The activations' cases, written once for both dispatchers: each forward functor (a UnaryOp)
// and its backward (the BinaryOp of the same name + Grad) read the same parameters, so a list
// kept twice could only drift apart. Suffix is empty for the forwards, Grad for the backwards.
#define EMBER_ACTIVATION_CASES(Op, Suffix)                                 \
  case Op::Silu##Suffix: return f(fn::Silu##Suffix{});                     \
  case Op::Mish##Suffix: return f(fn::Mish##Suffix{});                     \
  case Op::LeakyRelu##Suffix: return f(fn::LeakyRelu##Suffix{{}, p.a});    \
  case Op::Elu##Suffix: return f(fn::Elu##Suffix{{}, p.a, p.b, p.c});      \
  case Op::Softplus##Suffix: return f(fn::Softplus##Suffix{{}, p.a, p.b}); \
  case Op::Hardtanh##Suffix: return f(fn::Hardtanh##Suffix{{}, p.a, p.b}); \
  case Op::Hardswish##Suffix: return f(fn::Hardswish##Suffix{});           \
  case Op::Hardsigmoid##Suffix: return f(fn::Hardsigmoid##Suffix{});       \
  case Op::Gelu##Suffix: return f(fn::Gelu##Suffix{});                     \
  case Op::GeluTanh##Suffix: return f(fn::GeluTanh##Suffix{});             \
  case Op::LogSigmoid##Suffix: return f(fn::LogSigmoid##Suffix{})

template <typename F>
decltype(auto) dispatch_unary(UnaryOp op, const PointwiseParams& p, F&& f) {
  switch (op) {
    EMBER_ACTIVATION_CASES(UnaryOp, );  // Silu ... LogSigmoid
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
    case UnaryOp::Floor: return f(fn::Floor{});
    case UnaryOp::Ceil: return f(fn::Ceil{});
    case UnaryOp::Round: return f(fn::Round{});
    case UnaryOp::Trunc: return f(fn::Trunc{});
    case UnaryOp::Frac: return f(fn::Frac{});
    case UnaryOp::Reciprocal: return f(fn::Reciprocal{});
    case UnaryOp::Rsqrt: return f(fn::Rsqrt{});
    case UnaryOp::Log2: return f(fn::Log2{});
    case UnaryOp::Log10: return f(fn::Log10{});
    case UnaryOp::Exp2: return f(fn::Exp2{});
    case UnaryOp::Sin: return f(fn::Sin{});
    case UnaryOp::Cos: return f(fn::Cos{});
    case UnaryOp::BitwiseNot: return f(fn::BitwiseNot{});
    case UnaryOp::Tan: return f(fn::Tan{});
    case UnaryOp::Asin: return f(fn::Asin{});
    case UnaryOp::Acos: return f(fn::Acos{});
    case UnaryOp::Atan: return f(fn::Atan{});
    case UnaryOp::Sinh: return f(fn::Sinh{});
    case UnaryOp::Cosh: return f(fn::Cosh{});
    case UnaryOp::Asinh: return f(fn::Asinh{});
    case UnaryOp::Acosh: return f(fn::Acosh{});
    case UnaryOp::Atanh: return f(fn::Atanh{});
    case UnaryOp::Log1p: return f(fn::Log1p{});
    case UnaryOp::Expm1: return f(fn::Expm1{});
  }
  throw Error(detail::str("dispatch_unary: unknown op #", int(op)));
}

template <typename F>
decltype(auto) dispatch_binary(BinaryOp op, const PointwiseParams& p, F&& f) {
  switch (op) {
    EMBER_ACTIVATION_CASES(BinaryOp, Grad);  // SiluGrad ... LogSigmoidGrad
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
    case BinaryOp::Fmod: return f(fn::Fmod{});
    case BinaryOp::Remainder: return f(fn::Remainder{});
    case BinaryOp::LogicalAnd: return f(fn::LogicalAnd{});
    case BinaryOp::LogicalOr: return f(fn::LogicalOr{});
    case BinaryOp::LogicalXor: return f(fn::LogicalXor{});
    case BinaryOp::BitwiseAnd: return f(fn::BitwiseAnd{});
    case BinaryOp::BitwiseOr: return f(fn::BitwiseOr{});
    case BinaryOp::BitwiseXor: return f(fn::BitwiseXor{});
    case BinaryOp::Atan2: return f(fn::Atan2{});
    case BinaryOp::DivTrunc: return f(fn::DivTrunc{});
    case BinaryOp::DivFloor: return f(fn::DivFloor{});
  }
  throw Error(detail::str("dispatch_binary: unknown op #", int(op)));
}
#undef EMBER_ACTIVATION_CASES

// --- scalar rules of the fused ops ----------------------------------------------------------------
// The per-element arithmetic of the fused kernels (cross entropy, SGD) exists once, here, and the
// CPU loops and CUDA kernels call it, so both devices compute the same formula in the same order.

/// Correctly rounded multiply and add with no contraction into an FMA: nvcc contracts a * b + c
/// into one fused multiply-add by default (-fmad=true), which rounds once where the CPU rounds
/// twice. The _rn intrinsics are never contracted. On the host ember compiles with
/// -ffp-contract=off (CMakeLists.txt), so plain operators round each step there too.
enum class RoundedOp { Mul, Add };
/// One rule for both operations (Op is a compile-time constant: each ?: folds away).
template <RoundedOp Op, typename T>
EMBER_HD T rounded(T a, T b) {
#if defined(__CUDA_ARCH__)
  if constexpr (std::is_same<T, float>::value) return Op == RoundedOp::Mul ? __fmul_rn(a, b) : __fadd_rn(a, b);
  else return Op == RoundedOp::Mul ? __dmul_rn(a, b) : __dadd_rn(a, b);
#else
  return Op == RoundedOp::Mul ? a * b : a + b;
#endif
}
template <typename T>
EMBER_HD T mul_rn(T a, T b) {
  return rounded<RoundedOp::Mul>(a, b);
}
template <typename T>
EMBER_HD T add_rn(T a, T b) {
  return rounded<RoundedOp::Add>(a, b);
}

/// SGD's hyper-parameters in the parameters' dtype, as the element rule reads them.
template <typename T>
struct SgdScalars {
  T neg_lr, momentum, keep, weight_decay;  // keep = 1 - dampening
  bool nesterov, use_momentum, use_weight_decay;

  static SgdScalars make(double lr, double momentum, double dampening, double weight_decay, bool nesterov) {
    return SgdScalars{T(-lr),   T(momentum),   T(1 - dampening), T(weight_decay),
                      nesterov, momentum != 0, weight_decay != 0};
  }
};

/// One element of PyTorch's SGD step (Backend::sgd_step, src/backend.h), each operation of
/// PyTorch's separate kernels rounded on its own:
///   d = g + wd * p;  b = first ? d : buf * m + (1 - dampening) * d;  d = nesterov ? d + m * b : b
/// Writes b to *buf (only with momentum) and returns the new parameter p + (-lr) * d.
template <typename T>
EMBER_HD T sgd_update(T p, T g, T* buf, bool first, const SgdScalars<T>& h) {
  T d = g;
  if (h.use_weight_decay) d = add_rn(d, mul_rn(h.weight_decay, p));
  if (h.use_momentum) {
    const T b = first ? d : add_rn(mul_rn(*buf, h.momentum), mul_rn(h.keep, d));
    *buf = b;
    d = h.nesterov ? add_rn(d, mul_rn(h.momentum, b)) : b;
  }
  return add_rn(p, mul_rn(h.neg_lr, d));
}

/// What a cross-entropy row does with its class index t. The front half checks every target
/// (src/ops/loss.cpp) and raises an Error on both devices, so kernels see Bad only inside a CUDA
/// graph capture, where the host cannot read targets: the row is then poisoned with NaN rather
/// than read out of bounds (docs/architecture.md, "bad targets").
enum class TargetKind { Class, Ignored, Bad };
EMBER_HD TargetKind target_kind(int64_t t, int64_t classes, int64_t ignore_index) {
  if (t == ignore_index) return TargetKind::Ignored;
  return t < 0 || t >= classes ? TargetKind::Bad : TargetKind::Class;
}

/// The label-smoothed negative log-likelihood of one row (PyTorch's rule), in double:
///   -(1 - eps) logp[t] - eps / C * sum_j logp[j]
/// row_sum is sum_j logp[j], summed by the caller (a serial loop on the CPU, a warp on CUDA) and
/// read only when eps > 0: with eps == 0 a -inf elsewhere in the row must not turn 0 * -inf into
/// NaN.
EMBER_HD double smoothed_nll(double logp_target, double row_sum, double eps, int64_t classes) {
  double loss = -(1.0 - eps) * logp_target;
  if (eps > 0) loss -= eps / double(classes) * row_sum;
  return loss;
}

/// The gradient of the label-smoothed cross entropy with respect to the logits, per element:
/// scale * (softmax_j - q_j), with softmax_j = exp(logp_j) and the smoothed one-hot
/// q_j = on (j == target) or off (elsewhere).
template <typename T>
struct SmoothedOneHot {
  T on, off;
  static SmoothedOneHot make(double eps, int64_t classes) {
    return SmoothedOneHot{T(1.0 - eps + eps / double(classes)), T(eps / double(classes))};
  }
  EMBER_HD T grad(T logp, bool is_target, T scale) const { return scale * (fn::exp_of(logp) - (is_target ? on : off)); }
};

/// True for a functor that says what it is: a name and a dtype rule (see namespace fn).
template <typename F, typename = void>
struct describes_itself : std::false_type {};
template <typename F>
struct describes_itself<F, std::void_t<decltype(F::name), decltype(F::template defined_for<float>())>>
    : std::true_type {};

/// The one guard both backends run a pointwise kernel behind: run(f) when functor F is defined
/// for T, else an Error that names the op (F::name), the dtype and the backend entry. Kernels for
/// undefined pairs are never instantiated. Every functor dispatch_unary / dispatch_binary yields
/// passes through here, so one without a name or a dtype rule stops the build.
template <typename T, typename F, typename Run>
void if_defined_for(const char* entry, ScalarType t, const F& f, Run&& run) {
  static_assert(describes_itself<F>::value,
                "a pointwise functor needs `static constexpr const char* name` and a dtype rule (derive it "
                "from fn::AnyDtype, fn::Numeric or fn::Floating)");
  if constexpr (F::template defined_for<T>()) {
    run(f);
  } else {
    throw Error(detail::str(entry, ": ", F::name, " is not defined for ", t,
                            " tensors here (the front half should promote them: bool to int64 for "
                            "arithmetic, integers to floating point for ",
                            F::name, ")"));
  }
}

/// The whole dispatch of a pointwise backend entry, written once for both backends: the dtype
/// (dispatch_all), the functor (dispatch_unary / dispatch_binary) and the guard (if_defined_for).
/// run(tag, f) gets the dtype as a TypeTag and the functor; it is instantiated only for the
/// (dtype, functor) pairs the functor is defined for.
template <typename Run>
void dispatch_pointwise(UnaryOp op, ScalarType t, const PointwiseParams& p, const char* entry, Run&& run) {
  dispatch_all(t, entry, [&](auto tag) {
    dispatch_unary(op, p, [&](auto f) {
      if_defined_for<typename decltype(tag)::type>(entry, t, f, [&](auto g) { run(tag, g); });
    });
  });
}
template <typename Run>
void dispatch_pointwise(BinaryOp op, ScalarType t, const PointwiseParams& p, const char* entry, Run&& run) {
  dispatch_all(t, entry, [&](auto tag) {
    dispatch_binary(op, p, [&](auto f) {
      if_defined_for<typename decltype(tag)::type>(entry, t, f, [&](auto g) { run(tag, g); });
    });
  });
}

}  // namespace ember
