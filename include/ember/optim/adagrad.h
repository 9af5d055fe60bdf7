#pragma once
// optim::Adagrad, as torch::optim::Adagrad in LibTorch 1.13, with PyTorch 1.13's single-tensor
// update rule (torch/optim/adagrad.py), in this order:
//   step += 1
//   g = grad + weight_decay * p
//   clr = lr / (1 + (step - 1) * lr_decay)
//   sum += g * g
//   p -= clr * g / (sqrt(sum) + eps)
#include <memory>
#include <string>
#include <vector>

#include "ember/arg.h"  // EMBER_ARG
#include "ember/optim/optimizer.h"

namespace ember {
namespace optim {

/// Adagrad's hyper-parameters: AdagradOptions(1e-2).lr_decay(0).weight_decay(0)
/// .initial_accumulator_value(0).eps(1e-10).
struct EMBER_API AdagradOptions : public OptimizerCloneableOptions<AdagradOptions> {
  AdagradOptions(double lr = 1e-2);  // NOLINT (implicit, as LibTorch)
  EMBER_ARG(double, lr) = 1e-2;
  EMBER_ARG(double, lr_decay) = 0;
  EMBER_ARG(double, weight_decay) = 0;
  EMBER_ARG(double, initial_accumulator_value) = 0;
  EMBER_ARG(double, eps) = 1e-10;

 public:
  friend EMBER_API bool operator==(const AdagradOptions& a, const AdagradOptions& b);
};

/// Adagrad's per-parameter state: the running sum of squared gradients and the steps taken. As in
/// LibTorch, the constructor creates it for every parameter, the sum filled with the defaults'
/// initial_accumulator_value (a group's own value counts only for a group added later).
struct EMBER_API AdagradParamState : public OptimizerCloneableParamState<AdagradParamState> {
  EMBER_ARG(Tensor, sum);
  EMBER_ARG(int64_t, step) = 0;

 public:
  friend EMBER_API bool operator==(const AdagradParamState& a, const AdagradParamState& b);
};

class EMBER_API Adagrad : public Optimizer {
 public:
  /// Checks, as LibTorch: lr, lr_decay, weight_decay, initial_accumulator_value and eps >= 0.
  explicit Adagrad(std::vector<OptimizerParamGroup> param_groups, AdagradOptions defaults = {});
  explicit Adagrad(std::vector<Tensor> params, AdagradOptions defaults = {});

  /// One update of every parameter with a defined gradient, in place and without recording a
  /// graph. Runs the closure (with grad mode on) first and returns its loss.
  Tensor step(LossClosure closure = nullptr) override;

  /// Checkpoints (ember/serialize.h): kind "Adagrad"; each group's options; state.<i>.sum and .step.
  void save(SafeTensors& archive) const override;
  void load(const SafeTensors& archive, const std::string& source) override;
};

}  // namespace optim
}  // namespace ember
