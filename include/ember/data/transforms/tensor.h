#pragma once
// Transforms of an example's data tensor, as LibTorch's: TensorTransform (override
// operator()(Tensor)), TensorLambda (from a function) and Normalize (per-channel
// (x - mean) / stddev of C x H x W data, with float32 statistics).
#include <functional>
#include <vector>

#include "ember/data/example.h"
#include "ember/data/transforms/base.h"

namespace ember {
namespace data {
namespace transforms {

template <typename Target = Tensor>
class TensorTransform : public Transform<Example<Tensor, Target>, Example<Tensor, Target>> {
 public:
  using E = Example<Tensor, Target>;
  using typename Transform<E, E>::InputType;
  using typename Transform<E, E>::OutputType;

  virtual Tensor operator()(Tensor input) = 0;

  OutputType apply(InputType input) override {
    input.data = (*this)(std::move(input.data));
    return input;
  }
};

template <typename Target = Tensor>
class TensorLambda : public TensorTransform<Target> {
 public:
  using FunctionType = std::function<Tensor(Tensor)>;
  explicit TensorLambda(FunctionType function) : function_(std::move(function)) {}
  Tensor operator()(Tensor input) override { return function_(std::move(input)); }

 private:
  FunctionType function_;
};

template <typename Target = Tensor>
struct Normalize : public TensorTransform<Target> {
  /// One mean and stddev per channel (or one for all), broadcast over C x H x W.
  Normalize(ArrayRef<double> mean, ArrayRef<double> stddev) : mean(channels(mean)), stddev(channels(stddev)) {}
  Tensor operator()(Tensor input) override { return input.sub(mean).div(stddev); }

  Tensor mean, stddev;

 private:
  static Tensor channels(ArrayRef<double> values) {
    return ember::tensor(values.vec(), kFloat32).unsqueeze(1).unsqueeze(2);
  }
};

}  // namespace transforms
}  // namespace data
}  // namespace ember
