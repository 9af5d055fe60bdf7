// CPU tensor memory: 64-byte aligned blocks (a cache line and a full AVX-512 vector, so vector
// loads of a tensor's first element never straddle lines), with a cache of large freed blocks.
//
// Why the cache: glibc serves blocks above its largest mmap threshold (32 MiB) with a fresh
// mmap and gives them back with munmap on free. A training loop that makes a 49 MB weight
// gradient every step (a 3072 x 4000 Linear) then pays ~12,000 page faults, and the kernel's
// zeroing of every page, each step: the product that writes that gradient took 19 ms instead
// of 7 ms on a 2-core EPYC. Blocks of 128 KiB (glibc's initial mmap threshold) and more fault
// too: glibc's sliding threshold and heap trimming hand back fresh pages for the first dozen or
// so calls of a loop that makes one such tensor per step (gather's 400 KB output of 1e5 floats
// ran at 0.35 ms instead of 0.09 ms, nearly all of it page faults). So freed blocks of at least
// kMinCached bytes are kept, keyed by their size rounded up (to a page below 1 MiB, where a
// 64 KiB granule would waste too much, to kGranule above), and handed out again to a request of
// the same rounded size. The cache holds at most kMaxCached bytes: a new idle block pushes out the longest-idle
// ones, so blocks of sizes a program stopped using do not stay pinned. It is emptied, and the
// allocation retried, before out-of-memory is reported. Builds with
// AddressSanitizer cache nothing, so a use after free is still caught.
#include <cstdlib>
#include <iterator>
#include <list>
#include <map>
#include <mutex>
#include <vector>

#include "allocator.h"
#include "cpu_backend.h"

namespace ember {
namespace {

constexpr size_t kAlignment = 64;
constexpr size_t kMinCached = size_t(128) << 10;     // 128 KiB: smaller blocks come from malloc's heap
constexpr size_t kPage = size_t(4) << 10;            // cached requests below 1 MiB round up to a page
constexpr size_t kGranule = size_t(64) << 10;        // larger requests round up to 64 KiB
constexpr size_t kMaxCached = cpu::kMaxCachedBytes;  // 1 GiB of idle blocks at most

class BlockCache {
 public:
  /// A block of exactly `bytes` (a rounded size) from the cache, or null.
  void* take(size_t bytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = by_size_.find(bytes);
    if (it == by_size_.end()) return nullptr;
    void* p = it->second->second;
    age_.erase(it->second);
    by_size_.erase(it);
    cached_ -= bytes;
    return p;
  }

  /// Keeps the block for reuse, making room by freeing the longest-idle blocks.
  void give(void* p, size_t bytes) {
    std::vector<void*> evicted;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (bytes > kMaxCached) {
        evicted.push_back(p);
      } else {
        while (cached_ + bytes > kMaxCached) evicted.push_back(evict_oldest());
        age_.emplace_back(bytes, p);
        by_size_.emplace(bytes, std::prev(age_.end()));
        cached_ += bytes;
      }
    }
    for (void* q : evicted) std::free(q);
  }

  size_t bytes() {
    std::lock_guard<std::mutex> lock(mutex_);
    return cached_;
  }

  /// Frees every idle block; returns whether there were any.
  bool release() {
    std::list<Block> idle;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      idle.swap(age_);
      by_size_.clear();
      cached_ = 0;
    }
    for (const Block& b : idle) std::free(b.second);
    return !idle.empty();
  }

 private:
  using Block = std::pair<size_t, void*>;  // rounded size, memory

  /// Unlinks the longest-idle block (the cache is not empty) and returns its memory.
  void* evict_oldest() {
    const auto oldest = age_.begin();
    auto range = by_size_.equal_range(oldest->first);
    for (auto it = range.first; it != range.second; ++it) {
      if (it->second == oldest) {
        by_size_.erase(it);
        break;
      }
    }
    void* p = oldest->second;
    cached_ -= oldest->first;
    age_.erase(oldest);
    return p;
  }

  std::mutex mutex_;
  std::list<Block> age_;                                       // idle blocks, longest idle first
  std::multimap<size_t, std::list<Block>::iterator> by_size_;  // the same blocks by size
  size_t cached_ = 0;
};

/// Leaked on purpose: tensors freed during static destruction still give their blocks back.
BlockCache& cache() {
  static auto* c = new BlockCache();
  return *c;
}

size_t round_up(size_t n, size_t to) { return n + (to - n % to) % to; }

}  // namespace

size_t cpu::cached_bytes() { return cache().bytes(); }

std::shared_ptr<void> CpuBackend::allocate(size_t nbytes) {
  // An empty tensor still gets a real (tiny) block, so its data pointer is never null.
  const bool large = cpu::kCachesLargeBlocks && nbytes >= kMinCached;
  const size_t granule = !large ? kAlignment : nbytes < (size_t(1) << 20) ? kPage : kGranule;
  const size_t rounded = nbytes == 0 ? kAlignment : round_up(nbytes, granule);
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
