#pragma once
// DataLoaderBase: the machinery shared by StatelessDataLoader and StatefulDataLoader, as
// LibTorch's. With workers = 0, each batch is loaded in the main thread when the iterator asks
// for it. With workers > 0, the loader keeps up to max_jobs batch requests queued ahead; worker
// threads turn them into batches while the main thread trains on earlier ones. A result that
// carries an exception is rethrown in the main thread as WorkerException. begin() drains what
// a previous epoch left in flight and starts a new one; the destructor drains, tells each
// worker to quit and joins it, so destroying a loader mid-epoch never leaves a thread behind
// (it waits for the batches workers are in the middle of loading).
#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "ember/data/dataloader_options.h"
#include "ember/data/detail/queue.h"
#include "ember/data/detail/sequencers.h"
#include "ember/data/iterator.h"
#include "ember/data/worker_exception.h"
#include "ember/error.h"

namespace ember {
namespace data {

template <typename Dataset, typename Batch, typename BatchRequest>
class DataLoaderBase {
 public:
  using BatchType = Batch;
  using BatchRequestType = BatchRequest;

  DataLoaderBase(DataLoaderOptions options, std::unique_ptr<Dataset> main_thread_dataset = nullptr)
      : options_(check(std::move(options))),
        main_thread_dataset_(std::move(main_thread_dataset)),
        sequencer_(new_sequencer()) {}
  DataLoaderBase(const DataLoaderBase&) = delete;
  DataLoaderBase& operator=(const DataLoaderBase&) = delete;
  virtual ~DataLoaderBase() { join(); }

  /// Starts an epoch. Only one iterator may be live: a new one is refused while the last one
  /// still has batches in flight (LibTorch's rule).
  Iterator<Batch> begin() {
    EMBER_CHECK(shuttle_.in_flight_jobs() == 0,
                "Attempted to get a new DataLoader iterator while another iterator is not yet exhausted");
    reset();
    return Iterator<Batch>([this] { return this->next(); });
  }
  Iterator<Batch> end() { return Iterator<Batch>(); }

  /// Waits for the batches in flight, stops the workers and joins them (the destructor calls it).
  void join() {
    if (joined_) return;
    joined_ = true;
    shuttle_.drain();
    for (size_t w = 0; w < workers_.size(); ++w) push_job(QuitWorker());
    for (auto& worker : workers_) worker.join();
  }

  const FullDataLoaderOptions& options() const noexcept { return options_; }

 protected:
  struct QuitWorker {};
  struct Job {
    std::optional<QuitWorker> quit;
    std::optional<BatchRequest> batch_request;
    size_t sequence_number = 0;
  };
  struct Result {
    std::optional<Batch> batch;  // nullopt (and no exception): a stateful dataset ran dry
    std::exception_ptr exception;
    size_t sequence_number = 0;
  };

  /// The next request of the epoch, or nullopt when it has no more batches.
  virtual std::optional<BatchRequest> get_batch_request() = 0;

  virtual void reset() {
    shuttle_.drain();
    sequence_number_ = 0;
    sequencer_ = new_sequencer();
    prefetch(options_.max_jobs);
  }

  void prefetch(size_t requested_jobs) {
    for (size_t r = 0; r < requested_jobs; ++r) {
      auto request = get_batch_request();
      if (!request) break;
      push_job(std::move(*request));
    }
  }

  std::optional<Batch> next() {
    if (options_.workers > 0) {
      while (std::optional<Result> result = pop_result()) {
        if (result->exception) throw WorkerException(result->exception);
        if (result->batch) {
          prefetch(1);
          return std::move(result->batch);
        }
      }
    } else if (auto request = get_batch_request()) {
      return main_thread_dataset_->get_batch(std::move(*request));
    }
    return std::nullopt;
  }

  /// A worker's loop: load each requested batch until told to quit.
  void worker_thread(Dataset& dataset) {
    for (;;) {
      Job job = shuttle_.pop_job();
      if (job.quit) break;
      Result result;
      result.sequence_number = job.sequence_number;
      try {
        result.batch = dataset.get_batch(std::move(*job.batch_request));
      } catch (...) {
        result.exception = std::current_exception();
      }
      shuttle_.push_result(std::move(result));
    }
  }

  void push_job(QuitWorker quit) {
    Job job;
    job.quit = quit;
    job.sequence_number = sequence_number_++;
    shuttle_.push_job(std::move(job));
  }
  void push_job(BatchRequest request) {
    Job job;
    job.batch_request = std::move(request);
    job.sequence_number = sequence_number_++;
    shuttle_.push_job(std::move(job));
  }

  std::optional<Result> pop_result() {
    return sequencer_->next([this] { return shuttle_.pop_result(options_.timeout); });
  }

  std::unique_ptr<detail::sequencers::Sequencer<Result>> new_sequencer() {
    if (options_.enforce_ordering && options_.workers > 0)
      return std::make_unique<detail::sequencers::OrderedSequencer<Result>>(options_.max_jobs);
    return std::make_unique<detail::sequencers::NoSequencer<Result>>();
  }

  static FullDataLoaderOptions check(DataLoaderOptions options) {
    FullDataLoaderOptions full(std::move(options));
    EMBER_CHECK(full.batch_size > 0, "DataLoader: batch_size must be positive, got 0");
    EMBER_CHECK(full.workers == 0 || full.max_jobs > 0, "DataLoader: max_jobs must be positive when workers (",
                full.workers, ") > 0, got 0");
    return full;
  }

  const FullDataLoaderOptions options_;
  std::unique_ptr<Dataset> main_thread_dataset_;  // workers = 0, or the shared stateful dataset
  size_t sequence_number_ = 0;
  std::vector<std::thread> workers_;
  detail::DataShuttle<Job, Result> shuttle_;
  std::unique_ptr<detail::sequencers::Sequencer<Result>> sequencer_;
  bool joined_ = false;
};

}  // namespace data
}  // namespace ember
