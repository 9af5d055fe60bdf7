#pragma once
// The per-device CUDA context owned by the backend (no global device state elsewhere): the
// stream all work is queued on, the cuBLAS and cuDNN handles, and a capped workspace. Also the
// checking macros: every CUDA, cuBLAS and cuDNN call goes through one of them, so a failure
// becomes an ember::Error naming the call, file and line.
#include <cublas_v2.h>
#include <cuda_runtime.h>
#if EMBER_WITH_CUDNN
#include <cudnn.h>
#endif
#include <string>
#include <vector>

#include "ember/error.h"

namespace ember {
namespace cuda_detail {

[[noreturn]] void throw_cuda(cudaError_t err, const char* call, const char* file, int line);
[[noreturn]] void throw_cublas(cublasStatus_t st, const char* call, const char* file, int line);
#if EMBER_WITH_CUDNN
[[noreturn]] void throw_cudnn(cudnnStatus_t st, const char* call, const char* file, int line);
#endif

struct CudaContext {
  int device = 0;
  cudaStream_t stream = nullptr;
  cublasHandle_t cublas = nullptr;
#if EMBER_WITH_CUDNN
  cudnnHandle_t cudnn = nullptr;
#endif
  /// Scratch memory for cuBLAS/cuDNN, grown on demand up to a cap; valid until the next call.
  /// It never comes from a CUDA graph's pool, and while graphs live (graph_pins > 0) a block it
  /// outgrows is retired, not freed: the graphs recorded its address.
  void* workspace(size_t nbytes);
  size_t workspace_cap = size_t(256) << 20;
  void* workspace_ptr = nullptr;
  size_t workspace_size = 0;

  /// The cuBLAS handle with the context workspace bound to it (cublasSetWorkspace), grown to
  /// kBlasWorkspace first: cuBLAS then never allocates memory of its own, which a CUDA graph
  /// capture could not keep. Every cuBLAS call goes through it.
  cublasHandle_t blas();
  static constexpr size_t kBlasWorkspace = size_t(32) << 20;  // NVIDIA's recommendation for Hopper
  void* blas_bound_ptr = nullptr;
  size_t blas_bound_size = 0;

  /// CUDA graphs alive on this device, counting one being captured (graph.cpp).
  int graph_pins = 0;
  std::vector<void*> retired_workspaces;
  /// A graph is gone: when none is left, the retired workspaces return to the allocator.
  void unpin_graph() noexcept;
};

/// The context of the current device, created on first use.
CudaContext& context();

}  // namespace cuda_detail
}  // namespace ember

#define EMBER_CUDA_CHECK(call)                                                                              \
  do {                                                                                                      \
    cudaError_t ember_err_ = (call);                                                                        \
    if (ember_err_ != cudaSuccess) ::ember::cuda_detail::throw_cuda(ember_err_, #call, __FILE__, __LINE__); \
  } while (0)
/// After every kernel launch: reports bad launch configurations at the launch site.
#define EMBER_CUDA_LAUNCH_CHECK() EMBER_CUDA_CHECK(cudaGetLastError())
#define EMBER_CUBLAS_CHECK(call)                                                                                      \
  do {                                                                                                                \
    cublasStatus_t ember_st_ = (call);                                                                                \
    if (ember_st_ != CUBLAS_STATUS_SUCCESS) ::ember::cuda_detail::throw_cublas(ember_st_, #call, __FILE__, __LINE__); \
  } while (0)
#define EMBER_CUDNN_CHECK(call)                                                                                     \
  do {                                                                                                              \
    cudnnStatus_t ember_st_ = (call);                                                                               \
    if (ember_st_ != CUDNN_STATUS_SUCCESS) ::ember::cuda_detail::throw_cudnn(ember_st_, #call, __FILE__, __LINE__); \
  } while (0)
