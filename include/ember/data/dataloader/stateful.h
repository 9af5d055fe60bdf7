#pragma once
// StatefulDataLoader: batches of a stateful dataset, as LibTorch's. There is no sampler: every
// request is batch_size, and the epoch ends when the dataset returns nullopt. Workers share the
// one dataset, so its get_batch must be thread-safe when workers > 0.
#include <memory>
#include <utility>

#include "ember/data/dataloader/base.h"

namespace ember {
namespace data {

template <typename Dataset>
class StatefulDataLoader
    : public DataLoaderBase<Dataset, typename Dataset::BatchType::value_type, typename Dataset::BatchRequestType> {
 public:
  using super = DataLoaderBase<Dataset, typename Dataset::BatchType::value_type, typename Dataset::BatchRequestType>;
  using typename super::BatchRequestType;

  StatefulDataLoader(Dataset dataset, DataLoaderOptions options)
      : super(std::move(options), std::make_unique<Dataset>(std::move(dataset))) {
    for (size_t w = 0; w < this->options_.workers; ++w)
      this->workers_.emplace_back([this] { this->worker_thread(*this->main_thread_dataset_); });
  }

 private:
  void reset() override {
    this->shuttle_.drain();  // no worker may be inside get_batch while the dataset resets
    this->main_thread_dataset_->reset();
    super::reset();
  }
  std::optional<BatchRequestType> get_batch_request() override { return BatchRequestType(this->options_.batch_size); }
};

}  // namespace data
}  // namespace ember
