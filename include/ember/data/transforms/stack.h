#pragma once
// Stack: the collation that makes one Example of batched tensors from a batch of examples,
// stacking the data (and the targets) along a new first dimension, as LibTorch's.
//   Stack<>  (Example<>)      : {stack(data), stack(targets)}
//   Stack<TensorExample>      : stack(data)
#include <vector>

#include "ember/data/example.h"
#include "ember/data/transforms/lambda.h"

namespace ember {
namespace data {
namespace transforms {

template <typename T = Example<>>
struct Stack;

template <>
struct Stack<Example<>> : public Collation<Example<>> {
  Example<> apply_batch(std::vector<Example<>> examples) override {
    std::vector<Tensor> data, targets;
    data.reserve(examples.size());
    targets.reserve(examples.size());
    for (auto& example : examples) {
      data.push_back(std::move(example.data));
      targets.push_back(std::move(example.target));
    }
    return {ember::stack(data), ember::stack(targets)};
  }
};

template <>
struct Stack<TensorExample> : public Collation<TensorExample> {
  TensorExample apply_batch(std::vector<TensorExample> examples) override {
    std::vector<Tensor> data;
    data.reserve(examples.size());
    for (auto& example : examples) data.push_back(std::move(example.data));
    return ember::stack(data);
  }
};

}  // namespace transforms
}  // namespace data
}  // namespace ember
