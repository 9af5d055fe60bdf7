// CosineAnnealingLR, LinearLR and OneCycleLR: Python's torch.optim.lr_scheduler rules (PyTorch
// 1.13), each operation in Python's order so that the rates agree to the last bit.
#include "ember/optim/extra_schedulers.h"

#include <cmath>

#include "ember/error.h"

namespace ember {
namespace optim {

namespace {
constexpr double kPi = 3.14159265358979323846;  // Python's math.pi, to the last bit
}  // namespace

// --- CosineAnnealingLR ----------------------------------------------------------------------------

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, int64_t T_max, double eta_min)
    : LRScheduler(optimizer), T_max_(T_max), eta_min_(eta_min), base_lrs_(get_current_lrs()) {
  EMBER_CHECK(T_max > 0, "CosineAnnealingLR: T_max must be positive, got ", T_max);
  step();  // Python's constructor takes step 0
}

double CosineAnnealingLR::closed_form_lr(double base_lr, double eta_min, int64_t T_max, int64_t step) {
  return eta_min + (base_lr - eta_min) * (1 + std::cos(kPi * double(step) / double(T_max))) / 2;
}

std::vector<double> CosineAnnealingLR::get_lrs() {
  std::vector<double> lrs = get_current_lrs();
  const int64_t e = step_count_;
  if (e == 0) return lrs;
  const double T = double(T_max_);
  for (size_t i = 0; i < lrs.size(); ++i) {
    if ((e - 1 - T_max_) % (2 * T_max_) == 0)  // the bottom of a cycle: the rate starts to rise again
      lrs[i] = lrs[i] + (base_lrs_[i] - eta_min_) * (1 - std::cos(kPi / T)) / 2;
    else
      lrs[i] = (1 + std::cos(kPi * double(e) / T)) / (1 + std::cos(kPi * double(e - 1) / T)) * (lrs[i] - eta_min_) +
               eta_min_;
  }
  return lrs;
}

// --- LinearLR -------------------------------------------------------------------------------------

LinearLR::LinearLR(Optimizer& optimizer, double start_factor, double end_factor, int64_t total_iters)
    : LRScheduler(optimizer), start_factor_(start_factor), end_factor_(end_factor), total_iters_(total_iters) {
  EMBER_CHECK(start_factor > 0 && start_factor <= 1, "LinearLR: start_factor must be in (0, 1], got ", start_factor);
  EMBER_CHECK(end_factor >= 0 && end_factor <= 1, "LinearLR: end_factor must be in [0, 1], got ", end_factor);
  EMBER_CHECK(total_iters > 0, "LinearLR: total_iters must be positive, got ", total_iters);
  step();  // Python's constructor takes step 0: the rate becomes lr * start_factor
}

std::vector<double> LinearLR::get_lrs() {
  std::vector<double> lrs = get_current_lrs();
  const int64_t e = step_count_;
  const double change = end_factor_ - start_factor_;
  for (double& lr : lrs) {
    if (e == 0) lr = lr * start_factor_;
    else if (e <= total_iters_)
      lr = lr * (1. + change / (double(total_iters_) * start_factor_ + double(e - 1) * change));
  }
  return lrs;
}

// --- OneCycleLR -----------------------------------------------------------------------------------

OneCycleLR::OneCycleLR(Optimizer& optimizer, double max_lr, int64_t total_steps, double pct_start,
                       AnnealStrategy anneal_strategy, double div_factor, double final_div_factor, bool three_phase)
    : OneCycleLR(optimizer, std::vector<double>(optimizer.param_groups().size(), max_lr), total_steps, pct_start,
                 anneal_strategy, div_factor, final_div_factor, three_phase) {}

OneCycleLR::OneCycleLR(Optimizer& optimizer, const std::vector<double>& max_lrs, int64_t total_steps, double pct_start,
                       AnnealStrategy anneal_strategy, double div_factor, double final_div_factor, bool three_phase)
    : LRScheduler(optimizer), total_steps_(total_steps), anneal_strategy_(anneal_strategy) {
  EMBER_CHECK(total_steps > 0, "OneCycleLR: expected a positive total_steps, got ", total_steps);
  EMBER_CHECK(pct_start >= 0 && pct_start <= 1, "OneCycleLR: expected pct_start between 0 and 1, got ", pct_start);
  EMBER_CHECK(div_factor > 0 && final_div_factor > 0,
              "OneCycleLR: div_factor and final_div_factor must be positive, got ", div_factor, " and ",
              final_div_factor);
  const size_t groups = optimizer.param_groups().size();
  EMBER_CHECK(max_lrs.size() == groups, "OneCycleLR: expected ", groups,
              " values for max_lr (one per parameter group), got ", max_lrs.size());
  const double total = double(total_steps), rise_end = pct_start * total - 1;
  if (three_phase) phases_ = {{rise_end, 0, 1}, {2 * pct_start * total - 2, 1, 0}, {total - 1, 0, 2}};
  else phases_ = {{rise_end, 0, 1}, {total - 1, 1, 2}};
  double start = 0;
  for (size_t k = 0; k < phases_.size(); ++k) {
    EMBER_CHECK(phases_[k].end_step != start, "OneCycleLR: phase ", k + 1, " of ", phases_.size(),
                " has zero length (pct_start ", pct_start, " of ", total_steps,
                " total_steps); Python's OneCycleLR divides by zero there");
    start = phases_[k].end_step;
  }
  for (const double m : max_lrs) {
    const double initial = m / div_factor;
    group_lrs_.push_back({initial, m, initial / final_div_factor});
  }
  step();  // Python's constructor takes step 0: the rate becomes max_lr / div_factor
}

std::vector<double> OneCycleLR::get_lrs() {
  const int64_t e = step_count_;
  EMBER_CHECK(e <= total_steps_, "OneCycleLR: tried to step ", e + 1, " times; the specified number of total steps is ",
              total_steps_);
  std::vector<double> lrs;
  for (const auto& g : group_lrs_) {
    double start_step = 0;
    for (size_t k = 0; k < phases_.size(); ++k) {
      const Phase& phase = phases_[k];
      if (double(e) <= phase.end_step || k + 1 == phases_.size()) {
        const double pct = (double(e) - start_step) / (phase.end_step - start_step);
        const double from = g[size_t(phase.start)], to = g[size_t(phase.end)];
        lrs.push_back(anneal_strategy_ == cos ? to + (from - to) / 2.0 * (std::cos(kPi * pct) + 1)
                                              : (to - from) * pct + from);
        break;
      }
      start_step = phase.end_step;
    }
  }
  return lrs;
}

}  // namespace optim
}  // namespace ember
