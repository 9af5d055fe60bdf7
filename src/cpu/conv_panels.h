#pragma once
// conv2d's im2col with AVX-512. For the forward, the columns of a unit of images are written
// straight into the GEMM's packed-B panels (sgemm.h's layout) rather than as a (C*KH*KW, L)
// matrix that the GEMM would then copy into panels; the product reads them with
// sgemm_avx512_packed_b. On the tutorial's conv 32->16 3x3 the separate im2col (memcpy of each
// 32-column run) and packing passes took 60% of the forward's time, the product itself 30%; the
// forward is now twice as fast. Each run of up to 32 output columns is two vector loads and
// stores per kernel tap, masked only at padding and ragged ends.
#include <cstdint>

#include "../conv_geometry.h"

namespace ember {
namespace cpu {

/// Columns of `nb` images (each `image_stride` floats apart, starting at x), output pixels
/// [p0, p1) of each, side by side: column q is image q / (p1 - p0), pixel p0 + q % (p1 - p0).
/// Writes ceil(L / 32) panels of C*KH*KW rows (L = nb * (p1 - p0)), zero past L. The panels
/// must be 64-byte aligned. Precondition: sgemm_avx512_available().
void im2col_panels(const float* x, int64_t image_stride, int64_t nb, int64_t p0, int64_t p1, const ConvGeometry& g,
                   float* panels);

}  // namespace cpu
}  // namespace ember
