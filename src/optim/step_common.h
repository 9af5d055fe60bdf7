#pragma once
// What every optimizer written with ember's tensor ops (Adam, AdamW, RMSprop, Adagrad) checks on
// each step, once: that a group holds its kind of options, that a gradient fits its parameter,
// and that a state tensor still fits its parameter. (SGD runs a fused backend entry instead.)
#include <string>

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
