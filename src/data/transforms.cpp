// Per-channel normalisation, as torchvision's T.Normalize: x.sub_(mean).div_(std) with the
// constants cast to x's dtype first, so a float32 result is bit-identical to torchvision's.
// Then batch augmentation (random horizontal flip, random crop) built from tensor ops.
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
  auto as_tensor = [&](const std::vector<double>& v) { return tensor(v).to(x.dtype()).view(shape).to(x.device()); };
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

// --- augmentation -----------------------------------------------------------------------------
// Both transforms draw their per-image decisions on the CPU (so the default generator, and thus
// manual_seed, governs them on every device), move those N numbers to x's device, and do the
// pixel work with ordinary tensor ops there: no host loop over images, no kernel of their own.

namespace ember {
namespace data {

namespace {

void check_batch(const Tensor& x, const char* op) {
  EMBER_CHECK(x.defined(), op, ": x is an undefined tensor");
  EMBER_CHECK(x.dim() == 4, op, ": expected a batch of images N x C x H x W, got ", describe(x));
}

TensorOptions long_on(const Tensor& x) { return TensorOptions().dtype(kLong).device(x.device()); }

}  // namespace

Tensor random_horizontal_flip(const Tensor& x, double p) {
  check_batch(x, "random_horizontal_flip");
  EMBER_CHECK(p >= 0 && p <= 1, "random_horizontal_flip: p must be in [0, 1], got ", p);
  const int64_t n = x.size(0), w = x.size(3);
  // rand is in [0, 1): p = 0 never flips, p = 1 always does.
  Tensor flip = (rand({n}, TensorOptions().dtype(kDouble).device(Device(kCPU))) < p).to(x.device()).view({n, 1, 1, 1});
  if (n == 0 || w == 0) return x.clone();
  Tensor mirrored = x.index_select(3, arange(w - 1, -1, -1, long_on(x)));
  return where(flip, mirrored, x);
}

Tensor random_crop(const Tensor& x, int64_t size, int64_t padding) {
  check_batch(x, "random_crop");
  EMBER_CHECK(size > 0, "random_crop: size must be positive, got ", size);
  EMBER_CHECK(padding >= 0, "random_crop: padding must be non-negative, got ", padding);
  const int64_t n = x.size(0), c = x.size(1), hp = x.size(2) + 2 * padding, wp = x.size(3) + 2 * padding;
  EMBER_CHECK(size <= hp && size <= wp, "random_crop: a ", size, " x ", size, " window does not fit images of x ",
              describe(x), " padded by ", padding, " on each side (", hp, " x ", wp, ")");
  const TensorOptions host = TensorOptions().dtype(kLong).device(Device(kCPU));
  Tensor top = randint(0, hp - size + 1, {n}, host).to(x.device()).view({n, 1, 1, 1});
  Tensor left = randint(0, wp - size + 1, {n}, host).to(x.device()).view({n, 1, 1, 1});
  if (n == 0 || c == 0) return zeros({n, c, size, size}, TensorOptions().dtype(x.dtype()).device(x.device()));

  // Zero padding by concatenation (differentiable, unlike a copy_ into a zeros tensor).
  Tensor padded = x;
  if (padding > 0) {
    const TensorOptions like = TensorOptions().dtype(x.dtype()).device(x.device());
    Tensor side = zeros({n, c, x.size(2), padding}, like);
    padded = cat({side, x, side}, 3);
    Tensor band = zeros({n, c, padding, wp}, like);
    padded = cat({band, padded, band}, 2);
  }
  // One gather over the flattened padded batch: out[b, k, i, j] = padded[b, k, top[b] + i,
  // left[b] + j], its flat index built by broadcasting small index tensors.
  const TensorOptions idx = long_on(x);
  Tensor b = arange(n, idx).view({n, 1, 1, 1});
  Tensor k = arange(c, idx).view({1, c, 1, 1});
  Tensor i = arange(size, idx).view({1, 1, size, 1});
  Tensor j = arange(size, idx).view({1, 1, 1, size});
  Tensor flat = ((b * c + k) * hp + top + i) * wp + left + j;
  return padded.contiguous().view({-1}).index_select(0, flat.view({-1})).view({n, c, size, size});
}

}  // namespace data
}  // namespace ember
