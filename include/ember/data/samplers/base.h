#pragma once
// Sampler: what decides which examples make up each batch, as LibTorch's
// torch::data::samplers::Sampler. next(batch_size) returns the next batch request (for most
// samplers, the indices of up to batch_size examples) or nullopt at the end of the epoch;
// reset(new_size) starts a new epoch, over new_size examples when given.
//
// save/load write and read the sampler's position (and its epoch's order) in a
// serialize::OutputArchive / InputArchive under LibTorch's keys, so a run can resume mid-epoch.
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

}  // namespace samplers
}  // namespace data
}  // namespace ember
