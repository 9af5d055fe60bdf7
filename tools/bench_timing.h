#pragma once
// How the bench tools time a step: on the wall clock, or on this process's CPU time (`--clock
// cpu`: with one thread, the work itself, whatever else the shared machine runs); `repeats` timed
// runs after `warmups` untimed ones (allocator caches, BLAS buffers), sorted, a CUDA step
// synchronised before its clock stops.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <functional>
#include <vector>

#include "ember/ember.h"

namespace ember_bench {

inline bool cpu_clock = false;

inline double now_ms() {
  if (!cpu_clock)
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return double(t.tv_sec) * 1e3 + double(t.tv_nsec) * 1e-6;
}

inline std::vector<double> timed_ms(const std::function<void()>& step, int repeats, int warmups,
                                    ember::Device dev = ember::Device(ember::kCPU)) {
  auto sync = [&] {
    if (dev.is_cuda()) ember::cuda::synchronize();
  };
  for (int i = 0; i < warmups; ++i) step();
  sync();
  std::vector<double> ms;
  for (int i = 0; i < repeats; ++i) {
    const double t0 = now_ms();
    step();
    sync();
    ms.push_back(now_ms() - t0);
  }
  std::sort(ms.begin(), ms.end());
  return ms;
}

}  // namespace ember_bench
