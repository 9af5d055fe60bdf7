// The TF32 switches, with PyTorch's defaults: float matmuls run in full FP32
// (torch.backends.cuda.matmul.allow_tf32 = False), cuDNN convolutions may use TF32 tensor cores
// (torch.backends.cudnn.allow_tf32 = True), so a ported program computes what it did in PyTorch.
// Plain flags, present in every build, read by the CUDA backend at each call.
#include <atomic>

#include "ember/cuda.h"

namespace ember {
namespace cuda {
namespace {
std::atomic<bool> matmul_tf32{false};
std::atomic<bool> cudnn_tf32{true};
}  // namespace

void set_matmul_allow_tf32(bool allow) { matmul_tf32 = allow; }
bool matmul_allow_tf32() { return matmul_tf32; }
void set_cudnn_allow_tf32(bool allow) { cudnn_tf32 = allow; }
bool cudnn_allow_tf32() { return cudnn_tf32; }

}  // namespace cuda
}  // namespace ember
