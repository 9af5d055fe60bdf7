#pragma once
// How an op records itself for backward. Typical front half:
//
//   Tensor out = ...compute...;
//   if (autograd::needs_grad({a, b})) {
//     auto sa = autograd::save(a), sb = autograd::save(b);
//     autograd::record("mul", out, {a, b}, [sa, sb](const Tensor& g) -> variable_list {
//       return {g * sb.get(), g * sa.get()};
//     });
//   }
//
// The lambda returns one gradient per input (undefined where none flows). A lambda taking
// (g, needs) also gets which inputs need a gradient, to skip work. Backward runs with grad mode
// off, or on under create_graph (then the lambda must use recorded ops only, and its op be listed
// in double_backward.cpp); the lambda, and with it the saved tensors, is freed after use unless retain_graph is set.
#include <functional>
#include <string>
#include <type_traits>
#include <vector>

#include "../tensor_impl.h"

namespace ember {
namespace autograd {

/// A tensor kept for backward, with the storage version at save time, so that use after an
/// in-place change is reported instead of giving a silently wrong gradient.
///
/// For double backward (create_graph) the tensor returned by get() while grad mode is on must
/// carry the saved tensor's history, as LibTorch's SavedVariable does. An input's gradient edge
/// (its grad_fn at save time, or its leaf accumulator) is kept, never the input itself: a later
/// in-place op may give the input this very node, and holding it would make a cycle. The op's
/// own output gets its history only when the op records, after saving: it is linked to its node
/// weakly (node -> closure -> output -> node would be a cycle too), filled in by record_fn.
class SavedTensor {
 public:
  SavedTensor() = default;
  SavedTensor(const Tensor& t, const char* op);
  /// The saved tensor; with grad mode on (a create_graph backward), with its history.
  Tensor get() const;
  bool defined() const { return data_.defined(); }
  /// An output of `fn` (number `output_nr`) saved after the node was made (custom functions):
  /// kept detached, linked to its node weakly.
  static SavedTensor output(const Tensor& t, const std::shared_ptr<Node>& fn, uint32_t output_nr, const char* op);

  /// Where the node of a saved output is noted once the op recorded (record_fn, custom functions).
  struct OutputSlot {
    std::weak_ptr<Node> fn;
    uint32_t output_nr = 0;
  };

 private:
  Tensor data_;  // detached
  Edge edge_;    // an input's history
  std::shared_ptr<OutputSlot> output_;
  uint32_t version_ = 0;
  const char* op_ = "";
};
inline SavedTensor save(const Tensor& t, const char* op = "") { return SavedTensor(t, op); }

using BackwardFn = std::function<variable_list(const Tensor& grad, const std::vector<bool>& needs)>;

/// What a recorded node is called. `op` is ember's name for the op, which error messages quote
/// ("mul: ..."); `node` is the class name LibTorch gives the same node, which grad_fn()->name()
/// returns ("MulBackward0"). Left null, it is looked up from op and the number of inputs
/// (node_names.cpp); the few ops whose LibTorch name depends on more (sum() is SumBackward0,
/// sum(dim) SumBackward1) give it here.
struct NodeName {
  NodeName(const char* op) : op(op) {}  // NOLINT: every record("op", ...) call converts
  NodeName(const char* op, const char* node) : op(op), node(node) {}
  const char* op;
  const char* node = nullptr;
};

/// LibTorch's node class name for ember's op `op` recorded with `n_inputs` inputs (its Tensor
/// and Scalar overloads differ: AddBackward0, AddBackward1), or `op` itself for an op the
/// table does not know.
std::string libtorch_node_name(const std::string& op, size_t n_inputs);

struct FunctionNode : Node {
  std::string op;
  const char* node_name = nullptr;  // LibTorch's name when the recording op gave it
  BackwardFn fn;
  std::vector<bool> needs;
  /// The module path ("Sequential/2/Conv2d") the op ran in; filled only in anomaly mode, so
  /// normal runs pay for an empty string and nothing else.
  std::string module_path;
  variable_list apply(variable_list&& grads) override;
  void release_variables() override { fn = nullptr; }
  std::string name() const override {
    return node_name != nullptr ? node_name : libtorch_node_name(op, next_edges.size());
  }
};

/// Accumulates the incoming gradient into a leaf's .grad().
struct AccumulateGrad : Node {
  std::shared_ptr<TensorImpl> leaf;
  explicit AccumulateGrad(std::shared_ptr<TensorImpl> l) : leaf(std::move(l)) {}
  variable_list apply(variable_list&& grads) override;
  std::string name() const override { return "ember::autograd::AccumulateGrad"; }
};

/// In-place gradient accumulation (engine.cpp). While a backward function runs: the leaf
/// gradient buffer that input i's gradient may be added into directly, else an undefined tensor.
/// It is offered when input i is a leaf whose .grad() already exists (contiguous, of the leaf's
/// shape, dtype and device, outside any graph), this node is the only one sending the leaf a
/// gradient, and anomaly checks are off. A backward function that adds its gradient into the
/// buffer itself (a product with beta = 1: no temporary, no separate pass over the buffer) bumps
/// its version and returns an undefined gradient for input i; it must not do so when the
/// buffer overlaps anything it reads. Ignoring the offer is always correct.
Tensor accumulation_target(size_t i);

/// Module::zero_grad and Optimizer::zero_grad for one parameter: its gradient undefined
/// (set_to_none), or zeroed in place after cutting it off any graph that made it (create_graph).
void clear_grad(const Tensor& param, bool set_to_none);

/// True when grad mode is on and any defined input requires grad.
bool needs_grad(std::initializer_list<Tensor> inputs);
bool needs_grad(const std::vector<Tensor>& inputs);

void record_fn(NodeName op, const Tensor& out, const std::vector<Tensor>& inputs, BackwardFn fn);

/// Notes `fn` (output `output_nr`) in the tensors saved since the last call that turn out to be
/// `out` (see SavedTensor). Called by every place that gives new outputs a node.
void bind_saved_outputs(const Tensor& out, const std::shared_ptr<Node>& fn, uint32_t output_nr);
/// Forgets the saved tensors waiting for bind_saved_outputs.
void clear_saved_outputs();

/// Whether node's backward is written with recorded ember ops, so that it can run under
/// create_graph (double_backward.cpp): the engine refuses the others rather than return a
/// gradient whose own gradient would be silently wrong.
bool backward_is_differentiable(const Node& node);

template <typename F>
void record(NodeName op, const Tensor& out, const std::vector<Tensor>& inputs, F&& f) {
  if constexpr (std::is_invocable_v<F, const Tensor&, const std::vector<bool>&>) {
    record_fn(op, out, inputs, BackwardFn(std::forward<F>(f)));
  } else {
    record_fn(op, out, inputs, [f = std::forward<F>(f)](const Tensor& g, const std::vector<bool>&) { return f(g); });
  }
}

// --- anomaly mode (anomaly.cpp) ---------------------------------------------------------------

/// Throws when the output of `op` holds NaN or Inf (anomaly mode, forward). Skips outputs that
/// are not floating point, are empty, or share storage with an input (views: their values were
/// checked where they were computed).
void check_forward_output(const char* op, const Tensor& out, const std::vector<Tensor>& inputs);
/// Throws at the first non-finite gradient among those `node` returned (anomaly mode, backward).
void check_backward_gradients(const Node& node, const variable_list& grads);

/// The thread's stack of modules whose forward is running, kept only in anomaly mode (pushed by
/// nn::detail::ForwardScope). `segment` is what this module adds to its parent's path.
void push_module_frame(const void* module, const std::string& segment);
void pop_module_frame();
/// The innermost module on the stack, or nullptr.
const void* current_module();
/// "Sequential/2/Conv2d", or "" outside any module.
const std::string& current_module_path();

/// The edge along which a gradient for `t` flows (its grad_fn, or its leaf accumulator).
Edge gradient_edge(const Tensor& t);

// --- views and in-place ops (views.cpp) --------------------------------------------------------
//
// As in LibTorch, a view remembers its root base. An in-place change through a view gives the
// base a CopySlices node (the base's old value with the view's region replaced by the new
// values), and a view whose storage changed in place since its grad_fn was set gets a new one,
// AsStridedBackward0 over its base, when next asked. So `y[0] = z * 3` makes y.sum() send z
// its gradient and stop sending the old y[0] any.

/// Gives t the node `fn` (its output `output_nr`) as grad_fn. A retain_grad() on t moves to the
/// new node, so t.grad() is the gradient of t's new value, as in LibTorch.
void set_grad_fn(const std::shared_ptr<TensorImpl>& t, std::shared_ptr<Node> fn, uint32_t output_nr);
/// Makes `view`, fresh from make_view over `input`'s storage, a view of input's root base.
/// Call it before recording the view's node.
void mark_view(const Tensor& view, const Tensor& input);
/// t's grad_fn, regenerated first when t is a view whose storage changed in place since it was set.
const std::shared_ptr<Node>& current_grad_fn(const std::shared_ptr<TensorImpl>& t);
/// For in-place ops, while grad mode is on: rejects a leaf that requires grad, a view of a leaf
/// that requires grad, and a view made in no-grad mode when the op would be recorded (self, its
/// base or one of `others` requires grad), with LibTorch's messages.
void check_inplace(const Tensor& self, const char* op, std::initializer_list<Tensor> others = {});
/// For in-place ops: writes `result` (self's shape or broadcastable to it, any dtype) into self
/// and gives self the history of its new value: a non-view takes result's node; a view's base
/// gets a CopySlices node.
void rebase_history(const Tensor& self, const Tensor& result);
/// For in-place ops that wrote into self values that depend on no input (fill_, normal_): bumps
/// the version and, when self requires grad, gives it a node named `op` that sends its old
/// history zeros (a view: its base a CopySlices whose region gets no gradient).
void overwrite_history(const Tensor& self, const char* op);

}  // namespace autograd
}  // namespace ember
