#pragma once
// StatefulDataset: a dataset that keeps its own position (a stream, a file read in chunks),
// as LibTorch's. get_batch(batch_size) returns the next batch or nullopt when the epoch is
// exhausted; reset() starts a new epoch. make_data_loader gives it a StatefulDataLoader, whose
// workers share the one dataset, so get_batch must be thread-safe when workers > 0.
#include <cstddef>
#include <optional>
#include <vector>

#include "ember/data/datasets/base.h"

namespace ember {
namespace serialize {
class OutputArchive;
class InputArchive;
}  // namespace serialize

namespace data {
namespace datasets {

template <typename Self, typename Batch = std::vector<Example<>>, typename BatchRequest = size_t>
class StatefulDataset : public BatchDataset<Self, std::optional<Batch>, BatchRequest> {
 public:
  /// Starts a new epoch.
  virtual void reset() = 0;
  /// Saves and restores the dataset's position in an archive (LibTorch's signature).
  virtual void save(serialize::OutputArchive& archive) const = 0;
  virtual void load(serialize::InputArchive& archive) = 0;
};

}  // namespace datasets
}  // namespace data
}  // namespace ember
