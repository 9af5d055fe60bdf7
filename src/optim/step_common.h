#pragma once
// What every optimizer written with ember's tensor ops (Adam, AdamW, RMSprop, Adagrad) checks on
// each step, once: that a group holds its kind of options, that a gradient fits its parameter,
// and that a state tensor still fits its parameter. (SGD runs a fused backend entry instead.)
#include <initializer_list>
#include <string>
#include <utility>

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

/// LibTorch's constructor rule for options that must not be negative: each {what, value} pair,
/// e.g. {"learning rate", lr}, {"momentum value", momentum}, in order.
inline void check_nonnegative(const std::string& where, std::initializer_list<std::pair<const char*, double>> values) {
  for (const auto& v : values)
    EMBER_CHECK(v.second >= 0, where, ": invalid ", v.first, " ", v.second, " (must be >= 0)");
}

/// Group `gi`'s options, checked by check(options, where) as at construction: options may have
/// been changed (or a group added) since.
template <typename Options, typename Check>
const Options& checked_options(const OptimizerParamGroup& group, size_t gi, const char* op, const char* type_name,
                               const Check& check) {
  const Options& o = group_options<Options>(group, gi, op, type_name);
  check(o, std::string(op) + " (parameter group " + std::to_string(gi) + ")");
  return o;
}

inline void check_grad_fits(const char* op, const Tensor& p, const Tensor& grad, size_t pi, size_t gi) {
  EMBER_CHECK(grad.sizes().equals(p.sizes()) && grad.dtype() == p.dtype() && grad.device() == p.device(), op,
              ": parameter ", pi, " of group ", gi, " (", describe(p), ") has a gradient of ", describe(grad),
              "; they must agree in shape, dtype and device");
}

inline void check_state_fits(const char* op, const Tensor& t, const Tensor& p, size_t pi, size_t gi) {
  EMBER_CHECK(t.defined() && t.sizes().equals(p.sizes()) && t.dtype() == p.dtype() && t.device() == p.device(), op,
              ": the state of parameter ", pi, " of group ", gi, " (", describe(t), ") does not match the parameter (",
              describe(p), "); was the parameter moved or converted after the optimizer stepped?");
}

}  // namespace detail
}  // namespace optim
}  // namespace ember
