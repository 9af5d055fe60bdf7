// Linked in builds without CUDA: every request for the CUDA backend explains why it is absent.
#include "backend.h"
#include "ember/cuda.h"

namespace ember {

static const char* kNoCuda =
    "ember was built without CUDA: reconfigure with -DEMBER_CUDA=ON on a machine with the CUDA "
    "Toolkit to use Device(kCUDA)";

Backend& cuda_backend() { throw Error(kNoCuda); }
bool cuda_backend_available(std::string* why) {
  if (why) *why = kNoCuda;
  return false;
}

namespace cuda {
bool is_available() { return false; }
std::string unavailable_reason() { return kNoCuda; }
int device_count() { return 0; }
void synchronize() {}
void empty_cache() {}
int64_t memory_allocated(int) { return 0; }
int64_t memory_reserved(int) { return 0; }
int64_t max_memory_allocated(int) { return 0; }
void reset_peak_memory_stats(int) {}

// CUDA graphs: nothing to capture without CUDA.
struct CUDAGraph::Impl {};
CUDAGraph::CUDAGraph() : impl_(new Impl()) {}
CUDAGraph::~CUDAGraph() = default;
void CUDAGraph::capture_begin() { throw Error(std::string("CUDAGraph::capture_begin: ") + kNoCuda); }
void CUDAGraph::capture_end() { throw Error(std::string("CUDAGraph::capture_end: ") + kNoCuda); }
void CUDAGraph::replay() { throw Error(std::string("CUDAGraph::replay: ") + kNoCuda); }
void CUDAGraph::reset() { throw Error(std::string("CUDAGraph::reset: ") + kNoCuda); }
bool CUDAGraph::is_captured() const { return false; }
void CUDAGraph::capture(const std::function<void()>&) { throw Error(std::string("CUDAGraph::capture: ") + kNoCuda); }
bool is_capturing() { return false; }
}  // namespace cuda

}  // namespace ember
