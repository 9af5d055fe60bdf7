#pragma once
// make_data_loader: LibTorch's torch::data::make_data_loader.
//
//   auto loader = data::make_data_loader(MyDataset().map(data::transforms::Stack<>()),
//                                        data::DataLoaderOptions().batch_size(64).workers(2));
//   for (auto& batch : *loader) { ... batch.data ... batch.target ... }
//
// A stateless dataset (get_batch(indices)) gets a StatelessDataLoader with a sampler: the one
// passed, or a Sampler (RandomSampler by default) built from dataset.size(). A stateful
// dataset (get_batch returns an optional) gets a StatefulDataLoader.
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "ember/data/dataloader/stateful.h"
#include "ember/data/dataloader/stateless.h"
#include "ember/data/samplers/random.h"

namespace ember {
namespace data {

// A second argument that converts to DataLoaderOptions (a batch size) is the options, not a
// sampler: make_data_loader(dataset, 64) takes the overload below, as LibTorch's.
template <typename Dataset, typename Sampler>
std::enable_if_t<!Dataset::is_stateful && !std::is_convertible_v<Sampler, DataLoaderOptions>,
                 std::unique_ptr<StatelessDataLoader<Dataset, Sampler>>>
make_data_loader(Dataset dataset, Sampler sampler, DataLoaderOptions options = DataLoaderOptions()) {
  return std::make_unique<StatelessDataLoader<Dataset, Sampler>>(std::move(dataset), std::move(sampler),
                                                                 std::move(options));
}

template <typename Sampler = samplers::RandomSampler, typename Dataset,
          typename = std::enable_if_t<!Dataset::is_stateful && std::is_constructible<Sampler, size_t>::value>>
std::unique_ptr<StatelessDataLoader<Dataset, Sampler>> make_data_loader(
    Dataset dataset, DataLoaderOptions options = DataLoaderOptions()) {
  const std::optional<size_t> size = dataset.size();
  EMBER_CHECK(size.has_value(), "Expected the dataset to be sized in order to construct the Sampler");
  return make_data_loader(std::move(dataset), Sampler(*size), std::move(options));
}

template <typename Dataset, typename = std::enable_if_t<Dataset::is_stateful>>
std::unique_ptr<StatefulDataLoader<Dataset>> make_data_loader(Dataset dataset,
                                                              DataLoaderOptions options = DataLoaderOptions()) {
  return std::make_unique<StatefulDataLoader<Dataset>>(std::move(dataset), std::move(options));
}

}  // namespace data
}  // namespace ember
