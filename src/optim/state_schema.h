#pragma once
// An optimizer's checkpoint, written and read from one declaration of its fields. Each optimizer
// lists its options and its per-parameter state once, as two visitors beside its step:
//   template <class V> void each_option(XOptions& o, V&& v) { v("lr", o.lr()), v("nesterov", o.nesterov()); }
//   template <class V> void each_state(XParamState& s, V&& v) { v("step", s.step()), v("sum", s.sum()); }
// (a list of calls joined by the comma operator, which runs them left to right: the order of the file)
// (options are double or bool; state fields are int64_t counts or tensors shaped like the parameter),
// and save_state/load_state below do the rest with the format rules of state_archive.h.
#include <string>
#include <type_traits>
#include <vector>

#include "optim/state_archive.h"
#include "optim/step_common.h"

namespace ember {
namespace optim {
namespace detail {

template <typename T>
using bare_t = std::remove_cv_t<std::remove_reference_t<T>>;

/// Equal options: every field equal (for the Options' operator==).
template <typename Options>
bool same_options(Options a, Options b) {
  std::vector<double> x, y;
  each_option(a, [&](const char*, auto& value) { x.push_back(double(value)); });
  each_option(b, [&](const char*, auto& value) { y.push_back(double(value)); });
  return x == y;
}

/// Equal per-parameter state: equal counts, and tensors both undefined or equal in value.
template <typename State>
bool same_state(State a, State b) {
  std::vector<Tensor> x, y;
  std::vector<int64_t> cx, cy;
  each_state(a, [&](const char*, auto& value) {
    if constexpr (std::is_same<bare_t<decltype(value)>, Tensor>::value) x.push_back(value);
    else cx.push_back(value);
  });
  each_state(b, [&](const char*, auto& value) {
    if constexpr (std::is_same<bare_t<decltype(value)>, Tensor>::value) y.push_back(value);
    else cy.push_back(value);
  });
  if (cx != cy) return false;
  for (size_t i = 0; i < x.size(); ++i)
    if (!same_tensor_state(x[i], y[i])) return false;
  return true;
}

/// Writes each group's options and each parameter's state; a parameter whose first tensor field
/// is undefined (never stepped) writes nothing.
template <typename Options, typename State>
void save_state(const Optimizer& optimizer, const char* kind, const char* options_name, SafeTensors& archive) {
  StateWriter out(optimizer, kind, archive);
  const auto& groups = optimizer.param_groups();
  for (size_t g = 0; g < groups.size(); ++g) {
    Options o = group_options<Options>(groups[g], g, "save(optimizer)", options_name);
    each_option(o, [&](const char* name, auto& value) {
      if constexpr (std::is_same<bare_t<decltype(value)>, bool>::value) out.flag(g, name, value);
      else out.number(g, name, value);
    });
    for (const Tensor& p : groups[g].params()) {
      const auto* found = dynamic_cast<const State*>(optimizer.state_of(p));
      if (found == nullptr) continue;
      State st = *found;
      bool stepped = true, first_tensor = true;
      each_state(st, [&](const char*, auto& value) {
        if constexpr (std::is_same<bare_t<decltype(value)>, Tensor>::value) {
          if (first_tensor) stepped = value.defined();
          first_tensor = false;
        }
      });
      if (!stepped) continue;
      each_state(st, [&](const char* name, auto& value) {
        if constexpr (std::is_same<bare_t<decltype(value)>, Tensor>::value) {
          if (value.defined()) out.tensor(p, name, value);
        } else {  // a count; PyTorch 1.13 keeps step as a 0-dim tensor too, and int64 holds it exactly
          out.tensor(p, name, full(std::vector<int64_t>{}, Scalar(int64_t(value)), kLong));
        }
      });
    }
  }
}

/// Reads and checks everything (the optimizer's check_options(options, where) applies the
/// constructor's rules; the fields named in `together` are all present or all absent for each
/// parameter) before the optimizer changes anything, then installs the state and each group's options.
template <typename Options, typename State>
void load_state(Optimizer& optimizer, const char* kind, const SafeTensors& archive, const std::string& source,
                const std::vector<std::string>& together) {
  StateReader in(optimizer, kind, archive, source);
  std::vector<Options> options;
  for (size_t g = 0; g < optimizer.param_groups().size(); ++g) {
    in.begin_group(g);
    Options o(0.0);
    each_option(o, [&](const char* name, auto& value) {
      if constexpr (std::is_same<bare_t<decltype(value)>, bool>::value) value = in.flag(g, name);
      else value = in.number(g, name);
    });
    check_options(o, ember::detail::str(in.where(), ": ", kind, " parameter group ", g));
    options.push_back(o);
  }
  std::vector<StateReader::Field> fields;
  State blank;
  each_state(blank, [&](const char* name, auto& value) {
    const bool count = !std::is_same<bare_t<decltype(value)>, Tensor>::value;
    fields.push_back({name, count ? StateReader::Kind::kCount : StateReader::Kind::kLikeParam});
  });
  const auto found = in.state(fields);
  const std::vector<Tensor>& params = in.params();
  auto index_of = [&](const std::string& name) {
    size_t k = 0;
    while (fields[k].name != name) ++k;
    return k;
  };
  Optimizer::StateMap fresh;
  for (size_t i = 0; i < params.size(); ++i) {
    size_t present = 0;
    for (const std::string& name : together) present += found[i][index_of(name)].defined();
    if (present != 0 && present != together.size()) {
      std::string list = "state." + std::to_string(i) + "." + together[0];
      for (size_t k = 1; k < together.size(); ++k) list += (k + 1 == together.size() ? " and ." : ", .") + together[k];
      throw Error(
          ember::detail::str(in.where(), ": the state of parameter ", i, " is incomplete (", list, " go together)"));
    }
    bool any = false;
    for (const Tensor& t : found[i]) any = any || t.defined();
    if (!any) continue;
    auto st = std::make_unique<State>();
    size_t k = 0;
    each_state(*st, [&](const char*, auto& value) {
      const Tensor& t = found[i][k++];
      if (!t.defined()) return;
      if constexpr (std::is_same<bare_t<decltype(value)>, Tensor>::value) value = StateReader::own_copy(t, params[i]);
      else value = t.item<int64_t>();
    });
    fresh[params[i].unsafeGetTensorImpl()] = std::move(st);
  }
  install(optimizer, std::move(fresh), options);
}

}  // namespace detail
}  // namespace optim
}  // namespace ember
