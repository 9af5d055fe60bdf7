#pragma once
// Filling CPU tensors from the generator in torch's order (random.cpp, sampling.cpp): torch
// draws a contiguous tensor in index order and any other in memory order (dimensions sorted by
// stride, largest outermost, as its TensorIterator walks them).
#include <algorithm>
#include <memory>
#include <mutex>
#include <numeric>
#include <vector>

#include "../tensor_impl.h"

namespace ember {
namespace cpu_random {

// One generator, many callers (data-loader threads): serialise draws as torch does.
inline std::mutex& generator_mutex() {
  static std::mutex m;
  return m;
}

// torch's notion: row-major once size-1 dimensions are ignored.
inline bool row_major(const Tensor& t) {
  int64_t expected = 1;
  for (int64_t d = t.dim() - 1; d >= 0; --d) {
    if (t.size(d) == 1) continue;
    if (t.stride(d) != expected) return false;
    expected *= t.size(d);
  }
  return true;
}

// Writes vals[k] to the k-th element of out in memory order.
template <typename T>
void scatter_memory_order(const Tensor& out, const T* vals) {
  std::vector<int64_t> dims;
  for (int64_t d = 0; d < out.dim(); ++d)
    if (out.size(d) != 1) dims.push_back(d);
  std::stable_sort(dims.begin(), dims.end(), [&](int64_t a, int64_t b) { return out.stride(a) > out.stride(b); });
  const size_t nd = dims.size();
  std::vector<int64_t> size(nd), stride(nd), idx(nd, 0);
  for (size_t i = 0; i < nd; ++i) {
    size[i] = out.size(dims[i]);
    stride[i] = out.stride(dims[i]);
  }
  T* base = out.data_ptr<T>();
  const int64_t n = out.numel();
  int64_t offset = 0;
  for (int64_t k = 0; k < n; ++k) {
    base[offset] = vals[k];
    // Odometer step over the sorted dimensions, innermost last.
    for (size_t i = nd; i-- > 0;) {
      offset += stride[i];
      if (++idx[i] < size[i]) break;
      offset -= stride[i] * size[i];
      idx[i] = 0;
    }
  }
}

// Runs fill(ptr, n, contiguous) straight into out when it is row-major, else into a buffer
// that is then scattered in memory order.
template <typename T, typename Fill>
void fill_tensor(const Tensor& out, Fill&& fill) {
  const int64_t n = out.numel();
  if (n == 0) return;
  std::lock_guard<std::mutex> lock(generator_mutex());
  if (row_major(out)) {
    fill(out.data_ptr<T>(), n, true);
    return;
  }
  std::unique_ptr<T[]> buf(new T[static_cast<size_t>(n)]);  // not vector: vector<bool> has no data()
  fill(buf.get(), n, false);
  scatter_memory_order(out, buf.get());
}

// The dimensions of t in memory order (stride descending; ties keep their order), so that
// t.permute(memory_order(t)) is row-major when t is dense.
inline std::vector<int64_t> memory_order(const Tensor& t) {
  std::vector<int64_t> dims(static_cast<size_t>(t.dim()));
  std::iota(dims.begin(), dims.end(), int64_t(0));
  std::stable_sort(dims.begin(), dims.end(), [&](int64_t a, int64_t b) { return t.stride(a) > t.stride(b); });
  return dims;
}

}  // namespace cpu_random
}  // namespace ember
