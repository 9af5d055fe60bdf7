#pragma once
// Learning-rate schedulers, as torch::optim::LRScheduler and torch::optim::StepLR in LibTorch 1.13.
// A scheduler keeps a reference to its optimizer, which must outlive it; each step() sets the
// learning rate of every parameter group.
//
// Like LibTorch's (and unlike Python's torch.optim.lr_scheduler.StepLR), StepLR counts its own
// calls from 0 and decays on a call whose count is a positive multiple of step_size: with
// step_size 2 the rate first changes on the third step(), not the second. Python's constructor
// takes a step itself; LibTorch's does not.
#include <vector>

#include "ember/optim/optimizer.h"

namespace ember {
namespace optim {

class EMBER_API LRScheduler {
 public:
  LRScheduler(Optimizer& optimizer);  // NOLINT (implicit, as LibTorch)
  virtual ~LRScheduler() = default;
  /// Sets each parameter group's learning rate to get_lrs(), then counts the step.
  void step();

 protected:
  /// The learning rate of each parameter group after this step (one per group, in order).
  virtual std::vector<double> get_lrs() = 0;
  /// The learning rate of each parameter group now.
  std::vector<double> get_current_lrs() const;
  /// The number of step() calls before this one.
  unsigned step_count_ = 0;

 private:
  void set_optimizer_lrs(const std::vector<double>& learning_rates);
  Optimizer& optimizer_;
};

/// Multiplies every group's learning rate by gamma on each step() whose count (from 0) is a
/// positive multiple of step_size.
class EMBER_API StepLR : public LRScheduler {
 public:
  StepLR(Optimizer& optimizer, unsigned step_size, double gamma = 0.1);

 private:
  std::vector<double> get_lrs() override;
  const unsigned step_size_;
  const double gamma_;
};

}  // namespace optim
}  // namespace ember
