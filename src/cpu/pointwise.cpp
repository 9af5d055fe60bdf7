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
//
// Contiguous float32 runs of the functors with a vector body (has_vec16, src/functors.h) go 16
// lanes at a time through pointwise_avx512.cpp on CPUs with AVX-512; the scalar functor does the
// last n % 16 of each run. The vector transcendentals differ from libm's by a few ulp
// (src/cpu/vecmath_avx512.h), so which elements take which path must not depend on the thread
// count: strided::run cuts runs only at multiples of 16 from their start, so the groups of 16
// and the remainder are the same for any split. A float32 result depends on the CPU (AVX-512 or
// not) and on the operands' strides, never on the thread count.
#include <omp.h>

#include <algorithm>
#include <array>
#include <type_traits>

#include "../dtype_dispatch.h"
#include "cpu_backend.h"
#include "pointwise_vec16.h"
#include "strided.h"

namespace ember {
namespace {

using strided::Geometry;
using strided::make_geometry;
using strided::run;
using strided::walk;

template <typename T>
const T* cdata(const Tensor& t) {
  return static_cast<const T*>(t.data_ptr());
}
template <typename T>
T* mdata(const Tensor& t) {
  return static_cast<T*>(t.data_ptr());
}

/// Whether (T, F) has the 16-lane body pointwise_avx512.cpp defines.
template <typename T, typename F>
constexpr bool vec16_body() {
  return std::is_same<T, float>::value && has_vec16<F>::value;
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
      int64_t i = 0;
      if constexpr (vec16_body<T, F>()) {
        if (cpu::vec16_available()) i = cpu::vec16_unary(f, po, px, n);
      }
      for (; i < n; ++i) po[i] = f(px[i]);
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
      int64_t i = 0;
      if constexpr (vec16_body<T, F>()) {
        if (cpu::vec16_available()) i = cpu::vec16_binary(f, po, px, py, n);
      }
      for (; i < n; ++i) po[i] = f(px[i], py[i]);
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
  const int64_t so = g.inner_stride(0), sc = g.inner_stride(1), sx = g.inner_stride(2), sy = g.inner_stride(3);
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

}  // namespace

void CpuBackend::unary(UnaryOp op, const Tensor& out, const Tensor& in, const PointwiseParams& p) {
  if (out.numel() == 0) return;
  dispatch_pointwise(op, in.dtype(), p, "unary",
                     [&](auto tag, auto f) { unary_loop<typename decltype(tag)::type>(f, out, in); });
}

void CpuBackend::binary(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b, const PointwiseParams& p) {
  if (out.numel() == 0) return;
  dispatch_pointwise(op, a.dtype(), p, "binary",
                     [&](auto tag, auto f) { binary_loop<typename decltype(tag)::type>(f, out, a, b); });
}

void CpuBackend::binary_scalar(BinaryOp op, const Tensor& out, const Tensor& a, double s, bool reversed,
                               const PointwiseParams& p) {
  if (out.numel() == 0) return;
  dispatch_pointwise(op, a.dtype(), p, "binary_scalar", [&](auto tag, auto f) {
    using T = typename decltype(tag)::type;
    if (reversed) scalar_loop<T, true>(f, out, a, T(s));
    else scalar_loop<T, false>(f, out, a, T(s));
  });
}

void CpuBackend::where(const Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b) {
  if (out.numel() == 0) return;
  dispatch_storage(out.dtype(), "where", [&](auto tag) {
    using T = typename decltype(tag)::type;
    where_loop<T>(out, cond, a, b);
  });
}

}  // namespace ember
