#pragma once
// F::pad, as LibTorch 1.13's:
//   F::pad(x, F::PadFuncOptions({1, 1, 2, 0}).mode(torch::kReflect))
// The padding lists (before, after) pairs starting from the last dim. Constant mode pads any
// number of dims with `value` (negative padding crops); reflect, replicate and circular pad the
// last 1, 2 or 3 dims of a (batched or unbatched) 2-D to 5-D input, PyTorch's rule. Included by
// ember/functional.h.
#include <cstdint>
#include <variant>
#include <vector>

#include "ember/arg.h"
#include "ember/nn/init.h"  // the tags kConstant, kReflect, kReplicate, kCircular
#include "ember/tensor.h"

namespace ember {
namespace nn {
namespace functional {

struct PadFuncOptions {
  using mode_t = std::variant<enumtype::kConstant, enumtype::kReflect, enumtype::kReplicate, enumtype::kCircular>;
  PadFuncOptions(std::vector<int64_t> pad) : pad_(std::move(pad)) {}  // NOLINT
  EMBER_ARG(std::vector<int64_t>, pad);
  EMBER_ARG(mode_t, mode) = enumtype::kConstant();
  /// The fill of constant mode (the other modes ignore it, as LibTorch's F::pad).
  EMBER_ARG(double, value) = 0;
};

EMBER_API Tensor pad(const Tensor& input, const PadFuncOptions& options);

}  // namespace functional
}  // namespace nn

/// ATen's constant_pad_nd (torch::constant_pad_nd): F::pad in constant mode.
inline Tensor constant_pad_nd(const Tensor& self, IntArrayRef pad, const Scalar& value = 0) {
  return nn::functional::pad(
      self, nn::functional::PadFuncOptions(std::vector<int64_t>(pad.begin(), pad.end())).value(value.toDouble()));
}

}  // namespace ember
