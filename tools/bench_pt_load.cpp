// Times ember's load_pt on one .pt file: bench_pt_load FILE [REPEATS]. Prints the best time in
// seconds (tools/bench_pt_load.py compares it with Python's torch.load of the same file).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "ember/pt_file.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_pt_load FILE [REPEATS]\n");
    return 2;
  }
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 5;
  double best = 1e30;
  size_t count = 0;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    const ember::TensorMap m = ember::pt_tensors(ember::load_pt(argv[1]), argv[1]);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (s < best) best = s;
    count = m.size();
  }
  std::printf("%zu tensors, best of %d: %.6f s\n", count, repeats, best);
  return 0;
}
