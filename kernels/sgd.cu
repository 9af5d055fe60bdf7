// The fused SGD step (Backend::sgd_step, src/backend.h): one launch updates every parameter of a step.
//
// The host packs one descriptor {param, grad, momentum buffer, numel, first step} per parameter
// into the kernel's arguments (up to kSgdSlotsPerLaunch per launch; more parameters take more
// launches); the kernel's threads walk the descriptors in order and, for each, cover its
// elements with a grid-stride loop. Sizing the grid for the largest parameter keeps every
// thread busy on the big weights, while the many tiny ones (biases) cost a loop header.
// Passing the descriptors by value (not through a device table filled from the host) keeps the
// step free of host-to-device copies, so it can be captured in a CUDA graph.
//
// The element rule is sgd_update (src/functors.h), shared with the CPU: every multiply and add is
// rounded on its own (__fmul_rn/__fadd_rn, which nvcc never contracts into an FMA), as PyTorch's
// separate ops and the CPU loop round them, so both devices compute the same bits.
#include <vector>

#include "common.cuh"
#include "cuda/cuda_backend.h"
#include "dtype_dispatch.h"

namespace ember {
namespace cuda_kernels {
namespace {

template <typename T>
struct SgdSlot {
  T* param;
  const T* grad;
  T* buf;  // null without momentum
  int64_t numel;
  int64_t first_step;  // 0 or 1 (64-bit keeps the struct's layout free of padding questions)
};

// 32 descriptors of 40 bytes: about 1.3 KB of kernel arguments, well under the 4 KB limit.
constexpr int kSgdSlotsPerLaunch = 32;

template <typename T>
struct SgdSlotPack {
  SgdSlot<T> slot[kSgdSlotsPerLaunch];
  int64_t count;
};

// pack: (count) descriptors, each over its own contiguous param/grad/buf of numel elements.
template <typename T>
__global__ void __launch_bounds__(kBlockSize) sgd_step_kernel(const SgdSlotPack<T> pack, const SgdScalars<T> h) {
  const int64_t start = int64_t(blockIdx.x) * blockDim.x + threadIdx.x, step = int64_t(blockDim.x) * gridDim.x;
  for (int64_t s = 0; s < pack.count; ++s) {
    const SgdSlot<T> slot = pack.slot[s];
    for (int64_t i = start; i < slot.numel; i += step) {
      T unused;  // the rule writes no buffer without momentum
      slot.param[i] =
          sgd_update(slot.param[i], slot.grad[i], slot.buf ? slot.buf + i : &unused, slot.first_step != 0, h);
    }
  }
}

}  // namespace
}  // namespace cuda_kernels

namespace {

void check_slot_tensor(const Tensor& t, const char* role, size_t i, const Tensor& param) {
  EMBER_CHECK(t.defined(), "sgd_step: the ", role, " of parameter ", i, " (", describe(param), ") is undefined");
  EMBER_CHECK(t.device() == param.device() && t.dtype() == param.dtype() && t.numel() == param.numel(),
              "sgd_step: the ", role, " of parameter ", i, " is ", describe(t), " but the parameter is ",
              describe(param), "; they must agree in dtype, device and number of elements");
  EMBER_CHECK(t.is_contiguous(), "sgd_step: the ", role, " of parameter ", i, " (", describe(t),
              ") must be contiguous");
}

}  // namespace

void CudaBackend::sgd_step(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                           const std::vector<Tensor>& momentum_buffers, const std::vector<bool>& first_step,
                           const SgdParams& o) {
  const size_t count = params.size();
  if (count == 0) return;
  const bool use_momentum = o.momentum != 0;
  EMBER_CHECK(grads.size() == count, "sgd_step: ", count, " parameters but ", grads.size(), " gradients");
  EMBER_CHECK(!use_momentum || (momentum_buffers.size() == count && first_step.size() == count),
              "sgd_step: with momentum, every one of the ", count,
              " parameters needs a momentum buffer and a first-step flag (got ", momentum_buffers.size(), " and ",
              first_step.size(), ")");
  EMBER_CHECK(!o.nesterov || (use_momentum && o.dampening == 0),
              "sgd_step: Nesterov momentum requires a momentum and zero dampening");
  const Tensor& p0 = params[0];
  EMBER_CHECK(p0.defined() && p0.is_cuda(), "sgd_step: expected CUDA parameters, got ",
              p0.defined() ? describe(p0) : std::string("an undefined tensor"));
  for (size_t i = 0; i < count; ++i) {
    EMBER_CHECK(params[i].defined() && params[i].device() == p0.device() && params[i].dtype() == p0.dtype(),
                "sgd_step: parameter ", i, " (", params[i].defined() ? describe(params[i]) : "undefined",
                ") differs in device or dtype from parameter 0 (", describe(p0), ")");
    EMBER_CHECK(params[i].is_contiguous(), "sgd_step: parameter ", i, " (", describe(params[i]),
                ") must be contiguous");
    check_slot_tensor(grads[i], "gradient", i, params[i]);
    if (use_momentum) check_slot_tensor(momentum_buffers[i], "momentum buffer", i, params[i]);
  }

  dispatch_floating(p0.dtype(), "sgd_step", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const auto h = SgdScalars<T>::make(o.lr, o.momentum, o.dampening, o.weight_decay, o.nesterov);

    cuda_kernels::SgdSlotPack<T> pack{};
    int64_t largest = 0;
    auto launch = [&] {
      if (pack.count == 0) return;
      cuda_kernels::sgd_step_kernel<T>
          <<<cuda_kernels::grid_for(largest), cuda_kernels::kBlockSize, 0, cuda_kernels::current_stream()>>>(pack, h);
      EMBER_CUDA_LAUNCH_CHECK();
      pack.count = 0;
      largest = 0;
    };
    for (size_t i = 0; i < count; ++i) {
      const int64_t n = params[i].numel();
      if (n == 0) continue;
      largest = std::max(largest, n);
      pack.slot[pack.count++] = cuda_kernels::SgdSlot<T>{params[i].data_ptr<T>(), grads[i].data_ptr<T>(),
                                                         use_momentum ? momentum_buffers[i].data_ptr<T>() : nullptr, n,
                                                         use_momentum && first_step[i] ? 1 : 0};
      if (pack.count == cuda_kernels::kSgdSlotsPerLaunch) launch();
    }
    launch();
  });
  for (size_t i = 0; i < count; ++i) {
    bump_version(params[i]);
    if (use_momentum) bump_version(momentum_buffers[i]);
  }
}

}  // namespace ember
