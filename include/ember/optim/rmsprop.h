#pragma once
// optim::RMSprop, as torch::optim::RMSprop in LibTorch 1.13, with PyTorch 1.13's single-tensor
// update rule (torch/optim/rmsprop.py), in this order:
//   g = grad + weight_decay * p
//   v = alpha * v + (1 - alpha) * g * g
//   avg = sqrt(v - m_g * m_g) + eps, with m_g = alpha * m_g + (1 - alpha) * g   (centered)
//   avg = sqrt(v) + eps                                                          (otherwise)
//   buf = momentum * buf + g / avg; p -= lr * buf                               (momentum > 0)
//   p -= lr * g / avg                                                            (otherwise)
#include <memory>
#include <string>
#include <vector>

#include "ember/arg.h"  // EMBER_ARG
#include "ember/optim/optimizer.h"

namespace ember {
namespace optim {

/// RMSprop's hyper-parameters: RMSpropOptions(1e-2).alpha(0.99).eps(1e-8).weight_decay(0)
/// .momentum(0).centered(false).
struct EMBER_API RMSpropOptions : public OptimizerCloneableOptions<RMSpropOptions> {
  RMSpropOptions(double lr = 1e-2);  // NOLINT (implicit, as LibTorch)
  EMBER_ARG(double, lr) = 1e-2;
  EMBER_ARG(double, alpha) = 0.99;
  EMBER_ARG(double, eps) = 1e-8;
  EMBER_ARG(double, weight_decay) = 0;
  EMBER_ARG(double, momentum) = 0;
  EMBER_ARG(bool, centered) = false;

 public:
  friend EMBER_API bool operator==(const RMSpropOptions& a, const RMSpropOptions& b);
};

/// RMSprop's per-parameter state, created at a parameter's first step: the steps taken, the
/// running mean of squared gradients, and (with momentum / centered) the buffer and mean gradient.
struct EMBER_API RMSpropParamState : public OptimizerCloneableParamState<RMSpropParamState> {
  EMBER_ARG(int64_t, step) = 0;
  EMBER_ARG(Tensor, square_avg);
  EMBER_ARG(Tensor, momentum_buffer) = {};
  EMBER_ARG(Tensor, grad_avg) = {};

 public:
  friend EMBER_API bool operator==(const RMSpropParamState& a, const RMSpropParamState& b);
};

class EMBER_API RMSprop : public Optimizer {
 public:
  /// Checks, as LibTorch: lr, eps, momentum, weight_decay and alpha >= 0, in the defaults and in
  /// every group with options of its own.
  explicit RMSprop(std::vector<OptimizerParamGroup> param_groups, RMSpropOptions defaults = {});
  explicit RMSprop(std::vector<Tensor> params, RMSpropOptions defaults = {});

  /// One update of every parameter with a defined gradient, in place and without recording a
  /// graph. Runs the closure (with grad mode on) first and returns its loss.
  Tensor step(LossClosure closure = nullptr) override;

  /// Checkpoints (ember/serialize.h): kind "RMSprop"; each group's options; state.<i>.step,
  /// .square_avg and, where present, .momentum_buffer and .grad_avg.
  void save(SafeTensors& archive) const override;
  void load(const SafeTensors& archive, const std::string& source) override;
};

}  // namespace optim
}  // namespace ember
