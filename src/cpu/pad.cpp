// CPU F::pad: forward gathers each output element from its source (src/pad_geometry.h), backward
// scatters each output gradient back onto its source. Planes are the unit of parallel work, so
// the scatter is race-free and adds in output order (the order the CUDA deterministic kernel
// follows too).
#include <algorithm>

#include "../dtype_dispatch.h"
#include "cpu_backend.h"

namespace ember {
namespace {

template <typename T>
void pad_forward_impl(const Tensor& out, const Tensor& in, const PadGeometry& g, T value) {
  const int64_t in_plane = g.in_plane(), out_plane = g.out_plane();
  const T* x = in.data_ptr<T>();
  T* y = out.data_ptr<T>();
#pragma omp parallel for num_threads(get_num_threads()) schedule(static) if (g.planes * out_plane > 8192)
  for (int64_t plane = 0; plane < g.planes; ++plane) {
    const T* src = x + plane * in_plane;
    T* dst = y + plane * out_plane;
    for (int64_t o = 0; o < out_plane; ++o) {
      const int64_t at = pad_source_in_plane(o, g);
      dst[o] = at >= 0 ? src[at] : value;
    }
  }
}

template <typename T>
void pad_backward_impl(const Tensor& grad_in, const Tensor& grad_out, const PadGeometry& g) {
  const int64_t in_plane = g.in_plane(), out_plane = g.out_plane();
  T* gi = grad_in.data_ptr<T>();
  const T* go = grad_out.data_ptr<T>();
#pragma omp parallel for num_threads(get_num_threads()) schedule(static) if (g.planes * out_plane > 8192)
  for (int64_t plane = 0; plane < g.planes; ++plane) {
    T* dst = gi + plane * in_plane;
    const T* src = go + plane * out_plane;
    std::fill(dst, dst + in_plane, T(0));
    for (int64_t o = 0; o < out_plane; ++o) {
      const int64_t at = pad_source_in_plane(o, g);
      if (at >= 0) dst[at] += src[o];
    }
  }
}

}  // namespace

void CpuBackend::pad_forward(const Tensor& out, const Tensor& in, const PadGeometry& g, double value) {
  dispatch_storage(in.dtype(), "pad", [&](auto tag) {
    using T = typename decltype(tag)::type;
    pad_forward_impl<T>(out, in, g, static_cast<T>(value));
  });
}

void CpuBackend::pad_backward(const Tensor& grad_in, const Tensor& grad_out, const PadGeometry& g) {
  dispatch_floating(grad_in.dtype(), "pad_backward",
                    [&](auto tag) { pad_backward_impl<typename decltype(tag)::type>(grad_in, grad_out, g); });
}

}  // namespace ember
