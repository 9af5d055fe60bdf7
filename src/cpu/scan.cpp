// cumsum / cumprod on the CPU (scan.h). Independent lines are split between threads: whole rows
// when the scan runs along the last dim (inner == 1), else blocks of up to kBlock neighbouring
// columns, scanned row after row so that the inner loop runs over contiguous memory.
#include "scan.h"

#include <omp.h>

#include <algorithm>
#include <type_traits>

#include "../dtype_dispatch.h"

namespace ember {
namespace cpu {
namespace {

constexpr int64_t kScanParallelMin = 32768;  // elements below which threads cost more than they save
constexpr int64_t kBlock = 256;          // columns scanned together when inner > 1

template <bool Product, typename Acc>
inline Acc step(Acc acc, Acc v) {
  if constexpr (Product) return acc * v;
  else return acc + v;
}

template <typename T, bool Product, bool Reverse>
void scan_impl(T* out, const T* in, int64_t outer, int64_t n, int64_t inner) {
  using Acc = std::conditional_t<std::is_floating_point_v<T>, double, T>;
  const Acc init = Product ? Acc(1) : Acc(0);
  const int64_t blocks = (inner + kBlock - 1) / kBlock, tasks = outer * blocks;
  const int threads = outer * n * inner < kScanParallelMin || omp_in_parallel() ? 1 : get_num_threads();
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t task = 0; task < tasks; ++task) {
    const int64_t o = task / blocks, j0 = (task % blocks) * kBlock, width = std::min(kBlock, inner - j0);
    const T* x = in + o * n * inner + j0;
    T* y = out + o * n * inner + j0;
    if (inner == 1) {
      Acc acc = init;
      for (int64_t i = 0; i < n; ++i) {
        const int64_t at = Reverse ? n - 1 - i : i;
        acc = step<Product>(acc, Acc(x[at]));
        y[at] = T(acc);
      }
      continue;
    }
    Acc acc[kBlock];
    std::fill(acc, acc + width, init);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t row = (Reverse ? n - 1 - i : i) * inner;
      for (int64_t j = 0; j < width; ++j) {
        acc[j] = step<Product>(acc[j], Acc(x[row + j]));
        y[row + j] = T(acc[j]);
      }
    }
  }
}

}  // namespace

bool scan_supports(ScalarType dtype) { return dtype == kFloat || dtype == kDouble || dtype == kLong; }

void scan(const Tensor& out, const Tensor& in, int64_t outer, int64_t n, int64_t inner, bool product, bool reverse) {
  if (out.numel() == 0) return;
  dispatch_numeric(in.dtype(), product ? "cumprod" : "cumsum", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* y = out.data_ptr<T>();
    const T* x = in.data_ptr<T>();
    if (product) {
      reverse ? scan_impl<T, true, true>(y, x, outer, n, inner) : scan_impl<T, true, false>(y, x, outer, n, inner);
    } else {
      reverse ? scan_impl<T, false, true>(y, x, outer, n, inner) : scan_impl<T, false, false>(y, x, outer, n, inner);
    }
  });
}

}  // namespace cpu
}  // namespace ember
