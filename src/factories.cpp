// Factories: empty/zeros/ones/full, random, arange/eye, tensor({...}), from_blob and *_like.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>

#include "backend.h"
#include "cpu/cpu_backend.h"
#include "dtype_dispatch.h"
#include "factory_options.h"

namespace ember {
namespace {

/// Fills a host buffer then moves it to the requested device (small, setup-time factories).
template <typename Fill>
Tensor host_filled(const char* op, IntArrayRef sizes, ScalarType dt, Device dev, Fill fill) {
  Tensor h = make_empty(sizes, dt, Device(kCPU), op);
  dispatch_storage(dt, "factory", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* p = h.data_ptr<T>();
    for (int64_t i = 0; i < h.numel(); ++i) p[i] = T(fill(i));
  });
  return dev.is_cpu() ? h : h.to(dev);
}

/// full() as `op` (full, zeros, ones), which a refused shape's error names.
Tensor filled(const char* op, IntArrayRef size, const Scalar& v, const TensorOptions& o) {
  // Without a dtype, the fill value decides, as LibTorch does (full({2}, 1) is int64).
  ScalarType dt = o.has_dtype() ? o.dtype() : v.isFloatingPoint() ? kFloat : v.isBoolean() ? kBool : kLong;
  Tensor t = make_empty(size, dt, o.device(), op);
  backend(t).fill(t, v);
  return finish_factory(t, o);
}

}  // namespace

Tensor empty(IntArrayRef size, const TensorOptions& o) {
  return finish_factory(make_empty(size, o.dtype(), o.device()), o);
}
Tensor full(IntArrayRef size, const Scalar& v, const TensorOptions& o) { return filled("full", size, v, o); }
Tensor zeros(IntArrayRef size, const TensorOptions& o) { return filled("zeros", size, 0, o.dtype(o.dtype())); }
Tensor ones(IntArrayRef size, const TensorOptions& o) { return filled("ones", size, 1, o.dtype(o.dtype())); }

Tensor rand(IntArrayRef size, const TensorOptions& o) {
  EMBER_CHECK(is_floating_point(o.dtype()), "rand: expected a floating-point dtype, got ", o.dtype());
  Tensor t = make_empty(size, o.dtype(), o.device(), "rand");
  backend(t).uniform(t, 0, 1);
  return finish_factory(t, o);
}
Tensor randn(IntArrayRef size, const TensorOptions& o) {
  EMBER_CHECK(is_floating_point(o.dtype()), "randn: expected a floating-point dtype, got ", o.dtype());
  Tensor t = make_empty(size, o.dtype(), o.device(), "randn");
  backend(t).normal(t, 0, 1);
  return finish_factory(t, o);
}
Tensor randint(int64_t low, int64_t high, IntArrayRef size, const TensorOptions& o) {
  EMBER_CHECK(low < high, "randint: expects 'from' to be less than 'to', but got from=", low, " >= to=", high);
  ScalarType dt = o.has_dtype() ? o.dtype() : kLong;
  EMBER_CHECK(dt != kBool, "randint: bool is not a valid dtype");
  Tensor t = make_empty(size, dt, o.device(), "randint");
  backend(t).randint(t, low, high);
  return finish_factory(t, o);
}
Tensor randint(int64_t high, IntArrayRef size, const TensorOptions& o) { return randint(0, high, size, o); }

Tensor randperm(int64_t n, const TensorOptions& o) {
  EMBER_CHECK(n >= 0, "randperm: n must be non-negative, got ", n);
  // Drawn on the CPU generator exactly as torch.randperm, then moved.
  Tensor r = make_empty({n}, kLong, Device(kCPU), "randperm");
  static_cast<CpuBackend&>(cpu_backend()).randperm(r.data_ptr<int64_t>(), n);
  Tensor out = o.has_dtype() && o.dtype() != kLong ? r.to(o.dtype()) : r;
  return finish_factory(o.device().is_cpu() ? out : out.to(o.device()), o);
}

Tensor arange(const Scalar& start, const Scalar& end, const Scalar& step, const TensorOptions& o) {
  double s = start.toDouble(), e = end.toDouble(), st = step.toDouble();
  EMBER_CHECK(st != 0, "arange: step must be nonzero");
  EMBER_CHECK(std::isfinite(s) && std::isfinite(e), "arange: unsupported range: ", s, " -> ", e);
  EMBER_CHECK((st > 0 && e >= s) || (st < 0 && e <= s),
              "arange: upper bound and larger bound inconsistent "
              "with step sign (start ",
              s, ", end ", e, ", step ", st, ")");
  bool any_float = start.isFloatingPoint() || end.isFloatingPoint() || step.isFloatingPoint();
  ScalarType dt = o.has_dtype() ? o.dtype() : any_float ? kFloat : kLong;
  // Checked before the conversion: a count past int64 has no defined conversion at all.
  const double count = std::ceil((e - s) / st);
  EMBER_CHECK(count < 0x1p63, "arange: the range from ", s, " to ", e, " by step ", st,
              " has more elements than fit in 64 bits");
  const auto n = int64_t(count);
  return finish_factory(host_filled("arange", {n}, dt, o.device(), [&](int64_t i) { return s + double(i) * st; }), o);
}
Tensor arange(const Scalar& start, const Scalar& end, const TensorOptions& o) { return arange(start, end, 1, o); }
Tensor arange(const Scalar& end, const TensorOptions& o) { return arange(0, end, 1, o); }

Tensor eye(int64_t n, int64_t m, const TensorOptions& o) {
  EMBER_CHECK(n >= 0 && m >= 0, "eye: n and m must be non-negative, got ", n, " and ", m);
  return finish_factory(
      host_filled("eye", {n, m}, o.dtype(), o.device(), [m](int64_t i) { return i / m == i % m ? 1 : 0; }), o);
}
Tensor eye(int64_t n, const TensorOptions& o) { return eye(n, n, o); }

Tensor from_blob(void* data, IntArrayRef sizes, IntArrayRef strides, const TensorOptions& o) {
  EMBER_CHECK(sizes.size() == strides.size(), "from_blob: ", sizes.size(), " sizes but ", strides.size(), " strides");
  for (size_t i = 0; i < sizes.size(); ++i)
    EMBER_CHECK(sizes[i] >= 0 && strides[i] >= 0, "from_blob: negative size or stride");
  const int64_t numel = shape_numel(sizes, "from_blob");
  shape_nbytes(sizes, o.dtype(), "from_blob");
  // The elements the strides reach, from the first to one past the last, in bytes: the storage's
  // size, which must fit as a contiguous tensor's bytes must.
  int64_t span = numel == 0 ? 0 : 1, bytes = 0;
  bool overflow = false;
  for (size_t i = 0; i < sizes.size() && span > 0 && !overflow; ++i) {
    int64_t reach = 0;
    overflow = __builtin_mul_overflow(sizes[i] - 1, strides[i], &reach) || __builtin_add_overflow(span, reach, &span);
  }
  overflow = overflow || __builtin_mul_overflow(span, int64_t(element_size(o.dtype())), &bytes) || bytes > PTRDIFF_MAX;
  EMBER_CHECK(!overflow, "from_blob: shape ", sizes, " with strides ", strides, " of ", o.dtype(),
              " spans more bytes than fit in 64 bits");
  auto storage = std::make_shared<Storage>();
  storage->data = std::shared_ptr<void>(data, [](void*) {});  // the caller owns the memory
  storage->nbytes = size_t(bytes);
  storage->device = o.device();
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::move(storage);
  impl->sizes = sizes.vec();
  impl->strides = strides.vec();
  impl->dtype = o.dtype();
  return finish_factory(Tensor(std::move(impl)), o);
}
Tensor from_blob(void* data, IntArrayRef sizes, const TensorOptions& o) {
  shape_numel(sizes, "from_blob");  // before contiguous_strides multiplies the sizes
  return from_blob(data, sizes, contiguous_strides(sizes), o);
}

namespace {
TensorOptions like(const Tensor& t, const TensorOptions& o) {
  TensorOptions r =
      TensorOptions(o.has_dtype() ? o.dtype() : t.dtype()).device(o.has_device() ? o.device() : t.device());
  return r.requires_grad(o.requires_grad());
}
}  // namespace
Tensor empty_like(const Tensor& t, const TensorOptions& o) { return empty(t.sizes(), like(t, o)); }
Tensor zeros_like(const Tensor& t, const TensorOptions& o) { return zeros(t.sizes(), like(t, o)); }
Tensor ones_like(const Tensor& t, const TensorOptions& o) { return ones(t.sizes(), like(t, o)); }
Tensor full_like(const Tensor& t, const Scalar& v, const TensorOptions& o) { return full(t.sizes(), v, like(t, o)); }
Tensor randn_like(const Tensor& t, const TensorOptions& o) { return randn(t.sizes(), like(t, o)); }
Tensor rand_like(const Tensor& t, const TensorOptions& o) { return rand(t.sizes(), like(t, o)); }

// --- tensor({...}) ----------------------------------------------------------------------------------------
TensorDataContainer::TensorDataContainer(std::initializer_list<TensorDataContainer> list) : children_(list) {
  finish_list();
}

void TensorDataContainer::finish_list() {
  is_scalar_ = false;
  dtype_ = kBool;
  bool any = false;
  for (const auto& c : children_) {
    EMBER_CHECK(c.sizes() == children_.front().sizes(),
                "tensor: expected all sub-lists to have the same "
                "shape, got ",
                IntArrayRef(children_.front().sizes()), " and ", IntArrayRef(c.sizes()));
    ScalarType d = c.dtype_;
    if (!any || d == kFloat || (d == kLong && dtype_ == kBool)) dtype_ = d;
    any = true;
  }
  if (!any) dtype_ = kFloat;  // tensor({}) is an empty float tensor, as in LibTorch
}

std::vector<int64_t> TensorDataContainer::sizes() const {
  if (is_scalar_) return {};
  std::vector<int64_t> s{int64_t(children_.size())};
  if (!children_.empty()) {
    std::vector<int64_t> inner = children_.front().sizes();
    s.insert(s.end(), inner.begin(), inner.end());
  }
  return s;
}

void TensorDataContainer::flatten_into(std::vector<Scalar>& out) const {
  if (is_scalar_) {
    out.push_back(scalar_);
    return;
  }
  for (const auto& c : children_) c.flatten_into(out);
}

Tensor tensor(const TensorDataContainer& data, const TensorOptions& o) {
  std::vector<Scalar> values;
  data.flatten_into(values);
  ScalarType dt = o.has_dtype() ? o.dtype() : data.dtype();
  Tensor h = make_empty(data.sizes(), dt, Device(kCPU), "tensor");
  dispatch_storage(dt, "tensor", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* p = h.data_ptr<T>();
    for (size_t i = 0; i < values.size(); ++i) p[i] = values[i].to<T>();
  });
  Tensor t = o.device().is_cpu() ? h : h.to(o.device());
  return finish_factory(t, o);
}

}  // namespace ember
