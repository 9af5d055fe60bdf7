#pragma once
// optim::AdamW, as torch::optim::AdamW in LibTorch 1.13: Adam (see adam.h) with decoupled weight
// decay (Loshchilov & Hutter). Following PyTorch 1.13's torch/optim/adamw.py, each step first
// shrinks the parameter, p *= 1 - lr * weight_decay, and then applies Adam's update to the raw
// gradient (no L2 term folded into it). The default weight_decay is 1e-2, not 0.
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "ember/arg.h"  // EMBER_ARG
#include "ember/optim/optimizer.h"

namespace ember {
namespace optim {

/// AdamW's hyper-parameters: AdamWOptions(1e-3).betas(std::make_tuple(0.9, 0.999)).eps(1e-8)
/// .weight_decay(1e-2).amsgrad(false).
struct EMBER_API AdamWOptions : public OptimizerCloneableOptions<AdamWOptions> {
  AdamWOptions(double lr = 1e-3);  // NOLINT (implicit, as LibTorch)
  EMBER_ARG(double, lr) = 1e-3;
  typedef std::tuple<double, double> betas_t;
  EMBER_ARG(betas_t, betas) = std::make_tuple(0.9, 0.999);
  EMBER_ARG(double, eps) = 1e-8;
  EMBER_ARG(double, weight_decay) = 1e-2;
  EMBER_ARG(bool, amsgrad) = false;

 public:
  double get_lr() const override { return lr(); }
  void set_lr(double lr) override { this->lr(lr); }
  friend EMBER_API bool operator==(const AdamWOptions& a, const AdamWOptions& b);
};

/// AdamW's per-parameter state: the same fields as AdamParamState.
struct EMBER_API AdamWParamState : public OptimizerCloneableParamState<AdamWParamState> {
  EMBER_ARG(int64_t, step) = 0;
  EMBER_ARG(Tensor, exp_avg);
  EMBER_ARG(Tensor, exp_avg_sq);
  EMBER_ARG(Tensor, max_exp_avg_sq) = {};

 public:
  friend EMBER_API bool operator==(const AdamWParamState& a, const AdamWParamState& b);
};

class EMBER_API AdamW : public Optimizer {
 public:
  /// Checks, as PyTorch: lr >= 0, eps >= 0, both betas in [0, 1), weight_decay >= 0.
  explicit AdamW(std::vector<OptimizerParamGroup> param_groups, AdamWOptions defaults = {});
  explicit AdamW(std::vector<Tensor> params, AdamWOptions defaults = {});

  Tensor step(LossClosure closure = nullptr) override;

  /// Checkpoints (ember/serialize.h): kind "AdamW"; each group's lr, betas, eps, weight_decay and amsgrad;
  /// state.<i>.step, .exp_avg, .exp_avg_sq and (amsgrad) .max_exp_avg_sq.
  void save(SafeTensors& archive) const override;
  void load(const SafeTensors& archive, const std::string& source) override;
};

}  // namespace optim
}  // namespace ember
