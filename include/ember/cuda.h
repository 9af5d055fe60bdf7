#pragma once
// ember::cuda: is a GPU usable, and if not, why not; and the caching allocator's statistics (as
// torch.cuda.memory_allocated and friends). No CUDA types: this header compiles without CUDA.
#include <cstdint>
#include <string>

#include "ember/export.h"

namespace ember {
namespace cuda {
/// True when ember was built with CUDA, a driver is loaded and at least one GPU is visible (and
/// this build has code for it). Never throws; the answer is computed once.
EMBER_API bool is_available();
/// Why is_available() is false ("built without CUDA", "no driver", "no device"); empty when true.
EMBER_API std::string unavailable_reason();
EMBER_API int device_count();
/// Waits for all work queued on the current GPU.
EMBER_API void synchronize();

// --- the caching allocator (device -1 is the current device; all are 0 without a GPU) --------
/// Returns the cached, unused device memory to the driver (other processes can then use it).
EMBER_API void empty_cache();
/// Bytes in blocks held by live tensors (rounded block sizes).
EMBER_API int64_t memory_allocated(int device = -1);
/// Bytes obtained from the driver: allocated plus cached.
EMBER_API int64_t memory_reserved(int device = -1);
/// The peak of memory_allocated() since start or the last reset_peak_memory_stats().
EMBER_API int64_t max_memory_allocated(int device = -1);
EMBER_API void reset_peak_memory_stats(int device = -1);
}  // namespace cuda
}  // namespace ember
