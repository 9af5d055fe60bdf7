// The deterministic-mode switch. Process-wide (not per thread, unlike grad and anomaly mode):
// the kernels it steers may run on any thread, and PyTorch's switch is global too.
#include <atomic>

#include "ember/determinism.h"

namespace ember {
namespace {
std::atomic<bool> deterministic{false};
}

void set_deterministic(bool enabled) { deterministic.store(enabled, std::memory_order_relaxed); }
bool is_deterministic() { return deterministic.load(std::memory_order_relaxed); }

}  // namespace ember
