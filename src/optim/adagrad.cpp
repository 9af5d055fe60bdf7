// optim::Adagrad: PyTorch 1.13's single-tensor update (torch/optim/adagrad.py), written with
// ember's tensor ops so it runs on every device and dtype; its fields and constructor rule.
#include "ember/optim/adagrad.h"

#include "optim/define_optimizer.h"

namespace ember {
namespace optim {

template <typename V>
void each_option(AdagradOptions& o, V&& v) {
  v("lr", o.lr()), v("lr_decay", o.lr_decay()), v("weight_decay", o.weight_decay()),
      v("initial_accumulator_value", o.initial_accumulator_value()), v("eps", o.eps());
}

template <typename V>
void each_state(AdagradParamState& s, V&& v) {
  v("sum", s.sum()), v("step", s.step());
}

void check_options(const AdagradOptions& o, const std::string& where) { detail::check_all_nonnegative(o, where); }

// As LibTorch (and PyTorch), every parameter's sum exists from the start, filled with the defaults'
// initial_accumulator_value even in a group with its own (both read only that one).
void after_construction(Optimizer& optimizer, const AdagradOptions& defaults) {
  NoGradGuard no_grad;
  for (const Tensor& p : optimizer.all_parameters()) {
    auto st = std::make_unique<AdagradParamState>();
    st->sum(full_like(p, defaults.initial_accumulator_value()));
    optimizer.state()[p.unsafeGetTensorImpl()] = std::move(st);
  }
}

void update(const AdagradOptions& o, std::vector<detail::ParamUpdate<AdagradParamState>>& updates) {
  for (auto& u : updates) {
    AdagradParamState& st = u.state();
    // A group added after construction starts from its own initial_accumulator_value.
    Tensor& sum = u.state_tensor(st.sum(), o.initial_accumulator_value());
    st.step(st.step() + 1);
    Tensor grad = u.grad;
    if (o.weight_decay() != 0) grad = grad.add(u.param, o.weight_decay());
    const double clr = o.lr() / (1 + double(st.step() - 1) * o.lr_decay());
    sum.add_(grad * grad);
    u.param.add_(grad / sum.sqrt().add_(o.eps()), -clr);
  }
}

EMBER_DEFINE_OPTIMIZER(Adagrad, "sum", "step")

}  // namespace optim
}  // namespace ember
