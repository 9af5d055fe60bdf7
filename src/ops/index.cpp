// Indexing and joining: index_select (gather along a dim; backward scatters with index_add),
// cat (copies each input into its slice of one output; backward narrows the gradient) and stack.
#include <limits>

#include "common.h"
#include "index.h"

namespace ember {
namespace {

/// Checks that every index lies in [0, size). CPU indices are read in place; device indices cost
/// one small copy (min and max) to the host.
void check_select_range(const Tensor& index, int64_t size, int64_t dim, const Tensor& self) {
  const int64_t n = index.numel();
  if (n == 0) return;
  int64_t lo = std::numeric_limits<int64_t>::max(), hi = std::numeric_limits<int64_t>::min();
  if (index.is_cpu()) {
    const int64_t* p = index.data_ptr<int64_t>();
    for (int64_t i = 0; i < n; ++i) {
      lo = std::min(lo, p[i]);
      hi = std::max(hi, p[i]);
    }
  } else {
    NoGradGuard no_grad;
    Tensor stats = stack({index.min(), index.max()}, 0).cpu();
    lo = stats.data_ptr<int64_t>()[0];
    hi = stats.data_ptr<int64_t>()[1];
  }
  EMBER_CHECK(lo >= 0 && hi < size, "index_select: index ", lo < 0 ? lo : hi, " is out of bounds for dimension ", dim,
              " with size ", size, " (input ", describe(self), ")");
}

}  // namespace

Tensor detail::index_select(const Tensor& x, int64_t dim, const Tensor& index, bool check_range) {
  EMBER_CHECK(x.defined() && index.defined(), "index_select: undefined input or index");
  EMBER_CHECK(index.dtype() == kLong, "index_select: expected an int64 index, got ", describe(index));
  EMBER_CHECK(index.dim() <= 1, "index_select: index must be a vector (0-D or 1-D), got ", describe(index));
  EMBER_CHECK(x.dim() >= 1, "index_select: a 0-dim input is not supported, got ", describe(x));
  check_same_device("index_select", {x, index});
  const int64_t d = wrap_dim(dim, x.dim(), "index_select");

  Tensor x_c, idx;
  {
    NoGradGuard no_grad;
    x_c = x.contiguous();
    idx = index.reshape({index.numel()}).contiguous();
  }
  if (check_range) check_select_range(idx, x.size(d), d, x);

  std::vector<int64_t> shape = x.sizes().vec();
  shape[d] = idx.numel();
  Tensor out = make_empty(shape, x.dtype(), x.device());
  if (out.numel() > 0) backend(x).index_select(out, x_c, d, idx);

  if (autograd::needs_grad({x})) {
    auto saved_idx = autograd::save(idx, "index_select");
    std::vector<int64_t> in_shape = x.sizes().vec();
    autograd::record("index_select", out, {x}, [saved_idx, in_shape, d](const Tensor& g) -> variable_list {
      if (GradMode::is_enabled() && g.dim() > 0 && g.numel() > 0) {
        // create_graph: the same sums as a product with a one-hot (k, n) matrix, in recorded ops
        // (the index_add kernel below is invisible to autograd).
        const Tensor idx = saved_idx.get();
        const int64_t n = in_shape[size_t(d)], k = idx.numel(), last = g.dim() - 1;
        Tensor hit =
            (idx.reshape({k, 1}) == arange(n, TensorOptions(kLong).device(g.device())).reshape({1, n})).to(g.dtype());
        Tensor moved = g.transpose(d, last);  // the indexed dim last: (..., k)
        std::vector<int64_t> sizes = moved.sizes().vec();
        sizes.back() = n;
        return {moved.reshape({moved.numel() / k, k}).mm(hit).reshape(sizes).transpose(d, last)};
      }
      // Repeated indices must add up, hence index_add into zeros rather than a scatter.
      Tensor grad = zeros(in_shape, g.options());
      if (g.numel() > 0) backend(g).index_add(grad, d, saved_idx.get(), g.contiguous());
      return {grad};
    });
  }
  return out;
}

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
  return detail::index_select(x, dim, index, /*check_range=*/true);
}

Tensor Tensor::index_select(int64_t dim, const Tensor& index) const { return ember::index_select(*this, dim, index); }

Tensor cat(TensorList tensors, int64_t dim) {
  EMBER_CHECK(!tensors.empty(), "cat: expected a non-empty list of tensors");
  // As PyTorch, 1-D empty tensors (shape [0]) are skipped whatever the other shapes are.
  std::vector<Tensor> inputs;
  std::vector<size_t> positions;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    EMBER_CHECK(t.defined(), "cat: tensor ", i, " is undefined");
    EMBER_CHECK(t.dim() > 0, "cat: zero-dimensional tensor (at position ", i, ") cannot be concatenated");
    if (t.dim() == 1 && t.size(0) == 0) continue;
    inputs.push_back(t);
    positions.push_back(i);
  }
  if (inputs.empty()) return make_empty({0}, tensors[0].dtype(), tensors[0].device());

  const Tensor& first = inputs[0];
  const int64_t ndim = first.dim();
  const int64_t d = wrap_dim(dim, ndim, "cat");
  // The result dtype: fold LibTorch's promotion over the list, keeping a tensor of the winning dtype.
  Tensor widest = first;
  std::vector<int64_t> shape = first.sizes().vec();
  shape[d] = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& t = inputs[i];
    EMBER_CHECK(t.device() == first.device(), "cat: expected all tensors on one device, but tensor ", positions[i],
                " is ", describe(t), " and tensor ", positions[0], " is ", describe(first));
    EMBER_CHECK(t.dim() == ndim, "cat: tensors must have the same number of dimensions, got ", describe(first),
                " (tensor ", positions[0], ") and ", describe(t), " (tensor ", positions[i], ")");
    for (int64_t j = 0; j < ndim; ++j)
      EMBER_CHECK(j == d || t.size(j) == first.size(j), "cat: sizes of tensors must match except in dimension ", d,
                  "; expected size ", first.size(j), " but got size ", t.size(j), " in dimension ", j, " for tensor ",
                  positions[i], " ", describe(t));
    EMBER_CHECK(!__builtin_add_overflow(shape[d], t.size(d), &shape[d]), "cat: the sizes in dimension ", d,
                " add up to more than fit in 64 bits (at tensor ", positions[i], " ", describe(t), ")");
    if (result_type(widest, t) != widest.dtype()) widest = t;
  }

  Tensor out = make_empty(shape, widest.dtype(), first.device(), "cat");
  std::vector<int64_t> offsets;
  {
    NoGradGuard no_grad;  // the slices of out are write targets, not graph nodes
    int64_t offset = 0;
    for (const Tensor& t : inputs) {
      offsets.push_back(offset);
      if (t.numel() > 0) backend(out).copy(out.narrow(d, offset, t.size(d)), t);
      offset += t.size(d);
    }
  }

  if (autograd::needs_grad(inputs)) {
    std::vector<int64_t> lengths;
    std::vector<ScalarType> dtypes;
    for (const Tensor& t : inputs) {
      lengths.push_back(t.size(d));
      dtypes.push_back(t.dtype());
    }
    autograd::record("cat", out, inputs,
                     [d, offsets, lengths, dtypes](const Tensor& g, const std::vector<bool>& needs) {
                       variable_list grads(needs.size());
                       for (size_t i = 0; i < needs.size(); ++i) {
                         if (!needs[i]) continue;
                         Tensor gi = g.narrow(d, offsets[i], lengths[i]);
                         grads[i] = gi.dtype() == dtypes[i] ? gi : gi.to(dtypes[i]);  // undo the promotion
                       }
                       return grads;
                     });
  }
  return out;
}

Tensor stack(TensorList tensors, int64_t dim) {
  EMBER_CHECK(!tensors.empty(), "stack: expected a non-empty list of tensors");
  const Tensor& first = tensors[0];
  EMBER_CHECK(first.defined(), "stack: tensor 0 is undefined");
  for (size_t i = 1; i < tensors.size(); ++i)
    EMBER_CHECK(tensors[i].defined() && tensors[i].sizes() == first.sizes(),
                "stack: expects each tensor to be equal size, but got ", first.sizes(), " at entry 0 and ",
                tensors[i].defined() ? describe(tensors[i]) : std::string("an undefined tensor"), " at entry ", i);
  const int64_t d = wrap_dim(dim, first.dim() + 1, "stack");
  std::vector<Tensor> parts;
  parts.reserve(tensors.size());
  for (const Tensor& t : tensors) parts.push_back(t.unsqueeze(d));
  return cat(parts, d);
}

}  // namespace ember
