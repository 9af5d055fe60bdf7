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

#include "bench_timing.h"
#include "ember/ember.h"

using ember::Tensor;

static double median_ms(const std::function<void()>& step, int repeats, ember::Device dev) {
  return ember_bench::timed_ms(step, repeats, /*warmups=*/1, dev)[size_t(repeats) / 2];
}

int main(int argc, char** argv) {
  int threads = 2, repeats = 5;
  std::string device = "cpu", only;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--threads")) threads = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--device")) device = argv[i + 1];
    else if (!std::strcmp(argv[i], "--repeats")) repeats = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--case")) only = argv[i + 1];
    else if (!std::strcmp(argv[i], "--clock")) ember_bench::cpu_clock = !std::strcmp(argv[i + 1], "cpu");
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
