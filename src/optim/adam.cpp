// optim::Adam and optim::AdamW: options, state, the constructor checks, and the entries that hand
// over to the update and the checkpoint code they share (adam_common.h, adam_state.h). The two
// classes differ only in their names and in decoupled weight decay, so they are defined once, by
// EMBER_DEFINE_ADAM below, for both.
#include "ember/optim/adam.h"

#include "optim/adam_common.h"
#include "optim/adam_state.h"
#include "optim/state_schema.h"

namespace ember {
namespace optim {
#define EMBER_DEFINE_ADAM(Name, kDecoupled)                                                                    \
  Name##Options::Name##Options(double lr) : lr_(lr) {}                                                         \
                                                                                                               \
  bool operator==(const Name##Options& a, const Name##Options& b) { return detail::same_options(a, b); }       \
  bool operator==(const Name##ParamState& a, const Name##ParamState& b) { return detail::same_state(a, b); }   \
                                                                                                               \
  Name::Name(std::vector<OptimizerParamGroup> param_groups, Name##Options defaults)                            \
      : Optimizer(std::move(param_groups), std::make_unique<Name##Options>(defaults)) {                        \
    detail::check_adam_options(defaults, #Name);                                                               \
    detail::check_all_groups<Name##Options>(param_groups_, #Name, #Name "Options");                            \
  }                                                                                                            \
                                                                                                               \
  Name::Name(std::vector<Tensor> params, Name##Options defaults)                                               \
      : Name(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(params))}, std::move(defaults)) {} \
                                                                                                               \
  Tensor Name::step(LossClosure closure) {                                                                     \
    Tensor loss = run_closure(closure);                                                                        \
    detail::adam_step<Name##Options, Name##ParamState>(param_groups_, state_, #Name "::step", #Name "Options", \
                                                       kDecoupled);                                            \
    return loss;                                                                                               \
  }                                                                                                            \
                                                                                                               \
  void Name::save(SafeTensors& archive) const {                                                                \
    detail::save_state<Name##Options, Name##ParamState>(*this, #Name, #Name "Options", archive);               \
  }                                                                                                            \
                                                                                                               \
  void Name::load(const SafeTensors& archive, const std::string& source) {                                     \
    const auto check = [](const Name##Options& o, const detail::StateReader& in, size_t g) {                   \
      detail::check_adam_options(o, ember::detail::str(in.where(), ": " #Name " parameter group ", g));        \
    };                                                                                                         \
    detail::load_state<Name##Options, Name##ParamState>(*this, #Name, archive, source, check,                  \
                                                        {"step", "exp_avg", "exp_avg_sq"});                    \
  }

EMBER_DEFINE_ADAM(Adam, /*decoupled weight decay:*/ false)
EMBER_DEFINE_ADAM(AdamW, /*decoupled weight decay:*/ true)
#undef EMBER_DEFINE_ADAM

}  // namespace optim
}  // namespace ember
