#pragma once
// Grad mode and the autograd graph's node type. Recording happens inside each op's front half;
// user code only sees requires_grad, backward(), grad() and the guards below.
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "ember/determinism.h"
#include "ember/ivalue.h"
#include "ember/tensor.h"

namespace ember {

using variable_list = std::vector<Tensor>;

/// Whether ops record the graph on this thread.
struct EMBER_API GradMode {
  static bool is_enabled();
  static void set_enabled(bool enabled);
};

namespace detail {
/// The scope guards below restore state in their destructor, so a copy would restore it twice.
class ScopeGuard {
 public:
  ScopeGuard(const ScopeGuard&) = delete;
  ScopeGuard& operator=(const ScopeGuard&) = delete;

 protected:
  ScopeGuard() = default;
  ~ScopeGuard() = default;
};
}  // namespace detail

/// Sets grad mode for a scope and restores the previous mode on exit.
class EMBER_API AutoGradMode : detail::ScopeGuard {
 public:
  explicit AutoGradMode(bool enabled) : prev_(GradMode::is_enabled()) { GradMode::set_enabled(enabled); }
  ~AutoGradMode() { GradMode::set_enabled(prev_); }

 private:
  bool prev_;
};

/// No graph is recorded while one is alive: the tutorial's `with torch.no_grad():`.
class EMBER_API NoGradGuard : public AutoGradMode {
 public:
  NoGradGuard() : AutoGradMode(false) {}
};

/// LibTorch's c10::InferenceMode (torch::InferenceMode): while one is alive with enabled = true,
/// no graph is recorded and is_enabled() is true; guards nest and restore the previous state.
/// Storage allocated inside answers Tensor::is_inference() true, as LibTorch's inference tensors;
/// unlike LibTorch, using them in autograd afterwards is not an error (they have no history).
class EMBER_API InferenceMode : detail::ScopeGuard {
 public:
  explicit InferenceMode(bool enabled = true);
  ~InferenceMode();
  static bool is_enabled();

 private:
  bool prev_grad_;
  bool prev_inference_;
};

namespace autograd {

struct Node;

/// Where a gradient flows: input number `input_nr` of node `fn`.
struct Edge {
  std::shared_ptr<Node> fn;
  uint32_t input_nr = 0;
};

/// A hook of Tensor::register_hook. Shared by the tensor and the node it runs on, so that
/// remove_hook (which empties `fn`) reaches graphs recorded before the removal.
struct TensorHook {
  std::function<Tensor(const Tensor&)> fn;  // empty once removed
};

/// One recorded op. apply() maps the gradients of its outputs to those of its inputs.
struct EMBER_API Node {
  /// Releases the edges iteratively: dropping a long chain recursively would overflow the stack.
  virtual ~Node();
  virtual variable_list apply(variable_list&& grad_outputs) = 0;
  /// Frees saved tensors once backward has used them (unless the graph is retained).
  virtual void release_variables() {}
  virtual std::string name() const = 0;
  /// Whether apply() computes with recorded ops, so that a create_graph backward may run it
  /// (custom functions: their author's responsibility, as in LibTorch).
  virtual bool differentiable_backward() const { return true; }
  std::vector<Edge> next_edges;
  /// Input shapes and dtypes, so gradients can be checked against them.
  std::vector<std::vector<int64_t>> input_sizes;
  /// Non-leaf outputs that asked for retain_grad(): they receive the node's incoming gradient.
  std::vector<std::weak_ptr<TensorImpl>> retained_outputs;
  /// Hooks of non-leaf outputs (output number, hook), in registration order: they run on the
  /// incoming gradient of that output before retained gradients are kept and before apply().
  std::vector<std::pair<uint32_t, std::shared_ptr<TensorHook>>> output_hooks;
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
class EMBER_API DetectAnomalyGuard : detail::ScopeGuard {
 public:
  explicit DetectAnomalyGuard(bool check_nan = true);
  ~DetectAnomalyGuard();

 private:
  bool prev_enabled_;
  bool prev_check_nan_;
};

using ::ember::AutoGradMode;
using ::ember::GradMode;
using Variable = Tensor;
using ::ember::variable_list;
/// torch::autograd::tensor_list, custom Functions' spelling of a gradient list.
using tensor_list = std::vector<Tensor>;

/// LibTorch's torch::autograd::backward: Tensor::backward for several roots at once. A
/// gradient left undefined is ones for a one-element root. retain_graph defaults to
/// create_graph; create_graph records the backward so the gradients can be differentiated
/// again (.grad() then has a history: it is accumulated out of place). Non-empty `inputs`
/// limits accumulation to those tensors (a non-leaf among them gets .grad() as with
/// retain_grad()); the other leaves' .grad() are left alone.
EMBER_API void backward(const variable_list& tensors, const variable_list& grad_tensors = {},
                        std::optional<bool> retain_graph = std::nullopt, bool create_graph = false,
                        const variable_list& inputs = {});

/// LibTorch's torch::autograd::grad: the gradients of `outputs` (weighted by grad_outputs,
/// ones for one-element outputs when left out) with respect to `inputs`, returned rather than
/// accumulated: no .grad() is touched. Every input must require grad. An input the outputs do
/// not depend on is an error unless allow_unused, which returns an undefined tensor for it.
EMBER_API variable_list grad(const variable_list& outputs, const variable_list& inputs,
                             const variable_list& grad_outputs = {}, std::optional<bool> retain_graph = std::nullopt,
                             bool create_graph = false, bool allow_unused = false);

// --- custom functions (custom_function.cpp) ----------------------------------------------------

struct CustomNodeBase;
struct SavedVariables;

/// What a custom function's forward leaves for its backward, as LibTorch's AutogradContext.
class EMBER_API AutogradContext {
 public:
  AutogradContext() = default;
  AutogradContext(const AutogradContext&) = delete;
  AutogradContext& operator=(const AutogradContext&) = delete;

  /// Non-tensor state (and tensors that need no version check) for backward.
  std::unordered_map<std::string, IValue> saved_data;

  /// Tensors backward needs (inputs or outputs), returned by get_saved_variables() with their
  /// history, checked against in-place changes made after forward.
  void save_for_backward(variable_list to_save);
  /// Inputs that forward changed in place; they are returned as outputs.
  void mark_dirty(const variable_list& inputs);
  /// Outputs that get no gradient (indices, masks): they do not require grad.
  void mark_non_differentiable(const variable_list& outputs);
  /// Whether backward gets zeros (true, the default) or undefined tensors for outputs that
  /// received no gradient.
  void set_materialize_grads(bool value);
  variable_list get_saved_variables() const;
  /// Whether the gradient for tensor input `output_edge_index` (counting only tensor inputs)
  /// is needed.
  bool needs_input_grad(size_t output_edge_index) const;

 private:
  friend struct CustomNodeBase;
  variable_list to_save_;
  std::shared_ptr<SavedVariables> saved_;
  std::unordered_set<const void*> dirty_, non_differentiable_;
  bool materialize_grads_ = true;
  bool released_ = false;
  std::weak_ptr<Node> grad_fn_;
};

/// The node of one call to a custom function (CppNode<T> below holds T's backward).
struct EMBER_API CustomNodeBase : Node {
  AutogradContext ctx_;
  /// One entry per forward argument: whether it was a tensor (the gradients backward returns
  /// are one per argument; the non-tensor ones must be undefined).
  std::vector<bool> is_variable_input_;
  variable_list apply(variable_list&& grads) override;
  void release_variables() override;

  /// Before forward: sets up edges to the tensor inputs; true when the call records a node.
  bool begin(const std::shared_ptr<CustomNodeBase>& self, const variable_list& inputs);
  /// After forward: gives the outputs their history and saves what forward asked to save.
  variable_list finish(const std::shared_ptr<CustomNodeBase>& self, const variable_list& inputs, variable_list outputs,
                       bool executable);

 protected:
  virtual variable_list call_backward(variable_list grads) = 0;

 private:
  std::vector<std::vector<int64_t>> output_sizes_;
  std::vector<TensorOptions> output_options_;
  std::vector<bool> output_defined_;
};

/// "ember::autograd::CppNode<T>" for T's type_info (LibTorch names the node after its class).
EMBER_API std::string custom_node_name(const std::type_info& type);

template <class T>
struct CppNode : CustomNodeBase {
  std::string name() const override { return custom_node_name(typeid(T)); }

 protected:
  variable_list call_backward(variable_list grads) override { return T::backward(&ctx_, std::move(grads)); }
};

namespace function_detail {
/// Which forward arguments are tensors (LibTorch's extract_vars): a Tensor, a defined optional
/// Tensor, each tensor of a TensorList; anything else is not.
struct ExtractVariables {
  std::vector<bool>& is_var;
  variable_list& list;
  void operator()(const Tensor& x) {
    is_var.push_back(true);
    list.push_back(x);
  }
  void operator()(const std::optional<Tensor>& x) {
    const bool var = x.has_value() && x->defined();
    is_var.push_back(var);
    if (var) list.push_back(*x);
  }
  void operator()(const TensorList& xs) {
    for (const Tensor& x : xs) (*this)(x);
  }
  template <typename U>
  void operator()(const U&) {
    is_var.push_back(false);
  }
};

inline variable_list as_outputs(const Tensor& t) { return {t}; }
inline variable_list as_outputs(const variable_list& ts) { return ts; }
template <typename R>
R from_outputs(variable_list outs) {
  static_assert(std::is_same<R, Tensor>::value || std::is_same<R, variable_list>::value,
                "a custom function's forward must return a Tensor or a variable_list");
  if constexpr (std::is_same<R, Tensor>::value) {
    return outs.empty() ? Tensor() : outs[0];
  } else {
    return outs;
  }
}
}  // namespace function_detail

/// LibTorch's custom autograd function: derive `struct Foo : Function<Foo>` with
///   static Tensor (or variable_list) forward(AutogradContext* ctx, Args...);
///   static variable_list backward(AutogradContext* ctx, variable_list grad_outputs);
/// and call Foo::apply(args...). Forward runs with grad mode off; backward returns one
/// gradient per forward argument (undefined for non-tensor arguments and inputs that get none).
template <class T>
struct Function {
  template <typename X = T, typename... Args>
  static auto apply(Args&&... args)
      -> std::enable_if_t<std::is_same<X, T>::value, decltype(X::forward(nullptr, std::declval<Args>()...))> {
    using Out = decltype(X::forward(nullptr, std::declval<Args>()...));
    auto node = std::make_shared<CppNode<T>>();
    variable_list inputs;
    function_detail::ExtractVariables extract{node->is_variable_input_, inputs};
    (extract(args), ...);
    const bool executable = node->begin(node, inputs);
    Out outputs;
    {
      AutoGradMode no_grad(false);
      outputs = T::forward(&node->ctx_, std::forward<Args>(args)...);
    }
    return function_detail::from_outputs<Out>(
        node->finish(node, inputs, function_detail::as_outputs(outputs), executable));
  }
};

}  // namespace autograd
}  // namespace ember
