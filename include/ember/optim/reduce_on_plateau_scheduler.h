#pragma once
// optim::ReduceLROnPlateauScheduler, with the constructor, enums and step(metric) of LibTorch's
// class of that name (added in LibTorch 2.1; 1.13 has only LRScheduler and StepLR), and the rule
// of Python's torch.optim.lr_scheduler.ReduceLROnPlateau. Two places where LibTorch 2.1's code
// departs from Python's rule follow Python: mode max with threshold_mode abs improves on
// best + threshold (LibTorch: best * threshold), and mode max starts from -infinity (LibTorch:
// the smallest positive float, so that negative metrics never improve).
//
// Not an LRScheduler (its step takes the metric), as in LibTorch and Python.
#include <vector>

#include "ember/optim/optimizer.h"

namespace ember {
namespace optim {

/// Multiplies every group's learning rate by `factor` (not below that group's min_lr) once the
/// metric given to step() has not improved for more than `patience` steps, then waits `cooldown`
/// steps before counting again. An improvement is a metric below best * (1 - threshold) (mode min,
/// threshold_mode rel), below best - threshold (min, abs), above best * (1 + threshold) (max, rel)
/// or above best + threshold (max, abs). A reduction smaller than eps is skipped.
class EMBER_API ReduceLROnPlateauScheduler {
 public:
  enum SchedulerMode { min, max };
  enum ThresholdMode { rel, abs };
  /// factor < 1; min_lr empty (0 for every group) or one per group; verbose prints each reduction.
  ReduceLROnPlateauScheduler(Optimizer& optimizer, SchedulerMode mode = min, float factor = 0.1, int patience = 10,
                             double threshold = 1e-4, ThresholdMode threshold_mode = rel, int cooldown = 0,
                             const std::vector<float>& min_lr = std::vector<float>(), double eps = 1e-8,
                             bool verbose = false);
  virtual ~ReduceLROnPlateauScheduler() = default;

  void step(float metric);

 private:
  bool is_better(double metric) const;
  void reduce_lr();

  Optimizer& optimizer_;
  const SchedulerMode mode_;
  const double factor_;
  const int patience_;
  const double threshold_;
  const ThresholdMode threshold_mode_;
  const int cooldown_;
  std::vector<double> min_lrs_;
  const double eps_;
  const bool verbose_;
  double best_;
  int cooldown_counter_ = 0, num_bad_epochs_ = 0, last_epoch_ = 0;
};

}  // namespace optim
}  // namespace ember
