// CudaBackend memory entries: allocation through the caching allocator, host <-> device copies,
// and synchronize. (Device-side copy and fill are kernels: kernels/copy.cu.)
//
// Host transfers go through a pair of pinned staging buffers per device. A copy from pageable
// memory is staged by the driver anyway; doing it ourselves in chunks lets the host memcpy of
// one chunk overlap the DMA of the other, and keeps everything on the context stream. Both
// directions return only when the caller's host buffer is no longer needed (copy_to_host: the
// data has arrived), which is all that "synchronous" has to promise: device-side ordering comes
// from the stream.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <vector>

#include "allocator.h"
#include "capture.h"
#include "context.h"
#include "cuda_backend.h"

namespace ember {
namespace {

using cuda_detail::context;
using cuda_detail::CudaContext;

constexpr size_t kStagingChunk = size_t(4) << 20;  // bytes per staging buffer

/// Two pinned host buffers and the events that say when the device is done with each.
struct Staging {
  std::mutex mutex;
  void* buf[2] = {nullptr, nullptr};
  cudaEvent_t done[2] = {nullptr, nullptr};
};

Staging& staging(int device) {
  static std::mutex mutex;
  static auto* all = new std::vector<Staging*>();  // leaked on purpose: used until process exit
  std::lock_guard<std::mutex> lock(mutex);
  if (size_t(device) >= all->size()) all->resize(size_t(device) + 1, nullptr);
  Staging*& s = (*all)[size_t(device)];
  if (s == nullptr) {
    auto* fresh = new Staging();
    for (int b = 0; b < 2; ++b) {
      EMBER_CUDA_CHECK(cudaMallocHost(&fresh->buf[b], kStagingChunk));
      EMBER_CUDA_CHECK(cudaEventCreateWithFlags(&fresh->done[b], cudaEventDisableTiming));
    }
    s = fresh;
  }
  return *s;
}

/// The context, once a graph capture is ruled out (`what` is being done, `why` it cannot be
/// captured).
CudaContext& uncaptured_context(const char* what, const char* why) {
  cuda_detail::check_not_capturing(what, why);
  return context();
}

/// What both transfer directions hold for the whole copy, taken in one place: the context and
/// this device's staging pair, locked against other host threads.
struct StagedCopy {
  CudaContext& ctx;
  Staging& st;
  std::lock_guard<std::mutex> lock;
  StagedCopy(const char* what, const char* why)
      : ctx(uncaptured_context(what, why)), st(staging(ctx.device)), lock(st.mutex) {}
};

}  // namespace

std::shared_ptr<void> CudaBackend::allocate(size_t nbytes) {
  const int device = context().device;
  void* p = cuda_detail::allocator(device).allocate(nbytes);
  return std::shared_ptr<void>(p, [device](void* q) {
    try {
      cuda_detail::allocator(device).free(q);
    } catch (...) {
      // A deleter must not throw; the block is lost to the cache at worst.
    }
  });
}

void CudaBackend::synchronize() {
  cuda_detail::check_not_capturing("synchronize",
                                   "a capture records work without running it, so there is nothing to wait for");
  EMBER_CUDA_CHECK(cudaStreamSynchronize(context().stream));
}

// Neither transfer can be captured: both wait on the host for the staging buffers, and a
// recorded copy would read or write the host buffer at replay time, long after this call.
void CudaBackend::copy_from_host(void* dst, const void* src, size_t nbytes) {
  if (nbytes == 0) return;
  StagedCopy copy("copying host data to the GPU (making a GPU tensor from host data, to(kCUDA) of a CPU tensor)",
                  "the recorded copy would read the host buffer again on every replay; copy the data to the GPU "
                  "before the capture and use that tensor inside it");
  const char* host = static_cast<const char*>(src);
  char* device = static_cast<char*>(dst);
  int b = 0;
  for (size_t off = 0; off < nbytes; off += kStagingChunk, b ^= 1) {
    const size_t len = std::min(kStagingChunk, nbytes - off);
    // The buffer may still feed an earlier DMA (this call's or a previous one's).
    EMBER_CUDA_CHECK(cudaEventSynchronize(copy.st.done[b]));
    std::memcpy(copy.st.buf[b], host + off, len);
    EMBER_CUDA_CHECK(cudaMemcpyAsync(device + off, copy.st.buf[b], len, cudaMemcpyHostToDevice, copy.ctx.stream));
    EMBER_CUDA_CHECK(cudaEventRecord(copy.st.done[b], copy.ctx.stream));
  }
}

void CudaBackend::copy_to_host(void* dst, const void* src, size_t nbytes) {
  if (nbytes == 0) return;
  StagedCopy copy("copying GPU data to the host (item(), cpu(), to(kCPU), printing a GPU tensor)",
                  "nothing runs during a capture, so there are no values to read yet; read the captured step's "
                  "output tensors after replay()");
  char* host = static_cast<char*>(dst);
  const char* device = static_cast<const char*>(src);
  const size_t chunks = (nbytes + kStagingChunk - 1) / kStagingChunk;
  auto issue = [&](size_t c) {
    const size_t off = c * kStagingChunk, len = std::min(kStagingChunk, nbytes - off);
    const int b = int(c & 1);
    EMBER_CUDA_CHECK(cudaMemcpyAsync(copy.st.buf[b], device + off, len, cudaMemcpyDeviceToHost, copy.ctx.stream));
    EMBER_CUDA_CHECK(cudaEventRecord(copy.st.done[b], copy.ctx.stream));
  };
  // Keep one chunk in flight while the previous one is copied out of its buffer. A buffer is
  // reissued only after the host has read it (the loop below is sequential on the host).
  issue(0);
  for (size_t c = 0; c < chunks; ++c) {
    if (c + 1 < chunks) issue(c + 1);
    const int b = int(c & 1);
    const size_t off = c * kStagingChunk, len = std::min(kStagingChunk, nbytes - off);
    EMBER_CUDA_CHECK(cudaEventSynchronize(copy.st.done[b]));
    std::memcpy(host + off, copy.st.buf[b], len);
  }
}

}  // namespace ember
