#pragma once
// Hooks into the autograd engine for code that must act while a backward runs (data-parallel
// training launches a gradient's all-reduce as soon as the gradient is final, and waits for all
// of them when the backward ends). PyTorch's names: Tensor.register_post_accumulate_grad_hook
// (2.1) and Variable._execution_engine.queue_callback.
#include <functional>

#include "ember/export.h"
#include "ember/tensor.h"

namespace ember {
namespace autograd {

/// Runs on a leaf after a backward has accumulated its gradient into .grad() (so `param.grad()`
/// holds the new sum); it may read or modify .grad() but returns nothing.
using PostAccumulateGradHook = std::function<void(Tensor& param)>;

/// PyTorch's Tensor.register_post_accumulate_grad_hook: `hook(leaf)` runs each time a backward
/// accumulates a gradient into leaf.grad() (not in grad() calls, which accumulate nothing), after
/// the leaf's register_hook hooks and the accumulation. Hooks run in registration order. Only
/// leaves that require grad take one (PyTorch's rule). Returns the position that
/// remove_post_accumulate_grad_hook takes.
EMBER_API unsigned register_post_accumulate_grad_hook(const Tensor& leaf, PostAccumulateGradHook hook);
/// Removes the hook at `pos`; it no longer runs.
EMBER_API void remove_post_accumulate_grad_hook(const Tensor& leaf, unsigned pos);

/// PyTorch's Variable._execution_engine.queue_callback: `callback` runs once the backward pass now
/// running on this thread has finished its graph (before backward() returns), after the callbacks
/// queued before it; a callback may queue more. Valid only during a backward (from a hook or a
/// backward function): elsewhere an ember::Error. An exception from a callback leaves backward()
/// and drops the callbacks after it.
EMBER_API void queue_callback(std::function<void()> callback);

}  // namespace autograd
}  // namespace ember
