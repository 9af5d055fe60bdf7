#pragma once
// A fused SGD step for the CUDA backend (kernels/sgd.cu): every parameter of a step updated by
// ONE kernel launch, instead of the four to six pointwise launches per parameter that composing
// the update from add_/mul_ costs (a small convnet has ~10 parameters: ~50 launches per step).
// No CUDA types: src/optim/sgd.cpp may include it under #if EMBER_WITH_CUDA.
//
// PyTorch's rule, per element, with the hyper-parameters rounded to the parameters' dtype:
//   d_p = g + weight_decay * p
//   buf = first_step ? d_p : momentum * buf + (1 - dampening) * d_p     (only when momentum != 0)
//   d_p = nesterov ? d_p + momentum * buf : buf                         (only when momentum != 0)
//   p  -= lr * d_p
#include <vector>

#include "ember/tensor.h"

namespace ember {

struct CudaSgdOptions {
  double lr = 0;
  double momentum = 0;
  double dampening = 0;
  double weight_decay = 0;
  bool nesterov = false;
};

/// Updates params[i] in place from grads[i] and, when momentum != 0, momentum_buffers[i].
/// Requirements (checked, with an ember::Error naming the parameter): all tensors on one CUDA
/// device, one floating dtype (float32 or float64), contiguous; grads[i] and momentum_buffers[i]
/// have params[i]'s number of elements. momentum_buffers and first_step are ignored (may be
/// empty) when momentum == 0; otherwise they have one entry per parameter, and a buffer whose
/// first_step is true need not be initialised (the step writes d_p into it, as PyTorch does
/// when it creates the buffer). Records no graph (call it under NoGradGuard, as any optimizer
/// step); bumps the version counters of the parameters and buffers it changes.
void cuda_sgd_step(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                   const std::vector<Tensor>& momentum_buffers, const std::vector<bool>& first_step,
                   const CudaSgdOptions& options);

}  // namespace ember
