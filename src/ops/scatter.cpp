// The gather / scatter family: gather, scatter (tensor or scalar source), scatter_add,
// scatter_reduce, index_add / index_copy / index_fill, masked_fill / masked_select /
// masked_scatter, take, nonzero and where(condition).
//
// Every op validates with LibTorch's rules and words, then runs one of two kernels over an index
// walk (src/scatter_geometry.h): gather, or scatter with a reduction. The index_* ops are
// scatters whose 1-D index is viewed (stride 0) over the source's other dims. Out-of-place ops
// scatter into a clone of self; the in-place forms write into self directly when autograd does
// not record, else they compute the out-of-place result and write it in (autograd's in-place
// rule, as the arithmetic ops do). Backward formulas are LibTorch's, written with recorded ops,
// so they can be differentiated again.
#include <cmath>
#include <limits>

#include "../check.h"
#include "../cpu/masked_select.h"
#include "common.h"
#include "ember/indexing.h"
#include "index.h"

namespace ember {
namespace {

using autograd::record;
using autograd::save;

int64_t size_or_1(const Tensor& t, int64_t d) { return t.dim() == 0 ? 1 : t.size(d); }
int64_t dims_or_1(const Tensor& t) { return t.dim() == 0 ? 1 : t.dim(); }

void check_long(const char* op, const Tensor& index) {
  EMBER_CHECK(index.dtype() == kLong, op, ": Expected dtype int64 for index, got ", describe(index));
}

/// gather's and scatter's shape rules: one number of dims, and the index no larger than self
/// (apart from dim) and than src.
void check_scatter_shapes(const char* op, const Tensor& self, int64_t d, const Tensor& index, const Tensor& src) {
  EMBER_CHECK(dims_or_1(index) == dims_or_1(self), op,
              ": Index tensor must have the same number of dimensions as self tensor (index ", describe(index),
              ", self ", describe(self), ")");
  EMBER_CHECK(dims_or_1(index) <= kMaxScatterDims, op, ": at most ", kMaxScatterDims, " dims are supported, got ",
              describe(index));
  if (src.defined())
    EMBER_CHECK(dims_or_1(index) == dims_or_1(src), op,
                ": Index tensor must have the same number of dimensions as src tensor (index ", describe(index),
                ", src ", describe(src), ")");
  for (int64_t k = 0; k < dims_or_1(index); ++k) {
    const bool ok_self = k == d || size_or_1(index, k) <= size_or_1(self, k);
    const bool ok_src = !src.defined() || size_or_1(index, k) <= size_or_1(src, k);
    if (src.defined())
      EMBER_CHECK(ok_self && ok_src, op, ": Expected index ", index.sizes(), " to be smaller than self ", self.sizes(),
                  " apart from dimension ", d, " and to be smaller size than src ", src.sizes());
    else
      EMBER_CHECK(ok_self, op, ": Size does not match at dimension ", k, " expected index ", index.sizes(),
                  " to be smaller than self ", self.sizes(), " apart from dimension ", d);
  }
}

/// The self of an out-of-place op: a detached copy for the kernel to write into.
Tensor detached_clone(const Tensor& t) {
  NoGradGuard no_grad;
  return t.clone();
}

/// scatter's kernel on checked arguments (src 0-dim: one value for every element).
void run_scatter(const Tensor& out, int64_t d, const Tensor& index, const Tensor& src, ScatterReduce op) {
  if (index.numel() == 0) return;
  backend(out).scatter(out, index, src, make_scatter_geometry(out, d, index, src), op);
}

/// run_scatter with the index values checked against [0, out.size(d)) (see run_checked).
void run_scatter_checked(const char* op, const Tensor& out, int64_t d, const Tensor& index, const Tensor& src,
                         ScatterReduce r) {
  if (index.numel() == 0) return;
  detail::run_checked(op, make_scatter_geometry(out, d, index, src), index, size_or_1(out, d), d, false,
                      [&](const ScatterGeometry& g) { backend(out).scatter(out, index, src, g, r); });
}

/// A 0-dim tensor of `value` in t's dtype and device.
Tensor scalar_like(const Tensor& t, const Scalar& value) { return full({}, value, t.options()); }

/// The direct path of the in-place forms that compute out of place: the result into self.
void copy_in(const char* op, const Tensor& self, const Tensor& result) {
  EMBER_CHECK(result.sizes().equals(self.sizes()), op, ": output with shape ", self.sizes(),
              " doesn't match the broadcast shape ", result.sizes());
  self.copy_(result);
}

/// index viewed over `shape` (the index_* ops): its entries along d, stride 0 elsewhere.
Tensor spread_index(const Tensor& index, IntArrayRef shape, int64_t d) {
  std::vector<int64_t> strides(shape.size(), 0);
  if (!shape.empty()) strides[size_t(d)] = index.dim() == 0 ? 0 : index.stride(0);
  return make_view(index, shape.vec(), strides, index.storage_offset());
}

/// index_add / index_copy / index_fill's checks; returns the wrapped dim.
int64_t check_index_op(const char* op, const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source) {
  check_defined(op, self);
  check_defined(op, index);
  check_same_device(op, {self, index, source});
  EMBER_CHECK(index.dtype() == kLong, op, ": Expected a long tensor for index, but got ", index.dtype());
  EMBER_CHECK(index.dim() <= 1, op, ": Index is supposed to be a vector, got ", describe(index));
  const int64_t d = wrap_dim(dim, self.dim(), op);
  if (!source.defined()) return d;
  EMBER_CHECK(source.dtype() == self.dtype(), op, ": self (", self.dtype(), ") and source (", source.dtype(),
              ") must have the same scalar type");
  EMBER_CHECK(dims_or_1(source) == dims_or_1(self), op,
              ": When source and destination are not scalars, their "
              "dimensionality must match. Source dimensionality (",
              source.dim(), "), destination dimensionality (", self.dim(), ")");
  EMBER_CHECK(index.numel() == size_or_1(source, d), op, ": Number of indices (", index.numel(),
              ") should be equal to source.size(dim) (", size_or_1(source, d), ")");
  for (int64_t k = 0; k < dims_or_1(self); ++k)
    EMBER_CHECK(k == d || size_or_1(self, k) == size_or_1(source, k), op, ": self (", self.sizes(), ") and source (",
                source.sizes(), ") must have the same size in every dimension except dim ", d);
  return d;
}

std::vector<int64_t> sizes_or_1(const Tensor& t) { return t.dim() == 0 ? std::vector<int64_t>{1} : t.sizes().vec(); }

/// A 0-dim tensor viewed as [1] (the kernels walk at least one dim).
Tensor at_least_1d(const Tensor& t) { return t.dim() == 0 ? make_view(t, {1}, {1}, t.storage_offset()) : t; }

ScatterReduce parse_reduce(std::string_view reduce, bool* mean) {
  *mean = reduce == "mean";
  if (reduce == "sum" || reduce == "mean") return ScatterReduce::Sum;
  if (reduce == "prod") return ScatterReduce::Prod;
  if (reduce == "amax") return ScatterReduce::Amax;
  if (reduce == "amin") return ScatterReduce::Amin;
  EMBER_CHECK(false, "scatter_reduce(): reduce argument must be either sum, prod, mean, amax or amin, got ", reduce);
  return ScatterReduce::Sum;
}

/// The value a reduction starts from when include_self is false.
Scalar reduce_identity(ScatterReduce op, ScalarType dt) {
  const bool fp = is_floating_point(dt);
  switch (op) {
    case ScatterReduce::Prod: return Scalar(int64_t(1));
    case ScatterReduce::Amax:
      return fp ? Scalar(-std::numeric_limits<double>::infinity()) : Scalar(std::numeric_limits<int64_t>::lowest());
    case ScatterReduce::Amin:
      return fp ? Scalar(std::numeric_limits<double>::infinity()) : Scalar(std::numeric_limits<int64_t>::max());
    default: return Scalar(int64_t(0));
  }
}

}  // namespace

// --- shared with src/ops/indexing.cpp -------------------------------------------------------------

int64_t detail::check_index_range(const char* op, const Tensor& index, int64_t size, int64_t dim, bool negative_ok) {
  const int64_t n = index.numel();
  if (n == 0) return 0;
  const int64_t low = negative_ok ? -size : 0;
  int64_t bad = 0, negative = 0;
  if (index.is_cpu()) {
    // Branch-free flags, so the pass vectorises (and splits over threads when long); the
    // offending value is looked for only when there is one.
    Tensor c = index.contiguous();
    const int64_t* p = c.data_ptr<int64_t>();
#pragma omp parallel for reduction(| : bad, negative) num_threads(get_num_threads()) if (n > 262144)
    for (int64_t i = 0; i < n; ++i) {
      bad |= int64_t(p[i] < low) | int64_t(p[i] >= size);
      negative |= int64_t(p[i] < 0);
    }
    if (bad) {
      for (int64_t i = 0; i < n; ++i)
        EMBER_CHECK(p[i] >= low && p[i] < size, op, ": index ", p[i], " is out of bounds for dimension ", dim,
                    " with size ", size);
    }
  } else {
    NoGradGuard no_grad;
    const int64_t lo = index.min().item<int64_t>(), hi = index.max().item<int64_t>();
    EMBER_CHECK(lo >= low && hi < size, op, ": index ", lo < low ? lo : hi, " is out of bounds for dimension ", dim,
                " with size ", size);
    negative = lo < 0;
  }
  return negative ? -1 : 0;
}

Tensor detail::nonzero_flat(const Tensor& mask) {
  Tensor m;
  {
    NoGradGuard no_grad;
    m = mask.contiguous();
  }
  m = m.reshape({m.numel()});
  const int64_t n = m.numel() == 0 ? 0 : m.sum().item<int64_t>();
  Tensor out = make_empty({n, 1}, kLong, mask.device(), "nonzero");
  if (n > 0) backend(mask).nonzero(out, m);
  return out.reshape({n});
}

// --- gather / scatter ------------------------------------------------------------------------------

Tensor gather(const Tensor& self, int64_t dim, const Tensor& index, bool /*sparse_grad*/) {
  check_defined("gather", self);
  check_defined("gather", index);
  check_same_device("gather", {self, index});
  check_long("gather()", index);
  const int64_t d = wrap_dim(dim, self.dim(), "gather");
  check_scatter_shapes("gather()", self, d, index, Tensor());
  Tensor out = make_empty(index.sizes(), self.dtype(), self.device(), "gather");
  if (index.numel() > 0)
    detail::run_checked("gather()", make_scatter_geometry(self, d, index, out), index, size_or_1(self, d), d, false,
                        [&](const ScatterGeometry& g) { backend(self).gather(out, self, index, g); });
  if (autograd::needs_grad({self}) && self.is_floating_point()) {
    auto si = save(index, "gather");
    std::vector<int64_t> shape = self.sizes().vec();
    record("gather", out, {self}, [si, shape, d](const Tensor& g) -> variable_list {
      return {zeros(shape, g.options()).scatter_add(d, si.get(), g)};
    });
  }
  return out;
}

namespace {
/// scatter, scatter_add and scatter(value)'s common part: checks, then the kernel into a clone.
Tensor scatter_common(const char* op, const Tensor& self, int64_t d, const Tensor& index, const Tensor& src,
                      bool src_is_value, ScatterReduce r) {
  check_defined(op, self);
  check_defined(op, index);
  check_same_device(op, {self, index, src});
  check_long(op, index);
  EMBER_CHECK(src.dtype() == self.dtype(), op, ": Expected self.dtype to be equal to src.dtype (self ", describe(self),
              ", src ", describe(src), ")");
  check_scatter_shapes(op, self, d, index, src_is_value ? Tensor() : src);
  Tensor out = detached_clone(self);
  run_scatter_checked(op, out, d, index, src, r);
  return out;
}
}  // namespace

Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src) {
  check_defined("scatter", self);
  check_defined("scatter", src);
  const int64_t d = wrap_dim(dim, self.dim(), "scatter");
  Tensor out = scatter_common("scatter()", self, d, index, src, false, ScatterReduce::Assign);
  if (autograd::needs_grad({self, src}) && self.is_floating_point()) {
    auto si = save(index, "scatter");
    record("scatter", out, {self, src}, [si, d](const Tensor& g, const std::vector<bool>& n) -> variable_list {
      Tensor idx = si.get();
      return {n[0] ? g.scatter(d, idx, 0) : Tensor(), n[1] ? g.gather(d, idx) : Tensor()};
    });
  }
  return out;
}

Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, const Scalar& value) {
  check_defined("scatter", self);
  const int64_t d = wrap_dim(dim, self.dim(), "scatter");
  Tensor out = scatter_common("scatter()", self, d, index, scalar_like(self, value), true, ScatterReduce::Assign);
  if (autograd::needs_grad({self}) && self.is_floating_point()) {
    auto si = save(index, "scatter");
    record("scatter", out, {self}, [si, d](const Tensor& g) -> variable_list { return {g.scatter(d, si.get(), 0)}; });
  }
  return out;
}

Tensor scatter_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src) {
  check_defined("scatter_add", self);
  check_defined("scatter_add", src);
  const int64_t d = wrap_dim(dim, self.dim(), "scatter_add");
  Tensor out = scatter_common("scatter_add()", self, d, index, src, false, ScatterReduce::Sum);
  if (autograd::needs_grad({self, src}) && self.is_floating_point()) {
    auto si = save(index, "scatter_add");
    record("scatter_add", out, {self, src}, [si, d](const Tensor& g, const std::vector<bool>& n) -> variable_list {
      return {n[0] ? g : Tensor(), n[1] ? g.gather(d, si.get()) : Tensor()};
    });
  }
  return out;
}

Tensor scatter_reduce(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, std::string_view reduce,
                      bool include_self) {
  bool mean = false;
  const ScatterReduce r = parse_reduce(reduce, &mean);
  check_defined("scatter_reduce", self);
  check_defined("scatter_reduce", src);
  const int64_t d = wrap_dim(dim, self.dim(), "scatter_reduce");
  Tensor out;
  if (include_self) {
    out = scatter_common("scatter_reduce()", self, d, index, src, false, r);
  } else {
    // Where anything lands, start from the reduction's identity instead of self's value.
    out = scatter_common("scatter_reduce()", self, d, index, scalar_like(self, reduce_identity(r, self.dtype())), true,
                         ScatterReduce::Assign);
    run_scatter(out, d, index, src, r);
  }
  if (mean) {
    NoGradGuard no_grad;
    Tensor count = full(self.sizes(), include_self ? 1 : 0, self.options());
    run_scatter(count, d, index, scalar_like(self, 1), ScatterReduce::Sum);
    count = where(count == 0, scalar_like(count, 1), count);
    if (self.is_floating_point()) {
      out = out / count;
    } else {  // integer mean: floor division, as PyTorch's
      Tensor q = out.to(kDouble) / count.to(kDouble);
      Tensor t = q.to(kLong);
      out = (t - (t.to(kDouble) > q).to(kLong)).to(self.dtype());
    }
  }
  if (autograd::needs_grad({self, src}) && self.is_floating_point()) {
    auto s_self = save(self, "scatter_reduce"), s_src = save(src, "scatter_reduce"), s_idx = save(index);
    auto s_out = save(out, "scatter_reduce");
    std::string red(reduce);
    record("scatter_reduce", out, {self, src}, [=](const Tensor& grad, const std::vector<bool>& n) -> variable_list {
      const Tensor x = s_self.get(), s = s_src.get(), idx = s_idx.get(), result = s_out.get();
      const ScalarType dt = x.dtype();
      Tensor grad_self, grad_src;
      if (red == "sum") {
        grad_self = grad;
        grad_src = grad.gather(d, idx);
      } else if (red == "mean") {
        Tensor count = include_self ? ones_like(grad) : zeros_like(grad);
        count = count.scatter_add(d, idx, ones_like(s));
        count = count.masked_fill(count == 0, 1);
        grad_self = grad / count;
        grad_src = grad.gather(d, idx) / count.gather(d, idx);
      } else if (red == "prod") {
        // Exclusive products, computed without dividing by the zeros of self or src.
        Tensor masked_self = x.masked_fill(x == 0, 1);
        Tensor masked_self_result = masked_self.scatter_reduce(d, idx, s, red, include_self);
        grad_self = grad * masked_self_result / masked_self;
        Tensor src_zero = s == 0;
        Tensor src_num_zeros = zeros_like(x).scatter_add(d, idx, src_zero.to(dt)).gather(d, idx);
        Tensor src_single_zero = (src_zero.to(kLong) + (src_num_zeros == 1).to(kLong)) == 2;
        Tensor masked_src = s.masked_fill(src_single_zero, 1);
        Tensor masked_src_result = x.scatter_reduce(d, idx, masked_src, red, include_self);
        grad_src = where(src_single_zero, (grad * masked_src_result).gather(d, idx),
                         (grad * result).gather(d, idx) / s.masked_fill(src_zero, 1));
      } else {  // amax, amin: the gradient is shared evenly among the elements equal to the result
        Tensor value = result.gather(d, idx);
        Tensor self_is_result = (x == result).to(dt);
        Tensor src_is_result = (s == value).to(dt);
        Tensor n_to_distribute = self_is_result.scatter_add(d, idx, src_is_result);
        Tensor grad_distributed = grad / n_to_distribute;
        grad_self = self_is_result * grad_distributed;
        grad_src = src_is_result * grad_distributed.gather(d, idx);
      }
      if (!include_self) grad_self = grad_self.scatter(d, idx, 0);
      return {n[0] ? grad_self : Tensor(), n[1] ? grad_src : Tensor()};
    });
  }
  return out;
}

// --- index_add / index_copy / index_fill -----------------------------------------------------------

Tensor index_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source, const Scalar& alpha) {
  check_defined("index_add_()", source);
  const int64_t d = check_index_op("index_add_()", self, dim, index, source);
  detail::check_index_range("index_add_()", index, size_or_1(self, d), d, false);
  const bool unit = alpha.isFloatingPoint() ? alpha.toDouble() == 1.0 : alpha.toLong() == 1;
  Tensor src;
  {
    NoGradGuard no_grad;
    src = at_least_1d(unit ? source : (source * alpha).to(self.dtype()));
  }
  Tensor out = detached_clone(self);
  run_scatter(at_least_1d(out), d, spread_index(index, src.sizes(), d), src, ScatterReduce::Sum);
  if (autograd::needs_grad({self, source}) && self.is_floating_point()) {
    auto si = save(index, "index_add");
    std::vector<int64_t> src_shape = source.sizes().vec();
    record("index_add", out, {self, source},
           [si, d, alpha, src_shape](const Tensor& g, const std::vector<bool>& n) -> variable_list {
             Tensor gs;
             if (n[1]) gs = (at_least_1d(g).index_select(d, si.get().reshape({-1})) * alpha).reshape(src_shape);
             return {n[0] ? g : Tensor(), gs};
           });
  }
  return out;
}

Tensor index_copy(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source) {
  check_defined("index_copy_()", source);
  const int64_t d = check_index_op("index_copy_()", self, dim, index, source);
  detail::check_index_range("index_copy_()", index, size_or_1(self, d), d, false);
  Tensor src = at_least_1d(source.detach());
  Tensor out = detached_clone(self);
  run_scatter(at_least_1d(out), d, spread_index(index, src.sizes(), d), src, ScatterReduce::Assign);
  if (autograd::needs_grad({self, source}) && self.is_floating_point()) {
    auto si = save(index, "index_copy");
    std::vector<int64_t> src_shape = source.sizes().vec();
    record("index_copy", out, {self, source},
           [si, d, src_shape](const Tensor& g, const std::vector<bool>& n) -> variable_list {
             Tensor idx = si.get();
             Tensor gs;
             if (n[1]) gs = at_least_1d(g).index_select(d, idx.reshape({-1})).reshape(src_shape);
             return {n[0] ? g.index_fill(d, idx, 0) : Tensor(), gs};
           });
  }
  return out;
}

Tensor index_fill(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& value) {
  check_defined("index_fill_()", value);
  const int64_t d = check_index_op("index_fill_()", self, dim, index, Tensor());
  check_same_device("index_fill_()", {self, value});
  EMBER_CHECK(value.dim() == 0, "index_fill_(): only supports a 0-dimensional value tensor, but got tensor with ",
              value.dim(), " dimension(s).");
  const int64_t size = size_or_1(self, d);
  detail::check_index_range("index_fill_()", index, size, d, true);
  // Negative indices count from the end here (LibTorch's index_fill wraps them).
  Tensor idx;
  {
    NoGradGuard no_grad;
    idx = index.numel() > 0 && index.min().item<int64_t>() < 0 ? where(index < 0, index + size, index) : index;
    idx = idx.dim() == 0 ? idx.reshape({1}) : idx;
  }
  std::vector<int64_t> shape = sizes_or_1(self);
  shape[size_t(d)] = idx.numel();
  Tensor out = detached_clone(self);
  if (idx.numel() > 0)
    run_scatter(at_least_1d(out), d, spread_index(idx, shape, d), value.detach().to(self.dtype()),
                ScatterReduce::Assign);
  if (autograd::needs_grad({self, value}) && self.is_floating_point()) {
    auto si = save(idx, "index_fill");
    record("index_fill", out, {self, value}, [si, d](const Tensor& g, const std::vector<bool>& n) -> variable_list {
      Tensor idx = si.get();
      return {n[0] ? g.index_fill(d, idx, 0) : Tensor(), n[1] ? at_least_1d(g).index_select(d, idx).sum() : Tensor()};
    });
  }
  return out;
}

Tensor index_fill(const Tensor& self, int64_t dim, const Tensor& index, const Scalar& value) {
  check_defined("index_fill_()", self);
  return index_fill(self, dim, index, scalar_like(self, value));
}

// --- masked ops ------------------------------------------------------------------------------------

namespace {
void check_mask(const char* op, const Tensor& self, const Tensor& mask) {
  check_defined(op, self);
  check_defined(op, mask);
  check_same_device(op, {self, mask});
  EMBER_CHECK(mask.dtype() == kBool, op, " only supports boolean masks, but got mask with dtype ", mask.dtype());
}
}  // namespace

Tensor masked_fill(const Tensor& self, const Tensor& mask, const Tensor& value) {
  check_mask("masked_fill_", self, mask);
  check_defined("masked_fill_", value);
  EMBER_CHECK(value.dim() == 0, "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with ",
              value.dim(), " dimension(s).");
  // where() does the work: it broadcasts, and its backward sends the value the masked sum.
  Tensor v = value.dtype() == self.dtype() ? value : value.to(self.dtype());
  if (v.device() != self.device()) v = v.to(self.device());
  return where(mask, v, self);
}

Tensor masked_fill(const Tensor& self, const Tensor& mask, const Scalar& value) {
  check_mask("masked_fill_", self, mask);
  return where(mask, scalar_like(self, value), self);
}

Tensor masked_select(const Tensor& self, const Tensor& mask) {
  check_defined("masked_select", self);
  check_defined("masked_select", mask);
  check_same_device("masked_select", {self, mask});
  EMBER_CHECK(mask.dtype() == kBool, "masked_select: expected BoolTensor for mask, got ", describe(mask));
  std::vector<int64_t> shape = broadcast_shapes(self.sizes(), mask.sizes(), "masked_select");
  Tensor out;
  {
    NoGradGuard no_grad;
    Tensor x = broadcast_view(self, shape), m = broadcast_view(mask, shape);
    if (self.is_cpu() && cpu::masked_select_supports(self.dtype())) {
      out = cpu::masked_select(x.contiguous(), m.contiguous());  // one fused pass per thread chunk
    } else {
      out = detail::index_select(x.reshape({-1}), 0, detail::nonzero_flat(m), /*check_range=*/false);
    }
  }
  if (autograd::needs_grad({self}) && self.is_floating_point()) {
    auto sm = save(mask, "masked_select");
    std::vector<int64_t> self_shape = self.sizes().vec();
    // The gradient goes back to the selected places (masked_scatter: differentiable again).
    record("masked_select", out, {self}, [sm, shape, self_shape](const Tensor& g) -> variable_list {
      return {sum_to(zeros(shape, g.options()).masked_scatter(sm.get(), g), self_shape)};
    });
  }
  return out;
}

Tensor masked_scatter(const Tensor& self, const Tensor& mask, const Tensor& source) {
  check_mask("masked_scatter_", self, mask);
  check_defined("masked_scatter_", source);
  check_same_device("masked_scatter_", {self, source});
  EMBER_CHECK(source.dtype() == self.dtype(), "masked_scatter_: expected self and source to have same dtypes but got ",
              self.dtype(), " and ", source.dtype());
  std::vector<int64_t> shape = broadcast_shapes(self.sizes(), mask.sizes(), "masked_scatter");
  Tensor positions = detail::nonzero_flat(broadcast_view(mask, shape));
  const int64_t n = positions.numel();
  EMBER_CHECK(source.numel() >= n, "masked_scatter_: Number of elements of source < number of ones in mask (source ",
              describe(source), ", ", n, " ones)");
  Tensor out;
  {
    NoGradGuard no_grad;
    out = broadcast_view(self, shape).contiguous().clone();
    Tensor src = source.contiguous().reshape({-1}).narrow(0, 0, n);
    run_scatter(out.reshape({-1}), 0, positions, src, ScatterReduce::Assign);
  }
  if (autograd::needs_grad({self, source}) && self.is_floating_point()) {
    auto sm = save(mask, "masked_scatter");
    std::vector<int64_t> self_shape = self.sizes().vec(), src_shape = source.sizes().vec();
    const int64_t src_numel = source.numel();
    record("masked_scatter", out, {self, source}, [=](const Tensor& g, const std::vector<bool>& need) -> variable_list {
      Tensor m = sm.get(), gs;
      if (need[1]) {
        Tensor picked = g.masked_select(m);
        gs = cat({picked, zeros({src_numel - picked.numel()}, g.options())}).reshape(src_shape);
      }
      return {need[0] ? sum_to(g.masked_fill(m, 0), self_shape) : Tensor(), gs};
    });
  }
  return out;
}

// --- take, nonzero, where ------------------------------------------------------------------------

Tensor take(const Tensor& self, const Tensor& index) {
  check_defined("take", self);
  check_defined("take", index);
  check_same_device("take", {self, index});
  EMBER_CHECK(index.dtype() == kLong, "take(): Expected a long tensor for index, but got ", index.dtype());
  const int64_t n = self.numel();
  if (index.numel() > 0) {
    NoGradGuard no_grad;
    Tensor c = index.is_cpu() ? index.contiguous() : stack({index.min(), index.max()}).cpu();
    const int64_t* p = c.data_ptr<int64_t>();
    for (int64_t i = 0; i < c.numel(); ++i)
      EMBER_CHECK(p[i] >= -n && p[i] < n, "take: out of range: tried to access index ", p[i], " on a tensor of ", n,
                  " elements.");
  }
  Tensor idx = index.reshape({-1});
  if (idx.numel() > 0) {
    NoGradGuard no_grad;
    if (idx.min().item<int64_t>() < 0) idx = where(idx < 0, idx + n, idx);  // negatives count from the end
  }
  Tensor flat = detail::index_select(self.reshape({-1}), 0, idx, /*check_range=*/false);
  return flat.reshape(index.sizes());
}

Tensor nonzero(const Tensor& self) {
  check_defined("nonzero", self);
  Tensor mask;
  {
    NoGradGuard no_grad;
    mask = (self.dtype() == kBool ? self : self != 0).contiguous();
  }
  const int64_t n = mask.numel() == 0 ? 0 : mask.sum().item<int64_t>();
  Tensor out = make_empty({n, mask.dim()}, kLong, self.device(), "nonzero");
  if (n > 0) backend(self).nonzero(out, mask);
  return out;
}

std::vector<Tensor> where(const Tensor& condition) {
  Tensor nz = nonzero(condition);
  std::vector<Tensor> out;
  for (int64_t k = 0; k < nz.size(1); ++k) out.push_back(nz.select(1, k));
  return out;
}

// --- Tensor methods --------------------------------------------------------------------------------

Tensor Tensor::gather(int64_t dim, const Tensor& index, bool sparse_grad) const {
  return ember::gather(*this, dim, index, sparse_grad);
}
Tensor Tensor::scatter(int64_t dim, const Tensor& index, const Tensor& src) const {
  return ember::scatter(*this, dim, index, src);
}
Tensor Tensor::scatter(int64_t dim, const Tensor& index, const Scalar& value) const {
  return ember::scatter(*this, dim, index, value);
}
Tensor Tensor::scatter_add(int64_t dim, const Tensor& index, const Tensor& src) const {
  return ember::scatter_add(*this, dim, index, src);
}
Tensor Tensor::scatter_reduce(int64_t dim, const Tensor& index, const Tensor& src, std::string_view reduce,
                              bool include_self) const {
  return ember::scatter_reduce(*this, dim, index, src, reduce, include_self);
}
Tensor Tensor::index_add(int64_t dim, const Tensor& index, const Tensor& source, const Scalar& alpha) const {
  return ember::index_add(*this, dim, index, source, alpha);
}
Tensor Tensor::index_copy(int64_t dim, const Tensor& index, const Tensor& source) const {
  return ember::index_copy(*this, dim, index, source);
}
Tensor Tensor::index_fill(int64_t dim, const Tensor& index, const Scalar& value) const {
  return ember::index_fill(*this, dim, index, value);
}
Tensor Tensor::index_fill(int64_t dim, const Tensor& index, const Tensor& value) const {
  return ember::index_fill(*this, dim, index, value);
}
Tensor Tensor::masked_fill(const Tensor& mask, const Scalar& value) const {
  return ember::masked_fill(*this, mask, value);
}
Tensor Tensor::masked_fill(const Tensor& mask, const Tensor& value) const {
  return ember::masked_fill(*this, mask, value);
}
Tensor Tensor::masked_select(const Tensor& mask) const { return ember::masked_select(*this, mask); }
Tensor Tensor::masked_scatter(const Tensor& mask, const Tensor& source) const {
  return ember::masked_scatter(*this, mask, source);
}
Tensor Tensor::take(const Tensor& index) const { return ember::take(*this, index); }
Tensor Tensor::nonzero() const { return ember::nonzero(*this); }

// In-place forms: the same checks (the out-of-place op runs them, or the direct path below does
// through the same helpers), then the kernel straight into self when autograd does not record.

const Tensor& Tensor::scatter_(int64_t dim, const Tensor& index, const Tensor& src) const {
  return detail::in_place(
      "scatter_", *this, {src},
      [&](const Tensor& self) {
        const int64_t d = wrap_dim(dim, self.dim(), "scatter_");
        check_scatter_shapes("scatter_()", self, d, index, src);
        check_long("scatter_()", index);
        EMBER_CHECK(src.dtype() == self.dtype(), "scatter_(): Expected self.dtype to be equal to src.dtype");
        check_same_device("scatter_", {self, index, src});
        run_scatter_checked("scatter_()", self, d, index, src, ScatterReduce::Assign);
      },
      [&](const Tensor& self) { return ember::scatter(self, dim, index, src); });
}
const Tensor& Tensor::scatter_(int64_t dim, const Tensor& index, const Scalar& value) const {
  return detail::in_place(
      "scatter_", *this, {},
      [&](const Tensor& self) {
        const int64_t d = wrap_dim(dim, self.dim(), "scatter_");
        check_scatter_shapes("scatter_()", self, d, index, Tensor());
        check_long("scatter_()", index);
        check_same_device("scatter_", {self, index});
        run_scatter_checked("scatter_()", self, d, index, scalar_like(self, value), ScatterReduce::Assign);
      },
      [&](const Tensor& self) { return ember::scatter(self, dim, index, value); });
}
const Tensor& Tensor::scatter_add_(int64_t dim, const Tensor& index, const Tensor& src) const {
  return detail::in_place(
      "scatter_add_", *this, {src},
      [&](const Tensor& self) {
        const int64_t d = wrap_dim(dim, self.dim(), "scatter_add_");
        check_scatter_shapes("scatter_add_()", self, d, index, src);
        check_long("scatter_add_()", index);
        EMBER_CHECK(src.dtype() == self.dtype(), "scatter_add_(): Expected self.dtype to be equal to src.dtype");
        check_same_device("scatter_add_", {self, index, src});
        run_scatter_checked("scatter_add_()", self, d, index, src, ScatterReduce::Sum);
      },
      [&](const Tensor& self) { return ember::scatter_add(self, dim, index, src); });
}
// The remaining in-place forms compute out of place and copy in (one extra pass over self).
const Tensor& Tensor::scatter_reduce_(int64_t dim, const Tensor& index, const Tensor& src, std::string_view reduce,
                                      bool include_self) const {
  auto f = [&](const Tensor& self) { return ember::scatter_reduce(self, dim, index, src, reduce, include_self); };
  return detail::in_place(
      "scatter_reduce_", *this, {src}, [&](const Tensor& self) { copy_in("scatter_reduce_", self, f(self)); }, f);
}
const Tensor& Tensor::index_add_(int64_t dim, const Tensor& index, const Tensor& source, const Scalar& alpha) const {
  auto f = [&](const Tensor& self) { return ember::index_add(self, dim, index, source, alpha); };
  return detail::in_place(
      "index_add_", *this, {source}, [&](const Tensor& self) { copy_in("index_add_", self, f(self)); }, f);
}
const Tensor& Tensor::index_copy_(int64_t dim, const Tensor& index, const Tensor& source) const {
  auto f = [&](const Tensor& self) { return ember::index_copy(self, dim, index, source); };
  return detail::in_place(
      "index_copy_", *this, {source}, [&](const Tensor& self) { copy_in("index_copy_", self, f(self)); }, f);
}
const Tensor& Tensor::index_fill_(int64_t dim, const Tensor& index, const Scalar& value) const {
  auto f = [&](const Tensor& self) { return ember::index_fill(self, dim, index, value); };
  return detail::in_place(
      "index_fill_", *this, {}, [&](const Tensor& self) { copy_in("index_fill_", self, f(self)); }, f);
}
const Tensor& Tensor::index_fill_(int64_t dim, const Tensor& index, const Tensor& value) const {
  auto f = [&](const Tensor& self) { return ember::index_fill(self, dim, index, value); };
  return detail::in_place(
      "index_fill_", *this, {value}, [&](const Tensor& self) { copy_in("index_fill_", self, f(self)); }, f);
}
const Tensor& Tensor::masked_fill_(const Tensor& mask, const Scalar& value) const {
  auto f = [&](const Tensor& self) { return ember::masked_fill(self, mask, value); };
  return detail::in_place(
      "masked_fill_", *this, {}, [&](const Tensor& self) { copy_in("masked_fill_", self, f(self)); }, f);
}
const Tensor& Tensor::masked_fill_(const Tensor& mask, const Tensor& value) const {
  auto f = [&](const Tensor& self) { return ember::masked_fill(self, mask, value); };
  return detail::in_place(
      "masked_fill_", *this, {value}, [&](const Tensor& self) { copy_in("masked_fill_", self, f(self)); }, f);
}
const Tensor& Tensor::masked_scatter_(const Tensor& mask, const Tensor& source) const {
  auto f = [&](const Tensor& self) { return ember::masked_scatter(self, mask, source); };
  return detail::in_place(
      "masked_scatter_", *this, {source}, [&](const Tensor& self) { copy_in("masked_scatter_", self, f(self)); }, f);
}

}  // namespace ember
