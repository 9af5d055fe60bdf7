// Unfold / Fold (ATen's im2col / col2im), composed from index_select and index_add over the
// flattened, zero-padded planes, so both devices run them on kernels they already have and every
// value is copied or summed exactly. The block positions are one table computed once per call
// (block_positions). Each is one recorded node (Im2ColBackward0, Col2ImBackward0, as LibTorch's)
// whose backward is the other, recorded too, so they can be differentiated to any order.
#include "ember/nn/fold.h"

#include <ostream>
#include <vector>

#include "ember/autograd.h"
#include "ember/functional.h"
#include "ops/common.h"
#include "ops/index_add_rows.h"

namespace ember {
namespace {

/// A sliding-block geometry over (H, W) planes: kernel, dilation, padding, stride, and the block
/// grid (OH, OW), checked in ATen's words.
struct Blocks {
  int64_t h, w, kh, kw, dh, dw, ph, pw, sh, sw, oh, ow;
  int64_t hp() const { return h + 2 * ph; }
  int64_t wp() const { return w + 2 * pw; }
  int64_t kernel() const { return kh * kw; }
  int64_t count() const { return oh * ow; }
};

Blocks make_blocks(const char* op, int64_t h, int64_t w, IntArrayRef kernel_size, IntArrayRef dilation,
                   IntArrayRef padding, IntArrayRef stride) {
  const auto k = expand_pair(kernel_size, op, "kernel_size"), d = expand_pair(dilation, op, "dilation");
  const auto p = expand_pair(padding, op, "padding"), s = expand_pair(stride, op, "stride");
  EMBER_CHECK(k[0] > 0 && k[1] > 0, op, ": kernel size should be greater than zero, but got kernel_height: ", k[0],
              " kernel_width: ", k[1]);
  EMBER_CHECK(d[0] > 0 && d[1] > 0, op, ": dilation should be greater than zero, but got dilation_height: ", d[0],
              " dilation_width: ", d[1]);
  EMBER_CHECK(p[0] >= 0 && p[1] >= 0, op, ": padding should be non-negative, but got pad_height: ", p[0],
              " pad_width: ", p[1]);
  EMBER_CHECK(s[0] > 0 && s[1] > 0, op, ": stride should be greater than zero, but got stride_height: ", s[0],
              " stride_width: ", s[1]);
  Blocks b{h, w, k[0], k[1], d[0], d[1], p[0], p[1], s[0], s[1], 0, 0};
  b.oh = (h + 2 * b.ph - (b.dh * (b.kh - 1) + 1)) / b.sh + 1;
  b.ow = (w + 2 * b.pw - (b.dw * (b.kw - 1) + 1)) / b.sw + 1;
  EMBER_CHECK(h + 2 * b.ph - (b.dh * (b.kh - 1) + 1) >= 0 && w + 2 * b.pw - (b.dw * (b.kw - 1) + 1) >= 0, op,
              ": Given input with spatial size (", h, ", ", w, "), kernel_size=(", b.kh, ", ", b.kw, "), dilation=(",
              b.dh, ", ", b.dw, "), padding=(", b.ph, ", ", b.pw,
              "), calculated shape of the array of sliding blocks as (", b.oh, ", ", b.ow,
              "), but its components must be at least one.");
  return b;
}

/// Row (ki, kj) x column (oi, oj): the flat position in the padded plane that the block's kernel
/// element reads, (kH * kW * L) int64 on `device`.
Tensor block_positions(const Blocks& b, Device device) {
  std::vector<int64_t> pos;
  pos.reserve(size_t(b.kernel() * b.count()));
  for (int64_t ki = 0; ki < b.kh; ++ki)
    for (int64_t kj = 0; kj < b.kw; ++kj)
      for (int64_t oi = 0; oi < b.oh; ++oi)
        for (int64_t oj = 0; oj < b.ow; ++oj) pos.push_back((oi * b.sh + ki * b.dh) * b.wp() + oj * b.sw + kj * b.dw);
  return from_blob(pos.data(), {int64_t(pos.size())}, kLong).to(device).clone();
}

Tensor col2im_batched(const Tensor& cols, const Blocks& b);

/// x (N, C, H, W) -> (N, C * kH * kW, L).
Tensor im2col_batched(const Tensor& x, const Blocks& b) {
  const int64_t n = x.size(0), c = x.size(1);
  Tensor out;
  {
    NoGradGuard no_grad;
    const Tensor padded =
        b.ph == 0 && b.pw == 0 ? x : nn::functional::pad(x, nn::functional::PadFuncOptions({b.pw, b.pw, b.ph, b.ph}));
    out = padded.reshape({n, c, b.hp() * b.wp()})
              .index_select(2, block_positions(b, x.device()))
              .reshape({n, c * b.kernel(), b.count()});
  }
  if (autograd::needs_grad({x}))
    autograd::record({"im2col", "Im2ColBackward0"}, out, {x},
                     [b](const Tensor& g) -> variable_list { return {col2im_batched(g, b)}; });
  return out;
}

/// cols (N, C * kH * kW, L) -> (N, C, H, W): each block's values summed back into place.
Tensor col2im_batched(const Tensor& cols, const Blocks& b) {
  const int64_t n = cols.size(0), c = cols.size(1) / b.kernel();
  Tensor out;
  {
    NoGradGuard no_grad;
    out = index_add_into_zeros({n, c, b.hp() * b.wp()}, 2, block_positions(b, cols.device()),
                               cols.reshape({n, c, b.kernel() * b.count()}))
              .view({n, c, b.hp(), b.wp()})
              .slice(2, b.ph, b.ph + b.h)
              .slice(3, b.pw, b.pw + b.w)
              .contiguous();
  }
  if (autograd::needs_grad({cols}))
    autograd::record({"col2im", "Col2ImBackward0"}, out, {cols},
                     [b](const Tensor& g) -> variable_list { return {im2col_batched(g, b)}; });
  return out;
}

}  // namespace

Tensor im2col(const Tensor& input, IntArrayRef kernel_size, IntArrayRef dilation, IntArrayRef padding,
              IntArrayRef stride) {
  const char* op = "im2col";
  EMBER_CHECK(input.defined(), op, ": undefined input");
  EMBER_CHECK((input.dim() == 3 || input.dim() == 4) && input.size(input.dim() - 3) > 0 &&
                  input.size(input.dim() - 2) > 0 && input.size(input.dim() - 1) > 0,
              op, ": Expected non-empty 3D or 4D input tensor, but got input of size ", input.sizes());
  const Blocks b = make_blocks(op, input.size(-2), input.size(-1), kernel_size, dilation, padding, stride);
  if (input.dim() == 3) return im2col_batched(input.unsqueeze(0), b).squeeze(0);
  return im2col_batched(input, b);
}

Tensor col2im(const Tensor& input, IntArrayRef output_size, IntArrayRef kernel_size, IntArrayRef dilation,
              IntArrayRef padding, IntArrayRef stride) {
  const char* op = "col2im";
  EMBER_CHECK(input.defined(), op, ": undefined input");
  EMBER_CHECK(
      (input.dim() == 2 || input.dim() == 3) && input.size(input.dim() - 2) > 0 && input.size(input.dim() - 1) > 0, op,
      ": Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero ",
      "dimensions for input, but got: ", input.sizes());
  const auto out = expand_pair(output_size, op, "output_size");
  const Blocks b = make_blocks(op, out[0], out[1], kernel_size, dilation, padding, stride);
  const int64_t rows = input.size(-2), cols = input.size(-1);
  EMBER_CHECK(rows % b.kernel() == 0, op,
              ": Expected size of input's dimension 1 to be divisible by the product of kernel_size, but got ",
              "input.size(1)=", rows, " and kernel_size=(", b.kh, ", ", b.kw, ").");
  EMBER_CHECK(cols == b.count(), op, ": Given output_size=(", out[0], ", ", out[1], "), kernel_size=(", b.kh, ", ",
              b.kw, "), dilation=(", b.dh, ", ", b.dw, "), padding=(", b.ph, ", ", b.pw, "), stride=(", b.sh, ", ",
              b.sw, "), expected size of input's dimension 2 to match the calculated number of sliding blocks ", b.oh,
              " * ", b.ow, " = ", b.count(), ", but got input.size(2)=", cols, ".");
  if (input.dim() == 2) return col2im_batched(input.unsqueeze(0), b).squeeze(0);
  return col2im_batched(input, b);
}

namespace nn {
namespace functional {

Tensor unfold(const Tensor& input, const UnfoldFuncOptions& options) {
  EMBER_CHECK(input.defined(), "unfold: undefined input");
  EMBER_CHECK(input.dim() == 4, "unfold: Input Error: Only 4D input Tensors are supported (got ", input.dim(), "D)");
  return ember::im2col(input, options.kernel_size(), options.dilation(), options.padding(), options.stride());
}

Tensor fold(const Tensor& input, const FoldFuncOptions& options) {
  EMBER_CHECK(input.defined(), "fold: undefined input");
  EMBER_CHECK(input.dim() == 2 || input.dim() == 3,
              "fold: Input Error: Only unbatched (2D) or batched (3D) input Tensors are supported (got ", input.dim(),
              "D)");
  return ember::col2im(input, options.output_size(), options.kernel_size(), options.dilation(), options.padding(),
                       options.stride());
}

}  // namespace functional

void UnfoldImpl::pretty_print(std::ostream& stream) const {
  print(stream, {{"kernel_size", options.kernel_size()},
                 {"dilation", options.dilation()},
                 {"padding", options.padding()},
                 {"stride", options.stride()}});
}
Tensor UnfoldImpl::forward(const Tensor& input) { return functional::unfold(input, options); }

void FoldImpl::pretty_print(std::ostream& stream) const {
  print(stream, {{"output_size", options.output_size()},
                 {"kernel_size", options.kernel_size()},
                 {"dilation", options.dilation()},
                 {"padding", options.padding()},
                 {"stride", options.stride()}});
}
Tensor FoldImpl::forward(const Tensor& input) { return functional::fold(input, options); }

}  // namespace nn
}  // namespace ember
