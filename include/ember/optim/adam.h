#pragma once
// optim::Adam and optim::AdamW, as torch::optim::Adam and torch::optim::AdamW in LibTorch 1.13.
//
// Adam follows PyTorch 1.13's single-tensor update rule (torch/optim/adam.py), in this order:
//   step += 1
//   g = grad + weight_decay * p                       (L2 penalty folded into the gradient)
//   m = beta1 * m + (1 - beta1) * g
//   v = beta2 * v + (1 - beta2) * g * g
//   v_max = max(v_max, v)                             (amsgrad only; used instead of v below)
//   denom = sqrt(v) / sqrt(1 - beta2^step) + eps      (eps added after the bias correction)
//   p -= lr / (1 - beta1^step) * m / denom
// AdamW is Adam with decoupled weight decay (Loshchilov & Hutter): following torch/optim/adamw.py,
// each step first shrinks the parameter, p *= 1 - lr * weight_decay, and then applies the update
// above to the raw gradient (no L2 term folded into it). Its default weight_decay is 1e-2, not 0.
//
// The two differ in nothing else, so EMBER_DECLARE_ADAM names their fields once for both
// (declare_optimizer.h declares the types):
//   <Name>Options      <Name>Options(1e-3).betas(std::make_tuple(0.9, 0.999)).eps(1e-8)
//                          .weight_decay(0 for Adam, 1e-2 for AdamW).amsgrad(false)
//   <Name>ParamState   per parameter, created at its first step: the number of steps taken, the
//                          two moment estimates, and (with amsgrad) the running maximum of the second
//   <Name>             the optimizer. Its constructors check, as PyTorch: lr >= 0, eps >= 0, both
//                          betas in [0, 1), weight_decay >= 0, in the defaults and in every group
//                          with options of its own. step() updates every parameter with a defined
//                          gradient in place, without recording a graph, after running the closure
//                          (with grad mode on), and returns its loss. Checkpoints
//                          (ember/serialize.h): kind "<Name>"; each group's lr, betas, eps,
//                          weight_decay and amsgrad; state.<i>.step, .exp_avg, .exp_avg_sq and
//                          (amsgrad) .max_exp_avg_sq.
#include <tuple>

#include "ember/optim/declare_optimizer.h"

#define EMBER_DECLARE_ADAM(Name, kDefaultWeightDecay)                                                                 \
  EMBER_DECLARE_OPTIMIZER(Name, = 1e-3,                                                                               \
                          (typedef std::tuple<double, double> betas_t;                                                \
                           EMBER_ARG(betas_t, betas) = std::make_tuple(0.9, 0.999); EMBER_ARG(double, eps) = 1e-8;    \
                           EMBER_ARG(double, weight_decay) = kDefaultWeightDecay; EMBER_ARG(bool, amsgrad) = false;), \
                          (EMBER_ARG(int64_t, step) = 0; EMBER_ARG(Tensor, exp_avg); EMBER_ARG(Tensor, exp_avg_sq);   \
                           EMBER_ARG(Tensor, max_exp_avg_sq) = {};))

namespace ember {
namespace optim {
EMBER_DECLARE_ADAM(Adam, 0)
EMBER_DECLARE_ADAM(AdamW, 1e-2)
}  // namespace optim
}  // namespace ember

#undef EMBER_DECLARE_ADAM
