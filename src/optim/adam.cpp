// optim::Adam and optim::AdamW: their fields, constructor rule and step, written once for both as
// templates over the options type; the two differ only in where weight decay goes. Written with
// ember's tensor ops only (no dedicated kernel), so the step runs on every device and dtype; the
// operations follow PyTorch 1.13's _single_tensor_adam / _single_tensor_adamw in order.
#include "ember/optim/adam.h"

#include <cmath>
#include <type_traits>

#include "optim/define_optimizer.h"

namespace ember {
namespace optim {

template <typename Options>
using if_adam =
    std::enable_if_t<std::is_same<Options, AdamOptions>::value || std::is_same<Options, AdamWOptions>::value>;

template <typename Options, typename V, typename = if_adam<Options>>
void each_option(Options& o, V&& v) {
  v("lr", o.lr()), v("betas.0", std::get<0>(o.betas())), v("betas.1", std::get<1>(o.betas())), v("eps", o.eps()),
      v("weight_decay", o.weight_decay()), v("amsgrad", o.amsgrad());
}

template <typename State, typename V>
auto each_state(State& s, V&& v) -> decltype(s.exp_avg_sq(), void()) {
  v("step", s.step()), v("exp_avg", s.exp_avg()), v("exp_avg_sq", s.exp_avg_sq()),
      v("max_exp_avg_sq", s.max_exp_avg_sq());
}

/// PyTorch's constructor checks, for the defaults and for every group's own options.
template <typename Options, typename = if_adam<Options>>
void check_options(const Options& o, const std::string& where) {
  const double beta1 = std::get<0>(o.betas()), beta2 = std::get<1>(o.betas());
  detail::check_nonnegative(where, {{"learning rate", o.lr()}, {"epsilon value", o.eps()}});
  EMBER_CHECK(beta1 >= 0 && beta1 < 1, where, ": invalid beta parameter at index 0: ", beta1, " (must be in [0, 1))");
  EMBER_CHECK(beta2 >= 0 && beta2 < 1, where, ": invalid beta parameter at index 1: ", beta2, " (must be in [0, 1))");
  detail::check_nonnegative(where, {{"weight_decay value", o.weight_decay()}});
}

/// One group's step. AdamW (decoupled weight decay) shrinks the parameter; Adam folds the decay
/// into the gradient (L2).
template <typename Options, typename State>
void update(const Options& o, std::vector<detail::ParamUpdate<State>>& updates) {
  constexpr bool decoupled = std::is_same<Options, AdamWOptions>::value;
  const double lr = o.lr(), eps = o.eps(), wd = o.weight_decay();
  const double beta1 = std::get<0>(o.betas()), beta2 = std::get<1>(o.betas());
  for (auto& u : updates) {
    State& st = u.state();
    Tensor& exp_avg = u.state_tensor(st.exp_avg());
    Tensor& exp_avg_sq = u.state_tensor(st.exp_avg_sq());
    st.step(st.step() + 1);
    const double step = static_cast<double>(st.step());

    Tensor grad = u.grad;
    if (wd != 0) {
      if (decoupled) u.param.mul_(1 - lr * wd);
      else grad = grad.add(u.param, wd);
    }
    exp_avg.mul_(beta1).add_(grad, 1 - beta1);
    exp_avg_sq.mul_(beta2).add_(grad * grad, 1 - beta2);

    const double bias_correction1 = 1 - std::pow(beta1, step);
    const double bias_correction2 = 1 - std::pow(beta2, step);
    const double step_size = lr / bias_correction1;
    const double bias_correction2_sqrt = std::sqrt(bias_correction2);

    Tensor second = exp_avg_sq;
    if (o.amsgrad()) {
      Tensor& max_sq = u.state_tensor(st.max_exp_avg_sq());
      // torch.maximum, NaN-propagating for a NaN in the new second moment.
      max_sq.copy_(where(max_sq.ge(exp_avg_sq), max_sq, exp_avg_sq));
      second = max_sq;
    }
    Tensor denom = (second.sqrt() / bias_correction2_sqrt).add_(eps);
    u.param.add_(exp_avg / denom, -step_size);
  }
}

EMBER_DEFINE_OPTIMIZER(Adam, "step", "exp_avg", "exp_avg_sq")
EMBER_DEFINE_OPTIMIZER(AdamW, "step", "exp_avg", "exp_avg_sq")

}  // namespace optim
}  // namespace ember
