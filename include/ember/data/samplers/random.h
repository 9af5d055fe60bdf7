#pragma once
// RandomSampler: a random permutation of 0..size-1 per epoch, drawn with randperm from the
// default generator, as LibTorch's: after ember::manual_seed(s) the sequence of epochs is the
// same run to run.
#include <cstdint>

#include "ember/data/samplers/base.h"
#include "ember/tensor.h"

namespace ember {
namespace data {
namespace samplers {

class EMBER_API RandomSampler : public Sampler<> {
 public:
  /// Draws the first epoch's permutation now (index_dtype: the dtype it is held in).
  explicit RandomSampler(int64_t size, ScalarType index_dtype = kLong);
  /// Draws a new permutation, of new_size indices when given.
  void reset(std::optional<size_t> new_size = std::nullopt) override;
  std::optional<std::vector<size_t>> next(size_t batch_size) override;
  void save(serialize::OutputArchive& archive) const override;
  void load(serialize::InputArchive& archive) override;
  /// How many indices this epoch has handed out.
  size_t index() const noexcept { return size_t(index_); }

 private:
  Tensor indices_;
  int64_t index_ = 0;
};

}  // namespace samplers
}  // namespace data
}  // namespace ember
