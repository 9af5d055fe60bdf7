// unique / unique_consecutive of values on the CPU (unique.h): one thread, since the radix sort
// of a single row is one thread's, and the pass after it is a fraction of the sort.
#include "unique.h"

#include "../dtype_dispatch.h"
#include "../tensor_impl.h"
#include "radix_sort.h"

namespace ember {
namespace cpu {

bool unique_supports(const Tensor& flat) {
  switch (flat.dtype()) {
    case kFloat:
    case kDouble:
    case kLong:
    case kBool:
    case kByte:
    case kChar:
    case kShort:
    case kInt: return flat.is_cpu() && flat.numel() < (int64_t(1) << 32);
    default: return false;
  }
}

std::tuple<Tensor, Tensor, Tensor> unique_values(const Tensor& flat, bool sort_first, bool return_inverse,
                                                 bool return_counts) {
  const int64_t n = flat.numel();
  Tensor values, inverse = make_empty({return_inverse ? n : 0}, kLong, kCPU), counts = make_empty({0}, kLong, kCPU);
  dispatch_storage(flat.dtype(), "unique", [&](auto tag) {
    using T = typename decltype(tag)::type;
    using P = radix::Pair<radix::KeyOf<T>>;
    const T* v = flat.data_ptr<T>();
    const int64_t* pos = nullptr;  // the sorted order's input positions; null: as they come
    // Scratch from the tensor allocator, whose cache keeps blocks of these sizes between calls
    // (a std::vector of them would be fresh pages from the kernel every call).
    Tensor scratch;
    if (sort_first) {
      scratch = make_empty({int64_t(2 * sizeof(P) + sizeof(int64_t) + sizeof(T)) * n}, kByte, kCPU);
      auto* pairs = reinterpret_cast<P*>(scratch.data_ptr<uint8_t>());
      auto* sorted_pos = reinterpret_cast<int64_t*>(pairs + 2 * n);
      auto* sorted = reinterpret_cast<T*>(sorted_pos + n);
      radix::sort_row(v, n, false, sorted, sorted_pos, pairs);
      v = sorted;
      pos = sorted_pos;
    }
    // A run starts wherever a value differs (!=, so every NaN starts one) from the one before.
    int64_t runs = 1;
    for (int64_t i = 1; i < n; ++i) runs += int64_t(!(v[i] == v[i - 1]));
    values = make_empty({runs}, flat.dtype(), kCPU);
    if (return_counts) counts = make_empty({runs}, kLong, kCPU);
    T* out = values.data_ptr<T>();
    int64_t* inv = return_inverse ? inverse.data_ptr<int64_t>() : nullptr;
    int64_t* cnt = return_counts ? counts.data_ptr<int64_t>() : nullptr;
    int64_t run = -1, start = 0;
    for (int64_t i = 0; i < n; ++i) {
      if (i == 0 || !(v[i] == v[i - 1])) {
        if (cnt != nullptr && run >= 0) cnt[run] = i - start;
        out[++run] = v[i];
        start = i;
      }
      if (inv != nullptr) inv[pos != nullptr ? pos[i] : i] = run;
    }
    if (cnt != nullptr) cnt[run] = n - start;
  });
  return {values, inverse, counts};
}

}  // namespace cpu
}  // namespace ember
