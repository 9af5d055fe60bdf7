#pragma once
// train_cifar --distributed's checks across the ranks: the same training flags everywhere, and
// one decision to stop (a signal reaches the ranks at different steps; they must stop together,
// or one would wait in a collective for the others).
#include <cstdint>
#include <string>
#include <vector>

#include "ember/distributed.h"
#include "ember/ember.h"

namespace cifar {

/// FNV-1a, 64 bits: the fingerprint of the flags that decide the training.
inline int64_t fingerprint(const std::string& text) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return int64_t(h >> 1);
}

/// Throws, on every rank, when some rank's `flags` differ from rank 0's, naming those ranks.
inline void check_same_flags(const std::string& flags) {
  namespace dist = ember::distributed;
  const int world = dist::get_world_size();
  std::vector<Tensor> all;
  for (int r = 0; r < world; ++r) all.push_back(ember::empty({1}, ember::kLong));
  dist::all_gather(all, ember::full({1}, fingerprint(flags), ember::kLong));
  std::string differing;
  for (int r = 1; r < world; ++r)
    if (all[r].item<int64_t>() != all[0].item<int64_t>())
      differing += (differing.empty() ? "" : ", ") + std::to_string(r);
  if (!differing.empty())
    throw ember::Error("--distributed: the ranks were started with different training flags: rank(s) " + differing +
                       " differ from rank 0 (every rank needs the same --model, --batch-size, --epochs, --lr, "
                       "--momentum, --nesterov, --seed, --threads, --max-steps, --device, --data-format, "
                       "--resume and --dist-timeout)");
}

/// The largest of the ranks' `signal` (0: none), so that all stop after the same step.
inline int agree_on_signal(int signal) {
  namespace dist = ember::distributed;
  Tensor flag = ember::full({1}, int64_t(signal), ember::kLong);
  dist::all_reduce(flag, dist::ReduceOp::MAX);
  return int(flag.item<int64_t>());
}

}  // namespace cifar
