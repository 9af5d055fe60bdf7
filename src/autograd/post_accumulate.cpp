// Post-accumulate-grad hooks and end-of-backward callbacks (autograd_hooks.h). The hooks live in a
// table keyed by the leaf rather than in TensorImpl, so that tensors without them pay nothing but
// a lookup of an empty table; an entry whose leaf died is dropped when the table next changes.
#include <mutex>
#include <unordered_map>

#include "ember/autograd_hooks.h"
#include "post_accumulate.h"

namespace ember {
namespace autograd {
namespace {

struct LeafHooks {
  std::weak_ptr<TensorImpl> leaf;                              // an address can be reused once the leaf dies
  std::vector<std::shared_ptr<PostAccumulateGradHook>> hooks;  // null once removed
};

std::mutex table_mutex;
std::unordered_map<const TensorImpl*, LeafHooks> table;  // guarded by table_mutex

/// The live entry for `leaf` (nullptr if none). Call with table_mutex held.
LeafHooks* find_entry(const TensorImpl* leaf) {
  auto it = table.find(leaf);
  if (it == table.end()) return nullptr;
  if (it->second.leaf.expired()) {
    table.erase(it);
    return nullptr;
  }
  return &it->second;
}

thread_local CallbackQueue* current_queue = nullptr;

}  // namespace

unsigned register_post_accumulate_grad_hook(const Tensor& leaf, PostAccumulateGradHook hook) {
  EMBER_CHECK(leaf.defined(), "register_post_accumulate_grad_hook: called on an undefined tensor");
  EMBER_CHECK(leaf.requires_grad(),
              "register_post_accumulate_grad_hook: cannot register a hook on a tensor that doesn't require "
              "gradient (",
              describe(leaf), ")");
  EMBER_CHECK(leaf.is_leaf(),
              "register_post_accumulate_grad_hook: post accumulate grad hooks cannot be registered "
              "on non-leaf tensors (",
              describe(leaf), ")");
  std::lock_guard<std::mutex> lock(table_mutex);
  for (auto it = table.begin(); it != table.end();) it = it->second.leaf.expired() ? table.erase(it) : std::next(it);
  LeafHooks& entry = table[leaf.unsafeGetTensorImpl()];
  entry.leaf = leaf.impl();
  entry.hooks.push_back(std::make_shared<PostAccumulateGradHook>(std::move(hook)));
  return unsigned(entry.hooks.size() - 1);
}

void remove_post_accumulate_grad_hook(const Tensor& leaf, unsigned pos) {
  EMBER_CHECK(leaf.defined(), "remove_post_accumulate_grad_hook: called on an undefined tensor");
  std::lock_guard<std::mutex> lock(table_mutex);
  LeafHooks* entry = find_entry(leaf.unsafeGetTensorImpl());
  EMBER_CHECK(entry != nullptr && pos < entry->hooks.size() && entry->hooks[pos] != nullptr,
              "remove_post_accumulate_grad_hook: Invalid index, no hook at position ", pos);
  entry->hooks[pos] = nullptr;
}

bool has_post_accumulate_hooks(const TensorImpl& leaf) {
  std::lock_guard<std::mutex> lock(table_mutex);
  if (table.empty()) return false;
  const LeafHooks* entry = find_entry(&leaf);
  if (entry == nullptr) return false;
  for (const auto& h : entry->hooks)
    if (h) return true;
  return false;
}

void run_post_accumulate_hooks(const std::shared_ptr<TensorImpl>& leaf) {
  std::vector<std::shared_ptr<PostAccumulateGradHook>> hooks;
  {
    std::lock_guard<std::mutex> lock(table_mutex);
    if (table.empty()) return;
    if (const LeafHooks* entry = find_entry(leaf.get())) hooks = entry->hooks;
  }
  // Outside the lock: a hook may register or remove hooks, or start collectives.
  if (hooks.empty()) return;
  Tensor param(leaf);
  for (const auto& h : hooks)
    if (h) (*h)(param);
}

CallbackQueue::CallbackQueue() : saved_(current_queue) { current_queue = this; }
CallbackQueue::~CallbackQueue() { current_queue = saved_; }

void CallbackQueue::run() {
  // By index: a callback may queue more, which run after it in this same pass.
  for (size_t i = 0; i < callbacks_.size(); ++i) {
    std::function<void()> cb = std::move(callbacks_[i]);
    cb();
  }
  callbacks_.clear();
}

void queue_callback(std::function<void()> callback) {
  EMBER_CHECK(current_queue != nullptr,
              "queue_callback: Final callbacks can only be installed during backward pass (called outside "
              "of a backward)");
  EMBER_CHECK(callback != nullptr, "queue_callback: the callback is empty");
  current_queue->push(std::move(callback));
}

}  // namespace autograd
}  // namespace ember
