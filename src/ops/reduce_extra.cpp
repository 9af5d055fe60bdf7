// Reductions built from sum, max, min and the pointwise ops, so they run on every backend: all,
// any, prod, cumsum, cumprod, std, var, logsumexp and norm. prod and the cumulative ops combine
// neighbours in log2(n) whole-tensor steps (a pairwise tree and a Hillis-Steele scan) rather
// than one element at a time; on the CPU the cumulative ops have a one-pass kernel (cpu/scan.h).
#include <algorithm>
#include <cmath>
#include <limits>

#include "../cpu/scan.h"
#include "common.h"
#include "ember/tensor_ops.h"

namespace ember {
namespace {

/// The dims a reduction covers: all of them for an empty list, wrapped and deduplicated else.
std::vector<int64_t> reduced_dims(const Tensor& x, IntArrayRef dims, const char* op) {
  std::vector<bool> seen(size_t(std::max<int64_t>(x.dim(), 1)), false);
  std::vector<int64_t> out;
  if (dims.empty()) {
    for (int64_t d = 0; d < x.dim(); ++d) out.push_back(d);
    return out;
  }
  for (int64_t d : dims) {
    const int64_t w = wrap_dim(d, x.dim(), op);
    EMBER_CHECK(!seen[size_t(w)], op, ": dim ", w, " appears multiple times in the list of dims");
    seen[size_t(w)] = true;
    out.push_back(w);
  }
  return out;
}

/// The result of a keepdim reduction, squeezed unless keepdim.
Tensor finish(const Tensor& kept, const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  if (keepdim || x.dim() == 0) return kept;
  std::vector<int64_t> s;
  for (int64_t d = 0; d < x.dim(); ++d)
    if (std::find(dims.begin(), dims.end(), d) == dims.end()) s.push_back(x.size(d));
  return kept.reshape(s);
}

/// Max (or min) over several dims, keeping them.
Tensor extreme(const Tensor& x, const std::vector<int64_t>& dims, bool is_max) {
  Tensor r = x;
  for (int64_t d : dims) r = std::get<0>(is_max ? r.max(d, true) : r.min(d, true));
  return r;
}

/// The dtype prod, cumsum and cumprod compute in: the requested one, else int64 for integers
/// and bool (LibTorch's rule), else x's own.
ScalarType accumulate_type(const Tensor& x, std::optional<ScalarType> dtype) {
  if (dtype) return *dtype;
  return x.is_floating_point() ? x.dtype() : kLong;
}

/// The inclusive scan of x along d with a + b or a * b: step s adds (multiplies) each element
/// by the one s before it, s = 1, 2, 4, ...; log2(n) steps, each one recorded op.
Tensor scan(const Tensor& x, int64_t d, bool product) {
  Tensor t = x;
  const int64_t n = x.size(d);
  for (int64_t s = 1; s < n; s *= 2) {
    Tensor head = t.narrow(d, 0, s), tail = t.narrow(d, s, n - s), before = t.narrow(d, 0, n - s);
    t = cat({head, product ? tail * before : tail + before}, d);
  }
  return t;
}

/// The same scan without autograd, from the start or (reverse) from the end: the CPU kernel in
/// one pass where it has the dtype, else the composition.
Tensor scan_values(const Tensor& t, int64_t d, bool product, bool reverse) {
  NoGradGuard no_grad;
  if (!t.is_cpu() || !cpu::scan_supports(t.dtype())) {
    const Tensor r = reverse ? flip(scan(flip(t, {d}), d, product), {d}) : scan(t, d, product);
    return r.is_same(t) ? t.clone() : r;  // a new tensor, as the kernel's
  }
  int64_t outer = 1, inner = 1;
  for (int64_t k = 0; k < d; ++k) outer *= t.size(k);
  for (int64_t k = d + 1; k < t.dim(); ++k) inner *= t.size(k);
  Tensor out = make_empty(t.sizes(), t.dtype(), t.device());
  cpu::scan(out, t.contiguous(), outer, t.size(d), inner, product, reverse);
  return out;
}

void check_floating_std(const char* op, const Tensor& x) {
  check_defined(op, x);
  EMBER_CHECK(x.is_floating_point(), op, ": std and var only support floating point and complex dtypes (got ",
              describe(x), ")");
}

Tensor variance(const char* op, const Tensor& x, IntArrayRef dim, int64_t correction, bool keepdim) {
  check_floating_std(op, x);
  std::vector<int64_t> dims = reduced_dims(x, dim, op);
  int64_t n = 1;
  for (int64_t d : dims) n *= x.size(d);
  Tensor dev = x - x.mean(dims, true);
  Tensor sq = (dev * dev).sum(dims, keepdim);
  // N - correction <= 0 divides by zero: inf or NaN, as PyTorch.
  return sq / double(std::max<int64_t>(0, n - correction));
}

}  // namespace

Tensor all(const Tensor& x) {
  check_defined("all", x);
  NoGradGuard no_grad;
  return (x == 0).sum() == 0;
}
Tensor all(const Tensor& x, int64_t dim, bool keepdim) {
  check_defined("all", x);
  NoGradGuard no_grad;
  return (x == 0).sum({wrap_dim(dim, x.dim(), "all")}, keepdim) == 0;
}
Tensor any(const Tensor& x) {
  check_defined("any", x);
  NoGradGuard no_grad;
  return (x != 0).sum() > 0;
}
Tensor any(const Tensor& x, int64_t dim, bool keepdim) {
  check_defined("any", x);
  NoGradGuard no_grad;
  return (x != 0).sum({wrap_dim(dim, x.dim(), "any")}, keepdim) > 0;
}

Tensor prod(const Tensor& x, int64_t dim, bool keepdim, std::optional<ScalarType> dtype) {
  check_defined("prod", x);
  const int64_t d = wrap_dim(dim, x.dim(), "prod");
  Tensor t = x.to(accumulate_type(x, dtype));
  if (t.dim() == 0) return t.is_same(x) ? t.clone() : t;
  if (t.size(d) == 0) {
    std::vector<int64_t> s = t.sizes().vec();
    s[size_t(d)] = 1;
    Tensor one = ones(s, t.options());
    return keepdim ? one : one.squeeze(d);
  }
  // A pairwise tree: the first half times the second, an odd last element carried along.
  while (t.size(d) > 1) {
    const int64_t n = t.size(d), h = n / 2;
    Tensor p = t.narrow(d, 0, h) * t.narrow(d, h, h);
    t = n % 2 ? cat({p, t.narrow(d, 2 * h, 1)}, d) : p;
  }
  if (t.is_same(x)) t = x.clone();
  return keepdim ? t : t.squeeze(d);
}
Tensor prod(const Tensor& x, std::optional<ScalarType> dtype) {
  check_defined("prod", x);
  return prod(x.reshape({-1}), 0, false, dtype);
}

Tensor cumsum(const Tensor& x, int64_t dim, std::optional<ScalarType> dtype) {
  check_defined("cumsum", x);
  const int64_t d = wrap_dim(dim, x.dim(), "cumsum");
  Tensor t = x.to(accumulate_type(x, dtype));
  if (t.dim() == 0) return t.is_same(x) ? t.clone() : t;
  Tensor out = scan_values(t, d, false, false);
  if (autograd::needs_grad({t})) {
    // d/dx_j sum_{i <= k} x_i: the gradient summed from the end, a reversed scan.
    autograd::record("cumsum", out, {t},
                     [d](const Tensor& g) -> variable_list { return {scan_values(g, d, false, true)}; });
  }
  return out;
}
Tensor cumprod(const Tensor& x, int64_t dim, std::optional<ScalarType> dtype) {
  check_defined("cumprod", x);
  const int64_t d = wrap_dim(dim, x.dim(), "cumprod");
  Tensor t = x.to(accumulate_type(x, dtype));
  if (t.dim() == 0) return t.is_same(x) ? t.clone() : t;
  bool composed = autograd::needs_grad({t});
  if (composed && t.is_cpu() && cpu::scan_supports(t.dtype())) {
    NoGradGuard no_grad;
    composed = (t == 0).any().item<bool>();
  }
  if (composed) {
    // Recorded through the scan's products: exact gradients where inputs are zero (and on the
    // backends without a scan kernel).
    Tensor out = scan(t, d, true);
    return out.is_same(x) ? x.clone() : out;
  }
  Tensor out = scan_values(t, d, true, false);
  if (autograd::needs_grad({t})) {
    // No input is zero: d out_k / d x_j = out_k / x_j for j <= k, so the gradient is the
    // reversed scan of g * out, divided by x. Under create_graph in recorded ops.
    auto st = autograd::save(t, "cumprod");
    autograd::record("cumprod", out, {t}, [st, d](const Tensor& g) -> variable_list {
      const Tensor xs = st.get();
      if (GradMode::is_enabled()) return {flip(scan(flip(g * scan(xs, d, true), {d}), d, false), {d}) / xs};
      return {scan_values(g * scan_values(xs, d, true, false), d, false, true) / xs};
    });
  }
  return out;
}


Tensor var(const Tensor& x, IntArrayRef dim, bool unbiased, bool keepdim) {
  return variance("var", x, dim, unbiased ? 1 : 0, keepdim);
}
Tensor var(const Tensor& x, IntArrayRef dim, std::optional<int64_t> correction, bool keepdim) {
  return variance("var", x, dim, correction.value_or(1), keepdim);
}

Tensor std(const Tensor& x, IntArrayRef dim, bool unbiased, bool keepdim) {
  return ember::sqrt(variance("std", x, dim, unbiased ? 1 : 0, keepdim));
}
Tensor std(const Tensor& x, IntArrayRef dim, std::optional<int64_t> correction, bool keepdim) {
  return ember::sqrt(variance("std", x, dim, correction.value_or(1), keepdim));
}

Tensor logsumexp(const Tensor& x, IntArrayRef dim, bool keepdim) {
  check_defined("logsumexp", x);
  Tensor xf = x.is_floating_point() ? x : x.to(kFloat);
  std::vector<int64_t> dims = reduced_dims(xf, dim, "logsumexp");
  if (xf.numel() == 0) return finish(ember::log(xf.exp().sum(dims, true)), xf, dims, keepdim);
  // Shifted by the (constant) maximum so exp never overflows; an infinite maximum shifts by 0.
  Tensor m;
  {
    NoGradGuard no_grad;
    m = extreme(xf, dims, true);
    m = where(m.abs() == std::numeric_limits<double>::infinity(), zeros({}, m.options()), m);
  }
  return finish(ember::log((xf - m).exp().sum(dims, true)) + m, xf, dims, keepdim);
}

namespace {
/// Both norms; `node` is LibTorch's name for the overload (NormBackward0 without dims,
/// NormBackward1 with them).
Tensor norm_as(const char* node, const Tensor& x, const std::optional<Scalar>& p_opt, IntArrayRef dim, bool keepdim) {
  check_defined("norm", x);
  EMBER_CHECK(x.is_floating_point(), "norm: norm(): input dtype should be either floating point or complex. Got ",
              x.dtype(), " instead.");
  const double p = p_opt ? p_opt->toDouble() : 2.0;
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<int64_t> dims = reduced_dims(x, dim, "norm");
  Tensor kept;
  {
    NoGradGuard no_grad;
    Tensor a = x.abs();
    if (p == 2) kept = (x * x).sum(dims, true).sqrt();
    else if (p == 1) kept = a.sum(dims, true);
    else if (p == inf) kept = extreme(a, dims, true);
    else if (p == -inf) kept = extreme(a, dims, false);
    else if (p == 0) kept = (x != 0).to(x.dtype()).sum(dims, true);
    else kept = a.pow(p).sum(dims, true).pow(1.0 / p);
  }
  Tensor out = finish(kept, x, dims, keepdim);
  if (autograd::needs_grad({x})) {
    auto sx = autograd::save(x, "norm"), sn = autograd::save(kept, "norm");
    std::vector<int64_t> kshape = kept.sizes().vec();
    autograd::record({"norm", node}, out, {x}, [sx, sn, kshape, p, dims](const Tensor& g) -> variable_list {
      const Tensor &xs = sx.get(), &n = sn.get();
      Tensor gk = g.reshape(kshape);
      Tensor zero = zeros({}, xs.options());
      if (p == 0) return {zeros_like(xs)};
      if (p == 1) return {gk * xs.sign()};
      if (std::isinf(p)) {  // shared among the elements that reach the extreme
        Tensor hit = (xs.abs() == n).to(xs.dtype());
        return {xs.sign() * hit * (gk / hit.sum(dims, true))};
      }
      // g sign(x) |x|^(p-1) / norm^(p-1) (PyTorch's norm_backward): 0 where the norm is 0, and
      // for p < 1 also where x is 0 (|x|^(p-1) is infinite there).
      Tensor scale;
      if (p == 2) scale = xs / n;
      else if (p > 2) scale = xs * xs.abs().pow(p - 2) / n.pow(p - 1);
      else {
        Tensor powered = xs.abs().pow(p - 1);
        if (p < 1) powered = where(xs == 0, zero, powered);
        scale = xs.sign() * powered / n.pow(p - 1);
      }
      return {where(n == 0, zero, gk * scale)};
    });
  }
  return out;
}
}  // namespace
Tensor norm(const Tensor& x, const std::optional<Scalar>& p, IntArrayRef dim, bool keepdim) {
  return norm_as("NormBackward1", x, p, dim, keepdim);
}
Tensor norm(const Tensor& x, const Scalar& p) { return norm_as("NormBackward0", x, p, {}, false); }

// --- methods -----------------------------------------------------------------------------------------
Tensor Tensor::norm(const Scalar& p) const { return ember::norm(*this, p); }
Tensor Tensor::norm(const std::optional<Scalar>& p, IntArrayRef dim, bool keepdim) const {
  return ember::norm(*this, p, dim, keepdim);
}
Tensor Tensor::all() const { return ember::all(*this); }
Tensor Tensor::all(int64_t dim, bool keepdim) const { return ember::all(*this, dim, keepdim); }
Tensor Tensor::any() const { return ember::any(*this); }
Tensor Tensor::any(int64_t dim, bool keepdim) const { return ember::any(*this, dim, keepdim); }
Tensor Tensor::prod(std::optional<ScalarType> dtype) const { return ember::prod(*this, dtype); }
Tensor Tensor::prod(int64_t dim, bool keepdim, std::optional<ScalarType> dtype) const {
  return ember::prod(*this, dim, keepdim, dtype);
}
Tensor Tensor::cumsum(int64_t dim, std::optional<ScalarType> dtype) const { return ember::cumsum(*this, dim, dtype); }
Tensor Tensor::cumprod(int64_t dim, std::optional<ScalarType> dtype) const { return ember::cumprod(*this, dim, dtype); }
Tensor Tensor::std_or_var_all(bool is_std, bool unbiased) const {
  const Tensor v = variance("var", *this, {}, unbiased ? 1 : 0, false);
  return is_std ? ember::sqrt(v) : v;
}
Tensor Tensor::std(IntArrayRef dim, bool unbiased, bool keepdim) const {
  return ember::std(*this, dim, unbiased, keepdim);
}
Tensor Tensor::std(IntArrayRef dim, std::optional<int64_t> correction, bool keepdim) const {
  return ember::std(*this, dim, correction, keepdim);
}
Tensor Tensor::var(IntArrayRef dim, bool unbiased, bool keepdim) const {
  return ember::var(*this, dim, unbiased, keepdim);
}
Tensor Tensor::var(IntArrayRef dim, std::optional<int64_t> correction, bool keepdim) const {
  return ember::var(*this, dim, correction, keepdim);
}
Tensor Tensor::logsumexp(IntArrayRef dim, bool keepdim) const { return ember::logsumexp(*this, dim, keepdim); }

}  // namespace ember
