#pragma once
// optim::Adagrad, as torch::optim::Adagrad in LibTorch 1.13. Each step follows PyTorch 1.13's
// single-tensor rule (torch/optim/adagrad.py):
//   step += 1;  g = grad + weight_decay * p;  clr = lr / (1 + (step - 1) * lr_decay)
//   sum += g * g;  p -= clr * g / (sqrt(sum) + eps)
// AdagradOptions(1e-2).lr_decay(0).weight_decay(0).initial_accumulator_value(0).eps(1e-10); LibTorch
// refuses a negative value of any of them (at construction, and ember again at each step).
// AdagradParamState: the running sum of squared gradients and the steps taken. As in LibTorch, the
// constructor creates it for every parameter, the sum filled with the defaults'
// initial_accumulator_value (a group's own value counts only for a group added later).
// Checkpoints (ember/serialize.h): kind "Adagrad"; each group's options; state.<i>.sum and .step.
#include "ember/optim/declare_optimizer.h"

namespace ember {
namespace optim {
EMBER_DECLARE_OPTIMIZER(Adagrad, = 1e-2,
                        (EMBER_ARG(double, lr_decay) = 0; EMBER_ARG(double, weight_decay) = 0;
                         EMBER_ARG(double, initial_accumulator_value) = 0; EMBER_ARG(double, eps) = 1e-10;),
                        (EMBER_ARG(Tensor, sum); EMBER_ARG(int64_t, step) = 0;))
}  // namespace optim
}  // namespace ember
