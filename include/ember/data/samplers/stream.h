#pragma once
// StreamSampler: for stream datasets (requests are batch sizes, not indices), as LibTorch's:
// hands out BatchSize requests until epoch_size examples have been asked for.
#include "ember/data/samplers/base.h"

namespace ember {
namespace data {
namespace samplers {

/// The base of batch requests that are not index lists (LibTorch's CustomBatchRequest).
struct EMBER_API CustomBatchRequest {
  virtual ~CustomBatchRequest() = default;
  virtual size_t size() const = 0;
};

/// A request for `size` examples.
struct EMBER_API BatchSize : public CustomBatchRequest {
  explicit BatchSize(size_t size) : size_(size) {}
  size_t size() const noexcept override { return size_; }
  operator size_t() const noexcept { return size_; }  // NOLINT
  size_t size_;
};

class EMBER_API StreamSampler : public Sampler<BatchSize> {
 public:
  explicit StreamSampler(size_t epoch_size) : epoch_size_(epoch_size) {}
  void reset(std::optional<size_t> new_size = std::nullopt) override;
  std::optional<BatchSize> next(size_t batch_size) override;
  void save(serialize::OutputArchive& archive) const override;
  void load(serialize::InputArchive& archive) override;

 private:
  size_t examples_retrieved_so_far_ = 0;
  size_t epoch_size_;
};

}  // namespace samplers
}  // namespace data
}  // namespace ember
