#pragma once
// Tensor: a shared handle to storage plus shape, strides, offset, dtype, device and autograd
// state. Copying a Tensor copies the handle, as in LibTorch; in-place methods are const on the
// handle (w.grad().zero_() works) and mutate the shared data.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

#include "ember/accessor.h"
#include "ember/types.h"

namespace ember {

struct TensorImpl;
class Tensor;
namespace autograd {
struct Node;
}
namespace indexing {
class TensorIndex;  // include/ember/indexing.h
}
using TensorList = ArrayRef<Tensor>;

class EMBER_API Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}
  Tensor(const Tensor&) = default;
  Tensor(Tensor&&) noexcept = default;
  ~Tensor() = default;

  // --- assignment, as LibTorch's ref-qualified overloads -----------------------------------
  /// Assigning to a named tensor rebinds the name to the other's data; nothing is copied.
  Tensor& operator=(const Tensor& other) & {
    impl_ = other.impl_;
    return *this;
  }
  Tensor& operator=(Tensor&& other) & noexcept {
    impl_ = std::move(other.impl_);
    return *this;
  }
  /// Assigning to a temporary writes into the storage it views: `t[1] = row` is
  /// t[1].copy_(row) (broadcast, cast, recorded for autograd: t's history takes the new values)
  /// and `t.narrow(0, 2, 1) = 7.5` is fill_(7.5).
  Tensor& operator=(const Tensor& src) &&;
  Tensor& operator=(Tensor&& src) &&;
  Tensor& operator=(const Scalar& value) &&;

  // --- metadata --------------------------------------------------------------------------
  bool defined() const { return impl_ != nullptr; }
  IntArrayRef sizes() const;
  IntArrayRef strides() const;
  int64_t size(int64_t dim) const;
  int64_t stride(int64_t dim) const;
  int64_t dim() const;
  int64_t ndimension() const { return dim(); }
  int64_t numel() const;
  int64_t storage_offset() const;
  ScalarType dtype() const;
  ScalarType scalar_type() const { return dtype(); }
  Device device() const;
  TensorOptions options() const;
  bool is_cuda() const { return device().is_cuda(); }
  bool is_cpu() const { return device().is_cpu(); }
  bool is_contiguous() const;
  bool is_floating_point() const { return ember::is_floating_point(dtype()); }
  bool is_complex() const { return false; }  // ember has no complex dtypes
  Layout layout() const { return kStrided; }
  bool is_signed() const { return dtype() != kByte && dtype() != kBool; }
  size_t element_size() const { return ember::element_size(dtype()); }
  size_t nbytes() const { return size_t(numel()) * element_size(); }
  size_t itemsize() const { return element_size(); }
  /// -1 for a CPU tensor, the GPU's index for a CUDA one (LibTorch's get_device()).
  int64_t get_device() const { return is_cuda() ? std::max<int64_t>(device().index(), 0) : -1; }
  bool is_sparse() const { return false; }  // ember's tensors are dense
  /// The truth of a one-element tensor (an Error for any other, as LibTorch's).
  bool is_nonzero() const;
  bool is_same(const Tensor& other) const { return impl_ == other.impl_; }
  /// Whether this tensor is a view (made by view, select, narrow, expand, ...) of another.
  bool is_view() const;
  /// The tensor a view was made from (the root one, for a view of a view); an error for a non-view.
  const Tensor& _base() const;
  /// Pointer to the first element; T must match dtype() (checked). CUDA tensors give device pointers.
  template <typename T>
  T* data_ptr() const;
  /// The same, untyped (LibTorch's data_ptr()).
  void* data_ptr() const;
  /// `auto a = t.accessor<float, 2>(); a[i][j]`: the elements through sizes and strides
  /// (ember/accessor.h); T must match dtype() and N dim(). Not on a temporary, as in LibTorch.
  template <typename T, size_t N>
  TensorAccessor<T, N> accessor() const& {
    static_assert(N > 0, "accessor is used for indexing tensor, for scalars use *data_ptr<T>()");
    check_accessor(N, false);
    return TensorAccessor<T, N>(data_ptr<std::remove_const_t<T>>(), sizes().data(), strides().data());
  }
  template <typename T, size_t N>
  TensorAccessor<T, N> accessor() && = delete;
  /// The accessor with sizes and strides copied in, to pass by value (32-bit: every index fits).
  template <typename T, size_t N>
  PackedTensorAccessor64<T, N> packed_accessor64() const& {
    static_assert(N > 0, "accessor is used for indexing tensor, for scalars use *data_ptr<T>()");
    check_accessor(N, false);
    return PackedTensorAccessor64<T, N>(data_ptr<std::remove_const_t<T>>(), sizes().data(), strides().data());
  }
  template <typename T, size_t N>
  PackedTensorAccessor32<T, N> packed_accessor32() const& {
    static_assert(N > 0, "accessor is used for indexing tensor, for scalars use *data_ptr<T>()");
    check_accessor(N, true);
    return PackedTensorAccessor32<T, N>(data_ptr<std::remove_const_t<T>>(), sizes().data(), strides().data());
  }
  /// The single value of a one-element tensor, copied to the host.
  template <typename T>
  T item() const;
  Scalar item() const;
  /// "CPUFloatType", "CUDALongType", ... (LibTorch's toString()).
  std::string toString() const;
  /// Writes "[CPUFloatType [2, 3]]" (or "[UndefinedTensor]") to std::cerr, as LibTorch's print().
  void print() const;
  TensorImpl* unsafeGetTensorImpl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl() const { return impl_; }

  // --- conversion and copies -------------------------------------------------------------
  Tensor to(Device device, std::optional<ScalarType> dtype = std::nullopt, bool non_blocking = false,
            bool copy = false) const;
  Tensor to(DeviceType device) const { return to(Device(device)); }
  Tensor to(ScalarType dtype, bool non_blocking = false, bool copy = false) const;
  Tensor to(const TensorOptions& options, bool non_blocking = false, bool copy = false) const;
  /// To other's dtype and device.
  Tensor to(const Tensor& other, bool non_blocking = false, bool copy = false) const;
  Tensor cpu() const { return to(Device(kCPU)); }
  Tensor cuda() const { return to(Device(kCUDA)); }
  Tensor contiguous() const;
  Tensor clone() const;
  Tensor detach() const;
  /// LibTorch's Tensor::data(): the values without the history, sharing storage (a detach);
  /// `p.grad().data() = g` assigns into the gradient as LibTorch's rvalue assignment does.
  Tensor data() const { return detach(); }
  /// LibTorch's deprecated spelling of data_ptr<T>().
  template <typename T>
  T* data() const {
    return data_ptr<T>();
  }
  const Tensor& detach_() const;

  // --- views (share storage) ---------------------------------------------------------------
  Tensor view(IntArrayRef size) const;
  Tensor reshape(IntArrayRef size) const;
  Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;
  Tensor permute(IntArrayRef dims) const;
  Tensor transpose(int64_t dim0, int64_t dim1) const;
  Tensor t() const;
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const;
  Tensor slice(int64_t dim = 0, std::optional<int64_t> start = std::nullopt, std::optional<int64_t> end = std::nullopt,
               int64_t step = 1) const;
  Tensor select(int64_t dim, int64_t index) const;
  Tensor unsqueeze(int64_t dim) const;
  Tensor squeeze() const;
  Tensor squeeze(int64_t dim) const;
  // The in-place view ops: this tensor takes the view's sizes and strides (no data moves) and,
  // under autograd, the view's node (src/ops/inplace_views.cpp).
  const Tensor& unsqueeze_(int64_t dim) const;
  const Tensor& squeeze_() const;
  const Tensor& squeeze_(int64_t dim) const;
  const Tensor& transpose_(int64_t dim0, int64_t dim1) const;
  const Tensor& swapaxes_(int64_t axis0, int64_t axis1) const { return transpose_(axis0, axis1); }
  const Tensor& swapdims_(int64_t dim0, int64_t dim1) const { return transpose_(dim0, dim1); }
  const Tensor& t_() const;
  Tensor expand(IntArrayRef size) const;
  Tensor expand_as(const Tensor& other) const { return expand(other.sizes()); }
  Tensor view_as(const Tensor& other) const { return view(other.sizes()); }
  Tensor reshape_as(const Tensor& other) const { return reshape(other.sizes()); }
  /// To other's dtype and device (LibTorch's self.to(other.options())).
  Tensor type_as(const Tensor& other) const { return to(other); }
  Tensor toType(ScalarType dtype) const { return to(dtype); }
  Tensor operator[](int64_t index) const { return select(0, index); }
  /// t[index] with an integer or bool tensor: index({index}) (a gathered copy).
  Tensor operator[](const Tensor& index) const;

  // --- autograd ---------------------------------------------------------------------------
  bool requires_grad() const;
  /// Whether the storage was allocated under c10::InferenceMode (a view has its base's answer).
  bool is_inference() const;
  const Tensor& requires_grad_(bool requires_grad = true) const;
  const Tensor& set_requires_grad(bool requires_grad) const { return requires_grad_(requires_grad); }
  bool is_leaf() const;
  /// The accumulated gradient of a leaf (undefined until a backward reaches it).
  const Tensor& grad() const;
  Tensor& mutable_grad() const;
  void retain_grad() const;
  bool retains_grad() const;
  /// LibTorch's Tensor::register_hook: `hook(grad)` runs each time a backward computes this
  /// tensor's gradient, before it flows on (a non-leaf) or is accumulated into .grad() (a
  /// leaf). A hook returning a Tensor replaces the gradient (same shape, dtype and device); one
  /// returning void only observes it. Hooks run in the order registered. Returns the position
  /// that remove_hook takes.
  template <typename Hook>
  unsigned register_hook(Hook&& hook) const {
    if constexpr (std::is_void_v<std::invoke_result_t<Hook&, Tensor>>) {
      return _register_hook([h = std::forward<Hook>(hook)](const Tensor& g) mutable {
        h(g);
        return Tensor();  // undefined: the gradient flows on unchanged
      });
    } else {
      return _register_hook(std::function<Tensor(const Tensor&)>(std::forward<Hook>(hook)));
    }
  }
  /// Removes the hook registered at `pos`; it no longer runs, even in graphs recorded earlier.
  void remove_hook(unsigned pos) const;
  /// register_hook's non-template half (an undefined result keeps the gradient).
  unsigned _register_hook(std::function<Tensor(const Tensor&)> hook) const;
  const std::shared_ptr<autograd::Node>& grad_fn() const;
  /// LibTorch's Tensor::backward. create_graph records the backward so that the gradients can
  /// be differentiated again; `inputs` limits accumulation into .grad() to those tensors.
  void backward(const Tensor& gradient = Tensor(), std::optional<bool> retain_graph = std::nullopt,
                bool create_graph = false, std::optional<TensorList> inputs = std::nullopt) const;
  /// Incremented by every in-place change; autograd uses it to detect stale saved tensors.
  uint32_t _version() const;

  // --- in-place ------------------------------------------------------------------------------
  const Tensor& zero_() const;
  const Tensor& fill_(const Scalar& value) const;
  const Tensor& copy_(const Tensor& src, bool non_blocking = false) const;
  const Tensor& add_(const Tensor& other, const Scalar& alpha = 1) const;
  const Tensor& add_(const Scalar& other, const Scalar& alpha = 1) const;
  const Tensor& sub_(const Tensor& other, const Scalar& alpha = 1) const;
  const Tensor& sub_(const Scalar& other, const Scalar& alpha = 1) const;
  const Tensor& mul_(const Tensor& other) const;
  const Tensor& mul_(const Scalar& other) const;
  const Tensor& div_(const Tensor& other) const;
  const Tensor& div_(const Scalar& other) const;
  const Tensor& clamp_(std::optional<Scalar> min = std::nullopt, std::optional<Scalar> max = std::nullopt) const;
  /// clip is clamp's other name.
  Tensor clip(std::optional<Scalar> min = std::nullopt, std::optional<Scalar> max = std::nullopt) const {
    return clamp(min, max);
  }
  const Tensor& clip_(std::optional<Scalar> min = std::nullopt, std::optional<Scalar> max = std::nullopt) const {
    return clamp_(min, max);
  }
  const Tensor& clamp_min_(const Scalar& min) const;
  const Tensor& relu_() const;
  const Tensor& neg_() const;
  const Tensor& normal_(double mean = 0, double std = 1) const;
  const Tensor& uniform_(double from = 0, double to = 1) const;
  // Random sampling (src/ops/sampling.cpp; the free forms are in ember/sampling.h). On the CPU
  // each gives torch's numbers after the same manual_seed.
  /// Each element 1 with probability p, else 0 (any dtype).
  const Tensor& bernoulli_(double p = 0.5) const;
  /// p (broadcast to this tensor's shape) gives each element's probability.
  const Tensor& bernoulli_(const Tensor& p) const;
  /// Draws with this tensor as the probabilities (the result has its dtype).
  Tensor bernoulli() const;
  Tensor bernoulli(double p) const;
  /// Integers in [0, 2^mantissa] for floating dtypes, [0, max] for integer ones.
  const Tensor& random_() const;
  /// Integers in [0, to).
  const Tensor& random_(int64_t to) const;
  /// Integers in [from, to); without `to`, [from, 2^mantissa] or [from, max].
  const Tensor& random_(int64_t from, std::optional<int64_t> to) const;
  const Tensor& exponential_(double lambd = 1) const;
  /// Trials until the first success (values 1, 2, ...), success probability p.
  const Tensor& geometric_(double p) const;
  const Tensor& log_normal_(double mean = 1, double std = 2) const;
  const Tensor& cauchy_(double median = 0, double sigma = 1) const;
  /// num_samples category indices per row of this 1-D or 2-D tensor of weights (int64).
  Tensor multinomial(int64_t num_samples, bool replacement = false) const;

  // --- math ------------------------------------------------------------------------------------
  Tensor add(const Tensor& other, const Scalar& alpha = 1) const;
  Tensor add(const Scalar& other, const Scalar& alpha = 1) const;
  Tensor sub(const Tensor& other, const Scalar& alpha = 1) const;
  Tensor sub(const Scalar& other, const Scalar& alpha = 1) const;
  Tensor mul(const Tensor& other) const;
  Tensor mul(const Scalar& other) const;
  Tensor div(const Tensor& other) const;
  Tensor div(const Scalar& other) const;
  /// rounding_mode "trunc" or "floor" rounds the quotient (integers stay integers; the gradient
  /// is zero); nullopt is true division.
  Tensor div(const Tensor& other, std::optional<std::string_view> rounding_mode) const;
  Tensor div(const Scalar& other, std::optional<std::string_view> rounding_mode) const;
  const Tensor& div_(const Tensor& other, std::optional<std::string_view> rounding_mode) const;
  const Tensor& div_(const Scalar& other, std::optional<std::string_view> rounding_mode) const;
  Tensor floor_divide(const Tensor& other) const;
  Tensor floor_divide(const Scalar& other) const;
  Tensor neg() const;
  Tensor exp() const;
  Tensor log() const;
  Tensor sqrt() const;
  Tensor abs() const;
  Tensor relu() const;
  Tensor sigmoid() const;
  Tensor tanh() const;
  Tensor erf() const;
  Tensor pow(const Scalar& exponent) const;
  Tensor pow(const Tensor& exponent) const;
  Tensor clamp(std::optional<Scalar> min = std::nullopt, std::optional<Scalar> max = std::nullopt) const;
  Tensor clamp_min(const Scalar& min) const;
  Tensor clamp_max(const Scalar& max) const;
  Tensor mm(const Tensor& other) const;
  Tensor matmul(const Tensor& other) const;
  Tensor sum(std::optional<ScalarType> dtype = std::nullopt) const;
  Tensor sum(IntArrayRef dim, bool keepdim = false, std::optional<ScalarType> dtype = std::nullopt) const;
  Tensor mean(std::optional<ScalarType> dtype = std::nullopt) const;
  Tensor mean(IntArrayRef dim, bool keepdim = false, std::optional<ScalarType> dtype = std::nullopt) const;
  Tensor max() const;
  std::tuple<Tensor, Tensor> max(int64_t dim, bool keepdim = false) const;
  Tensor min() const;
  std::tuple<Tensor, Tensor> min(int64_t dim, bool keepdim = false) const;
  Tensor argmax(std::optional<int64_t> dim = std::nullopt, bool keepdim = false) const;
  Tensor argmin(std::optional<int64_t> dim = std::nullopt, bool keepdim = false) const;
// The comparisons (bool results), each with a tensor or a scalar: eq, ne, lt, le, gt, ge.
// The in-place forms (eq_, ...) store the result in this tensor's dtype, as LibTorch's.
#define EMBER_DECLARE_COMPARISON(name)              \
  Tensor name(const Tensor& other) const;           \
  Tensor name(const Scalar& other) const;           \
  const Tensor& name##_(const Tensor& other) const; \
  const Tensor& name##_(const Scalar& other) const;
  EMBER_DECLARE_COMPARISON(eq)
  EMBER_DECLARE_COMPARISON(ne)
  EMBER_DECLARE_COMPARISON(lt)
  EMBER_DECLARE_COMPARISON(le)
  EMBER_DECLARE_COMPARISON(gt)
  EMBER_DECLARE_COMPARISON(ge)
#undef EMBER_DECLARE_COMPARISON
  Tensor index_select(int64_t dim, const Tensor& index) const;

  // --- indexing (include/ember/indexing.h: TensorIndex, Slice, None, Ellipsis) ---------------
  /// LibTorch's t.index({Slice(), 0, None, "...", mask}): ints, slices, None and Ellipsis give a
  /// view; integer and bool tensors gather a copy (advanced indexing, PyTorch's rules).
  Tensor index(ArrayRef<indexing::TensorIndex> indices) const;
  Tensor index(std::initializer_list<indexing::TensorIndex> indices) const;
  /// Writes `values` (broadcast) where index(indices) reads.
  const Tensor& index_put_(ArrayRef<indexing::TensorIndex> indices, const Tensor& values) const;
  const Tensor& index_put_(std::initializer_list<indexing::TensorIndex> indices, const Tensor& values) const;
  const Tensor& index_put_(ArrayRef<indexing::TensorIndex> indices, const Scalar& value) const;
  const Tensor& index_put_(std::initializer_list<indexing::TensorIndex> indices, const Scalar& value) const;
  /// ATen's form: one optional index tensor per leading dim; accumulate adds (repeats add up).
  const Tensor& index_put_(const std::vector<std::optional<Tensor>>& indices, const Tensor& values,
                           bool accumulate) const;
  Tensor index_put(const std::vector<std::optional<Tensor>>& indices, const Tensor& values,
                   bool accumulate = false) const;
  Tensor masked_fill(const Tensor& mask, const Scalar& value) const;
  Tensor masked_fill(const Tensor& mask, const Tensor& value) const;
  const Tensor& masked_fill_(const Tensor& mask, const Scalar& value) const;
  const Tensor& masked_fill_(const Tensor& mask, const Tensor& value) const;
  Tensor masked_select(const Tensor& mask) const;
  Tensor masked_scatter(const Tensor& mask, const Tensor& source) const;
  const Tensor& masked_scatter_(const Tensor& mask, const Tensor& source) const;
  Tensor index_add(int64_t dim, const Tensor& index, const Tensor& source, const Scalar& alpha = 1) const;
  const Tensor& index_add_(int64_t dim, const Tensor& index, const Tensor& source, const Scalar& alpha = 1) const;
  Tensor index_copy(int64_t dim, const Tensor& index, const Tensor& source) const;
  const Tensor& index_copy_(int64_t dim, const Tensor& index, const Tensor& source) const;
  Tensor index_fill(int64_t dim, const Tensor& index, const Scalar& value) const;
  Tensor index_fill(int64_t dim, const Tensor& index, const Tensor& value) const;
  const Tensor& index_fill_(int64_t dim, const Tensor& index, const Scalar& value) const;
  const Tensor& index_fill_(int64_t dim, const Tensor& index, const Tensor& value) const;
  Tensor gather(int64_t dim, const Tensor& index, bool sparse_grad = false) const;
  Tensor scatter(int64_t dim, const Tensor& index, const Tensor& src) const;
  Tensor scatter(int64_t dim, const Tensor& index, const Scalar& value) const;
  const Tensor& scatter_(int64_t dim, const Tensor& index, const Tensor& src) const;
  const Tensor& scatter_(int64_t dim, const Tensor& index, const Scalar& value) const;
  Tensor scatter_add(int64_t dim, const Tensor& index, const Tensor& src) const;
  const Tensor& scatter_add_(int64_t dim, const Tensor& index, const Tensor& src) const;
  /// reduce: "sum", "prod", "mean", "amax" or "amin".
  Tensor scatter_reduce(int64_t dim, const Tensor& index, const Tensor& src, std::string_view reduce,
                        bool include_self = true) const;
  const Tensor& scatter_reduce_(int64_t dim, const Tensor& index, const Tensor& src, std::string_view reduce,
                                bool include_self = true) const;
  Tensor take(const Tensor& index) const;
  Tensor nonzero() const;
  Tensor log_softmax(int64_t dim, std::optional<ScalarType> dtype = std::nullopt) const;
  Tensor softmax(int64_t dim, std::optional<ScalarType> dtype = std::nullopt) const;
  bool equal(const Tensor& other) const;
  bool allclose(const Tensor& other, double rtol = 1e-05, double atol = 1e-08, bool equal_nan = false) const;
  Tensor isclose(const Tensor& other, double rtol = 1e-05, double atol = 1e-08, bool equal_nan = false) const;

  // --- pointwise conveniences (src/ops/pointwise_extra.cpp; free forms in ember/tensor_ops.h) -------
  Tensor sign() const;
  Tensor floor() const;
  Tensor ceil() const;
  Tensor round() const;
  Tensor trunc() const;
  Tensor frac() const;
  Tensor reciprocal() const;
  Tensor rsqrt() const;
  Tensor square() const;
  Tensor log2() const;
  Tensor log10() const;
  Tensor exp2() const;
  Tensor sin() const;
  Tensor cos() const;
  Tensor tan() const;
  Tensor asin() const;
  Tensor acos() const;
  Tensor atan() const;
  Tensor sinh() const;
  Tensor cosh() const;
  Tensor asinh() const;
  Tensor acosh() const;
  Tensor atanh() const;
  Tensor log1p() const;
  Tensor expm1() const;
  Tensor atan2(const Tensor& other) const;
  /// sign for real tensors.
  Tensor sgn() const { return sign(); }
  /// self + value * t1 * t2 and self + value * t1 / t2 (broadcast; addcdiv refuses integers).
  Tensor addcmul(const Tensor& tensor1, const Tensor& tensor2, const Scalar& value = 1) const;
  Tensor addcdiv(const Tensor& tensor1, const Tensor& tensor2, const Scalar& value = 1) const;
  const Tensor& addcmul_(const Tensor& tensor1, const Tensor& tensor2, const Scalar& value = 1) const;
  const Tensor& addcdiv_(const Tensor& tensor1, const Tensor& tensor2, const Scalar& value = 1) const;
  Tensor arcsin() const { return asin(); }
  Tensor arccos() const { return acos(); }
  Tensor arctan() const { return atan(); }
  Tensor arcsinh() const { return asinh(); }
  Tensor arccosh() const { return acosh(); }
  Tensor arctanh() const { return atanh(); }
  Tensor arctan2(const Tensor& other) const { return atan2(other); }
  // The in-place forms: the op out of place, written back (autograd records it as LibTorch's
  // in-place op; a floating result refuses an integer tensor, as LibTorch's "can't be cast").
#define EMBER_DECLARE_INPLACE_UNARY(name) const Tensor& name##_() const;
  EMBER_DECLARE_INPLACE_UNARY(exp)
  EMBER_DECLARE_INPLACE_UNARY(log)
  EMBER_DECLARE_INPLACE_UNARY(sqrt)
  EMBER_DECLARE_INPLACE_UNARY(abs)
  EMBER_DECLARE_INPLACE_UNARY(sigmoid)
  EMBER_DECLARE_INPLACE_UNARY(tanh)
  EMBER_DECLARE_INPLACE_UNARY(erf)
  EMBER_DECLARE_INPLACE_UNARY(sign)
  EMBER_DECLARE_INPLACE_UNARY(floor)
  EMBER_DECLARE_INPLACE_UNARY(ceil)
  EMBER_DECLARE_INPLACE_UNARY(round)
  EMBER_DECLARE_INPLACE_UNARY(trunc)
  EMBER_DECLARE_INPLACE_UNARY(frac)
  EMBER_DECLARE_INPLACE_UNARY(reciprocal)
  EMBER_DECLARE_INPLACE_UNARY(rsqrt)
  EMBER_DECLARE_INPLACE_UNARY(square)
  EMBER_DECLARE_INPLACE_UNARY(log2)
  EMBER_DECLARE_INPLACE_UNARY(log10)
  EMBER_DECLARE_INPLACE_UNARY(exp2)
  EMBER_DECLARE_INPLACE_UNARY(sin)
  EMBER_DECLARE_INPLACE_UNARY(cos)
  EMBER_DECLARE_INPLACE_UNARY(tan)
  EMBER_DECLARE_INPLACE_UNARY(asin)
  EMBER_DECLARE_INPLACE_UNARY(acos)
  EMBER_DECLARE_INPLACE_UNARY(atan)
  EMBER_DECLARE_INPLACE_UNARY(sinh)
  EMBER_DECLARE_INPLACE_UNARY(cosh)
  EMBER_DECLARE_INPLACE_UNARY(asinh)
  EMBER_DECLARE_INPLACE_UNARY(acosh)
  EMBER_DECLARE_INPLACE_UNARY(atanh)
  EMBER_DECLARE_INPLACE_UNARY(log1p)
  EMBER_DECLARE_INPLACE_UNARY(expm1)
  EMBER_DECLARE_INPLACE_UNARY(logical_not)
  EMBER_DECLARE_INPLACE_UNARY(bitwise_not)
#undef EMBER_DECLARE_INPLACE_UNARY
  const Tensor& pow_(const Scalar& exponent) const;
  const Tensor& pow_(const Tensor& exponent) const;
  const Tensor& clamp_max_(const Scalar& max) const;
  const Tensor& atan2_(const Tensor& other) const;
  const Tensor& fmod_(const Tensor& other) const;
  const Tensor& fmod_(const Scalar& other) const;
  const Tensor& remainder_(const Tensor& other) const;
  const Tensor& remainder_(const Scalar& other) const;
  const Tensor& lerp_(const Tensor& end, const Scalar& weight) const;
  const Tensor& lerp_(const Tensor& end, const Tensor& weight) const;
  const Tensor& nan_to_num_(std::optional<double> nan = std::nullopt, std::optional<double> posinf = std::nullopt,
                            std::optional<double> neginf = std::nullopt) const;
  Tensor fmod(const Tensor& other) const;
  Tensor fmod(const Scalar& other) const;
  Tensor remainder(const Tensor& other) const;
  Tensor remainder(const Scalar& other) const;
  Tensor isnan() const;
  Tensor isinf() const;
  Tensor isfinite() const;
  Tensor nan_to_num(std::optional<double> nan = std::nullopt, std::optional<double> posinf = std::nullopt,
                    std::optional<double> neginf = std::nullopt) const;
  Tensor lerp(const Tensor& end, const Scalar& weight) const;
  Tensor lerp(const Tensor& end, const Tensor& weight) const;
  Tensor clamp(const std::optional<Tensor>& min, const std::optional<Tensor>& max = {}) const;
  Tensor logical_and(const Tensor& other) const;
  Tensor logical_or(const Tensor& other) const;
  Tensor logical_xor(const Tensor& other) const;
  Tensor logical_not() const;
  Tensor bitwise_and(const Tensor& other) const;
  Tensor bitwise_and(const Scalar& other) const;
  Tensor bitwise_or(const Tensor& other) const;
  Tensor bitwise_or(const Scalar& other) const;
  Tensor bitwise_xor(const Tensor& other) const;
  Tensor bitwise_xor(const Scalar& other) const;
  Tensor bitwise_not() const;

  // --- structure (src/ops/structure.cpp) ------------------------------------------------------------
  Tensor flip(IntArrayRef dims) const;
  Tensor roll(IntArrayRef shifts, IntArrayRef dims = {}) const;
  Tensor rot90(int64_t k = 1, IntArrayRef dims = {0, 1}) const;
  Tensor repeat(IntArrayRef repeats) const;
  Tensor repeat_interleave(const Tensor& repeats, std::optional<int64_t> dim = std::nullopt,
                           std::optional<int64_t> output_size = std::nullopt) const;
  Tensor repeat_interleave(int64_t repeats, std::optional<int64_t> dim = std::nullopt,
                           std::optional<int64_t> output_size = std::nullopt) const;
  Tensor tile(IntArrayRef dims) const;
  std::vector<Tensor> chunk(int64_t chunks, int64_t dim = 0) const;
  std::vector<Tensor> split(int64_t split_size, int64_t dim = 0) const;
  std::vector<Tensor> split(IntArrayRef split_size, int64_t dim = 0) const;
  std::vector<Tensor> split_with_sizes(IntArrayRef split_sizes, int64_t dim = 0) const;
  std::vector<Tensor> unbind(int64_t dim = 0) const;
  Tensor tril(int64_t diagonal = 0) const;
  Tensor triu(int64_t diagonal = 0) const;
  Tensor diag(int64_t diagonal = 0) const;
  Tensor outer(const Tensor& vec2) const;

  // --- factories from a tensor: its dtype and device unless options say otherwise -------------------
  Tensor new_empty(IntArrayRef size, const TensorOptions& options = {}) const;
  Tensor new_zeros(IntArrayRef size, const TensorOptions& options = {}) const;
  Tensor new_ones(IntArrayRef size, const TensorOptions& options = {}) const;
  Tensor new_full(IntArrayRef size, const Scalar& fill_value, const TensorOptions& options = {}) const;

  // --- reductions (src/ops/reduce_extra.cpp) -----------------------------------------------------------
  Tensor norm(const Scalar& p = 2) const;
  Tensor norm(const std::optional<Scalar>& p, IntArrayRef dim, bool keepdim = false) const;
  Tensor all() const;
  Tensor all(int64_t dim, bool keepdim = false) const;
  Tensor any() const;
  Tensor any(int64_t dim, bool keepdim = false) const;
  Tensor prod(std::optional<ScalarType> dtype = std::nullopt) const;
  Tensor prod(int64_t dim, bool keepdim = false, std::optional<ScalarType> dtype = std::nullopt) const;
  Tensor cumsum(int64_t dim, std::optional<ScalarType> dtype = std::nullopt) const;
  Tensor cumprod(int64_t dim, std::optional<ScalarType> dtype = std::nullopt) const;
  /// Over all elements. Only a bool picks this form: t.std(1) reduces dim 1, as LibTorch's
  /// overloads resolve it (its dims parameter takes the integer before the bool does).
  template <typename Bool, std::enable_if_t<std::is_same<Bool, bool>::value, int> = 0>
  Tensor std(Bool unbiased) const {
    return std_or_var_all(true, unbiased);
  }
  Tensor std() const { return std_or_var_all(true, true); }
  Tensor std(IntArrayRef dim, bool unbiased = true, bool keepdim = false) const;
  Tensor std(IntArrayRef dim, std::optional<int64_t> correction, bool keepdim = false) const;
  template <typename Bool, std::enable_if_t<std::is_same<Bool, bool>::value, int> = 0>
  Tensor var(Bool unbiased) const {
    return std_or_var_all(false, unbiased);
  }
  Tensor var() const { return std_or_var_all(false, true); }
  Tensor var(IntArrayRef dim, bool unbiased = true, bool keepdim = false) const;
  Tensor var(IntArrayRef dim, std::optional<int64_t> correction, bool keepdim = false) const;
  Tensor logsumexp(IntArrayRef dim, bool keepdim = false) const;

  // --- products (src/ops/products.cpp) -----------------------------------------------------------------
  Tensor bmm(const Tensor& mat2) const;
  Tensor mv(const Tensor& vec) const;
  Tensor dot(const Tensor& other) const;
  Tensor addmm(const Tensor& mat1, const Tensor& mat2, const Scalar& beta = 1, const Scalar& alpha = 1) const;
  Tensor addmv(const Tensor& mat, const Tensor& vec, const Scalar& beta = 1, const Scalar& alpha = 1) const;
  Tensor baddbmm(const Tensor& batch1, const Tensor& batch2, const Scalar& beta = 1, const Scalar& alpha = 1) const;

  // --- sorting and selection (src/ops/sort.cpp; NaN sorts as the largest value) ---------------------
  std::tuple<Tensor, Tensor> sort(int64_t dim = -1, bool descending = false) const;
  std::tuple<Tensor, Tensor> sort(std::optional<bool> stable, int64_t dim = -1, bool descending = false) const;
  Tensor argsort(int64_t dim = -1, bool descending = false) const;
  Tensor argsort(bool stable, int64_t dim = -1, bool descending = false) const;
  Tensor msort() const;
  std::tuple<Tensor, Tensor> topk(int64_t k, int64_t dim = -1, bool largest = true, bool sorted = true) const;
  std::tuple<Tensor, Tensor> kthvalue(int64_t k, int64_t dim = -1, bool keepdim = false) const;
  Tensor median() const;
  std::tuple<Tensor, Tensor> median(int64_t dim, bool keepdim = false) const;
  Tensor nanmedian() const;
  std::tuple<Tensor, Tensor> nanmedian(int64_t dim, bool keepdim = false) const;
  std::tuple<Tensor, Tensor> mode(int64_t dim = -1, bool keepdim = false) const;

  // Compound assignment (in place, like the *_ methods).
  Tensor& operator+=(const Tensor& o) {
    add_(o);
    return *this;
  }
  Tensor& operator+=(const Scalar& o) {
    add_(o);
    return *this;
  }
  Tensor& operator-=(const Tensor& o) {
    sub_(o);
    return *this;
  }
  Tensor& operator-=(const Scalar& o) {
    sub_(o);
    return *this;
  }
  Tensor& operator*=(const Tensor& o) {
    mul_(o);
    return *this;
  }
  Tensor& operator*=(const Scalar& o) {
    mul_(o);
    return *this;
  }
  Tensor& operator/=(const Tensor& o) {
    div_(o);
    return *this;
  }
  Tensor& operator/=(const Scalar& o) {
    div_(o);
    return *this;
  }
  Tensor operator-() const { return neg(); }

 private:
  /// accessor()'s checks: N dims; for 32-bit indices, numel and every extent below 2^31.
  void check_accessor(size_t dims, bool int32_indices) const;
  /// std (or var) over all elements: the bool forms above.
  Tensor std_or_var_all(bool is_std, bool unbiased) const;
  std::shared_ptr<TensorImpl> impl_;
};

EMBER_API std::ostream& operator<<(std::ostream& os, const Tensor& t);

// --- operators --------------------------------------------------------------------------------
EMBER_API Tensor operator+(const Tensor& a, const Tensor& b);
EMBER_API Tensor operator+(const Tensor& a, const Scalar& b);
EMBER_API Tensor operator+(const Scalar& a, const Tensor& b);
EMBER_API Tensor operator-(const Tensor& a, const Tensor& b);
EMBER_API Tensor operator-(const Tensor& a, const Scalar& b);
EMBER_API Tensor operator-(const Scalar& a, const Tensor& b);
EMBER_API Tensor operator*(const Tensor& a, const Tensor& b);
EMBER_API Tensor operator*(const Tensor& a, const Scalar& b);
EMBER_API Tensor operator*(const Scalar& a, const Tensor& b);
EMBER_API Tensor operator/(const Tensor& a, const Tensor& b);
EMBER_API Tensor operator/(const Tensor& a, const Scalar& b);
EMBER_API Tensor operator/(const Scalar& a, const Tensor& b);
EMBER_API Tensor operator==(const Tensor& a, const Tensor& b);
EMBER_API Tensor operator==(const Tensor& a, const Scalar& b);
EMBER_API Tensor operator!=(const Tensor& a, const Tensor& b);
EMBER_API Tensor operator!=(const Tensor& a, const Scalar& b);
EMBER_API Tensor operator<(const Tensor& a, const Tensor& b);
EMBER_API Tensor operator<(const Tensor& a, const Scalar& b);
EMBER_API Tensor operator<=(const Tensor& a, const Tensor& b);
EMBER_API Tensor operator<=(const Tensor& a, const Scalar& b);
EMBER_API Tensor operator>(const Tensor& a, const Tensor& b);
EMBER_API Tensor operator>(const Tensor& a, const Scalar& b);
EMBER_API Tensor operator>=(const Tensor& a, const Tensor& b);
EMBER_API Tensor operator>=(const Tensor& a, const Scalar& b);

// --- free functions ------------------------------------------------------------------------------
EMBER_API Tensor add(const Tensor& a, const Tensor& b, const Scalar& alpha = 1);
EMBER_API Tensor sub(const Tensor& a, const Tensor& b, const Scalar& alpha = 1);
EMBER_API Tensor mul(const Tensor& a, const Tensor& b);
EMBER_API Tensor div(const Tensor& a, const Tensor& b);
EMBER_API Tensor neg(const Tensor& x);
EMBER_API Tensor exp(const Tensor& x);
EMBER_API Tensor log(const Tensor& x);
EMBER_API Tensor sqrt(const Tensor& x);
EMBER_API Tensor abs(const Tensor& x);
EMBER_API Tensor relu(const Tensor& x);
EMBER_API Tensor sigmoid(const Tensor& x);
EMBER_API Tensor tanh(const Tensor& x);
EMBER_API Tensor erf(const Tensor& x);
EMBER_API Tensor pow(const Tensor& x, const Scalar& exponent);
EMBER_API Tensor pow(const Tensor& x, const Tensor& exponent);
EMBER_API Tensor clamp(const Tensor& x, std::optional<Scalar> min = std::nullopt,
                       std::optional<Scalar> max = std::nullopt);
EMBER_API Tensor clamp_min(const Tensor& x, const Scalar& min);
EMBER_API Tensor clamp_max(const Tensor& x, const Scalar& max);
EMBER_API Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b);
EMBER_API Tensor mm(const Tensor& a, const Tensor& b);
EMBER_API Tensor matmul(const Tensor& a, const Tensor& b);
EMBER_API Tensor sum(const Tensor& x, std::optional<ScalarType> dtype = std::nullopt);
EMBER_API Tensor sum(const Tensor& x, IntArrayRef dim, bool keepdim = false,
                     std::optional<ScalarType> dtype = std::nullopt);
EMBER_API Tensor mean(const Tensor& x, std::optional<ScalarType> dtype = std::nullopt);
EMBER_API Tensor mean(const Tensor& x, IntArrayRef dim, bool keepdim = false,
                      std::optional<ScalarType> dtype = std::nullopt);
EMBER_API Tensor max(const Tensor& x);
EMBER_API std::tuple<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim = false);
EMBER_API Tensor min(const Tensor& x);
EMBER_API std::tuple<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim = false);
EMBER_API Tensor argmax(const Tensor& x, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
EMBER_API Tensor argmin(const Tensor& x, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
EMBER_API Tensor eq(const Tensor& a, const Tensor& b);
EMBER_API Tensor ne(const Tensor& a, const Tensor& b);
EMBER_API Tensor lt(const Tensor& a, const Tensor& b);
EMBER_API Tensor le(const Tensor& a, const Tensor& b);
EMBER_API Tensor gt(const Tensor& a, const Tensor& b);
EMBER_API Tensor ge(const Tensor& a, const Tensor& b);
EMBER_API Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
EMBER_API Tensor cat(TensorList tensors, int64_t dim = 0);
EMBER_API Tensor stack(TensorList tensors, int64_t dim = 0);
EMBER_API Tensor flatten(const Tensor& x, int64_t start_dim = 0, int64_t end_dim = -1);
EMBER_API Tensor log_softmax(const Tensor& x, int64_t dim, std::optional<ScalarType> dtype = std::nullopt);
EMBER_API Tensor softmax(const Tensor& x, int64_t dim, std::optional<ScalarType> dtype = std::nullopt);
/// conv2d as torch::conv2d; a one-element stride/padding/dilation applies to both dims.
EMBER_API Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias = Tensor(),
                        IntArrayRef stride = 1, IntArrayRef padding = 0, IntArrayRef dilation = 1, int64_t groups = 1);
EMBER_API Tensor max_pool2d(const Tensor& input, IntArrayRef kernel_size, IntArrayRef stride = {},
                            IntArrayRef padding = 0, IntArrayRef dilation = 1, bool ceil_mode = false);
/// (output, indices), the indices flat h * W + w positions within each input plane (LibTorch's).
EMBER_API std::tuple<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input, IntArrayRef kernel_size,
                                                             IntArrayRef stride = {}, IntArrayRef padding = 0,
                                                             IntArrayRef dilation = 1, bool ceil_mode = false);
EMBER_API Tensor avg_pool2d(const Tensor& input, IntArrayRef kernel_size, IntArrayRef stride = {},
                            IntArrayRef padding = 0, bool ceil_mode = false, bool count_include_pad = true,
                            std::optional<int64_t> divisor_override = std::nullopt);
EMBER_API Tensor adaptive_avg_pool2d(const Tensor& input, IntArrayRef output_size);
/// (output, indices): indices are flat h * W + w positions within each plane, as max_pool2d's.
EMBER_API std::tuple<Tensor, Tensor> adaptive_max_pool2d(const Tensor& input, IntArrayRef output_size);
/// torch::batch_norm: normalises dim 1 of (N, C, ...) with the batch's statistics (training; the
/// running ones, when defined, are updated in place with `momentum` and the unbiased variance) or
/// with running_mean / running_var (eval). weight and bias may be undefined. cudnn_enabled is
/// accepted for LibTorch's signature and ignored.
EMBER_API Tensor batch_norm(const Tensor& input, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                            const Tensor& running_var, bool training, double momentum, double eps, bool cudnn_enabled);
/// torch::instance_norm: normalises each (sample, channel) of (N, C, ...) over its own values, as
/// batch_norm does a channel: PyTorch's batch norm of the input viewed as (1, N * C, ...). With
/// use_input_stats the running statistics (C), when defined, are updated with the samples' mean.
EMBER_API Tensor instance_norm(const Tensor& input, const Tensor& weight, const Tensor& bias,
                               const Tensor& running_mean, const Tensor& running_var, bool use_input_stats,
                               double momentum, double eps, bool cudnn_enabled);
/// torch::layer_norm: normalises over the trailing dims normalized_shape (each leading index is
/// one row), then weight * x + bias, weight and bias of normalized_shape (undefined: 1 and 0).
/// One node, NativeLayerNormBackward0. cudnn_enable is accepted for LibTorch's signature.
EMBER_API Tensor layer_norm(const Tensor& input, IntArrayRef normalized_shape, const Tensor& weight = {},
                            const Tensor& bias = {}, double eps = 1e-05, bool cudnn_enable = true);
/// torch::group_norm: (N, C, ...) with its C channels split into num_groups groups, each sample's
/// group normalised over its values, then weight * x + bias per channel (C; undefined: 1 and 0).
/// One node, NativeGroupNormBackward0.
EMBER_API Tensor group_norm(const Tensor& input, int64_t num_groups, const Tensor& weight = {}, const Tensor& bias = {},
                            double eps = 1e-05, bool cudnn_enabled = true);
EMBER_API Tensor dropout(const Tensor& input, double p, bool train);
EMBER_API bool allclose(const Tensor& a, const Tensor& b, double rtol = 1e-05, double atol = 1e-08,
                        bool equal_nan = false);
EMBER_API bool equal(const Tensor& a, const Tensor& b);

// --- factories ------------------------------------------------------------------------------------
EMBER_API Tensor empty(IntArrayRef size, const TensorOptions& options = {});
EMBER_API Tensor zeros(IntArrayRef size, const TensorOptions& options = {});
EMBER_API Tensor ones(IntArrayRef size, const TensorOptions& options = {});
EMBER_API Tensor full(IntArrayRef size, const Scalar& value, const TensorOptions& options = {});
EMBER_API Tensor randn(IntArrayRef size, const TensorOptions& options = {});
EMBER_API Tensor rand(IntArrayRef size, const TensorOptions& options = {});
EMBER_API Tensor randint(int64_t high, IntArrayRef size, const TensorOptions& options = kLong);
EMBER_API Tensor randint(int64_t low, int64_t high, IntArrayRef size, const TensorOptions& options = kLong);
EMBER_API Tensor randperm(int64_t n, const TensorOptions& options = kLong);
EMBER_API Tensor arange(const Scalar& end, const TensorOptions& options = {});
EMBER_API Tensor arange(const Scalar& start, const Scalar& end, const TensorOptions& options = {});
EMBER_API Tensor arange(const Scalar& start, const Scalar& end, const Scalar& step, const TensorOptions& options = {});
EMBER_API Tensor eye(int64_t n, const TensorOptions& options = {});
EMBER_API Tensor eye(int64_t n, int64_t m, const TensorOptions& options = {});
/// Wraps memory owned by the caller (no copy); the caller keeps it alive.
EMBER_API Tensor from_blob(void* data, IntArrayRef sizes, const TensorOptions& options = {});
EMBER_API Tensor from_blob(void* data, IntArrayRef sizes, IntArrayRef strides, const TensorOptions& options = {});
EMBER_API Tensor empty_like(const Tensor& t, const TensorOptions& options = {});
EMBER_API Tensor zeros_like(const Tensor& t, const TensorOptions& options = {});
EMBER_API Tensor ones_like(const Tensor& t, const TensorOptions& options = {});
EMBER_API Tensor full_like(const Tensor& t, const Scalar& value, const TensorOptions& options = {});
EMBER_API Tensor randn_like(const Tensor& t, const TensorOptions& options = {});
EMBER_API Tensor rand_like(const Tensor& t, const TensorOptions& options = {});
/// Seeds the default generators (CPU and CUDA) so random factories repeat run to run.
EMBER_API void manual_seed(uint64_t seed);

/// Nested braced data for tensor(): tensor({{1., 2.}, {3., 4.}}). As LibTorch: floating values
/// give float32 (the default dtype), int and int64_t give int64, uint8_t/int8_t/int16_t their
/// own dtypes, bools bool.
class EMBER_API TensorDataContainer {
 public:
  template <typename T, std::enable_if_t<std::is_arithmetic<T>::value, int> = 0>
  TensorDataContainer(T v)  // NOLINT
      : scalar_(v),
        dtype_(std::is_same<T, bool>::value       ? kBool
               : std::is_floating_point<T>::value ? kFloat
               : std::is_same<T, uint8_t>::value  ? kByte
               : std::is_same<T, int8_t>::value   ? kChar
               : std::is_same<T, int16_t>::value  ? kShort
                                                  : kLong),
        is_scalar_(true) {}
  TensorDataContainer(std::initializer_list<TensorDataContainer> list);  // NOLINT
  template <typename T, std::enable_if_t<std::is_arithmetic<T>::value, int> = 0>
  TensorDataContainer(const std::vector<T>& v) {  // NOLINT
    for (const T& x : v) children_.emplace_back(x);
    finish_list();
  }
  bool is_scalar() const { return is_scalar_; }
  ScalarType dtype() const { return dtype_; }
  std::vector<int64_t> sizes() const;
  void flatten_into(std::vector<Scalar>& out) const;

 private:
  void finish_list();
  Scalar scalar_;
  ScalarType dtype_ = kFloat;
  bool is_scalar_ = false;
  std::vector<TensorDataContainer> children_;
};
EMBER_API Tensor tensor(const TensorDataContainer& data, const TensorOptions& options = {});

/// The number of threads ember's CPU kernels use (its OpenMP loops and the GEMMs they split;
/// OpenBLAS itself always runs single-threaded inside them). Process-wide: a count set on one
/// thread applies to ember work started on every thread. Initially OpenMP's default.
EMBER_API void set_num_threads(int n);
EMBER_API int get_num_threads();

}  // namespace ember
