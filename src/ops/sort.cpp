// Sorting and selection along one dim: sort, argsort, msort, topk, kthvalue, median, nanmedian
// and mode. Each front half checks its arguments, moves `dim` last in a contiguous copy (the
// backends see (rows, n) rows, src/backend.h), runs one kernel and moves the dim back. The value
// outputs record a backward that scatters the gradient to the positions the indices name (one
// scatter: differentiable again, so double backward works); median() and nanmedian() of the
// whole tensor share it between the elements equal to the result, as PyTorch.
#include <algorithm>

#include "common.h"
#include "ember/tensor_ops.h"

namespace ember {
namespace {

using autograd::NodeName;
using sort_rules::KthRule;

/// x with dim d moved last, as a contiguous (rows, n) block for the kernels.
struct Rows {
  Tensor data;                 // (rows, n), contiguous, no history
  std::vector<int64_t> sizes;  // x's sizes with d swapped with the last (a 0-dim x: {1})
  int64_t rows = 1, n = 1, d = 0, ndim = 0;
};

Rows to_rows(const Tensor& x, int64_t d) {
  NoGradGuard no_grad;
  Rows r;
  r.d = d;
  r.ndim = x.dim();
  Tensor t = x.dim() == 0 ? x.reshape({1}) : x.transpose(d, x.dim() - 1);
  r.sizes = t.sizes().vec();
  r.n = r.sizes.back();
  for (size_t i = 0; i + 1 < r.sizes.size(); ++i) r.rows *= r.sizes[i];
  r.data = t.contiguous().reshape({r.rows, r.n});
  return r;
}

/// A kernel's (rows, m) output back in x's layout, dim d of size m.
Tensor from_rows(const Tensor& out, const Rows& r, int64_t m) {
  if (r.ndim == 0) return out.reshape({});
  std::vector<int64_t> s = r.sizes;
  s.back() = m;
  Tensor t = out.view(s);
  return r.d == r.ndim - 1 ? t : t.transpose(r.d, r.ndim - 1).contiguous();
}

/// A reduction's (rows) output: keepdim leaves dim d as size 1.
Tensor reduced_from_rows(const Tensor& out, const Rows& r, bool keepdim) {
  Tensor t = from_rows(out, r, 1);
  return keepdim || r.ndim == 0 ? t : t.squeeze(r.d);
}

/// The backward of a value-selecting op: the gradient goes to the selected positions.
void record_selection(NodeName name, const Tensor& values, const Tensor& indices, const Tensor& x, int64_t d,
                      bool keepdim) {
  if (!autograd::needs_grad({x})) return;
  std::vector<int64_t> sizes = x.sizes().vec();
  const bool scalar = x.dim() == 0;
  Tensor idx = indices;  // int64, never modified: kept as is rather than saved
  autograd::record(name, values, {x}, [=](const Tensor& g) -> variable_list {
    if (scalar) return {g.clone()};
    Tensor gi = keepdim ? g : g.unsqueeze(d), ii = keepdim ? idx : idx.unsqueeze(d);
    return {zeros(sizes, g.options()).scatter(d, ii, gi)};
  });
}

void check_sortable(const char* op, const Tensor& x, bool bool_ok) {
  check_defined(op, x);
  EMBER_CHECK(bool_ok || x.dtype() != kBool, op, ": \"", op, "_cpu\" not implemented for 'Bool' (got ", describe(x),
              ")");
}

std::tuple<Tensor, Tensor> sort_impl(const Tensor& x, int64_t dim, bool descending, const char* node) {
  check_sortable("sort", x, true);
  const int64_t d = wrap_dim(dim, x.dim(), "sort");
  Rows r = to_rows(x, d);
  Tensor v = make_empty({r.rows, r.n}, x.dtype(), x.device()), i = make_empty({r.rows, r.n}, kLong, x.device());
  if (v.numel() > 0) backend(x).sort(v, i, r.data, r.rows, r.n, descending);
  Tensor values = from_rows(v, r, r.n), indices = from_rows(i, r, r.n);
  record_selection({"sort", node}, values, indices, x, d, true);
  return {values, indices};
}

/// kthvalue, median(dim) and nanmedian(dim): one selected element per row.
std::tuple<Tensor, Tensor> select_kth(const char* op, NodeName name, const Tensor& x, int64_t k, int64_t dim,
                                      bool keepdim, KthRule rule) {
  check_sortable(op, x, false);
  const int64_t d = wrap_dim(dim, x.dim(), op);
  const int64_t n = x.dim() == 0 ? 1 : x.size(d);
  EMBER_CHECK(n > 0, op, "(): Expected reduction dim ", d, " to have non-zero size (got ", describe(x), ")");
  EMBER_CHECK(rule != KthRule::Fixed || (k >= 1 && k <= n), op, "(): selected number k out of range for dimension ", d,
              " (k = ", k, ", the dimension has size ", n, ")");
  Rows r = to_rows(x, d);
  Tensor v = make_empty({r.rows}, x.dtype(), x.device()), i = make_empty({r.rows}, kLong, x.device());
  if (r.rows > 0) backend(x).kthvalue(v, i, r.data, r.rows, r.n, k - 1, rule);
  Tensor values = reduced_from_rows(v, r, keepdim), indices = reduced_from_rows(i, r, keepdim);
  record_selection(name, values, indices, x, d, keepdim);
  return {values, indices};
}

/// median() and nanmedian(): the whole tensor's median; NaN for an empty tensor.
Tensor median_all(const char* op, NodeName name, const Tensor& x, KthRule rule) {
  check_sortable(op, x, false);
  Tensor out;
  if (x.numel() == 0) {
    out = full({}, std::numeric_limits<double>::quiet_NaN(), x.options());
  } else {
    NoGradGuard no_grad;
    out = std::get<0>(select_kth(op, name, x.reshape({-1}), 0, 0, false, rule));
  }
  if (autograd::needs_grad({x})) {
    auto sx = autograd::save(x, op), so = autograd::save(out, op);
    autograd::record(name, out, {x}, [=](const Tensor& g) -> variable_list {
      // Shared evenly between the elements equal to the median (NaN: the NaNs), as PyTorch.
      Tensor xs = sx.get(), m = so.get();
      Tensor hit = logical_or(xs == m, logical_and(isnan(xs), isnan(m))).to(g.dtype());
      return {hit * (g / hit.sum())};
    });
  }
  return out;
}

}  // namespace

std::tuple<Tensor, Tensor> sort(const Tensor& x, int64_t dim, bool descending) {
  return sort_impl(x, dim, descending, "SortBackward0");
}
std::tuple<Tensor, Tensor> sort(const Tensor& x, std::optional<bool> /*stable: ember's sort always is*/, int64_t dim,
                                bool descending) {
  return sort_impl(x, dim, descending, "SortBackward1");
}
Tensor argsort(const Tensor& x, int64_t dim, bool descending) {
  return std::get<1>(sort_impl(x.detach(), dim, descending, "SortBackward0"));
}
Tensor argsort(const Tensor& x, bool /*stable*/, int64_t dim, bool descending) { return argsort(x, dim, descending); }
Tensor msort(const Tensor& x) { return std::get<0>(sort(x, 0, false)); }

std::tuple<Tensor, Tensor> topk(const Tensor& x, int64_t k, int64_t dim, bool largest, bool sorted) {
  check_sortable("topk", x, false);
  const int64_t d = wrap_dim(dim, x.dim(), "topk");
  const int64_t n = x.dim() == 0 ? 1 : x.size(d);
  EMBER_CHECK(k >= 0 && k <= n, "topk: selected index k out of range (k = ", k, ", dimension ", d, " of ", describe(x),
              " has size ", n, ")");
  Rows r = to_rows(x, d);
  Tensor v = make_empty({r.rows, k}, x.dtype(), x.device()), i = make_empty({r.rows, k}, kLong, x.device());
  if (v.numel() > 0) backend(x).topk(v, i, r.data, r.rows, r.n, k, largest, sorted);
  Tensor values = from_rows(v, r, k), indices = from_rows(i, r, k);
  record_selection({"topk", "TopkBackward0"}, values, indices, x, d, true);
  return {values, indices};
}

std::tuple<Tensor, Tensor> kthvalue(const Tensor& x, int64_t k, int64_t dim, bool keepdim) {
  return select_kth("kthvalue", {"kthvalue", "KthvalueBackward0"}, x, k, dim, keepdim, KthRule::Fixed);
}
Tensor median(const Tensor& x) { return median_all("median", {"median", "MedianBackward0"}, x, KthRule::Median); }
std::tuple<Tensor, Tensor> median(const Tensor& x, int64_t dim, bool keepdim) {
  return select_kth("median", {"median", "MedianBackward1"}, x, 1, dim, keepdim, KthRule::Median);
}
Tensor nanmedian(const Tensor& x) {
  return median_all("nanmedian", {"nanmedian", "NanmedianBackward0"}, x, KthRule::NanMedian);
}
std::tuple<Tensor, Tensor> nanmedian(const Tensor& x, int64_t dim, bool keepdim) {
  return select_kth("nanmedian", {"nanmedian", "NanmedianBackward1"}, x, 1, dim, keepdim, KthRule::NanMedian);
}

std::tuple<Tensor, Tensor> mode(const Tensor& x, int64_t dim, bool keepdim) {
  check_sortable("mode", x, true);
  const int64_t d = wrap_dim(dim, x.dim(), "mode");
  const int64_t n = x.dim() == 0 ? 1 : x.size(d);
  EMBER_CHECK(n > 0, "mode(): Expected reduction dim ", d, " to have non-zero size (got ", describe(x), ")");
  Rows r = to_rows(x, d);
  Tensor v = make_empty({r.rows}, x.dtype(), x.device()), i = make_empty({r.rows}, kLong, x.device());
  if (r.rows > 0) backend(x).mode(v, i, r.data, r.rows, r.n);
  Tensor values = reduced_from_rows(v, r, keepdim), indices = reduced_from_rows(i, r, keepdim);
  record_selection({"mode", "ModeBackward0"}, values, indices, x, d, keepdim);
  return {values, indices};
}

std::tuple<Tensor, Tensor> Tensor::sort(int64_t dim, bool descending) const {
  return ember::sort(*this, dim, descending);
}
std::tuple<Tensor, Tensor> Tensor::sort(std::optional<bool> stable, int64_t dim, bool descending) const {
  return ember::sort(*this, stable, dim, descending);
}
Tensor Tensor::argsort(int64_t dim, bool descending) const { return ember::argsort(*this, dim, descending); }
Tensor Tensor::argsort(bool stable, int64_t dim, bool descending) const {
  return ember::argsort(*this, stable, dim, descending);
}
Tensor Tensor::msort() const { return ember::msort(*this); }
std::tuple<Tensor, Tensor> Tensor::topk(int64_t k, int64_t dim, bool largest, bool sorted) const {
  return ember::topk(*this, k, dim, largest, sorted);
}
std::tuple<Tensor, Tensor> Tensor::kthvalue(int64_t k, int64_t dim, bool keepdim) const {
  return ember::kthvalue(*this, k, dim, keepdim);
}
Tensor Tensor::median() const { return ember::median(*this); }
std::tuple<Tensor, Tensor> Tensor::median(int64_t dim, bool keepdim) const {
  return ember::median(*this, dim, keepdim);
}
Tensor Tensor::nanmedian() const { return ember::nanmedian(*this); }
std::tuple<Tensor, Tensor> Tensor::nanmedian(int64_t dim, bool keepdim) const {
  return ember::nanmedian(*this, dim, keepdim);
}
std::tuple<Tensor, Tensor> Tensor::mode(int64_t dim, bool keepdim) const { return ember::mode(*this, dim, keepdim); }

}  // namespace ember
