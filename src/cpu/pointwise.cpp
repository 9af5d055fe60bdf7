// CPU pointwise kernels: unary, binary, binary_scalar and where.
//
// Every formula lives once in functors.h; this file only walks memory. dispatch_unary /
// dispatch_binary pick the functor and dispatch_all the dtype once per call, so one templated
// loop runs per (op, dtype) with no per-element dispatch.
//
// Operands arrive as strided views already broadcast to out's shape (stride 0 on broadcast dims).
// Before looping, the shape is coalesced: size-1 dims are dropped and neighbouring dims merged
// wherever every operand steps through them as one, so a contiguous op becomes one flat loop the
// compiler vectorises, and bias-style broadcasts become runs with a constant operand. What is left
// is walked with an N-d index counter, one tight innermost-dim loop per run.
//
// Large ops are split into a fixed number of contiguous chunks for OpenMP threads. Each element
// is computed independently, so the result never depends on the thread count.
#include <omp.h>

#include <algorithm>
#include <array>
#include <type_traits>

#include "../dtype_dispatch.h"
#include "cpu_backend.h"

namespace ember {
namespace {

// A tensor has at most 63 dims of size > 1 (their product must fit int64), and size-1 dims are
// dropped, so this bounds every coalesced shape.
constexpr int kMaxDims = 64;
// Below this many elements the cost of waking threads outweighs the work.
constexpr int64_t kParallelMin = 32768;

/// The coalesced iteration space of N operands (operand 0 is the output).
template <int N>
struct Geometry {
  int ndim = 0;
  int64_t numel = 1;
  int64_t sizes[kMaxDims];
  int64_t strides[N][kMaxDims];
  int64_t inner_stride(int i) const { return strides[i][ndim - 1]; }
};

template <int N>
Geometry<N> make_geometry(const std::array<const Tensor*, N>& ops) {
  Geometry<N> g;
  IntArrayRef sizes = ops[0]->sizes();
  IntArrayRef strides[N];
  for (int i = 0; i < N; ++i) strides[i] = ops[i]->strides();
  for (size_t d = 0; d < sizes.size(); ++d) {
    const int64_t n = sizes[d];
    g.numel *= n;
    if (n == 1) continue;
    bool merge = g.ndim > 0;
    for (int i = 0; i < N && merge; ++i) merge = g.strides[i][g.ndim - 1] == strides[i][d] * n;
    if (merge) {
      g.sizes[g.ndim - 1] *= n;
      for (int i = 0; i < N; ++i) g.strides[i][g.ndim - 1] = strides[i][d];
    } else {
      g.sizes[g.ndim] = n;
      for (int i = 0; i < N; ++i) g.strides[i][g.ndim] = strides[i][d];
      ++g.ndim;
    }
  }
  if (g.ndim == 0) {  // a single element
    g.ndim = 1;
    g.sizes[0] = 1;
    for (int i = 0; i < N; ++i) g.strides[i][0] = 1;
  }
  return g;
}

/// Calls row(off, n) for each run of the innermost dim within elements [begin, end) of the
/// iteration space; off[i] is operand i's element offset at the start of the run.
template <int N, typename Row>
void walk(const Geometry<N>& g, int64_t begin, int64_t end, const Row& row) {
  const int last = g.ndim - 1;
  int64_t idx[kMaxDims];
  int64_t off[N] = {};
  int64_t rem = begin;
  for (int d = last; d >= 0; --d) {  // the only divisions: once per chunk
    idx[d] = rem % g.sizes[d];
    rem /= g.sizes[d];
    for (int i = 0; i < N; ++i) off[i] += idx[d] * g.strides[i][d];
  }
  const int64_t inner = g.sizes[last];
  while (begin < end) {
    const int64_t n = std::min(inner - idx[last], end - begin);
    row(off, n);
    begin += n;
    if (begin >= end) break;
    // The run ended at the end of the innermost dim: rewind it and carry outwards.
    for (int i = 0; i < N; ++i) off[i] -= idx[last] * g.strides[i][last];
    idx[last] = 0;
    for (int d = last - 1; d >= 0; --d) {
      ++idx[d];
      for (int i = 0; i < N; ++i) off[i] += g.strides[i][d];
      if (idx[d] < g.sizes[d]) break;
      for (int i = 0; i < N; ++i) off[i] -= g.sizes[d] * g.strides[i][d];
      idx[d] = 0;
    }
  }
}

/// Walks the whole space, in parallel chunks when it is large.
template <int N, typename Row>
void run(const Geometry<N>& g, const Row& row) {
  const int64_t numel = g.numel;
  const int threads = omp_get_max_threads();
  if (numel < kParallelMin || threads <= 1 || omp_in_parallel()) {
    walk(g, 0, numel, row);
    return;
  }
  const int64_t chunks = std::min<int64_t>(threads, (numel + kParallelMin - 1) / kParallelMin);
  const int64_t per = (numel + chunks - 1) / chunks;
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < chunks; ++c) {
    const int64_t b = c * per;
    walk(g, b, std::min(numel, b + per), row);
  }
}

template <typename T, typename... Fs>
constexpr bool is_one_of() {
  return (std::is_same<T, Fs>::value || ...);
}

/// Which functors make sense for a dtype. Front halves promote bool to int64 for arithmetic and
/// integers to floating point for transcendental ops and true division (as PyTorch does); this
/// guard turns a slip into an Error instead of garbage (or an integer division by zero, which
/// would kill the process).
template <typename T, typename F>
constexpr bool supported() {
  if (std::is_same<T, bool>::value)
    return is_one_of<F, fn::Identity, fn::Maximum, fn::Minimum, fn::Eq, fn::Ne, fn::Lt, fn::Le,
                     fn::Gt, fn::Ge>();
  if (std::is_same<T, int64_t>::value)
    return !is_one_of<F, fn::Exp, fn::Log, fn::Sqrt, fn::Sigmoid, fn::Tanh, fn::Div>();
  return true;
}

template <typename T>
const T* cdata(const Tensor& t) {
  return static_cast<const T*>(t.raw_data_ptr());
}
template <typename T>
T* mdata(const Tensor& t) {
  return static_cast<T*>(t.raw_data_ptr());
}

template <typename T, typename F>
void unary_loop(const F f, const Tensor& out, const Tensor& in) {
  const auto g = make_geometry<2>({&out, &in});
  T* o = mdata<T>(out);
  const T* x = cdata<T>(in);
  const int64_t so = g.inner_stride(0), sx = g.inner_stride(1);
  run(g, [=](const int64_t* off, int64_t n) {
    T* po = o + off[0];
    const T* px = x + off[1];
    if (so == 1 && sx == 1) {
      for (int64_t i = 0; i < n; ++i) po[i] = f(px[i]);
    } else if (so == 1 && sx == 0) {
      const T v = f(*px);
      for (int64_t i = 0; i < n; ++i) po[i] = v;
    } else {
      for (int64_t i = 0; i < n; ++i) po[i * so] = f(px[i * sx]);
    }
  });
}

/// out = f(a, b); R is bool for comparisons, T otherwise.
template <typename T, typename F>
void binary_loop(const F f, const Tensor& out, const Tensor& a, const Tensor& b) {
  using R = decltype(f(T(), T()));
  const auto g = make_geometry<3>({&out, &a, &b});
  R* o = mdata<R>(out);
  const T* x = cdata<T>(a);
  const T* y = cdata<T>(b);
  const int64_t so = g.inner_stride(0), sx = g.inner_stride(1), sy = g.inner_stride(2);
  run(g, [=](const int64_t* off, int64_t n) {
    R* po = o + off[0];
    const T* px = x + off[1];
    const T* py = y + off[2];
    if (so == 1 && sx == 1 && sy == 1) {
      for (int64_t i = 0; i < n; ++i) po[i] = f(px[i], py[i]);
    } else if (so == 1 && sx == 1 && sy == 0) {  // a row plus a broadcast value
      const T v = *py;
      for (int64_t i = 0; i < n; ++i) po[i] = f(px[i], v);
    } else if (so == 1 && sx == 0 && sy == 1) {
      const T v = *px;
      for (int64_t i = 0; i < n; ++i) po[i] = f(v, py[i]);
    } else {
      for (int64_t i = 0; i < n; ++i) po[i * so] = f(px[i * sx], py[i * sy]);
    }
  });
}

template <typename T, bool Reversed, typename F>
void scalar_loop(const F f, const Tensor& out, const Tensor& a, const T s) {
  using R = decltype(f(T(), T()));
  const auto g = make_geometry<2>({&out, &a});
  R* o = mdata<R>(out);
  const T* x = cdata<T>(a);
  const int64_t so = g.inner_stride(0), sx = g.inner_stride(1);
  auto apply = [=](T v) { return Reversed ? f(s, v) : f(v, s); };
  run(g, [=](const int64_t* off, int64_t n) {
    R* po = o + off[0];
    const T* px = x + off[1];
    if (so == 1 && sx == 1) {
      for (int64_t i = 0; i < n; ++i) po[i] = apply(px[i]);
    } else {
      for (int64_t i = 0; i < n; ++i) po[i * so] = apply(px[i * sx]);
    }
  });
}

template <typename T>
void where_loop(const Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b) {
  const auto g = make_geometry<4>({&out, &cond, &a, &b});
  T* o = mdata<T>(out);
  const bool* c = cdata<bool>(cond);
  const T* x = cdata<T>(a);
  const T* y = cdata<T>(b);
  const int64_t so = g.inner_stride(0), sc = g.inner_stride(1), sx = g.inner_stride(2),
                sy = g.inner_stride(3);
  run(g, [=](const int64_t* off, int64_t n) {
    T* po = o + off[0];
    const bool* pc = c + off[1];
    const T* px = x + off[2];
    const T* py = y + off[3];
    if (so == 1 && sc == 1 && sx == 1 && sy == 1) {
      for (int64_t i = 0; i < n; ++i) po[i] = pc[i] ? px[i] : py[i];
    } else {
      for (int64_t i = 0; i < n; ++i) po[i * so] = pc[i * sc] ? px[i * sx] : py[i * sy];
    }
  });
}

// Names for error messages only, in the order of the enums in functors.h.
const char* op_name(UnaryOp op) {
  static const char* const names[] = {"neg",  "exp",     "log",  "sqrt", "abs",   "sign",
                                      "relu", "sigmoid", "tanh", "pow",  "clamp", "identity"};
  return names[int(op)];
}
const char* op_name(BinaryOp op) {
  static const char* const names[] = {"add", "sub", "mul", "div", "pow", "maximum", "minimum",
                                      "eq",  "ne",  "lt",  "le",  "gt",  "ge",      "relu_grad"};
  return names[int(op)];
}

template <typename Op>
[[noreturn]] void unsupported(const char* entry, Op op, ScalarType t) {
  throw Error(detail::str(entry, ": ", op_name(op), " is not defined for ", t,
                          " tensors here (the front half should promote them: bool to int64 for "
                          "arithmetic, integers to floating point for ",
                          op_name(op), ")"));
}

}  // namespace

void CpuBackend::unary(UnaryOp op, const Tensor& out, const Tensor& in, const PointwiseParams& p) {
  if (out.numel() == 0) return;
  dispatch_all(in.dtype(), "unary", [&](auto tag) {
    using T = typename decltype(tag)::type;
    dispatch_unary(op, p, [&](auto f) {
      if constexpr (supported<T, decltype(f)>())
        unary_loop<T>(f, out, in);
      else
        unsupported("unary", op, in.dtype());
    });
  });
}

void CpuBackend::binary(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b,
                        const PointwiseParams& p) {
  if (out.numel() == 0) return;
  dispatch_all(a.dtype(), "binary", [&](auto tag) {
    using T = typename decltype(tag)::type;
    dispatch_binary(op, p, [&](auto f) {
      if constexpr (supported<T, decltype(f)>())
        binary_loop<T>(f, out, a, b);
      else
        unsupported("binary", op, a.dtype());
    });
  });
}

void CpuBackend::binary_scalar(BinaryOp op, const Tensor& out, const Tensor& a, double s,
                               bool reversed, const PointwiseParams& p) {
  if (out.numel() == 0) return;
  dispatch_all(a.dtype(), "binary_scalar", [&](auto tag) {
    using T = typename decltype(tag)::type;
    dispatch_binary(op, p, [&](auto f) {
      if constexpr (supported<T, decltype(f)>()) {
        if (reversed)
          scalar_loop<T, true>(f, out, a, T(s));
        else
          scalar_loop<T, false>(f, out, a, T(s));
      } else {
        unsupported("binary_scalar", op, a.dtype());
      }
    });
  });
}

void CpuBackend::where(const Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b) {
  if (out.numel() == 0) return;
  dispatch_all(out.dtype(), "where", [&](auto tag) {
    using T = typename decltype(tag)::type;
    where_loop<T>(out, cond, a, b);
  });
}

}  // namespace ember
