// Pointwise kernels: unary, binary, binary_scalar and where.
//
// The formulas are the functors of src/functors.h (one definition for CPU and GPU); this file
// only moves data. dispatch_all picks the dtype and dispatch_unary / dispatch_binary the functor
// once per call, so each (dtype, functor) pair is one instantiation of the shared elementwise
// launcher (common.cuh): a flat grid-stride loop when every operand is contiguous (the common
// case once the shape is coalesced), the strided offset-calculator loop otherwise (broadcast
// operands arrive with stride 0).
#include "common.cuh"
#include "cuda/cuda_backend.h"
#include "dtype_dispatch.h"

namespace ember {
namespace cuda_kernels {
namespace {

/// out = f(in); operands (out, in).
template <typename R, typename T, typename F>
struct UnaryOp {
  F f;
  R* out;
  const T* in;
  template <typename I>
  __device__ __forceinline__ void operator()(const I (&off)[2]) const {
    out[off[0]] = f(in[off[1]]);
  }
  void shift(const int64_t (&b)[2]) {
    out += b[0];
    in += b[1];
  }
};

/// out = f(a, b); operands (out, a, b). R is bool for comparisons.
template <typename R, typename T, typename F>
struct BinaryOp {
  F f;
  R* out;
  const T* a;
  const T* b;
  template <typename I>
  __device__ __forceinline__ void operator()(const I (&off)[3]) const {
    out[off[0]] = f(a[off[1]], b[off[2]]);
  }
  void shift(const int64_t (&s)[3]) {
    out += s[0];
    a += s[1];
    b += s[2];
  }
};

/// out = f(a, s), or f(s, a) when reversed (uniform across the launch, so the branch is free).
template <typename R, typename T, typename F>
struct ScalarOp {
  F f;
  R* out;
  const T* a;
  T s;
  bool reversed;
  template <typename I>
  __device__ __forceinline__ void operator()(const I (&off)[2]) const {
    const T x = a[off[1]];
    out[off[0]] = reversed ? f(s, x) : f(x, s);
  }
  void shift(const int64_t (&b)[2]) {
    out += b[0];
    a += b[1];
  }
};

/// out = cond ? a : b; operands (out, cond, a, b).
template <typename T>
struct WhereOp {
  T* out;
  const bool* cond;
  const T* a;
  const T* b;
  template <typename I>
  __device__ __forceinline__ void operator()(const I (&off)[4]) const {
    out[off[0]] = cond[off[1]] ? a[off[2]] : b[off[3]];
  }
  void shift(const int64_t (&s)[4]) {
    out += s[0];
    cond += s[1];
    a += s[2];
    b += s[3];
  }
};

template <typename T>
const T* cdata(const Tensor& t) { return static_cast<const T*>(t.data_ptr()); }
template <typename T>
T* mdata(const Tensor& t) { return static_cast<T*>(t.data_ptr()); }

}  // namespace
}  // namespace cuda_kernels

void CudaBackend::unary(UnaryOp op, const Tensor& out, const Tensor& in, const PointwiseParams& p) {
  using namespace cuda_kernels;
  if (out.numel() == 0) return;
  dispatch_all(in.dtype(), "unary", [&](auto tag) {
    using T = typename decltype(tag)::type;
    dispatch_unary(op, p, [&](auto f) {
      if_defined_for<T>("unary", in.dtype(), f, [&](auto g) {
        using F = decltype(g);
        launch_elementwise<2>(cuda_kernels::UnaryOp<T, T, F>{g, mdata<T>(out), cdata<T>(in)}, {&out, &in});
      });
    });
  });
}

void CudaBackend::binary(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b,
                         const PointwiseParams& p) {
  using namespace cuda_kernels;
  if (out.numel() == 0) return;
  dispatch_all(a.dtype(), "binary", [&](auto tag) {
    using T = typename decltype(tag)::type;
    dispatch_binary(op, p, [&](auto f) {
      if_defined_for<T>("binary", a.dtype(), f, [&](auto g) {
        using F = decltype(g);
        using R = decltype(g(T(), T()));
        launch_elementwise<3>(cuda_kernels::BinaryOp<R, T, F>{g, mdata<R>(out), cdata<T>(a), cdata<T>(b)},
                              {&out, &a, &b});
      });
    });
  });
}

void CudaBackend::binary_scalar(BinaryOp op, const Tensor& out, const Tensor& a, double s, bool reversed,
                                const PointwiseParams& p) {
  using namespace cuda_kernels;
  if (out.numel() == 0) return;
  dispatch_all(a.dtype(), "binary_scalar", [&](auto tag) {
    using T = typename decltype(tag)::type;
    dispatch_binary(op, p, [&](auto f) {
      if_defined_for<T>("binary_scalar", a.dtype(), f, [&](auto g) {
        using F = decltype(g);
        using R = decltype(g(T(), T()));
        launch_elementwise<2>(ScalarOp<R, T, F>{g, mdata<R>(out), cdata<T>(a), T(s), reversed}, {&out, &a});
      });
    });
  });
}

void CudaBackend::where(const Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b) {
  using namespace cuda_kernels;
  if (out.numel() == 0) return;
  dispatch_all(out.dtype(), "where", [&](auto tag) {
    using T = typename decltype(tag)::type;
    launch_elementwise<4>(WhereOp<T>{mdata<T>(out), cdata<bool>(cond), cdata<T>(a), cdata<T>(b)},
                          {&out, &cond, &a, &b});
  });
}

}  // namespace ember
