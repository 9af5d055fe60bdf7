// Tensor indexing (include/ember/indexing.h): Tensor::index, index_put_, ember::index,
// ember::index_put, operator[](Tensor), and the TensorIndex / Slice types.
//
// As LibTorch's TensorIndexing: the index list is first applied left to right as views (an
// integer selects, a Slice slices, None and `true` unsqueeze, Ellipsis skips the dims the others
// leave), collecting the tensor indices by the dim they apply to; then, if there are any, ATen's
// advanced indexing gathers a copy. Advanced indexing turns bool masks into their nonzero
// coordinates, broadcasts all index tensors to one shape B, and puts B where the indexed dims
// were when they are adjacent, else in front. The gather itself is one kernel walk
// (src/scatter_geometry.h): the indexed dims collapse into one virtual dim of stride 1 whose
// index is the element offset sum_j index_j * stride_j, so strided and permuted inputs are
// read in place, never copied.
#include <algorithm>
#include <limits>
#include <ostream>

#include "common.h"
#include "ember/indexing.h"
#include "index.h"

namespace ember {
namespace indexing {

const EllipsisIndexType Ellipsis;

Slice::Slice(std::optional<int64_t> start, std::optional<int64_t> stop, std::optional<int64_t> step) {
  step_ = step.value_or(1);
  EMBER_CHECK(step_ != 0, "slice step cannot be zero");
  if (step_ < -std::numeric_limits<int64_t>::max()) step_ = -std::numeric_limits<int64_t>::max();
  start_ = start.value_or(step_ < 0 ? std::numeric_limits<int64_t>::max() : 0);
  stop_ = stop.value_or(step_ < 0 ? std::numeric_limits<int64_t>::min() : std::numeric_limits<int64_t>::max());
}

TensorIndex::TensorIndex(const char* s) : kind_(Kind::Ellipsis) {
  EMBER_CHECK(std::string(s) == "...", "Expected \"...\" to represent an ellipsis index, but got \"", s, "\"");
}

std::ostream& operator<<(std::ostream& os, const Slice& s) {
  return os << s.start() << ":" << s.stop() << ":" << s.step();
}

std::ostream& operator<<(std::ostream& os, const TensorIndex& i) {
  switch (i.kind()) {
    case TensorIndex::Kind::None: return os << "None";
    case TensorIndex::Kind::Ellipsis: return os << "...";
    case TensorIndex::Kind::Integer: return os << i.integer();
    case TensorIndex::Kind::Boolean: return os << (i.boolean() ? "true" : "false");
    case TensorIndex::Kind::Slice: return os << i.slice();
    case TensorIndex::Kind::Tensor: return os << i.tensor();
  }
  return os;
}

}  // namespace indexing

using indexing::TensorIndex;
using IndexList = std::vector<std::optional<Tensor>>;

namespace {

bool is_mask(const Tensor& t) { return t.dtype() == kBool; }

/// LibTorch's boolToIndexingTensor: `true` indexes the new size-1 dim with [0], `false` with [].
Tensor bool_index(bool value, Device device) {
  return value ? zeros({1}, TensorOptions(kLong).device(device)) : empty({0}, TensorOptions(kLong).device(device));
}

/// Applies the view part of an index list (integers, slices, None, Ellipsis, bools) and returns
/// the view; the tensor indices land in `tensors` at the dims they index.
Tensor apply_slicing(const Tensor& self, ArrayRef<TensorIndex> indices, IndexList& tensors) {
  EMBER_CHECK(!indices.empty(), "Passing an empty index list to Tensor::index() is not valid syntax");
  int64_t specified = 0;
  for (const TensorIndex& i : indices) {
    if (i.is_tensor()) specified += is_mask(i.tensor()) ? i.tensor().dim() : 1;
    else if (i.is_integer() || i.is_slice()) ++specified;
  }
  EMBER_CHECK(specified <= self.dim(), "too many indices for tensor of dimension ", self.dim(), " (got ", specified,
              ")");
  auto record = [&](const Tensor& t, int64_t& dim) {
    tensors.resize(size_t(dim) + 1);
    tensors[size_t(dim)] = t;
    ++dim;
  };
  Tensor result = self;
  int64_t dim = 0;
  bool seen_ellipsis = false;
  for (const TensorIndex& i : indices) {
    switch (i.kind()) {
      case TensorIndex::Kind::Integer: {
        const int64_t size = result.size(dim), v = i.integer();
        EMBER_CHECK(v >= -size && v < size, "index ", v, " is out of bounds for dimension ", dim, " with size ", size);
        result = result.select(dim, v);
        break;
      }
      case TensorIndex::Kind::Slice: {
        const indexing::Slice& s = i.slice();
        EMBER_CHECK(s.step() > 0, "step must be greater than zero");
        result = result.slice(dim, s.start(), s.stop(), s.step());
        ++dim;
        break;
      }
      case TensorIndex::Kind::Ellipsis:
        EMBER_CHECK(!seen_ellipsis, "An index can only have a single ellipsis ('...')");
        seen_ellipsis = true;
        dim += self.dim() - specified;
        break;
      case TensorIndex::Kind::None:
        result = result.unsqueeze(dim);
        ++dim;
        break;
      case TensorIndex::Kind::Boolean:
        result = result.unsqueeze(dim);
        record(bool_index(i.boolean(), self.device()), dim);
        break;
      case TensorIndex::Kind::Tensor: {
        const Tensor& t = i.tensor();
        EMBER_CHECK(t.defined(), "index: got an undefined tensor index");
        if (t.dim() == 0 && t.dtype() == kLong) {  // a 0-dim integer tensor selects, as an integer
          const int64_t size = result.size(dim), v = t.item<int64_t>();
          EMBER_CHECK(v >= -size && v < size, "index ", v, " is out of bounds for dimension ", dim, " with size ",
                      size);
          result = result.select(dim, v);
        } else if (t.dim() == 0 && t.dtype() == kBool) {
          result = result.unsqueeze(dim);
          record(bool_index(t.item<bool>(), self.device()), dim);
        } else {
          record(t, dim);
        }
        break;
      }
    }
  }
  return result;
}

/// Advanced indexing of `self` by `indices` (ATen's index / index_put), resolved to one walk.
struct Advanced {
  Tensor view;                  // self's storage: kept dims plus one virtual dim (stride 1) at `first`
  Tensor offsets;               // int64 of shape B: element offsets into that virtual dim
  int64_t first = 0;            // where B goes in the result
  std::vector<int64_t> walk;    // the result with B flattened: kept[0:first] + [numel(B)] + kept[first:]
  std::vector<int64_t> result;  // kept[0:first] + B + kept[first:]
  // One CPU index tensor: its values are the offsets themselves (the virtual dim has the indexed
  // dim's stride), checked and wrapped by the kernel in its own pass (detail::run_checked).
  bool kernel_checks = false;
  int64_t checked_dim = 0, checked_size = 0;
};

Advanced resolve(const Tensor& self, const IndexList& indices) {
  EMBER_CHECK(int64_t(indices.size()) <= self.dim(), "too many indices for tensor of dimension ", self.dim(), " (got ",
              indices.size(), ")");
  // One long index per indexed dim (masks become their nonzero coordinates).
  std::vector<Tensor> per_dim(size_t(self.dim()));
  int64_t p = 0;
  for (size_t j = 0; j < indices.size(); ++j) {
    if (!indices[j].has_value() || !indices[j]->defined()) {
      ++p;
      continue;
    }
    const Tensor& t = *indices[j];
    check_same_device("index", {self, t});
    EMBER_CHECK(t.dtype() == kLong || t.dtype() == kBool,
                "tensors used as indices must be long, byte or bool tensors, got ", describe(t));
    if (t.dtype() == kLong) {
      EMBER_CHECK(p < self.dim(), "too many indices for tensor of dimension ", self.dim());
      per_dim[size_t(p++)] = t;
      continue;
    }
    EMBER_CHECK(p + t.dim() <= self.dim(), "too many indices for tensor of dimension ", self.dim());
    for (int64_t k = 0; k < t.dim(); ++k)
      EMBER_CHECK(t.size(k) == self.size(p + k), "The shape of the mask ", t.sizes(), " at index ", k,
                  " does not match the shape of the indexed tensor ", self.sizes(), " at index ", p + k);
    Tensor nz = nonzero(t);
    for (int64_t k = 0; k < t.dim(); ++k) per_dim[size_t(p++)] = nz.select(1, k);
  }
  std::vector<int64_t> adv;
  std::vector<int64_t> b;
  for (int64_t d = 0; d < self.dim(); ++d) {
    if (!per_dim[size_t(d)].defined()) continue;
    if (adv.empty()) {
      b = per_dim[size_t(d)].sizes().vec();
    } else {
      const Tensor& t = per_dim[size_t(d)];
      std::vector<int64_t> nb;
      std::string why = detail::str(IntArrayRef(b), " and ", t.sizes());
      try {
        nb = broadcast_shapes(b, t.sizes(), "index");
      } catch (const Error&) {
        EMBER_CHECK(false, "shape mismatch: indexing tensors could not be broadcast together with shapes ", why);
      }
      b = nb;
    }
    adv.push_back(d);
  }
  EMBER_CHECK(!adv.empty(), "index: expected at least one index tensor");
  bool adjacent = adv.back() - adv.front() + 1 == int64_t(adv.size());

  Advanced a;
  std::vector<int64_t> kept_sizes, kept_strides;
  for (int64_t d = 0; d < self.dim(); ++d) {
    if (per_dim[size_t(d)].defined()) continue;
    if (adjacent && d < adv.front()) ++a.first;
    kept_sizes.push_back(self.size(d));
    kept_strides.push_back(self.stride(d));
  }
  // The element offset of each index combination (negative indices count from the end).
  Tensor off;
  a.kernel_checks = adv.size() == 1 && self.is_cpu();
  if (a.kernel_checks) {
    a.checked_dim = adv[0];
    a.checked_size = self.size(adv[0]);
    off = per_dim[size_t(adv[0])];
  }
  for (int64_t d : a.kernel_checks ? std::vector<int64_t>{} : adv) {
    const Tensor& t = per_dim[size_t(d)];
    const int64_t lo = detail::check_index_range("index", t, self.size(d), d, true);
    NoGradGuard no_grad;
    Tensor w = lo < 0 ? where(t < 0, t + self.size(d), t) : t;
    if (self.stride(d) != 1) w = w * self.stride(d);
    off = off.defined() ? off + w : w;
  }
  {
    NoGradGuard no_grad;
    a.offsets = broadcast_view(off, b).contiguous();
  }
  std::vector<int64_t> vs = kept_sizes, vst = kept_strides;
  vs.insert(vs.begin() + a.first, 1);
  vst.insert(vst.begin() + a.first, a.kernel_checks ? self.stride(a.checked_dim) : 1);
  a.view = make_view(self, vs, vst, self.storage_offset());
  a.walk = kept_sizes;
  a.walk.insert(a.walk.begin() + a.first, a.offsets.numel());
  a.result = kept_sizes;
  a.result.insert(a.result.begin() + a.first, b.begin(), b.end());
  return a;
}

/// a.offsets viewed over the walk: its entries along `first`, stride 0 elsewhere.
Tensor spread_offsets(const Advanced& a) {
  std::vector<int64_t> strides(a.walk.size(), 0);
  strides[size_t(a.first)] = 1;
  return make_view(a.offsets, a.walk, strides, a.offsets.storage_offset());
}

/// Runs the kernel over a, with the kernel's own index check when a asks for it.
template <typename Kernel>
void run(const Advanced& a, const ScatterGeometry& g, Kernel kernel) {
  if (a.kernel_checks) detail::run_checked("index", g, a.offsets, a.checked_size, a.checked_dim, true, kernel);
  else kernel(g);
}

/// Writes (or adds) `values` at the advanced index a into the storage behind a.view.
void put(const Advanced& a, const Tensor& values, bool accumulate) {
  std::vector<int64_t> shape;
  try {
    shape = broadcast_shapes(a.result, values.sizes(), "index_put_");
  } catch (const Error&) {
    shape.clear();
  }
  EMBER_CHECK(IntArrayRef(shape).equals(a.result), "shape mismatch: value tensor of shape ", values.sizes(),
              " cannot be broadcast to indexing result of shape ", IntArrayRef(a.result));
  if (a.offsets.numel() == 0) return;
  Tensor v;
  {
    NoGradGuard no_grad;
    v = broadcast_view(values.detach().to(a.view.dtype()), a.result).contiguous().view(a.walk);
  }
  Tensor ix = spread_offsets(a);
  run(a, make_scatter_geometry(a.view, a.first, ix, v), [&](const ScatterGeometry& g) {
    backend(a.view).scatter(a.view, ix, v, g, accumulate ? ScatterReduce::Sum : ScatterReduce::Assign);
  });
}

/// LibTorch's slicePrefix1sSize: a value's leading size-1 dims are dropped before it is written.
Tensor strip_leading_ones(const Tensor& v) {
  int64_t k = 0;
  while (k < v.dim() && v.size(k) == 1) ++k;
  return k == 0 ? v
                : v.view(v.sizes().vec().size() == size_t(k)
                             ? std::vector<int64_t>{}
                             : std::vector<int64_t>(v.sizes().begin() + k, v.sizes().end()));
}

}  // namespace

Tensor index(const Tensor& self, const IndexList& indices) {
  check_defined("index", self);
  Advanced a = resolve(self, indices);
  Tensor out = make_empty(a.result, self.dtype(), self.device(), "index");
  if (out.numel() > 0) {
    Tensor ix = spread_offsets(a);
    // The kernel writes out through a flat alias (B as one dim); out itself is no view.
    Tensor flat = make_view(out, a.walk, contiguous_strides(a.walk), out.storage_offset());
    run(a, make_scatter_geometry(a.view, a.first, ix, flat),
        [&](const ScatterGeometry& g) { backend(self).gather(flat, a.view, ix, g); });
  }
  if (autograd::needs_grad({self}) && self.is_floating_point()) {
    std::vector<autograd::SavedTensor> saved;
    std::vector<bool> present;
    for (const auto& i : indices) {
      present.push_back(i.has_value() && i->defined());
      saved.push_back(present.back() ? autograd::save(*i, "index") : autograd::SavedTensor());
    }
    std::vector<int64_t> shape = self.sizes().vec();
    autograd::record(autograd::NodeName("index", "IndexBackward0"), out, {self},
                     [saved, present, shape](const Tensor& g) -> variable_list {
                       IndexList idx;
                       for (size_t j = 0; j < saved.size(); ++j)
                         idx.push_back(present[j] ? std::optional<Tensor>(saved[j].get()) : std::nullopt);
                       // Repeated indices must add up: an accumulating put into zeros.
                       return {index_put(zeros(shape, g.options()), idx, g, /*accumulate=*/true)};
                     });
  }
  return out;
}

Tensor index_put(const Tensor& self, const IndexList& indices, const Tensor& values, bool accumulate) {
  check_defined("index_put_", self);
  check_defined("index_put_", values);
  check_same_device("index_put_", {self, values});
  Tensor out;
  {
    NoGradGuard no_grad;
    out = self.clone();
  }
  Advanced a = resolve(out, indices);
  put(a, values, accumulate);
  if (autograd::needs_grad({self, values}) && self.is_floating_point()) {
    std::vector<autograd::SavedTensor> saved;
    std::vector<bool> present;
    for (const auto& i : indices) {
      present.push_back(i.has_value() && i->defined());
      saved.push_back(present.back() ? autograd::save(*i, "index_put") : autograd::SavedTensor());
    }
    std::vector<int64_t> value_shape = values.sizes().vec();
    ScalarType value_dtype = values.dtype();
    autograd::record("index_put", out, {self, values},
                     [=](const Tensor& g, const std::vector<bool>& n) -> variable_list {
                       IndexList idx;
                       for (size_t j = 0; j < saved.size(); ++j)
                         idx.push_back(present[j] ? std::optional<Tensor>(saved[j].get()) : std::nullopt);
                       Tensor gs, gv;
                       if (n[0]) gs = accumulate ? g : index_put(g, idx, zeros({}, g.options()), false);
                       if (n[1]) {
                         gv = sum_to(index(g, idx), value_shape);
                         if (gv.dtype() != value_dtype) gv = gv.to(value_dtype);
                       }
                       return {gs, gv};
                     });
  }
  return out;
}

Tensor Tensor::index(ArrayRef<TensorIndex> indices) const {
  check_defined("index", *this);
  IndexList tensors;
  Tensor sliced = apply_slicing(*this, indices, tensors);
  if (tensors.empty()) return sliced;
  return ember::index(sliced, tensors);
}

Tensor Tensor::index(std::initializer_list<TensorIndex> indices) const { return index(ArrayRef<TensorIndex>(indices)); }

Tensor Tensor::operator[](const Tensor& index) const { return this->index({TensorIndex(index)}); }

const Tensor& Tensor::index_put_(const IndexList& indices, const Tensor& values, bool accumulate) const {
  return detail::in_place(
      "index_put_", *this, {values},
      [&](const Tensor& self) {
        check_defined("index_put_", values);
        check_same_device("index_put_", {self, values});
        put(resolve(self, indices), values, accumulate);
      },
      [&](const Tensor& self) { return ember::index_put(self, indices, values, accumulate); });
}

Tensor Tensor::index_put(const IndexList& indices, const Tensor& values, bool accumulate) const {
  return ember::index_put(*this, indices, values, accumulate);
}

const Tensor& Tensor::index_put_(ArrayRef<TensorIndex> indices, const Tensor& values) const {
  check_defined("index_put_", *this);
  check_defined("index_put_", values);
  IndexList tensors;
  Tensor sliced = apply_slicing(*this, indices, tensors);
  Tensor v = strip_leading_ones(values);
  if (tensors.empty()) {
    sliced.copy_(v);
    return *this;
  }
  sliced.index_put_(tensors, v, false);
  return *this;
}

const Tensor& Tensor::index_put_(std::initializer_list<TensorIndex> indices, const Tensor& values) const {
  return index_put_(ArrayRef<TensorIndex>(indices), values);
}

const Tensor& Tensor::index_put_(ArrayRef<TensorIndex> indices, const Scalar& value) const {
  check_defined("index_put_", *this);
  return index_put_(indices, full({}, value, options()));
}

const Tensor& Tensor::index_put_(std::initializer_list<TensorIndex> indices, const Scalar& value) const {
  return index_put_(ArrayRef<TensorIndex>(indices), value);
}

}  // namespace ember
