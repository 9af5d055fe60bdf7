// The factories beyond src/factories.cpp: linspace, logspace, empty_strided, from_blob with a
// deleter, and the Tensor::new_* family (the tensor's dtype and device unless options say).
#include <cmath>

#include "ember/tensor_ops.h"
#include "factory_options.h"
#include "ops/common.h"
#include "tensor_impl.h"

namespace ember {
namespace {

/// PyTorch's linspace values, computed in T: the first half counted up from start, the second
/// down from end, so both ends are exact.
template <typename T>
void fill_linspace(T* out, double start, double end, int64_t steps) {
  if (steps == 1) {
    out[0] = T(start);
    return;
  }
  const T s = T(start), e = T(end), step = (e - s) / T(steps - 1);
  const int64_t half = steps / 2;
  for (int64_t i = 0; i < steps; ++i) out[i] = i < half ? s + step * T(i) : e - step * T(steps - i - 1);
}

}  // namespace

Tensor linspace(const Scalar& start, const Scalar& end, int64_t steps, const TensorOptions& o) {
  EMBER_CHECK(steps >= 0, "linspace: number of steps must be non-negative (got ", steps, ")");
  const ScalarType dt = o.dtype();
  Tensor host = make_empty({steps}, dt == kFloat ? kFloat : kDouble, Device(kCPU), "linspace");
  if (steps > 0) {
    if (dt == kFloat) fill_linspace(host.data_ptr<float>(), start.toDouble(), end.toDouble(), steps);
    else fill_linspace(host.data_ptr<double>(), start.toDouble(), end.toDouble(), steps);
  }
  return finish_factory(host.to(o.device(), dt), o);
}

Tensor logspace(const Scalar& start, const Scalar& end, int64_t steps, double base, const TensorOptions& o) {
  EMBER_CHECK(steps >= 0, "logspace: number of steps must be non-negative (got ", steps, ")");
  Tensor exponents = linspace(start, end, steps, TensorOptions(kDouble));
  Tensor host = make_empty({steps}, kDouble, Device(kCPU), "logspace");
  const double* e = exponents.data_ptr<double>();
  double* out = host.data_ptr<double>();
  for (int64_t i = 0; i < steps; ++i) out[i] = std::pow(base, e[i]);
  return finish_factory(host.to(o.device(), o.dtype()), o);
}

Tensor empty_strided(IntArrayRef size, IntArrayRef stride, const TensorOptions& o) {
  EMBER_CHECK(size.size() == stride.size(), "empty_strided: mismatch in length of strides and shape (", size.size(),
              " sizes, ", stride.size(), " strides)");
  int64_t span = 1;
  for (size_t i = 0; i < size.size(); ++i) {
    EMBER_CHECK(size[i] >= 0, "empty_strided: Trying to create tensor with negative dimension ", size[i], ": ", size);
    EMBER_CHECK(stride[i] >= 0, "empty_strided: negative strides are not supported (got ", stride, ")");
    if (size[i] == 0) span = 0;
  }
  if (span != 0)
    for (size_t i = 0; i < size.size(); ++i) span += (size[i] - 1) * stride[i];
  // One buffer holding every element the strides reach; the tensor is its own base, not a view.
  Tensor buffer = make_empty({span}, o.dtype(), o.device(), "empty_strided");
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = buffer.impl()->storage;
  impl->sizes = size.vec();
  impl->strides = stride.vec();
  impl->dtype = o.dtype();
  return finish_factory(Tensor(std::move(impl)), o);
}

Tensor from_blob(void* data, IntArrayRef sizes, IntArrayRef strides, const std::function<void(void*)>& deleter,
                 const TensorOptions& o) {
  Tensor t = from_blob(data, sizes, strides, o);
  // The storage now owns the memory: the deleter runs when the last tensor sharing it goes.
  t.impl()->storage->data = std::shared_ptr<void>(data, deleter);
  return t;
}
Tensor from_blob(void* data, IntArrayRef sizes, const std::function<void(void*)>& deleter, const TensorOptions& o) {
  Tensor t = from_blob(data, sizes, o);
  t.impl()->storage->data = std::shared_ptr<void>(data, deleter);
  return t;
}

namespace {
TensorOptions from_self(const Tensor& self, const TensorOptions& o) {
  return TensorOptions(o.has_dtype() ? o.dtype() : self.dtype())
      .device(o.has_device() ? o.device() : self.device())
      .requires_grad(o.requires_grad());
}
}  // namespace
Tensor Tensor::new_empty(IntArrayRef size, const TensorOptions& o) const { return empty(size, from_self(*this, o)); }
Tensor Tensor::new_zeros(IntArrayRef size, const TensorOptions& o) const { return zeros(size, from_self(*this, o)); }
Tensor Tensor::new_ones(IntArrayRef size, const TensorOptions& o) const { return ones(size, from_self(*this, o)); }
Tensor Tensor::new_full(IntArrayRef size, const Scalar& v, const TensorOptions& o) const {
  return full(size, v, from_self(*this, o));
}

}  // namespace ember
