// Pointwise kernels: unary, binary, binary_scalar and where.
//
// The formulas are the functors of src/functors.h (one definition for CPU and GPU); this file
// only moves data. dispatch_all picks the dtype and dispatch_unary / dispatch_binary the functor
// once per call, so each (dtype, functor) pair is one instantiation of the shared elementwise
// launcher (common.cuh) over one MapOp: a flat grid-stride loop when every operand is contiguous (the common
// case once the shape is coalesced), the strided offset-calculator loop otherwise (broadcast
// operands arrive with stride 0).
#include "common.cuh"
#include "cuda/cuda_backend.h"
#include "dtype_dispatch.h"

namespace ember {
namespace cuda_kernels {
namespace {

/// f(x, s), or f(s, x) when reversed (uniform across the launch, so the branch is free).
template <typename F, typename T>
struct BindScalar {
  F f;
  T s;
  bool reversed;
  __device__ __forceinline__ auto operator()(T x) const { return reversed ? f(s, x) : f(x, s); }
};

/// cond ? a : b.
struct Select {
  template <typename T>
  __device__ __forceinline__ T operator()(bool cond, T a, T b) const {
    return cond ? a : b;
  }
};

}  // namespace
}  // namespace cuda_kernels

void CudaBackend::unary(UnaryOp op, const Tensor& out, const Tensor& in, const PointwiseParams& p) {
  using namespace cuda_kernels;
  if (out.numel() == 0) return;
  dispatch_pointwise(op, in.dtype(), p, "unary", [&](auto tag, auto f) {
    using T = typename decltype(tag)::type;
    launch_elementwise<2>(map_op<T, T>(f, out, {&in}), {&out, &in});
  });
}

void CudaBackend::binary(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b, const PointwiseParams& p) {
  using namespace cuda_kernels;
  if (out.numel() == 0) return;
  dispatch_pointwise(op, a.dtype(), p, "binary", [&](auto tag, auto f) {
    using T = typename decltype(tag)::type;
    using R = decltype(f(T(), T()));  // bool for comparisons
    launch_elementwise<3>(map_op<R, T, T>(f, out, {&a, &b}), {&out, &a, &b});
  });
}

void CudaBackend::binary_scalar(BinaryOp op, const Tensor& out, const Tensor& a, double s, bool reversed,
                                const PointwiseParams& p) {
  using namespace cuda_kernels;
  if (out.numel() == 0) return;
  dispatch_pointwise(op, a.dtype(), p, "binary_scalar", [&](auto tag, auto f) {
    using T = typename decltype(tag)::type;
    using R = decltype(f(T(), T()));
    const BindScalar<decltype(f), T> bound{f, T(s), reversed};
    launch_elementwise<2>(map_op<R, T>(bound, out, {&a}), {&out, &a});
  });
}

void CudaBackend::where(const Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b) {
  using namespace cuda_kernels;
  if (out.numel() == 0) return;
  dispatch_storage(out.dtype(), "where", [&](auto tag) {
    using T = typename decltype(tag)::type;
    launch_elementwise<4>(map_op<T, bool, T, T>(Select{}, out, {&cond, &a, &b}), {&out, &cond, &a, &b});
  });
}

}  // namespace ember
