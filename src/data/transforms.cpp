// Per-channel normalisation, as torchvision's T.Normalize: x.sub_(mean).div_(std) with the
// constants cast to x's dtype first, so a float32 result is bit-identical to torchvision's.
#include "ember/data/transforms.h"

#include "tensor_impl.h"

namespace ember {
namespace data {

namespace {

// mean and std as tensors broadcasting over x's channel dimension (dim 0 of C x H x W, dim 1
// of N x C x H x W), in x's dtype and on x's device.
std::pair<Tensor, Tensor> channel_constants(const Tensor& x, const std::vector<double>& mean,
                                            const std::vector<double>& stddev, const char* op) {
  EMBER_CHECK(x.defined(), op, ": x is an undefined tensor");
  EMBER_CHECK(x.dim() == 3 || x.dim() == 4, op, ": expected images C x H x W or N x C x H x W, got ", describe(x));
  EMBER_CHECK(x.is_floating_point(), op, ": expected floating images (convert with .to(kFloat)), got ", describe(x));
  const int64_t c = x.size(x.dim() - 3);
  EMBER_CHECK(int64_t(mean.size()) == c && int64_t(stddev.size()) == c, op, ": x ", describe(x), " has ", c,
              " channels but mean has ", mean.size(), " values and std ", stddev.size());
  for (size_t i = 0; i < stddev.size(); ++i)
    EMBER_CHECK(stddev[i] != 0, op, ": std of channel ", i, " is 0 (division by zero)");
  std::vector<int64_t> shape(size_t(x.dim()), 1);
  shape[size_t(x.dim() - 3)] = c;
  auto as_tensor = [&](const std::vector<double>& v) {
    return tensor(v).to(x.dtype()).view(shape).to(x.device());
  };
  return {as_tensor(mean), as_tensor(stddev)};
}

}  // namespace

const std::vector<double>& cifar10_mean() {
  static const std::vector<double> v{0.4914, 0.4822, 0.4465};
  return v;
}

const std::vector<double>& cifar10_std() {
  static const std::vector<double> v{0.2023, 0.1994, 0.2010};
  return v;
}

Tensor normalize(const Tensor& x, const std::vector<double>& mean, const std::vector<double>& stddev) {
  auto [m, s] = channel_constants(x, mean, stddev, "normalize");
  return (x - m) / s;
}

const Tensor& normalize_(const Tensor& x, const std::vector<double>& mean, const std::vector<double>& stddev) {
  auto [m, s] = channel_constants(x, mean, stddev, "normalize_");
  x.sub_(m).div_(s);
  return x;
}

}  // namespace data
}  // namespace ember
