#pragma once
// The step shared by optim::Adam and optim::AdamW, which differ only in where weight decay goes:
// Adam folds it into the gradient (L2), AdamW shrinks the parameter first (decoupled). Written
// with ember's tensor ops only (no dedicated kernel), so it runs on every device and dtype; the
// operations follow PyTorch 1.13's _single_tensor_adam / _single_tensor_adamw in order.
#include <cmath>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "ember/autograd.h"
#include "ember/optim/optimizer.h"
#include "optim/step_common.h"

namespace ember {
namespace optim {
namespace detail {

/// PyTorch's constructor checks, for the defaults and for every group's own options.
template <typename Options>
void check_adam_options(const Options& o, const std::string& where) {
  const double beta1 = std::get<0>(o.betas()), beta2 = std::get<1>(o.betas());
  EMBER_CHECK(o.lr() >= 0, where, ": invalid learning rate ", o.lr(), " (must be >= 0)");
  EMBER_CHECK(o.eps() >= 0, where, ": invalid epsilon value ", o.eps(), " (must be >= 0)");
  EMBER_CHECK(beta1 >= 0 && beta1 < 1, where, ": invalid beta parameter at index 0: ", beta1, " (must be in [0, 1))");
  EMBER_CHECK(beta2 >= 0 && beta2 < 1, where, ": invalid beta parameter at index 1: ", beta2, " (must be in [0, 1))");
  EMBER_CHECK(o.weight_decay() >= 0, where, ": invalid weight_decay value ", o.weight_decay(), " (must be >= 0)");
}

/// Checks every group's options (at construction).
template <typename Options>
void check_all_groups(const std::vector<OptimizerParamGroup>& groups, const char* name, const char* options_name) {
  for (size_t i = 0; i < groups.size(); ++i)
    check_adam_options(group_options<Options>(groups[i], i, name, options_name),
                       std::string(name) + " (parameter group " + std::to_string(i) + ")");
}

/// One Adam/AdamW step over every group. `decoupled` selects AdamW's weight decay.
template <typename Options, typename State>
void adam_step(std::vector<OptimizerParamGroup>& groups, Optimizer::StateMap& states, const char* op,
               const char* options_name, bool decoupled) {
  NoGradGuard no_grad;
  for (size_t gi = 0; gi < groups.size(); ++gi) {
    auto& group = groups[gi];
    const Options& o = group_options<Options>(group, gi, op, options_name);
    // Options may have been changed (or a group added) since construction: recheck them here.
    check_adam_options(o, std::string(op) + " (parameter group " + std::to_string(gi) + ")");
    const double lr = o.lr(), eps = o.eps(), wd = o.weight_decay();
    const double beta1 = std::get<0>(o.betas()), beta2 = std::get<1>(o.betas());

    for (size_t pi = 0; pi < group.params().size(); ++pi) {
      const Tensor& p = group.params()[pi];
      Tensor grad = p.grad();
      if (!grad.defined()) continue;
      check_grad_fits(op, p, grad, pi, gi);

      auto& slot = states[p.unsafeGetTensorImpl()];
      auto* st = dynamic_cast<State*>(slot.get());
      if (st == nullptr) {
        // First step of this parameter (or foreign state, which a fresh one replaces, as the
        // first step would create it).
        auto fresh = std::make_unique<State>();
        fresh->exp_avg(zeros_like(p));
        fresh->exp_avg_sq(zeros_like(p));
        if (o.amsgrad()) fresh->max_exp_avg_sq(zeros_like(p));
        st = fresh.get();
        slot = std::move(fresh);
      }
      Tensor& exp_avg = st->exp_avg();
      Tensor& exp_avg_sq = st->exp_avg_sq();
      for (const Tensor* t : {&exp_avg, &exp_avg_sq}) check_state_fits(op, *t, p, pi, gi);
      // amsgrad switched on after earlier steps: the running maximum starts from zero, as it
      // would have in PyTorch's first step.
      if (o.amsgrad() && !st->max_exp_avg_sq().defined()) st->max_exp_avg_sq(zeros_like(p));

      st->step(st->step() + 1);
      const double step = static_cast<double>(st->step());

      if (wd != 0) {
        if (decoupled) p.mul_(1 - lr * wd);
        else grad = grad.add(p, wd);
      }
      exp_avg.mul_(beta1).add_(grad, 1 - beta1);
      exp_avg_sq.mul_(beta2).add_(grad * grad, 1 - beta2);

      const double bias_correction1 = 1 - std::pow(beta1, step);
      const double bias_correction2 = 1 - std::pow(beta2, step);
      const double step_size = lr / bias_correction1;
      const double bias_correction2_sqrt = std::sqrt(bias_correction2);

      Tensor second = exp_avg_sq;
      if (o.amsgrad()) {
        Tensor& max_sq = st->max_exp_avg_sq();
        // torch.maximum, NaN-propagating for a NaN in the new second moment.
        max_sq.copy_(where(max_sq.ge(exp_avg_sq), max_sq, exp_avg_sq));
        second = max_sq;
      }
      Tensor denom = (second.sqrt() / bias_correction2_sqrt).add_(eps);
      p.add_(exp_avg / denom, -step_size);
    }
  }
}

}  // namespace detail
}  // namespace optim
}  // namespace ember
