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

// --- colour and size ----------------------------------------------------------------------------
// torchvision's functional_tensor formulas (blend, rgb_to_grayscale, _rgb2hsv, _hsv2rgb), with a
// per-image factor tensor of shape N x 1 x 1 x 1 in place of its scalar.
#include "ember/nn/functional/upsampling.h"

namespace ember {
namespace data {
namespace {

/// ratio * a + (1 - ratio) * b, clamped to [0, 1].
Tensor blend(const Tensor& a, const Tensor& b, const Tensor& ratio) {
  return (ratio * a + (1 - ratio) * b).clamp(0, 1);
}

/// N x 1 x H x W luma, 0.299 R + 0.587 G + 0.114 B.
Tensor grayscale(const Tensor& x) {
  return (x.select(1, 0) * 0.299 + x.select(1, 1) * 0.587 + x.select(1, 2) * 0.114).unsqueeze(1);
}

/// x - floor(x) for x >= 0, without a floor op: truncation is floor there.
Tensor frac_nonneg(const Tensor& x) { return x - x.to(kLong).to(x.dtype()); }

/// RGB -> HSV, channels in dim 1, each in [0, 1].
Tensor rgb_to_hsv(const Tensor& x) {
  Tensor r = x.select(1, 0), g = x.select(1, 1), b = x.select(1, 2);
  Tensor maxc = std::get<0>(x.max(1)), minc = std::get<0>(x.min(1));
  Tensor eqc = maxc == minc;
  Tensor cr = maxc - minc;
  Tensor ones = ones_like(maxc);
  Tensor s = cr / where(eqc, ones, maxc);
  Tensor div = where(eqc, ones, cr);
  Tensor rc = (maxc - r) / div, gc = (maxc - g) / div, bc = (maxc - b) / div;
  Tensor is_r = (maxc == r).to(x.dtype()), is_g = (maxc == g).to(x.dtype());
  Tensor hr = is_r * (bc - gc);
  Tensor hg = is_g * (1 - is_r) * (rc - bc + 2.0);
  Tensor hb = (1 - is_g) * (1 - is_r) * (gc - rc + 4.0);
  Tensor h = frac_nonneg((hr + hg + hb) / 6.0 + 1.0);
  return stack({h, s, maxc}, 1);
}

/// HSV -> RGB, the sector of each pixel picked by a one-hot mask over six candidates.
Tensor hsv_to_rgb(const Tensor& x) {
  Tensor h = x.select(1, 0), s = x.select(1, 1), v = x.select(1, 2);
  Tensor i6 = (h * 6).to(kLong);  // floor: h >= 0
  Tensor f = h * 6 - i6.to(x.dtype());
  Tensor i = i6 - (i6 >= 6).to(kLong) * 6;  // h == 1 wraps to sector 0
  Tensor p = (v * (1 - s)).clamp(0, 1), q = (v * (1 - s * f)).clamp(0, 1), t = (v * (1 - s * (1 - f))).clamp(0, 1);
  const std::vector<Tensor> rs{v, q, p, p, t, v}, gs{t, v, v, q, p, p}, bs{p, p, t, v, v, q};
  Tensor out_r = zeros_like(h), out_g = zeros_like(h), out_b = zeros_like(h);
  for (int64_t k = 0; k < 6; ++k) {
    Tensor m = (i == k).to(x.dtype());
    out_r = out_r + m * rs[size_t(k)];
    out_g = out_g + m * gs[size_t(k)];
    out_b = out_b + m * bs[size_t(k)];
  }
  return stack({out_r, out_g, out_b}, 1);
}

/// N factors uniform in [lo, hi], drawn on the CPU, as an N x 1 x 1 x 1 tensor on x's device.
Tensor factors(const Tensor& x, double lo, double hi) {
  const int64_t n = x.size(0);
  Tensor u = rand({n}, TensorOptions().dtype(kDouble).device(Device(kCPU))) * (hi - lo) + lo;
  return u.to(x.dtype()).to(x.device()).view({n, 1, 1, 1});
}

}  // namespace

Tensor color_jitter(const Tensor& x, double brightness, double contrast, double saturation, double hue) {
  check_batch(x, "color_jitter");
  EMBER_CHECK(x.size(1) == 3, "color_jitter: expected RGB images (3 channels), got ", describe(x));
  EMBER_CHECK(x.is_floating_point(), "color_jitter: expected floating images in [0, 1], got ", describe(x));
  EMBER_CHECK(brightness >= 0 && contrast >= 0 && saturation >= 0, "color_jitter: brightness (", brightness,
              "), contrast (", contrast, ") and saturation (", saturation, ") must be non-negative");
  EMBER_CHECK(hue >= 0 && hue <= 0.5, "color_jitter: hue must be in [0, 0.5], got ", hue);
  Tensor order = randperm(4, TensorOptions().dtype(kLong).device(Device(kCPU)));
  Tensor out = x;
  if (x.size(0) == 0) return x.clone();
  for (int64_t k = 0; k < 4; ++k) {
    switch (order[k].item<int64_t>()) {
      case 0:
        if (brightness > 0)
          out = blend(out, zeros_like(out), factors(out, std::max(0.0, 1 - brightness), 1 + brightness));
        break;
      case 1:
        if (contrast > 0) {
          Tensor mean = grayscale(out).mean({1, 2, 3}, /*keepdim=*/true);
          out = blend(out, mean, factors(out, std::max(0.0, 1 - contrast), 1 + contrast));
        }
        break;
      case 2:
        if (saturation > 0)
          out = blend(out, grayscale(out), factors(out, std::max(0.0, 1 - saturation), 1 + saturation));
        break;
      default:
        if (hue > 0) {
          Tensor hsv = rgb_to_hsv(out);
          Tensor shifted = frac_nonneg(hsv.select(1, 0).unsqueeze(1) + factors(out, -hue, hue) + 1.0);
          out = hsv_to_rgb(cat({shifted, hsv.narrow(1, 1, 2)}, 1));
        }
        break;
    }
  }
  return out.is_same(x) ? x.clone() : out;
}

Tensor resize(const Tensor& x, int64_t height, int64_t width) {
  EMBER_CHECK(x.defined(), "resize: x is an undefined tensor");
  EMBER_CHECK(x.dim() == 3 || x.dim() == 4, "resize: expected an image C x H x W or a batch N x C x H x W, got ",
              describe(x));
  EMBER_CHECK(height > 0 && width > 0, "resize: the size must be positive, got ", height, " x ", width);
  Tensor batch = x.dim() == 3 ? x.unsqueeze(0) : x;
  namespace F = nn::functional;
  Tensor out = F::interpolate(
      batch,
      F::InterpolateFuncOptions().size(std::vector<int64_t>{height, width}).mode(kBilinear).align_corners(false));
  return x.dim() == 3 ? out.squeeze(0) : out;
}

}  // namespace data
}  // namespace ember
