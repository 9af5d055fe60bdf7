#pragma once
// optim::Adam, as torch::optim::Adam in LibTorch 1.13, with PyTorch 1.13's single-tensor update
// rule (torch/optim/adam.py), in this order:
//   step += 1
//   g = grad + weight_decay * p                       (L2 penalty folded into the gradient)
//   m = beta1 * m + (1 - beta1) * g
//   v = beta2 * v + (1 - beta2) * g * g
//   v_max = max(v_max, v)                             (amsgrad only; used instead of v below)
//   denom = sqrt(v) / sqrt(1 - beta2^step) + eps      (eps added after the bias correction)
//   p -= lr / (1 - beta1^step) * m / denom
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "ember/arg.h"  // EMBER_ARG
#include "ember/optim/optimizer.h"

namespace ember {
namespace optim {

/// Adam's hyper-parameters: AdamOptions(1e-3).betas(std::make_tuple(0.9, 0.999)).eps(1e-8)
/// .weight_decay(0).amsgrad(false).
struct EMBER_API AdamOptions : public OptimizerCloneableOptions<AdamOptions> {
  AdamOptions(double lr = 1e-3);  // NOLINT (implicit, as LibTorch: Adam(params, 1e-3) works)
  EMBER_ARG(double, lr) = 1e-3;
  typedef std::tuple<double, double> betas_t;
  EMBER_ARG(betas_t, betas) = std::make_tuple(0.9, 0.999);
  EMBER_ARG(double, eps) = 1e-8;
  EMBER_ARG(double, weight_decay) = 0;
  EMBER_ARG(bool, amsgrad) = false;

 public:
  double get_lr() const override { return lr(); }
  void set_lr(double lr) override { this->lr(lr); }
  friend EMBER_API bool operator==(const AdamOptions& a, const AdamOptions& b);
};

/// Adam's per-parameter state, created at a parameter's first step: the number of steps taken,
/// the two moment estimates, and (with amsgrad) the running maximum of the second.
struct EMBER_API AdamParamState : public OptimizerCloneableParamState<AdamParamState> {
  EMBER_ARG(int64_t, step) = 0;
  EMBER_ARG(Tensor, exp_avg);
  EMBER_ARG(Tensor, exp_avg_sq);
  EMBER_ARG(Tensor, max_exp_avg_sq) = {};

 public:
  friend EMBER_API bool operator==(const AdamParamState& a, const AdamParamState& b);
};

class EMBER_API Adam : public Optimizer {
 public:
  /// Checks, as PyTorch: lr >= 0, eps >= 0, both betas in [0, 1), weight_decay >= 0. Groups with
  /// their own options are checked the same way.
  explicit Adam(std::vector<OptimizerParamGroup> param_groups, AdamOptions defaults = {});
  explicit Adam(std::vector<Tensor> params, AdamOptions defaults = {});

  /// One update of every parameter with a defined gradient, in place and without recording
  /// a graph. Runs the closure (with grad mode on) first and returns its loss.
  Tensor step(LossClosure closure = nullptr) override;

  /// Checkpoints (ember/serialize.h): kind "Adam"; each group's lr, betas, eps, weight_decay and amsgrad;
  /// state.<i>.step, .exp_avg, .exp_avg_sq and (amsgrad) .max_exp_avg_sq.
  void save(SafeTensors& archive) const override;
  void load(const SafeTensors& archive, const std::string& source) override;
};

}  // namespace optim
}  // namespace ember
