// The autograd engine: an iterative topological walk from the roots (no recursion, so deep
// graphs cannot overflow the stack), summing gradients per node input and releasing each
// node's saved tensors after it ran.
#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "../backend.h"
#include "function.h"
#include "post_accumulate.h"

namespace ember {
namespace {
thread_local bool grad_enabled = true;
thread_local bool inference_enabled = false;
}  // namespace

bool GradMode::is_enabled() { return grad_enabled; }
void GradMode::set_enabled(bool enabled) { grad_enabled = enabled; }

InferenceMode::InferenceMode(bool enabled) : prev_grad_(grad_enabled), prev_inference_(inference_enabled) {
  // InferenceMode(false) inside an enabled one re-enables recording, as LibTorch's does.
  inference_enabled = enabled;
  grad_enabled = !enabled;
}
InferenceMode::~InferenceMode() {
  grad_enabled = prev_grad_;
  inference_enabled = prev_inference_;
}
bool InferenceMode::is_enabled() { return inference_enabled; }

namespace autograd {

Node::~Node() {
  // Nodes whose last owner is this one are queued and destroyed by the outermost destructor
  // in a loop, so destroying a graph of any depth uses constant stack.
  thread_local std::vector<std::shared_ptr<Node>> pending;
  thread_local bool draining = false;
  for (Edge& e : next_edges)
    if (e.fn && e.fn.use_count() == 1) pending.push_back(std::move(e.fn));
  if (draining) return;
  draining = true;
  while (!pending.empty()) {
    std::shared_ptr<Node> n = std::move(pending.back());
    pending.pop_back();
    n.reset();  // may push more nodes onto `pending`
  }
  draining = false;
}

namespace {
/// Saved tensors that may be the output of the op about to record (see SavedTensor).
struct PendingOutput {
  std::weak_ptr<TensorImpl> impl;
  std::weak_ptr<SavedTensor::OutputSlot> slot;
};
thread_local std::vector<PendingOutput> pending_outputs;
}  // namespace

SavedTensor::SavedTensor(const Tensor& t, const char* op) : op_(op) {
  if (!t.defined()) return;
  version_ = t._version();
  data_ = t.detach();
  if (t.requires_grad()) {
    edge_ = gradient_edge(t);
    return;
  }
  // Possibly the op's own output, which has no history yet: record_fn notes its node here.
  if (GradMode::is_enabled()) {
    output_ = std::make_shared<OutputSlot>();
    pending_outputs.push_back({t.impl(), output_});
  }
}

SavedTensor SavedTensor::output(const Tensor& t, const std::shared_ptr<Node>& fn, uint32_t output_nr, const char* op) {
  SavedTensor s;
  s.op_ = op;
  s.version_ = t._version();
  s.data_ = t.detach();
  s.output_ = std::make_shared<OutputSlot>();
  s.output_->fn = fn;
  s.output_->output_nr = output_nr;
  return s;
}

Tensor SavedTensor::get() const {
  EMBER_CHECK(!data_.defined() || data_._version() == version_,
              "autograd: one of the tensors needed for the gradient of '", op_,
              "' has been modified by an in-place operation (", describe(data_), " is at version ", data_._version(),
              ", expected version ", version_, "). Use an out-of-place op, or clone() the tensor before changing it.");
  if (!GradMode::is_enabled()) return data_;
  // A create_graph backward: a fresh alias whose history is the saved one (for the op's output,
  // the node now running), as LibTorch's SavedVariable::unpack rebuilds it. A leaf's alias has
  // the leaf's accumulator as its node, so gradients reach the leaf's .grad().
  Edge e = edge_;
  if (!e.fn && output_) e = {output_->fn.lock(), output_->output_nr};
  if (!e.fn) return data_;
  Tensor t = data_.detach();
  set_grad_fn(t.impl(), std::move(e.fn), e.input_nr);
  t.unsafeGetTensorImpl()->requires_grad = true;
  return t;
}

void bind_saved_outputs(const Tensor& out, const std::shared_ptr<Node>& fn, uint32_t output_nr) {
  for (const PendingOutput& p : pending_outputs) {
    if (p.impl.lock() != out.impl()) continue;
    if (auto slot = p.slot.lock()) {
      slot->fn = fn;
      slot->output_nr = output_nr;
    }
  }
}

void clear_saved_outputs() { pending_outputs.clear(); }

variable_list FunctionNode::apply(variable_list&& grads) {
  EMBER_CHECK(fn, "autograd: trying to backward through the graph a second time (node '", op,
              "'): its saved tensors were freed after the first backward. Pass retain_graph=true "
              "to the first backward() to keep them.");
  return fn(grads[0], needs);
}

namespace {
/// Runs a register_hook hook on the gradient `g`. As in LibTorch, a replacement must keep the
/// gradient's shape, dtype and device (the nodes downstream were recorded for those).
Tensor run_hook(const TensorHook& hook, Tensor g) {
  if (!hook.fn || !g.defined()) return g;
  Tensor r = hook.fn(g);
  if (!r.defined()) return g;
  EMBER_CHECK(r.sizes().equals(g.sizes()) && r.dtype() == g.dtype() && r.device() == g.device(),
              "register_hook: a hook has changed the gradient from ", describe(g), " to ", describe(r),
              "; a hook must return a gradient of the same shape, dtype and device");
  return r;
}
}  // namespace

variable_list AccumulateGrad::apply(variable_list&& grads) {
  for (const auto& hook : leaf->hooks) grads[0] = run_hook(*hook, std::move(grads[0]));
  Tensor& g = grads[0];
  Tensor& acc = leaf->grad;
  // Grad mode is on only in a create_graph backward: then .grad() must keep the gradient's
  // history, so it is built out of place (a clone, a sum), as LibTorch's AccumulateGrad does.
  const bool graph = GradMode::is_enabled();
  if (!acc.defined()) {
    // Steal the gradient when nobody else holds it; otherwise copy, so that two leaves never
    // share one .grad() buffer (zero_() on one would clear the other).
    bool unique = g.impl().use_count() == 1 && g.impl()->storage.use_count() == 1 && g.is_contiguous();
    if (unique && !graph) {
      acc = g.detach();
    } else if (graph) {
      // LibTorch copies into a new tensor here, so .grad()'s node is a CopyBackwards.
      acc = empty_like(g);
      acc.copy_(g);
    } else {
      acc = g.clone();
    }
  } else if (graph) {
    acc = acc + g;
  } else {
    acc.add_(g);
  }
  run_post_accumulate_hooks(leaf);
  return {};
}

void clear_grad(const Tensor& param, bool set_to_none) {
  if (!param.defined()) return;
  Tensor& grad = param.mutable_grad();
  if (!grad.defined()) return;
  if (set_to_none) {
    grad = Tensor();
  } else {
    grad = grad.detach();
    grad.zero_();
  }
}

bool needs_grad(std::initializer_list<Tensor> inputs) {
  if (!GradMode::is_enabled()) return false;
  for (const Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

bool needs_grad(const std::vector<Tensor>& inputs) {
  if (!GradMode::is_enabled()) return false;
  for (const Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

Edge gradient_edge(const Tensor& t) {
  if (!t.defined() || !t.requires_grad()) return {};
  TensorImpl* impl = t.unsafeGetTensorImpl();
  if (const auto& fn = current_grad_fn(t.impl())) return {fn, impl->output_nr};
  std::shared_ptr<Node> acc = impl->grad_accumulator.lock();
  if (!acc) {
    acc = std::make_shared<AccumulateGrad>(t.impl());
    impl->grad_accumulator = acc;
  }
  return {acc, 0};
}

void set_grad_fn(const std::shared_ptr<TensorImpl>& t, std::shared_ptr<Node> fn, uint32_t output_nr) {
  if (t->retains_grad && t->grad_fn != fn) {
    if (t->grad_fn) {
      auto& old = t->grad_fn->retained_outputs;
      old.erase(
          std::remove_if(old.begin(), old.end(), [&](const std::weak_ptr<TensorImpl>& w) { return w.lock() == t; }),
          old.end());
    }
    if (fn) fn->retained_outputs.push_back(t);
  }
  t->grad_fn = std::move(fn);
  t->output_nr = output_nr;
}

void record_fn(NodeName op, const Tensor& out, const std::vector<Tensor>& inputs, BackwardFn fn) {
  if (!needs_grad(inputs)) {
    clear_saved_outputs();
    return;
  }
  const bool anomaly = AnomalyMode::is_enabled();
  if (anomaly && AnomalyMode::should_check_nan()) check_forward_output(op.op, out, inputs);
  auto node = std::make_shared<FunctionNode>();
  node->op = op.op;
  node->node_name = op.node;
  node->fn = std::move(fn);
  if (anomaly) node->module_path = current_module_path();
  for (const Tensor& in : inputs) {
    node->next_edges.push_back(gradient_edge(in));
    node->needs.push_back(in.defined() && in.requires_grad());
    node->input_sizes.push_back(in.defined() ? in.sizes().vec() : std::vector<int64_t>{});
  }
  bind_saved_outputs(out, node, 0);
  clear_saved_outputs();
  set_grad_fn(out.impl(), std::move(node), 0);
  out.unsafeGetTensorImpl()->requires_grad = true;
}

namespace {

/// The accumulation targets of the backward function now running on this thread (null outside).
thread_local const variable_list* current_targets = nullptr;

/// Sets current_targets for the lifetime of the scope.
class TargetScope {
 public:
  explicit TargetScope(const variable_list* targets) : saved_(current_targets) { current_targets = targets; }
  ~TargetScope() { current_targets = saved_; }
  TargetScope(const TargetScope&) = delete;
  TargetScope& operator=(const TargetScope&) = delete;

 private:
  const variable_list* saved_;
};

struct GradBuffer {
  variable_list grads;
  void add(uint32_t i, Tensor g) {
    if (grads.size() <= i) grads.resize(i + 1);
    if (!g.defined()) return;
    if (!grads[i].defined()) {
      grads[i] = std::move(g);
    } else {
      grads[i] = grads[i] + g;  // out of place: g may alias another node's buffer
    }
  }
};

/// For each input of `node`: its leaf's .grad() when the node may add the gradient into it in
/// place (see accumulation_target), else undefined. `deps` and `buffers` tell whether any other
/// node still sends, or already sent, the leaf a gradient.
variable_list accumulation_targets(const Node& node, const std::unordered_map<Node*, int>& deps,
                                   const std::unordered_map<Node*, GradBuffer>& buffers) {
  variable_list targets(node.next_edges.size());
  for (size_t i = 0; i < targets.size(); ++i) {
    auto* acc = dynamic_cast<AccumulateGrad*>(node.next_edges[i].fn.get());
    if (acc == nullptr || deps.at(acc) != 1 || buffers.count(acc) != 0) continue;
    const TensorImpl& leaf = *acc->leaf;
    const Tensor& grad = leaf.grad;
    // A leaf's hooks must see its gradient before it is added in, its post-accumulate hooks after.
    if (!leaf.hooks.empty() || has_post_accumulate_hooks(leaf) || !grad.defined() || grad.requires_grad() ||
        grad.grad_fn() || !grad.is_contiguous() || grad.dtype() != leaf.dtype ||
        grad.device() != leaf.storage->device || grad.sizes() != IntArrayRef(leaf.sizes))
      continue;
    targets[i] = grad;
  }
  return targets;
}

void check_grad_shape(const Node& node, size_t i, const Tensor& g) {
  if (!g.defined() || i >= node.input_sizes.size() || (node.input_sizes[i].empty() && g.dim() == 0)) return;
  EMBER_ASSERT(g.sizes().equals(node.input_sizes[i]), "autograd: backward of '", node.name(),
               "' returned a gradient of shape ", g.sizes(), " for input ", i, " of shape ",
               IntArrayRef(node.input_sizes[i]));
}

}  // namespace

Tensor accumulation_target(size_t i) {
  return current_targets != nullptr && i < current_targets->size() ? (*current_targets)[i] : Tensor();
}

namespace {

/// One run of the engine. `inputs` empty: every node reachable from the roots runs and leaves
/// accumulate into .grad(). Otherwise only what leads to the inputs runs; their gradients are
/// returned (grad()) or, with `accumulate`, added into their .grad() (backward(inputs=...)).
variable_list run_backward(const char* api, const variable_list& roots, const variable_list& grad_roots, bool keep,
                           bool create_graph, const variable_list& inputs, bool accumulate) {
  EMBER_CHECK(grad_roots.empty() || grad_roots.size() == roots.size(), api, ": got ", roots.size(), " tensors but ",
              grad_roots.size(), " gradients");
  const bool check_gradients = AnomalyMode::is_enabled() && AnomalyMode::should_check_nan();
  // A create_graph backward records the backward functions' ops, making the gradients
  // differentiable; otherwise nothing is recorded.
  AutoGradMode grad_mode(create_graph);
  // Callbacks queued during this run (queue_callback) run once the walk has finished.
  CallbackQueue callbacks;

  // Seed the buffers of the roots' nodes.
  std::unordered_map<Node*, GradBuffer> buffers;
  std::vector<std::shared_ptr<Node>> stack;
  for (size_t i = 0; i < roots.size(); ++i) {
    const Tensor& r = roots[i];
    EMBER_CHECK(r.defined(), api, ": called on an undefined tensor");
    EMBER_CHECK(r.requires_grad(), api, ": element ", i,
                " of tensors does not require grad and "
                "does not have a grad_fn (",
                describe(r), "). Create the leaves with requires_grad(true).");
    Tensor g = grad_roots.empty() ? Tensor() : grad_roots[i];
    if (!g.defined()) {
      EMBER_CHECK(r.numel() == 1, api,
                  ": grad can be implicitly created only for scalar outputs; "
                  "got ",
                  describe(r), ". Pass a gradient of the same shape.");
      g = ones_like(r);
    } else {
      EMBER_CHECK(g.sizes().equals(r.sizes()), api, ": gradient of shape ", g.sizes(),
                  " does not match the tensor's shape ", r.sizes());
      EMBER_CHECK(g.device() == r.device(), api, ": gradient on ", g.device(), " but the tensor is on ", r.device());
      if (g.dtype() != r.dtype()) g = g.to(r.dtype());
    }
    Edge e = gradient_edge(r);
    buffers[e.fn.get()].add(e.input_nr, g);
    stack.push_back(e.fn);
  }

  // Where each input's gradient arrives: input_nr of the node its edge leads to.
  std::vector<Edge> input_edges;
  std::unordered_set<Node*> targets;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& in = inputs[i];
    EMBER_CHECK(in.defined(), api, ": input ", i, " is an undefined tensor");
    EMBER_CHECK(in.requires_grad(), api, ": One of the differentiated Tensors does not require grad (input ", i, ": ",
                describe(in), ")");
    // backward(inputs=...) fills a non-leaf input's .grad() as retain_grad() would.
    if (accumulate && !in.is_leaf()) in.retain_grad();
    input_edges.push_back(gradient_edge(in));
    targets.insert(input_edges.back().fn.get());
  }
  const bool prune = !inputs.empty();

  // With inputs, only the nodes on a path to one of them run: `needed` holds the nodes that are
  // an input's node or lead to one, `exec` those that must run (some next node is needed; with
  // accumulate, also the leaf inputs' AccumulateGrad). A depth-first walk in post order settles
  // every node after all the nodes below it.
  std::unordered_set<Node*> needed, exec;
  if (prune) {
    std::unordered_set<Node*> seen;
    std::vector<std::pair<Node*, size_t>> dfs;
    for (auto& root : stack) {
      if (!seen.insert(root.get()).second) continue;
      dfs.emplace_back(root.get(), 0);
      while (!dfs.empty()) {
        auto& [n, next] = dfs.back();
        if (next < n->next_edges.size()) {
          Node* child = n->next_edges[next++].fn.get();
          if (child != nullptr && seen.insert(child).second) dfs.emplace_back(child, 0);
          continue;
        }
        bool leads = false;
        for (const Edge& e : n->next_edges) leads = leads || (e.fn && needed.count(e.fn.get()) != 0);
        const bool leaf_target = accumulate && targets.count(n) != 0 && dynamic_cast<AccumulateGrad*>(n) != nullptr;
        if (leads || leaf_target) exec.insert(n);
        if (leads || targets.count(n) != 0) needed.insert(n);
        dfs.pop_back();
      }
    }
  }
  auto runs = [&](Node* n) { return !prune || exec.count(n) != 0; };
  auto follows = [&](const Edge& e) { return e.fn && (!prune || needed.count(e.fn.get()) != 0); };

  // Count, for every node that will receive a gradient, how many edges lead into it.
  std::unordered_map<Node*, int> deps;
  std::unordered_set<Node*> seen;
  std::vector<std::shared_ptr<Node>> walk = stack;
  for (auto& n : stack) seen.insert(n.get());
  while (!walk.empty()) {
    std::shared_ptr<Node> n = std::move(walk.back());
    walk.pop_back();
    if (!runs(n.get())) continue;
    for (const Edge& e : n->next_edges) {
      if (!follows(e)) continue;
      deps[e.fn.get()]++;
      if (seen.insert(e.fn.get()).second) walk.push_back(e.fn);
    }
  }

  // Run nodes whose every consumer has already sent its gradient.
  variable_list captured(inputs.size());
  std::vector<std::shared_ptr<Node>> ready;
  std::unordered_set<Node*> queued;
  for (auto& n : stack)
    if ((!prune || needed.count(n.get()) != 0) && deps[n.get()] == 0 && queued.insert(n.get()).second)
      ready.push_back(n);
  while (!ready.empty()) {
    std::shared_ptr<Node> node = std::move(ready.back());
    ready.pop_back();
    variable_list in = std::move(buffers[node.get()].grads);
    buffers.erase(node.get());
    if (prune && targets.count(node.get()) != 0) {
      for (size_t i = 0; i < inputs.size(); ++i)
        if (input_edges[i].fn == node && input_edges[i].input_nr < in.size()) captured[i] = in[input_edges[i].input_nr];
    }
    // Hooks of this node's outputs (register_hook on non-leaves), after the capture: as in
    // LibTorch 1.13, grad() returns an input's gradient before its hooks run.
    for (const auto& [nr, hook] : node->output_hooks)
      if (nr < in.size()) in[nr] = run_hook(*hook, std::move(in[nr]));
    bool any = false;
    for (auto& g : in) any = any || g.defined();
    // Non-leaves that asked for retain_grad() (or are backward's inputs) get their gradient.
    if (any && (runs(node.get()) || accumulate)) {
      for (auto& w : node->retained_outputs) {
        auto impl = w.lock();
        if (!impl || impl->output_nr >= in.size() || !in[impl->output_nr].defined()) continue;
        const Tensor& gi = in[impl->output_nr];
        Tensor& g = impl->grad;
        g = g.defined() ? g + gi : gi.clone();
      }
    }
    if (!runs(node.get())) continue;
    variable_list out;
    if (any) {
      EMBER_CHECK(!create_graph || backward_is_differentiable(*node), node->name(),
                  ": double backward is not supported for this op in ember: its backward runs a kernel "
                  "that autograd does not record, so backward()/grad() with create_graph=true cannot go "
                  "through it (docs/libtorch_differences.md lists the ops that support it)");
      const variable_list targets_now =
          check_gradients || create_graph || prune ? variable_list() : accumulation_targets(*node, deps, buffers);
      TargetScope scope(&targets_now);
      out = node->apply(std::move(in));
      if (!keep) node->release_variables();
      if (check_gradients) check_backward_gradients(*node, out);
    }
    for (size_t i = 0; i < node->next_edges.size(); ++i) {
      const Edge& e = node->next_edges[i];
      if (!follows(e)) continue;
      if (i < out.size() && out[i].defined()) {
        check_grad_shape(*node, i, out[i]);
        buffers[e.fn.get()].add(e.input_nr, std::move(out[i]));
      }
      if (--deps[e.fn.get()] == 0) ready.push_back(e.fn);
    }
  }
  callbacks.run();
  return captured;
}

}  // namespace

void backward(const variable_list& tensors, const variable_list& grad_tensors, std::optional<bool> retain_graph,
              bool create_graph, const variable_list& inputs) {
  run_backward("backward", tensors, grad_tensors, retain_graph.value_or(create_graph), create_graph, inputs,
               /*accumulate=*/true);
}

variable_list grad(const variable_list& outputs, const variable_list& inputs, const variable_list& grad_outputs,
                   std::optional<bool> retain_graph, bool create_graph, bool allow_unused) {
  EMBER_CHECK(!inputs.empty(), "grad: requires at least one input (got an empty list of inputs)");
  variable_list grads = run_backward("grad", outputs, grad_outputs, retain_graph.value_or(create_graph), create_graph,
                                     inputs, /*accumulate=*/false);
  for (size_t i = 0; i < grads.size(); ++i)
    EMBER_CHECK(allow_unused || grads[i].defined(),
                "grad: One of the differentiated Tensors appears to not have "
                "been used in the graph. Set allow_unused=True if this is the desired behavior. (input ",
                i, ": ", describe(inputs[i]), ")");
  return grads;
}

}  // namespace autograd

void Tensor::backward(const Tensor& gradient, std::optional<bool> retain_graph, bool create_graph,
                      std::optional<TensorList> inputs) const {
  if (inputs) {
    EMBER_CHECK(!inputs->empty(), "backward: 'inputs' argument to backward() cannot be empty.");
    autograd::backward({*this}, {gradient}, retain_graph, create_graph, inputs->vec());
  } else {
    autograd::backward({*this}, {gradient}, retain_graph, create_graph);
  }
}

}  // namespace ember
