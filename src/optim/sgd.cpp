// optim::SGD: PyTorch's update rule, applied in place under NoGradGuard by one fused backend
// entry (Backend::sgd_step) per device and dtype: one pass over each parameter, and no
// allocation but the momentum buffer on its first use.
#include "ember/optim/sgd.h"

#include <map>

#include "backend.h"
#include "optim/state_schema.h"

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

namespace {

// PyTorch's constructor checks, applied to the defaults and to every group's own options.
void check_options(const SGDOptions& o, const std::string& where) {
  detail::check_nonnegative(
      where, {{"learning rate", o.lr()}, {"momentum value", o.momentum()}, {"weight_decay value", o.weight_decay()}});
  EMBER_CHECK(!o.nesterov() || (o.momentum() > 0 && o.dampening() == 0), where,
              ": Nesterov momentum requires a momentum and zero dampening (got momentum ", o.momentum(), ", dampening ",
              o.dampening(), ")");
}

const SGDOptions& sgd_options(const OptimizerParamGroup& group, size_t index, const char* op) {
  return detail::group_options<SGDOptions>(group, index, op, "SGDOptions");
}

}  // namespace

SGDOptions::SGDOptions(double lr) : lr_(lr) {}

bool operator==(const SGDOptions& a, const SGDOptions& b) { return detail::same_options(a, b); }

bool operator==(const SGDParamState& a, const SGDParamState& b) { return detail::same_state(a, b); }

SGD::SGD(std::vector<OptimizerParamGroup> param_groups, SGDOptions defaults)
    : Optimizer(std::move(param_groups), std::make_unique<SGDOptions>(defaults)) {
  check_options(defaults, "SGD");
  for (size_t i = 0; i < param_groups_.size(); ++i)
    check_options(sgd_options(param_groups_[i], i, "SGD"), "SGD (parameter group " + std::to_string(i) + ")");
}

SGD::SGD(std::vector<Tensor> params, SGDOptions defaults)
    : SGD(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(params))}, std::move(defaults)) {}

namespace {
/// The parameters of one group that share a device and dtype: one fused step.
struct Batch {
  std::vector<Tensor> params, grads, bufs;
  std::vector<bool> first;
};
}  // namespace

Tensor SGD::step(LossClosure closure) {
  Tensor loss = run_closure(closure);
  NoGradGuard no_grad;
  for (size_t gi = 0; gi < param_groups_.size(); ++gi) {
    auto& group = param_groups_[gi];
    const SGDOptions& o = sgd_options(group, gi, "SGD::step");
    // Options may have been changed (or a group added) since construction: recheck them here.
    check_options(o, "SGD::step (parameter group " + std::to_string(gi) + ")");
    const double lr = o.lr(), m = o.momentum(), damp = o.dampening(), wd = o.weight_decay();

    // Gather the group's parameters per device, then one fused backend call per device.
    std::map<std::string, Batch> batches;
    for (size_t pi = 0; pi < group.params().size(); ++pi) {
      const Tensor& p = group.params()[pi];
      const Tensor& g = p.grad();
      if (!g.defined()) continue;
      EMBER_CHECK(g.sizes().equals(p.sizes()) && g.dtype() == p.dtype() && g.device() == p.device(),
                  "SGD::step: parameter ", pi, " of group ", gi, " (", describe(p), ") has a gradient of ", describe(g),
                  "; they must agree in shape, dtype and device");
      EMBER_CHECK(p.is_contiguous(), "SGD::step: parameter ", pi, " of group ", gi, " (", describe(p),
                  ") is not contiguous; parameters are updated in place and must be");
      Batch& batch = batches[p.device().str() + to_string(p.dtype())];
      batch.params.push_back(p);
      batch.grads.push_back(g.contiguous());
      if (m == 0) continue;
      auto& slot = state_[p.unsafeGetTensorImpl()];
      auto* st = dynamic_cast<SGDParamState*>(slot.get());
      bool first = st == nullptr || !st->momentum_buffer().defined();
      if (first) {
        auto fresh = std::make_unique<SGDParamState>();
        fresh->momentum_buffer(empty_like(p));  // the step writes d_p into it, as PyTorch's clone
        st = fresh.get();
        slot = std::move(fresh);
      } else {
        const Tensor& buf = st->momentum_buffer();
        EMBER_CHECK(buf.sizes().equals(p.sizes()) && buf.dtype() == p.dtype() && buf.device() == p.device(),
                    "SGD::step: the momentum buffer of parameter ", pi, " of group ", gi, " (", describe(buf),
                    ") does not match the parameter (", describe(p),
                    "); was the parameter moved or converted after the optimizer stepped?");
      }
      batch.bufs.push_back(st->momentum_buffer());
      batch.first.push_back(first);
    }
    SgdParams hp;
    hp.lr = lr;
    hp.momentum = m;
    hp.dampening = damp;
    hp.weight_decay = wd;
    hp.nesterov = o.nesterov();
    for (auto& [key, batch] : batches) {
      backend(batch.params[0]).sgd_step(batch.params, batch.grads, batch.bufs, batch.first, hp);
      for (const Tensor& t : batch.params) bump_version(t);
      for (const Tensor& t : batch.bufs) bump_version(t);
    }
  }
  return loss;
}

// --- checkpoints --------------------------------------------------------------------------------

void SGD::save(SafeTensors& archive) const {
  detail::save_state<SGDOptions, SGDParamState>(*this, "SGD", "SGDOptions", archive);
}

void SGD::load(const SafeTensors& archive, const std::string& source) {
  const auto check = [](const SGDOptions& o, const detail::StateReader& in, size_t g) {
    EMBER_CHECK(o.lr() >= 0 && o.momentum() >= 0 && o.weight_decay() >= 0, in.where(), ": parameter group ", g,
                " has a negative lr, momentum or weight_decay");
    EMBER_CHECK(!o.nesterov() || (o.momentum() > 0 && o.dampening() == 0), in.where(), ": parameter group ", g,
                " has nesterov with momentum ", o.momentum(), " and dampening ", o.dampening(),
                " (nesterov needs momentum > 0 and dampening 0)");
  };
  detail::load_state<SGDOptions, SGDParamState>(*this, "SGD", archive, source, check, {});
}

}  // namespace optim
}  // namespace ember
