#pragma once
// data::Iterator<Batch>: the input iterator of a DataLoader, as LibTorch's. begin() yields a
// valid iterator that pulls batches from a producer on demand (the first one lazily, at the
// first dereference or comparison); end() yields a sentinel. A valid iterator equals end()
// once its producer is exhausted.
#include <cstddef>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>

#include "ember/error.h"

namespace ember {
namespace data {

template <typename Batch>
class Iterator {
 public:
  using difference_type = std::ptrdiff_t;
  using value_type = Batch;
  using pointer = Batch*;
  using reference = Batch&;
  using iterator_category = std::input_iterator_tag;
  using BatchProducer = std::function<std::optional<Batch>()>;

  /// The sentinel (end()).
  Iterator() : state_(std::make_shared<State>()) {}
  /// A valid iterator over what `next_batch` produces.
  explicit Iterator(BatchProducer next_batch) : state_(std::make_shared<State>()) {
    state_->next_batch = std::move(next_batch);
  }

  Iterator& operator++() {
    EMBER_CHECK(!is_sentinel(), "Incrementing the DataLoader's past-the-end iterator is not allowed");
    state_->fill();
    EMBER_CHECK(state_->batch.has_value(), "Attempted to increment iterator past the end");
    state_->batch = state_->next_batch();
    return *this;
  }
  Batch& operator*() {
    EMBER_CHECK(!is_sentinel(), "Dereferencing the DataLoader's past-the-end iterator is not allowed");
    state_->fill();
    EMBER_CHECK(state_->batch.has_value(), "Attempted to dereference iterator that was past the end");
    return *state_->batch;
  }
  Batch* operator->() { return &**this; }

  /// Two sentinels are equal; a valid iterator equals a sentinel when exhausted, and another
  /// valid iterator only when they are copies of each other.
  bool operator==(const Iterator& other) const {
    if (is_sentinel() && other.is_sentinel()) return true;
    if (is_sentinel()) return other.exhausted();
    if (other.is_sentinel()) return exhausted();
    return state_ == other.state_;
  }
  bool operator!=(const Iterator& other) const { return !(*this == other); }

 private:
  struct State {
    BatchProducer next_batch;  // empty for the sentinel
    std::optional<Batch> batch;
    bool initialized = false;
    void fill() {
      if (!initialized) {
        batch = next_batch();
        initialized = true;
      }
    }
  };
  bool is_sentinel() const { return !state_->next_batch; }
  bool exhausted() const {
    state_->fill();
    return !state_->batch.has_value();
  }
  std::shared_ptr<State> state_;  // shared by copies, as LibTorch's iterator shares its impl
};

}  // namespace data
}  // namespace ember
