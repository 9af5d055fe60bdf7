// torch::data: datasets, transforms, samplers and make_data_loader (with and without workers).
// Built once against LibTorch and once against ember, it must print the same text
// (tools/check_libtorch_compat.sh): batch shapes and contents, sampler orders (the random ones
// from the seeded default generator and the distributed ones from std::mt19937(epoch)),
// drop_last, stateful datasets and a short training run.
#ifdef USE_TORCH
#include <torch/torch.h>
#else
#include <ember/torch_compat.h>
#endif
#include <iostream>
#include <mutex>
#include <vector>

#include "show.h"

namespace {

struct Pairs : torch::data::datasets::Dataset<Pairs> {
  explicit Pairs(int64_t n)
      : x(torch::arange(n * 2, torch::kFloat).reshape({n, 2})), y(torch::arange(n, torch::kLong)) {}
  torch::data::Example<> get(size_t i) override { return {x[i], y[i]}; }
  torch::optional<size_t> size() const override { return size_t(x.size(0)); }
  torch::Tensor x, y;
};

struct Counter : torch::data::datasets::StatefulDataset<Counter, std::vector<int64_t>> {
  explicit Counter(int64_t n) : n(n) {}
  torch::optional<std::vector<int64_t>> get_batch(size_t batch_size) override {
    if (next == n) return torch::nullopt;
    std::vector<int64_t> batch;
    while (next < n && batch.size() < batch_size) batch.push_back(next++);
    return batch;
  }
  torch::optional<size_t> size() const override { return size_t(n); }
  void reset() override { next = 0; }
  void save(torch::serialize::OutputArchive&) const override {}
  void load(torch::serialize::InputArchive&) override {}
  int64_t n, next = 0;
};

template <typename S>
void print_sampler(const std::string& what, S& sampler, size_t batch_size) {
  std::cout << what << ":";
  while (auto batch = sampler.next(batch_size)) {
    std::cout << " [";
    for (size_t i : *batch) std::cout << " " << i;
    std::cout << " ]";
  }
  std::cout << "\n";
}

}  // namespace

int main() {
  namespace data = torch::data;
  // Plain batches: vectors of examples, in sampler order.
  auto plain = data::make_data_loader<data::samplers::SequentialSampler>(Pairs(7), data::DataLoaderOptions(3));
  for (auto& batch : *plain) {
    std::cout << "batch of " << batch.size() << ":";
    for (auto& e : batch) std::cout << " " << e.target.item<int64_t>();
    std::cout << "\n";
  }
  // Stacked, with workers, ordered, drop_last.
  auto stacked = data::make_data_loader<data::samplers::SequentialSampler>(
      Pairs(7).map(data::transforms::Stack<>()), data::DataLoaderOptions().batch_size(3).workers(2).drop_last(true));
  for (int epoch = 0; epoch < 2; ++epoch)
    for (auto& batch : *stacked) {
      show("data", batch.data);
      show("target", batch.target);
    }
  // Transforms chained: Normalize (per channel), TensorLambda, then Stack.
  auto images = torch::arange(16, torch::kFloat).reshape({2, 2, 2, 2});
  struct Images : data::datasets::Dataset<Images> {
    explicit Images(torch::Tensor t) : t(t) {}
    data::Example<> get(size_t i) override { return {t[i], torch::tensor(int64_t(i))}; }
    torch::optional<size_t> size() const override { return size_t(t.size(0)); }
    torch::Tensor t;
  };
  auto normalized = data::make_data_loader<data::samplers::SequentialSampler>(
      Images(images)
          .map(data::transforms::Normalize<>({1.0, 2.0}, {2.0, 4.0}))
          .map(data::transforms::TensorLambda<>([](torch::Tensor t) { return t * 10; }))
          .map(data::transforms::Stack<>()),
      data::DataLoaderOptions(2));
  for (auto& batch : *normalized) show("normalized", batch.data);
  // TensorDataset: unlabelled rows.
  auto rows = data::make_data_loader<data::samplers::SequentialSampler>(
      data::datasets::TensorDataset(torch::arange(6, torch::kFloat).reshape({3, 2}))
          .map(data::transforms::Stack<data::TensorExample>()),
      data::DataLoaderOptions(2));
  for (auto& batch : *rows) show("rows", batch.data);
  // Samplers.
  data::samplers::SequentialSampler sequential(5);
  print_sampler("sequential", sequential, 2);
  sequential.reset(3);
  print_sampler("sequential reset(3)", sequential, 2);
  for (size_t rank = 0; rank < 3; ++rank) {
    data::samplers::DistributedSequentialSampler d(10, 3, rank);
    print_sampler("distributed sequential rank " + std::to_string(rank), d, 3);
    data::samplers::DistributedRandomSampler r(10, 3, rank, /*allow_duplicates=*/false);
    r.set_epoch(4);
    r.reset();
    print_sampler("distributed random epoch 4 rank " + std::to_string(rank), r, 2);
  }
  torch::manual_seed(5);
  data::samplers::RandomSampler random(8);
  print_sampler("random", random, 3);
  random.reset();
  print_sampler("random next epoch", random, 8);
  data::samplers::StreamSampler stream(7);
  std::cout << "stream:";
  while (auto request = stream.next(3)) std::cout << " " << request->size();
  std::cout << "\n";
  // Stateful: until nullopt.
  auto counted = data::make_data_loader(Counter(7), data::DataLoaderOptions(3));
  for (auto& batch : *counted) std::cout << "counted " << batch.size() << " from " << batch.front() << "\n";
  // Options.
  data::FullDataLoaderOptions full(data::DataLoaderOptions(8).workers(3));
  std::cout << full.batch_size << " " << full.workers << " " << full.max_jobs << " " << full.enforce_ordering << " "
            << full.drop_last << "\n";
  return 0;
}
