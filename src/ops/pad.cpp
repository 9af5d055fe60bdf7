// F::pad: PyTorch's checks and error wording, the geometry both backends read
// (src/pad_geometry.h), one kernel call forward and one backward. Constant mode pads any number
// of dims: past the three the kernels know, the rest are padded by a second call on a permuted
// view.
#include <algorithm>
#include <type_traits>
#include <variant>

#include "common.h"
#include "ember/functional.h"

namespace ember {
namespace {

/// LibTorch's autograd node for each mode and padded-dim count (circular is composed of slice
/// copies in LibTorch, whence its CopySlices).
const char* pad_node_name(PadMode mode, int64_t k) {
  static const char* const reflect[] = {"ReflectionPad1DBackward0", "ReflectionPad2DBackward0",
                                        "ReflectionPad3DBackward0"};
  static const char* const replicate[] = {"ReplicationPad1DBackward0", "ReplicationPad2DBackward0",
                                          "ReplicationPad3DBackward0"};
  switch (mode) {
    case PadMode::Reflect: return reflect[k - 1];
    case PadMode::Replicate: return replicate[k - 1];
    case PadMode::Circular: return "CopySlices";
    case PadMode::Constant: break;
  }
  return "ConstantPadNdBackward0";
}

/// Pads the last pad.size() / 2 (at most 3) dims of input; pad is checked.
Tensor pad_last_dims(const Tensor& input, IntArrayRef pad, PadMode mode, double value) {
  const int64_t k = int64_t(pad.size()) / 2, dim = input.dim();
  PadGeometry g;
  g.mode = mode;
  std::vector<int64_t> out_shape = input.sizes().vec();
  for (int64_t j = 0; j < k; ++j) {  // j counts dims from the last, as the pairs do
    const int64_t d = dim - 1 - j, slot = 2 - j;
    out_shape[d] = input.size(d) + pad[2 * j] + pad[2 * j + 1];
    g.in[slot] = input.size(d);
    g.out[slot] = out_shape[d];
    g.before[slot] = pad[2 * j];
    g.after[slot] = pad[2 * j + 1];
  }
  for (int64_t d = 0; d < dim - k; ++d) g.planes *= input.size(d);

  Tensor in_c;
  {
    NoGradGuard no_grad;  // a layout copy for the kernel, not a graph node
    in_c = input.contiguous();
  }
  Tensor out = make_empty(out_shape, input.dtype(), input.device());
  if (out.numel() > 0) backend(input).pad_forward(out, in_c, g, value);
  if (autograd::needs_grad({input})) {
    std::vector<int64_t> in_shape = input.sizes().vec();
    autograd::record({"pad", pad_node_name(mode, k)}, out, {input}, [in_shape, g](const Tensor& grad) -> variable_list {
      Tensor grad_in = make_empty(in_shape, grad.dtype(), grad.device());
      if (grad_in.numel() > 0) backend(grad).pad_backward(grad_in, grad.contiguous(), g);
      return {grad_in};
    });
  }
  return out;
}

void check_pad(const Tensor& input, IntArrayRef pad, PadMode mode) {
  const int64_t k = int64_t(pad.size()) / 2, dim = input.dim();
  const char letters[] = {'D', 'H', 'W'};
  if (mode == PadMode::Constant) {
    for (int64_t j = 0; j < k; ++j) {
      const int64_t d = dim - 1 - j;
      EMBER_CHECK(input.size(d) + pad[2 * j] + pad[2 * j + 1] >= 0, "constant_pad_nd: the input size ", input.size(d),
                  ", plus negative padding ", pad[2 * j], " and ", pad[2 * j + 1],
                  " resulted in a negative output size, which is invalid. Check dimension ", d, " of your input.");
    }
    return;
  }
  EMBER_CHECK(k >= 1 && k <= 3 && (dim == k + 1 || dim == k + 2),
              "Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now");
  if (mode != PadMode::Circular) {
    for (int64_t d = dim == k + 2 ? 1 : 0; d < dim; ++d)
      EMBER_CHECK(input.size(d) != 0, "Expected ", k + 1, "D or ", k + 2,
                  "D (batch mode) tensor with possibly 0 batch size and other non-zero dimensions for input, but got: ",
                  input.sizes());
  }
  for (int64_t j = 0; j < k; ++j) {
    const int64_t d = dim - 1 - j, n = input.size(d), before = pad[2 * j], after = pad[2 * j + 1];
    const int64_t out = n + before + after;
    const char letter = letters[2 - j];
    switch (mode) {
      case PadMode::Reflect:
        EMBER_CHECK(before < n && after < n, "Argument #", 4 + 2 * j,
                    ": Padding size should be less than the corresponding input dimension, but got: padding (", before,
                    ", ", after, ") at dimension ", d, " of input ", input.sizes());
        EMBER_CHECK(out >= 1, "input (", letter, ": ", n, ") is too small. Calculated output ", letter, ": ", out);
        break;
      case PadMode::Replicate:
        EMBER_CHECK(out >= 1, "input (", letter, ": ", n, ") is too small. Calculated output ", letter, ": ", out);
        break;
      case PadMode::Circular:
        EMBER_CHECK(before <= n && after <= n, "Padding value causes wrapping around more than once.");
        // What the negative padding leaves is what wraps: it must not be empty unless the output is.
        EMBER_CHECK(out >= 0 && (out == 0 || n + std::min<int64_t>(before, 0) + std::min<int64_t>(after, 0) > 0),
                    "Negative padding value is resulting in an empty dimension");
        break;
      case PadMode::Constant: break;
    }
  }
}

}  // namespace

namespace nn {
namespace functional {

Tensor pad(const Tensor& input, const PadFuncOptions& options) {
  EMBER_CHECK(input.defined(), "pad: undefined input");
  const std::vector<int64_t>& p = options.pad();
  EMBER_CHECK(p.size() % 2 == 0, "Padding length must be divisible by 2");
  EMBER_CHECK(int64_t(p.size()) <= input.dim() * 2, "Padding length too large");
  const PadMode mode = std::visit(
      [](auto tag) {
        using Tag = decltype(tag);
        if constexpr (std::is_same_v<Tag, enumtype::kReflect>) return PadMode::Reflect;
        if constexpr (std::is_same_v<Tag, enumtype::kReplicate>) return PadMode::Replicate;
        if constexpr (std::is_same_v<Tag, enumtype::kCircular>) return PadMode::Circular;
        return PadMode::Constant;
      },
      options.mode());
  check_pad(input, p, mode);
  const double value = mode == PadMode::Constant ? options.value() : 0.0;
  const int64_t k = int64_t(p.size()) / 2;
  if (k <= 3) return pad_last_dims(input, p, mode, value);

  // Constant mode over more than three dims: the last three, then the others moved last.
  const Tensor inner = pad_last_dims(input, IntArrayRef(p.data(), 6), mode, value);
  const int64_t dim = input.dim();
  // The unpadded dims, the three done, then the remaining padded ones (whose pairs continue the
  // list from the last of them).
  std::vector<int64_t> to_back;
  for (int64_t d = 0; d < dim - k; ++d) to_back.push_back(d);
  for (int64_t d = dim - 3; d < dim; ++d) to_back.push_back(d);
  for (int64_t d = dim - k; d < dim - 3; ++d) to_back.push_back(d);
  std::vector<int64_t> back(dim);
  for (int64_t i = 0; i < dim; ++i) back[to_back[i]] = i;
  const Tensor outer = pad_last_dims(inner.permute(to_back), IntArrayRef(p.data() + 6, p.size() - 6), mode, value);
  return outer.permute(back);
}

}  // namespace functional
}  // namespace nn
}  // namespace ember
