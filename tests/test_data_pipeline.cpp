// The torch::data pipeline (datasets, transforms, make_data_loader with and without worker
// threads), written with LibTorch's names through the porting header, as a ported program
// would use it.
#include <ember/torch_compat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <numeric>
#include <thread>

#include "helpers.h"

using ember_test::error_message;
using ember_test::require_throws_with;
using Clock = std::chrono::steady_clock;

namespace {

// A labelled dataset as LibTorch tutorials write one: x[i] = [i, 2i, 3i], target i.
struct Pairs : torch::data::datasets::Dataset<Pairs> {
  explicit Pairs(int64_t n)
      : x(torch::arange(n, torch::kFloat).unsqueeze(1) * torch::tensor({1.f, 2.f, 3.f})),
        y(torch::arange(n, torch::kLong)) {}
  torch::data::Example<> get(size_t index) override { return {x[index], y[index]}; }
  torch::optional<size_t> size() const override { return size_t(x.size(0)); }
  torch::Tensor x, y;
};

// Example i is {[i], i}; get sleeps `delay(i)` first and throws for index `bad`.
struct Slow : torch::data::datasets::Dataset<Slow> {
  Slow(size_t n, std::function<std::chrono::milliseconds(size_t)> delay, size_t bad = size_t(-1))
      : n(n), delay(std::move(delay)), bad(bad) {}
  torch::data::Example<> get(size_t index) override {
    std::this_thread::sleep_for(delay(index));
    TORCH_CHECK(index != bad, "Slow: example ", index, " is corrupt");
    return {torch::full({1}, double(index)), torch::full({}, int64_t(index), torch::kLong)};
  }
  torch::optional<size_t> size() const override { return n; }
  size_t n;
  std::function<std::chrono::milliseconds(size_t)> delay;
  size_t bad;
};

std::chrono::milliseconds no_delay(size_t) { return std::chrono::milliseconds(0); }

// The targets of every batch of one epoch, batch by batch.
template <typename Loader>
std::vector<std::vector<int64_t>> epoch_targets(Loader& loader) {
  std::vector<std::vector<int64_t>> batches;
  for (auto& batch : loader) {
    std::vector<int64_t> ids;
    for (auto& example : batch) ids.push_back(example.target.template item<int64_t>());
    batches.push_back(ids);
  }
  return batches;
}

std::vector<int64_t> flat(const std::vector<std::vector<int64_t>>& batches) {
  std::vector<int64_t> all;
  for (const auto& b : batches) all.insert(all.end(), b.begin(), b.end());
  return all;
}

std::vector<int64_t> iota_to(int64_t n) {
  std::vector<int64_t> v(size_t(n), 0);
  std::iota(v.begin(), v.end(), int64_t(0));
  return v;
}

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

}  // namespace

TEST_CASE("data pipeline: a LibTorch training loop over make_data_loader compiles and learns", "[data][pipeline]") {
  torch::manual_seed(0);
  // y = 2 x0 - x1 + 0.5 over 64 random rows, as one (data, target) dataset.
  struct Regression : torch::data::datasets::Dataset<Regression> {
    Regression() : x(torch::randn({64, 2})), y(x.matmul(torch::tensor({2.f, -1.f})) + 0.5f) {}
    torch::data::Example<> get(size_t i) override { return {x[i], y[i].unsqueeze(0)}; }
    torch::optional<size_t> size() const override { return size_t(x.size(0)); }
    torch::Tensor x, y;
  };
  auto loader = torch::data::make_data_loader(Regression().map(torch::data::transforms::Stack<>()),
                                              torch::data::DataLoaderOptions().batch_size(4).workers(2));
  torch::nn::Linear model(2, 1);
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.1));
  double first_epoch = 0, last_epoch = 0;
  for (int epoch = 0; epoch < 20; ++epoch) {
    double total = 0;
    size_t batches = 0;
    for (auto& batch : *loader) {
      REQUIRE(batch.data.sizes() == std::vector<int64_t>{4, 2});
      REQUIRE(batch.target.sizes() == std::vector<int64_t>{4, 1});
      optimizer.zero_grad();
      torch::Tensor loss = torch::nn::functional::mse_loss(model->forward(batch.data), batch.target);
      loss.backward();
      optimizer.step();
      total += loss.item<double>();
      ++batches;
    }
    REQUIRE(batches == 16);
    (epoch == 0 ? first_epoch : last_epoch) = total / double(batches);
  }
  CHECK(last_epoch < 1e-4);
  CHECK(last_epoch < first_epoch / 100);
}

TEST_CASE("data pipeline: TensorDataset is unlabelled and stacks with Stack<TensorExample>", "[data][pipeline]") {
  torch::Tensor rows = torch::arange(12, torch::kFloat).reshape({6, 2});
  torch::data::datasets::TensorDataset dataset(rows);
  REQUIRE(*dataset.size() == 6);
  torch::data::TensorExample third = dataset.get(2);
  torch::Tensor as_tensor = third;  // a TensorExample converts to its data
  ember_test::require_equal(as_tensor, torch::tensor({4.f, 5.f}));
  auto loader = torch::data::make_data_loader<torch::data::samplers::SequentialSampler>(
      torch::data::datasets::TensorDataset(rows).map(torch::data::transforms::Stack<torch::data::TensorExample>()),
      torch::data::DataLoaderOptions(4));
  std::vector<torch::Tensor> batches;
  for (auto& batch : *loader) batches.push_back(batch.data);
  REQUIRE(batches.size() == 2);
  ember_test::require_equal(batches[0], rows.slice(0, 0, 4));
  ember_test::require_equal(batches[1], rows.slice(0, 4, 6));
  // From a list of tensors, stacked.
  torch::data::datasets::TensorDataset listed(std::vector<torch::Tensor>{torch::ones({2}), torch::zeros({2})});
  ember_test::require_equal(listed.tensor, torch::tensor({{1.f, 1.f}, {0.f, 0.f}}));
}

TEST_CASE("data pipeline: batches of a plain dataset are vectors of examples; Stack batches tensors; drop_last",
          "[data][pipeline]") {
  using torch::data::samplers::SequentialSampler;
  for (size_t workers : {size_t(0), size_t(2)}) {
    INFO("workers " << workers);
    auto plain =
        torch::data::make_data_loader<SequentialSampler>(Pairs(10), torch::data::DataLoaderOptions(4).workers(workers));
    static_assert(std::is_same<std::decay_t<decltype(*plain->begin())>, std::vector<torch::data::Example<>>>::value,
                  "a plain dataset's batch is std::vector<Example<>>");
    CHECK(epoch_targets(*plain) == std::vector<std::vector<int64_t>>{{0, 1, 2, 3}, {4, 5, 6, 7}, {8, 9}});

    auto stacked = torch::data::make_data_loader<SequentialSampler>(Pairs(10).map(torch::data::transforms::Stack<>()),
                                                                    torch::data::DataLoaderOptions(4).workers(workers));
    std::vector<std::vector<int64_t>> shapes;
    for (auto& batch : *stacked) {
      shapes.push_back(batch.data.sizes().vec());
      CHECK(batch.target.sizes() == std::vector<int64_t>{batch.data.size(0)});
      CHECK(batch.target.scalar_type() == torch::kLong);
    }
    CHECK(shapes == std::vector<std::vector<int64_t>>{{4, 3}, {4, 3}, {2, 3}});

    auto dropping = torch::data::make_data_loader<SequentialSampler>(
        Pairs(10), torch::data::DataLoaderOptions(4).workers(workers).drop_last(true));
    CHECK(epoch_targets(*dropping) == std::vector<std::vector<int64_t>>{{0, 1, 2, 3}, {4, 5, 6, 7}});
  }
  // A Stack<> batch holds the rows the indices name.
  auto loader = torch::data::make_data_loader<SequentialSampler>(Pairs(5).map(torch::data::transforms::Stack<>()),
                                                                 torch::data::DataLoaderOptions(5));
  auto it = loader->begin();
  ember_test::require_equal(it->data, Pairs(5).x);
  ember_test::require_equal(it->target, torch::arange(5, torch::kLong));
  CHECK(++it == loader->end());
}

TEST_CASE("data pipeline: with workers every example comes exactly once per epoch", "[data][pipeline][workers]") {
  torch::manual_seed(3);
  for (bool ordered : {true, false}) {
    INFO("enforce_ordering " << ordered);
    auto loader = torch::data::make_data_loader(
        Pairs(103), torch::data::DataLoaderOptions().batch_size(8).workers(3).enforce_ordering(ordered));
    std::vector<int64_t> previous;
    for (int epoch = 0; epoch < 3; ++epoch) {
      auto batches = epoch_targets(*loader);
      REQUIRE(batches.size() == 13);
      std::vector<int64_t> all = flat(batches);
      std::vector<int64_t> sorted = all;
      std::sort(sorted.begin(), sorted.end());
      CHECK(sorted == iota_to(103));
      CHECK(all != previous);  // the RandomSampler draws a new order each epoch
      previous = all;
    }
  }
}

TEST_CASE("data pipeline: enforce_ordering hands out batches in sampler order however workers finish",
          "[data][pipeline][workers]") {
  // Early batches are the slowest, so unordered workers would finish later batches first.
  auto delay = [](size_t i) { return std::chrono::milliseconds(i < 4 ? 40 : 0); };
  auto ordered = torch::data::make_data_loader<torch::data::samplers::SequentialSampler>(
      Slow(16, delay), torch::data::DataLoaderOptions(2).workers(4));
  CHECK(flat(epoch_targets(*ordered)) == iota_to(16));
  CHECK(flat(epoch_targets(*ordered)) == iota_to(16));  // and again in the next epoch

  auto unordered = torch::data::make_data_loader<torch::data::samplers::SequentialSampler>(
      Slow(16, delay), torch::data::DataLoaderOptions(2).workers(4).enforce_ordering(false));
  std::vector<int64_t> all = flat(epoch_targets(*unordered));
  CHECK(all != iota_to(16));  // batch {0, 1} sleeps 80 ms while the other workers run ahead
  std::sort(all.begin(), all.end());
  CHECK(all == iota_to(16));
}

TEST_CASE("data pipeline: the RandomSampler's orders repeat under manual_seed", "[data][pipeline]") {
  auto orders = [] {
    torch::manual_seed(42);
    auto loader = torch::data::make_data_loader(Pairs(20), torch::data::DataLoaderOptions(6).workers(2));
    return std::make_pair(flat(epoch_targets(*loader)), flat(epoch_targets(*loader)));
  };
  auto a = orders(), b = orders();
  CHECK(a.first == b.first);
  CHECK(a.second == b.second);
  CHECK(a.first != a.second);
}

TEST_CASE("data pipeline: an exception in a worker is rethrown in the main thread as WorkerException",
          "[data][pipeline][workers][errors]") {
  auto loader = torch::data::make_data_loader<torch::data::samplers::SequentialSampler>(
      Slow(12, no_delay, /*bad=*/5), torch::data::DataLoaderOptions(2).workers(2));
  bool caught = false;
  std::vector<int64_t> before;
  try {
    for (auto& batch : *loader)
      for (auto& example : batch) before.push_back(example.target.item<int64_t>());
  } catch (const torch::data::WorkerException& e) {
    caught = true;
    CHECK(std::string(e.what()) ==
          "Caught exception in DataLoader worker thread. Original message: Slow: example 5 is corrupt");
    CHECK_THROWS_AS(std::rethrow_exception(e.original_exception), c10::Error);
  }
  CHECK(caught);
  CHECK(before == std::vector<int64_t>{0, 1, 2, 3});  // the batches before the bad one arrived, in order

  // Without workers the dataset's own exception reaches the caller.
  auto inline_loader = torch::data::make_data_loader<torch::data::samplers::SequentialSampler>(
      Slow(12, no_delay, 5), torch::data::DataLoaderOptions(2));
  require_throws_with([&] { epoch_targets(*inline_loader); }, {"Slow: example 5 is corrupt"});
}

TEST_CASE("data pipeline: timeout throws when a worker's batch takes too long", "[data][pipeline][workers][errors]") {
  auto slow = [](size_t) { return std::chrono::milliseconds(300); };
  auto loader = torch::data::make_data_loader<torch::data::samplers::SequentialSampler>(
      Slow(4, slow), torch::data::DataLoaderOptions(2).workers(1).timeout(std::chrono::milliseconds(20)));
  require_throws_with([&] { epoch_targets(*loader); },
                      {"Timeout in DataLoader queue while waiting for next batch (timeout was 20 ms)"});
  // A timeout long enough lets the epoch through.
  auto patient = torch::data::make_data_loader<torch::data::samplers::SequentialSampler>(
      Slow(4, [](size_t) { return std::chrono::milliseconds(5); }),
      torch::data::DataLoaderOptions(2).workers(1).timeout(std::chrono::milliseconds(5000)));
  CHECK(flat(epoch_targets(*patient)) == iota_to(4));
}

TEST_CASE("data pipeline: destroying a loader mid-epoch joins its workers without hanging",
          "[data][pipeline][workers]") {
  auto slow = [](size_t) { return std::chrono::milliseconds(20); };
  const auto start = Clock::now();
  {
    auto loader = torch::data::make_data_loader<torch::data::samplers::SequentialSampler>(
        Slow(400, slow), torch::data::DataLoaderOptions(4).workers(3));
    auto it = loader->begin();
    CHECK(it->size() == 4);
    ++it;
    CHECK(it->size() == 4);
  }  // 98 batches (about 8 s of loading) left: only the few in flight are waited for
  CHECK(seconds_since(start) < 3.0);
  {  // never iterated
    auto loader = torch::data::make_data_loader(Pairs(10), torch::data::DataLoaderOptions(2).workers(4));
  }
  {  // after an exception and a timeout
    auto loader = torch::data::make_data_loader<torch::data::samplers::SequentialSampler>(
        Slow(40, slow, 0), torch::data::DataLoaderOptions(2).workers(2));
    CHECK_THROWS_AS(loader->begin()->size(), torch::data::WorkerException);
  }
}

TEST_CASE("data pipeline: workers load ahead, so a slow dataset does not stall training",
          "[data][pipeline][workers][timing]") {
  // Each batch takes 4 x 10 ms to load and 40 ms to "train" on: 20 batches cost about 1.6 s
  // in the main thread alone, about 0.8 s (the training) plus the first batch when two
  // workers load ahead. On a loaded machine every sleep overshoots, both times grow alike, so
  // the bound is on their ratio (about 0.5; 0.75 leaves room).
  auto per_example = [](size_t) { return std::chrono::milliseconds(10); };
  auto epoch_seconds = [&](size_t workers) {
    auto loader = torch::data::make_data_loader<torch::data::samplers::SequentialSampler>(
        Slow(80, per_example), torch::data::DataLoaderOptions(4).workers(workers));
    const auto start = Clock::now();
    size_t batches = 0;
    for (auto& batch : *loader) {
      (void)batch;
      std::this_thread::sleep_for(std::chrono::milliseconds(40));
      ++batches;
    }
    CHECK(batches == 20);
    return seconds_since(start);
  };
  const double serial = epoch_seconds(0), overlapped = epoch_seconds(2);
  INFO("workers=0: " << serial << " s, workers=2: " << overlapped << " s");
  CHECK(serial >= 1.6);
  CHECK(overlapped < 0.75 * serial);
}

TEST_CASE("data pipeline: a stateful dataset runs until it returns nullopt, reset each epoch",
          "[data][pipeline][stateful]") {
  // Hands out 0..n-1 in order, batch by batch; safe for several workers.
  struct Counter : torch::data::datasets::StatefulDataset<Counter, std::vector<int64_t>> {
    explicit Counter(int64_t n) : n(n) {}
    torch::optional<std::vector<int64_t>> get_batch(size_t batch_size) override {
      std::lock_guard<std::mutex> lock(*mutex);
      if (next == n) return torch::nullopt;
      std::vector<int64_t> batch;
      while (next < n && batch.size() < batch_size) batch.push_back(next++);
      return batch;
    }
    torch::optional<size_t> size() const override { return size_t(n); }
    void reset() override {
      next = 0;
      ++*resets;
    }
    void save(torch::serialize::OutputArchive&) const override {}
    void load(torch::serialize::InputArchive&) override {}
    int64_t n, next = 0;
    std::shared_ptr<std::mutex> mutex = std::make_shared<std::mutex>();
    std::shared_ptr<int> resets = std::make_shared<int>(0);
  };
  static_assert(Counter::is_stateful, "an optional batch makes a dataset stateful");
  for (size_t workers : {size_t(0), size_t(3)}) {
    INFO("workers " << workers);
    Counter counter(10);
    auto resets = counter.resets;
    auto loader = torch::data::make_data_loader(counter, torch::data::DataLoaderOptions(3).workers(workers));
    for (int epoch = 0; epoch < 2; ++epoch) {
      std::vector<int64_t> all;
      size_t batches = 0;
      for (auto& batch : *loader) {
        all.insert(all.end(), batch.begin(), batch.end());
        ++batches;
      }
      CHECK(batches == 4);
      std::sort(all.begin(), all.end());
      CHECK(all == iota_to(10));
    }
    CHECK(*resets == 2);
  }
  // map keeps the batch optional and passes nullopt through.
  auto doubled = Counter(3).map(torch::data::transforms::BatchLambda<std::vector<int64_t>>([](std::vector<int64_t> b) {
    for (auto& v : b) v *= 2;
    return b;
  }));
  static_assert(decltype(doubled)::is_stateful, "a mapped stateful dataset stays stateful");
  CHECK(*doubled.get_batch(5) == std::vector<int64_t>{0, 2, 4});
  CHECK(!doubled.get_batch(5).has_value());
  doubled.reset();
  CHECK(*doubled.get_batch(2) == std::vector<int64_t>{0, 2});
}

TEST_CASE("data pipeline: transforms map examples, batches and data tensors", "[data][pipeline][transforms]") {
  using namespace torch::data;
  Pairs pairs(4);
  // Lambda: per example (here: swap the sign of the data).
  auto negated = pairs.map(transforms::Lambda<Example<>>([](Example<> e) { return Example<>{-e.data, e.target}; }));
  ember_test::require_equal(negated.get_batch({size_t(2)})[0].data, torch::tensor({-2.f, -4.f, -6.f}));
  CHECK(*negated.size() == 4);
  // TensorLambda: the data tensor only.
  auto plus_one = pairs.map(transforms::TensorLambda<>([](torch::Tensor t) { return t + 1; }));
  auto batch = plus_one.get_batch({size_t(1), size_t(3)});
  ember_test::require_equal(batch[1].data, torch::tensor({4.f, 7.f, 10.f}));
  CHECK(batch[1].target.item<int64_t>() == 3);
  // Collate: a whole batch into one value (the sum of the targets), chained after a map.
  auto summed = pairs.map(transforms::TensorLambda<>([](torch::Tensor t) { return t * 2; }))
                    .map(transforms::Collate<int64_t, std::vector<Example<>>>([](std::vector<Example<>> b) {
                      int64_t s = 0;
                      for (auto& e : b) s += e.target.item<int64_t>();
                      return s;
                    }));
  CHECK(summed.get_batch({size_t(1), size_t(2), size_t(3)}) == 6);
  // Normalize: per channel (x - mean) / stddev over C x H x W.
  transforms::Normalize<> normalize({1.0, 2.0}, {2.0, 4.0});
  torch::Tensor image = torch::full({2, 2, 2}, 5.0);
  torch::Tensor expected = torch::stack({torch::full({2, 2}, 2.0), torch::full({2, 2}, 0.75)});
  ember_test::require_equal(normalize(image), expected);
  auto normalized = normalize.apply(Example<>{image, torch::tensor(int64_t(1))});
  ember_test::require_equal(normalized.data, expected);
}

TEST_CASE("data pipeline: iterator and option misuse is refused with LibTorch's messages", "[data][pipeline][errors]") {
  using torch::data::samplers::SequentialSampler;
  auto loader =
      torch::data::make_data_loader<SequentialSampler>(Pairs(6), torch::data::DataLoaderOptions(2).workers(1));
  auto it = loader->begin();
  (void)*it;
  require_throws_with([&] { loader->begin(); },
                      {"Attempted to get a new DataLoader iterator while another iterator is not yet exhausted"});
  while (it != loader->end()) ++it;
  require_throws_with([&] { *it; }, {"Attempted to dereference iterator that was past the end"});
  require_throws_with([&] { ++it; }, {"Attempted to increment iterator past the end"});
  require_throws_with([&] { *loader->end(); }, {"Dereferencing the DataLoader's past-the-end iterator is not allowed"});
  require_throws_with([&] { ++loader->end(); }, {"Incrementing the DataLoader's past-the-end iterator is not allowed"});
  CHECK(flat(epoch_targets(*loader)) == iota_to(6));  // an exhausted epoch lets a new one start

  require_throws_with([] { torch::data::make_data_loader(Pairs(6), torch::data::DataLoaderOptions(0)); },
                      {"batch_size must be positive"});
  require_throws_with(
      [] { torch::data::make_data_loader(Pairs(6), torch::data::DataLoaderOptions(2).workers(2).max_jobs(0)); },
      {"max_jobs must be positive"});

  // An unsized dataset needs an explicit sampler.
  struct Unsized : torch::data::datasets::Dataset<Unsized> {
    torch::data::Example<> get(size_t) override { return {}; }
    torch::optional<size_t> size() const override { return torch::nullopt; }
  };
  require_throws_with([] { torch::data::make_data_loader(Unsized()); },
                      {"Expected the dataset to be sized in order to construct the Sampler"});

  torch::data::FullDataLoaderOptions defaults(torch::data::DataLoaderOptions().workers(3));
  CHECK(defaults.batch_size == 1);
  CHECK(defaults.max_jobs == 6);
  CHECK(defaults.enforce_ordering);
  CHECK_FALSE(defaults.drop_last);
  CHECK_FALSE(defaults.timeout.has_value());
}
