#pragma once
// Tensor indexing as LibTorch's torch::indexing (torch::indexing after `namespace torch = ember`):
//
//   using namespace torch::indexing;
//   t.index({Slice(1, None), 0})            // t[1:, 0]: a view
//   t.index({"...", None, Slice(None, None, 2)})
//   t.index({mask})                         // t[mask]: a gathered copy
//   t.index_put_({Slice(), idx}, 0.5);      // t[:, idx] = 0.5
//   t.index({Slice(), 0}) = 5;              // writes through the view
//
// and the gather/scatter family of free functions (each also a Tensor method).
#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>
#include <vector>

#include "ember/tensor.h"

namespace ember {
namespace indexing {

/// `None` in an index list adds a dim of size 1 (and, in a Slice, means "the default").
constexpr std::nullopt_t None = std::nullopt;

struct EMBER_API EllipsisIndexType final {
  EllipsisIndexType() = default;
};
/// `...`: as many full slices as the other indices leave dims (also written "...").
EMBER_API extern const EllipsisIndexType Ellipsis;

/// Python's start:stop:step. Missing values default as in Python (0, the end, 1); the step must
/// be positive when applied (a negative step is refused, as by LibTorch).
class EMBER_API Slice final {
 public:
  Slice(std::optional<int64_t> start = std::nullopt, std::optional<int64_t> stop = std::nullopt,
        std::optional<int64_t> step = std::nullopt);
  int64_t start() const { return start_; }
  int64_t stop() const { return stop_; }
  int64_t step() const { return step_; }

 private:
  int64_t start_, stop_, step_;
};

/// One entry of an index list: None, Ellipsis ("..."), an integer, a bool, a Slice or a Tensor
/// (int64 or bool).
class EMBER_API TensorIndex final {
 public:
  enum class Kind { None, Ellipsis, Integer, Boolean, Slice, Tensor };
  TensorIndex(std::nullopt_t) : kind_(Kind::None) {}                         // NOLINT
  TensorIndex(EllipsisIndexType) : kind_(Kind::Ellipsis) {}                  // NOLINT
  TensorIndex(const char* s);                                                // NOLINT: only "..."
  TensorIndex(int64_t integer) : kind_(Kind::Integer), integer_(integer) {}  // NOLINT
  TensorIndex(int integer) : TensorIndex(int64_t(integer)) {}                // NOLINT
  template <class T, class = std::enable_if_t<std::is_same<bool, T>::value>>
  TensorIndex(T boolean) : kind_(Kind::Boolean), boolean_(boolean) {}              // NOLINT
  TensorIndex(Slice slice) : kind_(Kind::Slice), slice_(slice) {}                  // NOLINT
  TensorIndex(Tensor tensor) : kind_(Kind::Tensor), tensor_(std::move(tensor)) {}  // NOLINT

  Kind kind() const { return kind_; }
  bool is_none() const { return kind_ == Kind::None; }
  bool is_ellipsis() const { return kind_ == Kind::Ellipsis; }
  bool is_integer() const { return kind_ == Kind::Integer; }
  bool is_boolean() const { return kind_ == Kind::Boolean; }
  bool is_slice() const { return kind_ == Kind::Slice; }
  bool is_tensor() const { return kind_ == Kind::Tensor; }
  int64_t integer() const { return integer_; }
  bool boolean() const { return boolean_; }
  const Slice& slice() const { return slice_; }
  const Tensor& tensor() const { return tensor_; }

 private:
  Kind kind_;
  int64_t integer_ = 0;
  bool boolean_ = false;
  Slice slice_;
  Tensor tensor_;
};

EMBER_API std::ostream& operator<<(std::ostream& os, const Slice& s);
EMBER_API std::ostream& operator<<(std::ostream& os, const TensorIndex& i);

}  // namespace indexing

// --- the gather / scatter family (Tensor methods of the same names in tensor.h) ------------------
/// ATen's index: one optional index tensor per leading dim (std::nullopt: the whole dim).
EMBER_API Tensor index(const Tensor& self, const std::vector<std::optional<Tensor>>& indices);
EMBER_API Tensor index_put(const Tensor& self, const std::vector<std::optional<Tensor>>& indices, const Tensor& values,
                           bool accumulate = false);
EMBER_API Tensor masked_fill(const Tensor& self, const Tensor& mask, const Scalar& value);
EMBER_API Tensor masked_fill(const Tensor& self, const Tensor& mask, const Tensor& value);
EMBER_API Tensor masked_select(const Tensor& self, const Tensor& mask);
EMBER_API Tensor masked_scatter(const Tensor& self, const Tensor& mask, const Tensor& source);
EMBER_API Tensor index_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source,
                           const Scalar& alpha = 1);
EMBER_API Tensor index_copy(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source);
EMBER_API Tensor index_fill(const Tensor& self, int64_t dim, const Tensor& index, const Scalar& value);
EMBER_API Tensor index_fill(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& value);
EMBER_API Tensor gather(const Tensor& self, int64_t dim, const Tensor& index, bool sparse_grad = false);
EMBER_API Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src);
EMBER_API Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, const Scalar& value);
EMBER_API Tensor scatter_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src);
EMBER_API Tensor scatter_reduce(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src,
                                std::string_view reduce, bool include_self = true);
EMBER_API Tensor take(const Tensor& self, const Tensor& index);
/// (n, self.dim()) int64: the coordinates of the n non-zero elements, in row-major order.
EMBER_API Tensor nonzero(const Tensor& self);
/// where(condition) = nonzero(condition) split into one (n) index tensor per dim.
EMBER_API std::vector<Tensor> where(const Tensor& condition);

}  // namespace ember
