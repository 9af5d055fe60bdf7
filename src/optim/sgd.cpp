// optim::SGD: PyTorch's update rule, applied in place by one fused backend entry
// (Backend::sgd_step) per device and dtype: one pass over each parameter, and no allocation but
// the momentum buffer on its first use.
#include "ember/optim/sgd.h"

#include <map>

#include "backend.h"
#include "optim/define_optimizer.h"

namespace ember {
namespace optim {

template <typename V>
void each_option(SGDOptions& o, V&& v) {
  v("lr", o.lr()), v("momentum", o.momentum()), v("dampening", o.dampening()), v("weight_decay", o.weight_decay()),
      v("nesterov", o.nesterov());
}

template <typename V>
void each_state(SGDParamState& s, V&& v) {
  v("momentum_buffer", s.momentum_buffer());
}

void check_options(const SGDOptions& o, const std::string& where) {
  detail::check_nonnegative(
      where, {{"learning rate", o.lr()}, {"momentum value", o.momentum()}, {"weight_decay value", o.weight_decay()}});
  EMBER_CHECK(!o.nesterov() || (o.momentum() > 0 && o.dampening() == 0), where,
              ": Nesterov momentum requires a momentum and zero dampening (got momentum ", o.momentum(), ", dampening ",
              o.dampening(), ")");
}

namespace {
/// The parameters of one group that share a device and dtype: one fused step.
struct Batch {
  std::vector<Tensor> params, grads, bufs;
  std::vector<bool> first;
};
}  // namespace

void update(const SGDOptions& o, std::vector<detail::ParamUpdate<SGDParamState>>& updates) {
  std::map<std::string, Batch> batches;
  for (auto& u : updates) {
    EMBER_CHECK(u.param.is_contiguous(), u.op, ": parameter ", u.pi, " of group ", u.gi, " (", describe(u.param),
                ") is not contiguous; parameters are updated in place and must be");
    Batch& batch = batches[u.param.device().str() + to_string(u.param.dtype())];
    batch.params.push_back(u.param);
    batch.grads.push_back(u.grad.contiguous());
    if (o.momentum() == 0) continue;  // no state, as PyTorch
    Tensor& buf = u.state().momentum_buffer();
    batch.first.push_back(!buf.defined());  // the step then writes d_p into it, as PyTorch's clone
    batch.bufs.push_back(u.state_tensor(buf));
  }
  SgdParams hp;
  hp.lr = o.lr();
  hp.momentum = o.momentum();
  hp.dampening = o.dampening();
  hp.weight_decay = o.weight_decay();
  hp.nesterov = o.nesterov();
  for (auto& [key, batch] : batches) {
    backend(batch.params[0]).sgd_step(batch.params, batch.grads, batch.bufs, batch.first, hp);
    for (const Tensor& t : batch.params) bump_version(t);
    for (const Tensor& t : batch.bufs) bump_version(t);
  }
}

EMBER_DEFINE_OPTIMIZER(SGD, "momentum_buffer")

}  // namespace optim
}  // namespace ember
