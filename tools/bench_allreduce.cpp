// All-reduce bandwidth of ember's MPI process group: float32 SUM over 4 KB .. 64 MB, started by
//   mpirun --oversubscribe -np 2 build/tools/bench_allreduce
// Each size runs a few warm-up calls, then enough timed calls for ~0.25 s; the time of a size is
// the slowest rank's mean. Algorithm bandwidth = bytes / time; bus bandwidth = algbw x 2(N-1)/N
// (NCCL's convention: what each link carries in a ring all-reduce). tools/bench_allreduce.py
// measures PyTorch's gloo backend the same way; docs/distributed.md has both.
#include <algorithm>
#include <chrono>
#include <cstdio>

#include "ember/distributed.h"
#include "ember/ember.h"

namespace dist = ember::distributed;

int main() {
  dist::init_process_group("mpi");
  const int rank = dist::get_rank(), size = dist::get_world_size();
  if (rank == 0) {
    std::printf("ember MPI all_reduce, float32 SUM, %d processes\n", size);
    std::printf("%10s %8s %12s %14s %14s\n", "bytes", "iters", "time (us)", "algbw (GB/s)", "busbw (GB/s)");
  }
  for (int64_t bytes = 4 << 10; bytes <= int64_t(64) << 20; bytes *= 4) {
    ember::Tensor t = ember::ones({bytes / 4}, ember::kFloat);
    const int iters = int(std::clamp<int64_t>((int64_t(256) << 20) / bytes, 5, 1000));
    for (int i = 0; i < 3; ++i) dist::all_reduce(t);
    dist::barrier();
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < iters; ++i) dist::all_reduce(t);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / iters;
    ember::Tensor slowest = ember::full({1}, seconds, ember::kDouble);
    dist::all_reduce(slowest, dist::ReduceOp::MAX);
    const double s = slowest.item<double>();
    const double algbw = double(bytes) / s / 1e9;
    if (rank == 0)
      std::printf("%10lld %8d %12.1f %14.3f %14.3f\n", (long long)bytes, iters, s * 1e6, algbw,
                  algbw * 2.0 * (size - 1) / size);
  }
  dist::destroy_process_group();
  return 0;
}
