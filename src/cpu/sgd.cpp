// The fused SGD step on the CPU: one pass over each parameter (read p, g, buf; write p, buf)
// instead of the four to six passes that composing the update from add_/mul_ costs; for the
// tutorial's 12M-parameter fc nets the optimizer step is memory bound, so passes are time.
// The element rule is sgd_update (src/functors.h), shared with kernels/sgd.cu: both devices
// compute the same bits.
#include <algorithm>

#include "../dtype_dispatch.h"
#include "cpu_backend.h"

namespace ember {
namespace {

// Elements per task of the parallel loop.
constexpr int64_t kChunk = 65536;

// Elements [j0, j1) of one parameter. h is a by-value copy, local to this function, so the
// compiler knows the stores to p and buf cannot change it and vectorises the loop (read through
// the OpenMP region's shared copy it could not, and the step ran at half speed); the momentum
// and no-momentum loops are separate for the same reason.
template <typename T>
void sgd_range(T* p, const T* g, T* buf, int64_t j0, int64_t j1, bool fresh, const SgdScalars<T> h) {
  if (buf) {
    for (int64_t j = j0; j < j1; ++j) p[j] = sgd_update(p[j], g[j], buf + j, fresh, h);
  } else {
    T unused = T(0);  // the rule writes no buffer without momentum
    for (int64_t j = j0; j < j1; ++j) p[j] = sgd_update(p[j], g[j], &unused, fresh, h);
  }
}

}  // namespace

void CpuBackend::sgd_step(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                          const std::vector<Tensor>& bufs, const std::vector<bool>& first, const SgdParams& o) {
  const bool use_momentum = o.momentum != 0;
  for (size_t i = 0; i < params.size(); ++i) {
    dispatch_floating(params[i].dtype(), "sgd_step", [&](auto tag) {
      using T = typename decltype(tag)::type;
      T* p = params[i].data_ptr<T>();
      const T* g = grads[i].data_ptr<T>();
      T* buf = use_momentum ? bufs[i].data_ptr<T>() : nullptr;
      const bool fresh = use_momentum && first[i];
      const auto h = SgdScalars<T>::make(o.lr, o.momentum, o.dampening, o.weight_decay, o.nesterov);
      const int64_t n = params[i].numel();
#pragma omp parallel for num_threads(get_num_threads()) schedule(static) if (n > 65536)
      for (int64_t j = 0; j < n; j += kChunk) sgd_range(p, g, buf, j, std::min(n, j + kChunk), fresh, h);
    });
  }
}

}  // namespace ember
