// The per-device CUDA context (context.h): created on first use of a device, it owns the stream
// all ember work is queued on, the cuBLAS handle (bound to that stream), the cuDNN handle when
// built with cuDNN, and the scratch workspace. Also the error reporters behind the check macros.
//
// Contexts are never destroyed: destroying handles during static destruction, after the CUDA
// runtime may have shut down, fails; the driver reclaims everything at process exit.
#include "context.h"
#include "ember/cuda.h"

#include <algorithm>
#include <mutex>
#include <vector>

#include "allocator.h"
#include "capture.h"

namespace ember {
namespace cuda_detail {

// Every reporter first ends a CUDA graph capture in progress (capture.h): a failed call leaves
// the capture invalid, and the stream must be usable for eager work once the error is caught.

void throw_cuda(cudaError_t err, const char* call, const char* file, int line) {
  std::string msg = detail::str("CUDA error ", cudaGetErrorName(err), " (", cudaGetErrorString(err), ") from `", call,
                                "` at ", file, ":", line);
  (void)cudaGetLastError();  // clear a non-sticky error so the next check reports its own
  if (capturing()) {
    if (err == cudaErrorStreamCaptureUnsupported || err == cudaErrorStreamCaptureInvalidated ||
        err == cudaErrorStreamCaptureImplicit || err == cudaErrorStreamCaptureUnjoined ||
        err == cudaErrorStreamCaptureIsolation || err == cudaErrorStreamCaptureWrongThread)
      msg += " (this operation cannot be captured in a CUDA graph)";
    msg += "; the CUDA graph capture in progress was aborted";
    abort_capture(msg);
  }
  if (err == cudaErrorMemoryAllocation) throw OutOfMemoryError(msg);
  if (err == cudaErrorIllegalAddress || err == cudaErrorLaunchFailure || err == cudaErrorAssert)
    throw Error(msg + " (this error is sticky: the CUDA context is unusable until the process exits)");
  throw Error(msg);
}

void throw_cublas(cublasStatus_t st, const char* call, const char* file, int line) {
  std::string msg = detail::str("cuBLAS error ", cublasGetStatusName(st), " (", cublasGetStatusString(st), ") from `",
                                call, "` at ", file, ":", line);
  if (capturing()) {
    msg += "; the CUDA graph capture in progress was aborted";
    abort_capture(msg);
  }
  throw Error(msg);
}

#if EMBER_WITH_CUDNN
void throw_cudnn(cudnnStatus_t st, const char* call, const char* file, int line) {
  std::string msg = detail::str("cuDNN error ", cudnnGetErrorString(st), " (status ", int(st), ") from `", call,
                                "` at ", file, ":", line);
  if (capturing()) {
    msg += "; the CUDA graph capture in progress was aborted";
    abort_capture(msg);
  }
  throw Error(msg);
}
#endif

namespace {

CudaContext* create_context(int device) {
  auto* ctx = new CudaContext();
  ctx->device = device;
  // A blocking stream (not cudaStreamNonBlocking): work anyone queues on the legacy default
  // stream stays ordered with ours.
  EMBER_CUDA_CHECK(cudaStreamCreate(&ctx->stream));
  EMBER_CUBLAS_CHECK(cublasCreate(&ctx->cublas));
  EMBER_CUBLAS_CHECK(cublasSetStream(ctx->cublas, ctx->stream));
  EMBER_CUBLAS_CHECK(
      cublasSetMathMode(ctx->cublas, cuda::matmul_allow_tf32() ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
#if EMBER_WITH_CUDNN
  EMBER_CUDNN_CHECK(cudnnCreate(&ctx->cudnn));
  EMBER_CUDNN_CHECK(cudnnSetStream(ctx->cudnn, ctx->stream));
#endif
  return ctx;
}

}  // namespace

void* CudaContext::workspace(size_t nbytes) {
  if (nbytes <= workspace_size) return workspace_ptr;
  EMBER_CHECK(nbytes <= workspace_cap, "cuda workspace: ", nbytes, " bytes requested but the cap is ", workspace_cap,
              " bytes (pick an algorithm that needs less scratch memory)");
  // Grow geometrically so a sequence of slightly larger requests does not reallocate each time.
  const size_t size = std::max(nbytes, std::min(workspace_cap, workspace_size * 2));
  CachingAllocator& alloc = allocator(device);
  if (workspace_ptr != nullptr) {
    if (graph_pins > 0) {
      // Captured graphs use the old block on every replay: keep it until they are gone.
      retired_workspaces.push_back(workspace_ptr);
    } else {
      // The old block returns to the cache; work queued with it finishes before any reuse
      // because everything runs on this context's stream.
      alloc.free(workspace_ptr);
    }
  }
  workspace_ptr = nullptr;
  workspace_size = 0;
  workspace_ptr = alloc.allocate(size, /*from_graph_pool=*/false);
  // The block holds the whole rounded size; cuBLAS may use all of it.
  workspace_size = std::max(size, CachingAllocator::round_size(size));
  // cuBLAS must not keep the old block (it may belong to a tensor by its next call).
  if (blas_bound_ptr != nullptr) {
    EMBER_CUBLAS_CHECK(cublasSetWorkspace(cublas, workspace_ptr, workspace_size));
    blas_bound_ptr = workspace_ptr;
    blas_bound_size = workspace_size;
  }
  return workspace_ptr;
}

cublasHandle_t CudaContext::blas() {
  if (workspace_size < std::min(kBlasWorkspace, workspace_cap)) workspace(std::min(kBlasWorkspace, workspace_cap));
  if (blas_bound_ptr != workspace_ptr || blas_bound_size != workspace_size) {
    EMBER_CUBLAS_CHECK(cublasSetWorkspace(cublas, workspace_ptr, workspace_size));
    blas_bound_ptr = workspace_ptr;
    blas_bound_size = workspace_size;
  }
  return cublas;
}

void CudaContext::unpin_graph() noexcept {
  if (graph_pins > 0) --graph_pins;
  if (graph_pins > 0) return;
  try {
    CachingAllocator& alloc = allocator(device);
    for (void* p : retired_workspaces) alloc.free(p);
  } catch (...) {
    // allocator() of an existing device does not throw; at worst the blocks stay unused.
  }
  retired_workspaces.clear();
}

CudaContext& context() {
  static std::mutex mutex;
  static auto* contexts = new std::vector<CudaContext*>();  // leaked on purpose, see above
  int device = 0;
  EMBER_CUDA_CHECK(cudaGetDevice(&device));
  std::lock_guard<std::mutex> lock(mutex);
  if (size_t(device) >= contexts->size()) contexts->resize(size_t(device) + 1, nullptr);
  CudaContext*& ctx = (*contexts)[size_t(device)];
  if (ctx == nullptr) ctx = create_context(device);
  return *ctx;
}

}  // namespace cuda_detail
}  // namespace ember
