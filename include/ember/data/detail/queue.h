#pragma once
// The queues between a DataLoader and its worker threads, as LibTorch's detail::Queue and
// detail::DataShuttle: jobs (batch requests) go to the workers, results (batches or the
// exceptions that replaced them) come back; the shuttle counts the jobs still in flight so the
// loader knows when an epoch is done and can drain it before a new one or at destruction.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <optional>
#include <queue>

#include "ember/error.h"

namespace ember {
namespace data {
namespace detail {

template <typename T>
class Queue {
 public:
  void push(T value) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.push(std::move(value));
    }
    cv_.notify_one();
  }
  /// Waits for a value; throws after `timeout` without one.
  T pop(std::optional<std::chrono::milliseconds> timeout = std::nullopt) {
    std::unique_lock<std::mutex> lock(mutex_);
    const auto ready = [this] { return !queue_.empty(); };
    if (timeout) {
      EMBER_CHECK(cv_.wait_for(lock, *timeout, ready),
                  "Timeout in DataLoader queue while waiting for next batch (timeout was ", timeout->count(), " ms)");
    } else {
      cv_.wait(lock, ready);
    }
    T value = std::move(queue_.front());
    queue_.pop();
    return value;
  }
  /// Discards every queued value; returns how many there were.
  size_t clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    const size_t n = queue_.size();
    queue_ = std::queue<T>();
    return n;
  }

 private:
  std::queue<T> queue_;
  std::mutex mutex_;
  std::condition_variable cv_;
};

template <typename Job, typename Result>
class DataShuttle {
 public:
  void push_job(Job job) {
    jobs_.push(std::move(job));
    ++in_flight_jobs_;
  }
  void push_result(Result result) { results_.push(std::move(result)); }
  Job pop_job() { return jobs_.pop(); }
  /// The next result, or nullopt when no job is in flight.
  std::optional<Result> pop_result(std::optional<std::chrono::milliseconds> timeout = std::nullopt) {
    if (in_flight_jobs_ == 0) return std::nullopt;
    Result result = results_.pop(timeout);
    --in_flight_jobs_;
    return result;
  }
  /// Cancels the queued jobs and waits for (and drops) the results of those already taken.
  void drain() {
    in_flight_jobs_ -= jobs_.clear();
    while (in_flight_jobs_ > 0) pop_result();
  }
  size_t in_flight_jobs() const noexcept { return in_flight_jobs_; }

 private:
  Queue<Job> jobs_;
  size_t in_flight_jobs_ = 0;  // touched by the main thread only
  Queue<Result> results_;
};

}  // namespace detail
}  // namespace data
}  // namespace ember
