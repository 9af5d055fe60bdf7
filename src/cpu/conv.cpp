// CPU 2-D convolution (NCHW, groups = 1) as im2col + one large GEMM per chunk of the batch.
//
// The column buffer holds a whole chunk of images side by side: cols is (C*KH*KW, nb*OH*OW),
// so each pass is a single GEMM whose long dim is nb*OH*OW. A loop of per-image GEMMs (M = Cout,
// N = OH*OW) would leave OpenBLAS too little work per call to keep its threads busy; one big
// call is ~1.5-2x faster at the tutorial's shapes. The price is a reshuffle between the GEMM's
// (Cout, nb*P) layout and the tensors' (nb, Cout, P) layout, done by parallel copy loops below.
//
//   forward          tmp(Cout, L) = W(Cout, CKK) @ cols(CKK, L);   scatter tmp (+ bias) -> out
//   backward_input   gcols(CKK, L) = W^T @ gather(grad_out);       col2im gcols -> grad_in
//   backward_weight  gW(Cout, CKK) += gather(grad_out) @ cols^T
//
// Buffers are thread-local and only ever grow, so a training loop stops page-faulting after its
// first step. A chunk is capped at kScratchBudget bytes of buffers; bigger batches loop.
#include <cblas.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "../dtype_dispatch.h"
#include "cpu_backend.h"

namespace ember {
namespace {

constexpr size_t kScratchBudget = size_t(256) << 20;

// A growable, 64-byte aligned, uninitialised buffer (std::vector would zero it on every growth).
class Scratch {
 public:
  template <typename T>
  T* get(size_t count) {
    const size_t bytes = std::max<size_t>(count * sizeof(T), 64);
    if (bytes > capacity_) {
      const size_t rounded = (bytes + 63) / 64 * 64;
      void* p = std::aligned_alloc(64, rounded);
      EMBER_CHECK(p != nullptr, "conv2d: could not allocate ", rounded,
                  " bytes of CPU scratch memory for the im2col buffers");
      mem_.reset(p);
      capacity_ = rounded;
    }
    return static_cast<T*>(mem_.get());
  }

 private:
  struct Free {
    void operator()(void* p) const { std::free(p); }
  };
  std::unique_ptr<void, Free> mem_;
  size_t capacity_ = 0;
};

thread_local Scratch cols_scratch;  // (CKK, L) columns
thread_local Scratch mat_scratch;   // (Cout, L) GEMM output / gathered grad_out

struct Geometry {
  int64_t n, c, h, w;          // input
  int64_t cout, kh, kw;        // weight
  int64_t oh, ow;              // output
  int64_t sh, sw, ph, pw, dh, dw;
  int64_t ckk() const { return c * kh * kw; }
  int64_t plane_out() const { return oh * ow; }
  int64_t plane_in() const { return h * w; }
};

Geometry geometry(const Tensor& in, const Tensor& weight, const Tensor& out, const ConvParams& p) {
  return Geometry{in.size(0),     in.size(1),     in.size(2),     in.size(3),     weight.size(0),
                  weight.size(2), weight.size(3), out.size(2),    out.size(3),    p.stride[0],
                  p.stride[1],    p.padding[0],   p.padding[1],   p.dilation[0],  p.dilation[1]};
}

// Images per chunk, so that the buffers of one chunk (cols + one (Cout, L) matrix) fit the budget.
template <typename T>
int64_t chunk_images(const Geometry& g) {
  const size_t per_image = size_t(g.ckk() + g.cout) * size_t(g.plane_out()) * sizeof(T);
  const int64_t fit = per_image == 0 ? g.n : int64_t(kScratchBudget / per_image);
  return std::max<int64_t>(1, std::min<int64_t>(g.n, fit));
}

// The output columns [lo, hi) whose input column ow*sw + off falls inside [0, w): outside it the
// column reads zero padding.
inline void valid_range(int64_t off, int64_t stride, int64_t w, int64_t ow, int64_t& lo, int64_t& hi) {
  lo = off >= 0 ? 0 : (-off + stride - 1) / stride;
  hi = (w - 1 - off) < 0 ? 0 : (w - 1 - off) / stride + 1;
  lo = std::min(lo, ow);
  hi = std::max(lo, std::min(hi, ow));
}

// in: (nb, C, H, W) -> cols: (CKK, nb*P). One task per (row, image) pair writes a disjoint block.
template <typename T>
void im2col(const T* in, T* cols, const Geometry& g, int64_t nb) {
  const int64_t rows = g.ckk(), P = g.plane_out(), ld = nb * P, kk = g.kh * g.kw;
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t i = 0; i < nb; ++i) {
      const int64_t c = r / kk, ki = (r / g.kw) % g.kh, kj = r % g.kw;
      const int64_t off = kj * g.dw - g.pw;
      int64_t lo, hi;
      valid_range(off, g.sw, g.w, g.ow, lo, hi);
      const T* plane = in + (i * g.c + c) * g.plane_in();
      T* dst = cols + r * ld + i * P;
      for (int64_t oh = 0; oh < g.oh; ++oh, dst += g.ow) {
        const int64_t ih = oh * g.sh - g.ph + ki * g.dh;
        if (ih < 0 || ih >= g.h) {
          std::fill(dst, dst + g.ow, T(0));
          continue;
        }
        const T* src = plane + ih * g.w + off;  // src[ow * sw] is input column ow*sw + off
        std::fill(dst, dst + lo, T(0));
        if (g.sw == 1) {
          std::memcpy(dst + lo, src + lo, size_t(hi - lo) * sizeof(T));
        } else {
          for (int64_t x = lo; x < hi; ++x) dst[x] = src[x * g.sw];
        }
        std::fill(dst + hi, dst + g.ow, T(0));
      }
    }
  }
}

// cols: (CKK, nb*P) -> grad_in: (nb, C, H, W), summing overlapping windows. One task per input
// plane owns every write into it, so no atomics are needed.
template <typename T>
void col2im(const T* cols, T* out, const Geometry& g, int64_t nb) {
  const int64_t P = g.plane_out(), ld = nb * P;
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t i = 0; i < nb; ++i) {
    for (int64_t c = 0; c < g.c; ++c) {
      T* plane = out + (i * g.c + c) * g.plane_in();
      std::fill(plane, plane + g.plane_in(), T(0));
      for (int64_t ki = 0; ki < g.kh; ++ki) {
        for (int64_t kj = 0; kj < g.kw; ++kj) {
          const int64_t r = (c * g.kh + ki) * g.kw + kj;
          const int64_t off = kj * g.dw - g.pw;
          int64_t lo, hi;
          valid_range(off, g.sw, g.w, g.ow, lo, hi);
          const T* src = cols + r * ld + i * P;
          for (int64_t oh = 0; oh < g.oh; ++oh, src += g.ow) {
            const int64_t ih = oh * g.sh - g.ph + ki * g.dh;
            if (ih < 0 || ih >= g.h) continue;
            T* row = plane + ih * g.w + off;
            if (g.sw == 1) {
              for (int64_t x = lo; x < hi; ++x) row[x] += src[x];
            } else {
              for (int64_t x = lo; x < hi; ++x) row[x * g.sw] += src[x];
            }
          }
        }
      }
    }
  }
}

// tmp: (Cout, nb*P) -> out: (nb, Cout, P), adding bias[co] when given.
template <typename T>
void scatter_output(const T* tmp, T* out, const T* bias, int64_t nb, int64_t cout, int64_t P) {
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t i = 0; i < nb; ++i) {
    for (int64_t co = 0; co < cout; ++co) {
      const T* src = tmp + co * nb * P + i * P;
      T* dst = out + (i * cout + co) * P;
      const T b = bias ? bias[co] : T(0);
      for (int64_t x = 0; x < P; ++x) dst[x] = src[x] + b;
    }
  }
}

// grad_out: (nb, Cout, P) -> g: (Cout, nb*P).
template <typename T>
void gather_grad(const T* go, T* g, int64_t nb, int64_t cout, int64_t P) {
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t co = 0; co < cout; ++co)
    for (int64_t i = 0; i < nb; ++i)
      std::memcpy(g + co * nb * P + i * P, go + (i * cout + co) * P, size_t(P) * sizeof(T));
}

// Row-major GEMM; k == 0 is handled here because BLAS rejects a zero leading dimension.
void gemm_rm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int64_t m, int64_t n, int64_t k, const float* a,
             int64_t lda, const float* b, int64_t ldb, float beta, float* c) {
  if (k == 0) {
    if (beta == 0.f) std::fill(c, c + m * n, 0.f);
    return;
  }
  cblas_sgemm(CblasRowMajor, ta, tb, blasint(m), blasint(n), blasint(k), 1.f, a, blasint(lda), b,
              blasint(ldb), beta, c, blasint(n));
}
void gemm_rm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int64_t m, int64_t n, int64_t k, const double* a,
             int64_t lda, const double* b, int64_t ldb, double beta, double* c) {
  if (k == 0) {
    if (beta == 0.0) std::fill(c, c + m * n, 0.0);
    return;
  }
  cblas_dgemm(CblasRowMajor, ta, tb, blasint(m), blasint(n), blasint(k), 1.0, a, blasint(lda), b,
              blasint(ldb), beta, c, blasint(n));
}

template <typename T>
void forward_impl(const Tensor& out, const Tensor& in, const Tensor& weight, const Tensor& bias,
                  const Geometry& g) {
  const int64_t P = g.plane_out(), ckk = g.ckk();
  if (g.n == 0 || P == 0 || g.cout == 0) return;
  const T* x = in.data_ptr<T>();
  const T* w = weight.data_ptr<T>();
  const T* b = bias.defined() ? bias.data_ptr<T>() : nullptr;
  T* y = out.data_ptr<T>();
  const int64_t chunk = chunk_images<T>(g);
  for (int64_t n0 = 0; n0 < g.n; n0 += chunk) {
    const int64_t nb = std::min(chunk, g.n - n0), L = nb * P;
    T* cols = cols_scratch.get<T>(size_t(ckk * L));
    im2col(x + n0 * g.c * g.plane_in(), cols, g, nb);
    T* dst = y + n0 * g.cout * P;
    if (nb == 1) {  // a single image is already in (Cout, P) layout: no reshuffle
      gemm_rm(CblasNoTrans, CblasNoTrans, g.cout, L, ckk, w, ckk, cols, L, T(0), dst);
      if (b) scatter_output<T>(dst, dst, b, 1, g.cout, P);
    } else {
      T* tmp = mat_scratch.get<T>(size_t(g.cout * L));
      gemm_rm(CblasNoTrans, CblasNoTrans, g.cout, L, ckk, w, ckk, cols, L, T(0), tmp);
      scatter_output<T>(tmp, dst, b, nb, g.cout, P);
    }
  }
}

template <typename T>
void backward_input_impl(const Tensor& grad_in, const Tensor& grad_out, const Tensor& weight,
                         const Geometry& g) {
  const int64_t P = g.plane_out(), ckk = g.ckk();
  T* gi = grad_in.data_ptr<T>();
  if (g.n == 0 || g.c == 0) return;
  if (P == 0 || g.cout == 0) {  // no output touches the input
    std::fill(gi, gi + grad_in.numel(), T(0));
    return;
  }
  const T* go = grad_out.data_ptr<T>();
  const T* w = weight.data_ptr<T>();
  const int64_t chunk = chunk_images<T>(g);
  for (int64_t n0 = 0; n0 < g.n; n0 += chunk) {
    const int64_t nb = std::min(chunk, g.n - n0), L = nb * P;
    const T* src = go + n0 * g.cout * P;
    if (nb > 1) {
      T* gathered = mat_scratch.get<T>(size_t(g.cout * L));
      gather_grad(src, gathered, nb, g.cout, P);
      src = gathered;
    }
    T* cols = cols_scratch.get<T>(size_t(ckk * L));
    gemm_rm(CblasTrans, CblasNoTrans, ckk, L, g.cout, w, ckk, src, L, T(0), cols);
    col2im(cols, gi + n0 * g.c * g.plane_in(), g, nb);
  }
}

template <typename T>
void backward_weight_impl(const Tensor& grad_weight, const Tensor& grad_out, const Tensor& in,
                          const Geometry& g) {
  const int64_t P = g.plane_out(), ckk = g.ckk();
  T* gw = grad_weight.data_ptr<T>();
  if (g.cout == 0 || ckk == 0) return;
  if (g.n == 0 || P == 0) {
    std::fill(gw, gw + grad_weight.numel(), T(0));
    return;
  }
  const T* go = grad_out.data_ptr<T>();
  const T* x = in.data_ptr<T>();
  const int64_t chunk = chunk_images<T>(g);
  for (int64_t n0 = 0; n0 < g.n; n0 += chunk) {
    const int64_t nb = std::min(chunk, g.n - n0), L = nb * P;
    const T* src = go + n0 * g.cout * P;
    if (nb > 1) {
      T* gathered = mat_scratch.get<T>(size_t(g.cout * L));
      gather_grad(src, gathered, nb, g.cout, P);
      src = gathered;
    }
    T* cols = cols_scratch.get<T>(size_t(ckk * L));
    im2col(x + n0 * g.c * g.plane_in(), cols, g, nb);
    gemm_rm(CblasNoTrans, CblasTrans, g.cout, ckk, L, src, L, cols, L, n0 == 0 ? T(0) : T(1), gw);
  }
}

}  // namespace

void CpuBackend::conv2d_forward(const Tensor& out, const Tensor& in, const Tensor& weight,
                                const Tensor& bias, const ConvParams& p) {
  const Geometry g = geometry(in, weight, out, p);
  dispatch_floating(in.dtype(), "conv2d", [&](auto tag) {
    forward_impl<typename decltype(tag)::type>(out, in, weight, bias, g);
  });
}

void CpuBackend::conv2d_backward_input(const Tensor& grad_in, const Tensor& grad_out,
                                       const Tensor& weight, const ConvParams& p) {
  const Geometry g = geometry(grad_in, weight, grad_out, p);
  dispatch_floating(grad_in.dtype(), "conv2d_backward", [&](auto tag) {
    backward_input_impl<typename decltype(tag)::type>(grad_in, grad_out, weight, g);
  });
}

void CpuBackend::conv2d_backward_weight(const Tensor& grad_weight, const Tensor& grad_out,
                                        const Tensor& in, const ConvParams& p) {
  const Geometry g = geometry(in, grad_weight, grad_out, p);
  dispatch_floating(in.dtype(), "conv2d_backward", [&](auto tag) {
    backward_weight_impl<typename decltype(tag)::type>(grad_weight, grad_out, in, g);
  });
}

}  // namespace ember
