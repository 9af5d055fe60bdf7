#pragma once
// What every optimizer checks on each step, once: that a group holds its kind of options, that a
// gradient fits its parameter, and that a state tensor still fits its parameter; and the loop that
// hands each group's parameters with a gradient to the optimizer's update.
#include <initializer_list>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "ember/autograd.h"
#include "ember/optim/optimizer.h"
#include "tensor_impl.h"  // describe

namespace ember {
namespace optim {
namespace detail {

/// Equal state tensors: both undefined, or equal values (for the ParamStates' operator==).
inline bool same_tensor_state(const Tensor& x, const Tensor& y) {
  if (x.defined() != y.defined()) return false;
  return !x.defined() || ember::equal(x, y);
}

/// Group `index`'s options as the optimizer's own type (a group given other options is refused).
template <typename Options>
const Options& group_options(const OptimizerParamGroup& group, size_t index, const char* op, const char* type_name) {
  const auto* o = dynamic_cast<const Options*>(&group.options());
  EMBER_CHECK(o != nullptr, op, ": the options of parameter group ", index, " are not ", type_name);
  return *o;
}

/// Where group `gi`'s options are checked: "<op> (parameter group <gi>)".
inline std::string group_where(const char* op, size_t gi) {
  return std::string(op) + " (parameter group " + std::to_string(gi) + ")";
}

/// Checks the defaults and every group's options with the optimizer's check_options(options, where),
/// as LibTorch's constructors do.
template <typename Options>
void check_groups(const Optimizer& optimizer, const char* name, const char* options_name) {
  check_options(static_cast<const Options&>(optimizer.defaults()), name);
  const auto& groups = optimizer.param_groups();
  for (size_t gi = 0; gi < groups.size(); ++gi)
    check_options(group_options<Options>(groups[gi], gi, name, options_name), group_where(name, gi));
}

/// LibTorch's constructor rule for options that must not be negative: each {what, value} pair,
/// e.g. {"learning rate", lr}, {"momentum value", momentum}, in order.
inline void check_nonnegative(const std::string& where, std::initializer_list<std::pair<const char*, double>> values) {
  for (const auto& v : values)
    EMBER_CHECK(v.second >= 0, where, ": invalid ", v.first, " ", v.second, " (must be >= 0)");
}

/// LibTorch's rule for optimizers that refuse a negative value of any option (RMSprop, Adagrad),
/// in the order of their fields, each named as LibTorch names it: "learning rate", "epsilon value",
/// "<field> value".
template <typename Options>
void check_all_nonnegative(Options o, const std::string& where) {
  each_option(o, [&](const std::string& name, auto& value) {
    const char* what = name == "lr" ? "learning rate" : name == "eps" ? "epsilon value" : nullptr;
    if constexpr (!std::is_same<std::remove_reference_t<decltype(value)>, bool>::value)
      check_nonnegative(where, {{what != nullptr ? what : (name + " value").c_str(), value}});
  });
}

inline void check_grad_fits(const char* op, const Tensor& p, const Tensor& grad, size_t pi, size_t gi) {
  EMBER_CHECK(grad.sizes().equals(p.sizes()) && grad.dtype() == p.dtype() && grad.device() == p.device(), op,
              ": parameter ", pi, " of group ", gi, " (", describe(p), ") has a gradient of ", describe(grad),
              "; they must agree in shape, dtype and device");
}

/// One parameter with a gradient, as an optimizer's update sees it.
template <typename State>
class ParamUpdate {
 public:
  ParamUpdate(const char* op, size_t gi, size_t pi, const Tensor& param, Tensor grad, Optimizer::StateMap& states)
      : op(op), gi(gi), pi(pi), param(param), grad(std::move(grad)), states_(&states) {
    check_grad_fits(op, param, this->grad, pi, gi);
  }

  const char* op;
  size_t gi, pi;  // the group's index, and the parameter's within it (for messages)
  Tensor param;
  Tensor grad;

  /// The parameter's state: a blank one at its first step (replacing another optimizer's, as a
  /// first step would).
  State& state() {
    auto& slot = (*states_)[param.unsafeGetTensorImpl()];
    auto* st = dynamic_cast<State*>(slot.get());
    if (st == nullptr) {
      slot = std::make_unique<State>();
      st = static_cast<State*>(slot.get());
    }
    return *st;
  }

  /// State tensor `t` of this parameter: made full of `initial` at its first use (also when the
  /// option that needs it is switched on after earlier steps, as a first step would have made it),
  /// else checked to still fit the parameter.
  Tensor& state_tensor(Tensor& t, double initial = 0) const {
    if (!t.defined()) t = full_like(param, initial);
    EMBER_CHECK(t.sizes().equals(param.sizes()) && t.dtype() == param.dtype() && t.device() == param.device(), op,
                ": the state of parameter ", pi, " of group ", gi, " (", describe(t),
                ") does not match the parameter (", describe(param),
                "); was the parameter moved or converted after the optimizer stepped?");
    return t;
  }

 private:
  Optimizer::StateMap* states_;
};

/// One step of every group, without recording a graph: the group's options, checked again by the
/// optimizer's check_options (they may have changed since construction), and its parameters with a
/// gradient go to the optimizer's update(options, updates).
template <typename Options, typename State>
void step_groups(Optimizer& optimizer, const char* op, const char* options_name) {
  NoGradGuard no_grad;
  auto& groups = optimizer.param_groups();
  for (size_t gi = 0; gi < groups.size(); ++gi) {
    const Options& o = group_options<Options>(groups[gi], gi, op, options_name);
    check_options(o, group_where(op, gi));
    std::vector<ParamUpdate<State>> updates;
    const std::vector<Tensor>& params = groups[gi].params();
    for (size_t pi = 0; pi < params.size(); ++pi)
      if (params[pi].grad().defined())
        updates.emplace_back(op, gi, pi, params[pi], params[pi].grad(), optimizer.state());
    update(o, updates);
  }
}

}  // namespace detail
}  // namespace optim
}  // namespace ember
