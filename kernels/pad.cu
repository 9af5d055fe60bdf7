// F::pad (constant, reflect, replicate, circular) forward and backward. The index rule is the
// host's (src/pad_geometry.h), shared with the CPU kernel (src/cpu/pad.cpp).
//
// Forward: one thread per output element copies its source, or the constant.
// Backward, two kernels:
//  - scatter (the default): grad_in is zeroed, then one thread per OUTPUT element adds its
//    gradient at its source with atomicAdd. Reflect, replicate and circular copy one input into
//    several outputs, so the order of those additions may vary from run to run.
//  - per plane (deterministic mode, ember::is_deterministic(); docs/determinism.md): one thread
//    per plane zeroes it and adds the gradients in output order, exactly the CPU's loop, so the
//    bits match the CPU's.
#include "common.cuh"
#include "cuda/cuda_backend.h"
#include "dtype_dispatch.h"
#include "ember/determinism.h"

namespace ember {
namespace cuda_kernels {
namespace {

// out: (planes, D', H', W');  in: (planes, D, H, W).
template <typename T>
__global__ void __launch_bounds__(kBlockSize)
    pad_forward_kernel(T* __restrict__ out, const T* __restrict__ in, PadGeometry g, T value, int64_t total) {
  const int64_t in_plane = g.in_plane(), out_plane = g.out_plane();
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(blockDim.x) * gridDim.x) {
    const int64_t at = pad_source_in_plane(i % out_plane, g);
    out[i] = at >= 0 ? in[(i / out_plane) * in_plane + at] : value;
  }
}

// grad_in: (planes, D, H, W), zeroed before;  grad_out: (planes, D', H', W').
template <typename T>
__global__ void __launch_bounds__(kBlockSize)
    pad_backward_scatter_kernel(T* __restrict__ grad_in, const T* __restrict__ grad_out, PadGeometry g, int64_t total) {
  const int64_t in_plane = g.in_plane(), out_plane = g.out_plane();
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(blockDim.x) * gridDim.x) {
    const int64_t at = pad_source_in_plane(i % out_plane, g);
    if (at >= 0) atomicAdd(grad_in + (i / out_plane) * in_plane + at, grad_out[i]);
  }
}

// As above, one thread per plane, every element of grad_in written.
template <typename T>
__global__ void __launch_bounds__(kBlockSize)
    pad_backward_plane_kernel(T* __restrict__ grad_in, const T* __restrict__ grad_out, PadGeometry g) {
  const int64_t in_plane = g.in_plane(), out_plane = g.out_plane();
  for (int64_t pl = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; pl < g.planes;
       pl += int64_t(blockDim.x) * gridDim.x) {
    T* dst = grad_in + pl * in_plane;
    const T* src = grad_out + pl * out_plane;
    for (int64_t j = 0; j < in_plane; ++j) dst[j] = T(0);
    for (int64_t o = 0; o < out_plane; ++o) {
      const int64_t at = pad_source_in_plane(o, g);
      if (at >= 0) dst[at] += src[o];
    }
  }
}

}  // namespace
}  // namespace cuda_kernels

void CudaBackend::pad_forward(const Tensor& out, const Tensor& in, const PadGeometry& g, double value) {
  using namespace cuda_kernels;
  const int64_t total = out.numel();
  if (total == 0) return;
  dispatch_storage(in.dtype(), "pad", [&](auto tag) {
    using T = typename decltype(tag)::type;
    pad_forward_kernel<T><<<grid_for(total), kBlockSize, 0, current_stream()>>>(out.data_ptr<T>(), in.data_ptr<T>(), g,
                                                                                static_cast<T>(value), total);
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

void CudaBackend::pad_backward(const Tensor& grad_in, const Tensor& grad_out, const PadGeometry& g) {
  using namespace cuda_kernels;
  const int64_t total = grad_out.numel();
  if (grad_in.numel() == 0) return;
  dispatch_floating(grad_in.dtype(), "pad_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (is_deterministic()) {
      pad_backward_plane_kernel<T>
          <<<grid_for(g.planes), kBlockSize, 0, current_stream()>>>(grad_in.data_ptr<T>(), grad_out.data_ptr<T>(), g);
    } else {
      EMBER_CUDA_CHECK(cudaMemsetAsync(grad_in.data_ptr(), 0, size_t(grad_in.numel()) * element_size(grad_in.dtype()),
                                       current_stream()));
      if (total > 0)
        pad_backward_scatter_kernel<T><<<grid_for(total), kBlockSize, 0, current_stream()>>>(
            grad_in.data_ptr<T>(), grad_out.data_ptr<T>(), g, total);
    }
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

}  // namespace ember
