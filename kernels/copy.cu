// Device-side copy (with a dtype cast, between any strided views of one shape) and fill.
//
// A same-dtype copy of two contiguous tensors is one cudaMemcpyAsync, and filling a contiguous
// tensor with zero bits is one cudaMemsetAsync; everything else runs the shared elementwise
// launcher (common.cuh), whose coalescing turns most layouts into a flat loop. Casts are
// fn::cast_to (src/functors.h), as on the CPU.
#include <cstring>

#include "common.cuh"
#include "cuda/cuda_backend.h"
#include "dtype_dispatch.h"
#include "functors.h"

namespace ember {
namespace cuda_kernels {
namespace {

/// D(x): the cast of copy between dtypes.
template <typename D>
struct CastTo {
  template <typename S>
  __device__ __forceinline__ D operator()(S x) const {
    return fn::cast_to<D>(x);
  }
};

/// The fill value, for a map with no inputs.
template <typename T>
struct Constant {
  T value;
  __device__ __forceinline__ T operator()() const { return value; }
};

__global__ void probe_kernel() {}

template <typename T>
bool all_zero_bits(T v) {
  unsigned char bytes[sizeof(T)];
  std::memcpy(bytes, &v, sizeof(T));
  for (unsigned char b : bytes)
    if (b != 0) return false;
  return true;
}

}  // namespace
}  // namespace cuda_kernels

namespace cuda_detail {
cudaError_t probe_kernel_image() {
  cudaFuncAttributes attr;
  return cudaFuncGetAttributes(&attr, cuda_kernels::probe_kernel);
}
}  // namespace cuda_detail

void CudaBackend::copy(const Tensor& dst, const Tensor& src) {
  using namespace cuda_kernels;
  if (dst.numel() == 0) return;
  if (dst.dtype() == src.dtype() && dst.is_contiguous() && src.is_contiguous()) {
    if (dst.data_ptr() == src.data_ptr()) return;
    EMBER_CUDA_CHECK(
        cudaMemcpyAsync(dst.data_ptr(), src.data_ptr(), dst.nbytes(), cudaMemcpyDeviceToDevice, current_stream()));
    return;
  }
  dispatch_storage(dst.dtype(), "copy", [&](auto dtag) {
    using D = typename decltype(dtag)::type;
    dispatch_storage(src.dtype(), "copy", [&](auto stag) {
      using S = typename decltype(stag)::type;
      launch_elementwise<2>(map_op<D, S>(CastTo<D>{}, dst, {&src}), {&dst, &src});
    });
  });
}

void CudaBackend::fill(const Tensor& out, const Scalar& value) {
  using namespace cuda_kernels;
  if (out.numel() == 0) return;
  dispatch_storage(out.dtype(), "fill", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T v = value.to<T>();
    if (out.is_contiguous() && all_zero_bits(v)) {
      EMBER_CUDA_CHECK(cudaMemsetAsync(out.data_ptr(), 0, out.nbytes(), current_stream()));
      return;
    }
    launch_elementwise<1>(map_op<T>(Constant<T>{v}, out, {}), {&out});
  });
}

}  // namespace ember
