// Backend lookup: the only place that maps a Device to its kernels.
#include "backend.h"
#include "cpu/cpu_backend.h"

namespace ember {

Backend& cpu_backend() {
  static CpuBackend instance;
  return instance;
}

Backend& backend(Device device) {
  if (device.is_cpu()) return cpu_backend();
  return cuda_backend();
}

void manual_seed(uint64_t seed) {
  cpu_backend().manual_seed(seed);
  if (cuda_backend_available(nullptr)) cuda_backend().manual_seed(seed);
}

}  // namespace ember
