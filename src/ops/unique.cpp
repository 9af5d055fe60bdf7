// unique and unique_consecutive, of values (_unique, _unique2) or of slices along a dim
// (unique_dim): sort (stable, so the first of equal values keeps the lowest position), mark where
// a run of equal neighbours starts, number the runs (Backend::cumulative_count), and read the
// values, the inverse and the counts off the run starts. Made of ops every backend has, plus that
// one count. The CPU runs one fused kernel for unique of values instead (src/cpu/unique.h).
// Equality is ==, so every NaN is its own value (NumPy's rule; PyTorch 1.13's CPU unique gives
// inconsistent inverse indices for NaNs). Nothing here records a backward: the outputs are
// values picked by comparisons, as LibTorch, which does not differentiate unique.
#include "../cpu/unique.h"
#include "common.h"
#include "ember/indexing.h"
#include "ember/tensor_ops.h"

namespace ember {
namespace {

/// Runs of equal rows in a contiguous (n, m) tensor, n >= 1.
struct Runs {
  Tensor starts;  // bool (n): row j starts a run
  Tensor group;   // int64 (n): the run of row j
  Tensor first;   // int64 (runs): the row each run starts at
  Tensor counts;  // int64 (runs)
};

Runs runs_of(const Tensor& rows) {
  const int64_t n = rows.size(0);
  Runs r;
  Tensor head = ones({1}, rows.options().dtype(kBool));
  Tensor differs = rows.narrow(0, 1, n - 1).ne(rows.narrow(0, 0, n - 1));
  differs = rows.size(1) == 1 ? differs.reshape({n - 1}) : differs.any(1);
  r.starts = cat({head, differs}, 0).contiguous();
  Tensor count = make_empty({n}, kLong, rows.device());
  backend(rows).cumulative_count(count, r.starts);
  r.group = count - 1;
  r.first = r.starts.nonzero().reshape({-1});
  Tensor ends = cat({r.first.narrow(0, 1, r.first.size(0) - 1), full({1}, n, r.first.options())}, 0);
  r.counts = ends - r.first;
  return r;
}

Tensor empty_long(IntArrayRef sizes, const Tensor& like) { return make_empty(sizes, kLong, like.device()); }

/// x with dim d moved first, as a contiguous (n, m) block.
Tensor slices_of(const Tensor& x, int64_t d) {
  Tensor t = x.transpose(0, d).contiguous();
  const int64_t n = t.size(0);
  return t.reshape({n, n == 0 ? 0 : t.numel() / n});
}
/// The inverse of slices_of for `count` slices.
Tensor unslice(const Tensor& rows, const Tensor& x, int64_t d) {
  std::vector<int64_t> s = x.transpose(0, d).sizes().vec();
  s[0] = rows.size(0);
  return rows.reshape(s).transpose(0, d).contiguous();
}

/// The run-length results of `rows` (n, m): the distinct rows, the run of each row (scattered
/// to the row's place before sorting when `perm` is given) and the counts.
std::tuple<Tensor, Tensor, Tensor> collapse(const Tensor& rows, const Tensor& perm) {
  Runs r = runs_of(rows);
  Tensor inverse = r.group;
  if (perm.defined()) inverse = empty_long({rows.size(0)}, rows).scatter_(0, perm, r.group);
  return {rows.index_select(0, r.first), inverse, r.counts};
}

std::tuple<Tensor, Tensor, Tensor> unique_slices(const char* op, const Tensor& x, int64_t dim, bool sort_first) {
  check_defined(op, x);
  const int64_t d = wrap_dim(dim, x.dim(), op);
  NoGradGuard no_grad;
  Tensor t = x.dim() == 0 ? x.reshape({1}) : x;
  Tensor rows = slices_of(t, d);
  const int64_t n = rows.size(0);
  if (n == 0) return {x.clone(), empty_long({0}, x), empty_long({0}, x)};
  Tensor perm;
  if (sort_first) {
    // Lexicographic order: stable sorts by each column, the last column first.
    perm = arange(n, TensorOptions(kLong).device(x.device()));
    for (int64_t c = rows.size(1) - 1; c >= 0; --c)
      perm = perm.index_select(0, argsort(rows.select(1, c).index_select(0, perm)));
    rows = rows.index_select(0, perm);
  }
  auto [values, inverse, counts] = collapse(rows, perm);
  // LibTorch's unique_dim and unique_consecutive(dim) return the inverse and the counts even
  // when not asked for.
  return {unslice(values, t, d), inverse, counts};
}

/// unique of all values (flattened), sorted or as they come (consecutive).
std::tuple<Tensor, Tensor, Tensor> unique_values(const char* op, const Tensor& x, bool sort_first, bool return_inverse,
                                                 bool return_counts) {
  check_defined(op, x);
  NoGradGuard no_grad;
  Tensor flat = x.reshape({-1});
  const int64_t n = flat.numel();
  if (n == 0)
    return {make_empty({0}, x.dtype(), x.device()), empty_long(return_inverse ? x.sizes() : IntArrayRef{0}, x),
            empty_long({0}, x)};
  if (cpu::unique_supports(flat)) {  // the fused kernel: one sort and one pass
    auto [values, inverse, counts] = cpu::unique_values(flat.contiguous(), sort_first, return_inverse, return_counts);
    return {values, return_inverse ? inverse.reshape(x.sizes()) : inverse, counts};
  }
  Tensor perm;
  if (sort_first) std::tie(flat, perm) = sort(flat);
  auto [values, inverse, counts] = collapse(flat.reshape({n, 1}).contiguous(), perm);
  return {values.reshape({-1}), return_inverse ? inverse.reshape(x.sizes()) : empty_long({0}, x),
          return_counts ? counts : empty_long({0}, x)};
}

}  // namespace

std::tuple<Tensor, Tensor, Tensor> _unique2(const Tensor& x, bool /*sorted: always*/, bool return_inverse,
                                            bool return_counts) {
  return unique_values("_unique2", x, true, return_inverse, return_counts);
}
std::tuple<Tensor, Tensor> _unique(const Tensor& x, bool /*sorted: always*/, bool return_inverse) {
  auto r = unique_values("_unique", x, true, return_inverse, false);
  return {std::get<0>(r), std::get<1>(r)};
}
std::tuple<Tensor, Tensor, Tensor> unique_dim(const Tensor& x, int64_t dim, bool /*sorted: always*/,
                                              bool return_inverse, bool return_counts) {
  return unique_slices("unique_dim", x, dim, true);
}
std::tuple<Tensor, Tensor, Tensor> unique_consecutive(const Tensor& x, bool return_inverse, bool return_counts,
                                                      std::optional<int64_t> dim) {
  if (dim) return unique_slices("unique_consecutive", x, *dim, false);
  return unique_values("unique_consecutive", x, false, return_inverse, return_counts);
}

}  // namespace ember
