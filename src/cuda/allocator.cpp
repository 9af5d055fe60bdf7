// The caching device allocator (see allocator.h): exact-size buckets of rounded blocks, private
// pools for CUDA graphs, statistics, and an out-of-memory path that empties the cache, retries
// once, then explains itself.
#include "allocator.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <string>

#include "capture.h"
#include "context.h"
#include "ember/error.h"

namespace ember {
namespace cuda_detail {
namespace {

constexpr size_t kSmallStep = 512;              // granularity of small blocks
constexpr size_t kSmallMax = size_t(1) << 20;   // blocks up to 1 MiB are "small"
constexpr size_t kLargeStep = size_t(2) << 20;  // large blocks grow in 2 MiB steps

std::string bytes_text(size_t n) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%zu bytes (%.2f GiB)", n, double(n) / double(size_t(1) << 30));
  return buf;
}

}  // namespace

size_t CachingAllocator::round_size(size_t nbytes) {
  const size_t step = nbytes <= kSmallMax ? kSmallStep : kLargeStep;
  if (nbytes == 0) return kSmallStep;
  if (nbytes > std::numeric_limits<size_t>::max() - step) return 0;
  return (nbytes + step - 1) / step * step;
}

void* CachingAllocator::take(FreeLists& lists, size_t size) {
  auto it = lists.find(size);
  if (it == lists.end() || it->second.empty()) return nullptr;
  void* ptr = it->second.back();
  it->second.pop_back();
  return ptr;
}

void* CachingAllocator::allocate(size_t nbytes, bool from_graph_pool) {
  const size_t size = round_size(nbytes);
  std::unique_lock<std::mutex> lock(mutex_);
  const bool capturing_here = capture_pool_ != 0;
  const uint64_t pool =
      from_graph_pool && capturing_here && std::this_thread::get_id() == capture_thread_ ? capture_pool_ : 0;
  void* ptr = nullptr;
  if (size != 0) {
    if (pool != 0) {
      ptr = take(pools_[pool].free, size);
      if (ptr != nullptr) stats_.pool_cached -= size;
    }
    // A block of the shared cache is nobody's: a graph pool may take it over.
    if (ptr == nullptr) ptr = take(free_, size);
    if (ptr != nullptr) {
      stats_.cached -= size;
      ++stats_.cache_hits;
    }
  }
  if (ptr == nullptr) {
    // cudaMalloc is allowed during a relaxed-mode capture (it is not stream-ordered work).
    cudaError_t err = size == 0 ? cudaErrorMemoryAllocation : cudaMalloc(&ptr, size);
    size_t released = 0;
    // The cached blocks may be what stands in the way: give them back and try once more. Not
    // during a capture: releasing them waits for the device, which a capture forbids.
    if (err == cudaErrorMemoryAllocation && size != 0 && !capturing_here) {
      (void)cudaGetLastError();  // the failed cudaMalloc must not surface at the next launch check
      released = stats_.cached - stats_.pool_cached;
      release_cached_locked();
      err = cudaMalloc(&ptr, size);
    }
    if (err == cudaErrorMemoryAllocation) {
      (void)cudaGetLastError();
      size_t free_b = 0, total_b = 0;
      if (cudaMemGetInfo(&free_b, &total_b) != cudaSuccess) (void)cudaGetLastError();
      std::string msg =
          detail::str("CUDA out of memory on cuda:", device_, ": tried to allocate ", bytes_text(nbytes),
                      "; the GPU has ", bytes_text(free_b), " free of ", bytes_text(total_b), " total; ember holds ",
                      bytes_text(stats_.allocated), " in live tensors and ", bytes_text(stats_.cached), " cached (",
                      bytes_text(released), " of cache were released before retrying",
                      capturing_here ? "; none can be released during a CUDA graph capture" : "",
                      "). Free tensors you no longer need, or use a smaller batch.");
      lock.unlock();  // aborting a capture releases its pool, which takes the lock
      abort_capture(msg);
      throw OutOfMemoryError(msg);
    }
    if (err != cudaSuccess) {
      lock.unlock();
      throw_cuda(err, "cudaMalloc(&ptr, size)", __FILE__, __LINE__);
    }
    ++stats_.device_mallocs;
    stats_.reserved += size;
  }
  live_.emplace(ptr, Block{size, pool});
  if (pool != 0) ++pools_[pool].live;
  stats_.allocated += size;
  stats_.peak_allocated = std::max(stats_.peak_allocated, stats_.allocated);
  return ptr;
}

void CachingAllocator::free(void* ptr) noexcept {
  if (ptr == nullptr) return;
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = live_.find(ptr);
  if (it == live_.end()) return;  // not ours: nothing sane to do in a deleter
  const Block block = it->second;
  live_.erase(it);
  stats_.allocated -= block.size;
  uint64_t dest = block.pool;
  if (dest != 0) {
    auto p = pools_.find(dest);
    if (p == pools_.end()) {
      dest = 0;  // cannot happen: a pool lives while it has live blocks
    } else {
      --p->second.live;
      if (p->second.released) {
        dest = 0;
        if (p->second.live == 0) pools_.erase(p);
      }
    }
  }
  // Freed during a capture: the graph being recorded may have used the block, so it must stay
  // out of the shared cache for as long as that graph lives.
  if (dest == 0 && capture_pool_ != 0) dest = capture_pool_;
  try {
    if (dest != 0) {
      pools_[dest].free[block.size].push_back(ptr);
      stats_.pool_cached += block.size;
    } else {
      free_[block.size].push_back(ptr);
    }
    stats_.cached += block.size;
  } catch (...) {
    // No memory for the list entry: hand the block straight back instead of caching it. The
    // device may still be using it, so wait first (cudaFree would too). During a capture
    // neither is allowed: the block is lost instead.
    stats_.reserved -= block.size;
    if (capture_pool_ == 0) {
      (void)cudaDeviceSynchronize();
      (void)cudaFree(ptr);
    }
  }
}

void CachingAllocator::release_cached_locked() {
  bool any = false;
  for (auto& bucket : free_) any = any || !bucket.second.empty();
  if (!any) return;
  // Freed blocks may still be read or written by queued kernels.
  if (cudaDeviceSynchronize() != cudaSuccess) (void)cudaGetLastError();
  for (auto& bucket : free_) {
    for (void* p : bucket.second) {
      if (cudaFree(p) != cudaSuccess) (void)cudaGetLastError();
      stats_.reserved -= bucket.first;
      stats_.cached -= bucket.first;
    }
  }
  free_.clear();
}

void CachingAllocator::empty_cache() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (capture_pool_ != 0) return;  // cudaFree and the wait before it are illegal while capturing
  if (stats_.cached == stats_.pool_cached) return;
  int current = 0;
  EMBER_CUDA_CHECK(cudaGetDevice(&current));
  if (current != device_) EMBER_CUDA_CHECK(cudaSetDevice(device_));
  release_cached_locked();
  if (current != device_) EMBER_CUDA_CHECK(cudaSetDevice(current));
}

MemoryStats CachingAllocator::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  MemoryStats s = stats_;
  s.pools = int64_t(pools_.size());
  return s;
}

void CachingAllocator::reset_peak() {
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.peak_allocated = stats_.allocated;
}

uint64_t CachingAllocator::create_pool() {
  std::lock_guard<std::mutex> lock(mutex_);
  const uint64_t id = next_pool_++;
  pools_[id];
  return id;
}

void CachingAllocator::begin_capture(uint64_t pool) {
  std::lock_guard<std::mutex> lock(mutex_);
  EMBER_CHECK(capture_pool_ == 0, "cuda allocator: a capture is already in progress on cuda:", device_);
  EMBER_CHECK(pools_.count(pool) != 0 && !pools_[pool].released, "cuda allocator: unknown graph pool ", pool);
  capture_pool_ = pool;
  capture_thread_ = std::this_thread::get_id();
}

void CachingAllocator::end_capture() noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  capture_pool_ = 0;
  capture_thread_ = std::thread::id();
}

void CachingAllocator::release_pool(uint64_t pool) noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = pools_.find(pool);
  if (it == pools_.end()) return;
  if (capture_pool_ == pool) {
    capture_pool_ = 0;
    capture_thread_ = std::thread::id();
  }
  Pool& p = it->second;
  // The free blocks join the shared cache (still cached, no longer kept for a graph). Work the
  // graph queued with them runs before anything queued later on the one stream.
  for (auto& bucket : p.free) {
    for (void* block : bucket.second) {
      try {
        free_[bucket.first].push_back(block);
      } catch (...) {
        stats_.cached -= bucket.first;  // lost to the cache rather than freed during a capture
        stats_.reserved -= bucket.first;
      }
      stats_.pool_cached -= bucket.first;
    }
  }
  p.free.clear();
  if (p.live == 0) {
    pools_.erase(it);
  } else {
    p.released = true;
  }
}

CachingAllocator& allocator(int device) {
  static std::mutex mutex;
  // Leaked on purpose: tensors held in statics are freed after other statics are destroyed.
  static auto* all = new std::vector<CachingAllocator*>();
  EMBER_CHECK(device >= 0, "cuda allocator: invalid device index ", device);
  std::lock_guard<std::mutex> lock(mutex);
  if (size_t(device) >= all->size()) all->resize(size_t(device) + 1, nullptr);
  CachingAllocator*& a = (*all)[size_t(device)];
  if (a == nullptr) a = new CachingAllocator(device);
  return *a;
}

CachingAllocator& current_allocator() {
  int device = 0;
  EMBER_CUDA_CHECK(cudaGetDevice(&device));
  return allocator(device);
}

}  // namespace cuda_detail
}  // namespace ember
