// Times sort, argsort, topk and unique (forward only) at 1e4-1e7 float32 elements, as one row
// (1-D) and as rows of 1000 (2-D, along the last dim), and prints one line per case: "name
// median_ms". tools/bench_sort.py runs it beside PyTorch and prints ratios.
// usage: bench_sort [--threads T] [--device cpu|cuda] [--repeats N] [--case NAME] [--clock wall|cpu]
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "ember/ember.h"

using ember::Tensor;

/// Milliseconds on the wall clock, or of this process's CPU time (`--clock cpu`: with one thread,
/// the work itself, whatever else the shared machine runs).
static bool cpu_clock = false;
static double now_ms() {
  if (!cpu_clock)
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return double(t.tv_sec) * 1e3 + double(t.tv_nsec) * 1e-6;
}

static double median_ms(const std::function<void()>& step, int repeats, ember::Device dev) {
  auto sync = [&] {
    if (dev.is_cuda()) ember::cuda::synchronize();
  };
  step();  // warm-up: allocator caches
  sync();
  std::vector<double> ms;
  for (int i = 0; i < repeats; ++i) {
    const double t0 = now_ms();
    step();
    sync();
    ms.push_back(now_ms() - t0);
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

int main(int argc, char** argv) {
  int threads = 2, repeats = 5;
  std::string device = "cpu", only;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--threads")) threads = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--device")) device = argv[i + 1];
    else if (!std::strcmp(argv[i], "--repeats")) repeats = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--case")) only = argv[i + 1];
    else if (!std::strcmp(argv[i], "--clock")) cpu_clock = !std::strcmp(argv[i + 1], "cpu");
    else {
      std::fprintf(stderr, "bench_sort: unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  try {
    ember::set_num_threads(threads);
    ember::Device dev(device);
    ember::manual_seed(0);
    const auto opts = ember::TensorOptions(dev);
    for (int64_t n : {int64_t(10000), int64_t(100000), int64_t(1000000), int64_t(10000000)}) {
      const std::string tag = n == 10000 ? "1e4" : n == 100000 ? "1e5" : n == 1000000 ? "1e6" : "1e7";
      Tensor flat, rows, ints;  // made when a case of this size runs
      auto data = [&] {
        if (!flat.defined()) {
          flat = ember::randn({n}, opts);
          rows = ember::randn({n / 1000, 1000}, opts);
          ints = ember::randint(0, n / 10, {n}, ember::TensorOptions(ember::kLong).device(dev));
        }
      };
      auto time_case = [&](const std::string& name, const std::function<void()>& step) {
        if (!only.empty() && name != only) return;
        data();
        std::printf("%s %.3f\n", (name).c_str(), median_ms(step, repeats, dev));
      };
      time_case("sort_1d_" + tag, [&] { flat.sort(); });
      time_case("sort_rows_" + tag, [&] { rows.sort(-1); });
      time_case("argsort_1d_" + tag, [&] { flat.argsort(int64_t(-1)); });
      time_case("topk_1d_" + tag, [&] { flat.topk(100); });
      time_case("topk_rows_" + tag, [&] { rows.topk(10); });
      time_case("unique_1d_" + tag, [&] { ember::_unique2(ints, true, true, false); });
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_sort: %s\n", e.what());
    return 1;
  }
  return 0;
}
