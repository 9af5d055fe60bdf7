#pragma once
// The CPU allocator's block cache (allocator.cpp) is off in AddressSanitizer builds, so that a
// use after free of a large block is still caught. Included by the tests to know which to expect.
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

}  // namespace cpu
}  // namespace ember
