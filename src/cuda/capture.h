#pragma once
// CUDA graph capture bookkeeping shared by the backend (graph.cpp holds the state and the
// ember::cuda::CUDAGraph that drives it). While a graph is being captured on a device, work
// queued on that device's context stream is recorded, not run, so:
//   - nothing may wait for the device or read its results on the host (copy_to_host, item(),
//     synchronize): those become ember::Errors, never hangs or garbage;
//   - a capture that hits any error (a failed CUDA/cuBLAS/cuDNN call, one of the above) is ended
//     at once and its partial graph discarded, so the stream is usable for eager work again; the
//     CUDAGraph that began it reports the reason from capture_end().
// No CUDA types here: allocator.cpp and context.cpp include it.
#include <string>

namespace ember {
namespace cuda_detail {

/// True while a CUDAGraph capture is in progress on the current device. Cheap when no capture is
/// active anywhere (one atomic load); never throws.
bool capturing() noexcept;

/// Ends the capture in progress on the current device, if any: the partial graph is discarded,
/// the graph's private memory pool released, and `why` kept for the CUDAGraph's capture_end().
/// Never throws.
void abort_capture(const std::string& why) noexcept;

/// When a capture is in progress on the current device: aborts it and throws ember::Error
/// saying that `what` cannot run inside a capture, and why (`reason`). Otherwise does nothing.
void check_not_capturing(const char* what, const char* reason);

}  // namespace cuda_detail
}  // namespace ember
