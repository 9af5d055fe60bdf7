#pragma once
// LabeledImages: a pair of in-memory tensors, examples x (N x ...) and labels y (N), the unit
// that the CIFAR-10 reader returns and the TensorLoader iterates.
#include <cstdint>

#include "ember/tensor.h"

namespace ember {
namespace data {

struct LabeledImages {
  Tensor x;  ///< N x C x H x W images (float32 in [0, 1] from the CIFAR-10 reader)
  Tensor y;  ///< N int64 labels

  /// The number of examples (0 when empty).
  int64_t size() const { return x.defined() ? x.size(0) : 0; }
  bool empty() const { return size() == 0; }
  /// Examples [start, end): views that share memory with this set (no copy).
  LabeledImages slice(int64_t start, int64_t end) const {
    return {x.slice(0, start, end), y.defined() ? y.slice(0, start, end) : Tensor()};
  }
  /// Both tensors on `device` (a no-op for those already there).
  LabeledImages to(Device device) const {
    return {x.defined() ? x.to(device) : Tensor(), y.defined() ? y.to(device) : Tensor()};
  }
};

}  // namespace data
}  // namespace ember
