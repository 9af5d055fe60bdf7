// The 3-D pools, composed from ops both backends already have, with PyTorch's checks and
// output-size rule (pool_size.h):
//  - average pooling (plain and adaptive) is linear and separable: each output element averages
//    a box whose divisor is a product of one factor per axis (ATen's rule, ceil_mode,
//    count_include_pad and divisor_override included). So it is three small matrix products,
//    one per axis, and its backward the transposed products;
//  - max pooling (plain and adaptive) runs the 2-D max pool over every (height, width) plane,
//    then takes the maximum over each depth window with LibTorch's rule (a strictly greater value
//    or a NaN replaces the maximum, so the first maximum wins in (d, h, w) order); the backward
//    scatters the gradient to the saved indices.
// Each records one node with LibTorch's name; its backward is made of recorded ops, so a
// create_graph backward can differentiate it again.
#include <array>
#include <cmath>
#include <limits>
#include <type_traits>

#include "common.h"
#include "depth_taps.h"
#include "ember/nn/functional/conv_pool3d.h"
#include "index_add_rows.h"
#include "pool_size.h"

namespace ember {
namespace {

using Triple = std::array<int64_t, 3>;

void check_pool3d_input(const char* op, const Tensor& input) {
  EMBER_CHECK(input.defined(), op, ": undefined input");
  EMBER_CHECK(input.dim() == 4 || input.dim() == 5, op,
              ": Expected 4D or 5D tensor for input, but got: ", describe(input));
  check_floating(op, input);
  for (int64_t d = input.dim() - 4; d < input.dim(); ++d)
    EMBER_CHECK(input.size(d) > 0, op, ": Expected input's non-batch dimensions to have positive length, but input ",
                "has a shape of ", input.sizes());
}

Triple expand3(IntArrayRef v, const char* op, const char* arg) {
  EMBER_CHECK(v.size() == 1 || v.size() == 3, op, ": ", arg,
              " must either be a single int, or a tuple of three ints, got ", v);
  return v.size() == 1 ? Triple{v[0], v[0], v[0]} : Triple{v[0], v[1], v[2]};
}

std::string triple_str(const Triple& v) { return detail::str("(", v[0], ", ", v[1], ", ", v[2], ")"); }

/// The window checks every 3-D pool shares (dilation 1 for average pooling).
void check_window(const char* op, const Triple& k, const Triple& s, const Triple& pad, const Triple& dil) {
  for (size_t i = 0; i < 3; ++i) {
    EMBER_CHECK(k[i] > 0, op, ": kernel size should be greater than zero, but got kernel_size ", triple_str(k));
    EMBER_CHECK(s[i] > 0, op, ": stride should be greater than zero, but got stride ", triple_str(s));
    EMBER_CHECK(dil[i] > 0, op, ": dilation should be greater than zero, but got dilation ", triple_str(dil));
    EMBER_CHECK(pad[i] >= 0 && pad[i] <= k[i] / 2, op, ": pad should be smaller than or equal to half of kernel ",
                "size, but got padding ", triple_str(pad), " and kernel_size ", triple_str(k));
  }
}

/// The output size (D', H', W') of a window pool over x's last three dims, checked non-empty.
Triple pool_output(const char* op, const Tensor& x, const Triple& k, const Triple& s, const Triple& pad,
                   const Triple& dil, bool ceil_mode) {
  Triple o{};
  const int64_t c = x.size(x.dim() - 4);
  const Triple in{x.size(x.dim() - 3), x.size(x.dim() - 2), x.size(x.dim() - 1)};
  for (size_t i = 0; i < 3; ++i) o[i] = pool_out_size(in[i], k[i], pad[i], s[i], dil[i], ceil_mode);
  EMBER_CHECK(o[0] >= 1 && o[1] >= 1 && o[2] >= 1, op, ": Given input size: (", c, "x", in[0], "x", in[1], "x", in[2],
              "). Calculated output size: (", c, "x", o[0], "x", o[1], "x", o[2], "). Output size is too small");
  return o;
}

// --- separable average pools --------------------------------------------------------------------

/// One axis's averaging matrix (out, in): row o holds the weights of output o's window.
using AxisWeights = std::vector<std::vector<double>>;

/// x (any shape) multiplied along `dim` by m (out, in): the dim's length becomes out.
Tensor along(const Tensor& x, int64_t dim, const Tensor& m) {
  Tensor moved = x.transpose(dim, -1);
  std::vector<int64_t> shape = moved.sizes().vec();
  shape.back() = m.size(0);
  return moved.reshape({-1, m.size(1)}).mm(m.t()).reshape(shape).transpose(dim, -1);
}

/// The matrices of the three spatial axes, in x's dtype, on its device.
std::array<Tensor, 3> to_matrices(const std::array<AxisWeights, 3>& w, const Tensor& like) {
  std::array<Tensor, 3> m;
  for (size_t a = 0; a < 3; ++a) {
    const int64_t rows = int64_t(w[a].size()), cols = rows > 0 ? int64_t(w[a][0].size()) : 0;
    std::vector<double> flat;
    for (const auto& r : w[a]) flat.insert(flat.end(), r.begin(), r.end());
    m[a] = from_blob(flat.data(), {rows, cols}, kDouble).to(like.device(), like.dtype()).clone();
  }
  return m;
}

/// The separable linear pool out = x x_D m[0] x_H m[1] x_W m[2] of a batched x, recorded as
/// `name`; its backward applies the transposed matrices.
Tensor separable_pool(autograd::NodeName name, const Tensor& x, const std::array<AxisWeights, 3>& weights) {
  const std::array<Tensor, 3> m = to_matrices(weights, x);
  Tensor out;
  {
    NoGradGuard no_grad;
    out = along(along(along(x, 4, m[2]), 3, m[1]), 2, m[0]).contiguous();
  }
  if (autograd::needs_grad({x})) {
    autograd::record(name, out, {x}, [m](const Tensor& g) -> variable_list {
      return {along(along(along(g, 4, m[2].t()), 3, m[1].t()), 2, m[0].t())};
    });
  }
  return out;
}

/// ATen's avg_pool3d window along one axis: [o*s - p, min(o*s - p + k, in + p)) clipped to the
/// input; the divisor's factor is the unclipped length (count_include_pad) or the clipped one,
/// or 1 with divisor_override (which divides the product instead).
AxisWeights avg_axis(int64_t in, int64_t out, int64_t k, int64_t s, int64_t p, bool count_include_pad,
                     bool overridden) {
  AxisWeights w(size_t(out), std::vector<double>(size_t(in), 0.0));
  for (int64_t o = 0; o < out; ++o) {
    const int64_t start = o * s - p, end = std::min(start + k, in + p);
    const int64_t lo = std::max<int64_t>(start, 0), hi = std::min(end, in);
    if (lo >= hi) continue;  // a window of padding only averages to 0
    const double factor = overridden ? 1.0 : double(count_include_pad ? end - start : hi - lo);
    for (int64_t i = lo; i < hi; ++i) w[size_t(o)][size_t(i)] = 1.0 / factor;
  }
  return w;
}

/// Adaptive pooling's window of output o along an axis of `in` into `out`:
/// [floor(o * in / out), ceil((o + 1) * in / out)).
std::pair<int64_t, int64_t> adaptive_window(int64_t o, int64_t in, int64_t out) {
  return {(o * in) / out, ((o + 1) * in + out - 1) / out};
}

AxisWeights adaptive_axis(int64_t in, int64_t out) {
  AxisWeights w(size_t(out), std::vector<double>(size_t(in), 0.0));
  for (int64_t o = 0; o < out; ++o) {
    const auto [lo, hi] = adaptive_window(o, in, out);
    for (int64_t i = lo; i < hi; ++i) w[size_t(o)][size_t(i)] = 1.0 / double(hi - lo);
  }
  return w;
}

// --- max pools ------------------------------------------------------------------------------------

/// Folds input planes first, first + step, ... of the 2-D pooled values v2 / indices i2
/// (N, C, D, H', W'; indices within each plane) into output planes [lo, lo + count) of the running
/// maximum best / its flat volume index at: LibTorch's rule, a strictly greater value or a NaN
/// replaces the maximum.
void fold_max(const Tensor& best, const Tensor& at, const Tensor& v2, const Tensor& i2, int64_t plane, int64_t lo,
              int64_t count, int64_t first, int64_t step) {
  const Tensor vs = v2.slice(2, first, first + (count - 1) * step + 1, step);
  const Tensor ids = arange(first, first + (count - 1) * step + 1, step, TensorOptions(kLong).device(v2.device()));
  const Tensor is = i2.slice(2, first, first + (count - 1) * step + 1, step) + ids.view({1, 1, count, 1, 1}) * plane;
  const Tensor cur = best.narrow(2, lo, count), cur_at = at.narrow(2, lo, count);
  const Tensor take = (vs > cur).logical_or(vs.isnan());
  cur.copy_(where(take, vs, cur));
  cur_at.copy_(where(take, is, cur_at));
}

/// The running maximum's start: -inf and index -1 (no element yet).
std::pair<Tensor, Tensor> max_start(const Tensor& x, const Triple& o) {
  const std::vector<int64_t> shape{x.size(0), x.size(1), o[0], o[1], o[2]};
  return {full(shape, -std::numeric_limits<double>::infinity(), x.options()),
          full(shape, -1, TensorOptions(kLong).device(x.device()))};
}

/// The input gradient of a max pool: g added at the saved flat volume indices, over the
/// flattened input (index_add_rows.h: deterministic where overlapping windows send one input
/// several gradients).
Tensor scatter_to_indices(const Tensor& g, const Tensor& indices, const std::vector<int64_t>& in_shape) {
  const int64_t planes = in_shape[0] * in_shape[1], volume = in_shape[2] * in_shape[3] * in_shape[4];
  const Tensor found = indices >= 0;  // a window of padding only has no maximum
  const Tensor plane_start =
      arange(planes, TensorOptions(kLong).device(g.device())).view({in_shape[0], in_shape[1], 1, 1, 1}) * volume;
  const Tensor flat = (indices.clamp_min(0) + plane_start).reshape({-1});
  return index_add_into_zeros({planes * volume}, 0, flat, where(found, g, zeros_like(g)).reshape({-1})).view(in_shape);
}

/// Records a max pool's node: its backward scatters to the indices (a recorded scatter_add).
void record_max_pool(autograd::NodeName name, const Tensor& out, const Tensor& x, const Tensor& indices) {
  if (!autograd::needs_grad({x})) return;
  const std::vector<int64_t> in_shape = x.sizes().vec();
  autograd::record(name, out, {x}, [indices, in_shape](const Tensor& g) -> variable_list {
    return {scatter_to_indices(g, indices, in_shape)};
  });
}

std::tuple<Tensor, Tensor> max_pool3d_batched(const Tensor& x, const Triple& k, const Triple& s, const Triple& pad,
                                              const Triple& dil, bool ceil_mode) {
  const Triple o = pool_output("max_pool3d", x, k, s, pad, dil, ceil_mode);
  const int64_t n = x.size(0), c = x.size(1), depth = x.size(2), h = x.size(3), w = x.size(4);
  auto [best, at] = max_start(x, o);
  if (n > 0) {
    NoGradGuard no_grad;
    auto [v2, i2] = max_pool2d_with_indices(x.reshape({n, c * depth, h, w}), {k[1], k[2]}, {s[1], s[2]},
                                            {pad[1], pad[2]}, {dil[1], dil[2]}, ceil_mode);
    v2 = v2.view({n, c, depth, o[1], o[2]});
    i2 = i2.view({n, c, depth, o[1], o[2]});
    for (int64_t kd = 0; kd < k[0]; ++kd) {
      const DepthTap t = depth_tap(kd, depth, o[0], s[0], pad[0], dil[0]);
      if (t.count() > 0) fold_max(best, at, v2, i2, h * w, t.lo, t.count(), t.first, s[0]);
    }
  }
  record_max_pool({"max_pool3d", "MaxPool3DWithIndicesBackward0"}, best, x, at);
  return {best, at};
}

}  // namespace

std::tuple<Tensor, Tensor> max_pool3d_with_indices(const Tensor& input, IntArrayRef kernel_size, IntArrayRef stride,
                                                   IntArrayRef padding, IntArrayRef dilation, bool ceil_mode) {
  const char* op = "max_pool3d";
  check_pool3d_input(op, input);
  const Triple k = expand3(kernel_size, op, "kernel_size");
  const Triple s = stride.empty() ? k : expand3(stride, op, "stride");
  const Triple pad = expand3(padding, op, "padding"), dil = expand3(dilation, op, "dilation");
  check_window(op, k, s, pad, dil);
  return with_batch(input, 5, [&](const Tensor& x) { return max_pool3d_batched(x, k, s, pad, dil, ceil_mode); });
}

Tensor max_pool3d(const Tensor& input, IntArrayRef kernel_size, IntArrayRef stride, IntArrayRef padding,
                  IntArrayRef dilation, bool ceil_mode) {
  return std::get<0>(max_pool3d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode));
}

Tensor avg_pool3d(const Tensor& input, IntArrayRef kernel_size, IntArrayRef stride, IntArrayRef padding, bool ceil_mode,
                  bool count_include_pad, std::optional<int64_t> divisor_override) {
  const char* op = "avg_pool3d";
  check_pool3d_input(op, input);
  const Triple k = expand3(kernel_size, op, "kernel_size");
  const Triple s = stride.empty() ? k : expand3(stride, op, "stride");
  const Triple pad = expand3(padding, op, "padding");
  check_window(op, k, s, pad, {1, 1, 1});
  EMBER_CHECK(!divisor_override || *divisor_override != 0, op, ": divisor must be not zero");
  const Triple o = pool_output(op, input, k, s, pad, {1, 1, 1}, ceil_mode);
  std::array<AxisWeights, 3> w;
  for (size_t a = 0; a < 3; ++a)
    w[a] = avg_axis(input.size(input.dim() - 3 + int64_t(a)), o[a], k[a], s[a], pad[a], count_include_pad,
                    divisor_override.has_value());
  if (divisor_override)
    for (auto& row : w[0])
      for (double& v : row) v /= double(*divisor_override);
  return with_batch(input, 5, [&](const Tensor& x) { return separable_pool({op, "AvgPool3DBackward0"}, x, w); });
}

Tensor adaptive_avg_pool3d(const Tensor& input, IntArrayRef output_size) {
  const char* op = "adaptive_avg_pool3d";
  check_pool3d_input(op, input);
  EMBER_CHECK(output_size.size() == 3, op, ": output_size must be 3, got ", output_size);
  const Triple o{output_size[0], output_size[1], output_size[2]};
  EMBER_CHECK(o[0] >= 0 && o[1] >= 0 && o[2] >= 0, op, ": output_size must not be negative, got ", output_size);
  // As ATen: a global average is a mean (MeanBackward1).
  if (o[0] == 1 && o[1] == 1 && o[2] == 1) return input.mean({-3, -2, -1}, /*keepdim=*/true);
  std::array<AxisWeights, 3> w;
  for (size_t a = 0; a < 3; ++a) w[a] = adaptive_axis(input.size(input.dim() - 3 + int64_t(a)), o[a]);
  return with_batch(input, 5, [&](const Tensor& x) {
    return separable_pool({op, "AdaptiveAvgPool3DBackward0"}, x, w);
  });
}

std::tuple<Tensor, Tensor> adaptive_max_pool3d(const Tensor& input, IntArrayRef output_size) {
  const char* op = "adaptive_max_pool3d";
  check_pool3d_input(op, input);
  EMBER_CHECK(output_size.size() == 3, op, ": output_size must be 3, got ", output_size);
  const Triple o{output_size[0], output_size[1], output_size[2]};
  EMBER_CHECK(o[0] >= 0 && o[1] >= 0 && o[2] >= 0, op, ": output_size must not be negative, got ", output_size);
  return with_batch(input, 5, [&](const Tensor& x) -> std::tuple<Tensor, Tensor> {
    const int64_t n = x.size(0), c = x.size(1), depth = x.size(2), h = x.size(3), w = x.size(4);
    auto [best, at] = max_start(x, o);
    if (best.numel() > 0) {
      NoGradGuard no_grad;
      auto [v2, i2] = adaptive_max_pool2d(x.reshape({n, c * depth, h, w}), {o[1], o[2]});
      v2 = v2.view({n, c, depth, o[1], o[2]});
      i2 = i2.view({n, c, depth, o[1], o[2]});
      for (int64_t od = 0; od < o[0]; ++od) {
        const auto [lo, hi] = adaptive_window(od, depth, o[0]);
        for (int64_t d = lo; d < hi; ++d) fold_max(best, at, v2, i2, h * w, od, 1, d, 1);
      }
    }
    record_max_pool({op, "AdaptiveMaxPool3DBackward0"}, best, x, at);
    return {best, at};
  });
}

}  // namespace ember
