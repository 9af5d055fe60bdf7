#pragma once
// Grad mode and the autograd graph's node type. Recording happens inside each op's front half;
// user code only sees requires_grad, backward(), grad() and the guards below.
#include <functional>
#include <memory>
#include <string>
#include <vector>

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

/// The same as Tensor::backward, for several roots at once.
EMBER_API void backward(const variable_list& tensors, const variable_list& grad_tensors = {},
                        std::optional<bool> retain_graph = std::nullopt, bool create_graph = false);

}  // namespace autograd
}  // namespace ember
