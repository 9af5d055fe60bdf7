// Anomaly mode: NaN/Inf checks on recorded forward outputs and on backward gradients, and the
// per-thread stack of running modules that lets an error say where in the model it happened.
//
// Everything here is off the normal path: record_fn and the engine test one thread-local bool
// and call in only when the mode is on.
#include <cmath>
#include <vector>

#include "../tensor_impl.h"
#include "function.h"

namespace ember {
namespace autograd {
namespace {

thread_local bool anomaly_enabled = false;
thread_local bool anomaly_check_nan = true;

struct ModuleFrame {
  const void* module;
  std::string path;  // the full path down to this module, so reading it costs nothing
};
thread_local std::vector<ModuleFrame> module_frames;

/// How many values of `t` are NaN and how many are +-Inf; {0, 0} for a finite tensor.
struct NonFinite {
  int64_t nan = 0, inf = 0;
  bool any() const { return nan + inf > 0; }
};

NonFinite count_non_finite(const Tensor& t) {
  NonFinite r;
  if (!t.defined() || !t.is_floating_point() || t.numel() == 0) return r;
  NoGradGuard no_grad;
  // x * 0 is 0 for every finite x and NaN for NaN and +-Inf, so one sum (which propagates NaN)
  // tells whether anything is wrong; the counts are only worked out on failure.
  const Tensor zeroed = t * 0.0;
  if (!std::isnan(zeroed.sum().item<double>())) return r;
  const int64_t bad = zeroed.ne(zeroed).sum().item<int64_t>();
  r.nan = t.ne(t).sum().item<int64_t>();
  r.inf = bad - r.nan;
  return r;
}

std::string what_is_wrong(const NonFinite& nf, int64_t numel) {
  return detail::str(nf.nan + nf.inf, " of ", numel, " values are not finite: ", nf.nan, " NaN, ", nf.inf, " Inf");
}

bool shares_storage(const Tensor& a, const Tensor& b) {
  return a.defined() && b.defined() && a.impl()->storage == b.impl()->storage;
}

}  // namespace

// --- the switch -------------------------------------------------------------------------------

bool AnomalyMode::is_enabled() { return anomaly_enabled; }
bool AnomalyMode::should_check_nan() { return anomaly_check_nan; }
void AnomalyMode::set_enabled(bool enabled, bool check_nan) {
  anomaly_enabled = enabled;
  anomaly_check_nan = check_nan;
}

DetectAnomalyGuard::DetectAnomalyGuard(bool check_nan)
    : prev_enabled_(anomaly_enabled), prev_check_nan_(anomaly_check_nan) {
  AnomalyMode::set_enabled(true, check_nan);
}

DetectAnomalyGuard::~DetectAnomalyGuard() { AnomalyMode::set_enabled(prev_enabled_, prev_check_nan_); }

// --- checks ---------------------------------------------------------------------------------------

void check_forward_output(const char* op, const Tensor& out, const std::vector<Tensor>& inputs) {
  for (const Tensor& in : inputs)
    if (shares_storage(out, in)) return;
  const NonFinite nf = count_non_finite(out);
  if (!nf.any()) return;
  const std::string& path = current_module_path();
  throw Error(detail::str("anomaly: '", op, "' produced ", nf.nan > 0 ? "NaN" : "Inf", " in its forward output ",
                          describe(out), path.empty() ? std::string() : " (in " + path + ")", "; ",
                          what_is_wrong(nf, out.numel()),
                          ". Its inputs were finite or came from ops not recorded for autograd; "
                          "look at what this op does with them (log or sqrt of a negative, a division "
                          "by zero, an overflow)."));
}

void check_backward_gradients(const Node& node, const variable_list& grads) {
  for (size_t i = 0; i < grads.size(); ++i) {
    const NonFinite nf = count_non_finite(grads[i]);
    if (!nf.any()) continue;
    const auto* fn = dynamic_cast<const FunctionNode*>(&node);
    const std::string path = fn && !fn->module_path.empty() ? " (recorded in " + fn->module_path + ")" : "";
    // ember's op name, as the forward check says it; LibTorch's node name would read SqrtBackward0.
    throw Error(detail::str(
        "anomaly: the backward of '", fn ? fn->op : node.name(), "'", path, " returned ", nf.nan > 0 ? "NaN" : "Inf",
        " in its gradient for input ", i, ", ", describe(grads[i]), "; ", what_is_wrong(nf, grads[i].numel()),
        ". The gradients that reached it were finite (each node's are "
        "checked), so this op's derivative is not finite at its saved inputs (sqrt or log at 0, a division by a "
        "tiny value)."));
  }
}

// --- module frames --------------------------------------------------------------------------------

void push_module_frame(const void* module, const std::string& segment) {
  std::string path = module_frames.empty() ? segment : module_frames.back().path + "/" + segment;
  module_frames.push_back({module, std::move(path)});
}

void pop_module_frame() {
  if (!module_frames.empty()) module_frames.pop_back();
}

const void* current_module() { return module_frames.empty() ? nullptr : module_frames.back().module; }

const std::string& current_module_path() {
  static const std::string none;
  return module_frames.empty() ? none : module_frames.back().path;
}

}  // namespace autograd
}  // namespace ember
