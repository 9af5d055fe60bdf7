#pragma once
// The CPU allocator's cache of large idle blocks (allocator.cpp). It is off in AddressSanitizer
// builds, so that a use after free of a large block is still caught.
#include <cstddef>

#include "ember/export.h"

namespace ember {
namespace cpu {

#if defined(__SANITIZE_ADDRESS__)
#define EMBER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EMBER_ASAN 1
#endif
#endif

#if defined(EMBER_ASAN)
constexpr bool kCachesLargeBlocks = false;
#else
constexpr bool kCachesLargeBlocks = true;
#endif

/// Bytes held in idle cached blocks (exported for the tests).
EMBER_API size_t cached_bytes();
/// Maximum of cached_bytes().
constexpr size_t kMaxCachedBytes = size_t(1) << 30;

}  // namespace cpu
}  // namespace ember
