// The data movement of the convolution without cuDNN (src/cuda/conv.cpp; layout in
// src/cuda/im2col.h): im2col, col2im, the bias add and the batch/channel swap.
//
// Every kernel runs one thread per element of the array it WRITES, so writes are coalesced and
// there are no write conflicts: im2col writes the column matrix row by row, and col2im, the
// adjoint, gathers each input element's contributions instead of scattering columns into the
// image (a scatter would need atomics, since windows overlap, and would make the sum order, and
// so the float result, depend on scheduling). The gather visits (ki, kj) in increasing order,
// the order in which the CPU backend's col2im adds them.
//
// Indices are decoded with 32-bit divisions when every index fits in int32 (64-bit division
// costs several times more); the grid-stride loop counter is always 64-bit.
#include "common.cuh"
#include "cuda/im2col.h"

namespace ember {
namespace cuda_kernels {
namespace {

/// The shape of a chunk of nb images in the kernel's index type (int32_t or int64_t, signed:
/// padded positions go negative), converted from a ConvGeometry by shape_in. P = OH*OW and the
/// column matrix's row length L = nb*P are computed once here for both kernels.
template <typename I>
struct ShapeI {
  I c, h, w, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw, P, L;
};
template <typename I>
ShapeI<I> shape_in(const ConvGeometry& s, int64_t nb) {
  return {I(s.c),  I(s.h),  I(s.w),  I(s.kh),          I(s.kw),
          I(s.oh), I(s.ow), I(s.sh), I(s.sw),          I(s.ph),
          I(s.pw), I(s.dh), I(s.dw), I(s.plane_out()), I(nb * s.plane_out())};
}

// cols: (C*KH*KW, nb*OH*OW);  x: (nb, C, H, W).
template <typename T, typename I>
__global__ void __launch_bounds__(kBlockSize)
    im2col_kernel(const T* __restrict__ x, T* __restrict__ cols, ShapeI<I> s, int64_t total) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(blockDim.x) * gridDim.x) {
    const I idx = I(i);
    const I col = idx % s.L, r = idx / s.L;
    const I n = col / s.P, p = col % s.P;
    const I oh = p / s.ow, ow = p % s.ow;
    const I kj = r % s.kw, ki = (r / s.kw) % s.kh, c = r / (s.kw * s.kh);
    const I ih = oh * s.sh - s.ph + ki * s.dh, iw = ow * s.sw - s.pw + kj * s.dw;
    T v = T(0);
    if (ih >= 0 && ih < s.h && iw >= 0 && iw < s.w) v = x[((n * s.c + c) * s.h + ih) * s.w + iw];
    cols[idx] = v;
  }
}

// x: (nb, C, H, W), overwritten;  cols: (C*KH*KW, nb*OH*OW).
template <typename T, typename I>
__global__ void __launch_bounds__(kBlockSize)
    col2im_kernel(const T* __restrict__ cols, T* __restrict__ x, ShapeI<I> s, int64_t total) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(blockDim.x) * gridDim.x) {
    const I idx = I(i);
    const I iw = idx % s.w, ih = (idx / s.w) % s.h, c = (idx / (s.w * s.h)) % s.c, n = idx / (s.w * s.h * s.c);
    T acc = T(0);
    for (I ki = 0; ki < s.kh; ++ki) {
      const I th = ih + s.ph - ki * s.dh;  // = oh * sh for the output row whose tap ki lands here
      if (th < 0) break;                   // th only decreases with ki
      if (th % s.sh != 0) continue;
      const I oh = th / s.sh;
      if (oh >= s.oh) continue;
      for (I kj = 0; kj < s.kw; ++kj) {
        const I tw = iw + s.pw - kj * s.dw;
        if (tw < 0) break;
        if (tw % s.sw != 0) continue;
        const I ow = tw / s.sw;
        if (ow >= s.ow) continue;
        acc += cols[((c * s.kh + ki) * s.kw + kj) * s.L + n * s.P + oh * s.ow + ow];
      }
    }
    x[idx] = acc;
  }
}

// y: (nb, C, P);  bias: (C).
template <typename T, typename I>
__global__ void __launch_bounds__(kBlockSize)
    add_channel_bias_kernel(T* __restrict__ y, const T* __restrict__ bias, I c, I p, int64_t total) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(blockDim.x) * gridDim.x) {
    const I idx = I(i);
    y[idx] += bias[(idx / p) % c];
  }
}

// dst: (C, nb, P);  src: (nb, C, P).
template <typename T, typename I>
__global__ void __launch_bounds__(kBlockSize)
    swap_batch_channel_kernel(const T* __restrict__ src, T* __restrict__ dst, I nb, I c, I p, int64_t total) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(blockDim.x) * gridDim.x) {
    const I idx = I(i);
    const I q = idx % p, n = (idx / p) % nb, ch = idx / (p * nb);
    dst[idx] = src[(n * c + ch) * p + q];
  }
}

bool fits32(int64_t v) { return v <= int64_t(INT32_MAX); }

}  // namespace
}  // namespace cuda_kernels

namespace cuda_detail {

using cuda_kernels::kBlockSize;
using cuda_kernels::shape_in;

/// The launch all four share: one grid-stride thread per written element (`total` of them) on
/// the current stream, then the check. launch(I{}, grid, stream) issues the kernel with index
/// type I: int32_t when `total` and `largest` (the other array's size) fit, else int64_t.
template <typename Launch>
void launch_indexed(int64_t total, int64_t largest, Launch&& launch) {
  if (total == 0) return;
  const unsigned grid = cuda_kernels::grid_for(total);
  const cudaStream_t stream = cuda_kernels::current_stream();
  if (cuda_kernels::fits32(total) && cuda_kernels::fits32(largest)) launch(int32_t(), grid, stream);
  else launch(int64_t(), grid, stream);
  EMBER_CUDA_LAUNCH_CHECK();
}

template <typename T>
void im2col(const T* x, T* cols, const ConvGeometry& s, int64_t nb) {
  const int64_t total = s.ckk() * nb * s.plane_out();
  launch_indexed(total, nb * s.c * s.plane_in(), [&](auto index, unsigned grid, cudaStream_t stream) {
    using I = decltype(index);
    cuda_kernels::im2col_kernel<T, I><<<grid, kBlockSize, 0, stream>>>(x, cols, shape_in<I>(s, nb), total);
  });
}

template <typename T>
void col2im(const T* cols, T* x, const ConvGeometry& s, int64_t nb) {
  const int64_t total = nb * s.c * s.plane_in();
  launch_indexed(total, s.ckk() * nb * s.plane_out(), [&](auto index, unsigned grid, cudaStream_t stream) {
    using I = decltype(index);
    cuda_kernels::col2im_kernel<T, I><<<grid, kBlockSize, 0, stream>>>(cols, x, shape_in<I>(s, nb), total);
  });
}

// These two read and write arrays of `total` elements, so total alone decides the index type.
template <typename T>
void add_channel_bias(T* y, const T* bias, int64_t nb, int64_t c, int64_t p) {
  const int64_t total = nb * c * p;
  launch_indexed(total, total, [&](auto index, unsigned grid, cudaStream_t stream) {
    using I = decltype(index);
    cuda_kernels::add_channel_bias_kernel<T, I><<<grid, kBlockSize, 0, stream>>>(y, bias, I(c), I(p), total);
  });
}

template <typename T>
void swap_batch_channel(const T* src, T* dst, int64_t nb, int64_t c, int64_t p) {
  const int64_t total = nb * c * p;
  launch_indexed(total, total, [&](auto index, unsigned grid, cudaStream_t stream) {
    using I = decltype(index);
    cuda_kernels::swap_batch_channel_kernel<T, I><<<grid, kBlockSize, 0, stream>>>(src, dst, I(nb), I(c), I(p), total);
  });
}

#define EMBER_IM2COL_INSTANTIATE(T)                                           \
  template void im2col<T>(const T*, T*, const ConvGeometry&, int64_t);        \
  template void col2im<T>(const T*, T*, const ConvGeometry&, int64_t);        \
  template void add_channel_bias<T>(T*, const T*, int64_t, int64_t, int64_t); \
  template void swap_batch_channel<T>(const T*, T*, int64_t, int64_t, int64_t);
EMBER_IM2COL_INSTANTIATE(float)
EMBER_IM2COL_INSTANTIATE(double)
#undef EMBER_IM2COL_INSTANTIATE

}  // namespace cuda_detail
}  // namespace ember
