#pragma once
// The resizing layers, as LibTorch's nn::Upsample, nn::PixelShuffle and nn::PixelUnshuffle; their
// functional forms are in ember/nn/functional/upsampling.h.
#include <iosfwd>
#include <optional>
#include <variant>
#include <vector>

#include "ember/arg.h"
#include "ember/nn/functional/upsampling.h"
#include "ember/nn/options_module.h"

namespace ember {
namespace nn {

struct EMBER_API UpsampleOptions {
  using mode_t = std::variant<enumtype::kNearest, enumtype::kLinear, enumtype::kBilinear, enumtype::kBicubic,
                              enumtype::kTrilinear>;
  EMBER_ARG(std::optional<std::vector<int64_t>>, size) = std::nullopt;
  EMBER_ARG(std::optional<std::vector<double>>, scale_factor) = std::nullopt;
  EMBER_ARG(mode_t, mode) = kNearest;
  EMBER_ARG(std::optional<bool>, align_corners) = std::nullopt;
};

/// Resizes by F::interpolate with the layer's size or scale_factor, mode and align_corners.
EMBER_LAYER(Upsample, OptionsModule<UpsampleOptions>, Tensor forward(const Tensor& input););
/// (*, C r^2, H, W) -> (*, C, H r, W r).
EMBER_LAYER(PixelShuffle, OptionsModule<PixelShuffleOptions>, Tensor forward(const Tensor& input););
/// (*, C, H r, W r) -> (*, C r^2, H, W).
EMBER_LAYER(PixelUnshuffle, OptionsModule<PixelUnshuffleOptions>, Tensor forward(const Tensor& input););

}  // namespace nn
}  // namespace ember
