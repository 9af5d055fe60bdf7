#pragma once
// optim::SGD, as torch::optim::SGD in LibTorch 1.13, with PyTorch's exact update rule:
//   d_p = grad + weight_decay * p
//   buf = d_p (first step)  or  momentum * buf + (1 - dampening) * d_p   (when momentum != 0)
//   d_p = nesterov ? d_p + momentum * buf : buf
//   p  -= lr * d_p
// SGDOptions(lr).momentum(0).dampening(0).weight_decay(0).nesterov(false), the lr without a default.
// The constructors check, as PyTorch: lr, momentum and weight_decay >= 0; nesterov needs momentum > 0
// and dampening == 0; in the defaults and in every group with options of its own (and step() again,
// as options may change). SGDParamState holds the momentum buffer (only when momentum != 0).
// Checkpoints (ember/serialize.h): kind "SGD"; each group's options; state.<i>.momentum_buffer.
#include "ember/optim/declare_optimizer.h"

namespace ember {
namespace optim {
EMBER_DECLARE_OPTIMIZER(SGD, /*the lr has no default*/,
                        (EMBER_ARG(double, momentum) = 0; EMBER_ARG(double, dampening) = 0;
                         EMBER_ARG(double, weight_decay) = 0; EMBER_ARG(bool, nesterov) = false;),
                        (EMBER_ARG(Tensor, momentum_buffer);))
}  // namespace optim
}  // namespace ember
