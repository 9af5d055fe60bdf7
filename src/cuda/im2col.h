#pragma once
// Launchers of kernels/im2col.cu, the data movement of the convolution without cuDNN
// (conv.cpp): im2col, its adjoint col2im, the bias add, and the (N, C, P) -> (C, N, P) gather
// that lines grad_out up for the weight gradient's single GEMM. All queue work on the context
// stream; T is float or double.
//
// The column matrix of a chunk of nb images is (C*KH*KW, nb*OH*OW): row r = (c, ki, kj), column
// n*OH*OW + oh*OW + ow holds input pixel (n, c, oh*sh - ph + ki*dh, ow*sw - pw + kj*dw), 0 in
// the padding. Each image's OH*OW columns are side by side, so one GEMM covers the whole chunk.
#include <cstdint>

#include "conv_geometry.h"

namespace ember {
namespace cuda_detail {

// The shape is the front half's ConvGeometry (src/conv_geometry.h); n and cout are not read.

/// cols (C*KH*KW, nb*OH*OW) from x (nb, C, H, W).
template <typename T>
void im2col(const T* x, T* cols, const ConvGeometry& s, int64_t nb);

/// x (nb, C, H, W) = the sum of every column entry that im2col would have read from each input
/// element (overwrites x: one thread per input element gathers its contributions, no atomics).
template <typename T>
void col2im(const T* cols, T* x, const ConvGeometry& s, int64_t nb);

/// y (nb, C, P) += bias (C) broadcast over n and p.
template <typename T>
void add_channel_bias(T* y, const T* bias, int64_t nb, int64_t c, int64_t p);

/// dst (C, nb, P) = src (nb, C, P) transposed in its first two dims.
template <typename T>
void swap_batch_channel(const T* src, T* dst, int64_t nb, int64_t c, int64_t p);

}  // namespace cuda_detail
}  // namespace ember
