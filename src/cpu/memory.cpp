// CPU memory: copies (with dtype casts between any strided views) and fill (allocation is in
// allocator.cpp). Copies take memcpy when nothing but bytes need to
// move; otherwise the shape is coalesced (size-1 dims dropped, neighbouring dims merged where
// both tensors step through them as one) and walked with an N-d counter, one tight innermost-dim
// loop per run (src/cpu/strided.h).
#include <omp.h>

#include <algorithm>
#include <cstring>

#include "../dtype_dispatch.h"
#include "../functors.h"
#include "cpu_backend.h"
#include "strided.h"

namespace ember {
namespace {

using strided::Geometry;
using strided::make_geometry;
using strided::parallel_chunks;
using strided::walk;

// fn::cast_to is the conversion rule of both backends (src/functors.h).
template <typename D, typename S>
void copy_cast(const Tensor& dst, const Tensor& src) {
  const auto g = make_geometry<2>({&dst, &src});
  D* d = static_cast<D*>(dst.data_ptr());
  const S* s = static_cast<const S*>(src.data_ptr());
  const int64_t sd = g.strides[0][g.ndim - 1], ss = g.strides[1][g.ndim - 1];
  parallel_chunks(g.numel, [&](int64_t begin, int64_t end) {
    walk(g, begin, end, [=](const int64_t* off, int64_t n) {
      D* pd = d + off[0];
      const S* ps = s + off[1];
      if (sd == 1 && ss == 1) {
        for (int64_t i = 0; i < n; ++i) pd[i] = fn::cast_to<D>(ps[i]);
      } else if (sd == 1 && ss == 0) {  // a broadcast source
        std::fill_n(pd, n, fn::cast_to<D>(*ps));
      } else {
        for (int64_t i = 0; i < n; ++i) pd[i * sd] = fn::cast_to<D>(ps[i * ss]);
      }
    });
  });
}

template <typename T>
void fill_value(const Tensor& out, const T v) {
  const auto g = make_geometry<1>({&out});
  T* p = static_cast<T*>(out.data_ptr());
  const int64_t so = g.strides[0][g.ndim - 1];
  parallel_chunks(g.numel, [&](int64_t begin, int64_t end) {
    walk(g, begin, end, [=](const int64_t* off, int64_t n) {
      T* po = p + off[0];
      if (so == 1) {
        std::fill_n(po, n, v);
      } else {
        for (int64_t i = 0; i < n; ++i) po[i * so] = v;
      }
    });
  });
}

}  // namespace

void CpuBackend::copy(const Tensor& dst, const Tensor& src) {
  if (dst.numel() == 0) return;
  if (dst.dtype() == src.dtype() && dst.is_contiguous() && src.is_contiguous()) {
    char* d = static_cast<char*>(dst.data_ptr());
    const char* s = static_cast<const char*>(src.data_ptr());
    if (d == s) return;
    const int64_t es = int64_t(dst.element_size());
    parallel_chunks(dst.numel(), [&](int64_t begin, int64_t end) {
      std::memcpy(d + begin * es, s + begin * es, size_t((end - begin) * es));
    });
    return;
  }
  dispatch_storage(dst.dtype(), "copy", [&](auto dtag) {
    using D = typename decltype(dtag)::type;
    dispatch_storage(src.dtype(), "copy", [&](auto stag) {
      using S = typename decltype(stag)::type;
      copy_cast<D, S>(dst, src);
    });
  });
}

void CpuBackend::copy_from_host(void* dst, const void* src, size_t nbytes) {
  if (nbytes != 0) std::memcpy(dst, src, nbytes);
}

void CpuBackend::copy_to_host(void* dst, const void* src, size_t nbytes) {
  if (nbytes != 0) std::memcpy(dst, src, nbytes);
}

void CpuBackend::fill(const Tensor& out, const Scalar& value) {
  if (out.numel() == 0) return;
  dispatch_storage(out.dtype(), "fill", [&](auto tag) {
    using T = typename decltype(tag)::type;
    fill_value<T>(out, value.to<T>());
  });
}

}  // namespace ember
