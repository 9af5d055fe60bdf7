// F::interpolate, F::pixel_shuffle, F::pixel_unshuffle. The source-index rules are PyTorch's
// (aten/src/ATen/native/UpSample.h: area_pixel_compute_source_index and the nearest rules),
// computed once on the host per spatial dim (bicubic's weights too, upsample_bicubic2d's); the
// resampling itself is gathers and weighted sums of recorded ops, so it runs on either device
// and is differentiable (twice).
#include "ember/nn/upsampling.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <sstream>
#include <string>

#include "../check.h"
#include "ember/error.h"
#include "ember/nn/pooling.h"

namespace ember {
namespace nn {
namespace functional {
namespace {

/// The sampling scale of one dim: output index times scale (give or take half a pixel) is the
/// source position. `factor` is the user's scale_factor for this dim, 0 when the size was given
/// or recompute_scale_factor asked for input / output.
double sampling_scale(int64_t in, int64_t out, double factor, bool align_corners) {
  if (align_corners) return out > 1 ? double(in - 1) / double(out - 1) : 0.0;
  return factor > 0 ? 1.0 / factor : double(in) / double(out);
}

/// Nearest (and nearest-exact) source indices of one dim.
std::vector<int64_t> nearest_indices(int64_t in, int64_t out, double scale, bool exact) {
  std::vector<int64_t> idx(static_cast<size_t>(out));
  for (int64_t o = 0; o < out; ++o) {
    // PyTorch's nearest kernels compute in float whatever the dtype; so does ember, for the same picks.
    const float s = float(scale), src = exact ? (float(o) + 0.5f) * s : float(o) * s;
    idx[size_t(o)] = std::min(int64_t(std::floor(src)), in - 1);
  }
  return idx;
}

/// Linear interpolation along `dim`: out[o] = (1 - l) x[i0] + l x[i1].
Tensor linear_along(const Tensor& x, int64_t dim, int64_t out, double scale, bool align_corners) {
  const int64_t in = x.size(dim);
  std::vector<int64_t> i0(static_cast<size_t>(out)), i1(static_cast<size_t>(out));
  std::vector<double> l1(static_cast<size_t>(out));
  for (int64_t o = 0; o < out; ++o) {
    // PyTorch computes the position in the input's accumulation type (float for float32).
    double src = align_corners ? scale * double(o) : scale * (double(o) + 0.5) - 0.5;
    if (!align_corners && src < 0) src = 0;
    if (x.dtype() == kFloat) src = double(float(src));
    const int64_t lo = std::min(int64_t(src), in - 1);
    i0[size_t(o)] = lo;
    i1[size_t(o)] = lo + (lo < in - 1 ? 1 : 0);
    l1[size_t(o)] = src - double(lo);
  }
  const TensorOptions index_options = TensorOptions(kLong).device(x.device());
  std::vector<int64_t> along(size_t(x.dim()), 1);
  along[size_t(dim)] = out;
  Tensor w1 = tensor(l1, TensorOptions(x.dtype())).to(x.device()).reshape(along);
  Tensor a = x.index_select(dim, tensor(i0, index_options)), b = x.index_select(dim, tensor(i1, index_options));
  return a + (b - a) * w1;
}

/// PyTorch's cubic convolution weights (Keys' kernel with A = -0.75, as
/// get_cubic_upsample_coefficients) of the four taps around a source position t past its floor.
std::array<double, 4> cubic_weights(double t) {
  constexpr double A = -0.75;
  const auto near = [](double x) { return ((A + 2) * x - (A + 3)) * x * x + 1; };       // |x| <= 1
  const auto far = [](double x) { return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A; };  // 1 < |x| < 2
  return {far(t + 1), near(t), near(1 - t), far(2 - t)};
}

/// Cubic interpolation along `dim`: out[o] = sum_k w_k x[i - 1 + k], the taps clamped to the
/// border (PyTorch's upsample_get_value_bounded). Bicubic is this along H, then along W: the
/// 2-D kernel's weights are the products of the two dims' ones.
Tensor cubic_along(const Tensor& x, int64_t dim, int64_t out, double scale, bool align_corners) {
  const int64_t in = x.size(dim);
  std::vector<std::vector<int64_t>> taps(4, std::vector<int64_t>(size_t(out)));
  std::vector<std::vector<double>> weights(4, std::vector<double>(size_t(out)));
  for (int64_t o = 0; o < out; ++o) {
    // Unlike linear, a position left of the first pixel is not clamped to 0 (PyTorch's cubic
    // source index); it is computed in the input's accumulation type (float for float32).
    double src = align_corners ? scale * double(o) : scale * (double(o) + 0.5) - 0.5;
    if (x.dtype() == kFloat) src = double(float(src));
    const double floor_src = std::floor(src);
    const std::array<double, 4> w = cubic_weights(src - floor_src);
    for (int k = 0; k < 4; ++k) {
      taps[size_t(k)][size_t(o)] = std::clamp(int64_t(floor_src) - 1 + k, int64_t(0), in - 1);
      weights[size_t(k)][size_t(o)] = w[size_t(k)];
    }
  }
  const TensorOptions index_options = TensorOptions(kLong).device(x.device());
  std::vector<int64_t> along(size_t(x.dim()), 1);
  along[size_t(dim)] = out;
  Tensor result;
  for (size_t k = 0; k < 4; ++k) {
    Tensor term = x.index_select(dim, tensor(taps[k], index_options)) *
                  tensor(weights[k], TensorOptions(x.dtype())).to(x.device()).reshape(along);
    result = result.defined() ? result + term : term;
  }
  return result;
}

}  // namespace

Tensor interpolate(const Tensor& input, const InterpolateFuncOptions& options) {
  check_defined("interpolate", input);
  const auto& mode = options.mode();
  const bool nearest = std::holds_alternative<enumtype::kNearest>(mode),
             nearest_exact = std::holds_alternative<enumtype::kNearestExact>(mode),
             area = std::holds_alternative<enumtype::kArea>(mode);
  const bool linear = !nearest && !nearest_exact && !area;
  const bool bicubic = std::holds_alternative<enumtype::kBicubic>(mode);
  EMBER_CHECK(input.dim() >= 3 && input.dim() <= 5,
              "interpolate: Input Error: Only 3D, 4D and 5D input Tensors supported (got ", input.dim(),
              "D) for the modes: nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact (got ",
              get_enum_name(mode), ")");
  EMBER_CHECK(!options.align_corners() || linear,
              "interpolate: align_corners option can only be set with the interpolating modes: linear | bilinear | "
              "bicubic | trilinear (got ",
              get_enum_name(mode), ")");
  EMBER_CHECK(!options.antialias(), "interpolate: antialias=true is not supported in ember");
  const int64_t spatial = input.dim() - 2;
  const int64_t needs = std::holds_alternative<enumtype::kLinear>(mode)      ? 1
                        : std::holds_alternative<enumtype::kBilinear>(mode)  ? 2
                        : std::holds_alternative<enumtype::kBicubic>(mode)   ? 2
                        : std::holds_alternative<enumtype::kTrilinear>(mode) ? 3
                                                                             : spatial;
  EMBER_CHECK(needs == spatial, "interpolate: Got ", input.dim(), "D input, but ", get_enum_name(mode), " mode needs ",
              needs + 2, "D input");

  // The output size: given, or floor(input size * factor).
  const auto& size = options.size();
  const auto& factor = options.scale_factor();
  EMBER_CHECK(!(size && factor), "interpolate: only one of size or scale_factor should be defined");
  EMBER_CHECK(size || factor, "interpolate: either size or scale_factor should be defined");
  EMBER_CHECK(!(size && options.recompute_scale_factor().value_or(false)),
              "interpolate: recompute_scale_factor is not meaningful with an explicit size.");
  if (size)
    EMBER_CHECK(int64_t(size->size()) == spatial, "interpolate: size shape must match input shape. Input is ", spatial,
                "D, size is ", size->size());
  if (factor)
    EMBER_CHECK(int64_t(factor->size()) == spatial, "interpolate: scale_factor shape must match input shape. Input is ",
                spatial, "D, scale_factor is ", factor->size());
  std::vector<int64_t> out(static_cast<size_t>(spatial));
  std::vector<double> user_factor(static_cast<size_t>(spatial), 0.0);
  for (int64_t d = 0; d < spatial; ++d) {
    const int64_t in = input.size(d + 2);
    if (size) {
      out[size_t(d)] = (*size)[size_t(d)];
    } else {
      const double f = (*factor)[size_t(d)];
      EMBER_CHECK(f > 0, "interpolate: scale_factor must be positive, got ", f);
      out[size_t(d)] = int64_t(std::floor(double(in) * f));
      if (!options.recompute_scale_factor().value_or(false)) user_factor[size_t(d)] = f;
    }
    EMBER_CHECK(in > 0 && out[size_t(d)] > 0, "interpolate: input and output sizes should be greater than 0, but got ",
                "input ", describe(input), " and output size ", IntArrayRef(out));
  }

  if (area) {
    EMBER_CHECK(spatial == 2, "interpolate: mode kArea is supported in ember for 4D input only, got ", describe(input));
    return adaptive_avg_pool2d(input, AdaptiveAvgPool2dFuncOptions({out[0], out[1]}));
  }
  const bool align = options.align_corners().value_or(false);
  Tensor x = input;
  for (int64_t d = 0; d < spatial; ++d) {
    const int64_t dim = d + 2, in = input.size(dim), o = out[size_t(d)];
    const double scale = sampling_scale(in, o, user_factor[size_t(d)], linear && align);
    if (bicubic) {
      x = cubic_along(x, dim, o, scale, align);
    } else if (linear) {
      x = linear_along(x, dim, o, scale, align);
    } else {
      x = x.index_select(dim,
                         tensor(nearest_indices(in, o, scale, nearest_exact), TensorOptions(kLong).device(x.device())));
    }
  }
  return x;
}

namespace {
/// Both pixel rearrangements: split the last three dims (C, H, W) into five sizes, permute those
/// five by `order` and merge them into three; leading (batch) dims stay as they are.
Tensor regroup(const Tensor& input, std::initializer_list<int64_t> split, std::initializer_list<int64_t> order,
               std::initializer_list<int64_t> merged) {
  std::vector<int64_t> batch(input.sizes().begin(), input.sizes().end() - 3), perm;
  const int64_t b = int64_t(batch.size());
  for (int64_t i = 0; i < b; ++i) perm.push_back(i);
  for (int64_t k : order) perm.push_back(b + k);
  std::vector<int64_t> five = batch, three = batch;
  five.insert(five.end(), split);
  three.insert(three.end(), merged);
  return input.reshape(five).permute(perm).reshape(three);
}

void check_rank(const char* op, const Tensor& input, int64_t factor, const char* factor_name) {
  check_defined(op, input);
  EMBER_CHECK(input.dim() >= 3, op, " expects input to have at least 3 dimensions, but got input with ", input.dim(),
              " dimension(s)");
  EMBER_CHECK(factor > 0, op, " expects a positive ", factor_name, ", but got ", factor);
}
}  // namespace

Tensor pixel_shuffle(const Tensor& input, int64_t r) {
  check_rank("pixel_shuffle", input, r, "upscale_factor");
  const int64_t c = input.size(-3), h = input.size(-2), w = input.size(-1);
  EMBER_CHECK(c % (r * r) == 0,
              "pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of upscale_factor, "
              "but input.size(-3)=",
              c, " is not divisible by ", r * r);
  // (C, r, r, H, W) -> (C, H, r, W, r)
  return regroup(input, {c / (r * r), r, r, h, w}, {0, 3, 1, 4, 2}, {c / (r * r), h * r, w * r});
}

Tensor pixel_unshuffle(const Tensor& input, int64_t r) {
  check_rank("pixel_unshuffle", input, r, "downscale_factor");
  const int64_t c = input.size(-3), h = input.size(-2), w = input.size(-1);
  EMBER_CHECK(h % r == 0, "pixel_unshuffle expects height to be divisible by downscale_factor, but input.size(-2)=", h,
              " is not divisible by ", r);
  EMBER_CHECK(w % r == 0, "pixel_unshuffle expects width to be divisible by downscale_factor, but input.size(-1)=", w,
              " is not divisible by ", r);
  // (C, H/r, r, W/r, r) -> (C, r, r, H/r, W/r)
  return regroup(input, {c, h / r, r, w / r, r}, {0, 2, 4, 1, 3}, {c * r * r, h / r, w / r});
}

}  // namespace functional
}  // namespace nn
}  // namespace ember

namespace ember {
namespace nn {
namespace {
/// "[2, 2]": how LibTorch's Upsample prints its size or scale factors (an ArrayRef).
template <typename T>
std::string bracketed(const std::vector<T>& values) {
  std::ostringstream s;
  s << '[';
  for (size_t i = 0; i < values.size(); ++i) s << (i ? ", " : "") << values[i];
  s << ']';
  return s.str();
}
}  // namespace

void UpsampleImpl::pretty_print(std::ostream& stream) const {
  const std::string mode = get_enum_name(options.mode());
  if (options.scale_factor()) print(stream, {{"scale_factor", bracketed(*options.scale_factor())}, {"mode", mode}});
  else print(stream, {{"size", bracketed(options.size().value_or(std::vector<int64_t>{}))}, {"mode", mode}});
}
Tensor UpsampleImpl::forward(const Tensor& input) {
  functional::InterpolateFuncOptions f;
  f.size(options.size()).scale_factor(options.scale_factor()).align_corners(options.align_corners());
  std::visit([&](auto tag) { f.mode(tag); }, options.mode());
  return functional::interpolate(input, f);
}

void PixelShuffleImpl::pretty_print(std::ostream& stream) const {
  print(stream, {{"upscale_factor", options.upscale_factor()}});
}
Tensor PixelShuffleImpl::forward(const Tensor& input) {
  return functional::pixel_shuffle(input, options.upscale_factor());
}

void PixelUnshuffleImpl::pretty_print(std::ostream& stream) const {
  print(stream, {{"downscale_factor", options.downscale_factor()}});
}
Tensor PixelUnshuffleImpl::forward(const Tensor& input) {
  return functional::pixel_unshuffle(input, options.downscale_factor());
}

}  // namespace nn
}  // namespace ember
