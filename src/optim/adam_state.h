#pragma once
// Adam's and AdamW's checkpoint fields, the same for both (the kind written differs): each group's
// options and each parameter's step, moments and (amsgrad) running maximum. state_schema.h writes
// and reads them.
#include <tuple>

#include "ember/optim/adam.h"

namespace ember {
namespace optim {

template <typename Options, typename V>
auto each_option(Options& o, V&& v) -> decltype(o.betas(), o.amsgrad(), void()) {
  v("lr", o.lr()), v("betas.0", std::get<0>(o.betas())), v("betas.1", std::get<1>(o.betas())), v("eps", o.eps()),
      v("weight_decay", o.weight_decay()), v("amsgrad", o.amsgrad());
}

template <typename State, typename V>
auto each_state(State& s, V&& v) -> decltype(s.exp_avg_sq(), void()) {
  v("step", s.step()), v("exp_avg", s.exp_avg()), v("exp_avg_sq", s.exp_avg_sq()),
      v("max_exp_avg_sq", s.max_exp_avg_sq());
}

}  // namespace optim
}  // namespace ember
