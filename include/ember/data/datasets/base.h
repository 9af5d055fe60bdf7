#pragma once
// The dataset interfaces of LibTorch's torch::data::datasets.
//   BatchDataset<Self, Batch, BatchRequest>: get_batch(request) -> Batch, and size() (nullopt
//     when unknown). A dataset whose Batch is an optional is stateful: it says when it is
//     exhausted by returning nullopt.
//   Dataset<Self, SingleExample>: get(index) -> one example; get_batch gathers get(i) for each
//     index of an ArrayRef<size_t> request.
//   StreamDataset<Self, Batch>: requests are batch sizes rather than indices.
// Self is the deriving class (CRTP) so that map(transform) returns MapDataset<Self, T>.
#include <cstddef>
#include <optional>
#include <type_traits>
#include <vector>

#include "ember/data/example.h"
#include "ember/types.h"

namespace ember {
namespace data {
namespace datasets {

template <typename Source, typename AppliedTransform>
class MapDataset;
template <typename D, typename T>
MapDataset<D, T> map(D dataset, T transform);  // NOLINT

namespace detail {
template <typename T>
struct is_optional : std::false_type {};
template <typename T>
struct is_optional<std::optional<T>> : std::true_type {};
}  // namespace detail

template <typename Self, typename Batch = std::vector<Example<>>, typename BatchRequest = ArrayRef<size_t>>
class BatchDataset {
 public:
  using SelfType = Self;
  using BatchType = Batch;
  using BatchRequestType = BatchRequest;
  constexpr static bool is_stateful = detail::is_optional<BatchType>::value;

  virtual ~BatchDataset() = default;
  virtual Batch get_batch(BatchRequest request) = 0;
  virtual std::optional<size_t> size() const = 0;

  /// This dataset with `transform` applied to each batch it returns.
  template <typename TransformType>
  MapDataset<Self, TransformType> map(TransformType transform) & {
    return datasets::map(static_cast<Self&>(*this), std::move(transform));
  }
  template <typename TransformType>
  MapDataset<Self, TransformType> map(TransformType transform) && {
    return datasets::map(std::move(static_cast<Self&>(*this)), std::move(transform));
  }
};

template <typename Self, typename SingleExample = Example<>>
class Dataset : public BatchDataset<Self, std::vector<SingleExample>> {
 public:
  using ExampleType = SingleExample;

  virtual ExampleType get(size_t index) = 0;

  std::vector<ExampleType> get_batch(ArrayRef<size_t> indices) override {
    std::vector<ExampleType> batch;
    batch.reserve(indices.size());
    for (const size_t i : indices) batch.push_back(get(i));
    return batch;
  }
};

template <typename Self, typename Batch = std::vector<Example<>>>
using StreamDataset = BatchDataset<Self, Batch, /*BatchRequest=*/size_t>;

}  // namespace datasets
}  // namespace data
}  // namespace ember
