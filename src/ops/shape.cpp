// Views: results share their input's storage (only sizes, strides and offset change), and
// each records a backward that maps the gradient back to the input's shape.
#include <algorithm>

#include "common.h"

namespace ember {
namespace {

using autograd::record;

/// Makes a view (one autograd tracks as such: see autograd/views.cpp) and records `back(g)` as
/// its gradient.
template <typename Back>
Tensor view_of(autograd::NodeName name, const Tensor& x, std::vector<int64_t> sizes, std::vector<int64_t> strides,
               int64_t offset, Back back) {
  Tensor out = make_view(x, std::move(sizes), std::move(strides), offset);
  autograd::mark_view(out, x);
  if (autograd::needs_grad({x})) record(name, out, {x}, [back](const Tensor& g) -> variable_list { return {back(g)}; });
  return out;
}

/// The gradient of a view that picks part of x: zeros of x's shape with g written into the part.
template <typename Part>
Tensor scatter_into_zeros(const Tensor& g, const std::vector<int64_t>& sizes, Part part) {
  Tensor z = zeros(sizes, g.options());
  part(z).copy_(g);
  return z;
}

std::vector<int64_t> infer_size(IntArrayRef shape, int64_t numel, const char* op) {
  std::vector<int64_t> out = shape.vec();
  std::vector<int64_t> given;  // the sizes other than the one to infer
  int infer = -1;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1) {
      EMBER_CHECK(infer < 0, op, ": only one dimension can be inferred in shape ", shape);
      infer = int(i);
    } else {
      EMBER_CHECK(out[i] >= 0, op, ": invalid shape dimension ", out[i], " in ", shape);
      given.push_back(out[i]);
    }
  }
  if (infer < 0) {
    EMBER_CHECK(shape_numel(out, op) == numel, op, ": shape ", shape, " is invalid for input of size ", numel);
    return out;
  }
  // The given sizes' product, checked: wrapped, [3, 6148914691236517206, -1] once looked like 2.
  int64_t known = 0;
  const bool fits = shape_problem(given, nullptr, &known).empty();
  EMBER_CHECK(fits || std::count(given.begin(), given.end(), 0) != 0, op, ": ", too_many_elements(shape));
  EMBER_CHECK(fits && known != 0 && numel % known == 0, op, ": shape ", shape, " is invalid for input of size ", numel);
  out[size_t(infer)] = numel / known;
  return out;
}

/// Strides for viewing (sizes, strides) as new_sizes without a copy, if possible (PyTorch's rule:
/// each run of dims that is contiguous in memory can be re-split freely).
bool view_strides(IntArrayRef sizes, IntArrayRef strides, const std::vector<int64_t>& new_sizes,
                  std::vector<int64_t>& out) {
  out.assign(new_sizes.size(), 0);
  if (sizes.empty()) {  // a 0-dim tensor views as any all-ones shape
    out = contiguous_strides(new_sizes);
    return true;
  }
  int64_t numel = 1;
  for (int64_t s : sizes) numel *= s;
  if (numel == 0) {
    out = contiguous_strides(new_sizes);
    return true;
  }
  int64_t view_d = int64_t(new_sizes.size()) - 1;
  int64_t chunk_base_stride = strides.empty() ? 1 : strides.back();
  int64_t tensor_numel = 1, view_numel = 1;
  for (int64_t d = int64_t(sizes.size()) - 1; d >= 0; --d) {
    tensor_numel *= sizes[size_t(d)];
    if (d == 0 || (sizes[size_t(d - 1)] != 1 && strides[size_t(d - 1)] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || new_sizes[size_t(view_d)] == 1)) {
        out[size_t(view_d)] = view_numel * chunk_base_stride;
        view_numel *= new_sizes[size_t(view_d)];
        view_d--;
      }
      if (view_numel != tensor_numel) return false;
      if (d > 0) {
        chunk_base_stride = strides[size_t(d - 1)];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  return view_d == -1;
}

}  // namespace

Tensor Tensor::view(IntArrayRef size) const {
  std::vector<int64_t> shape = infer_size(size, numel(), "view");
  std::vector<int64_t> st;
  EMBER_CHECK(view_strides(sizes(), strides(), shape, st), "view: view size ", IntArrayRef(shape),
              " is not compatible with input tensor's size ", sizes(), " and stride ", strides(),
              " (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead.");
  std::vector<int64_t> in_sizes = sizes().vec();
  return view_of("view", *this, shape, st, storage_offset(),
                 [in_sizes](const Tensor& g) { return g.reshape(in_sizes); });
}

Tensor Tensor::reshape(IntArrayRef size) const {
  std::vector<int64_t> shape = infer_size(size, numel(), "reshape");
  std::vector<int64_t> st;
  std::vector<int64_t> in_sizes = sizes().vec();
  auto back = [in_sizes](const Tensor& g) { return g.reshape(in_sizes); };
  if (view_strides(sizes(), strides(), shape, st)) return view_of("reshape", *this, shape, st, storage_offset(), back);
  // As LibTorch's _unsafe_view of a contiguous copy: the result is no view, nobody else sees the copy.
  Tensor copy = contiguous();
  Tensor out = make_view(copy, shape, contiguous_strides(shape), copy.storage_offset());
  if (autograd::needs_grad({copy}))
    record("_unsafe_view", out, {copy}, [back](const Tensor& g) -> variable_list { return {back(g)}; });
  return out;
}

Tensor Tensor::flatten(int64_t start, int64_t end) const {
  if (dim() == 0) return reshape({1});
  start = wrap_dim(start, dim(), "flatten");
  end = wrap_dim(end, dim(), "flatten");
  EMBER_CHECK(start <= end, "flatten: start_dim (", start, ") cannot come after end_dim (", end, ")");
  std::vector<int64_t> shape;
  for (int64_t i = 0; i < start; ++i) shape.push_back(size(i));
  int64_t n = 1;
  for (int64_t i = start; i <= end; ++i) n *= size(i);
  shape.push_back(n);
  for (int64_t i = end + 1; i < dim(); ++i) shape.push_back(size(i));
  return reshape(shape);
}
Tensor flatten(const Tensor& x, int64_t start, int64_t end) { return x.flatten(start, end); }

Tensor Tensor::permute(IntArrayRef dims) const {
  EMBER_CHECK(int64_t(dims.size()) == dim(), "permute: number of dims in ", dims, " doesn't match the tensor's ", dim(),
              " dims (shape ", sizes(), ")");
  std::vector<int64_t> sz(dims.size()), st(dims.size()), inverse(dims.size());
  std::vector<bool> seen(dims.size(), false);
  for (size_t i = 0; i < dims.size(); ++i) {
    int64_t d = wrap_dim(dims[i], dim(), "permute");
    EMBER_CHECK(!seen[size_t(d)], "permute: dims ", dims, " repeat dimension ", d);
    seen[size_t(d)] = true;
    sz[i] = size(d);
    st[i] = stride(d);
    inverse[size_t(d)] = int64_t(i);
  }
  return view_of("permute", *this, sz, st, storage_offset(), [inverse](const Tensor& g) { return g.permute(inverse); });
}

namespace {
/// transpose and t: dims d0 and d1 swapped, recorded as `name` (TransposeBackward0, TBackward0).
/// Like LibTorch, a new view even where nothing moves (a 0-dim or 1-D tensor).
Tensor swap_dims(const char* name, const Tensor& x, int64_t d0, int64_t d1) {
  std::vector<int64_t> sz = x.sizes().vec(), st = x.strides().vec();
  if (x.dim() < 2) return view_of(name, x, sz, st, x.storage_offset(), [](const Tensor& g) { return g; });
  std::swap(sz[size_t(d0)], sz[size_t(d1)]);
  std::swap(st[size_t(d0)], st[size_t(d1)]);
  return view_of(name, x, sz, st, x.storage_offset(), [d0, d1](const Tensor& g) { return g.transpose(d0, d1); });
}
}  // namespace

Tensor Tensor::transpose(int64_t d0, int64_t d1) const {
  d0 = wrap_dim(d0, dim(), "transpose");
  d1 = wrap_dim(d1, dim(), "transpose");
  return swap_dims("transpose", *this, d0, d1);
}

Tensor Tensor::t() const {
  EMBER_CHECK(dim() <= 2, "t: expects a tensor with <= 2 dimensions, but got ", describe(*this));
  return swap_dims("t", *this, 0, 1);
}

Tensor Tensor::narrow(int64_t d, int64_t start, int64_t length) const {
  EMBER_CHECK(dim() > 0, "narrow: cannot be applied to a 0-dim tensor");
  d = wrap_dim(d, dim(), "narrow");
  int64_t n = size(d);
  if (start < 0) start += n;
  EMBER_CHECK(start >= 0 && start <= n, "narrow: start (", start, ") is out of range for dimension ", d, " of size ",
              n);
  EMBER_CHECK(length >= 0 && start + length <= n, "narrow: start (", start, ") + length (", length,
              ") exceeds dimension size (", n, ")");
  return slice(d, start, start + length, 1);
}

Tensor Tensor::slice(int64_t d, std::optional<int64_t> start_opt, std::optional<int64_t> end_opt, int64_t step) const {
  EMBER_CHECK(dim() > 0, "slice: cannot be applied to a 0-dim tensor");
  d = wrap_dim(d, dim(), "slice");
  EMBER_CHECK(step > 0, "slice: step must be positive, got ", step);
  int64_t n = size(d);
  int64_t start = start_opt.value_or(0), end = end_opt.value_or(n);
  if (start < 0) start += n;
  if (end < 0) end += n;
  start = std::clamp<int64_t>(start, 0, n);
  end = std::clamp<int64_t>(end, start, n);
  std::vector<int64_t> sz = sizes().vec(), st = strides().vec();
  sz[size_t(d)] = (end - start + step - 1) / step;
  st[size_t(d)] *= step;
  std::vector<int64_t> in_sizes = sizes().vec();
  return view_of("slice", *this, sz, st, storage_offset() + start * stride(d), [=](const Tensor& g) {
    return scatter_into_zeros(g, in_sizes, [&](const Tensor& z) { return z.slice(d, start, end, step); });
  });
}

Tensor Tensor::select(int64_t d, int64_t index) const {
  EMBER_CHECK(dim() > 0, "select: cannot be applied to a 0-dim tensor");
  d = wrap_dim(d, dim(), "select");
  int64_t n = size(d);
  EMBER_CHECK(index >= -n && index < n, "select: index ", index, " out of range for tensor of size ", sizes(),
              " at dimension ", d);
  if (index < 0) index += n;
  std::vector<int64_t> sz = sizes().vec(), st = strides().vec();
  sz.erase(sz.begin() + d);
  st.erase(st.begin() + d);
  std::vector<int64_t> in_sizes = sizes().vec();
  return view_of("select", *this, sz, st, storage_offset() + index * stride(d), [=](const Tensor& g) {
    return scatter_into_zeros(g, in_sizes, [&](const Tensor& z) { return z.select(d, index); });
  });
}

Tensor Tensor::unsqueeze(int64_t d) const {
  d = wrap_dim(d, dim() + 1, "unsqueeze");
  std::vector<int64_t> sz = sizes().vec(), st = strides().vec();
  // LibTorch's stride for the new size-1 dim; a size-1 dim's stride never moves the address, so
  // where that product overflows (from_blob strides can reach 2^63 bytes) any other value serves.
  int64_t new_stride = 1;
  if (d < dim() && __builtin_mul_overflow(sz[size_t(d)], st[size_t(d)], &new_stride)) new_stride = st[size_t(d)];
  sz.insert(sz.begin() + d, 1);
  st.insert(st.begin() + d, new_stride);
  return view_of("unsqueeze", *this, sz, st, storage_offset(), [d](const Tensor& g) { return g.squeeze(d); });
}

Tensor Tensor::squeeze() const {
  std::vector<int64_t> sz, st;
  for (int64_t i = 0; i < dim(); ++i)
    if (size(i) != 1) {
      sz.push_back(size(i));
      st.push_back(stride(i));
    }
  std::vector<int64_t> in_sizes = sizes().vec();
  return view_of("squeeze", *this, sz, st, storage_offset(),
                 [in_sizes](const Tensor& g) { return g.reshape(in_sizes); });
}

Tensor Tensor::squeeze(int64_t d) const {
  d = wrap_dim(d, dim(), "squeeze");
  std::vector<int64_t> sz = sizes().vec(), st = strides().vec();
  if (dim() == 0 || size(d) != 1)  // nothing to squeeze: still a new view, as in LibTorch
    return view_of({"squeeze", "SqueezeBackward1"}, *this, sz, st, storage_offset(), [](const Tensor& g) { return g; });
  sz.erase(sz.begin() + d);
  st.erase(st.begin() + d);
  return view_of({"squeeze", "SqueezeBackward1"}, *this, sz, st, storage_offset(),
                 [d](const Tensor& g) { return g.unsqueeze(d); });
}

Tensor Tensor::expand(IntArrayRef size) const {
  EMBER_CHECK(int64_t(size.size()) >= dim(), "expand: the number of sizes provided (", size.size(),
              ") must be greater or equal to the number of dimensions in the tensor (", dim(), ")");
  std::vector<int64_t> shape = size.vec();
  size_t lead = size.size() - size_t(dim());
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i < lead) {
      EMBER_CHECK(shape[i] >= 0, "expand: the expanded size ", shape[i],
                  " is not allowed in a leading, "
                  "non-existing dimension (sizes ",
                  size, ")");
      continue;
    }
    int64_t cur = this->size(int64_t(i - lead));
    if (shape[i] == -1) shape[i] = cur;
    EMBER_CHECK(cur == shape[i] || cur == 1, "expand: the expanded size of the tensor (", shape[i],
                ") must match the existing size (", cur, ") at non-singleton dimension ", i, ". Target sizes: ", size,
                ". Tensor sizes: ", sizes());
  }
  shape_numel(shape, "expand");  // a view, but its numel and strides must fit all the same
  Tensor v = broadcast_view(*this, shape);
  std::vector<int64_t> in_sizes = sizes().vec();
  Tensor out = make_view(*this, v.sizes().vec(), v.strides().vec(), v.storage_offset());
  autograd::mark_view(out, *this);
  if (autograd::needs_grad({*this}))
    record("expand", out, {*this}, [in_sizes](const Tensor& g) -> variable_list { return {sum_to(g, in_sizes)}; });
  return out;
}

}  // namespace ember
