// CPU memory: allocation, copies (with dtype casts between any strided views) and fill.
//
// Memory is 64-byte aligned, a cache line and a full AVX-512 vector, so vector loads of a
// tensor's first element never straddle lines. Copies take memcpy when nothing but bytes need to
// move; otherwise the shape is coalesced (size-1 dims dropped, neighbouring dims merged where
// both tensors step through them as one) and walked with an N-d counter, one tight innermost-dim
// loop per run. This mirrors the walker in pointwise.cpp (a shared src/cpu header would let the
// two files use one copy of it).
#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "../dtype_dispatch.h"
#include "cpu_backend.h"

namespace ember {
namespace {

constexpr size_t kAlignment = 64;
constexpr int kMaxDims = 64;             // at most 63 dims of size > 1 fit an int64 numel
constexpr int64_t kParallelMin = 32768;  // elements; below this threads cost more than they save

/// The coalesced iteration space of dst (operand 0) and, for copies, src (operand 1).
template <int N>
struct Geometry {
  int ndim = 0;
  int64_t numel = 1;
  int64_t sizes[kMaxDims];
  int64_t strides[N][kMaxDims];
};

template <int N>
Geometry<N> make_geometry(const Tensor* const (&ops)[N]) {
  Geometry<N> g;
  IntArrayRef sizes = ops[0]->sizes();
  IntArrayRef strides[N];
  for (int i = 0; i < N; ++i) strides[i] = ops[i]->strides();
  for (size_t d = 0; d < sizes.size(); ++d) {
    const int64_t n = sizes[d];
    g.numel *= n;
    if (n == 1) continue;
    bool merge = g.ndim > 0;
    for (int i = 0; i < N && merge; ++i) merge = g.strides[i][g.ndim - 1] == strides[i][d] * n;
    if (merge) {
      g.sizes[g.ndim - 1] *= n;
      for (int i = 0; i < N; ++i) g.strides[i][g.ndim - 1] = strides[i][d];
    } else {
      g.sizes[g.ndim] = n;
      for (int i = 0; i < N; ++i) g.strides[i][g.ndim] = strides[i][d];
      ++g.ndim;
    }
  }
  if (g.ndim == 0) {
    g.ndim = 1;
    g.sizes[0] = 1;
    for (int i = 0; i < N; ++i) g.strides[i][0] = 1;
  }
  return g;
}

/// row(off, n) for each innermost-dim run inside elements [begin, end).
template <int N, typename Row>
void walk(const Geometry<N>& g, int64_t begin, int64_t end, const Row& row) {
  const int last = g.ndim - 1;
  int64_t idx[kMaxDims];
  int64_t off[N] = {};
  int64_t rem = begin;
  for (int d = last; d >= 0; --d) {
    idx[d] = rem % g.sizes[d];
    rem /= g.sizes[d];
    for (int i = 0; i < N; ++i) off[i] += idx[d] * g.strides[i][d];
  }
  const int64_t inner = g.sizes[last];
  while (begin < end) {
    const int64_t n = std::min(inner - idx[last], end - begin);
    row(off, n);
    begin += n;
    if (begin >= end) break;
    for (int i = 0; i < N; ++i) off[i] -= idx[last] * g.strides[i][last];
    idx[last] = 0;
    for (int d = last - 1; d >= 0; --d) {
      ++idx[d];
      for (int i = 0; i < N; ++i) off[i] += g.strides[i][d];
      if (idx[d] < g.sizes[d]) break;
      for (int i = 0; i < N; ++i) off[i] -= g.sizes[d] * g.strides[i][d];
      idx[d] = 0;
    }
  }
}

/// Splits [0, numel) into at most one chunk per thread (one chunk when small) and calls
/// body(begin, end) for each; chunks are disjoint, so results do not depend on the split.
template <typename Body>
void parallel_chunks(int64_t numel, const Body& body) {
  const int threads = omp_get_max_threads();
  if (numel < kParallelMin || threads <= 1 || omp_in_parallel()) {
    body(int64_t(0), numel);
    return;
  }
  const int64_t chunks = std::min<int64_t>(threads, (numel + kParallelMin - 1) / kParallelMin);
  const int64_t per = (numel + chunks - 1) / chunks;
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < chunks; ++c) body(c * per, std::min(numel, (c + 1) * per));
}

// static_cast gives PyTorch's conversions: to bool is "!= 0" (NaN -> true), float to integer
// truncates toward zero.
template <typename D, typename S>
void copy_cast(const Tensor& dst, const Tensor& src) {
  const Tensor* ops[2] = {&dst, &src};
  const auto g = make_geometry<2>(ops);
  D* d = static_cast<D*>(dst.raw_data_ptr());
  const S* s = static_cast<const S*>(src.raw_data_ptr());
  const int64_t sd = g.strides[0][g.ndim - 1], ss = g.strides[1][g.ndim - 1];
  parallel_chunks(g.numel, [&](int64_t begin, int64_t end) {
    walk(g, begin, end, [=](const int64_t* off, int64_t n) {
      D* pd = d + off[0];
      const S* ps = s + off[1];
      if (sd == 1 && ss == 1) {
        for (int64_t i = 0; i < n; ++i) pd[i] = static_cast<D>(ps[i]);
      } else if (sd == 1 && ss == 0) {  // a broadcast source
        std::fill_n(pd, n, static_cast<D>(*ps));
      } else {
        for (int64_t i = 0; i < n; ++i) pd[i * sd] = static_cast<D>(ps[i * ss]);
      }
    });
  });
}

template <typename T>
void fill_value(const Tensor& out, const T v) {
  const Tensor* ops[1] = {&out};
  const auto g = make_geometry<1>(ops);
  T* p = static_cast<T*>(out.raw_data_ptr());
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

std::shared_ptr<void> CpuBackend::allocate(size_t nbytes) {
  // aligned_alloc wants a multiple of the alignment; an empty tensor still gets a real (tiny)
  // block so that its data pointer is never null.
  const size_t rounded =
      nbytes == 0 ? kAlignment : (nbytes + kAlignment - 1) / kAlignment * kAlignment;
  void* p = rounded < nbytes ? nullptr : std::aligned_alloc(kAlignment, rounded);
  if (p == nullptr)
    throw OutOfMemoryError(detail::str("CPU: out of memory: tried to allocate ", nbytes, " bytes (",
                                       double(nbytes) / double(1 << 30), " GiB)"));
  return std::shared_ptr<void>(p, [](void* q) { std::free(q); });
}

void CpuBackend::copy(const Tensor& dst, const Tensor& src) {
  if (dst.numel() == 0) return;
  if (dst.dtype() == src.dtype() && dst.is_contiguous() && src.is_contiguous()) {
    char* d = static_cast<char*>(dst.raw_data_ptr());
    const char* s = static_cast<const char*>(src.raw_data_ptr());
    if (d == s) return;
    const int64_t es = int64_t(dst.element_size());
    parallel_chunks(dst.numel(), [&](int64_t begin, int64_t end) {
      std::memcpy(d + begin * es, s + begin * es, size_t((end - begin) * es));
    });
    return;
  }
  dispatch_all(dst.dtype(), "copy", [&](auto dtag) {
    using D = typename decltype(dtag)::type;
    dispatch_all(src.dtype(), "copy", [&](auto stag) {
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
  dispatch_all(out.dtype(), "fill", [&](auto tag) {
    using T = typename decltype(tag)::type;
    fill_value<T>(out, value.to<T>());
  });
}

}  // namespace ember
