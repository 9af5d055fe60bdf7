// The per-device CUDA context (context.h): created on first use of a device, it owns the stream
// all ember work is queued on, the cuBLAS handle (bound to that stream), the cuDNN handle when
// built with cuDNN, and the scratch workspace. Also the error reporters behind the check macros.
//
// Contexts are never destroyed: destroying handles during static destruction, after the CUDA
// runtime may have shut down, fails; the driver reclaims everything at process exit.
#include "context.h"

#include <algorithm>
#include <mutex>
#include <vector>

#include "allocator.h"

namespace ember {
namespace cuda_detail {

void throw_cuda(cudaError_t err, const char* call, const char* file, int line) {
  const std::string msg = detail::str("CUDA error ", cudaGetErrorName(err), " (", cudaGetErrorString(err),
                                      ") from `", call, "` at ", file, ":", line);
  (void)cudaGetLastError();  // clear a non-sticky error so the next check reports its own
  if (err == cudaErrorMemoryAllocation) throw OutOfMemoryError(msg);
  if (err == cudaErrorIllegalAddress || err == cudaErrorLaunchFailure || err == cudaErrorAssert)
    throw Error(msg + " (this error is sticky: the CUDA context is unusable until the process exits)");
  throw Error(msg);
}

void throw_cublas(cublasStatus_t st, const char* call, const char* file, int line) {
  throw Error(detail::str("cuBLAS error ", cublasGetStatusName(st), " (", cublasGetStatusString(st),
                          ") from `", call, "` at ", file, ":", line));
}

#if EMBER_WITH_CUDNN
void throw_cudnn(cudnnStatus_t st, const char* call, const char* file, int line) {
  throw Error(detail::str("cuDNN error ", cudnnGetErrorString(st), " (status ", int(st), ") from `", call,
                          "` at ", file, ":", line));
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
      cublasSetMathMode(ctx->cublas, ctx->allow_tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
#if EMBER_WITH_CUDNN
  EMBER_CUDNN_CHECK(cudnnCreate(&ctx->cudnn));
  EMBER_CUDNN_CHECK(cudnnSetStream(ctx->cudnn, ctx->stream));
#endif
  return ctx;
}

}  // namespace

void* CudaContext::workspace(size_t nbytes) {
  if (nbytes <= workspace_size) return workspace_ptr;
  EMBER_CHECK(nbytes <= workspace_cap, "cuda workspace: ", nbytes, " bytes requested but the cap is ",
              workspace_cap, " bytes (pick an algorithm that needs less scratch memory)");
  // Grow geometrically so a sequence of slightly larger requests does not reallocate each time.
  size_t size = std::max(nbytes, std::min(workspace_cap, workspace_size * 2));
  CachingAllocator& alloc = allocator(device);
  // The old block returns to the cache; work queued with it finishes before any reuse because
  // everything runs on this context's stream.
  if (workspace_ptr != nullptr) alloc.free(workspace_ptr);
  workspace_ptr = nullptr;
  workspace_size = 0;
  workspace_ptr = alloc.allocate(size);
  workspace_size = size;
  return workspace_ptr;
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
