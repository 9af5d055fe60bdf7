// optim::ReduceLROnPlateauScheduler: Python's ReduceLROnPlateau rule behind LibTorch's interface
// (see the header for where LibTorch's code departs from it).
#include "ember/optim/reduce_on_plateau_scheduler.h"

#include <algorithm>
#include <cstdio>
#include <limits>

#include "ember/error.h"

namespace ember {
namespace optim {

ReduceLROnPlateauScheduler::ReduceLROnPlateauScheduler(Optimizer& optimizer, SchedulerMode mode, float factor,
                                                       int patience, double threshold, ThresholdMode threshold_mode,
                                                       int cooldown, const std::vector<float>& min_lr, double eps,
                                                       bool verbose)
    : optimizer_(optimizer),
      mode_(mode),
      factor_(factor),
      patience_(patience),
      threshold_(threshold),
      threshold_mode_(threshold_mode),
      cooldown_(cooldown),
      eps_(eps),
      verbose_(verbose),
      best_(mode == min ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity()) {
  const size_t groups = optimizer.param_groups().size();
  EMBER_CHECK(min_lr.empty() || min_lr.size() == groups,
              "ReduceLROnPlateauScheduler: number of learning rates not equal to the number of param groups (",
              min_lr.size(), " min_lr values for ", groups, " parameter groups)");
  EMBER_CHECK(factor < 1.0, "ReduceLROnPlateauScheduler: Factor should be < 1.0 (got ", factor, ")");
  min_lrs_.assign(groups, 0.0);
  std::copy(min_lr.begin(), min_lr.end(), min_lrs_.begin());
}

bool ReduceLROnPlateauScheduler::is_better(double a) const {
  if (mode_ == min) return threshold_mode_ == rel ? a < best_ * (1. - threshold_) : a < best_ - threshold_;
  return threshold_mode_ == rel ? a > best_ * (threshold_ + 1.) : a > best_ + threshold_;
}

void ReduceLROnPlateauScheduler::step(float metric) {
  ++last_epoch_;
  if (is_better(metric)) {
    best_ = metric;
    num_bad_epochs_ = 0;
  } else {
    ++num_bad_epochs_;
  }
  if (cooldown_counter_ > 0) {  // bad epochs in the cooldown do not count
    --cooldown_counter_;
    num_bad_epochs_ = 0;
  }
  if (num_bad_epochs_ > patience_) {
    reduce_lr();
    cooldown_counter_ = cooldown_;
    num_bad_epochs_ = 0;
  }
}

void ReduceLROnPlateauScheduler::reduce_lr() {
  auto& groups = optimizer_.param_groups();
  for (size_t i = 0; i < groups.size(); ++i) {
    const double old_lr = groups[i].options().get_lr();
    const double new_lr = std::max(old_lr * factor_, min_lrs_[i]);
    if (old_lr - new_lr > eps_) {
      groups[i].options().set_lr(new_lr);
      if (verbose_) std::printf("Epoch %d: reducing learning rate of group %zu to %.4e.\n", last_epoch_, i, new_lr);
    }
  }
}

}  // namespace optim
}  // namespace ember
