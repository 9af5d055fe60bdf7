#pragma once
// Resizing, as LibTorch's F::interpolate (modes nearest, nearest-exact, linear, bilinear,
// bicubic, trilinear, area; align_corners; size or scale_factor), F::pixel_shuffle and
// F::pixel_unshuffle. The linear and cubic modes interpolate one spatial dim at a time (two or
// four gathers and a weighted sum per dim, recorded ops: autograd, double backward and both
// devices come with them); the result equals PyTorch's to rounding (it sums the same products in
// another order). Not supported: antialias.
#include <optional>
#include <variant>
#include <vector>

#include "ember/arg.h"
#include "ember/enum.h"
#include "ember/tensor.h"

namespace ember {
namespace nn {

/// nn::PixelShuffle's options; F::pixel_shuffle takes them too (PixelShuffleFuncOptions).
struct EMBER_API PixelShuffleOptions {
  PixelShuffleOptions(int64_t upscale_factor) : upscale_factor_(upscale_factor) {}  // NOLINT
  EMBER_ARG(int64_t, upscale_factor);
};

struct EMBER_API PixelUnshuffleOptions {
  PixelUnshuffleOptions(int64_t downscale_factor) : downscale_factor_(downscale_factor) {}  // NOLINT
  EMBER_ARG(int64_t, downscale_factor);
};

namespace functional {

struct EMBER_API InterpolateFuncOptions {
  using mode_t = std::variant<enumtype::kNearest, enumtype::kLinear, enumtype::kBilinear, enumtype::kBicubic,
                              enumtype::kTrilinear, enumtype::kArea, enumtype::kNearestExact>;
  /// The output's spatial size (one entry per spatial dim), or
  EMBER_ARG(std::optional<std::vector<int64_t>>, size) = std::nullopt;
  /// the factor per spatial dim (output size floor(input size * factor)).
  EMBER_ARG(std::optional<std::vector<double>>, scale_factor) = std::nullopt;
  EMBER_ARG(mode_t, mode) = kNearest;
  /// Linear modes only: map the corner pixels' centres onto each other (default false).
  EMBER_ARG(std::optional<bool>, align_corners) = std::nullopt;
  /// With scale_factor: sample with input / output size instead of 1 / scale_factor.
  EMBER_ARG(std::optional<bool>, recompute_scale_factor) = std::nullopt;
  EMBER_ARG(bool, antialias) = false;
};

/// Resizes the spatial dims of (N, C, L), (N, C, H, W) or (N, C, D, H, W).
EMBER_API Tensor interpolate(const Tensor& input, const InterpolateFuncOptions& options = {});

/// (*, C r^2, H, W) -> (*, C, H r, W r).
EMBER_API Tensor pixel_shuffle(const Tensor& input, int64_t upscale_factor);
/// (*, C, H r, W r) -> (*, C r^2, H, W).
EMBER_API Tensor pixel_unshuffle(const Tensor& input, int64_t downscale_factor);

using PixelShuffleFuncOptions = PixelShuffleOptions;
using PixelUnshuffleFuncOptions = PixelUnshuffleOptions;
/// LibTorch's spelling: F::pixel_shuffle(x, F::PixelShuffleFuncOptions(2)).
inline Tensor pixel_shuffle(const Tensor& input, const PixelShuffleFuncOptions& options) {
  return pixel_shuffle(input, options.upscale_factor());
}
inline Tensor pixel_unshuffle(const Tensor& input, const PixelUnshuffleFuncOptions& options) {
  return pixel_unshuffle(input, options.downscale_factor());
}

}  // namespace functional
}  // namespace nn

using nn::functional::pixel_shuffle;
using nn::functional::pixel_unshuffle;

}  // namespace ember
