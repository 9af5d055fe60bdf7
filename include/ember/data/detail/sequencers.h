#pragma once
// Sequencers put worker results in order, as LibTorch's: NoSequencer hands them out as they
// arrive; OrderedSequencer (enforce_ordering) buffers results that arrive early, in a ring of
// max_jobs slots (at most max_jobs jobs are in flight, so sequence numbers never collide).
#include <cstddef>
#include <functional>
#include <optional>
#include <vector>

#include "ember/error.h"

namespace ember {
namespace data {
namespace detail {
namespace sequencers {

template <typename Result>
struct Sequencer {
  using ResultProducer = std::function<std::optional<Result>()>;
  virtual ~Sequencer() = default;
  virtual std::optional<Result> next(ResultProducer next_result) = 0;
};

template <typename Result>
struct NoSequencer final : public Sequencer<Result> {
  using typename Sequencer<Result>::ResultProducer;
  std::optional<Result> next(ResultProducer next_result) override { return next_result(); }
};

template <typename Result>
struct OrderedSequencer : public Sequencer<Result> {
  using typename Sequencer<Result>::ResultProducer;
  explicit OrderedSequencer(size_t max_jobs) : buffer_(max_jobs) {}

  std::optional<Result> next(ResultProducer next_result) override {
    if (auto& early = slot(next_sequence_number_)) {
      std::optional<Result> result = std::move(early);
      early.reset();
      ++next_sequence_number_;
      return result;
    }
    while (auto result = next_result()) {
      if (result->sequence_number == next_sequence_number_) {
        ++next_sequence_number_;
        return result;
      }
      auto& later = slot(result->sequence_number);
      EMBER_ASSERT(!later.has_value(), "two in-flight results share sequencer slot ", result->sequence_number);
      later = std::move(result);
    }
    return std::nullopt;
  }

 private:
  std::optional<Result>& slot(size_t sequence_number) { return buffer_.at(sequence_number % buffer_.size()); }
  size_t next_sequence_number_ = 0;
  std::vector<std::optional<Result>> buffer_;
};

}  // namespace sequencers
}  // namespace detail
}  // namespace data
}  // namespace ember
