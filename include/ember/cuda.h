#pragma once
// ember::cuda: is a GPU usable, and if not, why not; the caching allocator's statistics (as
// torch.cuda.memory_allocated and friends); and CUDA graphs (torch.cuda.CUDAGraph). No CUDA
// types: this header compiles without CUDA.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "ember/export.h"

namespace ember {
namespace cuda {
/// True when ember was built with CUDA, a driver is loaded and at least one GPU is visible (and
/// this build has code for it). Never throws; the answer is computed once.
EMBER_API bool is_available();
/// Why is_available() is false ("built without CUDA", "no driver", "no device"); empty when true.
EMBER_API std::string unavailable_reason();
EMBER_API int device_count();
/// Waits for all work queued on the current GPU.
EMBER_API void synchronize();

/// TF32 tensor cores for float32 matmuls (cuBLAS); off by default, as PyTorch's
/// torch.backends.cuda.matmul.allow_tf32.
EMBER_API void set_matmul_allow_tf32(bool allow);
EMBER_API bool matmul_allow_tf32();
/// TF32 tensor cores for float32 convolutions (cuDNN); on by default, as PyTorch's
/// torch.backends.cudnn.allow_tf32. TF32 rounds the operands to 10 mantissa bits, so results
/// differ from FP32 by about 1e-3 relative; set it off for full FP32 convolutions.
EMBER_API void set_cudnn_allow_tf32(bool allow);
EMBER_API bool cudnn_allow_tf32();

// --- the caching allocator (device -1 is the current device; all are 0 without a GPU) --------
/// Returns the cached, unused device memory to the driver (other processes can then use it).
EMBER_API void empty_cache();
/// Bytes in blocks held by live tensors (rounded block sizes).
EMBER_API int64_t memory_allocated(int device = -1);
/// Bytes obtained from the driver: allocated plus cached.
EMBER_API int64_t memory_reserved(int device = -1);
/// The peak of memory_allocated() since start or the last reset_peak_memory_stats().
EMBER_API int64_t max_memory_allocated(int device = -1);
EMBER_API void reset_peak_memory_stats(int device = -1);

// --- CUDA graphs (torch.cuda.CUDAGraph; docs/cuda_graphs.md) ----------------------------------
/// Records the work queued on the current GPU between capture_begin() and capture_end() once,
/// and replays it with one launch: no per-op host overhead. A replay reads and writes exactly
/// the memory the capture did, so feed new inputs by copying them into the tensors the captured
/// code read (x_static.copy_(batch)), and read results from the tensors it produced.
///
/// While capturing, nothing runs: the host may not wait for the GPU or read its results
/// (item(), cpu(), synchronize() throw ember::Error), random ops throw (their Philox offsets
/// would repeat on every replay), and tensors allocated during the capture come from a memory
/// pool private to the graph, which stays reserved for it until reset(). Any error inside the
/// captured region ends the capture and discards it; ember stays usable for eager work.
/// Without CUDA (or without a GPU) every method throws ember::Error.
class EMBER_API CUDAGraph {
 public:
  CUDAGraph();
  ~CUDAGraph();  // reset()
  CUDAGraph(const CUDAGraph&) = delete;
  CUDAGraph& operator=(const CUDAGraph&) = delete;

  /// Starts capturing the current GPU's ember stream (relaxed mode). The graph must be empty.
  void capture_begin();
  /// Ends the capture and instantiates the graph. Throws (leaving the graph empty) if an error
  /// aborted the capture or the recorded work cannot form a graph.
  void capture_end();
  /// Queues the captured work once more on the stream it was captured on (asynchronous, like
  /// any ember op on the GPU). The current device must be the capture's.
  void replay();
  /// Destroys the captured graph (or discards a capture in progress) and returns its private
  /// memory to the cache. The graph can then capture again.
  void reset();
  /// Whether a captured graph is ready to replay.
  bool is_captured() const;
  /// capture_begin(); body(); capture_end(), where an exception from body discards the capture
  /// (reset()) before it propagates, so the stream is usable for eager work again.
  void capture(const std::function<void()>& body);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// True while a CUDAGraph is being captured on the current GPU.
EMBER_API bool is_capturing();
}  // namespace cuda
}  // namespace ember
