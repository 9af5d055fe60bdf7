// optim::LBFGS: PyTorch 1.13's torch/optim/lbfgs.py (and LibTorch 1.13's port of it), operation for
// operation, on all parameters flattened into one vector: the two-loop recursion over the last
// history_size steps, then a fixed step of lr or the strong-Wolfe line search (minFunc's lswolfe,
// with cubic interpolation).
#include "ember/optim/lbfgs.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <tuple>

#include "optim/define_optimizer.h"

namespace ember {
namespace optim {

template <typename V>
void each_option(LBFGSOptions& o, V&& v) {
  v("lr", o.lr()), v("max_iter", o.max_iter()), v("max_eval", o.max_eval()), v("tolerance_grad", o.tolerance_grad()),
      v("tolerance_change", o.tolerance_change()), v("history_size", o.history_size()),
      v("line_search_fn", o.line_search_fn());
}

template <typename V>
void each_state(LBFGSParamState& s, V&& v) {
  v("func_evals", s.func_evals()), v("n_iter", s.n_iter()), v("t", s.t()), v("prev_loss", s.prev_loss()), v("d", s.d()),
      v("H_diag", s.H_diag()), v("prev_flat_grad", s.prev_flat_grad()), v("old_dirs", s.old_dirs()),
      v("old_stps", s.old_stps()), v("ro", s.ro()), v("al", s.al());
}

void check_options(const LBFGSOptions& o, const std::string& where) {
  EMBER_CHECK(!o.line_search_fn() || *o.line_search_fn() == "strong_wolfe", where,
              ": only 'strong_wolfe' is supported as line_search_fn, got '", o.line_search_fn().value_or(""), "'");
  // PyTorch's history drops its oldest entry when it holds history_size: from an empty one at 0.
  EMBER_CHECK(o.history_size() >= 1, where, ": history_size must be at least 1, got ", o.history_size());
}

namespace {

constexpr const char* kStep = "LBFGS::step";

int64_t default_max_eval(const LBFGSOptions& o) { return o.max_iter() * 5 / 4; }

}  // namespace

// LibTorch's constructor: one group only, and max_eval defaults to max_iter * 5 / 4.
void after_construction(Optimizer& optimizer, const LBFGSOptions& defaults) {
  const size_t groups = optimizer.param_groups().size();
  EMBER_CHECK(groups == 1, "LBFGS doesn't support per-parameter options (parameter groups): got ", groups, " groups");
  for (OptimizerOptions* o : {&optimizer.defaults(), &optimizer.param_groups()[0].options()}) {
    auto& lbfgs = static_cast<LBFGSOptions&>(*o);
    if (!lbfgs.max_eval()) lbfgs.max_eval(default_max_eval(defaults));
  }
}

EMBER_DEFINE_OPTIMIZER_BASICS(LBFGS)

namespace {

Tensor flat_dot(const Tensor& a, const Tensor& b) { return (a * b).sum(); }
double value(const Tensor& t) { return t.item<double>(); }

/// The parameters of the one group, checked: there is one, they share the first one's dtype and
/// device (they are flattened into one vector), and each gradient fits its parameter.
const std::vector<Tensor>& checked_params(const std::vector<OptimizerParamGroup>& groups) {
  EMBER_CHECK(groups.size() == 1, kStep, ": LBFGS doesn't support per-parameter options (parameter groups): got ",
              groups.size(), " groups");
  const std::vector<Tensor>& params = groups[0].params();
  EMBER_CHECK(!params.empty(), kStep, ": the optimizer has no parameters");
  for (size_t i = 0; i < params.size(); ++i) {
    const Tensor& p = params[i];
    EMBER_CHECK(p.dtype() == params[0].dtype() && p.device() == params[0].device(), kStep, ": parameter ", i, " (",
                describe(p), ") and parameter 0 (", describe(params[0]),
                ") differ in dtype or device; LBFGS flattens all parameters into one vector");
    if (p.grad().defined()) detail::check_grad_fits(kStep, p, p.grad(), i, 0);
  }
  return params;
}

/// Every gradient in one vector, zeros for a parameter without one.
Tensor gather_flat_grad(const std::vector<Tensor>& params) {
  std::vector<Tensor> views;
  for (const Tensor& p : params)
    views.push_back(p.grad().defined() ? p.grad().reshape({-1}) : zeros({p.numel()}, p.options()));
  return cat(views, 0);
}

/// params += step_size * update, the flat update cut back into the parameters' shapes.
void add_grad(const std::vector<Tensor>& params, double step_size, const Tensor& update) {
  int64_t offset = 0;
  for (const Tensor& p : params) {
    p.add_(update.narrow(0, offset, p.numel()).view(p.sizes()), step_size);
    offset += p.numel();
  }
}

/// The minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2, kept within
/// the bounds (by default the two points); their midpoint when the cubic has no minimum.
double cubic_interpolate(double x1, double f1, double g1, double x2, double f2, double g2, double xmin_bound,
                         double xmax_bound) {
  const double d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2);
  const double d2_square = d1 * d1 - g1 * g2;
  if (d2_square < 0) return (xmin_bound + xmax_bound) / 2.;
  const double d2 = std::sqrt(d2_square);
  const double min_pos = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
                                  : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
  return std::min(std::max(min_pos, xmin_bound), xmax_bound);
}

double cubic_interpolate(double x1, double f1, double g1, double x2, double f2, double g2) {
  return cubic_interpolate(x1, f1, g1, x2, f2, g2, std::min(x1, x2), std::max(x1, x2));
}

/// The loss and flat gradient at params + t * d (params are put back after).
using ObjFunc = std::function<std::pair<double, Tensor>(double t)>;

struct LineSearch {
  double loss;
  Tensor flat_grad;
  double t;
  int64_t func_evals;
};

/// PyTorch's _strong_wolfe: from step t along d (f, g and gtd at t = 0), a step that satisfies the
/// strong Wolfe conditions (sufficient decrease c1, curvature c2), bracketing one first and then
/// zooming in, within max_ls evaluations.
LineSearch strong_wolfe(const ObjFunc& obj_func, double t, const Tensor& d, double f, const Tensor& g, double gtd,
                        double c1 = 1e-4, double c2 = 0.9, double tolerance_change = 1e-9, int max_ls = 25) {
  const double d_norm = value(d.abs().max());
  auto [f_new, g_new] = obj_func(t);
  int64_t ls_func_evals = 1;
  double gtd_new = value(flat_dot(g_new, d));

  // Bracket an interval containing a point that satisfies the Wolfe criteria.
  double t_prev = 0, f_prev = f, gtd_prev = gtd;
  Tensor g_prev = g.clone();
  bool done = false;
  int ls_iter = 0;
  std::vector<double> bracket, bracket_f, bracket_gtd;
  std::vector<Tensor> bracket_g;
  while (ls_iter < max_ls) {
    if (f_new > f + c1 * t * gtd || (ls_iter > 1 && f_new >= f_prev)) {
      bracket = {t_prev, t}, bracket_f = {f_prev, f_new}, bracket_g = {g_prev, g_new.clone()};
      bracket_gtd = {gtd_prev, gtd_new};
      break;
    }
    if (std::abs(gtd_new) <= -c2 * gtd) {
      bracket = {t}, bracket_f = {f_new}, bracket_g = {g_new};
      done = true;
      break;
    }
    if (gtd_new >= 0) {
      bracket = {t_prev, t}, bracket_f = {f_prev, f_new}, bracket_g = {g_prev, g_new.clone()};
      bracket_gtd = {gtd_prev, gtd_new};
      break;
    }
    // Interpolate (extrapolate) within [t + 0.01 (t - t_prev), 10 t].
    const double min_step = t + 0.01 * (t - t_prev), max_step = t * 10, tmp = t;
    t = cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, min_step, max_step);
    t_prev = tmp, f_prev = f_new, g_prev = g_new.clone(), gtd_prev = gtd_new;
    std::tie(f_new, g_new) = obj_func(t);
    ++ls_func_evals;
    gtd_new = value(flat_dot(g_new, d));
    ++ls_iter;
  }
  if (ls_iter == max_ls) bracket = {0, t}, bracket_f = {f, f_new}, bracket_g = {g, g_new};

  // Zoom: shrink the bracket until a point in it satisfies the criteria.
  bool insuf_progress = false;
  auto order = [&] { return bracket_f[0] <= bracket_f.back() ? std::make_pair(0, 1) : std::make_pair(1, 0); };
  auto [low_pos, high_pos] = order();
  while (!done && ls_iter < max_ls) {
    if (std::abs(bracket[1] - bracket[0]) * d_norm < tolerance_change) break;  // the bracket is too small
    t = cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1]);
    // Too close to an end of the bracket after too little progress, or outside it: move it to a
    // tenth of the bracket from the nearer end.
    const double hi = std::max(bracket[0], bracket[1]), lo = std::min(bracket[0], bracket[1]);
    const double eps = 0.1 * (hi - lo);
    if (std::min(hi - t, t - lo) < eps) {
      if (insuf_progress || t >= hi || t <= lo) {
        t = std::abs(t - hi) < std::abs(t - lo) ? hi - eps : lo + eps;
        insuf_progress = false;
      } else {
        insuf_progress = true;
      }
    } else {
      insuf_progress = false;
    }
    std::tie(f_new, g_new) = obj_func(t);
    ++ls_func_evals;
    gtd_new = value(flat_dot(g_new, d));
    ++ls_iter;

    if (f_new > f + c1 * t * gtd || f_new >= bracket_f[size_t(low_pos)]) {
      // No sufficient decrease, or not below the lowest point: t becomes the high end.
      bracket[size_t(high_pos)] = t, bracket_f[size_t(high_pos)] = f_new, bracket_g[size_t(high_pos)] = g_new.clone();
      bracket_gtd[size_t(high_pos)] = gtd_new;
      std::tie(low_pos, high_pos) = order();
    } else {
      if (std::abs(gtd_new) <= -c2 * gtd) {
        done = true;
      } else if (gtd_new * (bracket[size_t(high_pos)] - bracket[size_t(low_pos)]) >= 0) {
        // The old low end becomes the high end.
        bracket[size_t(high_pos)] = bracket[size_t(low_pos)], bracket_f[size_t(high_pos)] = bracket_f[size_t(low_pos)];
        bracket_g[size_t(high_pos)] = bracket_g[size_t(low_pos)];
        bracket_gtd[size_t(high_pos)] = bracket_gtd[size_t(low_pos)];
      }
      bracket[size_t(low_pos)] = t, bracket_f[size_t(low_pos)] = f_new, bracket_g[size_t(low_pos)] = g_new.clone();
      bracket_gtd[size_t(low_pos)] = gtd_new;
    }
  }
  return {bracket_f[size_t(low_pos)], bracket_g[size_t(low_pos)], bracket[size_t(low_pos)], ls_func_evals};
}

}  // namespace

Tensor LBFGS::step(LossClosure closure) {
  EMBER_CHECK(closure != nullptr, kStep, ": LBFGS requires a closure function");
  const std::vector<Tensor>& params = checked_params(param_groups_);
  const auto& o = detail::group_options<LBFGSOptions>(param_groups_[0], 0, kStep, "LBFGSOptions");
  check_options(o, detail::group_where(kStep, 0));
  const double lr = o.lr(), tolerance_grad = o.tolerance_grad(), tolerance_change = o.tolerance_change();
  const int64_t max_iter = o.max_iter(), max_eval = o.max_eval().value_or(default_max_eval(o));
  const size_t history_size = size_t(o.history_size());
  NoGradGuard no_grad;

  // The optimizer's whole state lives on the first parameter, as in PyTorch.
  auto& slot = state_[params[0].unsafeGetTensorImpl()];
  if (dynamic_cast<LBFGSParamState*>(slot.get()) == nullptr) slot = std::make_unique<LBFGSParamState>();
  auto& state = static_cast<LBFGSParamState&>(*slot);

  auto evaluate = [&] {  // the closure's loss; the gradients it left, checked
    const double loss = run_closure(closure).item<double>();
    checked_params(param_groups_);
    return std::make_pair(loss, gather_flat_grad(params));
  };
  const Tensor orig_loss = run_closure(closure);
  checked_params(param_groups_);
  double loss = orig_loss.item<double>();
  int64_t current_evals = 1;
  state.func_evals(state.func_evals() + 1);
  Tensor flat_grad = gather_flat_grad(params);
  bool opt_cond = value(flat_grad.abs().max()) <= tolerance_grad;
  if (opt_cond) return orig_loss;  // already optimal

  Tensor& d = state.d();
  double& t = state.t();
  std::deque<Tensor>& old_dirs = state.old_dirs();
  std::deque<Tensor>& old_stps = state.old_stps();
  std::deque<Tensor>& ro = state.ro();
  Tensor& H_diag = state.H_diag();
  Tensor& prev_flat_grad = state.prev_flat_grad();
  double& prev_loss = state.prev_loss();

  for (int64_t n_iter = 1; n_iter <= max_iter; ++n_iter) {
    state.n_iter(state.n_iter() + 1);

    // The descent direction.
    if (state.n_iter() == 1) {
      d = flat_grad.neg();
      old_dirs.clear(), old_stps.clear(), ro.clear();
      H_diag = ones({}, flat_grad.options());
    } else {
      // Remember the last step s and the change of gradient y it made (when the curvature y.s is
      // positive enough to keep the inverse Hessian approximation positive definite).
      const Tensor y = flat_grad.sub(prev_flat_grad);
      const Tensor s = d.mul(t);
      const Tensor ys = flat_dot(y, s);
      if (value(ys) > 1e-10) {
        if (old_dirs.size() == history_size) old_dirs.pop_front(), old_stps.pop_front(), ro.pop_front();
        old_dirs.push_back(y), old_stps.push_back(s), ro.push_back(ones_like(ys) / ys);
        H_diag = ys / flat_dot(y, y);  // the scale of the initial inverse Hessian
      }
      // The two-loop recursion: d = -H g with H the approximation from the history.
      if (!state.al()) state.al(std::vector<Tensor>(history_size));
      std::vector<Tensor>& al = *state.al();
      Tensor q = flat_grad.neg();
      for (size_t i = old_dirs.size(); i-- > 0;) {
        al[i] = flat_dot(old_stps[i], q) * ro[i];
        q.add_(old_dirs[i], -value(al[i]));
      }
      d = q.mul(H_diag);
      for (size_t i = 0; i < old_dirs.size(); ++i) {
        const Tensor be_i = flat_dot(old_dirs[i], d) * ro[i];
        d.add_(old_stps[i], value(al[i] - be_i));
      }
    }
    if (!prev_flat_grad.defined()) prev_flat_grad = flat_grad.clone();
    else prev_flat_grad.copy_(flat_grad);
    prev_loss = loss;

    // The step length: a first guess of at most lr / |g|_1, then lr.
    t = state.n_iter() == 1 ? std::min(1., 1. / value(flat_grad.abs().sum())) * lr : lr;
    const double gtd = value(flat_dot(flat_grad, d));  // the directional derivative
    if (gtd > -tolerance_change) break;

    int64_t ls_func_evals = 0;
    if (o.line_search_fn()) {
      std::vector<Tensor> x_init;
      for (const Tensor& p : params) x_init.push_back(p.clone());
      const ObjFunc obj_func = [&](double step) {
        add_grad(params, step, d);
        auto result = evaluate();
        for (size_t i = 0; i < params.size(); ++i) params[i].copy_(x_init[i]);
        return result;
      };
      // With the search's own defaults, as PyTorch calls it (not the optimizer's tolerance_change).
      LineSearch ls = strong_wolfe(obj_func, t, d, loss, flat_grad, gtd);
      loss = ls.loss, flat_grad = ls.flat_grad, t = ls.t, ls_func_evals = ls.func_evals;
      add_grad(params, t, d);
      opt_cond = value(flat_grad.abs().max()) <= tolerance_grad;
    } else {
      add_grad(params, t, d);
      if (n_iter != max_iter) {  // the last iteration's loss would go unused: no evaluation
        std::tie(loss, flat_grad) = evaluate();
        opt_cond = value(flat_grad.abs().max()) <= tolerance_grad;
        ls_func_evals = 1;
      }
    }
    current_evals += ls_func_evals;
    state.func_evals(state.func_evals() + ls_func_evals);

    if (n_iter == max_iter || current_evals >= max_eval || opt_cond) break;
    // Lack of progress.
    if (value(d.mul(t).abs().max()) <= tolerance_change || std::abs(loss - prev_loss) < tolerance_change) break;
  }
  return orig_loss;
}

// --- checkpoints ----------------------------------------------------------------------------------

namespace {

// The state fields of the file, in order: the counts, then those of an optimizer that has iterated.
const std::vector<detail::StateReader::Field>& file_fields() {
  using K = detail::StateReader::Kind;
  static const std::vector<detail::StateReader::Field> fields = {{"func_evals", K::kCount},
                                                                 {"n_iter", K::kCount},
                                                                 {"t", K::kOwn},
                                                                 {"prev_loss", K::kOwn},
                                                                 {"d", K::kOwn},
                                                                 {"H_diag", K::kOwn},
                                                                 {"prev_flat_grad", K::kOwn},
                                                                 {"old_dirs", K::kOwn},
                                                                 {"old_stps", K::kOwn},
                                                                 {"ro", K::kOwn}};
  return fields;
}

Tensor stacked(const std::deque<Tensor>& list, std::vector<int64_t> empty_shape, const TensorOptions& options) {
  if (list.empty()) return zeros(empty_shape, options);
  return stack(std::vector<Tensor>(list.begin(), list.end()), 0);
}

/// The state of an LBFGS that has iterated, checked against the parameters (`s` in file_fields()
/// order): every vector has one value per parameter element, in the parameters' dtype.
void read_iteration_state(const detail::StateReader& in, const std::vector<Tensor>& s,
                          const std::vector<Tensor>& params, int64_t history_size, LBFGSParamState& st) {
  int64_t n = 0;
  for (const Tensor& p : params) n += p.numel();
  const ScalarType dtype = params[0].dtype();
  const int64_t m = s[9].dim() == 1 ? s[9].size(0) : -1;  // the history's length, from .ro
  auto checked = [&](size_t f, std::vector<int64_t> shape, ScalarType type) -> const Tensor& {
    std::string want = "[";
    for (size_t k = 0; k < shape.size(); ++k) want += (k ? ", " : "") + std::to_string(shape[k]);
    EMBER_CHECK(s[f].sizes().equals(shape) && s[f].dtype() == type, in.where(), ": \"state.0.", file_fields()[f].name,
                "\" is ", describe(s[f]), " but LBFGS needs ", want, "] ", type, " (", n,
                " parameter values; the history's length is .ro's)");
    return s[f];
  };
  auto own = [&](const Tensor& t) { return detail::StateReader::own_copy(t, params[0]); };
  EMBER_CHECK(m >= 0 && m <= history_size, in.where(), ": \"state.0.ro\" is ", describe(s[9]),
              "; LBFGS needs a history of at most history_size ", history_size, " entries");
  st.t(checked(2, {}, kDouble).item<double>());
  st.prev_loss(checked(3, {}, kDouble).item<double>());
  st.d(own(checked(4, {n}, dtype)));
  st.H_diag(own(checked(5, {}, dtype)));
  st.prev_flat_grad(own(checked(6, {n}, dtype)));
  const Tensor dirs = checked(7, {m, n}, dtype), stps = checked(8, {m, n}, dtype), ro = checked(9, {m}, dtype);
  for (int64_t k = 0; k < m; ++k) {
    st.old_dirs().push_back(own(dirs[k]));
    st.old_stps().push_back(own(stps[k]));
    st.ro().push_back(own(ro[k]));
  }
}

}  // namespace

void LBFGS::save(SafeTensors& archive) const {
  detail::StateWriter out(*this, "LBFGS", archive);
  detail::save_options<LBFGSOptions>(*this, "LBFGSOptions", out);
  const std::vector<Tensor> params = all_parameters();
  if (params.empty()) return;
  const auto* st = dynamic_cast<const LBFGSParamState*>(state_of(params[0]));
  if (st == nullptr) return;
  const Tensor& p0 = params[0];
  auto number = [](const Scalar& v, ScalarType dtype) { return full(std::vector<int64_t>{}, v, dtype); };
  out.tensor(p0, "func_evals", number(st->func_evals(), kLong));
  out.tensor(p0, "n_iter", number(st->n_iter(), kLong));
  if (!st->d().defined()) return;  // it has not iterated yet
  const int64_t n = st->d().numel();
  out.tensor(p0, "t", number(st->t(), kDouble));
  out.tensor(p0, "prev_loss", number(st->prev_loss(), kDouble));
  out.tensor(p0, "d", st->d());
  out.tensor(p0, "H_diag", st->H_diag());
  out.tensor(p0, "prev_flat_grad", st->prev_flat_grad());
  out.tensor(p0, "old_dirs", stacked(st->old_dirs(), {0, n}, st->d().options()));
  out.tensor(p0, "old_stps", stacked(st->old_stps(), {0, n}, st->d().options()));
  out.tensor(p0, "ro", stacked(st->ro(), {0}, st->d().options()));
}

void LBFGS::load(const SafeTensors& archive, const std::string& source) {
  detail::StateReader in(*this, "LBFGS", archive, source);
  const std::vector<LBFGSOptions> options = detail::load_options<LBFGSOptions>(*this, "LBFGS", in);
  const std::vector<detail::StateReader::Field>& fields = file_fields();
  const std::vector<std::vector<Tensor>> found = in.state(fields);
  const std::vector<Tensor>& params = in.params();
  for (size_t i = 1; i < found.size(); ++i)
    for (size_t f = 0; f < fields.size(); ++f)
      EMBER_CHECK(!found[i][f].defined(), in.where(), ": \"state.", i, ".", fields[f].name,
                  "\": LBFGS keeps its whole state on parameter 0");
  Optimizer::StateMap fresh;
  if (!found.empty()) {
    const std::vector<Tensor>& s = found[0];
    size_t present = 0, iterated = 0;
    for (size_t f = 0; f < fields.size(); ++f) (f < 2 ? present : iterated) += s[f].defined();
    EMBER_CHECK((present == 0 && iterated == 0) || (present == 2 && (iterated == 0 || iterated == fields.size() - 2)),
                in.where(),
                ": the state of parameter 0 is incomplete (state.0.func_evals and .n_iter go together, and once it "
                "has iterated .t, .prev_loss, .d, .H_diag, .prev_flat_grad, .old_dirs, .old_stps and .ro)");
    if (present == 2) {
      auto st = std::make_unique<LBFGSParamState>();
      st->func_evals(s[0].item<int64_t>()), st->n_iter(s[1].item<int64_t>());
      if (iterated != 0) read_iteration_state(in, s, params, options[0].history_size(), *st);
      fresh[params[0].unsafeGetTensorImpl()] = std::move(st);
    }
  }
  detail::install(*this, std::move(fresh), options);
}

}  // namespace optim
}  // namespace ember
