// Tensor metadata, storage allocation, autograd accessors and dtype/device conversion.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "autograd/function.h"
#include "backend.h"
#include "dtype_dispatch.h"

namespace ember {

const char* to_string(ScalarType t) {
  switch (t) {
    case kFloat: return "float32";
    case kDouble: return "float64";
    case kLong: return "int64";
    case kBool: return "bool";
    case kByte: return "uint8";
    case kChar: return "int8";
    case kShort: return "int16";
    case kInt: return "int32";
    case kHalf: return "float16";
    case kBFloat16: return "bfloat16";
  }
  return "unknown";
}
std::ostream& operator<<(std::ostream& os, ScalarType t) { return os << to_string(t); }

size_t element_size(ScalarType t) {
  switch (t) {
    case kFloat: return 4;
    case kDouble: return 8;
    case kLong: return 8;
    case kBool:
    case kByte:
    case kChar: return 1;
    case kHalf:
    case kBFloat16:
    case kShort: return 2;
    case kInt: return 4;
  }
  return 0;
}

Device::Device(const std::string& spec) : type_(kCPU), index_(-1) {
  std::string kind = spec.substr(0, spec.find(':'));
  if (kind == "cpu") {
    type_ = kCPU;
  } else if (kind == "cuda") {
    type_ = kCUDA;
  } else {
    throw Error("Device: expected 'cpu', 'cuda' or 'cuda:N', got '" + spec + "'");
  }
  if (spec.size() > kind.size()) {
    std::string idx = spec.substr(kind.size() + 1);
    EMBER_CHECK(!idx.empty() && idx.find_first_not_of("0123456789") == std::string::npos,
                "Device: bad device index in '", spec, "'");
    index_ = std::stoi(idx);
  }
}
std::string Device::str() const {
  std::string s = type_ == kCPU ? "cpu" : "cuda";
  return index_ >= 0 ? s + ":" + std::to_string(index_) : s;
}
std::ostream& operator<<(std::ostream& os, const Device& d) { return os << d.str(); }
std::ostream& operator<<(std::ostream& os, DeviceType d) { return os << (d == kCPU ? "cpu" : "cuda"); }
std::ostream& operator<<(std::ostream& os, const Scalar& s) {
  if (s.isFloatingPoint()) return os << s.toDouble();
  if (s.isBoolean()) return os << (s.toBool() ? "true" : "false");
  return os << s.toLong();
}

// --- internals -----------------------------------------------------------------------------------
std::vector<int64_t> contiguous_strides(IntArrayRef sizes) {
  std::vector<int64_t> strides(sizes.size());
  int64_t s = 1;
  for (size_t i = sizes.size(); i-- > 0;) {
    strides[i] = s;
    s *= std::max<int64_t>(sizes[i], 1);
  }
  return strides;
}

std::string too_many_elements(IntArrayRef sizes) {
  return detail::str("shape ", sizes, " has more elements than fit in 64 bits");
}

// Unchecked, these products wrapped: empty({1 << 32, 1 << 32}) got a 0-byte buffer, and
// zeros({2}).view({3, 6148914691236517206}) passed as a view of 2 elements.
std::string shape_problem(IntArrayRef sizes, const ScalarType* dtype, int64_t* numel) {
  for (int64_t s : sizes)
    if (s < 0) return detail::str("negative dimension in shape ", sizes);
  int64_t extent = 1;  // the product of the non-zero sizes
  bool zero = false, overflow = false;
  for (int64_t s : sizes) {
    if (s == 0) zero = true;
    else overflow = overflow || __builtin_mul_overflow(extent, s, &extent);
  }
  if (overflow && !zero) return too_many_elements(sizes);
  // No elements, but contiguous strides (and flatten, and kernels' loop bounds) multiply the
  // other sizes. LibTorch refuses most such shapes ("Stride calculation overflowed", or its numel
  // check, depending on where the zero sits); ember refuses all, whatever the order.
  if (overflow) return detail::str("shape ", sizes, ": the product of its non-zero sizes does not fit in 64 bits");
  const int64_t n = zero ? 0 : extent;
  int64_t bytes = 0;
  if (dtype && (__builtin_mul_overflow(n, int64_t(element_size(*dtype)), &bytes) || bytes > PTRDIFF_MAX))
    return detail::str("shape ", sizes, " of ", *dtype, " has more bytes than fit in 64 bits");
  if (numel) *numel = n;
  return {};
}

int64_t shape_numel(IntArrayRef sizes, const char* op) {
  int64_t n = 0;
  const std::string problem = shape_problem(sizes, nullptr, &n);
  EMBER_CHECK(problem.empty(), op, ": ", problem);
  return n;
}

size_t shape_nbytes(IntArrayRef sizes, ScalarType dtype, const char* op) {
  int64_t n = 0;
  const std::string problem = shape_problem(sizes, &dtype, &n);
  EMBER_CHECK(problem.empty(), op, ": ", problem);
  return size_t(n) * element_size(dtype);
}

Tensor make_empty(IntArrayRef sizes, ScalarType dtype, Device device, const char* op) {
  EMBER_CHECK(dtype != kHalf && dtype != kBFloat16, "empty: dtype ", dtype,
              " is reserved and not supported yet (float32, float64, the integers and bool are)");
  const size_t nbytes = shape_nbytes(sizes, dtype, op);
  auto storage = std::make_shared<Storage>();
  storage->nbytes = nbytes;
  storage->device = device;
  storage->data = backend(device).allocate(storage->nbytes);
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::move(storage);
  impl->sizes = sizes.vec();
  impl->strides = contiguous_strides(sizes);
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

Tensor make_view(const Tensor& base, std::vector<int64_t> sizes, std::vector<int64_t> strides, int64_t offset) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = base.impl()->storage;
  impl->sizes = std::move(sizes);
  impl->strides = std::move(strides);
  impl->offset = offset;
  impl->dtype = base.dtype();
  return Tensor(std::move(impl));
}

namespace {
/// LibTorch's is_non_overlapping_and_dense: the elements fill one block of memory, each once.
bool non_overlapping_and_dense(const TensorImpl& t) {
  const size_t n = t.sizes.size();
  if (n == 1) return t.sizes[0] < 2 || t.strides[0] == 1;
  std::vector<size_t> perm(n);
  for (size_t i = 0; i < n; ++i) perm[i] = i;
  std::sort(perm.begin(), perm.end(), [&](size_t a, size_t b) {
    if (t.sizes[a] < 2 || t.sizes[b] < 2) return t.sizes[a] >= 2 && t.sizes[b] < 2;
    return t.strides[a] < t.strides[b];
  });
  int64_t expected = 1;
  for (size_t i : perm) {
    if (t.sizes[i] < 2) return true;
    if (t.strides[i] != expected) return false;
    expected *= t.sizes[i];
  }
  return true;
}

/// LibTorch's get_overlap_status(a, b) == PARTIAL.
bool partly_overlap(const TensorImpl& a, const TensorImpl& b) {
  if (&a == &b || a.storage != b.storage || a.numel() == 0 || b.numel() == 0) return false;
  if (!non_overlapping_and_dense(a) || !non_overlapping_and_dense(b)) return false;
  const char *a_begin = a.data(), *b_begin = b.data();
  const char* a_end = a_begin + a.numel() * int64_t(element_size(a.dtype));
  const char* b_end = b_begin + b.numel() * int64_t(element_size(b.dtype));
  if (a_begin == b_begin && a_end == b_end) return a.strides != b.strides;
  return a_begin < b_end && b_begin < a_end;
}
}  // namespace

void check_no_overlap(const char* op, const Tensor& out, std::initializer_list<Tensor> inputs) {
  const TensorImpl& o = *out.impl();
  auto layout = [](const Tensor& t) {
    return detail::str(describe(t), ", strides ", t.strides(), ", storage offset ", t.storage_offset());
  };
  if (!non_overlapping_and_dense(o)) {
    for (size_t d = 0; d < o.sizes.size(); ++d)
      EMBER_CHECK(!(o.strides[d] == 0 && o.sizes[d] > 1), op,
                  ": unsupported operation: more than one element "
                  "of the written-to tensor (",
                  layout(out),
                  ") refers to a single memory location. Please "
                  "clone() the tensor before performing the operation.");
  }
  for (const Tensor& in : inputs)
    EMBER_CHECK(!in.defined() || !partly_overlap(o, *in.impl()), op,
                ": unsupported operation: some elements of "
                "the input tensor (",
                layout(in), ") and the written-to tensor (", layout(out),
                ") refer to a "
                "single memory location. Please clone() the tensor before performing the operation.");
}

// --- assignment ------------------------------------------------------------------------------------
Tensor& Tensor::operator=(const Tensor& src) && {
  copy_(src);
  return *this;
}
Tensor& Tensor::operator=(Tensor&& src) && {
  copy_(src);
  return *this;
}
Tensor& Tensor::operator=(const Scalar& value) && {
  fill_(value);
  return *this;
}

// --- metadata ------------------------------------------------------------------------------------
static TensorImpl* checked(const std::shared_ptr<TensorImpl>& impl) {
  EMBER_CHECK(impl != nullptr,
              "Tensor: operation on an undefined tensor (a default-constructed Tensor, "
              "or a grad() that no backward has reached yet)");
  return impl.get();
}
#define EMBER_IMPL() checked(impl_)

IntArrayRef Tensor::sizes() const { return EMBER_IMPL()->sizes; }
IntArrayRef Tensor::strides() const { return EMBER_IMPL()->strides; }
int64_t Tensor::size(int64_t d) const { return sizes()[wrap_dim(d, dim(), "size")]; }
int64_t Tensor::stride(int64_t d) const { return strides()[wrap_dim(d, dim(), "stride")]; }
int64_t Tensor::dim() const { return int64_t(EMBER_IMPL()->sizes.size()); }
int64_t Tensor::numel() const { return EMBER_IMPL()->numel(); }
int64_t Tensor::storage_offset() const { return EMBER_IMPL()->offset; }
ScalarType Tensor::dtype() const { return EMBER_IMPL()->dtype; }
Device Tensor::device() const { return EMBER_IMPL()->storage->device; }
TensorOptions Tensor::options() const { return TensorOptions(dtype()).device(device()); }
uint32_t Tensor::_version() const { return EMBER_IMPL()->storage->version.load(); }
void* Tensor::data_ptr() const { return EMBER_IMPL()->data(); }
bool Tensor::is_inference() const { return EMBER_IMPL()->storage->inference; }

void Tensor::check_accessor(size_t dims, bool int32_indices) const {
  EMBER_CHECK(dim() == int64_t(dims), "TensorAccessor expected ", dims, " dims but tensor has ", dim());
  if (!int32_indices) return;
  constexpr int64_t limit = std::numeric_limits<int32_t>::max();
  bool fits = numel() <= limit;
  for (int64_t d = 0; d < dim(); ++d) fits = fits && size(d) <= limit && stride(d) <= limit;
  EMBER_CHECK(fits,
              "numel needs to be smaller than int32_t max; otherwise, please use packed_accessor64 (tensor of size ",
              sizes(), ")");
}

bool Tensor::is_contiguous() const {
  const TensorImpl* t = EMBER_IMPL();
  if (t->numel() == 0) return true;  // as PyTorch: an empty tensor has no layout to break
  int64_t expected = 1;
  for (size_t i = t->sizes.size(); i-- > 0;) {
    if (t->sizes[i] == 1) continue;
    if (t->strides[i] != expected) return false;
    expected *= t->sizes[i];
  }
  return true;
}

template <typename T>
T* Tensor::data_ptr() const {
  EMBER_CHECK(dtype() == ScalarTypeOf<T>::value, "data_ptr: the tensor is ", dtype(), " but data_ptr was asked for ",
              ScalarTypeOf<T>::value);
  return reinterpret_cast<T*>(EMBER_IMPL()->data());
}
template EMBER_API float* Tensor::data_ptr<float>() const;
template EMBER_API double* Tensor::data_ptr<double>() const;
template EMBER_API int64_t* Tensor::data_ptr<int64_t>() const;
template EMBER_API bool* Tensor::data_ptr<bool>() const;
template EMBER_API uint8_t* Tensor::data_ptr<uint8_t>() const;
template EMBER_API int8_t* Tensor::data_ptr<int8_t>() const;
template EMBER_API int16_t* Tensor::data_ptr<int16_t>() const;
template EMBER_API int32_t* Tensor::data_ptr<int32_t>() const;

Scalar Tensor::item() const {
  EMBER_CHECK(numel() == 1, "item: a tensor with ", numel(),
              " elements cannot be converted to a "
              "scalar (shape ",
              sizes(), ")");
  Tensor c = device().is_cpu() ? *this : to(Device(kCPU));
  return dispatch_storage(dtype(), "item", [&](auto tag) -> Scalar {
    using T = typename decltype(tag)::type;
    return Scalar(*reinterpret_cast<const T*>(c.impl()->data()));
  });
}
template <typename T>
T Tensor::item() const {
  return item().to<T>();
}
template EMBER_API float Tensor::item<float>() const;
template EMBER_API double Tensor::item<double>() const;
template EMBER_API int64_t Tensor::item<int64_t>() const;
template EMBER_API bool Tensor::item<bool>() const;
template EMBER_API uint8_t Tensor::item<uint8_t>() const;
template EMBER_API int8_t Tensor::item<int8_t>() const;
template EMBER_API int16_t Tensor::item<int16_t>() const;
template EMBER_API int32_t Tensor::item<int32_t>() const;

// --- autograd accessors ------------------------------------------------------------------------------
bool Tensor::requires_grad() const {
  const TensorImpl* t = EMBER_IMPL();
  return t->requires_grad || grad_fn() != nullptr;
}
const Tensor& Tensor::requires_grad_(bool r) const {
  EMBER_CHECK(is_leaf() || r,
              "requires_grad_: you can only change requires_grad flags of leaf "
              "tensors; use detach() to get a tensor that does not require grad");
  EMBER_CHECK(!r || is_floating_point(),
              "requires_grad_: only floating-point tensors can require "
              "gradients, got ",
              describe(*this));
  impl_->requires_grad = r;
  return *this;
}
bool Tensor::is_leaf() const { return grad_fn() == nullptr; }
const Tensor& Tensor::grad() const { return EMBER_IMPL()->grad; }
Tensor& Tensor::mutable_grad() const { return EMBER_IMPL()->grad; }
const std::shared_ptr<autograd::Node>& Tensor::grad_fn() const {
  EMBER_IMPL();
  return autograd::current_grad_fn(impl_);
}
bool Tensor::is_view() const { return EMBER_IMPL()->view_base.defined(); }
const Tensor& Tensor::_base() const {
  EMBER_CHECK(is_view(), "_base: can't get the base of a tensor that is not a view (", describe(*this), ")");
  return impl_->view_base;
}
bool Tensor::retains_grad() const { return EMBER_IMPL()->retains_grad; }
void Tensor::retain_grad() const {
  EMBER_CHECK(requires_grad(), "retain_grad: can't retain_grad on a tensor that does not require grad");
  if (is_leaf() || impl_->retains_grad) return;
  impl_->retains_grad = true;
  grad_fn()->retained_outputs.push_back(impl_);
}

unsigned Tensor::_register_hook(std::function<Tensor(const Tensor&)> hook) const {
  EMBER_CHECK(requires_grad(), "register_hook: cannot register a hook on a tensor that doesn't require gradient (",
              describe(*this), ")");
  EMBER_CHECK(hook != nullptr, "register_hook: the hook is empty");
  auto entry = std::make_shared<autograd::TensorHook>(autograd::TensorHook{std::move(hook)});
  // A non-leaf's hook belongs to the node that computes it now: an in-place op later gives the
  // tensor a new node, and the hook keeps seeing the gradient of the value it was registered on.
  if (!is_leaf()) autograd::current_grad_fn(impl_)->output_hooks.emplace_back(impl_->output_nr, entry);
  impl_->hooks.push_back(std::move(entry));
  return unsigned(impl_->hooks.size() - 1);
}

void Tensor::remove_hook(unsigned pos) const {
  auto& hooks = EMBER_IMPL()->hooks;
  EMBER_CHECK(pos < hooks.size() && hooks[pos]->fn != nullptr, "remove_hook: Invalid index, no hook at position ", pos);
  hooks[pos]->fn = nullptr;
}

Tensor Tensor::detach() const {
  const TensorImpl* t = EMBER_IMPL();
  return make_view(*this, t->sizes, t->strides, t->offset);
}
const Tensor& Tensor::detach_() const {
  EMBER_CHECK(!is_view(), "detach_: can't detach views in-place (", describe(*this),
              " is a view). Use detach() "
              "instead.");
  impl_->grad_fn = nullptr;
  impl_->requires_grad = false;
  return *this;
}

// --- conversion ----------------------------------------------------------------------------------
namespace {
/// A copy of t on `dev` as `dt`, recorded as `op`: to() gives LibTorch's ToCopyBackward0,
/// clone() its CloneBackward0.
Tensor converted(const Tensor& t, Device dev, ScalarType dt, const char* op) {
  Tensor out;
  if (dev == t.device()) {
    out = make_empty(t.sizes(), dt, dev);
    backend(dev).copy(out, t);
  } else {
    // Cross-device: make a contiguous copy of the source dtype, move bytes, then cast there.
    Tensor src = t.contiguous();
    Tensor moved = make_empty(t.sizes(), t.dtype(), dev);
    if (dev.is_cpu()) {
      backend(t.device()).copy_to_host(moved.data_ptr(), src.data_ptr(), src.nbytes());
    } else {
      backend(dev).copy_from_host(moved.data_ptr(), src.data_ptr(), src.nbytes());
    }
    out = moved;
    if (dt != t.dtype()) {
      out = make_empty(t.sizes(), dt, dev);
      backend(dev).copy(out, moved);
    }
  }
  if (autograd::needs_grad({t}) && ember::is_floating_point(dt)) {
    Device src_dev = t.device();
    ScalarType src_dt = t.dtype();
    autograd::record(op, out, {t}, [src_dev, src_dt](const Tensor& g) -> variable_list {
      return {g.to(TensorOptions(src_dt).device(src_dev))};
    });
  }
  return out;
}
}  // namespace

Tensor Tensor::to(const TensorOptions& o, bool non_blocking, bool copy) const {
  Device dev = o.has_device() ? o.device() : device();
  ScalarType dt = o.has_dtype() ? o.dtype() : dtype();
  (void)non_blocking;
  if (!copy && dev == device() && dt == dtype()) return *this;
  return converted(*this, dev, dt, "to");
}
Tensor Tensor::to(Device d, std::optional<ScalarType> dt, bool nb, bool copy) const {
  TensorOptions o = TensorOptions(d);
  if (dt) o = o.dtype(*dt);
  return to(o, nb, copy);
}
Tensor Tensor::to(ScalarType dt, bool nb, bool copy) const { return to(TensorOptions(dt), nb, copy); }
Tensor Tensor::to(const Tensor& other, bool nb, bool copy) const {
  EMBER_CHECK(other.defined(), "to: the tensor whose dtype and device to take is undefined (self ", describe(*this),
              ")");
  return to(TensorOptions(other.dtype()).device(other.device()), nb, copy);
}

Tensor Tensor::clone() const { return converted(*this, device(), dtype(), "clone"); }
Tensor Tensor::contiguous() const { return is_contiguous() ? *this : clone(); }

}  // namespace ember
