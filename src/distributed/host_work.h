#pragma once
// What both backends' Work share: the completion state (done, error) under a lock, host waits
// on it with or without a timeout, the outputs, and how a duration reads in messages.
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "../check.h"
#include "ember/distributed.h"

namespace ember {
namespace distributed {

/// "2.5 s": durations in timeout messages.
inline std::string seconds(std::chrono::milliseconds t) {
  std::ostringstream os;
  os << double(t.count()) / 1000.0 << " s";
  return os.str();
}

class HostWork : public Work {
 public:
  HostWork(std::string what, std::vector<Tensor> outputs) : what_(std::move(what)), outputs_(std::move(outputs)) {}

  bool isCompleted() override {
    std::lock_guard<std::mutex> g(m_);
    return done_;
  }
  bool isSuccess() const override {
    std::lock_guard<std::mutex> g(m_);
    return done_ && !error_;
  }
  std::exception_ptr exception() const override {
    std::lock_guard<std::mutex> g(m_);
    return error_;
  }
  std::vector<Tensor> result() override { return outputs_; }
  const std::string& what() const { return what_; }

  /// Marks the operation finished (error null on success) and wakes the waiters.
  void finish(std::exception_ptr error) {
    {
      std::lock_guard<std::mutex> g(m_);
      done_ = true;
      error_ = error;
      on_finish();
    }
    cv_.notify_all();
  }

 protected:
  /// Runs under the lock as the operation finishes (NCCL drops the tensors it kept alive).
  virtual void on_finish() {}
  /// Waits on the host until the operation finished (kUnsetTimeout: for as long as it takes, the
  /// group's own deadline ends every operation) or `timeout` passed, then rethrows its error.
  void wait_host(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> g(m_);
    if (timeout == kUnsetTimeout) {
      cv_.wait(g, [&] { return done_; });
    } else {
      EMBER_CHECK(cv_.wait_for(g, timeout, [&] { return done_; }), "Work::wait: ", what_, " did not finish within ",
                  seconds(timeout), " (it keeps running; the group's own timeout ends it)");
    }
    if (error_) std::rethrow_exception(error_);
  }
  /// Rethrows the error if the operation has failed (no wait).
  void rethrow_if_failed() {
    std::lock_guard<std::mutex> g(m_);
    if (error_) std::rethrow_exception(error_);
  }

 private:
  const std::string what_;
  const std::vector<Tensor> outputs_;
  mutable std::mutex m_;
  std::condition_variable cv_;
  bool done_ = false;
  std::exception_ptr error_;
};

}  // namespace distributed
}  // namespace ember
