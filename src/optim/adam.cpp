// optim::Adam: options, state and the constructor checks; the update itself is shared with
// AdamW in adam_common.h.
#include "ember/optim/adam.h"

#include "optim/adam_common.h"
#include "optim/adam_state.h"

namespace ember {
namespace optim {

AdamOptions::AdamOptions(double lr) : lr_(lr) {}

bool operator==(const AdamOptions& a, const AdamOptions& b) {
  return a.lr() == b.lr() && a.betas() == b.betas() && a.eps() == b.eps() &&
         a.weight_decay() == b.weight_decay() && a.amsgrad() == b.amsgrad();
}

bool operator==(const AdamParamState& a, const AdamParamState& b) {
  return a.step() == b.step() && detail::same_tensor_state(a.exp_avg(), b.exp_avg()) &&
         detail::same_tensor_state(a.exp_avg_sq(), b.exp_avg_sq()) &&
         detail::same_tensor_state(a.max_exp_avg_sq(), b.max_exp_avg_sq());
}

Adam::Adam(std::vector<OptimizerParamGroup> param_groups, AdamOptions defaults)
    : Optimizer(std::move(param_groups), std::make_unique<AdamOptions>(defaults)) {
  detail::check_adam_options(defaults, "Adam");
  detail::check_all_groups<AdamOptions>(param_groups_, "Adam", "AdamOptions");
}

Adam::Adam(std::vector<Tensor> params, AdamOptions defaults)
    : Adam(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(params))}, std::move(defaults)) {}

Tensor Adam::step(LossClosure closure) {
  Tensor loss = run_closure(closure);
  detail::adam_step<AdamOptions, AdamParamState>(param_groups_, state_, "Adam::step", "AdamOptions",
                                                 /*decoupled=*/false);
  return loss;
}

void Adam::save(SafeTensors& archive) const {
  detail::save_adam<AdamOptions, AdamParamState>(*this, "Adam", "AdamOptions", archive);
}

void Adam::load(const SafeTensors& archive, const std::string& source) {
  detail::load_adam<AdamOptions, AdamParamState>(*this, "Adam", archive, source);
}

}  // namespace optim
}  // namespace ember
