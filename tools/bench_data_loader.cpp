// bench_data_loader: how far make_data_loader's worker threads hide a slow dataset behind
// training. A dataset whose get() sleeps (standing in for reading and decoding a file) feeds a
// real training step (an MLP on 3 x 32 x 32 images, batch 32); the epoch's wall time is
// printed for workers = 0 (load, then train, in turn) and for 1, 2 and 4 workers, next to the
// time of the loading alone and of the training alone.
//
//   bench_data_loader [load_ms_per_example=2] [batches=40] [threads=1]
//
// threads is ember's CPU thread count for the training (set_num_threads); 1 by default so that
// the training does not compete with the other threads for the cores of a small machine.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <thread>

#include "ember/ember.h"

namespace data = ember::data;
using Clock = std::chrono::steady_clock;

namespace {

struct SlowImages : data::datasets::Dataset<SlowImages> {
  SlowImages(size_t n, int load_ms) : n(n), load_ms(load_ms) {}
  data::Example<> get(size_t index) override {
    std::this_thread::sleep_for(std::chrono::milliseconds(load_ms));
    return {ember::full({3, 32, 32}, double(index % 7) / 7.0), ember::full({}, int64_t(index % 10), ember::kLong)};
  }
  std::optional<size_t> size() const override { return n; }
  size_t n;
  int load_ms;
};

double seconds(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

}  // namespace

int main(int argc, char** argv) {
  const int load_ms = argc > 1 ? std::atoi(argv[1]) : 2;
  const size_t batches = argc > 2 ? size_t(std::atoi(argv[2])) : 40, batch_size = 32;
  ember::set_num_threads(argc > 3 ? std::atoi(argv[3]) : 1);
  ember::manual_seed(0);
  ember::nn::Sequential model(ember::nn::Flatten(), ember::nn::Linear(3072, 512), ember::nn::ReLU(),
                              ember::nn::Linear(512, 10));
  ember::optim::SGD optimizer(model->parameters(), ember::optim::SGDOptions(0.01));
  auto step = [&](const data::Example<>& batch) {
    optimizer.zero_grad();
    auto loss = ember::nn::functional::cross_entropy(model->forward(batch.data), batch.target);
    loss.backward();
    optimizer.step();
  };

  // The training alone, on one batch held in memory.
  SlowImages instant(batch_size, 0);
  std::vector<size_t> first(batch_size);
  std::iota(first.begin(), first.end(), size_t(0));
  const data::Example<> held = data::transforms::Stack<>().apply_batch(instant.get_batch(first));
  step(held);  // warm-up
  // The training alone, measured before and after the loaders (the machine may be shared).
  auto train_only = [&] {
    const auto start = Clock::now();
    for (size_t b = 0; b < batches; ++b) step(held);
    return seconds(start);
  };
  std::printf("load %d ms/example, %zu batches of %zu\n", load_ms, batches, batch_size);
  std::printf("training alone:   %.2f s\n", train_only());
  std::printf("loading alone:    %.2f s (sleeps)\n", double(load_ms) * double(batches * batch_size) / 1000.0);

  for (size_t workers : {0, 1, 2, 4}) {
    auto loader = data::make_data_loader(SlowImages(batches * batch_size, load_ms).map(data::transforms::Stack<>()),
                                         data::DataLoaderOptions(batch_size).workers(workers));
    const auto start = Clock::now();
    size_t seen = 0;
    for (auto& batch : *loader) {
      step(batch);
      ++seen;
    }
    std::printf("workers = %zu:      %.2f s (%zu batches)\n", workers, seconds(start), seen);
  }
  std::printf("training alone:   %.2f s\n", train_only());
  return 0;
}
