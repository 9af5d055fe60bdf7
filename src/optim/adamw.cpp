// optim::AdamW: options, state and the constructor checks; the update itself is shared with
// Adam in adam_common.h (decoupled weight decay is its only difference).
#include "ember/optim/adamw.h"

#include "optim/adam_common.h"
#include "optim/adam_state.h"

namespace ember {
namespace optim {

AdamWOptions::AdamWOptions(double lr) : lr_(lr) {}

bool operator==(const AdamWOptions& a, const AdamWOptions& b) {
  return a.lr() == b.lr() && a.betas() == b.betas() && a.eps() == b.eps() &&
         a.weight_decay() == b.weight_decay() && a.amsgrad() == b.amsgrad();
}

bool operator==(const AdamWParamState& a, const AdamWParamState& b) {
  return a.step() == b.step() && detail::same_tensor_state(a.exp_avg(), b.exp_avg()) &&
         detail::same_tensor_state(a.exp_avg_sq(), b.exp_avg_sq()) &&
         detail::same_tensor_state(a.max_exp_avg_sq(), b.max_exp_avg_sq());
}

AdamW::AdamW(std::vector<OptimizerParamGroup> param_groups, AdamWOptions defaults)
    : Optimizer(std::move(param_groups), std::make_unique<AdamWOptions>(defaults)) {
  detail::check_adam_options(defaults, "AdamW");
  detail::check_all_groups<AdamWOptions>(param_groups_, "AdamW", "AdamWOptions");
}

AdamW::AdamW(std::vector<Tensor> params, AdamWOptions defaults)
    : AdamW(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(params))}, std::move(defaults)) {}

Tensor AdamW::step(LossClosure closure) {
  Tensor loss = run_closure(closure);
  detail::adam_step<AdamWOptions, AdamWParamState>(param_groups_, state_, "AdamW::step", "AdamWOptions",
                                                   /*decoupled=*/true);
  return loss;
}

void AdamW::save(SafeTensors& archive) const {
  detail::save_adam<AdamWOptions, AdamWParamState>(*this, "AdamW", "AdamWOptions", archive);
}

void AdamW::load(const SafeTensors& archive, const std::string& source) {
  detail::load_adam<AdamWOptions, AdamWParamState>(*this, "AdamW", archive, source);
}

}  // namespace optim
}  // namespace ember
