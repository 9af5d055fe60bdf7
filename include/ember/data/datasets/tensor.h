#pragma once
// TensorDataset: the rows of one tensor as unlabelled examples (TensorExample), as LibTorch's.
// Batch them with Stack<TensorExample>; for (data, target) pairs write a Dataset whose get
// returns Example<>{data[i], target[i]}.
#include <vector>

#include "ember/data/datasets/base.h"

namespace ember {
namespace data {
namespace datasets {

struct TensorDataset : public Dataset<TensorDataset, TensorExample> {
  /// Stacks the tensors into one (they must share a shape).
  explicit TensorDataset(const std::vector<Tensor>& tensors) : TensorDataset(ember::stack(tensors)) {}
  explicit TensorDataset(Tensor tensor) : tensor(std::move(tensor)) {}

  TensorExample get(size_t index) override { return tensor[int64_t(index)]; }
  std::optional<size_t> size() const override { return size_t(tensor.size(0)); }

  Tensor tensor;
};

}  // namespace datasets
}  // namespace data
}  // namespace ember
