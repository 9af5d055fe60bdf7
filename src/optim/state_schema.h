#pragma once
// An optimizer's checkpoint, written and read from one declaration of its fields. Each optimizer
// lists its options and its per-parameter state once, as two visitors beside its step:
//   template <class V> void each_option(XOptions& o, V&& v) { v("lr", o.lr()), v("nesterov", o.nesterov()); }
//   template <class V> void each_state(XParamState& s, V&& v) { v("step", s.step()), v("sum", s.sum()); }
// (a list of calls joined by the comma operator, which runs them left to right: the order of the file)
// (options are double, bool, int64_t, std::optional<int64_t> or std::optional<std::string>; the state
// fields that save_state/load_state handle are int64_t counts and tensors shaped like the parameter),
// and save_state/load_state below do the rest with the format rules of state_archive.h.
#include <deque>
#include <optional>
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

/// Equal field values: numbers, flags and texts equal; tensors both undefined or equal in value;
/// lists of tensors of one length and equal one by one.
template <typename T>
bool same_value(const T& x, const T& y) {
  return x == y;
}
inline bool same_value(const Tensor& x, const Tensor& y) { return same_tensor_state(x, y); }
template <typename List>
bool same_list(const List& x, const List& y) {
  if (x.size() != y.size()) return false;
  for (size_t i = 0; i < x.size(); ++i)
    if (!same_tensor_state(x[i], y[i])) return false;
  return true;
}
inline bool same_value(const std::deque<Tensor>& x, const std::deque<Tensor>& y) { return same_list(x, y); }
inline bool same_value(const std::optional<std::vector<Tensor>>& x, const std::optional<std::vector<Tensor>>& y) {
  return x.has_value() == y.has_value() && (!x || same_list(*x, *y));
}

/// Equal options or states (for their operator==): every field that each_option / each_state
/// lists (`each`) equal. The two walks visit the same fields in the same order, so the k-th field
/// of `b` has the type of the k-th of `a`.
template <typename T, typename Each>
bool same_fields(T a, T b, const Each& each) {
  std::vector<const void*> fields;
  each(a, [&](const char*, auto& value) { fields.push_back(&value); });
  bool same = true;
  size_t k = 0;
  each(b, [&](const char*, auto& value) {
    same = same && same_value(*static_cast<const bare_t<decltype(value)>*>(fields[k++]), value);
  });
  return same;
}

template <typename Options>
bool same_options(const Options& a, const Options& b) {
  return same_fields(a, b, [](Options& o, auto&& v) { each_option(o, v); });
}

template <typename State>
bool same_state(const State& a, const State& b) {
  return same_fields(a, b, [](State& s, auto&& v) { each_state(s, v); });
}

/// An option in a checkpoint: numbers and flags as StateWriter writes them, counts as integers, an
/// unset optional as "none".
inline void write_option(StateWriter& out, size_t g, const char* name, double v) { out.number(g, name, v); }
inline void write_option(StateWriter& out, size_t g, const char* name, bool v) { out.flag(g, name, v); }
inline void write_option(StateWriter& out, size_t g, const char* name, int64_t v) {
  out.text(g, name, std::to_string(v));
}
inline void write_option(StateWriter& out, size_t g, const char* name, const std::optional<int64_t>& v) {
  out.text(g, name, v ? std::to_string(*v) : "none");
}
inline void write_option(StateWriter& out, size_t g, const char* name, const std::optional<std::string>& v) {
  out.text(g, name, v ? *v : "none");
}
inline void read_option(StateReader& in, size_t g, const char* name, double& v) { v = in.number(g, name); }
inline void read_option(StateReader& in, size_t g, const char* name, bool& v) { v = in.flag(g, name); }
inline void read_option(StateReader& in, size_t g, const char* name, int64_t& v) { v = in.integer(g, name); }
inline void read_option(StateReader& in, size_t g, const char* name, std::optional<int64_t>& v) {
  if (in.text(g, name) == "none") v = std::nullopt;
  else v = in.integer(g, name);
}
inline void read_option(StateReader& in, size_t g, const char* name, std::optional<std::string>& v) {
  const std::string& s = in.text(g, name);
  if (s == "none") v = std::nullopt;
  else v = s;
}

/// Writes every group's options.
template <typename Options>
void save_options(const Optimizer& optimizer, const char* options_name, StateWriter& out) {
  const auto& groups = optimizer.param_groups();
  for (size_t g = 0; g < groups.size(); ++g) {
    Options o = group_options<Options>(groups[g], g, "save(optimizer)", options_name);
    each_option(o, [&](const char* name, auto& value) { write_option(out, g, name, value); });
  }
}

/// Reads every group's options, each checked by the optimizer's check_options(options, where).
template <typename Options>
std::vector<Options> load_options(const Optimizer& optimizer, const char* kind, StateReader& in) {
  std::vector<Options> options;
  for (size_t g = 0; g < optimizer.param_groups().size(); ++g) {
    in.begin_group(g);
    Options o(0.0);
    each_option(o, [&](const char* name, auto& value) { read_option(in, g, name, value); });
    check_options(o, ember::detail::str(in.where(), ": ", kind, " parameter group ", g));
    options.push_back(o);
  }
  return options;
}

/// Writes each group's options and each parameter's state; a parameter whose first tensor field
/// is undefined (never stepped) writes nothing.
template <typename Options, typename State>
void save_state(const Optimizer& optimizer, const char* kind, const char* options_name, SafeTensors& archive) {
  StateWriter out(optimizer, kind, archive);
  save_options<Options>(optimizer, options_name, out);
  for (const OptimizerParamGroup& group : optimizer.param_groups()) {
    for (const Tensor& p : group.params()) {
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
  const std::vector<Options> options = load_options<Options>(optimizer, kind, in);
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
