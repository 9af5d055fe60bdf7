// optim::RMSprop: PyTorch 1.13's single-tensor update (torch/optim/rmsprop.py), written with
// ember's tensor ops so it runs on every device and dtype; its fields and constructor rule.
#include "ember/optim/rmsprop.h"

#include "optim/define_optimizer.h"

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

void check_options(const RMSpropOptions& o, const std::string& where) { detail::check_all_nonnegative(o, where); }

void update(const RMSpropOptions& o, std::vector<detail::ParamUpdate<RMSpropParamState>>& updates) {
  const double alpha = o.alpha();
  for (auto& u : updates) {
    RMSpropParamState& st = u.state();
    Tensor& square_avg = u.state_tensor(st.square_avg());
    st.step(st.step() + 1);

    Tensor grad = u.grad;
    if (o.weight_decay() != 0) grad = grad.add(u.param, o.weight_decay());
    square_avg.mul_(alpha).add_(grad * grad, 1 - alpha);
    Tensor avg;
    if (o.centered()) {
      Tensor& grad_avg = u.state_tensor(st.grad_avg());
      grad_avg.mul_(alpha).add_(grad, 1 - alpha);
      avg = square_avg.sub(grad_avg * grad_avg).sqrt();
    } else {
      avg = square_avg.sqrt();
    }
    avg.add_(o.eps());
    if (o.momentum() > 0) {
      Tensor& buf = u.state_tensor(st.momentum_buffer());
      buf.mul_(o.momentum()).add_(grad / avg);
      u.param.add_(buf, -o.lr());
    } else {
      u.param.add_(grad / avg, -o.lr());
    }
  }
}

EMBER_DEFINE_OPTIMIZER(RMSprop, "step", "square_avg")

}  // namespace optim
}  // namespace ember
