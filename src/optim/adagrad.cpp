// optim::Adagrad: PyTorch 1.13's single-tensor update (torch/optim/adagrad.py), written with
// ember's tensor ops so it runs on every device and dtype; its checkpoint state.
#include "ember/optim/adagrad.h"

#include "optim/state_schema.h"

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

namespace {

// LibTorch's constructor checks, for the defaults and for every group's own options.
void check_options(const AdagradOptions& o, const std::string& where) {
  detail::check_nonnegative(where, {{"learning rate", o.lr()},
                                    {"lr_decay value", o.lr_decay()},
                                    {"weight_decay value", o.weight_decay()},
                                    {"initial_accumulator_value value", o.initial_accumulator_value()},
                                    {"epsilon value", o.eps()}});
}

const AdagradOptions& options_of(const OptimizerParamGroup& group, size_t gi, const char* op) {
  return detail::checked_options<AdagradOptions>(group, gi, op, "AdagradOptions", check_options);
}

}  // namespace

AdagradOptions::AdagradOptions(double lr) : lr_(lr) {}

bool operator==(const AdagradOptions& a, const AdagradOptions& b) { return detail::same_options(a, b); }

bool operator==(const AdagradParamState& a, const AdagradParamState& b) { return detail::same_state(a, b); }

Adagrad::Adagrad(std::vector<OptimizerParamGroup> param_groups, AdagradOptions defaults)
    : Optimizer(std::move(param_groups), std::make_unique<AdagradOptions>(defaults)) {
  check_options(defaults, "Adagrad");
  // As LibTorch (and PyTorch), every parameter's sum exists from the start, filled with the
  // defaults' initial_accumulator_value even in a group with its own (both read only that one).
  NoGradGuard no_grad;
  for (size_t gi = 0; gi < param_groups_.size(); ++gi) {
    options_of(param_groups_[gi], gi, "Adagrad");
    for (const Tensor& p : param_groups_[gi].params()) {
      auto st = std::make_unique<AdagradParamState>();
      st->sum(full_like(p, defaults.initial_accumulator_value()));
      state_[p.unsafeGetTensorImpl()] = std::move(st);
    }
  }
}

Adagrad::Adagrad(std::vector<Tensor> params, AdagradOptions defaults)
    : Adagrad(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(params))}, std::move(defaults)) {}

Tensor Adagrad::step(LossClosure closure) {
  Tensor loss = run_closure(closure);
  NoGradGuard no_grad;
  const char* op = "Adagrad::step";
  for (size_t gi = 0; gi < param_groups_.size(); ++gi) {
    const AdagradOptions& o = options_of(param_groups_[gi], gi, op);
    const std::vector<Tensor>& params = param_groups_[gi].params();
    for (size_t pi = 0; pi < params.size(); ++pi) {
      const Tensor& p = params[pi];
      Tensor grad = p.grad();
      if (!grad.defined()) continue;
      detail::check_grad_fits(op, p, grad, pi, gi);
      auto& slot = state_[p.unsafeGetTensorImpl()];
      auto* st = dynamic_cast<AdagradParamState*>(slot.get());
      if (st == nullptr) {  // a group added after construction starts from its own value
        auto fresh = std::make_unique<AdagradParamState>();
        fresh->sum(full_like(p, o.initial_accumulator_value()));
        st = fresh.get();
        slot = std::move(fresh);
      }
      detail::check_state_fits(op, st->sum(), p, pi, gi);
      st->step(st->step() + 1);
      if (o.weight_decay() != 0) grad = grad.add(p, o.weight_decay());
      const double clr = o.lr() / (1 + double(st->step() - 1) * o.lr_decay());
      Tensor& sum = st->sum();
      sum.add_(grad * grad);
      p.add_(grad / sum.sqrt().add_(o.eps()), -clr);
    }
  }
  return loss;
}

void Adagrad::save(SafeTensors& archive) const {
  detail::save_state<AdagradOptions, AdagradParamState>(*this, "Adagrad", "AdagradOptions", archive);
}

void Adagrad::load(const SafeTensors& archive, const std::string& source) {
  const auto check = [](const AdagradOptions& o, const detail::StateReader& in, size_t g) {
    check_options(o, ember::detail::str(in.where(), ": Adagrad parameter group ", g));
  };
  detail::load_state<AdagradOptions, AdagradParamState>(*this, "Adagrad", archive, source, check, {"sum", "step"});
}

}  // namespace optim
}  // namespace ember
