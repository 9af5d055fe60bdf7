#pragma once
// LibTorch's element accessors: `auto a = t.accessor<float, 2>(); a[i][j]` indexes a tensor's
// elements through its sizes and strides with no Tensor made per step (Tensor::accessor in
// ember/tensor.h). TensorAccessor points at the tensor's own size and stride arrays, so it is
// valid while the tensor lives (accessor() of a temporary does not compile, as in LibTorch); the
// packed accessors copy them, to be passed by value (to a CUDA kernel, say).
#include <cstddef>
#include <cstdint>

#include "ember/types.h"

#if defined(__CUDACC__)
#define EMBER_HOST_DEVICE __host__ __device__
#else
#define EMBER_HOST_DEVICE
#endif

namespace ember {

template <typename T, size_t N, typename index_t = int64_t>
class TensorAccessorBase {
 public:
  EMBER_HOST_DEVICE TensorAccessorBase(T* data, const index_t* sizes, const index_t* strides)
      : data_(data), sizes_(sizes), strides_(strides) {}
  IntArrayRef sizes() const { return IntArrayRef(sizes_, N); }
  IntArrayRef strides() const { return IntArrayRef(strides_, N); }
  EMBER_HOST_DEVICE index_t size(index_t i) const { return sizes_[i]; }
  EMBER_HOST_DEVICE index_t stride(index_t i) const { return strides_[i]; }
  EMBER_HOST_DEVICE T* data() { return data_; }
  EMBER_HOST_DEVICE const T* data() const { return data_; }

 protected:
  T* data_;
  const index_t* sizes_;
  const index_t* strides_;
};

/// a[i] drops the first dim: an accessor of N - 1 dims, or the element itself when N is 1.
template <typename T, size_t N, typename index_t = int64_t>
class TensorAccessor : public TensorAccessorBase<T, N, index_t> {
 public:
  using TensorAccessorBase<T, N, index_t>::TensorAccessorBase;
  EMBER_HOST_DEVICE TensorAccessor<T, N - 1, index_t> operator[](index_t i) const {
    return TensorAccessor<T, N - 1, index_t>(this->data_ + this->strides_[0] * i, this->sizes_ + 1, this->strides_ + 1);
  }
};

template <typename T, typename index_t>
class TensorAccessor<T, 1, index_t> : public TensorAccessorBase<T, 1, index_t> {
 public:
  using TensorAccessorBase<T, 1, index_t>::TensorAccessorBase;
  EMBER_HOST_DEVICE T& operator[](index_t i) const { return this->data_[this->strides_[0] * i]; }
};

/// The same indexing with the sizes and strides held by value (index_t int32_t or int64_t).
template <typename T, size_t N, typename index_t = int64_t>
class GenericPackedTensorAccessor {
 public:
  GenericPackedTensorAccessor(T* data, const int64_t* sizes, const int64_t* strides) : data_(data) {
    for (size_t d = 0; d < N; ++d) {
      sizes_[d] = static_cast<index_t>(sizes[d]);
      strides_[d] = static_cast<index_t>(strides[d]);
    }
  }
  EMBER_HOST_DEVICE index_t size(index_t i) const { return sizes_[i]; }
  EMBER_HOST_DEVICE index_t stride(index_t i) const { return strides_[i]; }
  EMBER_HOST_DEVICE T* data() const { return data_; }
  EMBER_HOST_DEVICE TensorAccessor<T, N - 1, index_t> operator[](index_t i) const {
    return TensorAccessor<T, N - 1, index_t>(data_ + strides_[0] * i, sizes_ + 1, strides_ + 1);
  }

 private:
  T* data_;
  index_t sizes_[N];
  index_t strides_[N];
};

template <typename T, typename index_t>
class GenericPackedTensorAccessor<T, 1, index_t> {
 public:
  GenericPackedTensorAccessor(T* data, const int64_t* sizes, const int64_t* strides)
      : data_(data), size_(static_cast<index_t>(sizes[0])), stride_(static_cast<index_t>(strides[0])) {}
  EMBER_HOST_DEVICE index_t size(index_t) const { return size_; }
  EMBER_HOST_DEVICE index_t stride(index_t) const { return stride_; }
  EMBER_HOST_DEVICE T* data() const { return data_; }
  EMBER_HOST_DEVICE T& operator[](index_t i) const { return data_[stride_ * i]; }

 private:
  T* data_;
  index_t size_;
  index_t stride_;
};

template <typename T, size_t N>
using PackedTensorAccessor32 = GenericPackedTensorAccessor<T, N, int32_t>;
template <typename T, size_t N>
using PackedTensorAccessor64 = GenericPackedTensorAccessor<T, N, int64_t>;

}  // namespace ember
