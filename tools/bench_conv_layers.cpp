// Times ResNet-20's convolutions (CIFAR shapes, batch 128 unless --batch) one part at a time:
// forward, input gradient only, weight gradient only (each less the forward it runs after),
// and prints "shape part ms GFLOP/s", the fastest of --repeats runs (the one least disturbed by
// other jobs on a shared machine). It uses only the public API, so one binary run against two
// builds of the library (LD_LIBRARY_PATH) compares them. --clock cpu (default) times this
// process's CPU time: with --threads 1 the work itself, which other jobs do not inflate as much.
// usage: bench_conv_layers [--threads 1] [--batch 128] [--repeats 15] [--clock cpu|wall]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <vector>

#include "bench_timing.h"
#include "ember/ember.h"

using ember::Tensor;
namespace F = ember::nn::functional;

static double best_ms(const std::function<void()>& step, int repeats) {
  return ember_bench::timed_ms(step, repeats, /*warmups=*/1).front();
}

int main(int argc, char** argv) {
  ember_bench::cpu_clock = true;  // the default here: one thread's work
  int threads = 1, repeats = 15;
  int64_t batch = 128;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--threads")) threads = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--batch")) batch = std::atoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--repeats")) repeats = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--clock")) ember_bench::cpu_clock = !std::strcmp(argv[i + 1], "cpu");
    else {
      std::fprintf(stderr, "bench_conv_layers: unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  ember::set_num_threads(threads);
  ember::manual_seed(0);
  struct Shape {
    int64_t cin, cout, hw, k, stride;
  };
  // ResNet-20: the stem, the three stages' 3x3 convolutions, the stride-2 3x3 and 1x1 shortcuts.
  const Shape shapes[] = {{3, 16, 32, 3, 1},  {16, 16, 32, 3, 1}, {32, 32, 16, 3, 1}, {64, 64, 8, 3, 1},
                          {16, 32, 32, 3, 2}, {32, 64, 16, 3, 2}, {16, 32, 32, 1, 2}, {32, 64, 16, 1, 2}};
  for (const Shape& s : shapes) {
    const Tensor x = ember::randn({batch, s.cin, s.hw, s.hw});
    const Tensor w = ember::randn({s.cout, s.cin, s.k, s.k});
    const auto opts = F::Conv2dFuncOptions().stride(s.stride).padding(s.k / 2);
    const int64_t ohw = s.hw / s.stride;
    const Tensor go = ember::randn({batch, s.cout, ohw, ohw});
    const double gflop = 2.0 * double(batch * s.cout * s.cin * s.k * s.k * ohw * ohw) * 1e-9;
    char name[64];
    std::snprintf(name, sizeof name, "%ldx%ld_%ldx%ld_k%ld_s%ld", long(s.cin), long(s.cout), long(s.hw), long(s.hw),
                  long(s.k), long(s.stride));
    auto report = [&](const char* part, double ms) {
      std::printf("%-24s %-8s %9.2f ms %7.1f GFLOP/s\n", name, part, ms, gflop / (ms * 1e-3));
    };
    // The gradients' runs include a forward, subtracted.
    const double fwd = best_ms([&] { F::conv2d(x, w, opts); }, repeats);
    report("forward", fwd);
    report("grad_in", best_ms(
                          [&] {
                            Tensor xi = x.detach().requires_grad_();
                            F::conv2d(xi, w, opts).backward(go);
                          },
                          repeats) -
                          fwd);
    report("grad_w", best_ms(
                         [&] {
                           Tensor wi = w.detach().requires_grad_();
                           F::conv2d(x, wi, opts).backward(go);
                         },
                         repeats) -
                         fwd);
  }
  return 0;
}
