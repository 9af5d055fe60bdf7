#pragma once
// The caching device allocator. cudaMalloc and cudaFree are slow (cudaFree also synchronises the
// device), and a training loop asks for the same sizes every step, so freed blocks are kept in
// free lists bucketed by their rounded size and handed out again. All ember work runs on the
// one context stream, so a block freed on the host may be reused at once: anything queued with
// it later runs after the kernels that used it before.
//
// No CUDA types here: the header is included by host code that need not see cuda_runtime.h.
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace ember {
namespace cuda_detail {

struct MemoryStats {
  size_t allocated = 0;       // bytes in blocks handed out (rounded sizes)
  size_t reserved = 0;        // bytes obtained from cudaMalloc: allocated + cached
  size_t peak_allocated = 0;  // high-water mark of `allocated` since the last reset
  size_t cached = 0;          // bytes in free lists
  int64_t device_mallocs = 0; // cudaMalloc calls made (cache misses)
  int64_t cache_hits = 0;     // requests served from the free lists
};

class CachingAllocator {
 public:
  explicit CachingAllocator(int device) : device_(device) {}
  CachingAllocator(const CachingAllocator&) = delete;
  CachingAllocator& operator=(const CachingAllocator&) = delete;

  /// A block of at least nbytes (never null, even for 0 bytes) on this allocator's device, which
  /// must be the current device. Throws ember::OutOfMemoryError when even an empty cache does
  /// not make room.
  void* allocate(size_t nbytes);
  /// Returns a block from allocate() to the cache. Never throws (called from deleters).
  void free(void* ptr) noexcept;
  /// Gives every cached block back to the driver (after the device finishes its queued work).
  void empty_cache();
  MemoryStats stats() const;
  void reset_peak();

  /// The size blocks for a request of nbytes are rounded to: 512 B steps up to 1 MiB, then
  /// 2 MiB steps, so recurring sizes land in few buckets. 0 when it would overflow.
  static size_t round_size(size_t nbytes);

 private:
  void release_cached_locked();

  int device_;
  mutable std::mutex mutex_;
  std::unordered_map<size_t, std::vector<void*>> free_;  // rounded size -> cached blocks
  std::unordered_map<void*, size_t> live_;                // handed-out block -> rounded size
  MemoryStats stats_;
};

/// The allocator of a device (created on first use and never destroyed, so that tensors freed
/// during static destruction still find it).
CachingAllocator& allocator(int device);
/// The allocator of the current device.
CachingAllocator& current_allocator();

}  // namespace cuda_detail
}  // namespace ember
