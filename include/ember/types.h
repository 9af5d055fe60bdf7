#pragma once
// The small value types of the public API: ScalarType, Device, IntArrayRef, Scalar and
// TensorOptions, with LibTorch's names and implicit conversions.
#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <ostream>
#include <string>
#include <type_traits>
#include <vector>

#include "ember/error.h"
#include "ember/export.h"

namespace ember {

// The order is ember's own (files record dtypes by name, never by number).
enum class ScalarType : int8_t { Float, Double, Long, Bool, Half, BFloat16, Byte, Char, Short, Int };
/// LibTorch's name of a dtype in messages and type strings: "Float", "Long", ... (c10::toString).
EMBER_API const char* toString(ScalarType t);
constexpr ScalarType kFloat32 = ScalarType::Float;
constexpr ScalarType kFloat = ScalarType::Float;
constexpr ScalarType kFloat64 = ScalarType::Double;
constexpr ScalarType kDouble = ScalarType::Double;
constexpr ScalarType kInt64 = ScalarType::Long;
constexpr ScalarType kLong = ScalarType::Long;
constexpr ScalarType kBool = ScalarType::Bool;
constexpr ScalarType kUInt8 = ScalarType::Byte;
constexpr ScalarType kByte = ScalarType::Byte;
constexpr ScalarType kInt8 = ScalarType::Char;
constexpr ScalarType kChar = ScalarType::Char;
constexpr ScalarType kInt16 = ScalarType::Short;
constexpr ScalarType kShort = ScalarType::Short;
constexpr ScalarType kInt32 = ScalarType::Int;
constexpr ScalarType kInt = ScalarType::Int;
constexpr ScalarType kHalf = ScalarType::Half;          // reserved for mixed precision
constexpr ScalarType kBFloat16 = ScalarType::BFloat16;  // reserved for mixed precision
constexpr ScalarType kFloat16 = ScalarType::Half;
// LibTorch's short names (torch/types.h).
constexpr ScalarType kU8 = kUInt8;
constexpr ScalarType kI8 = kInt8;
constexpr ScalarType kI16 = kInt16;
constexpr ScalarType kI32 = kInt32;
constexpr ScalarType kI64 = kInt64;
constexpr ScalarType kF16 = kFloat16;
constexpr ScalarType kF32 = kFloat32;
constexpr ScalarType kF64 = kFloat64;

EMBER_API const char* to_string(ScalarType t);
EMBER_API std::ostream& operator<<(std::ostream& os, ScalarType t);
EMBER_API size_t element_size(ScalarType t);
inline bool is_floating_point(ScalarType t) { return t == kFloat || t == kDouble || t == kHalf || t == kBFloat16; }
/// c10::isIntegralType: the integer dtypes, and bool where include_bool.
inline bool is_integral(ScalarType t, bool include_bool) {
  return t == kByte || t == kChar || t == kShort || t == kInt || t == kLong || (include_bool && t == kBool);
}

/// Compile-time map from a C++ type to its ScalarType; a type ember does not store is a
/// compile error.
template <typename T>
struct ScalarTypeOf {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, int64_t> ||
                    std::is_same_v<T, bool> || std::is_same_v<T, uint8_t> || std::is_same_v<T, int8_t> ||
                    std::is_same_v<T, int16_t> || std::is_same_v<T, int32_t>,
                "ScalarTypeOf: ember stores float, double, int64_t, int32_t, int16_t, int8_t, uint8_t and bool");
  static constexpr ScalarType value = std::is_same_v<T, float>     ? kFloat
                                      : std::is_same_v<T, double>  ? kDouble
                                      : std::is_same_v<T, bool>    ? kBool
                                      : std::is_same_v<T, uint8_t> ? kByte
                                      : std::is_same_v<T, int8_t>  ? kChar
                                      : std::is_same_v<T, int16_t> ? kShort
                                      : std::is_same_v<T, int32_t> ? kInt
                                                                   : kLong;
};

enum class DeviceType : int8_t { CPU, CUDA };
constexpr DeviceType kCPU = DeviceType::CPU;
constexpr DeviceType kCUDA = DeviceType::CUDA;

/// A device: a type and an index (-1 = the current device of that type).
class EMBER_API Device {
 public:
  Device(DeviceType type, int index = -1) : type_(type), index_(index) {}  // NOLINT
  Device(const std::string& spec);                                         // NOLINT  "cpu", "cuda", "cuda:1"
  Device(const char* spec) : Device(std::string(spec)) {}                  // NOLINT
  DeviceType type() const { return type_; }
  int index() const { return index_; }
  bool has_index() const { return index_ >= 0; }
  bool is_cpu() const { return type_ == kCPU; }
  bool is_cuda() const { return type_ == kCUDA; }
  std::string str() const;
  bool operator==(const Device& o) const { return type_ == o.type_ && (index_ == o.index_ || type_ == kCPU); }
  bool operator!=(const Device& o) const { return !(*this == o); }

 private:
  DeviceType type_;
  int index_;
};
EMBER_API std::ostream& operator<<(std::ostream& os, const Device& d);
EMBER_API std::ostream& operator<<(std::ostream& os, DeviceType d);

/// A non-owning view of a contiguous array, as c10::ArrayRef. Like LibTorch's, it must not
/// outlive what it points to: it is for arguments and for sizes()/strides() of a live tensor.
template <typename T>
class ArrayRef {
 public:
  ArrayRef() = default;
  ArrayRef(const T& one) : data_(&one), size_(1) {}  // NOLINT
  ArrayRef(const T* data, size_t n) : data_(data), size_(n) {}
  ArrayRef(const std::vector<T>& v) : data_(v.data()), size_(v.size()) {}  // NOLINT
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winit-list-lifetime"
#endif
  // Like c10::ArrayRef: valid for the full expression a braced list appears in (a call's arguments).
  ArrayRef(const std::initializer_list<T>& l)  // NOLINT
      : data_(l.begin() == l.end() ? nullptr : l.begin()), size_(l.size()) {}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
  template <size_t N>
  ArrayRef(const T (&arr)[N]) : data_(arr), size_(N) {}  // NOLINT
  template <size_t N>
  ArrayRef(const std::array<T, N>& arr) : data_(arr.data()), size_(N) {}  // NOLINT

  const T* begin() const { return data_; }
  const T* end() const { return data_ + size_; }
  const T* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const T& operator[](size_t i) const { return data_[i]; }
  const T& front() const { return data_[0]; }
  const T& back() const { return data_[size_ - 1]; }
  /// Element i, checked (c10::ArrayRef::at).
  const T& at(size_t i) const {
    EMBER_CHECK(i < size_, "ArrayRef: invalid index ", i, " for an ArrayRef of size ", size_);
    return data_[i];
  }
  /// The m elements from n on, and the elements from n on (c10::ArrayRef::slice).
  ArrayRef slice(size_t n, size_t m) const {
    EMBER_CHECK(n + m <= size_, "ArrayRef: invalid slice, N = ", n, "; M = ", m, "; size = ", size_);
    return ArrayRef(data_ + n, m);
  }
  ArrayRef slice(size_t n) const {
    EMBER_CHECK(n <= size_, "ArrayRef: invalid slice, N = ", n, "; size = ", size_);
    return slice(n, size_ - n);
  }
  ArrayRef drop_front(size_t n = 1) const { return slice(n); }
  ArrayRef drop_back(size_t n = 1) const {
    EMBER_CHECK(n <= size_, "ArrayRef: can't drop ", n, " elements of ", size_);
    return slice(0, size_ - n);
  }
  ArrayRef take_front(size_t n = 1) const { return n >= size_ ? *this : drop_back(size_ - n); }
  ArrayRef take_back(size_t n = 1) const { return n >= size_ ? *this : drop_front(size_ - n); }
  std::vector<T> vec() const { return std::vector<T>(begin(), end()); }
  operator std::vector<T>() const { return vec(); }  // NOLINT
  bool equals(ArrayRef o) const {
    if (size_ != o.size_) return false;
    for (size_t i = 0; i < size_; ++i)
      if (!(data_[i] == o.data_[i])) return false;
    return true;
  }
  bool operator==(ArrayRef o) const { return equals(o); }
  bool operator!=(ArrayRef o) const { return !equals(o); }

 private:
  const T* data_ = nullptr;
  size_t size_ = 0;
};
using IntArrayRef = ArrayRef<int64_t>;

template <typename T>
std::ostream& operator<<(std::ostream& os, ArrayRef<T> a) {
  os << "[";
  for (size_t i = 0; i < a.size(); ++i) os << (i ? ", " : "") << a[i];
  return os << "]";
}

/// A number passed to an op: integral, floating or boolean, as c10::Scalar.
class EMBER_API Scalar {
 public:
  Scalar() : Scalar(int64_t(0)) {}
  template <typename T, std::enable_if_t<std::is_floating_point<T>::value, int> = 0>
  Scalar(T v) : d_(double(v)), kind_(kDouble) {}  // NOLINT
  template <typename T, std::enable_if_t<std::is_integral<T>::value && !std::is_same<T, bool>::value, int> = 0>
  Scalar(T v) : i_(int64_t(v)), kind_(kLong) {}  // NOLINT
  Scalar(bool v) : i_(v), kind_(kBool) {}        // NOLINT

  bool isFloatingPoint() const { return kind_ == kDouble; }
  bool isIntegral(bool include_bool = false) const { return kind_ == kLong || (include_bool && kind_ == kBool); }
  bool isBoolean() const { return kind_ == kBool; }
  ScalarType type() const { return kind_; }
  double toDouble() const { return kind_ == kDouble ? d_ : double(i_); }
  float toFloat() const { return float(toDouble()); }
  int64_t toLong() const { return kind_ == kDouble ? int64_t(d_) : i_; }
  bool toBool() const { return kind_ == kDouble ? d_ != 0 : i_ != 0; }
  int toInt() const { return int(toLong()); }
  int16_t toShort() const { return int16_t(toLong()); }
  int8_t toChar() const { return int8_t(toLong()); }
  uint8_t toByte() const { return uint8_t(toLong()); }
  /// The value as T: bool is "non-zero", floating types go through double, integers through int64.
  template <typename T>
  T to() const {
    static_assert(std::is_arithmetic_v<T>, "Scalar::to: T must be an arithmetic type");
    if constexpr (std::is_same_v<T, bool>) {
      return toBool();
    } else if constexpr (std::is_floating_point_v<T>) {
      return T(toDouble());
    } else {
      return T(toLong());
    }
  }

 private:
  double d_ = 0;
  int64_t i_ = 0;
  ScalarType kind_;
};
EMBER_API std::ostream& operator<<(std::ostream& os, const Scalar& s);

/// A tensor's memory layout (c10::Layout): ember's tensors are all strided (dense).
enum class Layout : int8_t { Strided, Sparse };
constexpr Layout kStrided = Layout::Strided;
constexpr Layout kSparse = Layout::Sparse;

/// What a factory makes: dtype, device and requires_grad. Converts implicitly from a dtype or
/// a device, so zeros({2}, kInt64) and zeros({2}, kCUDA) work, as in LibTorch.
class EMBER_API TensorOptions {
 public:
  TensorOptions() = default;
  TensorOptions(ScalarType t) : dtype_(t) {}           // NOLINT
  TensorOptions(Device d) : device_(d) {}              // NOLINT
  TensorOptions(DeviceType d) : device_(Device(d)) {}  // NOLINT

  TensorOptions dtype(ScalarType t) const {
    TensorOptions o = *this;
    o.dtype_ = t;
    return o;
  }
  TensorOptions device(Device d) const {
    TensorOptions o = *this;
    o.device_ = d;
    return o;
  }
  TensorOptions device(DeviceType type, int index) const { return device(Device(type, index)); }
  /// Dense (strided) is the only layout ember has; a sparse one is refused.
  TensorOptions layout(Layout l) const {
    EMBER_CHECK(l == Layout::Strided, "TensorOptions: ember has only strided (dense) tensors; got a sparse layout");
    return *this;
  }
  Layout layout() const { return Layout::Strided; }
  TensorOptions requires_grad(bool r) const {
    TensorOptions o = *this;
    o.requires_grad_ = r;
    return o;
  }
  ScalarType dtype() const { return dtype_.value_or(kFloat); }
  bool has_dtype() const { return dtype_.has_value(); }
  Device device() const { return device_.value_or(Device(kCPU)); }
  bool has_device() const { return device_.has_value(); }
  bool requires_grad() const { return requires_grad_; }

 private:
  std::optional<ScalarType> dtype_;
  std::optional<Device> device_;
  bool requires_grad_ = false;
};

// Free builders, as torch::dtype(...), torch::device(...), torch::requires_grad().
inline TensorOptions dtype(ScalarType t) { return TensorOptions().dtype(t); }
inline TensorOptions device(Device d) { return TensorOptions().device(d); }
inline TensorOptions requires_grad(bool r = true) { return TensorOptions().requires_grad(r); }
inline TensorOptions layout(Layout l) { return TensorOptions().layout(l); }

}  // namespace ember
