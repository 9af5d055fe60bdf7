// CPU 2-D convolution (NCHW, groups = 1) as im2col + GEMM.
//
// The batch is cut into units of several whole images (or, for one huge image, a block of its
// output pixels). A unit's columns sit side by side: cols is (C*KH*KW, nb*OH*OW), so each unit
// is ONE GEMM whose long dim is nb*OH*OW, not nb small per-image GEMMs:
//
//   forward          tmp(Cout, L) = W(Cout, CKK) @ cols(CKK, L);   tmp (+ bias) -> out (nb, Cout, P)
//   backward_input   gcols(CKK, L) = W^T @ grad_out(Cout, L);      col2im gcols -> grad_in
//                    (with stride 1: a forward convolution of grad_out instead, see
//                    backward_input_as_forward)
//   backward_weight  gW(Cout, CKK) += grad_out(Cout, L) @ cols^T
//
// float32 on AVX-512: the forward's columns are written straight into the GEMM's packed panels
// (conv_panels.h), not as a cols matrix that the GEMM would copy into panels again.
//
// Threading: each OpenMP thread takes a contiguous share of the units and runs im2col, a serial
// GEMM (cpu::blas_gemm) and the reshuffle on them. Units are sized (kUnitBytes) so the columns a
// thread just wrote are still in its L2 cache when the GEMM reads them; measured on 2 cores this
// beats one whole-batch GEMM threaded by OpenBLAS, whose pthreads fight the OpenMP team for the cores
// (see src/threads.cpp) and whose 20-100 MB column buffer round-trips through DRAM.
//
// Buffers are thread-local and only ever grow (to about kUnitBytes), so a training loop does
// not page-fault after its first step.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <type_traits>
#include <vector>

#include <omp.h>

#include "../dtype_dispatch.h"
#include "blas.h"
#include "conv_direct.h"
#include "conv_panels.h"
#include "cpu_backend.h"
#include "sgemm.h"

namespace ember {
namespace {

// Bytes of buffers (columns + one (Cout, L) matrix) per unit of work: small enough that a
// unit's im2col output is still in the core's L2 cache when its GEMM reads it.
constexpr size_t kUnitBytes = size_t(1) << 20;

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

// The front half's geometry (src/conv_geometry.h); every kernel below reads it.
using Geometry = ConvGeometry;

// The output columns [lo, hi) whose input column ow*sw + off falls inside [0, w): outside it the
// column reads zero padding.
inline void valid_range(int64_t off, int64_t stride, int64_t w, int64_t ow, int64_t& lo, int64_t& hi) {
  lo = off >= 0 ? 0 : (-off + stride - 1) / stride;
  hi = (w - 1 - off) < 0 ? 0 : (w - 1 - off) / stride + 1;
  lo = std::min(lo, ow);
  hi = std::max(lo, std::min(hi, ow));
}

// Calls f(oh, ow0, ow1, col) for each output row touched by the pixel range [p0, p1), where
// [ow0, ow1) is the part of row oh inside the range and col its first column in the block.
template <typename F>
inline void for_each_row(const Geometry& g, int64_t p0, int64_t p1, F&& f) {
  for (int64_t oh = p0 / g.ow; oh * g.ow < p1; ++oh) {
    const int64_t ow0 = std::max<int64_t>(p0 - oh * g.ow, 0), ow1 = std::min(g.ow, p1 - oh * g.ow);
    f(oh, ow0, ow1, oh * g.ow + ow0 - p0);
  }
}

// One image's pixels [p0, p1) -> cols[r * ld + (p - p0)] for every row r = (c, ki, kj).
template <typename T>
void im2col(const T* image, T* cols, int64_t ld, const Geometry& g, int64_t p0, int64_t p1) {
  for (int64_t c = 0; c < g.c; ++c) {
    const T* plane = image + c * g.plane_in();
    for (int64_t ki = 0; ki < g.kh; ++ki) {
      for (int64_t kj = 0; kj < g.kw; ++kj) {
        T* dst = cols + ((c * g.kh + ki) * g.kw + kj) * ld;
        const int64_t off = kj * g.dw - g.pw;
        int64_t lo, hi;
        valid_range(off, g.sw, g.w, g.ow, lo, hi);
        for_each_row(g, p0, p1, [&](int64_t oh, int64_t ow0, int64_t ow1, int64_t col) {
          T* d = dst + col - ow0;  // d[ow] is output column ow of this row
          const int64_t ih = oh * g.sh - g.ph + ki * g.dh;
          if (ih < 0 || ih >= g.h) {
            std::fill(d + ow0, d + ow1, T(0));
            return;
          }
          const int64_t a = std::max(lo, ow0), b = std::max(a, std::min(hi, ow1));
          const T* src = plane + ih * g.w + off;  // src[ow * sw] is input column ow*sw + off
          std::fill(d + ow0, d + a, T(0));
          if (g.sw == 1) {
            std::memcpy(d + a, src + a, size_t(b - a) * sizeof(T));
          } else {
            for (int64_t x = a; x < b; ++x) d[x] = src[x * g.sw];
          }
          std::fill(d + b, d + ow1, T(0));
        });
      }
    }
  }
}

// The adjoint: adds cols (laid out as in im2col) into one image's planes.
template <typename T>
void col2im(const T* cols, int64_t ld, T* image, const Geometry& g, int64_t p0, int64_t p1) {
  for (int64_t c = 0; c < g.c; ++c) {
    T* plane = image + c * g.plane_in();
    for (int64_t ki = 0; ki < g.kh; ++ki) {
      for (int64_t kj = 0; kj < g.kw; ++kj) {
        const T* src_row = cols + ((c * g.kh + ki) * g.kw + kj) * ld;
        const int64_t off = kj * g.dw - g.pw;
        int64_t lo, hi;
        valid_range(off, g.sw, g.w, g.ow, lo, hi);
        for_each_row(g, p0, p1, [&](int64_t oh, int64_t ow0, int64_t ow1, int64_t col) {
          const int64_t ih = oh * g.sh - g.ph + ki * g.dh;
          if (ih < 0 || ih >= g.h) return;
          const T* s = src_row + col - ow0;
          T* row = plane + ih * g.w + off;
          const int64_t a = std::max(lo, ow0), b = std::max(a, std::min(hi, ow1));
          if (g.sw == 1) {
            for (int64_t x = a; x < b; ++x) row[x] += s[x];
          } else {
            for (int64_t x = a; x < b; ++x) row[x * g.sw] += s[x];
          }
        });
      }
    }
  }
}

// A unit of work: images [n0, n0 + nb) whole (p0 = 0, p1 = P), or the pixels [p0, p1) of the
// single image n0 (nb = 1) when one image's buffers would exceed the budget.
struct Unit {
  int64_t n0, nb, p0, p1;
  int64_t cols() const { return nb * (p1 - p0); }
};

// Splits the batch into units and hands each thread a contiguous share of them: whole images
// are grouped up to `group` per unit, an image too big for one unit is cut into pixel blocks.
// split_pixels lets threads share one image's pixel blocks (fine for forward and weight
// gradient, whose units write disjoint outputs; not for the input gradient, whose windows
// overlap in the input).
class Plan {
 public:
  template <typename T>
  static Plan make(const Geometry& g, bool split_pixels) {
    Plan plan;
    plan.g_ = g;
    plan.split_pixels_ = split_pixels;
    const size_t per_pixel = size_t(g.ckk() + g.cout) * sizeof(T);
    const int64_t P = g.plane_out();
    const int64_t pixels = std::max<int64_t>(g.ow, int64_t(kUnitBytes / std::max<size_t>(per_pixel, 1)));
    plan.threads_ = omp_in_parallel() ? 1 : get_num_threads();
    // Worth threads at all? Tiny convolutions run faster on one thread than waking a team.
    if (double(g.n) * double(P) * double(g.ckk()) * double(g.cout) < 2e5) plan.threads_ = 1;
    if (P <= pixels) {
      plan.group_ = std::max<int64_t>(1, pixels / std::max<int64_t>(P, 1));
      plan.block_ = P;
    } else {
      plan.group_ = 1;
      plan.block_ = pixels;
    }
    // A batch smaller than the team: cut images into per-thread pixel blocks where allowed.
    if (split_pixels && g.n < plan.threads_ && plan.block_ == P && P >= 2 * g.ow)
      plan.block_ = std::max(g.ow, (P + plan.threads_ - 1) / plan.threads_);
    if (!split_pixels || plan.block_ == P) plan.threads_ = std::min<int64_t>(plan.threads_, std::max<int64_t>(g.n, 1));
    return plan;
  }

  int threads() const { return int(threads_); }

  // Runs f(unit) over thread t's share, in order.
  template <typename F>
  void for_each_unit(int t, F&& f) const {
    const int64_t P = g_.plane_out(), blocks = (P + block_ - 1) / block_;
    if (blocks == 1) {  // whole images: split images evenly, then group them
      const int64_t i0 = g_.n * t / threads_, i1 = g_.n * (t + 1) / threads_;
      for (int64_t n = i0; n < i1; n += group_) f(Unit{n, std::min(group_, i1 - n), 0, P});
    } else {  // pixel blocks: split the (image, block) pairs evenly, or whole images' blocks
      const int64_t total = g_.n * blocks;
      int64_t u0 = total * t / threads_, u1 = total * (t + 1) / threads_;
      if (!split_pixels_) u0 = g_.n * t / threads_ * blocks, u1 = g_.n * (t + 1) / threads_ * blocks;
      for (int64_t u = u0; u < u1; ++u) {
        const int64_t p0 = (u % blocks) * block_;
        f(Unit{u / blocks, 1, p0, std::min(P, p0 + block_)});
      }
    }
  }

 private:
  Geometry g_{};
  int64_t threads_ = 1, group_ = 1, block_ = 1;
  bool split_pixels_ = false;
};

// The unit's columns as a row-major (ckk, L) matrix (row by row: sequential writes).
template <typename T>
void unit_im2col(const T* x, const Geometry& g, const Unit& u, T* cols) {
  const T* images = x + u.n0 * g.c * g.plane_in();
  const int64_t L = u.cols(), len = u.p1 - u.p0;
  for (int64_t i = 0; i < u.nb; ++i) im2col(images + i * g.c * g.plane_in(), cols + i * len, L, g, u.p0, u.p1);
}

template <typename F>
void run_plan(const Plan& plan, F&& per_thread) {
  if (plan.threads() <= 1) return per_thread(0);
#pragma omp parallel num_threads(plan.threads())
  per_thread(omp_get_thread_num());
}

template <typename T>
void forward_impl(const T* x, const T* w, const T* b, T* y, const Geometry& g) {
  const int64_t P = g.plane_out(), ckk = g.ckk();
  if (g.n == 0 || P == 0 || g.cout == 0) return;
  if constexpr (std::is_same_v<T, float>) {
    // "Same"-shaped stride-1 convolutions (ResNet's 3x3) and their stride-2 halving kin
    // (ResNet's downsampling and 1x1 shortcuts): no columns at all (conv_direct.h).
    if (cpu::conv_direct_applies(g)) return cpu::conv_direct_forward(x, w, b, y, g);
  }
  const Plan plan = Plan::make<T>(g, /*split_pixels=*/true);
  // float with AVX-512: the columns go straight into the GEMM's packed panels (conv_panels.h).
  const bool panels = std::is_same_v<T, float> && cpu::sgemm_avx512_available();
  // A unit's product: W (cout, ckk) @ its columns (ckk, L) -> c (cout, L), row stride ldc.
  auto product = [&](const Unit& u, T* c, int64_t ldc) {
    const int64_t L = u.cols();
    if constexpr (std::is_same_v<T, float>) {
      if (panels) {
        float* p =
            cols_scratch.get<float>(size_t(ckk * ((L + cpu::kSgemmPanel - 1) / cpu::kSgemmPanel) * cpu::kSgemmPanel));
        cpu::im2col_panels(x + u.n0 * g.c * g.plane_in(), g.c * g.plane_in(), u.nb, u.p0, u.p1, g, p);
        return cpu::sgemm_avx512_packed_b(g.cout, L, ckk, w, ckk, p, 0.f, c, ldc);
      }
    }
    T* cols = cols_scratch.get<T>(size_t(ckk * L));
    unit_im2col(x, g, u, cols);
    cpu::blas_gemm(CblasNoTrans, CblasNoTrans, g.cout, L, ckk, T(1), w, ckk, cols, L, T(0), c, ldc);
  };
  run_plan(plan, [&](int t) {
    plan.for_each_unit(t, [&](const Unit& u) {
      const int64_t L = u.cols(), len = u.p1 - u.p0;
      if (u.nb == 1) {  // one image (block) is already in (Cout, P) layout: write in place
        T* dst = y + u.n0 * g.cout * P + u.p0;
        product(u, dst, P);
        if (b)
          for (int64_t co = 0; co < g.cout; ++co)
            for (int64_t p = 0; p < len; ++p) dst[co * P + p] += b[co];
        return;
      }
      T* tmp = mat_scratch.get<T>(size_t(g.cout * L));
      product(u, tmp, L);
      for (int64_t i = 0; i < u.nb; ++i)  // (Cout, nb*P) -> (nb, Cout, P), adding the bias
        for (int64_t co = 0; co < g.cout; ++co) {
          const T* src = tmp + co * L + i * P;
          T* dst = y + ((u.n0 + i) * g.cout + co) * P;
          const T bv = b ? b[co] : T(0);
          for (int64_t p = 0; p < P; ++p) dst[p] = src[p] + bv;
        }
    });
  });
}

// grad_out's rows for a unit as one (Cout, L) matrix: a view for a single image, a gathered
// copy for a group.
template <typename T>
const T* unit_grad(const T* go, const Geometry& g, const Unit& u, int64_t& ld) {
  const int64_t P = g.plane_out(), L = u.cols();
  if (u.nb == 1) {
    ld = P;
    return go + u.n0 * g.cout * P + u.p0;
  }
  T* m = mat_scratch.get<T>(size_t(g.cout * L));
  for (int64_t co = 0; co < g.cout; ++co)
    for (int64_t i = 0; i < u.nb; ++i)
      std::memcpy(m + co * L + i * P, go + ((u.n0 + i) * g.cout + co) * P, size_t(P) * sizeof(T));
  ld = L;
  return m;
}

// With stride 1 the input gradient is itself a forward convolution: of grad_out, with the kernel
// flipped and its two channel dims swapped, padded by dilation * (kernel - 1) - padding. Run
// that way it takes the forward's path (on AVX-512, columns written straight into GEMM panels)
// and needs no col2im scatter: on the tutorial's conv 32->16 3x3 it is faster than
// W^T @ grad_out, a product with k = Cout = 16 that writes a column matrix 18 times the size of
// grad_out. Returns false where it does not apply (strides, padding wider than the kernel).
template <typename T>
bool backward_input_as_forward(T* gi, const T* go, const T* w, const Geometry& g) {
  const int64_t pad_h = g.dh * (g.kh - 1) - g.ph, pad_w = g.dw * (g.kw - 1) - g.pw;
  if (g.sh != 1 || g.sw != 1 || pad_h < 0 || pad_w < 0) return false;
  const int64_t taps = g.kh * g.kw;
  std::vector<T> flipped(size_t(g.c * g.cout * taps));  // [c][cout][kh][kw], taps reversed
  for (int64_t co = 0; co < g.cout; ++co)
    for (int64_t c = 0; c < g.c; ++c)
      for (int64_t k = 0; k < taps; ++k)
        flipped[size_t((c * g.cout + co) * taps + k)] = w[(co * g.c + c) * taps + (taps - 1 - k)];
  const Geometry t{g.n, g.cout, g.oh, g.ow, g.c, g.kh, g.kw, g.h, g.w, 1, 1, pad_h, pad_w, g.dh, g.dw};
  forward_impl<T>(go, flipped.data(), nullptr, gi, t);
  return true;
}

template <typename T>
void backward_input_impl(const Tensor& grad_in, const Tensor& grad_out, const Tensor& weight, const Geometry& g) {
  const int64_t P = g.plane_out(), ckk = g.ckk();
  T* gi = grad_in.data_ptr<T>();
  if (g.n == 0 || g.c == 0) return;
  if (P == 0 || g.cout == 0) {  // no output touches the input
    std::fill(gi, gi + grad_in.numel(), T(0));
    return;
  }
  const T* go = grad_out.data_ptr<T>();
  const T* w = weight.data_ptr<T>();
  if (backward_input_as_forward(gi, go, w, g)) return;
  const Plan plan = Plan::make<T>(g, /*split_pixels=*/false);
  run_plan(plan, [&](int t) {
    plan.for_each_unit(t, [&](const Unit& u) {
      const int64_t L = u.cols(), len = u.p1 - u.p0;
      int64_t ldg;
      const T* gmat = unit_grad(go, g, u, ldg);
      T* cols = cols_scratch.get<T>(size_t(ckk * L));
      cpu::blas_gemm(CblasTrans, CblasNoTrans, ckk, L, g.cout, T(1), w, ckk, gmat, ldg, T(0), cols, L);
      for (int64_t i = 0; i < u.nb; ++i) {
        T* image = gi + (u.n0 + i) * g.c * g.plane_in();
        if (u.p0 == 0) std::fill(image, image + g.c * g.plane_in(), T(0));  // first block of it
        col2im(cols + i * len, L, image, g, u.p0, u.p1);
      }
    });
  });
}

template <typename T>
void backward_weight_impl(const Tensor& grad_weight, const Tensor& grad_out, const Tensor& in, const Geometry& g) {
  const int64_t P = g.plane_out(), ckk = g.ckk(), wsize = g.cout * ckk;
  T* gw = grad_weight.data_ptr<T>();
  if (wsize == 0) return;
  if constexpr (std::is_same_v<T, float>) {
    // Stride 1 only: for the stride-2 convolutions the direct path also covers (conv_direct.h),
    // im2col + GEMM measured as fast or faster (ResNet-20's 32->64 3x3: 7.7-8.1 ms against
    // 9.0-10.9 ms, its 1x1 shortcuts 1.2-1.5 ms against 2.4-3.6 ms, batch 128, one thread).
    if (g.n > 0 && g.sh == 1 && cpu::conv_direct_applies(g))
      return cpu::conv_direct_backward_weight(in.data_ptr<float>(), grad_out.data_ptr<float>(), gw, g);
  }
  std::fill(gw, gw + wsize, T(0));
  if (g.n == 0 || P == 0) return;
  const T* go = grad_out.data_ptr<T>();
  const T* x = in.data_ptr<T>();
  const Plan plan = Plan::make<T>(g, /*split_pixels=*/true);
  // Thread 0 accumulates into grad_weight, the others into partial sums added at the end.
  std::vector<T> partial(size_t((plan.threads() - 1) * wsize), T(0));
  run_plan(plan, [&](int t) {
    T* acc = t == 0 ? gw : partial.data() + (t - 1) * wsize;
    plan.for_each_unit(t, [&](const Unit& u) {
      const int64_t L = u.cols();
      int64_t ldg;
      const T* gmat = unit_grad(go, g, u, ldg);
      T* cols = cols_scratch.get<T>(size_t(ckk * L));
      unit_im2col(x, g, u, cols);
      cpu::blas_gemm(CblasNoTrans, CblasTrans, g.cout, ckk, L, T(1), gmat, ldg, cols, L, T(1), acc, ckk);
    });
  });
  for (int t = 1; t < plan.threads(); ++t) {
    const T* part = partial.data() + (t - 1) * wsize;
    for (int64_t i = 0; i < wsize; ++i) gw[i] += part[i];
  }
}

}  // namespace

void CpuBackend::conv2d_forward(const Tensor& out, const Tensor& in, const Tensor& weight, const Tensor& bias,
                                const ConvGeometry& g) {
  dispatch_floating(in.dtype(), "conv2d", [&](auto tag) {
    using T = typename decltype(tag)::type;
    forward_impl<T>(in.data_ptr<T>(), weight.data_ptr<T>(), bias.defined() ? bias.data_ptr<T>() : nullptr,
                    out.data_ptr<T>(), g);
  });
}

void CpuBackend::conv2d_backward_input(const Tensor& grad_in, const Tensor& grad_out, const Tensor& weight,
                                       const ConvGeometry& g) {
  dispatch_floating(grad_in.dtype(), "conv2d_backward",
                    [&](auto tag) { backward_input_impl<typename decltype(tag)::type>(grad_in, grad_out, weight, g); });
}

void CpuBackend::conv2d_backward_weight(const Tensor& grad_weight, const Tensor& grad_out, const Tensor& in,
                                        const ConvGeometry& g) {
  dispatch_floating(in.dtype(), "conv2d_backward", [&](auto tag) {
    backward_weight_impl<typename decltype(tag)::type>(grad_weight, grad_out, in, g);
  });
}

}  // namespace ember
