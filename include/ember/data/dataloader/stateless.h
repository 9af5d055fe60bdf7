#pragma once
// StatelessDataLoader: batches of a dataset indexed by a sampler, as LibTorch's. Each worker
// thread holds its own copy of the dataset (so get() needs no locking); the main thread asks
// the sampler for each batch's indices.
#include <memory>
#include <utility>

#include "ember/data/dataloader/base.h"

namespace ember {
namespace data {

template <typename Dataset, typename Sampler>
class StatelessDataLoader
    : public DataLoaderBase<Dataset, typename Dataset::BatchType, typename Sampler::BatchRequestType> {
 public:
  using super = DataLoaderBase<Dataset, typename Dataset::BatchType, typename Sampler::BatchRequestType>;
  using typename super::BatchRequestType;

  StatelessDataLoader(Dataset dataset, Sampler sampler, DataLoaderOptions options)
      : super(std::move(options)), sampler_(std::move(sampler)) {
    for (size_t w = 0; w < this->options_.workers; ++w)
      this->workers_.emplace_back([this, dataset]() mutable { this->worker_thread(dataset); });
    if (this->options_.workers == 0) this->main_thread_dataset_ = std::make_unique<Dataset>(std::move(dataset));
  }
  ~StatelessDataLoader() override { this->join(); }  // before sampler_ goes

 private:
  void reset() override {
    sampler_.reset(std::nullopt);
    super::reset();
  }
  std::optional<BatchRequestType> get_batch_request() override {
    auto indices = sampler_.next(this->options_.batch_size);
    if (!indices || (indices->size() < this->options_.batch_size && this->options_.drop_last)) return std::nullopt;
    EMBER_ASSERT(indices->size() > 0, "the sampler returned an empty batch request");
    return indices;
  }

  Sampler sampler_;
};

}  // namespace data
}  // namespace ember
