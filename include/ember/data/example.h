#pragma once
// data::Example: one item of a dataset, its data and its target, as LibTorch's
// torch::data::Example. Example<Data, example::NoTarget> (TensorExample) has data only and
// converts to it, so code written for a templated Example serves unlabelled datasets too.
#include <utility>

#include "ember/tensor.h"

namespace ember {
namespace data {

template <typename Data = Tensor, typename Target = Tensor>
struct Example {
  using DataType = Data;
  using TargetType = Target;

  Example() = default;
  Example(Data data, Target target) : data(std::move(data)), target(std::move(target)) {}

  Data data;
  Target target;
};

namespace example {
using NoTarget = void;
}  // namespace example

template <typename Data>
struct Example<Data, example::NoTarget> {
  using DataType = Data;
  using TargetType = example::NoTarget;

  Example() = default;
  Example(Data data) : data(std::move(data)) {}  // NOLINT (implicit, as LibTorch)

  operator Data&() { return data; }              // NOLINT
  operator const Data&() const { return data; }  // NOLINT

  Data data;
};

using TensorExample = Example<Tensor, example::NoTarget>;

}  // namespace data
}  // namespace ember
