// ember's side of the LSTM benchmark in docs/benchmarks.md: nn::LSTM(200, 200, 2 layers) forward
// + backward on (seq 35, batch 20, 200), 2 threads, as tools/gen_rnn_fixtures.py --bench times
// PyTorch. Prints the best mean time per iteration.
#include <algorithm>
#include <chrono>
#include <cstdio>

#include "ember/nn.h"

int main() {
  ember::set_num_threads(2);
  ember::manual_seed(0);
  ember::nn::LSTM lstm(ember::nn::LSTMOptions(200, 200).num_layers(2));
  const ember::Tensor x = ember::randn({35, 20, 200});
  const auto step = [&] {
    auto [out, state] = lstm(x);
    out.sum().backward();
  };
  for (int i = 0; i < 3; ++i) step();
  const int n = 20;
  double best = 1e30;
  for (int r = 0; r < 3; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) step();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / n);
  }
  std::printf(
      "ember LSTM(200, 200, 2 layers) seq 35 batch 20 forward+backward: %.2f ms/iter (2 threads, best of 3 x %d)\n",
      best * 1e3, n);
  return 0;
}
