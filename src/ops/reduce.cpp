// Reductions: sum, mean, max/min (values and indices), argmax/argmin. The front half brings the
// reduced dims together as the middle of a contiguous (outer, k, inner) layout, then calls one
// backend entry.
#include <algorithm>
#include <limits>
#include <numeric>

#include "common.h"

namespace ember {
namespace {

using autograd::record;
using autograd::save;

struct Plan {
  Tensor in;  // contiguous, viewed as (outer, k, inner)
  int64_t outer = 1, k = 1, inner = 1;
  std::vector<int64_t> out_sizes;   // with keepdim applied
  std::vector<int64_t> keep_sizes;  // the keepdim=true shape (for backward)
};

/// The layout of a reduction. With `reduced_out`, the reduced dims are returned, and a
/// contiguous input whose reduced dims form several blocks is left to the caller (p.in undefined).
Plan plan(const Tensor& x, IntArrayRef dims_in, bool keepdim, const char* op,
          std::vector<int64_t>* reduced_out = nullptr) {
  std::vector<bool> red(size_t(x.dim()), dims_in.empty());
  for (int64_t d : dims_in) {
    int64_t w = wrap_dim(d, x.dim(), op);
    if (x.dim() == 0) continue;
    EMBER_CHECK(!red[size_t(w)] || dims_in.empty(), op, ": dim ", w, " appears multiple times in the list of dims ",
                dims_in);
    red[size_t(w)] = true;
  }
  Plan p;
  std::vector<int64_t> kept, reduced;
  for (int64_t i = 0; i < x.dim(); ++i) {
    (red[size_t(i)] ? reduced : kept).push_back(i);
    p.keep_sizes.push_back(red[size_t(i)] ? 1 : x.size(i));
    if (!red[size_t(i)] || keepdim) p.out_sizes.push_back(red[size_t(i)] ? 1 : x.size(i));
  }
  for (int64_t d : reduced) p.k *= x.size(d);
  if (reduced_out) *reduced_out = reduced;
  // When the reduced dims form one block of a contiguous tensor, no copy is needed.
  bool block = !reduced.empty() && reduced.back() - reduced.front() + 1 == int64_t(reduced.size());
  if (x.is_contiguous() && (block || reduced.empty())) {
    p.in = x;
    if (!reduced.empty()) {
      for (int64_t i = 0; i < reduced.front(); ++i) p.outer *= x.size(i);
      for (int64_t i = reduced.back() + 1; i < x.dim(); ++i) p.inner *= x.size(i);
    } else {
      p.outer = x.numel();
    }
  } else if (reduced_out && x.is_contiguous()) {
    // Several blocks of a contiguous tensor: the caller reduces them one by one (p.in stays
    // undefined), which needs no copy.
  } else {
    std::vector<int64_t> perm = kept;
    perm.insert(perm.end(), reduced.begin(), reduced.end());
    NoGradGuard g;
    p.in = x.permute(perm).contiguous();
    for (int64_t d : kept) p.outer *= x.size(d);
  }
  return p;
}

/// The guards of Backend::reduce, here once for both backends: the output has the input's dtype,
/// max/min need a non-empty dim, sum/mean never see bool, and the empty sum (0) and empty mean
/// (0/0) are filled here, so a backend only ever reduces k >= 1 elements.
Tensor run(ReduceOp op, const Plan& p, ScalarType dt, const Tensor& indices = Tensor()) {
  if (kernel_dtype(dt) != dt) {  // a narrow integer: reduced in int64, stored back (modular, as LibTorch)
    Plan wide = p;
    wide.in = p.in.to(kernel_dtype(dt));
    return run(op, wide, kernel_dtype(dt), indices).to(dt);
  }
  Tensor out = make_empty(p.out_sizes, dt, p.in.device());
  EMBER_CHECK(dt == p.in.dtype(), "reduce: the output is ", dt, " but the input is ", p.in.dtype(),
              " (the front half should cast first)");
  if (p.outer * p.inner == 0) return out;
  if (op == ReduceOp::Max || op == ReduceOp::Min) {
    EMBER_CHECK(p.k > 0, "reduce: max/min over an empty dimension has no identity (k = 0)");
  } else {
    EMBER_CHECK(dt != kBool, "reduce: sum/mean of a bool tensor (the front half should cast it to int64 first)");
    if (p.k == 0) {
      const bool nan = op == ReduceOp::Mean && is_floating_point(dt);
      backend(out).fill(out, nan ? Scalar(std::numeric_limits<double>::quiet_NaN()) : Scalar(0));
      return out;
    }
  }
  backend(p.in).reduce(op, out, indices, p.in, p.outer, p.k, p.inner);
  return out;
}

Tensor sum_impl(const Tensor& x, IntArrayRef dims, bool keepdim, std::optional<ScalarType> dtype, bool mean) {
  const char* op = mean ? "mean" : "sum";
  EMBER_CHECK(x.defined(), op, ": got an undefined tensor");
  ScalarType dt = dtype ? *dtype : (x.is_floating_point() ? x.dtype() : kLong);
  EMBER_CHECK(!mean || is_floating_point(dt),
              "mean: could not infer output dtype. Input dtype must be "
              "floating point, got ",
              describe(x), " (pass dtype=kFloat or convert with .to(kFloat))");
  Tensor xin = x.dtype() == dt ? x : x.to(dt);
  std::vector<int64_t> reduced;
  Plan p = plan(xin, dims, keepdim, op, &reduced);
  Tensor out;
  if (p.in.defined()) {
    out = run(mean ? ReduceOp::Mean : ReduceOp::Sum, p, dt);
  } else {
    // The reduced dims of a contiguous tensor form several blocks (a conv bias gradient sums
    // (N, C, H, W) over 0, 2, 3): reduce block by block from the innermost, each pass in place
    // in memory order, instead of permuting a full copy first.
    NoGradGuard no_grad;
    Tensor cur = xin;
    for (size_t end = reduced.size(); end > 0;) {
      size_t begin = end - 1;
      while (begin > 0 && reduced[begin - 1] == reduced[begin] - 1) --begin;
      std::vector<int64_t> block(reduced.begin() + begin, reduced.begin() + end);
      cur = run(ReduceOp::Sum, plan(cur, block, true, op), dt);
      end = begin;
    }
    if (mean) cur = cur * (1.0 / double(std::max<int64_t>(p.k, 1)));
    out = cur.reshape(p.out_sizes);
  }
  if (autograd::needs_grad({x}) && is_floating_point(dt)) {
    std::vector<int64_t> in_sizes = x.sizes().vec(), keep = p.keep_sizes;
    double scale = mean ? 1.0 / double(std::max<int64_t>(p.k, 1)) : 1.0;
    ScalarType xt = x.dtype();
    // LibTorch numbers the overloads: sum() is SumBackward0, sum(dim) SumBackward1.
    const char* node =
        dims.empty() ? (mean ? "MeanBackward0" : "SumBackward0") : (mean ? "MeanBackward1" : "SumBackward1");
    record({op, node}, out, {x}, [=](const Tensor& g) -> variable_list {
      Tensor r = g.reshape(keep).expand(in_sizes);
      if (scale != 1.0) r = r * scale;
      return {r.dtype() == xt ? r : r.to(xt)};
    });
  }
  return out;
}

std::tuple<Tensor, Tensor> minmax_dim(const Tensor& x, int64_t dim, bool keepdim, bool is_max) {
  const char* op = is_max ? "max" : "min";
  EMBER_CHECK(x.defined(), op, ": got an undefined tensor");
  int64_t d = wrap_dim(dim, x.dim(), op);
  EMBER_CHECK(x.dim() == 0 || x.size(d) > 0, op, ": cannot reduce over dimension ", d, " of size 0 (shape ", x.sizes(),
              "): the operation has no identity");
  Plan p = plan(x, {d}, keepdim, op);
  Tensor idx = make_empty(p.out_sizes, kLong, x.device());
  Tensor vals = run(is_max ? ReduceOp::Max : ReduceOp::Min, p, x.dtype(), idx);
  if (autograd::needs_grad({x})) {
    std::vector<int64_t> in_sizes = x.sizes().vec(), keep = p.keep_sizes;
    auto si = save(idx, op);
    int64_t k = x.dim() == 0 ? 1 : x.size(d);
    record({op, is_max ? "MaxBackward0" : "MinBackward0"}, vals, {x}, [=](const Tensor& g) -> variable_list {
      // One-hot of the chosen index along d, times the gradient.
      std::vector<int64_t> pos_shape(in_sizes.size(), 1);
      if (!pos_shape.empty()) pos_shape[size_t(d)] = k;
      Tensor pos = arange(k, TensorOptions(kLong).device(g.device())).reshape(pos_shape);
      Tensor hit = pos == si.get().reshape(keep);
      return {where(hit, g.reshape(keep).expand(in_sizes), zeros({}, g.options()))};
    });
  }
  return {vals, idx};
}

Tensor minmax_all(const Tensor& x, bool is_max) {
  const char* op = is_max ? "max" : "min";
  EMBER_CHECK(x.defined(), op, ": got an undefined tensor");
  EMBER_CHECK(x.numel() > 0, op,
              "(): expected a non-empty tensor (reduction over all elements of an "
              "empty tensor has no identity), got ",
              describe(x));
  Plan p = plan(x, {}, false, op);
  Tensor out = run(is_max ? ReduceOp::Max : ReduceOp::Min, p, x.dtype());
  if (autograd::needs_grad({x})) {
    auto sx = save(x, op), so = save(out, op);
    record({op, is_max ? "MaxBackward1" : "MinBackward1"}, out, {x}, [=](const Tensor& g) -> variable_list {
      // Ties share the gradient evenly, as PyTorch's max() does.
      Tensor hit = (sx.get() == so.get()).to(g.dtype());
      return {hit * (g / hit.sum())};
    });
  }
  return out;
}

Tensor arg_impl(const Tensor& x, std::optional<int64_t> dim, bool keepdim, bool is_max) {
  const char* op = is_max ? "argmax" : "argmin";
  if (!dim) {
    EMBER_CHECK(x.numel() > 0, op, ": expected a non-empty tensor, got ", describe(x));
    Tensor flat = x.reshape({-1});
    Tensor r = std::get<1>(minmax_dim(flat.detach(), 0, false, is_max));
    if (keepdim) r = r.reshape(std::vector<int64_t>(size_t(x.dim()), 1));
    return r;
  }
  return std::get<1>(minmax_dim(x.detach(), *dim, keepdim, is_max));
}

}  // namespace

Tensor sum(const Tensor& x, std::optional<ScalarType> dt) { return sum_impl(x, {}, false, dt, false); }
Tensor sum(const Tensor& x, IntArrayRef dim, bool keepdim, std::optional<ScalarType> dt) {
  return sum_impl(x, dim, keepdim, dt, false);
}
Tensor mean(const Tensor& x, std::optional<ScalarType> dt) { return sum_impl(x, {}, false, dt, true); }
Tensor mean(const Tensor& x, IntArrayRef dim, bool keepdim, std::optional<ScalarType> dt) {
  return sum_impl(x, dim, keepdim, dt, true);
}
Tensor max(const Tensor& x) { return minmax_all(x, true); }
Tensor min(const Tensor& x) { return minmax_all(x, false); }
std::tuple<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim) { return minmax_dim(x, dim, keepdim, true); }
std::tuple<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim) {
  return minmax_dim(x, dim, keepdim, false);
}
Tensor argmax(const Tensor& x, std::optional<int64_t> dim, bool keepdim) { return arg_impl(x, dim, keepdim, true); }
Tensor argmin(const Tensor& x, std::optional<int64_t> dim, bool keepdim) { return arg_impl(x, dim, keepdim, false); }

Tensor Tensor::sum(std::optional<ScalarType> dt) const { return ember::sum(*this, dt); }
Tensor Tensor::sum(IntArrayRef dim, bool keepdim, std::optional<ScalarType> dt) const {
  return ember::sum(*this, dim, keepdim, dt);
}
Tensor Tensor::mean(std::optional<ScalarType> dt) const { return ember::mean(*this, dt); }
Tensor Tensor::mean(IntArrayRef dim, bool keepdim, std::optional<ScalarType> dt) const {
  return ember::mean(*this, dim, keepdim, dt);
}
Tensor Tensor::max() const { return ember::max(*this); }
Tensor Tensor::min() const { return ember::min(*this); }
std::tuple<Tensor, Tensor> Tensor::max(int64_t dim, bool keepdim) const { return ember::max(*this, dim, keepdim); }
std::tuple<Tensor, Tensor> Tensor::min(int64_t dim, bool keepdim) const { return ember::min(*this, dim, keepdim); }
Tensor Tensor::argmax(std::optional<int64_t> dim, bool keepdim) const { return ember::argmax(*this, dim, keepdim); }
Tensor Tensor::argmin(std::optional<int64_t> dim, bool keepdim) const { return ember::argmin(*this, dim, keepdim); }

}  // namespace ember
