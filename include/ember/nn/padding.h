#pragma once
// The padding layers, as LibTorch's: nn::ReflectionPad1d/2d/3d, ReplicationPad1d/2d/3d,
// ZeroPad2d and ConstantPad1d/2d/3d, each F::pad (ember/nn/functional/padding.h) with its mode.
// The padding lists (before, after) pairs from the last dim back; one number pads every side.
// Included by ember/nn.h.
#include <iosfwd>

#include "ember/arg.h"
#include "ember/expanding_array.h"
#include "ember/nn/functional/padding.h"
#include "ember/nn/options_module.h"

namespace ember {
namespace nn {

/// ReflectionPad<D>d's and ReplicationPad<D>d's options: 2 D sizes.
template <size_t D>
struct ReflectionPadOptions {
  ReflectionPadOptions(ExpandingArray<D * 2> padding) : padding_(padding) {}  // NOLINT
  EMBER_ARG(ExpandingArray<D * 2>, padding);
};
template <size_t D>
struct ReplicationPadOptions {
  ReplicationPadOptions(ExpandingArray<D * 2> padding) : padding_(padding) {}  // NOLINT
  EMBER_ARG(ExpandingArray<D * 2>, padding);
};
struct ZeroPad2dOptions {
  ZeroPad2dOptions(ExpandingArray<4> padding) : padding_(padding) {}  // NOLINT
  EMBER_ARG(ExpandingArray<4>, padding);
};
template <size_t D>
struct ConstantPadOptions {
  ConstantPadOptions(ExpandingArray<D * 2> padding, double value) : padding_(padding), value_(value) {}
  EMBER_ARG(ExpandingArray<D * 2>, padding);
  EMBER_ARG(double, value);
};

using ReflectionPad1dOptions = ReflectionPadOptions<1>;
using ReflectionPad2dOptions = ReflectionPadOptions<2>;
using ReflectionPad3dOptions = ReflectionPadOptions<3>;
using ReplicationPad1dOptions = ReplicationPadOptions<1>;
using ReplicationPad2dOptions = ReplicationPadOptions<2>;
using ReplicationPad3dOptions = ReplicationPadOptions<3>;
using ConstantPad1dOptions = ConstantPadOptions<1>;
using ConstantPad2dOptions = ConstantPadOptions<2>;
using ConstantPad3dOptions = ConstantPadOptions<3>;

EMBER_LAYER(ReflectionPad1d, OptionsModule<ReflectionPad1dOptions>, Tensor forward(const Tensor& input););
EMBER_LAYER(ReflectionPad2d, OptionsModule<ReflectionPad2dOptions>, Tensor forward(const Tensor& input););
EMBER_LAYER(ReflectionPad3d, OptionsModule<ReflectionPad3dOptions>, Tensor forward(const Tensor& input););
EMBER_LAYER(ReplicationPad1d, OptionsModule<ReplicationPad1dOptions>, Tensor forward(const Tensor& input););
EMBER_LAYER(ReplicationPad2d, OptionsModule<ReplicationPad2dOptions>, Tensor forward(const Tensor& input););
EMBER_LAYER(ReplicationPad3d, OptionsModule<ReplicationPad3dOptions>, Tensor forward(const Tensor& input););
EMBER_LAYER(ZeroPad2d, OptionsModule<ZeroPad2dOptions>, Tensor forward(const Tensor& input););
EMBER_LAYER(ConstantPad1d, OptionsModule<ConstantPad1dOptions>, Tensor forward(const Tensor& input););
EMBER_LAYER(ConstantPad2d, OptionsModule<ConstantPad2dOptions>, Tensor forward(const Tensor& input););
EMBER_LAYER(ConstantPad3d, OptionsModule<ConstantPad3dOptions>, Tensor forward(const Tensor& input););

}  // namespace nn
}  // namespace ember
