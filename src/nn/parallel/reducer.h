#pragma once
// The gradient averaging of DistributedDataParallel (PyTorch's c10d::Reducer): gradients in flat
// buckets, each all-reduced as soon as all its gradients are final during backward.
#include <memory>
#include <string>
#include <vector>

#include "ember/distributed.h"
#include "ember/tensor.h"

namespace ember {
namespace nn {
namespace parallel {
namespace detail {

/// Which parameters go into which bucket, in launch order: the parameters in reverse order
/// (backward makes the last layers' gradients first), a new bucket when the current one of the
/// same dtype and device reaches its cap (`first_cap` bytes for the first, then `cap`), as
/// PyTorch's compute_bucket_assignment_by_size.
std::vector<std::vector<size_t>> assign_buckets(const std::vector<Tensor>& params, int64_t first_cap, int64_t cap);

class Reducer {
 public:
  Reducer(std::vector<Tensor> params, std::vector<std::string> names, std::shared_ptr<distributed::ProcessGroup> group,
          int64_t first_cap, int64_t cap, bool find_unused, bool gradient_as_bucket_view);
  ~Reducer();
  Reducer(const Reducer&) = delete;
  Reducer& operator=(const Reducer&) = delete;

  /// Called after a forward that will be followed by a synchronised backward: arms the hooks.
  /// With find_unused, `outputs`' graph is searched for the parameters it reaches.
  void prepare_for_backward(const std::vector<Tensor>& outputs);
  /// Called after a forward that no synchronised backward follows (no_sync, no grad mode): a
  /// backward after it only accumulates locally.
  void disarm() { armed_ = false; }
  /// Called before a forward: fails if the previous synchronised backward started averaging but
  /// did not finish (an exception in the middle of it).
  void check_previous_iteration();
  /// Each parameter's bucket.
  std::vector<int64_t> bucket_indices() const;

 private:
  struct Bucket {
    std::vector<size_t> params;  // indices into params_
    std::vector<Tensor> views;   // of `buffer`, shaped as the parameters
    Tensor buffer;               // flat, the parameters' dtype and device
    size_t pending = 0;          // parameters not yet ready in this backward
    std::shared_ptr<distributed::Work> work;
  };

  void autograd_hook(size_t index);
  void mark_ready(size_t index);
  void launch_ready_buckets();
  void finalize();
  /// Waits for the all-reduces in flight and forgets this backward's state.
  void reset();
  std::string unready_parameters() const;

  std::vector<Tensor> params_;
  std::vector<std::string> names_;
  std::vector<unsigned> hook_handles_;
  std::shared_ptr<distributed::ProcessGroup> group_;
  bool find_unused_;
  bool as_view_;
  std::vector<Bucket> buckets_;
  std::vector<std::pair<size_t, size_t>> where_;  // parameter -> (bucket, slot)

  // This backward's state.
  bool armed_ = false;          // a synchronised backward is expected
  bool started_ = false;        // a hook ran (the end-of-backward callback is queued)
  size_t next_bucket_ = 0;      // buckets launch in order, so every rank issues the same sequence
  std::vector<char> ready_;     // per parameter
  std::vector<size_t> unused_;  // find_unused: parameters the forward's output does not reach
  std::vector<int32_t> used_;   // find_unused: parameters that got a gradient here
};

}  // namespace detail
}  // namespace parallel
}  // namespace nn
}  // namespace ember
