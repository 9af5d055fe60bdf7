// The ember::cuda API (include/ember/cuda.h) for builds with CUDA, and the CUDA backend lookup
// (cuda_backend, cuda_backend_available from src/backend.h).
//
// Whether a GPU is usable is decided once, by a probe that never throws: the runtime must find
// a driver new enough for it, at least one device, and kernel code in this build that the
// device can run (an sm_75 card with an sm_80/sm_90 build would otherwise fail at the first
// launch with a far less helpful message).
#include <cuda_runtime.h>

#include <cstdlib>
#include <string>

#include "allocator.h"
#include "capture.h"
#include "context.h"
#include "cuda_backend.h"
#include "ember/cuda.h"

#ifndef EMBER_CUDA_ARCHS
#define EMBER_CUDA_ARCHS "unknown"
#endif

namespace ember {
namespace cuda_detail {
/// Whether this build holds code the current device can run (kernels/copy.cu).
cudaError_t probe_kernel_image();
}  // namespace cuda_detail

namespace {

struct Probe {
  bool ok = false;
  int count = 0;
  std::string reason;
};

std::string version_text(int v) { return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10); }

Probe run_probe() {
  Probe p;
  int runtime = 0, driver = 0;
  (void)cudaRuntimeGetVersion(&runtime);
  (void)cudaDriverGetVersion(&driver);
  const cudaError_t err = cudaGetDeviceCount(&p.count);
  if (err != cudaSuccess) {
    (void)cudaGetLastError();
    p.count = 0;
    if (err == cudaErrorNoDevice) {
      const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
      p.reason = "no CUDA device is visible";
      if (visible != nullptr) p.reason += std::string(" (CUDA_VISIBLE_DEVICES=") + visible + ")";
    } else if (err == cudaErrorInsufficientDriver && driver == 0) {
      p.reason = "no NVIDIA driver is loaded (libcuda.so was not found)";
    } else if (err == cudaErrorInsufficientDriver) {
      p.reason = "the NVIDIA driver supports CUDA " + version_text(driver) + " but ember was built with CUDA " +
                 version_text(runtime) + "; update the driver";
    } else {
      p.reason = std::string("the CUDA driver could not be initialised: ") + cudaGetErrorName(err) + " (" +
                 cudaGetErrorString(err) + ")";
    }
    return p;
  }
  if (p.count == 0) {
    p.reason = "no CUDA device is visible";
    return p;
  }
  const cudaError_t image = cuda_detail::probe_kernel_image();
  if (image != cudaSuccess) {
    (void)cudaGetLastError();
    int device = 0, major = 0, minor = 0;
    (void)cudaGetDevice(&device);
    (void)cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device);
    (void)cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device);
    (void)cudaGetLastError();
    p.count = 0;
    p.reason = "GPU " + std::to_string(device) + " has compute capability " + std::to_string(major) + "." +
               std::to_string(minor) + ", but ember's kernels were built for CUDA architectures " + EMBER_CUDA_ARCHS +
               " (" + cudaGetErrorName(image) +
               "); rebuild with -DCMAKE_CUDA_ARCHITECTURES=" + std::to_string(major * 10 + minor);
    return p;
  }
  p.ok = true;
  return p;
}

const Probe& probe() {
  static const Probe p = [] {
    try {
      return run_probe();
    } catch (const std::exception& e) {
      Probe failed;
      failed.reason = std::string("probing for a GPU failed: ") + e.what();
      return failed;
    } catch (...) {
      Probe failed;
      failed.reason = "probing for a GPU failed";
      return failed;
    }
  }();
  return p;
}

cuda_detail::CachingAllocator* allocator_of(int device) {
  if (!probe().ok) return nullptr;
  if (device < 0) EMBER_CUDA_CHECK(cudaGetDevice(&device));
  EMBER_CHECK(device < probe().count, "cuda: device ", device, " does not exist (", probe().count, " visible)");
  return &cuda_detail::allocator(device);
}

}  // namespace

Backend& cuda_backend() {
  const Probe& p = probe();
  if (!p.ok)
    throw Error("CUDA is not available: " + p.reason +
                ". Use Device(kCPU), or check ember::cuda::is_available() first");
  static CudaBackend* instance = new CudaBackend();  // never destroyed: tensors may outlive statics
  return *instance;
}

bool cuda_backend_available(std::string* why) {
  const Probe& p = probe();
  if (why != nullptr) *why = p.reason;
  return p.ok;
}

namespace cuda {

bool is_available() { return probe().ok; }
std::string unavailable_reason() { return probe().reason; }
int device_count() { return probe().ok ? probe().count : 0; }

void synchronize() {
  if (!probe().ok) return;
  cuda_detail::check_not_capturing("cuda::synchronize()",
                                   "a capture records work without running it, so there is nothing to wait for");
  EMBER_CUDA_CHECK(cudaDeviceSynchronize());
}

void empty_cache() {
  if (!probe().ok) return;
  cuda_detail::check_not_capturing("cuda::empty_cache()", "returning memory to the driver waits for the GPU");
  for (int d = 0; d < probe().count; ++d) cuda_detail::allocator(d).empty_cache();
}

int64_t memory_allocated(int device) {
  auto* a = allocator_of(device);
  return a ? int64_t(a->stats().allocated) : 0;
}
int64_t memory_reserved(int device) {
  auto* a = allocator_of(device);
  return a ? int64_t(a->stats().reserved) : 0;
}
int64_t max_memory_allocated(int device) {
  auto* a = allocator_of(device);
  return a ? int64_t(a->stats().peak_allocated) : 0;
}
void reset_peak_memory_stats(int device) {
  if (auto* a = allocator_of(device)) a->reset_peak();
}

}  // namespace cuda
}  // namespace ember
