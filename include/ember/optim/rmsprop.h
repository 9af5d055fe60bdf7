#pragma once
// optim::RMSprop, as torch::optim::RMSprop in LibTorch 1.13, with PyTorch 1.13's single-tensor
// update rule (torch/optim/rmsprop.py), in this order:
//   g = grad + weight_decay * p
//   v = alpha * v + (1 - alpha) * g * g
//   avg = sqrt(v - m_g * m_g) + eps, with m_g = alpha * m_g + (1 - alpha) * g   (centered)
//   avg = sqrt(v) + eps                                                          (otherwise)
//   buf = momentum * buf + g / avg; p -= lr * buf                               (momentum > 0)
//   p -= lr * g / avg                                                            (otherwise)
// RMSpropOptions(1e-2).alpha(0.99).eps(1e-8).weight_decay(0).momentum(0).centered(false); the
// constructors (and each step, as options may change) check, as LibTorch, that lr, eps, momentum,
// weight_decay and alpha are >= 0. RMSpropParamState, created at a parameter's first step: the steps
// taken, the running mean of squared gradients, and (with momentum / centered) the buffer and the
// mean gradient. Checkpoints (ember/serialize.h): kind "RMSprop"; each group's options;
// state.<i>.step, .square_avg and, where present, .momentum_buffer and .grad_avg.
#include "ember/optim/declare_optimizer.h"

namespace ember {
namespace optim {
EMBER_DECLARE_OPTIMIZER(RMSprop, = 1e-2,
                        (EMBER_ARG(double, alpha) = 0.99; EMBER_ARG(double, eps) = 1e-8;
                         EMBER_ARG(double, weight_decay) = 0; EMBER_ARG(double, momentum) = 0;
                         EMBER_ARG(bool, centered) = false;),
                        (EMBER_ARG(int64_t, step) = 0; EMBER_ARG(Tensor, square_avg);
                         EMBER_ARG(Tensor, momentum_buffer) = {}; EMBER_ARG(Tensor, grad_avg) = {};))
}  // namespace optim
}  // namespace ember
