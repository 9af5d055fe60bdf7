#pragma once
// Sampler: what decides which examples make up each batch, as LibTorch's
// torch::data::samplers::Sampler. next(batch_size) returns the next batch request (for most
// samplers, the indices of up to batch_size examples) or nullopt at the end of the epoch;
// reset(new_size) starts a new epoch, over new_size examples when given.
//
// save/load take LibTorch's archive types. ember has no serialize::OutputArchive/InputArchive
// yet, so these are declared for code written against LibTorch's interface, and ember's
// samplers implement them by throwing ember::Error (index() gives their position meanwhile).
#include <cstddef>
#include <optional>
#include <vector>

#include "ember/export.h"

namespace ember {
namespace serialize {
class OutputArchive;
class InputArchive;
}  // namespace serialize

namespace data {
namespace samplers {

template <typename BatchRequest = std::vector<size_t>>
class Sampler {
 public:
  using BatchRequestType = BatchRequest;

  virtual ~Sampler() = default;
  virtual void reset(std::optional<size_t> new_size) = 0;
  virtual std::optional<BatchRequest> next(size_t batch_size) = 0;
  virtual void save(serialize::OutputArchive& archive) const = 0;
  virtual void load(serialize::InputArchive& archive) = 0;
};

namespace detail {
/// Throws: `sampler`'s state cannot be archived until ember has archive types.
[[noreturn]] EMBER_API void no_archive(const char* sampler, const char* method);
}  // namespace detail

}  // namespace samplers
}  // namespace data
}  // namespace ember
