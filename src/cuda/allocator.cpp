// The caching device allocator (see allocator.h): exact-size buckets of rounded blocks, statistics,
// and an out-of-memory path that empties the cache, retries once, then explains itself.
#include "allocator.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <limits>

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

void* CachingAllocator::allocate(size_t nbytes) {
  const size_t size = round_size(nbytes);
  std::lock_guard<std::mutex> lock(mutex_);
  void* ptr = nullptr;
  if (size != 0) {
    auto it = free_.find(size);
    if (it != free_.end() && !it->second.empty()) {
      ptr = it->second.back();
      it->second.pop_back();
      stats_.cached -= size;
      ++stats_.cache_hits;
    }
  }
  if (ptr == nullptr) {
    cudaError_t err = size == 0 ? cudaErrorMemoryAllocation : cudaMalloc(&ptr, size);
    size_t released = 0;
    if (err == cudaErrorMemoryAllocation && size != 0) {
      // The cached blocks may be what stands in the way: give them back and try once more.
      (void)cudaGetLastError();  // the failed cudaMalloc must not surface at the next launch check
      released = stats_.cached;
      release_cached_locked();
      err = cudaMalloc(&ptr, size);
    }
    if (err == cudaErrorMemoryAllocation) {
      (void)cudaGetLastError();
      size_t free_b = 0, total_b = 0;
      if (cudaMemGetInfo(&free_b, &total_b) != cudaSuccess) (void)cudaGetLastError();
      throw OutOfMemoryError(detail::str(
          "CUDA out of memory on cuda:", device_, ": tried to allocate ", bytes_text(nbytes),
          "; the GPU has ", bytes_text(free_b), " free of ", bytes_text(total_b), " total; ember holds ",
          bytes_text(stats_.allocated), " in live tensors and ", bytes_text(stats_.cached),
          " cached (", bytes_text(released),
          " of cache were released before retrying). Free tensors you no longer need, or use a "
          "smaller batch."));
    }
    if (err != cudaSuccess) throw_cuda(err, "cudaMalloc(&ptr, size)", __FILE__, __LINE__);
    ++stats_.device_mallocs;
    stats_.reserved += size;
  }
  live_.emplace(ptr, size);
  stats_.allocated += size;
  stats_.peak_allocated = std::max(stats_.peak_allocated, stats_.allocated);
  return ptr;
}

void CachingAllocator::free(void* ptr) noexcept {
  if (ptr == nullptr) return;
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = live_.find(ptr);
  if (it == live_.end()) return;  // not ours: nothing sane to do in a deleter
  const size_t size = it->second;
  live_.erase(it);
  stats_.allocated -= size;
  stats_.cached += size;
  try {
    free_[size].push_back(ptr);
  } catch (...) {
    // No memory for the list entry: hand the block straight back instead of caching it. The
    // device may still be using it, so wait first (cudaFree would too).
    stats_.cached -= size;
    stats_.reserved -= size;
    (void)cudaDeviceSynchronize();
    (void)cudaFree(ptr);
  }
}

void CachingAllocator::release_cached_locked() {
  if (stats_.cached == 0) return;
  // Freed blocks may still be read or written by queued kernels.
  if (cudaDeviceSynchronize() != cudaSuccess) (void)cudaGetLastError();
  for (auto& bucket : free_) {
    for (void* p : bucket.second) {
      if (cudaFree(p) != cudaSuccess) (void)cudaGetLastError();
      stats_.reserved -= bucket.first;
    }
  }
  free_.clear();
  stats_.cached = 0;
}

void CachingAllocator::empty_cache() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stats_.cached == 0) return;
  int current = 0;
  EMBER_CUDA_CHECK(cudaGetDevice(&current));
  if (current != device_) EMBER_CUDA_CHECK(cudaSetDevice(device_));
  release_cached_locked();
  if (current != device_) EMBER_CUDA_CHECK(cudaSetDevice(current));
}

MemoryStats CachingAllocator::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

void CachingAllocator::reset_peak() {
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.peak_allocated = stats_.allocated;
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
