// The fused SGD step on the CPU: one pass over each parameter (read p, g, buf; write p, buf)
// instead of the four to six passes that composing the update from add_/mul_ costs; for the
// tutorial's 12M-parameter fc nets the optimizer step is memory bound, so passes are time.
#include "../dtype_dispatch.h"
#include "cpu_backend.h"

namespace ember {

void CpuBackend::sgd_step(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                          const std::vector<Tensor>& bufs, const std::vector<bool>& first,
                          const SgdParams& o) {
  const bool use_momentum = o.momentum != 0;
  for (size_t i = 0; i < params.size(); ++i) {
    dispatch_floating(params[i].dtype(), "sgd_step", [&](auto tag) {
      using T = typename decltype(tag)::type;
      T* p = params[i].data_ptr<T>();
      const T* g = grads[i].data_ptr<T>();
      T* buf = use_momentum ? bufs[i].data_ptr<T>() : nullptr;
      const bool fresh = use_momentum && first[i];
      const T lr = T(o.lr), m = T(o.momentum), keep = T(1 - o.dampening), wd = T(o.weight_decay);
      const int64_t n = params[i].numel();
#pragma omp parallel for num_threads(get_num_threads()) schedule(static) if (n > 65536)
      for (int64_t j = 0; j < n; ++j) {
        T d = wd != T(0) ? g[j] + wd * p[j] : g[j];
        if (use_momentum) {
          T b = fresh ? d : buf[j] * m + keep * d;
          buf[j] = b;
          d = o.nesterov ? d + m * b : b;
        }
        p[j] = p[j] - lr * d;
      }
    });
  }
}

}  // namespace ember
