#pragma once
// EMBER_DEFINE_OPTIMIZER(Name, together...): what every optimizer that EMBER_DECLARE_OPTIMIZER
// declares defines alike, once: the options' constructor, the two ==, the constructors (which check
// the defaults and every group's options), step() (the closure first, then step_groups), and the
// checkpoint's save/load (state_schema.h; `together` lists the state fields that a parameter has
// all or none of). Before it, the optimizer's .cpp defines, in namespace ember::optim:
//   each_option(XOptions&, V), each_state(XParamState&, V)    its fields (state_schema.h)
//   check_options(const XOptions&, const std::string& where)  LibTorch's constructor rule
//   update(const XOptions&, std::vector<detail::ParamUpdate<XParamState>>&)
//                                                             one group's step (step_common.h)
// and, where the constructor does more than check (Adagrad makes every state; LBFGS allows one
// group and fills in max_eval), after_construction. EMBER_DEFINE_OPTIMIZER_BASICS defines all but
// step() and the checkpoint, for an optimizer that writes those itself (LBFGS).
#include <memory>
#include <string>
#include <vector>

#include "optim/state_schema.h"
#include "optim/step_common.h"

namespace ember {
namespace optim {

/// What a constructor does once the options are checked: nothing, unless an optimizer overloads it
/// for its own options.
template <typename Options>
void after_construction(Optimizer&, const Options&) {}

}  // namespace optim
}  // namespace ember

// The options' constructor, the two ==, and the constructors (EMBER_DEFINE_OPTIMIZER without the
// step and the checkpoint: LBFGS writes its own).
#define EMBER_DEFINE_OPTIMIZER_BASICS(Name)                                                                  \
  Name##Options::Name##Options(double lr) : lr_(lr) {}                                                       \
                                                                                                             \
  bool operator==(const Name##Options& a, const Name##Options& b) { return detail::same_options(a, b); }     \
  bool operator==(const Name##ParamState& a, const Name##ParamState& b) { return detail::same_state(a, b); } \
                                                                                                             \
  Name::Name(std::vector<OptimizerParamGroup> param_groups, Name##Options defaults)                          \
      : Optimizer(std::move(param_groups), std::make_unique<Name##Options>(defaults)) {                      \
    detail::check_groups<Name##Options>(*this, #Name, #Name "Options");                                      \
    after_construction(*this, defaults);                                                                     \
  }                                                                                                          \
                                                                                                             \
  Name::Name(std::vector<Tensor> params, Name##Options defaults)                                             \
      : Name(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(params))}, std::move(defaults)) {}

#define EMBER_DEFINE_OPTIMIZER(Name, ...)                                                              \
  EMBER_DEFINE_OPTIMIZER_BASICS(Name)                                                                  \
                                                                                                       \
  Tensor Name::step(LossClosure closure) {                                                             \
    Tensor loss = run_closure(closure);                                                                \
    detail::step_groups<Name##Options, Name##ParamState>(*this, #Name "::step", #Name "Options");      \
    return loss;                                                                                       \
  }                                                                                                    \
                                                                                                       \
  void Name::save(SafeTensors& archive) const {                                                        \
    detail::save_state<Name##Options, Name##ParamState>(*this, #Name, #Name "Options", archive);       \
  }                                                                                                    \
                                                                                                       \
  void Name::load(const SafeTensors& archive, const std::string& source) {                             \
    detail::load_state<Name##Options, Name##ParamState>(*this, #Name, archive, source, {__VA_ARGS__}); \
  }
