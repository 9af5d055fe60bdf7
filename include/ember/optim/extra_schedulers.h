#pragma once
// Learning-rate schedulers that LibTorch 1.13 lacks, as ember extras: CosineAnnealingLR, LinearLR
// and OneCycleLR, with the rules, defaults and checks of Python's torch.optim.lr_scheduler classes
// of those names (PyTorch 1.13), on LibTorch's LRScheduler (ember/optim/schedulers.h).
//
// Counting follows Python, not LibTorch's StepLR: the constructor takes the first step itself
// (step 0: LinearLR and OneCycleLR set their starting rate then), and the k-th step() call
// afterwards sets the rate of step k. So the loop is Python's:
//   CosineAnnealingLR sched(opt, epochs);
//   for (epoch...) { train(...); sched.step(); }
// Like Python's, CosineAnnealingLR and LinearLR are chainable: each step scales the rate the group
// has now (so another scheduler or a set_lr in between combines with them); OneCycleLR computes
// each rate from max_lr.
#include <cstdint>
#include <vector>

#include "ember/optim/schedulers.h"

namespace ember {
namespace optim {

/// Cosine annealing from each group's rate at construction (its base) to eta_min over T_max
/// steps, then back up over the next T_max, and so on (SGDR without restarts):
///   lr(step) = eta_min + (base - eta_min) * (1 + cos(pi * step / T_max)) / 2
/// computed, as Python's, from the previous step's rate (see closed_form_lr for the formula itself).
class EMBER_API CosineAnnealingLR : public LRScheduler {
 public:
  /// T_max must be positive.
  CosineAnnealingLR(Optimizer& optimizer, int64_t T_max, double eta_min = 0);

  /// The rate of step `step` from `base_lr`, in closed form, as Python's _get_closed_form_lr (for a
  /// schedule that is computed from a step count rather than stepped: a resumed training).
  static double closed_form_lr(double base_lr, double eta_min, int64_t T_max, int64_t step);

 private:
  std::vector<double> get_lrs() override;
  const int64_t T_max_;
  const double eta_min_;
  std::vector<double> base_lrs_;
};

/// Scales each group's rate by a factor that goes linearly from start_factor (step 0) to end_factor
/// (step total_iters), then stays.
class EMBER_API LinearLR : public LRScheduler {
 public:
  /// start_factor in (0, 1] (Python 1.13 also lets 0 through, then divides by zero at the next
  /// step), end_factor in [0, 1], total_iters > 0.
  explicit LinearLR(Optimizer& optimizer, double start_factor = 1.0 / 3, double end_factor = 1.0,
                    int64_t total_iters = 5);

 private:
  std::vector<double> get_lrs() override;
  const double start_factor_, end_factor_;
  const int64_t total_iters_;
};

/// The 1cycle policy (Smith & Topin): each group's rate rises from max_lr / div_factor to max_lr
/// over the first pct_start of total_steps, then anneals to max_lr / div_factor / final_div_factor
/// by the last step (three_phase: back to max_lr / div_factor first, then down to the minimum).
/// Stepping past total_steps throws, as Python. Python's momentum cycling (cycle_momentum) and
/// its epochs/steps_per_epoch form of total_steps are not provided: the momentum is left alone.
class EMBER_API OneCycleLR : public LRScheduler {
 public:
  enum AnnealStrategy { cos, linear };
  /// max_lr for every group, or one per group. total_steps > 0; pct_start in [0, 1] with no phase
  /// of zero length (Python divides by zero there); div_factor and final_div_factor > 0.
  OneCycleLR(Optimizer& optimizer, double max_lr, int64_t total_steps, double pct_start = 0.3,
             AnnealStrategy anneal_strategy = cos, double div_factor = 25, double final_div_factor = 1e4,
             bool three_phase = false);
  OneCycleLR(Optimizer& optimizer, const std::vector<double>& max_lrs, int64_t total_steps, double pct_start = 0.3,
             AnnealStrategy anneal_strategy = cos, double div_factor = 25, double final_div_factor = 1e4,
             bool three_phase = false);

 private:
  std::vector<double> get_lrs() override;
  struct Phase {
    double end_step;
    int start, end;  // 0: the initial rate, 1: max_lr, 2: the minimum
  };
  const int64_t total_steps_;
  const AnnealStrategy anneal_strategy_;
  std::vector<Phase> phases_;
  std::vector<std::vector<double>> group_lrs_;  // per group: initial, max, min
};

}  // namespace optim
}  // namespace ember
