// The samplers of torch::data::samplers, with LibTorch's orders: sequential, randperm from the
// default generator, and the distributed samplers' std::mt19937(epoch) shuffle of a shared list;
// their state in LibTorch's archive keys.
#include <algorithm>
#include <numeric>
#include <random>

#include "../check.h"
#include "ember/data/samplers/distributed.h"
#include "ember/data/samplers/random.h"
#include "ember/data/samplers/sequential.h"
#include "ember/data/samplers/stream.h"
#include "ember/error.h"
#include "ember/serialize.h"

namespace ember {
namespace data {
namespace samplers {

namespace {

// LibTorch's keys: each sampler writes its position (and what it needs to redo its order) as
// int64 tensors; load reads them back and rebuilds the rest.
void write_count(serialize::OutputArchive& archive, const char* key, int64_t value) {
  archive.write(key, tensor(value), /*is_buffer=*/true);
}
int64_t read_count(serialize::InputArchive& archive, const char* key) {
  Tensor t;
  archive.read(key, t, /*is_buffer=*/true);
  EMBER_CHECK(t.numel() == 1, "sampler load: '", key, "' holds ", t.numel(), " values, expected one");
  return t.to(kLong).reshape({}).item<int64_t>();
}
size_t read_position(serialize::InputArchive& archive, const char* key, size_t limit, const char* sampler) {
  const int64_t v = read_count(archive, key);
  EMBER_CHECK(v >= 0 && size_t(v) <= limit, sampler, "::load: '", key, "' is ", v, ", outside this sampler's [0, ",
              limit, "]");
  return size_t(v);
}

}  // namespace

// --- SequentialSampler -------------------------------------------------------------------------

SequentialSampler::SequentialSampler(size_t size) : size_(size) {}

void SequentialSampler::reset(std::optional<size_t> new_size) {
  if (new_size) size_ = *new_size;
  index_ = 0;
}

std::optional<std::vector<size_t>> SequentialSampler::next(size_t batch_size) {
  const size_t end = std::min(index_ + batch_size, size_);
  if (end == index_) return std::nullopt;
  std::vector<size_t> batch(end - index_);
  std::iota(batch.begin(), batch.end(), index_);
  index_ = end;
  return batch;
}

void SequentialSampler::save(serialize::OutputArchive& archive) const {
  write_count(archive, "index", int64_t(index_));
}
void SequentialSampler::load(serialize::InputArchive& archive) {
  index_ = read_position(archive, "index", size_, "SequentialSampler");
}

// --- RandomSampler -----------------------------------------------------------------------------

RandomSampler::RandomSampler(int64_t size, ScalarType index_dtype) {
  EMBER_CHECK(size >= 0, "RandomSampler: size must be non-negative, got ", size);
  indices_ = randperm(size, index_dtype);
}

void RandomSampler::reset(std::optional<size_t> new_size) {
  const int64_t size = new_size ? int64_t(*new_size) : indices_.size(0);
  indices_ = randperm(size, indices_.scalar_type());
  index_ = 0;
}

std::optional<std::vector<size_t>> RandomSampler::next(size_t batch_size) {
  const int64_t remaining = indices_.size(0) - index_;
  if (remaining == 0) return std::nullopt;
  const int64_t n = std::min<int64_t>(remaining, int64_t(batch_size));
  const Tensor slice = indices_.slice(0, index_, index_ + n).to(kLong).contiguous();
  const int64_t* p = slice.data_ptr<int64_t>();
  std::vector<size_t> batch(p, p + n);
  index_ += n;
  return batch;
}

void RandomSampler::save(serialize::OutputArchive& archive) const {
  write_count(archive, "index", index_);
  archive.write("indexes", indices_, /*is_buffer=*/true);
}
void RandomSampler::load(serialize::InputArchive& archive) {
  Tensor indexes;
  archive.read("indexes", indexes, /*is_buffer=*/true);
  EMBER_CHECK(indexes.dim() == 1 && !indexes.is_floating_point(), "RandomSampler::load: 'indexes' is ",
              describe(indexes), ", expected a 1-D integer tensor");
  indices_ = indexes.to(indices_.scalar_type()).contiguous();
  index_ = int64_t(read_position(archive, "index", size_t(indices_.size(0)), "RandomSampler"));
}

// --- DistributedRandomSampler ------------------------------------------------------------------

// The shared list: 0..size-1, extended by wrapping to num_replicas equal shares when duplicates
// are allowed; this rank's share is [begin_index_, end_index_).
void DistributedRandomSampler::populate_indices() {
  const size_t local = local_sample_count();
  const size_t count = num_replicas_ == 1 ? size_ : local * num_replicas_;
  all_indices_.resize(count);
  std::iota(all_indices_.begin(), all_indices_.end(), size_t(0));
  for (size_t i = size_; i < count; ++i) all_indices_[i] = i - size_;
  begin_index_ = rank_ * local;
  end_index_ = begin_index_ + local;
  sample_index_ = begin_index_;
}

DistributedRandomSampler::DistributedRandomSampler(size_t size, size_t num_replicas, size_t rank, bool allow_duplicates)
    : DistributedSampler(size, num_replicas, rank, allow_duplicates) {
  reset(size_);
}

void DistributedRandomSampler::reset(std::optional<size_t> new_size) {
  size_ = new_size.value_or(size_);
  populate_indices();
  std::mt19937 rng(static_cast<std::mt19937::result_type>(epoch_));
  std::shuffle(all_indices_.begin(), all_indices_.end(), rng);
  sample_index_ = begin_index_;
}

std::optional<std::vector<size_t>> DistributedRandomSampler::next(size_t batch_size) {
  if (sample_index_ == end_index_) return std::nullopt;
  const size_t end = std::min(sample_index_ + batch_size, end_index_);
  std::vector<size_t> batch(all_indices_.begin() + std::ptrdiff_t(sample_index_),
                            all_indices_.begin() + std::ptrdiff_t(end));
  sample_index_ = end;
  return batch;
}

void DistributedRandomSampler::save(serialize::OutputArchive& archive) const {
  write_count(archive, "sample_index_", int64_t(sample_index_));
  write_count(archive, "epoch_", int64_t(epoch_));
}
void DistributedRandomSampler::load(serialize::InputArchive& archive) {
  const int64_t epoch = read_count(archive, "epoch_");
  EMBER_CHECK(epoch >= 0, "DistributedRandomSampler::load: 'epoch_' is ", epoch, ", expected a non-negative epoch");
  epoch_ = size_t(epoch);
  reset(size_);  // the epoch's order, redrawn from the epoch
  sample_index_ = read_position(archive, "sample_index_", end_index_, "DistributedRandomSampler");
  EMBER_CHECK(sample_index_ >= begin_index_, "DistributedRandomSampler::load: 'sample_index_' is ", sample_index_,
              ", before this rank's share [", begin_index_, ", ", end_index_, ")");
}

// --- DistributedSequentialSampler --------------------------------------------------------------

void DistributedSequentialSampler::populate_indices() {
  begin_index_ = rank_ * local_sample_count();
  end_index_ = begin_index_ + local_sample_count();
  sample_index_ = begin_index_;
}

DistributedSequentialSampler::DistributedSequentialSampler(size_t size, size_t num_replicas, size_t rank,
                                                           bool allow_duplicates)
    : DistributedSampler(size, num_replicas, rank, allow_duplicates) {
  populate_indices();
}

void DistributedSequentialSampler::reset(std::optional<size_t> new_size) {
  if (new_size && *new_size != size_) {
    size_ = *new_size;
    populate_indices();
  } else {
    sample_index_ = begin_index_;
  }
}

std::optional<std::vector<size_t>> DistributedSequentialSampler::next(size_t batch_size) {
  if (sample_index_ == end_index_) return std::nullopt;
  const size_t end = std::min(sample_index_ + batch_size, end_index_);
  std::vector<size_t> batch(end - sample_index_);
  std::iota(batch.begin(), batch.end(), sample_index_);
  // Positions past the examples wrap to the start (the duplicates that even out the shares).
  if (end > size_)
    for (size_t& index : batch) index %= size_;
  sample_index_ = end;
  return batch;
}

void DistributedSequentialSampler::save(serialize::OutputArchive& archive) const {
  write_count(archive, "sample_index_", int64_t(sample_index_));
}
void DistributedSequentialSampler::load(serialize::InputArchive& archive) {
  sample_index_ = read_position(archive, "sample_index_", end_index_, "DistributedSequentialSampler");
  EMBER_CHECK(sample_index_ >= begin_index_, "DistributedSequentialSampler::load: 'sample_index_' is ", sample_index_,
              ", before this rank's share [", begin_index_, ", ", end_index_, ")");
}

// --- StreamSampler -----------------------------------------------------------------------------

void StreamSampler::reset(std::optional<size_t> new_size) {
  if (new_size) epoch_size_ = *new_size;
  examples_retrieved_so_far_ = 0;
}

std::optional<BatchSize> StreamSampler::next(size_t batch_size) {
  if (examples_retrieved_so_far_ == epoch_size_) return std::nullopt;
  batch_size = std::min(batch_size, epoch_size_ - examples_retrieved_so_far_);
  examples_retrieved_so_far_ += batch_size;
  return BatchSize(batch_size);
}

void StreamSampler::save(serialize::OutputArchive& archive) const {
  write_count(archive, "examples_retrieved_so_far", int64_t(examples_retrieved_so_far_));
}
void StreamSampler::load(serialize::InputArchive& archive) {
  examples_retrieved_so_far_ = read_position(archive, "examples_retrieved_so_far", epoch_size_, "StreamSampler");
}

}  // namespace samplers
}  // namespace data
}  // namespace ember
