#pragma once
// optim::SGD, as torch::optim::SGD in LibTorch 1.13, with PyTorch's exact update rule:
//   d_p = grad + weight_decay * p
//   buf = d_p (first step)  or  momentum * buf + (1 - dampening) * d_p   (when momentum != 0)
//   d_p = nesterov ? d_p + momentum * buf : buf
//   p  -= lr * d_p
#include <memory>
#include <string>
#include <vector>

#include "ember/arg.h"  // EMBER_ARG
#include "ember/optim/optimizer.h"

namespace ember {
namespace optim {

/// SGD's hyper-parameters: SGDOptions(0.01).momentum(0.9).weight_decay(5e-4).nesterov(true).
struct EMBER_API SGDOptions : public OptimizerCloneableOptions<SGDOptions> {
  SGDOptions(double lr);  // NOLINT (implicit, as LibTorch: SGD(params, 0.1) works)
  EMBER_ARG(double, lr);
  EMBER_ARG(double, momentum) = 0;
  EMBER_ARG(double, dampening) = 0;
  EMBER_ARG(double, weight_decay) = 0;
  EMBER_ARG(bool, nesterov) = false;

 public:
  friend EMBER_API bool operator==(const SGDOptions& a, const SGDOptions& b);
};

/// SGD's per-parameter state: the momentum buffer (only when momentum != 0).
struct EMBER_API SGDParamState : public OptimizerCloneableParamState<SGDParamState> {
  EMBER_ARG(Tensor, momentum_buffer);

 public:
  friend EMBER_API bool operator==(const SGDParamState& a, const SGDParamState& b);
};

class EMBER_API SGD : public Optimizer {
 public:
  /// Checks, as PyTorch: lr, momentum and weight_decay >= 0; nesterov needs momentum > 0 and
  /// dampening == 0. Groups with their own options are checked the same way.
  SGD(std::vector<OptimizerParamGroup> param_groups, SGDOptions defaults);
  SGD(std::vector<Tensor> params, SGDOptions defaults);

  /// One update of every parameter with a defined gradient, in place and without recording
  /// a graph. Runs the closure (with grad mode on) first and returns its loss.
  Tensor step(LossClosure closure = nullptr) override;

  /// Checkpoints (ember/serialize.h): kind "SGD"; each group's lr, momentum, dampening, weight_decay and nesterov;
  /// state.<i>.momentum_buffer.
  void save(SafeTensors& archive) const override;
  void load(const SafeTensors& archive, const std::string& source) override;
};

}  // namespace optim
}  // namespace ember
