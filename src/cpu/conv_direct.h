#pragma once
// The direct float convolution for "same"-shaped stride-1 convolutions (ResNet's 3x3 pad 1) and
// their stride-2 "halving" kin (ResNet's downsampling 3x3 pad 1 and 1x1 shortcuts): forward and
// weight gradient without im2col. conv.cpp runs the stride-1 input gradient as a forward
// (backward_input_as_forward) and takes im2col + GEMM for stride 2's input and weight gradients
// (measured as fast). conv_direct_kernels.h says how; it is compiled twice, for AVX-512
// (conv_direct_avx512.cpp, 16-float vectors) and for AVX2 + FMA (conv_direct_avx2.cpp, 8-float
// vectors), and conv_direct.cpp picks the widest the CPU has at run time.
#include <cstdint>

#include "../conv_geometry.h"
#include "ember/export.h"

namespace ember {
namespace cpu {

/// The vector instruction sets the direct convolution has a path for.
enum class SimdIsa { avx2, avx512 };

/// Whether this CPU (and OS) runs isa's path: AVX2 + FMA, or the AVX-512 subsets of
/// sgemm_avx512_available(). Computed once. Exported (like the *_with functions below) only so
/// that the tests can run each path against the im2col convolution.
EMBER_API bool simd_available(SimdIsa isa);

/// The geometry rule of the direct convolution, whatever the CPU: dilation 1, kernels up to 7x7,
/// a non-empty output plane, and either stride 1 with the output plane the input's size
/// (2 * padding = kernel - 1), or stride 2 with an odd kernel and 2 * padding = kernel - 1.
EMBER_API bool conv_direct_geometry(const ConvGeometry& g);

/// conv_direct_geometry(g) on a path this CPU has; stride 2 on the AVX2 path only, with output
/// rows of whole vectors (multiples of 8 floats).
EMBER_API bool conv_direct_path_applies(SimdIsa isa, const ConvGeometry& g);

/// conv_direct_path_applies on the widest path this CPU has.
bool conv_direct_applies(const ConvGeometry& g);

/// y = conv(x, w) + bias (bias may be null), on the widest path this CPU has; threads over
/// (image, output-channel block, pixel run). Precondition: conv_direct_applies(g).
void conv_direct_forward(const float* x, const float* w, const float* bias, float* y, const ConvGeometry& g);
/// grad_weight (Cout, C, KH, KW), written whole, of the same convolution, also without columns.
/// Precondition: conv_direct_applies(g).
void conv_direct_backward_weight(const float* x, const float* grad_out, float* grad_weight, const ConvGeometry& g);

/// The same on one given path. Precondition: conv_direct_path_applies(isa, g).
EMBER_API void conv_direct_forward_with(SimdIsa isa, const float* x, const float* w, const float* bias, float* y,
                                        const ConvGeometry& g);
EMBER_API void conv_direct_backward_weight_with(SimdIsa isa, const float* x, const float* grad_out, float* grad_weight,
                                                const ConvGeometry& g);

// Each path's entries (conv_direct_avx512.cpp, conv_direct_avx2.cpp).
void conv_direct_forward_avx512(const float* x, const float* w, const float* bias, float* y, const ConvGeometry& g);
void conv_direct_backward_weight_avx512(const float* x, const float* go, float* gw, const ConvGeometry& g);
void conv_direct_forward_avx2(const float* x, const float* w, const float* bias, float* y, const ConvGeometry& g);
void conv_direct_backward_weight_avx2(const float* x, const float* go, float* gw, const ConvGeometry& g);

}  // namespace cpu
}  // namespace ember
