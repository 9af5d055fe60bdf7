#pragma once
// Grad mode and the autograd graph's node type. Recording happens inside each op's front half;
// user code only sees requires_grad, backward(), grad() and the guards below.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ember/determinism.h"
#include "ember/tensor.h"

namespace ember {

using variable_list = std::vector<Tensor>;

/// Whether ops record the graph on this thread.
struct EMBER_API GradMode {
  static bool is_enabled();
  static void set_enabled(bool enabled);
};

/// Sets grad mode for a scope and restores the previous mode on exit.
class EMBER_API AutoGradMode {
 public:
  explicit AutoGradMode(bool enabled) : prev_(GradMode::is_enabled()) { GradMode::set_enabled(enabled); }
  ~AutoGradMode() { GradMode::set_enabled(prev_); }
  AutoGradMode(const AutoGradMode&) = delete;
  AutoGradMode& operator=(const AutoGradMode&) = delete;

 private:
  bool prev_;
};

/// No graph is recorded while one is alive: the tutorial's `with torch.no_grad():`.
class EMBER_API NoGradGuard : public AutoGradMode {
 public:
  NoGradGuard() : AutoGradMode(false) {}
};

namespace autograd {

struct Node;

/// Where a gradient flows: input number `input_nr` of node `fn`.
struct Edge {
  std::shared_ptr<Node> fn;
  uint32_t input_nr = 0;
};

/// One recorded op. apply() maps the gradients of its outputs to those of its inputs.
struct EMBER_API Node {
  /// Releases the edges iteratively: dropping a long chain recursively would overflow the stack.
  virtual ~Node();
  virtual variable_list apply(variable_list&& grad_outputs) = 0;
  /// Frees saved tensors once backward has used them (unless the graph is retained).
  virtual void release_variables() {}
  virtual std::string name() const = 0;
  std::vector<Edge> next_edges;
  /// Input shapes and dtypes, so gradients can be checked against them.
  std::vector<std::vector<int64_t>> input_sizes;
  /// Non-leaf outputs that asked for retain_grad(): they receive the node's incoming gradient.
  std::vector<std::weak_ptr<TensorImpl>> retained_outputs;
};

/// Anomaly detection, as LibTorch's torch::autograd::AnomalyMode. While it is on, for this thread:
///  - forward: the output of every op that records a graph node (some input requires grad and
///    grad mode is on) is checked for NaN and Inf; the first such output throws ember::Error
///    naming the op, the output's shape, dtype and device, and the module path when the op ran
///    inside a module's forward called as `net(x)` or from a Sequential ("Sequential/2/Conv2d");
///  - backward: every gradient a node returns is checked the same way; the first non-finite one
///    throws naming the node's op, the input index, its shape and the module path the node was
///    recorded in.
/// It costs a reduction and a device sync per op, so use it to debug, not to train. Unlike
/// LibTorch, where the mode is global, it is per thread (like GradMode): a data-loading thread
/// is not slowed down by a guard on the training thread.
struct EMBER_API AnomalyMode {
  static bool is_enabled();
  /// Whether NaN/Inf checks run (LibTorch's check_nan); false keeps only the module paths.
  static bool should_check_nan();
  static void set_enabled(bool enabled, bool check_nan = true);
};

/// Turns anomaly mode on for a scope and restores the previous state (enabled and check_nan)
/// on exit, so guards nest: `{ DetectAnomalyGuard g; ... loss.backward(); }`.
class EMBER_API DetectAnomalyGuard {
 public:
  explicit DetectAnomalyGuard(bool check_nan = true);
  ~DetectAnomalyGuard();
  DetectAnomalyGuard(const DetectAnomalyGuard&) = delete;
  DetectAnomalyGuard& operator=(const DetectAnomalyGuard&) = delete;

 private:
  bool prev_enabled_;
  bool prev_check_nan_;
};

/// The same as Tensor::backward, for several roots at once.
EMBER_API void backward(const variable_list& tensors, const variable_list& grad_tensors = {},
                        std::optional<bool> retain_graph = std::nullopt, bool create_graph = false);

}  // namespace autograd
}  // namespace ember
