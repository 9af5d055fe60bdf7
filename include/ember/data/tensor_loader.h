#pragma once
// TensorLoader: ember's own mini-batches over in-memory tensors (x, y), on whatever device they
// live (LibTorch's DataLoader over datasets and samplers is make_data_loader, in dataloader.h).
//
//   data::TensorLoader loader(split.train, data::TensorLoaderOptions(64).shuffle(true).seed(0));
//   for (int epoch = 0; epoch < 10; ++epoch)
//     for (auto& batch : loader) { ... batch.x ... batch.y ... }
//
// Shuffling uses the loader's own generator, seeded by options.seed(): the order of epoch e is
// a function of (seed, e) alone, unaffected by ember::manual_seed or other random ops, and the
// same on every platform. Each begin() starts the next epoch (0, 1, 2, ...); set_epoch(e) makes
// the next begin() iterate epoch e (to resume a run, as PyTorch's DistributedSampler.set_epoch).
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>

#include "ember/arg.h"  // EMBER_ARG
#include "ember/data/labeled_images.h"

namespace ember {
namespace data {

/// One mini-batch: batch-size rows of x and the matching labels.
struct Batch {
  Tensor x;
  Tensor y;
  int64_t size() const { return x.defined() ? x.size(0) : 0; }
};

/// TensorLoaderOptions(64).shuffle(true).seed(1).drop_last(true).start(0).end(49000).
struct TensorLoaderOptions {
  TensorLoaderOptions(int64_t batch_size = 1) : batch_size_(batch_size) {}  // NOLINT (implicit, as LibTorch)
  EMBER_ARG(int64_t, batch_size);
  /// Visit the examples in a new random order each epoch (else in index order).
  EMBER_ARG(bool, shuffle) = false;
  /// Seeds the shuffle: same seed, same sequence of epoch orders.
  EMBER_ARG(uint64_t, seed) = 0;
  /// Drop the last batch when it is smaller than batch_size.
  EMBER_ARG(bool, drop_last) = false;
  /// Only examples [start, end) of the tensors (end defaults to all of them): the tutorial's
  /// 0..49000 / 49000..50000 split over one tensor.
  EMBER_ARG(int64_t, start) = 0;
  EMBER_ARG(std::optional<int64_t>, end);
};

class EMBER_API TensorLoader {
 public:
  /// x: N x ... examples; y: N labels, or undefined for unlabelled data (batch.y undefined).
  /// Both stay where they are; batches are views or gathers on their devices.
  TensorLoader(Tensor x, Tensor y, TensorLoaderOptions options);
  TensorLoader(const LabeledImages& data, TensorLoaderOptions options)
      : TensorLoader(data.x, data.y, std::move(options)) {}

  class EMBER_API Iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Batch;
    using difference_type = std::ptrdiff_t;
    using pointer = Batch*;
    using reference = Batch&;

    Iterator() = default;
    Batch& operator*();
    Batch* operator->() { return &**this; }
    Iterator& operator++();
    bool operator==(const Iterator& o) const { return batch_ == o.batch_; }
    bool operator!=(const Iterator& o) const { return batch_ != o.batch_; }

   private:
    friend class TensorLoader;
    struct Epoch;  // the epoch's order (index tensors on the data's devices)
    Iterator(const TensorLoader* loader, std::shared_ptr<const Epoch> epoch, int64_t batch)
        : loader_(loader), epoch_(std::move(epoch)), batch_(batch) {}
    const TensorLoader* loader_ = nullptr;
    std::shared_ptr<const Epoch> epoch_;
    int64_t batch_ = 0;
    int64_t loaded_ = -1;  // which batch current_ holds
    Batch current_;
  };

  /// Starts the next epoch (see the file comment) and returns its first batch.
  Iterator begin();
  Iterator end() const;

  /// Batches per epoch: ceil(n / batch_size), or floor with drop_last.
  size_t size() const;
  /// Examples per epoch before drop_last: end - start.
  int64_t num_examples() const { return end_ - options_.start(); }
  /// The next begin() iterates epoch e.
  void set_epoch(int64_t epoch);
  /// The epoch the last begin() started (-1 before the first).
  int64_t epoch() const { return next_epoch_ - 1; }
  /// The example indices of epoch e, in visiting order (int64, on the CPU), for inspection.
  Tensor order(int64_t epoch) const;
  const TensorLoaderOptions& options() const { return options_; }

 private:
  Batch load(const Iterator::Epoch& epoch, int64_t batch) const;
  Tensor x_, y_;
  TensorLoaderOptions options_;
  int64_t end_ = 0;
  int64_t next_epoch_ = 0;
};

}  // namespace data
}  // namespace ember
