// The activations and distances that are compositions of recorded ops (so autograd, double
// backward and both devices come with them): threshold, hardshrink, softshrink, softsign,
// tanhshrink, prelu, cosine_similarity, pairwise_distance and one_hot, with PyTorch's formulas
// (the gradient at a threshold or shrink boundary is 0, as PyTorch's backward formulas give) and
// PyTorch's argument errors.
#include <algorithm>
#include <vector>

#include "common.h"
#include "ember/functional.h"

namespace ember {

Tensor threshold(const Tensor& x, const Scalar& threshold, const Scalar& value) {
  EMBER_CHECK(x.defined(), "threshold: undefined input");
  return x.masked_fill(x <= threshold, value);  // NaN stays NaN, as PyTorch's x <= t ? value : x
}
Tensor& threshold_(Tensor& x, const Scalar& threshold, const Scalar& value) {
  EMBER_CHECK(x.defined(), "threshold_: undefined input");
  x.masked_fill_(x <= threshold, value);
  return x;
}

Tensor hardshrink(const Tensor& x, const Scalar& lambd) {
  EMBER_CHECK(x.defined(), "hardshrink: undefined input");
  return x.masked_fill((x >= -lambd.toDouble()).logical_and(x <= lambd), 0);
}

Tensor softshrink(const Tensor& x, const Scalar& lambd) {
  EMBER_CHECK(x.defined(), "softshrink: undefined input");
  const double l = lambd.toDouble();
  EMBER_CHECK(l >= 0, "lambda must be greater or equal to 0, but found to be ", l, ".");
  // x - clamp(x, -l, l): x - l above l, x + l below -l, 0 between; clamp passes the gradient on
  // [-l, l] inclusive, so 1 - 1 = 0 there, as PyTorch's softshrink_backward.
  return x - x.clamp(-l, l);
}

Tensor prelu(const Tensor& x, const Tensor& weight) {
  EMBER_CHECK(x.defined() && weight.defined(), "prelu: undefined input or weight");
  EMBER_CHECK(weight.dim() <= 1, "prelu: Expected `weight` to be a scalar or 1D tensor, but got ndim = ", weight.dim());
  const int64_t channels = x.dim() >= 2 ? x.size(1) : 1;
  const int64_t n = weight.numel();
  EMBER_CHECK(n == 1 || n == channels,
              "Mismatch of parameter numbers and input channel size. Found parameter numbers = ", n,
              " and channel size = ", channels, ".");
  Tensor slope = n == 1 ? weight.reshape({}) : weight;
  if (n != 1) {
    std::vector<int64_t> shape(size_t(std::max<int64_t>(x.dim(), 1)), 1);
    if (x.dim() >= 2) shape[1] = n;
    slope = weight.reshape(shape);
  }
  return where(x > 0, x, slope * x);
}

Tensor cosine_similarity(const Tensor& x1, const Tensor& x2, int64_t dim, double eps) {
  EMBER_CHECK(x1.defined() && x2.defined(), "cosine_similarity: undefined input");
  const std::vector<int64_t> shape = broadcast_shapes(x1.sizes(), x2.sizes(), "cosine_similarity");
  const Tensor a = x1.expand(shape), b = x2.expand(shape);
  // Each input over its norm first (PyTorch 1.13's order: no overflow of |x1| |x2|).
  const Tensor na = a.norm(2, {dim}, true).clamp_min(eps);
  const Tensor nb = b.norm(2, {dim}, true).clamp_min(eps);
  return ((a / na) * (b / nb)).sum(dim);
}

Tensor pairwise_distance(const Tensor& x1, const Tensor& x2, double p, double eps, bool keepdim) {
  EMBER_CHECK(x1.defined() && x2.defined(), "pairwise_distance: undefined input");
  const int64_t innermost = std::max(x1.dim(), x2.dim()) - 1;
  return (x1 - x2 + eps).norm(p, {innermost}, keepdim);
}

Tensor one_hot(const Tensor& self, int64_t num_classes) {
  EMBER_CHECK(self.defined(), "one_hot: undefined input");
  EMBER_CHECK(self.dtype() == kLong, "one_hot is only applicable to index tensor.");
  std::vector<int64_t> shape = self.sizes().vec();
  if (self.numel() == 0) {
    EMBER_CHECK(num_classes > 0, "Can not infer total number of classes from empty tensor.");
    shape.push_back(num_classes);
    return zeros(shape, TensorOptions(kLong).device(self.device()));
  }
  EMBER_CHECK(self.min().item<int64_t>() >= 0, "Class values must be non-negative.");
  const int64_t largest = self.max().item<int64_t>();
  if (num_classes == -1) {
    num_classes = largest + 1;
  } else {
    EMBER_CHECK(largest < num_classes, "Class values must be smaller than num_classes.");
  }
  shape.push_back(num_classes);
  return zeros(shape, TensorOptions(kLong).device(self.device())).scatter_(-1, self.unsqueeze(-1), 1);
}

}  // namespace ember
