// The autograd engine: an iterative topological walk from the roots (no recursion, so deep
// graphs cannot overflow the stack), summing gradients per node input and releasing each
// node's saved tensors after it ran.
#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "../backend.h"
#include "function.h"

namespace ember {
namespace {
thread_local bool grad_enabled = true;
}

bool GradMode::is_enabled() { return grad_enabled; }
void GradMode::set_enabled(bool enabled) { grad_enabled = enabled; }

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

SavedTensor::SavedTensor(const Tensor& t, const char* op) : op_(op) {
  if (!t.defined()) return;
  data_ = t.detach();
  version_ = t._version();
}

const Tensor& SavedTensor::get() const {
  EMBER_CHECK(!data_.defined() || data_._version() == version_,
              "autograd: one of the tensors needed for the gradient of '", op_,
              "' has been modified by an in-place operation (", describe(data_), " is at version ",
              data_._version(), ", expected version ", version_,
              "). Use an out-of-place op, or clone() the tensor before changing it.");
  return data_;
}

variable_list FunctionNode::apply(variable_list&& grads) {
  EMBER_CHECK(fn, "autograd: trying to backward through the graph a second time (node '", op,
              "'): its saved tensors were freed after the first backward. Pass retain_graph=true "
              "to the first backward() to keep them.");
  return fn(grads[0], needs);
}

variable_list AccumulateGrad::apply(variable_list&& grads) {
  Tensor& g = grads[0];
  Tensor& acc = leaf->grad;
  if (!acc.defined()) {
    // Steal the gradient when nobody else holds it; otherwise copy, so that two leaves never
    // share one .grad() buffer (zero_() on one would clear the other).
    bool unique = g.impl().use_count() == 1 && g.impl()->storage.use_count() == 1 && g.is_contiguous();
    acc = unique ? g.detach() : g.clone();
  } else {
    acc.add_(g);
  }
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
      old.erase(std::remove_if(old.begin(), old.end(), [&](const std::weak_ptr<TensorImpl>& w) { return w.lock() == t; }),
                old.end());
    }
    if (fn) fn->retained_outputs.push_back(t);
  }
  t->grad_fn = std::move(fn);
  t->output_nr = output_nr;
}

void record_fn(NodeName op, const Tensor& out, const std::vector<Tensor>& inputs, BackwardFn fn) {
  if (!needs_grad(inputs)) return;
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
    if (!grad.defined() || grad.requires_grad() || grad.grad_fn() || !grad.is_contiguous() ||
        grad.dtype() != leaf.dtype || grad.device() != leaf.storage->device || grad.sizes() != IntArrayRef(leaf.sizes))
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

void backward(const variable_list& roots, const variable_list& grad_roots,
              std::optional<bool> retain_graph, bool create_graph) {
  EMBER_CHECK(!create_graph, "backward: create_graph=true (higher-order gradients) is not supported by ember yet");
  EMBER_CHECK(grad_roots.empty() || grad_roots.size() == roots.size(), "backward: got ", roots.size(),
              " tensors but ", grad_roots.size(), " gradients");
  const bool keep = retain_graph.value_or(create_graph);
  const bool check_gradients = AnomalyMode::is_enabled() && AnomalyMode::should_check_nan();
  NoGradGuard no_grad;

  // Seed the buffers of the roots' nodes.
  std::unordered_map<Node*, GradBuffer> buffers;
  std::vector<std::shared_ptr<Node>> stack;
  for (size_t i = 0; i < roots.size(); ++i) {
    const Tensor& r = roots[i];
    EMBER_CHECK(r.defined(), "backward: called on an undefined tensor");
    EMBER_CHECK(r.requires_grad(), "backward: element ", i, " of tensors does not require grad and "
                "does not have a grad_fn (", describe(r), "). Create the leaves with requires_grad(true).");
    Tensor g = grad_roots.empty() ? Tensor() : grad_roots[i];
    if (!g.defined()) {
      EMBER_CHECK(r.numel() == 1, "backward: grad can be implicitly created only for scalar outputs; "
                  "got ", describe(r), ". Pass a gradient of the same shape.");
      g = ones_like(r);
    } else {
      EMBER_CHECK(g.sizes().equals(r.sizes()), "backward: gradient of shape ", g.sizes(),
                  " does not match the tensor's shape ", r.sizes());
      EMBER_CHECK(g.device() == r.device(), "backward: gradient on ", g.device(),
                  " but the tensor is on ", r.device());
      if (g.dtype() != r.dtype()) g = g.to(r.dtype());
    }
    Edge e = gradient_edge(r);
    buffers[e.fn.get()].add(e.input_nr, g);
    stack.push_back(e.fn);
  }

  // Count, for every reachable node, how many edges lead into it.
  std::unordered_map<Node*, int> deps;
  std::unordered_set<Node*> seen;
  std::vector<std::shared_ptr<Node>> walk = stack;
  for (auto& n : stack) seen.insert(n.get());
  while (!walk.empty()) {
    std::shared_ptr<Node> n = std::move(walk.back());
    walk.pop_back();
    for (const Edge& e : n->next_edges) {
      if (!e.fn) continue;
      deps[e.fn.get()]++;
      if (seen.insert(e.fn.get()).second) walk.push_back(e.fn);
    }
  }

  // Run nodes whose every consumer has already sent its gradient.
  std::vector<std::shared_ptr<Node>> ready;
  std::unordered_set<Node*> queued;
  for (auto& n : stack)
    if (deps[n.get()] == 0 && queued.insert(n.get()).second) ready.push_back(n);
  while (!ready.empty()) {
    std::shared_ptr<Node> node = std::move(ready.back());
    ready.pop_back();
    variable_list in = std::move(buffers[node.get()].grads);
    buffers.erase(node.get());
    bool any = false;
    for (auto& g : in) any = any || g.defined();
    variable_list out;
    if (any) {
      for (auto& w : node->retained_outputs) {
        if (auto impl = w.lock()) {
          Tensor& g = impl->grad;
          g = g.defined() ? g + in[0] : in[0].clone();
        }
      }
      const variable_list targets = check_gradients ? variable_list() : accumulation_targets(*node, deps, buffers);
      TargetScope scope(&targets);
      out = node->apply(std::move(in));
      if (!keep) node->release_variables();
      if (check_gradients) check_backward_gradients(*node, out);
    }
    for (size_t i = 0; i < node->next_edges.size(); ++i) {
      const Edge& e = node->next_edges[i];
      if (!e.fn) continue;
      if (i < out.size() && out[i].defined()) {
        check_grad_shape(*node, i, out[i]);
        buffers[e.fn.get()].add(e.input_nr, std::move(out[i]));
      }
      if (--deps[e.fn.get()] == 0) ready.push_back(e.fn);
    }
  }
}

}  // namespace autograd

void Tensor::backward(const Tensor& gradient, std::optional<bool> retain_graph, bool create_graph) const {
  autograd::backward({*this}, {gradient}, retain_graph, create_graph);
}

}  // namespace ember
