// CPU tensor memory: 64-byte aligned blocks (a cache line and a full AVX-512 vector, so vector
// loads of a tensor's first element never straddle lines), with a cache of large freed blocks.
//
// Why the cache: glibc serves blocks above its largest mmap threshold (32 MiB) with a fresh
// mmap and gives them back with munmap on free. A training loop that makes a 49 MB weight
// gradient every step (a 3072 x 4000 Linear) then pays ~12,000 page faults, and the kernel's
// zeroing of every page, each step: the product that writes that gradient took 19 ms instead
// of 7 ms on a 2-core EPYC. So freed blocks of at least kMinCached bytes are kept, keyed by
// their size rounded up to kGranule, and handed out again to a request of the same rounded
// size. The cache holds at most kMaxCached bytes (a block that would overflow it is freed), and
// is emptied and the allocation retried before out-of-memory is reported. Builds with
// AddressSanitizer cache nothing, so a use after free is still caught.
#include <cstdlib>
#include <map>
#include <mutex>

#include "allocator.h"
#include "cpu_backend.h"

namespace ember {
namespace {

constexpr size_t kAlignment = 64;
constexpr size_t kMinCached = size_t(1) << 20;   // 1 MiB: smaller blocks come from malloc's heap
constexpr size_t kGranule = size_t(64) << 10;    // large requests round up to 64 KiB
constexpr size_t kMaxCached = size_t(1) << 30;   // 1 GiB of idle blocks at most

class BlockCache {
 public:
  /// A block of exactly `bytes` (a multiple of kGranule) from the cache, or null.
  void* take(size_t bytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = free_.find(bytes);
    if (it == free_.end()) return nullptr;
    void* p = it->second;
    free_.erase(it);
    cached_ -= bytes;
    return p;
  }

  /// Keeps the block for reuse, or frees it when the cache is full.
  void give(void* p, size_t bytes) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (cached_ + bytes <= kMaxCached) {
        free_.emplace(bytes, p);
        cached_ += bytes;
        return;
      }
    }
    std::free(p);
  }

  /// Frees every idle block; returns whether there were any.
  bool release() {
    std::multimap<size_t, void*> idle;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      idle.swap(free_);
      cached_ = 0;
    }
    for (auto& entry : idle) std::free(entry.second);
    return !idle.empty();
  }

 private:
  std::mutex mutex_;
  std::multimap<size_t, void*> free_;
  size_t cached_ = 0;
};

/// Leaked on purpose: tensors freed during static destruction still give their blocks back.
BlockCache& cache() {
  static auto* c = new BlockCache();
  return *c;
}

size_t round_up(size_t n, size_t to) { return n + (to - n % to) % to; }

}  // namespace

std::shared_ptr<void> CpuBackend::allocate(size_t nbytes) {
  // An empty tensor still gets a real (tiny) block, so its data pointer is never null.
  const bool large = cpu::kCachesLargeBlocks && nbytes >= kMinCached;
  const size_t rounded = nbytes == 0 ? kAlignment : round_up(nbytes, large ? kGranule : kAlignment);
  void* p = nullptr;
  if (rounded >= nbytes) {  // no overflow in the rounding
    if (large) p = cache().take(rounded);
    if (p == nullptr) p = std::aligned_alloc(kAlignment, rounded);
    if (p == nullptr && cache().release()) p = std::aligned_alloc(kAlignment, rounded);
  }
  if (p == nullptr)
    throw OutOfMemoryError(detail::str("CPU: out of memory: tried to allocate ", nbytes, " bytes (",
                                       double(nbytes) / double(1 << 30), " GiB)"));
  if (!large) return std::shared_ptr<void>(p, [](void* q) { std::free(q); });
  return std::shared_ptr<void>(p, [rounded](void* q) { cache().give(q, rounded); });
}

}  // namespace ember
