// TensorLoader: batches of in-memory tensors. Unshuffled batches are narrow() views (no copy);
// shuffled ones are index_select gathers with an index tensor copied to the data's device once
// per epoch. The shuffle has its own generator (mt19937_64, whose output the C++ standard
// fixes, with our own bounded draw, since std::uniform_int_distribution differs between
// standard libraries), so an epoch's order depends on (seed, epoch) alone.
#include "ember/data/tensor_loader.h"

#include "ops/index.h"

#include <random>
#include <vector>

#include "tensor_impl.h"

namespace ember {
namespace data {

struct TensorLoader::Iterator::Epoch {
  Tensor order_x;  // undefined when not shuffling
  Tensor order_y;  // the same indices on y's device (when it differs from x's)
};

namespace {

// splitmix64's finaliser: spreads nearby (seed, epoch) pairs over unrelated generator states.
uint64_t mix(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A uniform draw in [0, n) without modulo bias (rejects the top partial range).
uint64_t below(std::mt19937_64& rng, uint64_t n) {
  const uint64_t threshold = (0 - n) % n;  // 2^64 mod n
  for (;;) {
    const uint64_t r = rng();
    if (r >= threshold) return r % n;
  }
}

}  // namespace

TensorLoader::TensorLoader(Tensor x, Tensor y, TensorLoaderOptions options)
    : x_(std::move(x)), y_(std::move(y)), options_(std::move(options)) {
  EMBER_CHECK(x_.defined(), "TensorLoader: x is an undefined tensor");
  EMBER_CHECK(x_.dim() >= 1, "TensorLoader: x must have a batch dimension, got ", describe(x_));
  const int64_t n = x_.size(0);
  EMBER_CHECK(!y_.defined() || (y_.dim() >= 1 && y_.size(0) == n), "TensorLoader: x ", describe(x_), " and y ",
              describe(y_), " must hold the same number of examples (dim 0)");
  EMBER_CHECK(options_.batch_size() > 0, "TensorLoader: batch_size must be positive, got ", options_.batch_size());
  end_ = options_.end().value_or(n);
  EMBER_CHECK(options_.start() >= 0 && options_.start() <= end_ && end_ <= n, "TensorLoader: the index range [",
              options_.start(), ", ", end_, ") must satisfy 0 <= start <= end <= ", n, " (the examples in x ",
              describe(x_), ")");
}

size_t TensorLoader::size() const {
  const int64_t n = num_examples(), bs = options_.batch_size();
  return size_t(options_.drop_last() ? n / bs : (n + bs - 1) / bs);
}

void TensorLoader::set_epoch(int64_t epoch) {
  EMBER_CHECK(epoch >= 0, "TensorLoader::set_epoch: epoch must be >= 0, got ", epoch);
  next_epoch_ = epoch;
}

Tensor TensorLoader::order(int64_t epoch) const {
  const int64_t start = options_.start(), n = num_examples();
  std::vector<int64_t> idx(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) idx[size_t(i)] = start + i;
  if (options_.shuffle()) {
    std::mt19937_64 rng(mix(mix(options_.seed()) ^ uint64_t(epoch)));
    for (int64_t i = n - 1; i > 0; --i) std::swap(idx[size_t(i)], idx[size_t(below(rng, uint64_t(i) + 1))]);
  }
  if (n == 0) return empty({0}, kLong);
  return from_blob(idx.data(), {n}, kLong).clone();
}

TensorLoader::Iterator TensorLoader::begin() {
  auto epoch = std::make_shared<Iterator::Epoch>();
  if (options_.shuffle()) {
    Tensor order_cpu = order(next_epoch_);
    epoch->order_x = order_cpu.to(x_.device());
    if (y_.defined()) epoch->order_y = y_.device() == x_.device() ? epoch->order_x : order_cpu.to(y_.device());
  }
  ++next_epoch_;
  return Iterator(this, std::move(epoch), 0);
}

TensorLoader::Iterator TensorLoader::end() const { return Iterator(this, nullptr, int64_t(size())); }

Batch TensorLoader::load(const Iterator::Epoch& epoch, int64_t batch) const {
  const int64_t bs = options_.batch_size();
  const int64_t first = batch * bs;  // position in the epoch's order
  const int64_t len = std::min(bs, num_examples() - first);
  Batch b;
  if (epoch.order_x.defined()) {
    // The order is a permutation of [start, end) built here, so its range check (a GPU wait for
    // device data) is skipped.
    b.x = detail::index_select(x_, 0, epoch.order_x.narrow(0, first, len), /*check_range=*/false);
    if (y_.defined()) b.y = detail::index_select(y_, 0, epoch.order_y.narrow(0, first, len), false);
  } else {
    b.x = x_.narrow(0, options_.start() + first, len);
    if (y_.defined()) b.y = y_.narrow(0, options_.start() + first, len);
  }
  return b;
}

Batch& TensorLoader::Iterator::operator*() {
  EMBER_CHECK(loader_ != nullptr && epoch_ != nullptr && batch_ < int64_t(loader_->size()),
              "TensorLoader::Iterator: dereferencing an end (or default-constructed) iterator");
  if (loaded_ != batch_) {
    current_ = loader_->load(*epoch_, batch_);
    loaded_ = batch_;
  }
  return current_;
}

TensorLoader::Iterator& TensorLoader::Iterator::operator++() {
  ++batch_;
  current_ = Batch();  // release the previous batch's memory before the next is gathered
  return *this;
}

}  // namespace data
}  // namespace ember
