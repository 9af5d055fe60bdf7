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

/// The shape in the kernel's index type (int32_t or int64_t, signed: padded positions go
/// negative).
template <typename I>
struct ShapeI {
  I c, h, w, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw, nb;
  explicit ShapeI(const ConvGeometry& s, int64_t n)
      : c(I(s.c)),
        h(I(s.h)),
        w(I(s.w)),
        kh(I(s.kh)),
        kw(I(s.kw)),
        oh(I(s.oh)),
        ow(I(s.ow)),
        sh(I(s.sh)),
        sw(I(s.sw)),
        ph(I(s.ph)),
        pw(I(s.pw)),
        dh(I(s.dh)),
        dw(I(s.dw)),
        nb(I(n)) {}
};

// cols: (C*KH*KW, nb*OH*OW);  x: (nb, C, H, W).
template <typename T, typename I>
__global__ void __launch_bounds__(kBlockSize)
    im2col_kernel(const T* __restrict__ x, T* __restrict__ cols, ShapeI<I> s, int64_t total) {
  const I P = s.oh * s.ow, L = s.nb * P;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(blockDim.x) * gridDim.x) {
    const I idx = I(i);
    const I col = idx % L, r = idx / L;
    const I n = col / P, p = col % P;
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
  const I P = s.oh * s.ow, L = s.nb * P;
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
        acc += cols[((c * s.kh + ki) * s.kw + kj) * L + n * P + oh * s.ow + ow];
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

using cuda_kernels::fits32;
using cuda_kernels::grid_for;
using cuda_kernels::kBlockSize;

template <typename T>
void im2col(const T* x, T* cols, const ConvGeometry& s, int64_t nb) {
  const int64_t total = s.ckk() * nb * s.plane_out();
  if (total == 0) return;
  const int64_t input = nb * s.c * s.plane_in();
  const cudaStream_t stream = cuda_kernels::current_stream();
  if (fits32(total) && fits32(input))
    cuda_kernels::im2col_kernel<T, int32_t>
        <<<grid_for(total), kBlockSize, 0, stream>>>(x, cols, cuda_kernels::ShapeI<int32_t>(s, nb), total);
  else
    cuda_kernels::im2col_kernel<T, int64_t>
        <<<grid_for(total), kBlockSize, 0, stream>>>(x, cols, cuda_kernels::ShapeI<int64_t>(s, nb), total);
  EMBER_CUDA_LAUNCH_CHECK();
}

template <typename T>
void col2im(const T* cols, T* x, const ConvGeometry& s, int64_t nb) {
  const int64_t total = nb * s.c * s.plane_in();
  if (total == 0) return;
  const int64_t columns = s.ckk() * nb * s.plane_out();
  const cudaStream_t stream = cuda_kernels::current_stream();
  if (fits32(total) && fits32(columns))
    cuda_kernels::col2im_kernel<T, int32_t>
        <<<grid_for(total), kBlockSize, 0, stream>>>(cols, x, cuda_kernels::ShapeI<int32_t>(s, nb), total);
  else
    cuda_kernels::col2im_kernel<T, int64_t>
        <<<grid_for(total), kBlockSize, 0, stream>>>(cols, x, cuda_kernels::ShapeI<int64_t>(s, nb), total);
  EMBER_CUDA_LAUNCH_CHECK();
}

template <typename T>
void add_channel_bias(T* y, const T* bias, int64_t nb, int64_t c, int64_t p) {
  const int64_t total = nb * c * p;
  if (total == 0) return;
  const cudaStream_t stream = cuda_kernels::current_stream();
  if (fits32(total))
    cuda_kernels::add_channel_bias_kernel<T, int32_t>
        <<<grid_for(total), kBlockSize, 0, stream>>>(y, bias, int32_t(c), int32_t(p), total);
  else
    cuda_kernels::add_channel_bias_kernel<T, int64_t><<<grid_for(total), kBlockSize, 0, stream>>>(y, bias, c, p, total);
  EMBER_CUDA_LAUNCH_CHECK();
}

template <typename T>
void swap_batch_channel(const T* src, T* dst, int64_t nb, int64_t c, int64_t p) {
  const int64_t total = nb * c * p;
  if (total == 0) return;
  const cudaStream_t stream = cuda_kernels::current_stream();
  if (fits32(total))
    cuda_kernels::swap_batch_channel_kernel<T, int32_t>
        <<<grid_for(total), kBlockSize, 0, stream>>>(src, dst, int32_t(nb), int32_t(c), int32_t(p), total);
  else
    cuda_kernels::swap_batch_channel_kernel<T, int64_t>
        <<<grid_for(total), kBlockSize, 0, stream>>>(src, dst, nb, c, p, total);
  EMBER_CUDA_LAUNCH_CHECK();
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
