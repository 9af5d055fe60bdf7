#pragma once
// DataLoaderOptions: how make_data_loader batches and prefetches, as LibTorch's
// torch::data::DataLoaderOptions (the in-memory tensor loader has TensorLoaderOptions).
#include <chrono>
#include <cstddef>
#include <optional>

#include "ember/arg.h"

namespace ember {
namespace data {

struct DataLoaderOptions {
  DataLoaderOptions() = default;
  DataLoaderOptions(size_t batch_size) : batch_size_(batch_size) {}  // NOLINT (implicit, as LibTorch)

  /// Examples per batch.
  EMBER_ARG(size_t, batch_size) = 1;
  /// Worker threads that load batches ahead; 0 loads each batch in the main thread on demand.
  EMBER_ARG(size_t, workers) = 0;
  /// Batches requested ahead of the one being consumed (default 2 * workers).
  EMBER_ARG(std::optional<size_t>, max_jobs);
  /// How long the main thread waits for a worker's batch before throwing.
  EMBER_ARG(std::optional<std::chrono::milliseconds>, timeout);
  /// Hand out batches in sampler order even when a later one is ready first.
  EMBER_ARG(bool, enforce_ordering) = true;
  /// Omit the last batch when it holds fewer than batch_size examples.
  EMBER_ARG(bool, drop_last) = false;
};

/// DataLoaderOptions with the defaults that depend on other options resolved.
struct FullDataLoaderOptions {
  explicit FullDataLoaderOptions(DataLoaderOptions options)
      : batch_size(options.batch_size()),
        workers(options.workers()),
        max_jobs(options.max_jobs().value_or(2 * workers)),
        timeout(options.timeout()),
        enforce_ordering(options.enforce_ordering()),
        drop_last(options.drop_last()) {}

  size_t batch_size;
  size_t workers;
  size_t max_jobs;
  std::optional<std::chrono::milliseconds> timeout;
  bool enforce_ordering;
  bool drop_last;
};

}  // namespace data
}  // namespace ember
