#pragma once
// ember::cuda: is a GPU usable, and if not, why not.
#include <string>

#include "ember/export.h"

namespace ember {
namespace cuda {
/// True when ember was built with CUDA, a driver is loaded and at least one GPU is visible.
EMBER_API bool is_available();
/// Why is_available() is false ("built without CUDA", "no driver", "no device"); empty when true.
EMBER_API std::string unavailable_reason();
EMBER_API int device_count();
/// Waits for all work queued on the current GPU.
EMBER_API void synchronize();
}  // namespace cuda
}  // namespace ember
