// Rearranging ops: flip, roll, rot90, repeat, tile, repeat_interleave, chunk, split, unbind,
// meshgrid, tril/triu, diag, outer. Each is written with other ops (index_select, narrow, cat,
// expand, where), which run on every backend. Where LibTorch records one node (flip, roll, repeat,
// tril, triu) the forward runs without recording and one node with LibTorch's name and backward
// is recorded; the rest are recorded through their parts, as LibTorch's composite ops are.
#include <algorithm>
#include <numeric>

#include "common.h"
#include "ember/tensor_ops.h"

namespace ember {
namespace {

std::vector<int64_t> wrap_dims(IntArrayRef dims, int64_t ndim, const char* op) {
  std::vector<int64_t> out;
  for (int64_t d : dims) out.push_back(wrap_dim(d, ndim, op));
  return out;
}

/// The reversed index range n-1 .. 0 on x's device.
Tensor reversed_range(int64_t n, Device device) { return arange(n - 1, -1, -1, TensorOptions(kLong).device(device)); }

/// Records `out` (computed without recording) as one node `name` over x whose backward is `back(g)`.
template <typename Back>
Tensor as_node(const char* name, const Tensor& x, const Tensor& out, Back back) {
  if (autograd::needs_grad({x}))
    autograd::record(name, out, {x}, [back](const Tensor& g) -> variable_list { return {back(g)}; });
  return out;
}

/// The lower (or upper) triangle mask of the last two dims: col - row <= k (>= k).
Tensor triangle_mask(int64_t rows, int64_t cols, int64_t k, bool lower, Device device) {
  const TensorOptions o = TensorOptions(kLong).device(device);
  Tensor diff = arange(cols, o).unsqueeze(0) - arange(rows, o).unsqueeze(1);
  return lower ? diff <= k : diff >= k;
}

Tensor triangle(const char* name, const Tensor& x, int64_t k, bool lower) {
  check_defined(name, x);
  EMBER_CHECK(x.dim() >= 2, name, ": input tensor must have at least 2 dimensions (got ", describe(x), ")");
  Tensor out;
  {
    NoGradGuard no_grad;
    Tensor mask = triangle_mask(x.size(-2), x.size(-1), k, lower, x.device());
    out = where(mask, x, zeros({}, x.options()));
  }
  return as_node(name, x, out, [k, lower](const Tensor& g) { return lower ? tril(g, k) : triu(g, k); });
}

}  // namespace

Tensor flip(const Tensor& x, IntArrayRef dims) {
  check_defined("flip", x);
  std::vector<int64_t> ds = wrap_dims(dims, x.dim(), "flip");
  std::vector<int64_t> sorted = ds;
  std::sort(sorted.begin(), sorted.end());
  EMBER_CHECK(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end(), "flip: dims has duplicates, ",
              "original flip dims size=", ds.size(),
              ", but unique flip dims size=", std::unique(sorted.begin(), sorted.end()) - sorted.begin());
  Tensor out;
  {
    NoGradGuard no_grad;
    out = x.dim() == 0 ? x.clone() : x;
    for (int64_t d : ds) out = index_select(out, d, reversed_range(x.size(d), x.device()));
    if (out.is_same(x)) out = x.clone();
  }
  return as_node("flip", x, out, [ds](const Tensor& g) { return flip(g, ds); });
}

Tensor roll(const Tensor& x, IntArrayRef shifts, IntArrayRef dims) {
  check_defined("roll", x);
  EMBER_CHECK(!shifts.empty(), "roll: `shifts` required");
  if (dims.empty()) {
    EMBER_CHECK(shifts.size() == 1, "roll: shifts and dimensions must align. shifts: ", shifts.size(), ", dims:0");
    return roll(x.flatten(), shifts, {0}).view(x.sizes());
  }
  EMBER_CHECK(shifts.size() == dims.size(), "roll: shifts and dimensions must align. shifts: ", shifts.size(),
              ", dims:", dims.size());
  std::vector<int64_t> ds = wrap_dims(dims, x.dim(), "roll"), ss = shifts.vec();
  Tensor out;
  {
    NoGradGuard no_grad;
    out = x;
    for (size_t i = 0; i < ds.size(); ++i) {
      const int64_t n = x.size(ds[i]);
      if (n == 0) continue;
      const int64_t s = ((ss[i] % n) + n) % n;  // the first s elements come from the end
      if (s == 0) continue;
      out = cat({out.narrow(ds[i], n - s, s), out.narrow(ds[i], 0, n - s)}, ds[i]);
    }
    if (out.is_same(x)) out = x.clone();
  }
  std::vector<int64_t> back_shifts;
  for (int64_t s : ss) back_shifts.push_back(-s);
  return as_node("roll", x, out, [back_shifts, ds](const Tensor& g) { return roll(g, back_shifts, ds); });
}

Tensor rot90(const Tensor& x, int64_t k, IntArrayRef dims) {
  check_defined("rot90", x);
  EMBER_CHECK(dims.size() == 2, "rot90: expected total rotation dims == 2, but got dims = ", dims.size());
  EMBER_CHECK(x.dim() >= 2, "rot90: expected total dims >= 2, but got total dims = ", x.dim());
  const int64_t d0 = wrap_dim(dims[0], x.dim(), "rot90"), d1 = wrap_dim(dims[1], x.dim(), "rot90");
  EMBER_CHECK(d0 != d1, "rot90: expected rotation dims to be different, but got dim0 = ", d0, " and dim1 = ", d1);
  switch (((k % 4) + 4) % 4) {  // LibTorch's composition: flips and a transpose
    case 1: return x.flip({d1}).transpose(d0, d1);
    case 2: return x.flip({d0, d1});
    case 3: return x.flip({d0}).transpose(d0, d1);
    default: return x.clone();
  }
}

Tensor Tensor::repeat(IntArrayRef repeats) const {
  check_defined("repeat", *this);
  EMBER_CHECK(int64_t(repeats.size()) >= dim(),
              "repeat: Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor (",
              repeats.size(), " repeats for ", describe(*this), ")");
  for (int64_t r : repeats) EMBER_CHECK(r >= 0, "repeat: Trying to create tensor with negative dimension ", r);
  // Leading dims of size 1, then each dim i viewed as (1, s_i) and expanded to (r_i, s_i).
  std::vector<int64_t> padded(repeats.size() - size_t(dim()), 1), interleaved, result;
  for (int64_t s : sizes()) padded.push_back(s);
  for (size_t i = 0; i < repeats.size(); ++i) {
    interleaved.push_back(repeats[i]);
    interleaved.push_back(padded[i]);
    result.push_back(repeats[i] * padded[i]);
  }
  Tensor out;
  {
    NoGradGuard no_grad;
    std::vector<int64_t> unit;
    for (int64_t s : padded) {
      unit.push_back(1);
      unit.push_back(s);
    }
    out = reshape(unit).expand(interleaved).reshape(result);
  }
  std::vector<int64_t> own = sizes().vec(), sum_dims;
  for (size_t i = 0; i < repeats.size(); ++i) sum_dims.push_back(int64_t(2 * i));
  return as_node("repeat", *this, out, [interleaved, sum_dims, own](const Tensor& g) {
    return g.reshape(interleaved).sum(sum_dims).reshape(own);
  });
}

Tensor tile(const Tensor& x, IntArrayRef dims) {
  check_defined("tile", x);
  std::vector<int64_t> reps(size_t(std::max<int64_t>(0, x.dim() - int64_t(dims.size()))), 1);
  for (int64_t d : dims) reps.push_back(d);
  return x.repeat(reps);
}

Tensor repeat_interleave(const Tensor& repeats, std::optional<int64_t> output_size) {
  check_defined("repeat_interleave", repeats);
  EMBER_CHECK(repeats.dim() == 1, "repeat_interleave: repeat_interleave only accept 1D vector as repeat (got ",
              describe(repeats), ")");
  EMBER_CHECK(repeats.dtype() == kLong, "repeat_interleave: repeats has to be Long tensor (got ", describe(repeats),
              ")");
  Tensor r = repeats.cpu().contiguous();
  const int64_t* p = r.data_ptr<int64_t>();
  std::vector<int64_t> index;
  for (int64_t i = 0; i < r.numel(); ++i) {
    EMBER_CHECK(p[i] >= 0, "repeat_interleave: repeats can not be negative");
    index.insert(index.end(), size_t(p[i]), i);
  }
  EMBER_CHECK(!output_size || *output_size == int64_t(index.size()),
              "repeat_interleave: allocated size does not match required size (output_size ", *output_size, ", ",
              index.size(), " repeats in all)");
  return tensor(index).to(repeats.device());
}

Tensor repeat_interleave(const Tensor& x, const Tensor& repeats, std::optional<int64_t> dim,
                         std::optional<int64_t> output_size) {
  check_defined("repeat_interleave", x);
  check_defined("repeat_interleave", repeats);
  Tensor input = dim ? x : x.flatten();
  const int64_t d = dim ? wrap_dim(*dim, x.dim(), "repeat_interleave") : 0;
  Tensor reps = repeats;
  if (repeats.dim() == 0 || (repeats.dim() == 1 && repeats.size(0) == 1)) {
    reps = repeats.reshape({1}).expand({input.size(d)}).contiguous();
  }
  EMBER_CHECK(reps.dim() == 1 && reps.size(0) == input.size(d),
              "repeat_interleave: repeats must have the same size as input along dim (repeats ", describe(repeats),
              ", input ", describe(x), ")");
  return index_select(input, d, repeat_interleave(reps, output_size));
}

Tensor repeat_interleave(const Tensor& x, int64_t repeats, std::optional<int64_t> dim,
                         std::optional<int64_t> output_size) {
  EMBER_CHECK(repeats >= 0, "repeat_interleave: repeats can not be negative");
  return repeat_interleave(x, tensor({repeats}).to(x.device()), dim, output_size);
}

std::vector<Tensor> split_with_sizes(const Tensor& x, IntArrayRef split_sizes, int64_t dim) {
  check_defined("split_with_sizes", x);
  EMBER_CHECK(x.dim() != 0, "split_with_sizes: split expects at least a 1-dimensional tensor");
  const int64_t d = wrap_dim(dim, x.dim(), "split_with_sizes");
  int64_t total = 0;
  for (int64_t s : split_sizes) {
    EMBER_CHECK(s >= 0, "split_with_sizes: split_with_sizes expects split_sizes have only non-negative entries, ",
                "but got split_sizes=", split_sizes);
    total += s;
  }
  EMBER_CHECK(total == x.size(d), "split_with_sizes: split_with_sizes expects split_sizes to sum exactly to ",
              x.size(d), " (input tensor's size at dimension ", d, "), but got split_sizes=", split_sizes);
  std::vector<Tensor> parts;
  int64_t start = 0;
  for (int64_t s : split_sizes) {
    parts.push_back(x.narrow(d, start, s));
    start += s;
  }
  return parts;
}

std::vector<Tensor> split(const Tensor& x, int64_t split_size, int64_t dim) {
  check_defined("split", x);
  EMBER_CHECK(x.dim() != 0, "split: split expects at least a 1-dimensional tensor");
  EMBER_CHECK(split_size >= 0, "split: split expects split_size be non-negative, but got split_size=", split_size);
  const int64_t d = wrap_dim(dim, x.dim(), "split"), n = x.size(d);
  EMBER_CHECK(split_size != 0 || n == 0,
              "split: split_size can only be 0 if dimension size is 0, but got dimension size of ", n);
  const int64_t parts = split_size == 0 ? 1 : std::max<int64_t>((n + split_size - 1) / split_size, 1);
  std::vector<int64_t> sizes(size_t(parts), split_size);
  sizes.back() = split_size - (split_size * parts - n);
  return split_with_sizes(x, sizes, d);
}
std::vector<Tensor> split(const Tensor& x, IntArrayRef split_size, int64_t dim) {
  return split_with_sizes(x, split_size, dim);
}

std::vector<Tensor> chunk(const Tensor& x, int64_t chunks, int64_t dim) {
  check_defined("chunk", x);
  EMBER_CHECK(x.dim() > 0, "chunk: chunk expects at least a 1-dimensional tensor");
  EMBER_CHECK(chunks > 0, "chunk: chunk expects `chunks` to be greater than 0, got: ", chunks);
  const int64_t d = wrap_dim(dim, x.dim(), "chunk"), n = x.size(d);
  const int64_t split_size = (n + chunks - 1) / chunks;
  if (split_size == 0 && n == 0) {  // as LibTorch: `chunks` empty pieces
    std::vector<int64_t> sizes(size_t(chunks), 0);
    return split_with_sizes(x, sizes, d);
  }
  return split(x, split_size, d);
}

std::vector<Tensor> unbind(const Tensor& x, int64_t dim) {
  check_defined("unbind", x);
  EMBER_CHECK(x.dim() > 0, "unbind: Dimension specified as ", dim, " but tensor has no dimensions");
  const int64_t d = wrap_dim(dim, x.dim(), "unbind");
  std::vector<Tensor> parts;
  for (int64_t i = 0; i < x.size(d); ++i) parts.push_back(x.select(d, i));
  return parts;
}

std::vector<Tensor> meshgrid(TensorList tensors, const std::string& indexing) {
  EMBER_CHECK(indexing == "ij" || indexing == "xy",
              "meshgrid: torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: ", indexing);
  EMBER_CHECK(!tensors.empty(), "meshgrid: torch.meshgrid: Expected at least one tensor in the tensor list");
  for (size_t i = 0; i < tensors.size(); ++i) {
    check_defined("meshgrid", tensors[i]);
    EMBER_CHECK(
        tensors[i].dim() <= 1,
        "meshgrid: torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: ", describe(tensors[i]));
    EMBER_CHECK(tensors[i].dtype() == tensors[0].dtype(),
                "meshgrid: torch.meshgrid: Expected all tensors in the tensor list to have the same dtype.");
    EMBER_CHECK(tensors[i].device() == tensors[0].device(),
                "meshgrid: torch.meshgrid: Expected all tensors in the tensor list to have the same device.");
  }
  // "xy" is "ij" with the first two inputs swapped, and then the first two outputs (LibTorch's rule).
  std::vector<Tensor> in(tensors.begin(), tensors.end());
  const bool swap = indexing == "xy" && in.size() >= 2;
  if (swap) std::swap(in[0], in[1]);
  std::vector<int64_t> shape;
  for (const Tensor& t : in) shape.push_back(t.numel());
  std::vector<Tensor> out;
  for (size_t i = 0; i < in.size(); ++i) {
    std::vector<int64_t> view(in.size(), 1);
    view[i] = -1;
    out.push_back(in[i].view(view).expand(shape));
  }
  if (swap) std::swap(out[0], out[1]);
  return out;
}

Tensor tril(const Tensor& x, int64_t diagonal) { return triangle("tril", x, diagonal, true); }
Tensor triu(const Tensor& x, int64_t diagonal) { return triangle("triu", x, diagonal, false); }

Tensor diag(const Tensor& x, int64_t diagonal) {
  check_defined("diag", x);
  EMBER_CHECK(x.dim() == 1 || x.dim() == 2, "diag: diag(): Supports 1D or 2D tensors. Got ", x.dim(), "D");
  const int64_t k = diagonal;
  if (x.dim() == 1) {
    // An n x n matrix, n = len + |k|, holding x on diagonal k: x padded to n, spread along the
    // rows (k >= 0: M[i][i + k] = x[i]) or the columns (k < 0: M[j - k][j] = x[j]), masked.
    const int64_t len = x.size(0), pad = k < 0 ? -k : k, n = len + pad;
    Tensor padded = pad ? cat({x, zeros({pad}, x.options())}, 0) : x;
    Tensor spread = k >= 0 ? padded.unsqueeze(1).expand({n, n}) : padded.unsqueeze(0).expand({n, n});
    Tensor mask;
    {
      NoGradGuard no_grad;
      const TensorOptions o = TensorOptions(kLong).device(x.device());
      mask = (arange(n, o).unsqueeze(0) - arange(n, o).unsqueeze(1)) == k;
    }
    return where(mask, spread, zeros({}, x.options()));
  }
  // A matrix's diagonal k: a strided slice of its flattened elements, step (columns + 1).
  const int64_t rows = x.size(0), cols = x.size(1);
  const int64_t len = std::max<int64_t>(0, k >= 0 ? std::min(rows, cols - k) : std::min(rows + k, cols));
  if (len == 0) return zeros({0}, x.options());
  const int64_t start = k >= 0 ? k : -k * cols;
  return x.reshape({-1}).slice(0, start, start + (len - 1) * (cols + 1) + 1, cols + 1).clone();
}

Tensor outer(const Tensor& a, const Tensor& b) {
  check_defined("outer", a);
  check_defined("outer", b);
  EMBER_CHECK(a.dim() == 1, "outer: Expected 1-D argument self, but got ", a.dim(), "-D");
  EMBER_CHECK(b.dim() == 1, "outer: Expected 1-D argument vec2, but got ", b.dim(), "-D");
  return a.unsqueeze(1) * b;
}

// --- methods -----------------------------------------------------------------------------------------
Tensor Tensor::flip(IntArrayRef dims) const { return ember::flip(*this, dims); }
Tensor Tensor::roll(IntArrayRef shifts, IntArrayRef dims) const { return ember::roll(*this, shifts, dims); }
Tensor Tensor::rot90(int64_t k, IntArrayRef dims) const { return ember::rot90(*this, k, dims); }
Tensor Tensor::repeat_interleave(const Tensor& r, std::optional<int64_t> dim, std::optional<int64_t> size) const {
  return ember::repeat_interleave(*this, r, dim, size);
}
Tensor Tensor::repeat_interleave(int64_t r, std::optional<int64_t> dim, std::optional<int64_t> size) const {
  return ember::repeat_interleave(*this, r, dim, size);
}
Tensor Tensor::tile(IntArrayRef dims) const { return ember::tile(*this, dims); }
std::vector<Tensor> Tensor::chunk(int64_t chunks, int64_t dim) const { return ember::chunk(*this, chunks, dim); }
std::vector<Tensor> Tensor::split(int64_t size, int64_t dim) const { return ember::split(*this, size, dim); }
std::vector<Tensor> Tensor::split(IntArrayRef sizes, int64_t dim) const { return ember::split(*this, sizes, dim); }
std::vector<Tensor> Tensor::split_with_sizes(IntArrayRef sizes, int64_t dim) const {
  return ember::split_with_sizes(*this, sizes, dim);
}
std::vector<Tensor> Tensor::unbind(int64_t dim) const { return ember::unbind(*this, dim); }
Tensor Tensor::tril(int64_t diagonal) const { return ember::tril(*this, diagonal); }
Tensor Tensor::triu(int64_t diagonal) const { return ember::triu(*this, diagonal); }
Tensor Tensor::diag(int64_t diagonal) const { return ember::diag(*this, diagonal); }
Tensor Tensor::outer(const Tensor& vec2) const { return ember::outer(*this, vec2); }

}  // namespace ember
