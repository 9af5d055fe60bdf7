#pragma once
// The caching device allocator. cudaMalloc and cudaFree are slow (cudaFree also synchronises the
// device), and a training loop asks for the same sizes every step, so freed blocks are kept in
// free lists bucketed by their rounded size and handed out again. All ember work runs on the
// one context stream, so a block freed on the host may be reused at once: anything queued with
// it later runs after the kernels that used it before.
//
// Private pools for CUDA graphs (graph.cpp). A captured graph keeps the addresses it recorded
// and writes them on every replay, so its memory must never be handed to anyone else while it
// lives. During a capture:
//   - allocations made on the capturing thread come from the graph's pool (its own free blocks
//     first, then blocks taken over from the shared cache, then cudaMalloc);
//   - every block freed (by any thread) joins the pool: the graph may have recorded it, and a
//     later allocation of the same capture may reuse it, which is what the recorded kernels
//     expect since they replay in the same order.
// After the capture the pool's blocks stay out of the shared cache; blocks it still owns that
// are freed go back to the pool. release_pool() (graph reset) returns its free blocks to the
// shared cache, and its live ones when their tensors are freed.
//
// No CUDA types here: the header is included by host code that need not see cuda_runtime.h.
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace ember {
namespace cuda_detail {

struct MemoryStats {
  size_t allocated = 0;        // bytes in blocks handed out (rounded sizes)
  size_t reserved = 0;         // bytes obtained from cudaMalloc: allocated + cached
  size_t peak_allocated = 0;   // high-water mark of `allocated` since the last reset
  size_t cached = 0;           // bytes in free lists (the shared cache and graph pools)
  size_t pool_cached = 0;      // of `cached`, the bytes kept for CUDA graphs (not released by empty_cache)
  int64_t device_mallocs = 0;  // cudaMalloc calls made (cache misses)
  int64_t cache_hits = 0;      // requests served from the free lists
  int64_t pools = 0;           // graph pools alive (owned by a graph, or released with live blocks)
};

class CachingAllocator {
 public:
  explicit CachingAllocator(int device) : device_(device) {}
  CachingAllocator(const CachingAllocator&) = delete;
  CachingAllocator& operator=(const CachingAllocator&) = delete;

  /// A block of at least nbytes (never null, even for 0 bytes) on this allocator's device, which
  /// must be the current device. Throws ember::OutOfMemoryError when even an empty cache does
  /// not make room. On the capturing thread during a capture, the block comes from the graph's
  /// pool unless `from_graph_pool` is false (the context workspace, which outlives graphs).
  void* allocate(size_t nbytes, bool from_graph_pool = true);
  /// Returns a block from allocate() to the cache (or to its graph pool). Never throws (called
  /// from deleters).
  void free(void* ptr) noexcept;
  /// Gives every block of the shared cache back to the driver (after the device finishes its
  /// queued work). Blocks kept for CUDA graphs stay. Does nothing during a capture.
  void empty_cache();
  MemoryStats stats() const;
  void reset_peak();

  // --- private pools of CUDA graphs ---------------------------------------------------------
  /// A new, empty pool; its id is never 0.
  uint64_t create_pool();
  /// From now until end_capture(), allocations on the calling thread come from `pool`, and
  /// every freed block joins it.
  void begin_capture(uint64_t pool);
  void end_capture() noexcept;
  /// The pool's graph is gone: its free blocks return to the shared cache now, its live blocks
  /// when they are freed. Never throws.
  void release_pool(uint64_t pool) noexcept;

  /// The size blocks for a request of nbytes are rounded to: 512 B steps up to 1 MiB, then
  /// 2 MiB steps, so recurring sizes land in few buckets. 0 when it would overflow.
  static size_t round_size(size_t nbytes);

 private:
  using FreeLists = std::unordered_map<size_t, std::vector<void*>>;  // rounded size -> blocks
  struct Block {
    size_t size = 0;
    uint64_t pool = 0;  // 0: the shared cache
  };
  struct Pool {
    FreeLists free;
    size_t live = 0;        // blocks of the pool handed out
    bool released = false;  // the graph is gone; erased when `live` reaches 0
  };

  static void* take(FreeLists& lists, size_t size);
  void release_cached_locked();

  int device_;
  mutable std::mutex mutex_;
  FreeLists free_;                            // the shared cache
  std::unordered_map<void*, Block> live_;     // handed-out block -> size and owner
  std::unordered_map<uint64_t, Pool> pools_;  // graph pools by id
  uint64_t next_pool_ = 1;
  uint64_t capture_pool_ = 0;  // the pool of the capture in progress, 0 when none
  std::thread::id capture_thread_;
  MemoryStats stats_;
};

/// The allocator of a device (created on first use and never destroyed, so that tensors freed
/// during static destruction still find it).
CachingAllocator& allocator(int device);
/// The allocator of the current device.
CachingAllocator& current_allocator();

}  // namespace cuda_detail
}  // namespace ember
