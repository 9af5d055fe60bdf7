#pragma once
// Samplers for data-parallel training, as LibTorch's: each of num_replicas processes (rank
// 0..num_replicas-1) sees its own contiguous share of the epoch's index list. With
// allow_duplicates every rank gets ceil(size / num_replicas) indices (the list wraps around to
// its start to fill the last shares); without, floor(size / num_replicas) and the tail is
// never sampled. DistributedRandomSampler shuffles the list with std::mt19937 seeded by the
// epoch (set_epoch), so all ranks agree on it without communicating.
#include <cstddef>

#include "ember/data/samplers/base.h"
#include "ember/error.h"

namespace ember {
namespace data {
namespace samplers {

template <typename BatchRequest = std::vector<size_t>>
class DistributedSampler : public Sampler<BatchRequest> {
 public:
  DistributedSampler(size_t size, size_t num_replicas = 1, size_t rank = 0, bool allow_duplicates = true)
      : size_(size), num_replicas_(num_replicas), rank_(rank), epoch_(0), allow_duplicates_(allow_duplicates) {
    EMBER_CHECK(num_replicas > 0, "DistributedSampler: num_replicas must be positive, got ", num_replicas);
    EMBER_CHECK(rank < num_replicas, "DistributedSampler: rank ", rank, " must be less than num_replicas (",
                num_replicas, ")");
  }

  /// The epoch whose order the next reset() draws.
  void set_epoch(size_t epoch) { epoch_ = epoch; }
  size_t epoch() const { return epoch_; }

 protected:
  size_t local_sample_count() const {
    return allow_duplicates_ ? (size_ + num_replicas_ - 1) / num_replicas_ : size_ / num_replicas_;
  }

  size_t size_;
  size_t num_replicas_;
  size_t rank_;
  size_t epoch_;
  bool allow_duplicates_;
};

class EMBER_API DistributedRandomSampler : public DistributedSampler<> {
 public:
  DistributedRandomSampler(size_t size, size_t num_replicas = 1, size_t rank = 0, bool allow_duplicates = true);
  void reset(std::optional<size_t> new_size = std::nullopt) override;
  std::optional<std::vector<size_t>> next(size_t batch_size) override;
  void save(serialize::OutputArchive& archive) const override;
  void load(serialize::InputArchive& archive) override;
  /// The position in the shared index list of this rank's next index.
  size_t index() const noexcept { return sample_index_; }

 private:
  void populate_indices();
  size_t begin_index_ = 0;
  size_t end_index_ = 0;
  size_t sample_index_ = 0;
  std::vector<size_t> all_indices_;
};

class EMBER_API DistributedSequentialSampler : public DistributedSampler<> {
 public:
  DistributedSequentialSampler(size_t size, size_t num_replicas = 1, size_t rank = 0, bool allow_duplicates = true);
  void reset(std::optional<size_t> new_size = std::nullopt) override;
  std::optional<std::vector<size_t>> next(size_t batch_size) override;
  void save(serialize::OutputArchive& archive) const override;
  void load(serialize::InputArchive& archive) override;
  /// The position in the index list of this rank's next index.
  size_t index() const noexcept { return sample_index_; }

 private:
  void populate_indices();
  size_t begin_index_ = 0;
  size_t end_index_ = 0;
  size_t sample_index_ = 0;
};

}  // namespace samplers
}  // namespace data
}  // namespace ember
