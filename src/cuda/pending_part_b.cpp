// TEMPORARY (CUDA backend part A): placeholders for the CudaBackend entries that part B writes
// (blas.cpp, conv.cpp, kernels/pool.cu, kernels/softmax.cu), so the library links meanwhile.
// Part B deletes this file.
#include "cuda_backend.h"

namespace ember {
namespace {
[[noreturn]] void pending(const char* entry) {
  throw Error(detail::str("cuda: ", entry, " is not implemented yet in the CUDA backend"));
}
}  // namespace

void CudaBackend::gemm(const Tensor&, const Tensor&, const Tensor&, double, double) { pending("gemm"); }
void CudaBackend::conv2d_forward(const Tensor&, const Tensor&, const Tensor&, const Tensor&, const ConvParams&) {
  pending("conv2d_forward");
}
void CudaBackend::conv2d_backward_input(const Tensor&, const Tensor&, const Tensor&, const ConvParams&) {
  pending("conv2d_backward_input");
}
void CudaBackend::conv2d_backward_weight(const Tensor&, const Tensor&, const Tensor&, const ConvParams&) {
  pending("conv2d_backward_weight");
}
void CudaBackend::max_pool2d_forward(const Tensor&, const Tensor&, const Tensor&, const PoolParams&) {
  pending("max_pool2d_forward");
}
void CudaBackend::max_pool2d_backward(const Tensor&, const Tensor&, const Tensor&) { pending("max_pool2d_backward"); }
void CudaBackend::softmax_forward(const Tensor&, const Tensor&, int64_t, int64_t, int64_t, bool) {
  pending("softmax_forward");
}
void CudaBackend::softmax_backward(const Tensor&, const Tensor&, const Tensor&, int64_t, int64_t, int64_t, bool) {
  pending("softmax_backward");
}
void CudaBackend::nll_forward(const Tensor&, const Tensor&, const Tensor&, int64_t, double) { pending("nll_forward"); }
void CudaBackend::cross_entropy_backward(const Tensor&, const Tensor&, const Tensor&, int64_t, double, double) {
  pending("cross_entropy_backward");
}

}  // namespace ember
