// The TF32 switches. Float matmuls run in full FP32 by default, as PyTorch's
// torch.backends.cuda.matmul.allow_tf32 = False. cuDNN convolutions also default to full FP32,
// unlike PyTorch's torch.backends.cudnn.allow_tf32 = True: ember's TF32 convolution path has not
// yet run on a GPU, so it stays opt-in (set_cudnn_allow_tf32(true) gives PyTorch's behaviour).
// Plain flags, present in every build, read by the CUDA backend at each call.
#include <atomic>

#include "ember/cuda.h"

namespace ember {
namespace cuda {
namespace {
std::atomic<bool> matmul_tf32{false};
std::atomic<bool> cudnn_tf32{false};
}  // namespace

void set_matmul_allow_tf32(bool allow) { matmul_tf32 = allow; }
bool matmul_allow_tf32() { return matmul_tf32; }
void set_cudnn_allow_tf32(bool allow) { cudnn_tf32 = allow; }
bool cudnn_allow_tf32() { return cudnn_tf32; }

}  // namespace cuda
}  // namespace ember
