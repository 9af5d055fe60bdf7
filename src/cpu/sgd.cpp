// The fused SGD step on the CPU: one pass over each parameter (read p, g, buf; write p, buf)
// instead of the four to six passes that composing the update from add_/mul_ costs; for the
// tutorial's 12M-parameter fc nets the optimizer step is memory bound, so passes are time.
// The element rule is sgd_update (src/functors.h), shared with kernels/sgd.cu: both devices
// compute the same bits.
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
      const auto h = SgdScalars<T>::make(o.lr, o.momentum, o.dampening, o.weight_decay, o.nesterov);
      const int64_t n = params[i].numel();
      T unused = T(0);  // the rule writes no buffer without momentum
#pragma omp parallel for schedule(static) if (n > 65536)
      for (int64_t j = 0; j < n; ++j)
        p[j] = sgd_update(p[j], g[j], use_momentum ? buf + j : &unused, fresh, h);
    });
  }
}

}  // namespace ember
