#pragma once
// An in-process ProcessGroup for tests: `world` threads of one process act as the ranks, so
// DistributedDataParallel's bucket logic can be tested without MPI. Every collective completes
// before it returns (the Work is done); sums are taken in rank order, so every rank gets the same
// bits. A rank that waits more than a minute for the others throws instead of hanging.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ember/distributed.h"
#include "ember/error.h"
#include "ember/tensor.h"

namespace ember_test {

class ThreadWorld {
 public:
  explicit ThreadWorld(int size) : size_(size) {}
  int size() const { return size_; }

  /// Every rank's `t` (cloned), by rank, once all ranks have called with the same sequence number.
  std::vector<ember::Tensor> exchange(int rank, int64_t seq, const ember::Tensor& t) {
    std::unique_lock<std::mutex> lock(mutex_);
    Round& round = rounds_[seq];
    if (round.slots.empty()) round.slots.resize(size_);
    round.slots[rank] = t.clone();
    ++round.deposited;
    cv_.notify_all();
    const bool ok = cv_.wait_for(lock, std::chrono::seconds(60), [&] { return round.deposited == size_; });
    if (!ok)
      throw ember::Error("ThreadWorld: collective " + std::to_string(seq) + " timed out on rank " +
                         std::to_string(rank));
    std::vector<ember::Tensor> out = round.slots;
    if (++round.taken == size_) rounds_.erase(seq);
    return out;
  }

 private:
  struct Round {
    std::vector<ember::Tensor> slots;
    int deposited = 0;
    int taken = 0;
  };
  int size_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::map<int64_t, Round> rounds_;
};

class DoneWork : public ember::distributed::Work {
 public:
  bool isCompleted() override { return true; }
  bool isSuccess() const override { return true; }
  std::exception_ptr exception() const override { return nullptr; }
  bool wait(std::chrono::milliseconds) override { return true; }
};

class ThreadProcessGroup : public ember::distributed::ProcessGroup {
 public:
  ThreadProcessGroup(std::shared_ptr<ThreadWorld> world, int rank)
      : ProcessGroup(rank, world->size()), world_(std::move(world)) {}
  const std::string getBackendName() const override { return "threads"; }
  /// How many collectives this rank issued (tests check the launch count).
  int64_t collectives() const { return seq_; }
  /// The element count of every all-reduce, in order.
  std::vector<int64_t> allreduce_sizes;

  std::shared_ptr<ember::distributed::Work> broadcast(std::vector<ember::Tensor>& tensors,
                                                      const ember::distributed::BroadcastOptions& opts) override {
    auto all = world_->exchange(rank_, seq_++, tensors.at(0));
    tensors[0].copy_(all.at(opts.rootRank));
    return std::make_shared<DoneWork>();
  }
  std::shared_ptr<ember::distributed::Work> allreduce(std::vector<ember::Tensor>& tensors,
                                                      const ember::distributed::AllreduceOptions& opts) override {
    if (opts.reduceOp != ember::distributed::ReduceOp::SUM) throw ember::Error("ThreadProcessGroup: SUM only");
    allreduce_sizes.push_back(tensors.at(0).numel());
    auto all = world_->exchange(rank_, seq_++, tensors.at(0));
    ember::Tensor sum = all[0].clone();
    for (size_t r = 1; r < all.size(); ++r) sum.add_(all[r]);
    tensors[0].copy_(sum);
    return std::make_shared<DoneWork>();
  }
  std::shared_ptr<ember::distributed::Work> allgather(std::vector<std::vector<ember::Tensor>>& out,
                                                      std::vector<ember::Tensor>& in,
                                                      const ember::distributed::AllgatherOptions&) override {
    auto all = world_->exchange(rank_, seq_++, in.at(0));
    for (size_t r = 0; r < all.size(); ++r) out.at(0).at(r).copy_(all[r]);
    return std::make_shared<DoneWork>();
  }
  std::shared_ptr<ember::distributed::Work> barrier(const ember::distributed::BarrierOptions&) override {
    world_->exchange(rank_, seq_++, ember::zeros({1}));
    return std::make_shared<DoneWork>();
  }
  std::shared_ptr<ember::distributed::Work> _allgather_base(ember::Tensor&, ember::Tensor&,
                                                            const ember::distributed::AllgatherOptions&) override {
    throw ember::Error("ThreadProcessGroup: _allgather_base is not implemented");
  }
  std::shared_ptr<ember::distributed::Work> reduce_scatter(std::vector<ember::Tensor>&,
                                                           std::vector<std::vector<ember::Tensor>>&,
                                                           const ember::distributed::ReduceScatterOptions&) override {
    throw ember::Error("ThreadProcessGroup: reduce_scatter is not implemented");
  }
  std::shared_ptr<ember::distributed::Work> _reduce_scatter_base(
      ember::Tensor&, ember::Tensor&, const ember::distributed::ReduceScatterOptions&) override {
    throw ember::Error("ThreadProcessGroup: _reduce_scatter_base is not implemented");
  }
  std::shared_ptr<ember::distributed::Work> send(std::vector<ember::Tensor>&, int, int) override {
    throw ember::Error("ThreadProcessGroup: send is not implemented");
  }
  std::shared_ptr<ember::distributed::Work> recv(std::vector<ember::Tensor>&, int, int) override {
    throw ember::Error("ThreadProcessGroup: recv is not implemented");
  }

 private:
  std::shared_ptr<ThreadWorld> world_;
  int64_t seq_ = 0;
};

/// Runs body(group) on `world` threads, one per rank; rethrows the first rank's exception (after
/// all threads ended). Returns each rank's result.
template <typename R>
std::vector<R> run_ranks(int world, const std::function<R(const std::shared_ptr<ThreadProcessGroup>&)>& body) {
  auto shared = std::make_shared<ThreadWorld>(world);
  std::vector<R> results(world);
  std::vector<std::exception_ptr> errors(world);
  std::vector<std::thread> threads;
  for (int r = 0; r < world; ++r)
    threads.emplace_back([&, r] {
      try {
        results[r] = body(std::make_shared<ThreadProcessGroup>(shared, r));
      } catch (...) {
        errors[r] = std::current_exception();
      }
    });
  for (auto& t : threads) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
  return results;
}

}  // namespace ember_test
