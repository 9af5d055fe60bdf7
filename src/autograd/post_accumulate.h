#pragma once
// The engine's side of autograd_hooks.h (post_accumulate.cpp).
#include <functional>
#include <memory>
#include <vector>

#include "../tensor_impl.h"

namespace ember {
namespace autograd {

/// Whether `leaf` has post-accumulate-grad hooks (the engine then lets AccumulateGrad add the
/// gradient, so that the hooks run after it).
bool has_post_accumulate_hooks(const TensorImpl& leaf);
/// Runs `leaf`'s post-accumulate-grad hooks (AccumulateGrad, after accumulating).
void run_post_accumulate_hooks(const std::shared_ptr<TensorImpl>& leaf);

/// The callbacks queued (queue_callback) during one backward; the engine makes one per run and
/// drains it once the graph walk has finished.
class CallbackQueue {
 public:
  CallbackQueue();
  ~CallbackQueue();
  CallbackQueue(const CallbackQueue&) = delete;
  CallbackQueue& operator=(const CallbackQueue&) = delete;
  /// Runs the queued callbacks in order, including those they queue.
  void run();
  void push(std::function<void()> callback) { callbacks_.push_back(std::move(callback)); }

 private:
  std::vector<std::function<void()>> callbacks_;
  CallbackQueue* saved_;
};

}  // namespace autograd
}  // namespace ember
