// optim::RMSprop: PyTorch 1.13's single-tensor update (torch/optim/rmsprop.py), written with
// ember's tensor ops so it runs on every device and dtype; its checkpoint state.
#include "ember/optim/rmsprop.h"

#include "optim/state_schema.h"

namespace ember {
namespace optim {

template <typename V>
void each_option(RMSpropOptions& o, V&& v) {
  v("lr", o.lr()), v("alpha", o.alpha()), v("eps", o.eps()), v("weight_decay", o.weight_decay()),
      v("momentum", o.momentum()), v("centered", o.centered());
}

template <typename V>
void each_state(RMSpropParamState& s, V&& v) {
  v("step", s.step()), v("square_avg", s.square_avg()), v("momentum_buffer", s.momentum_buffer()),
      v("grad_avg", s.grad_avg());
}

namespace {

// LibTorch's constructor checks, for the defaults and for every group's own options.
void check_options(const RMSpropOptions& o, const std::string& where) {
  detail::check_nonnegative(where, {{"learning rate", o.lr()},
                                    {"epsilon value", o.eps()},
                                    {"momentum value", o.momentum()},
                                    {"weight_decay value", o.weight_decay()},
                                    {"alpha value", o.alpha()}});
}

const RMSpropOptions& options_of(const OptimizerParamGroup& group, size_t gi, const char* op) {
  return detail::checked_options<RMSpropOptions>(group, gi, op, "RMSpropOptions", check_options);
}

}  // namespace

RMSpropOptions::RMSpropOptions(double lr) : lr_(lr) {}

bool operator==(const RMSpropOptions& a, const RMSpropOptions& b) { return detail::same_options(a, b); }

bool operator==(const RMSpropParamState& a, const RMSpropParamState& b) { return detail::same_state(a, b); }

RMSprop::RMSprop(std::vector<OptimizerParamGroup> param_groups, RMSpropOptions defaults)
    : Optimizer(std::move(param_groups), std::make_unique<RMSpropOptions>(defaults)) {
  check_options(defaults, "RMSprop");
  for (size_t gi = 0; gi < param_groups_.size(); ++gi) options_of(param_groups_[gi], gi, "RMSprop");
}

RMSprop::RMSprop(std::vector<Tensor> params, RMSpropOptions defaults)
    : RMSprop(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(params))}, std::move(defaults)) {}

Tensor RMSprop::step(LossClosure closure) {
  Tensor loss = run_closure(closure);
  NoGradGuard no_grad;
  const char* op = "RMSprop::step";
  for (size_t gi = 0; gi < param_groups_.size(); ++gi) {
    const RMSpropOptions& o = options_of(param_groups_[gi], gi, op);
    const double alpha = o.alpha();
    const std::vector<Tensor>& params = param_groups_[gi].params();
    for (size_t pi = 0; pi < params.size(); ++pi) {
      const Tensor& p = params[pi];
      Tensor grad = p.grad();
      if (!grad.defined()) continue;
      detail::check_grad_fits(op, p, grad, pi, gi);
      auto& slot = state_[p.unsafeGetTensorImpl()];
      auto* st = dynamic_cast<RMSpropParamState*>(slot.get());
      if (st == nullptr) {
        auto fresh = std::make_unique<RMSpropParamState>();
        fresh->square_avg(zeros_like(p));
        st = fresh.get();
        slot = std::move(fresh);
      }
      // Momentum or centering switched on after earlier steps start from zero, as a first step would.
      if (o.momentum() > 0 && !st->momentum_buffer().defined()) st->momentum_buffer(zeros_like(p));
      if (o.centered() && !st->grad_avg().defined()) st->grad_avg(zeros_like(p));
      detail::check_state_fits(op, st->square_avg(), p, pi, gi);
      st->step(st->step() + 1);

      if (o.weight_decay() != 0) grad = grad.add(p, o.weight_decay());
      Tensor& square_avg = st->square_avg();
      square_avg.mul_(alpha).add_(grad * grad, 1 - alpha);
      Tensor avg;
      if (o.centered()) {
        Tensor& grad_avg = st->grad_avg();
        detail::check_state_fits(op, grad_avg, p, pi, gi);
        grad_avg.mul_(alpha).add_(grad, 1 - alpha);
        avg = square_avg.sub(grad_avg * grad_avg).sqrt();
      } else {
        avg = square_avg.sqrt();
      }
      avg.add_(o.eps());
      if (o.momentum() > 0) {
        Tensor& buf = st->momentum_buffer();
        detail::check_state_fits(op, buf, p, pi, gi);
        buf.mul_(o.momentum()).add_(grad / avg);
        p.add_(buf, -o.lr());
      } else {
        p.add_(grad / avg, -o.lr());
      }
    }
  }
  return loss;
}

void RMSprop::save(SafeTensors& archive) const {
  detail::save_state<RMSpropOptions, RMSpropParamState>(*this, "RMSprop", "RMSpropOptions", archive);
}

void RMSprop::load(const SafeTensors& archive, const std::string& source) {
  const auto check = [](const RMSpropOptions& o, const detail::StateReader& in, size_t g) {
    check_options(o, ember::detail::str(in.where(), ": RMSprop parameter group ", g));
  };
  detail::load_state<RMSpropOptions, RMSpropParamState>(*this, "RMSprop", archive, source, check,
                                                        {"step", "square_avg"});
}

}  // namespace optim
}  // namespace ember
