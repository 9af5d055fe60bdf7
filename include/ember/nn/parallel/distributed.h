#pragma once
// nn::parallel::DistributedDataParallel: data-parallel training over a process group, with the
// semantics and names of PyTorch's torch.nn.parallel.DistributedDataParallel (LibTorch has no C++
// DDP). Every rank runs the same model on its own shard of the batch; during backward the
// gradients are averaged over the ranks in flat buckets, each all-reduced asynchronously as soon as
// all its gradients are final, so communication overlaps the rest of the backward. When backward()
// returns, every rank's .grad() holds the average, and identical optimizer steps keep the
// replicas identical.
//
//   ember::distributed::init_process_group("mpi");
//   auto ddp = nn::parallel::DistributedDataParallel(model);
//   auto loss = F::cross_entropy(ddp->forward(x), y);
//   loss.backward();   // gradients averaged over the ranks
//   optimizer.step();
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "ember/arg.h"
#include "ember/distributed.h"
#include "ember/export.h"
#include "ember/nn/module.h"
#include "ember/nn/pimpl.h"

namespace ember {
namespace nn {
namespace parallel {

struct EMBER_API DistributedDataParallelOptions {
  /// The group to average over; null: the default group (init_process_group's).
  EMBER_ARG(std::shared_ptr<distributed::ProcessGroup>, process_group) = nullptr;
  /// Copy rank 0's module buffers (BatchNorm's running statistics) to every rank at each forward.
  EMBER_ARG(bool, broadcast_buffers) = true;
  /// The size of a gradient bucket in MiB (the first bucket is 1 MiB, as PyTorch's, so that the
  /// first all-reduce starts early in the backward).
  EMBER_ARG(double, bucket_cap_mb) = 25;
  /// Find, after each forward, the parameters the output does not depend on and count them as
  /// ready (with a zero gradient), so that a model whose forward skips some parameters trains.
  EMBER_ARG(bool, find_unused_parameters) = false;
  /// Make each .grad() a view into its bucket (saves a copy and the gradients' memory).
  EMBER_ARG(bool, gradient_as_bucket_view) = false;
};

namespace detail {
class Reducer;
}  // namespace detail

class DistributedDataParallelBase;

/// What no_sync() returns: while alive, backward passes only accumulate gradients locally; the
/// first synchronised backward after it averages the accumulated .grad().
class EMBER_API NoSyncGuard {
 public:
  explicit NoSyncGuard(DistributedDataParallelBase& ddp);
  ~NoSyncGuard();
  NoSyncGuard(NoSyncGuard&& other) noexcept;
  NoSyncGuard(const NoSyncGuard&) = delete;
  NoSyncGuard& operator=(const NoSyncGuard&) = delete;
  NoSyncGuard& operator=(NoSyncGuard&&) = delete;

 private:
  DistributedDataParallelBase* ddp_;
  bool previous_;
};

/// The part of DistributedDataParallelImpl that does not depend on the wrapped module's type.
class EMBER_API DistributedDataParallelBase : public Module {
 public:
  /// Checks that every rank holds the same parameters (names, shapes, dtypes), copies rank 0's
  /// parameters and buffers to every rank, and sets up the gradient buckets. Collective: every
  /// rank of the group must construct its DDP at the same point.
  DistributedDataParallelBase(std::shared_ptr<Module> module, DistributedDataParallelOptions options);
  ~DistributedDataParallelBase() override;

  /// PyTorch's ddp.no_sync(): `{ auto guard = ddp->no_sync(); ddp->forward(x).backward(); }`.
  NoSyncGuard no_sync();
  const DistributedDataParallelOptions& options() const { return options_; }
  const std::shared_ptr<distributed::ProcessGroup>& process_group() const { return group_; }
  /// Whether the next backward averages the gradients (false inside no_sync()).
  bool require_backward_grad_sync() const { return require_backward_grad_sync_; }
  /// The bucket of each parameter of module()->parameters() (those that require grad, in
  /// order), for inspection and tests: buckets are numbered in launch order.
  std::vector<int64_t> bucket_indices() const;

 protected:
  /// Before the wrapped forward: broadcasts the buffers (broadcast_buffers) and checks that the
  /// previous synchronised backward finished.
  void pre_forward();
  /// After it: arms the gradient averaging for the next backward, and with
  /// find_unused_parameters, finds the parameters `outputs` do not depend on.
  void post_forward(const std::vector<Tensor>& outputs);

 private:
  friend class NoSyncGuard;
  std::shared_ptr<Module> wrapped_;
  DistributedDataParallelOptions options_;
  std::shared_ptr<distributed::ProcessGroup> group_;
  std::unique_ptr<detail::Reducer> reducer_;
  bool require_backward_grad_sync_ = true;
};

namespace detail {
// The tensors of a forward's result, for find_unused_parameters: a Tensor, a vector of them, or
// a tuple or pair of those; anything else holds none.
inline void collect_tensors(const Tensor& t, std::vector<Tensor>& out) { out.push_back(t); }
inline void collect_tensors(const std::vector<Tensor>& ts, std::vector<Tensor>& out) {
  out.insert(out.end(), ts.begin(), ts.end());
}
template <typename... Ts>
void collect_tensors(const std::tuple<Ts...>& t, std::vector<Tensor>& out);
template <typename A, typename B>
void collect_tensors(const std::pair<A, B>& p, std::vector<Tensor>& out) {
  collect_tensors(p.first, out);
  collect_tensors(p.second, out);
}
template <typename T>
void collect_tensors(const T&, std::vector<Tensor>&) {}
template <typename... Ts>
void collect_tensors(const std::tuple<Ts...>& t, std::vector<Tensor>& out) {
  std::apply([&](const auto&... xs) { (collect_tensors(xs, out), ...); }, t);
}
}  // namespace detail

/// DDP around a module of type `ModuleType` (an Impl): forward(args...) is the module's.
template <typename ModuleType>
class DistributedDataParallelImpl : public DistributedDataParallelBase {
 public:
  explicit DistributedDataParallelImpl(std::shared_ptr<ModuleType> module,
                                       DistributedDataParallelOptions options = DistributedDataParallelOptions())
      : DistributedDataParallelBase(module, std::move(options)), module_(std::move(module)) {}
  explicit DistributedDataParallelImpl(ModuleHolder<ModuleType> module,
                                       DistributedDataParallelOptions options = DistributedDataParallelOptions())
      : DistributedDataParallelImpl(module.ptr(), std::move(options)) {}

  /// The wrapped module (PyTorch's ddp.module).
  const std::shared_ptr<ModuleType>& module() const { return module_; }

  template <typename... Args>
  auto forward(Args&&... args) -> decltype(std::declval<ModuleType&>().forward(std::forward<Args>(args)...)) {
    pre_forward();
    nn::detail::ForwardScope scope(module_.get());
    auto out = module_->forward(std::forward<Args>(args)...);
    std::vector<Tensor> tensors;
    detail::collect_tensors(out, tensors);
    post_forward(tensors);
    return out;
  }

 private:
  std::shared_ptr<ModuleType> module_;
};

/// The holder: `auto ddp = nn::parallel::DistributedDataParallel(model, options);` wraps any
/// module holder (or shared_ptr to a module); `ddp->forward(x)` or `ddp(x)` runs it.
template <typename ModuleType>
class DistributedDataParallel : public ModuleHolder<DistributedDataParallelImpl<ModuleType>> {
 public:
  using ModuleHolder<DistributedDataParallelImpl<ModuleType>>::ModuleHolder;
};

template <typename Holder, typename = typename Holder::ContainedType>
DistributedDataParallel(Holder) -> DistributedDataParallel<typename Holder::ContainedType>;
template <typename Holder, typename = typename Holder::ContainedType>
DistributedDataParallel(Holder, DistributedDataParallelOptions)
    -> DistributedDataParallel<typename Holder::ContainedType>;
template <typename M>
DistributedDataParallel(std::shared_ptr<M>) -> DistributedDataParallel<M>;
template <typename M>
DistributedDataParallel(std::shared_ptr<M>, DistributedDataParallelOptions) -> DistributedDataParallel<M>;

}  // namespace parallel
}  // namespace nn
}  // namespace ember
