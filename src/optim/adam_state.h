#pragma once
// Adam's and AdamW's checkpoint state, the same for both but for the kind written: each group's
// options and each parameter's step, moments and (amsgrad) running maximum. The format's rules
// live in state_archive.h.
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "optim/adam_common.h"
#include "optim/state_archive.h"

namespace ember {
namespace optim {
namespace detail {

template <typename Options, typename State>
void save_adam(const Optimizer& optimizer, const char* kind, const char* options_name, SafeTensors& archive) {
  StateWriter out(optimizer, kind, archive);
  const auto& groups = optimizer.param_groups();
  for (size_t g = 0; g < groups.size(); ++g) {
    const Options& o = group_options<Options>(groups[g], g, "save(optimizer)", options_name);
    out.number(g, "lr", o.lr());
    out.number(g, "betas.0", std::get<0>(o.betas()));
    out.number(g, "betas.1", std::get<1>(o.betas()));
    out.number(g, "eps", o.eps());
    out.number(g, "weight_decay", o.weight_decay());
    out.flag(g, "amsgrad", o.amsgrad());
    for (const Tensor& p : groups[g].params()) {
      const auto* st = dynamic_cast<const State*>(optimizer.state_of(p));
      if (st == nullptr || !st->exp_avg().defined() || !st->exp_avg_sq().defined()) continue;
      // PyTorch 1.13 keeps step as a 0-dim tensor too; int64 holds it exactly.
      out.tensor(p, "step", full(std::vector<int64_t>{}, Scalar(st->step()), kLong));
      out.tensor(p, "exp_avg", st->exp_avg());
      out.tensor(p, "exp_avg_sq", st->exp_avg_sq());
      if (st->max_exp_avg_sq().defined()) out.tensor(p, "max_exp_avg_sq", st->max_exp_avg_sq());
    }
  }
}

template <typename Options, typename State>
void load_adam(Optimizer& optimizer, const char* kind, const SafeTensors& archive, const std::string& source) {
  StateReader in(optimizer, kind, archive, source);
  std::vector<Options> options;
  for (size_t g = 0; g < optimizer.param_groups().size(); ++g) {
    in.begin_group(g);
    Options o(in.number(g, "lr"));
    const double beta1 = in.number(g, "betas.0");
    o.betas(std::make_tuple(beta1, in.number(g, "betas.1")));
    o.eps(in.number(g, "eps"));
    o.weight_decay(in.number(g, "weight_decay"));
    o.amsgrad(in.flag(g, "amsgrad"));
    // The constructor's rules, so a loaded optimizer is one that could have been built.
    check_adam_options(o, ember::detail::str(in.where(), ": ", kind, " parameter group ", g));
    options.push_back(o);
  }
  using Kind = StateReader::Kind;
  enum { kStep, kExpAvg, kExpAvgSq, kMaxExpAvgSq };
  const auto found = in.state({{"step", Kind::kCount},
                               {"exp_avg", Kind::kLikeParam},
                               {"exp_avg_sq", Kind::kLikeParam},
                               {"max_exp_avg_sq", Kind::kLikeParam}});
  const std::vector<Tensor>& params = in.params();
  // A parameter has either no state (never stepped) or step and both moments.
  for (size_t i = 0; i < params.size(); ++i) {
    const auto& fs = found[i];
    const bool any =
        fs[kStep].defined() || fs[kExpAvg].defined() || fs[kExpAvgSq].defined() || fs[kMaxExpAvgSq].defined();
    const bool core = fs[kStep].defined() && fs[kExpAvg].defined() && fs[kExpAvgSq].defined();
    EMBER_CHECK(!any || core, in.where(), ": the state of parameter ", i, " is incomplete (state.", i,
                ".step, .exp_avg and .exp_avg_sq go together)");
  }

  Optimizer::StateMap fresh;
  for (size_t i = 0; i < params.size(); ++i) {
    const auto& fs = found[i];
    if (!fs[kStep].defined()) continue;
    auto st = std::make_unique<State>();
    st->step(fs[kStep].template item<int64_t>());
    st->exp_avg(StateReader::own_copy(fs[kExpAvg], params[i]));
    st->exp_avg_sq(StateReader::own_copy(fs[kExpAvgSq], params[i]));
    if (fs[kMaxExpAvgSq].defined()) st->max_exp_avg_sq(StateReader::own_copy(fs[kMaxExpAvgSq], params[i]));
    fresh[params[i].unsafeGetTensorImpl()] = std::move(st);
  }
  install(optimizer, std::move(fresh), options);
}

}  // namespace detail
}  // namespace optim
}  // namespace ember
