// CUDA graphs: ember::cuda::CUDAGraph (include/ember/cuda.h), modelled on torch.cuda.CUDAGraph,
// and the per-device capture state behind capture.h.
//
// capture_begin() starts a relaxed-mode capture of the context stream and routes the caching
// allocator to a private pool owned by the graph (allocator.h says why and how); capture_end()
// ends it and instantiates the graph once; replay() launches it on the same stream, so it is
// ordered with eager work before and after it like any other queued work. reset() (or the
// destructor) destroys the graph and releases the pool.
//
// A capture records, it does not run: the host must never wait for the device or read device
// memory while one is in progress (see capture.h for what throws). Any error inside a capture
// aborts it at once (abort_capture): cudaStreamEndCapture, the partial graph destroyed, the pool
// released; the stream is then ready for eager work and capture_end() reports the reason.
#include <cuda_runtime.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "allocator.h"
#include "capture.h"
#include "context.h"
#include "cuda_backend.h"
#include "ember/cuda.h"

namespace ember {
namespace cuda_detail {
namespace {

/// The capture in progress on one device.
struct DeviceCapture {
  bool active = false;
  uint64_t id = 0;    // which capture (CUDAGraph::Impl::capture_id)
  uint64_t pool = 0;  // its allocator pool
  CudaContext* ctx = nullptr;
};

struct Registry {
  std::mutex mutex;
  std::atomic<int> active{0};  // captures in progress on all devices: the fast path of capturing()
  std::vector<DeviceCapture> devices;
  std::unordered_map<uint64_t, std::string> aborted;  // capture id -> why, until capture_end reads it
  uint64_t next_id = 1;
};

Registry& registry() {
  static auto* r = new Registry();  // leaked on purpose: graphs may be destroyed during static destruction
  return *r;
}

int current_device() noexcept {
  int device = -1;
  if (cudaGetDevice(&device) != cudaSuccess) {
    (void)cudaGetLastError();
    return -1;
  }
  return device;
}

/// Ends the capture of `d` (already marked inactive by the caller) and discards what it recorded.
void discard_capture(const DeviceCapture& d) noexcept {
  cudaGraph_t partial = nullptr;
  // An invalidated capture still ends here (with an error and no graph); a valid one yields the
  // partial graph, which is thrown away.
  if (cudaStreamEndCapture(d.ctx->stream, &partial) != cudaSuccess) (void)cudaGetLastError();
  if (partial != nullptr && cudaGraphDestroy(partial) != cudaSuccess) (void)cudaGetLastError();
  CachingAllocator& alloc = allocator(d.ctx->device);
  alloc.end_capture();
  alloc.release_pool(d.pool);
  d.ctx->unpin_graph();
}

}  // namespace

bool capturing() noexcept {
  Registry& r = registry();
  if (r.active.load(std::memory_order_acquire) == 0) return false;
  const int device = current_device();
  std::lock_guard<std::mutex> lock(r.mutex);
  return device >= 0 && size_t(device) < r.devices.size() && r.devices[size_t(device)].active;
}

void abort_capture(const std::string& why) noexcept {
  Registry& r = registry();
  if (r.active.load(std::memory_order_acquire) == 0) return;
  const int device = current_device();
  DeviceCapture d;
  {
    std::lock_guard<std::mutex> lock(r.mutex);
    if (device < 0 || size_t(device) >= r.devices.size() || !r.devices[size_t(device)].active) return;
    d = r.devices[size_t(device)];
    r.devices[size_t(device)].active = false;
    r.active.fetch_sub(1, std::memory_order_release);
    try {
      r.aborted[d.id] = why;
    } catch (...) {
      // capture_end() then reports a generic reason.
    }
  }
  discard_capture(d);
}

void check_not_capturing(const char* what, const char* reason) {
  if (!capturing()) return;
  const std::string msg = detail::str(what, " cannot run while a CUDA graph is being captured: ", reason,
                                      ". The capture was aborted; run this outside the captured region.");
  abort_capture(msg);
  throw Error(msg);
}

}  // namespace cuda_detail

namespace cuda {

using cuda_detail::CudaContext;
using cuda_detail::registry;

struct CUDAGraph::Impl {
  enum class State { Empty, Capturing, Ready };
  State state = State::Empty;
  int device = -1;
  uint64_t capture_id = 0;
  uint64_t pool = 0;
  CudaContext* ctx = nullptr;
  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
};

CUDAGraph::CUDAGraph() : impl_(new Impl()) {}

CUDAGraph::~CUDAGraph() {
  try {
    reset();
  } catch (...) {
    // A destructor must not throw; reset() already released what it could.
  }
}

void CUDAGraph::capture_begin() {
  Impl& g = *impl_;
  if (g.state == Impl::State::Capturing) {
    // A capture that an error aborted (and already cleaned up) leaves nothing to reset.
    cuda_detail::Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    const bool live = size_t(g.device) < r.devices.size() && r.devices[size_t(g.device)].active &&
                      r.devices[size_t(g.device)].id == g.capture_id;
    if (!live) {
      r.aborted.erase(g.capture_id);
      g.state = Impl::State::Empty;
    }
  }
  EMBER_CHECK(g.state == Impl::State::Empty, "CUDAGraph::capture_begin: this graph already holds ",
              g.state == Impl::State::Capturing ? "a capture in progress" : "a captured graph",
              "; call reset() before capturing again");
  std::string why;
  EMBER_CHECK(cuda_backend_available(&why), "CUDAGraph::capture_begin: CUDA is not available: ", why);
  CudaContext& ctx = cuda_detail::context();
  cuda_detail::Registry& r = registry();
  {
    std::lock_guard<std::mutex> lock(r.mutex);
    EMBER_CHECK(size_t(ctx.device) >= r.devices.size() || !r.devices[size_t(ctx.device)].active,
                "CUDAGraph::capture_begin: another CUDA graph is already being captured on cuda:", ctx.device,
                "; end it (capture_end) before beginning a new one");
  }
  // Errors of earlier eager work surface here, not as a failed capture.
  EMBER_CUDA_CHECK(cudaStreamSynchronize(ctx.stream));
  // cuBLAS gets its workspace now, so that it allocates nothing while capturing.
  (void)ctx.blas();

  cuda_detail::CachingAllocator& alloc = cuda_detail::allocator(ctx.device);
  const uint64_t pool = alloc.create_pool();
  ++ctx.graph_pins;  // from here on the workspace keeps its address while this graph lives
  uint64_t id = 0;
  {
    std::lock_guard<std::mutex> lock(r.mutex);
    id = r.next_id++;
  }
  try {
    alloc.begin_capture(pool);
  } catch (...) {
    alloc.release_pool(pool);
    ctx.unpin_graph();
    throw;
  }
  const cudaError_t err = cudaStreamBeginCapture(ctx.stream, cudaStreamCaptureModeRelaxed);
  if (err != cudaSuccess) {
    alloc.end_capture();
    alloc.release_pool(pool);
    ctx.unpin_graph();
    cuda_detail::throw_cuda(err, "cudaStreamBeginCapture(ctx.stream, cudaStreamCaptureModeRelaxed)", __FILE__,
                            __LINE__);
  }
  {
    std::lock_guard<std::mutex> lock(r.mutex);
    if (size_t(ctx.device) >= r.devices.size()) r.devices.resize(size_t(ctx.device) + 1);
    r.devices[size_t(ctx.device)] = cuda_detail::DeviceCapture{true, id, pool, &ctx};
    r.active.fetch_add(1, std::memory_order_release);
  }
  g.state = Impl::State::Capturing;
  g.device = ctx.device;
  g.capture_id = id;
  g.pool = pool;
  g.ctx = &ctx;
}

void CUDAGraph::capture_end() {
  Impl& g = *impl_;
  EMBER_CHECK(g.state == Impl::State::Capturing, "CUDAGraph::capture_end: no capture in progress on this graph (",
              g.state == Impl::State::Ready ? "it already holds a captured graph" : "call capture_begin() first", ")");
  cuda_detail::Registry& r = registry();
  cuda_detail::DeviceCapture d;
  {
    std::lock_guard<std::mutex> lock(r.mutex);
    const bool ours = size_t(g.device) < r.devices.size() && r.devices[size_t(g.device)].active &&
                      r.devices[size_t(g.device)].id == g.capture_id;
    if (!ours) {
      // An error inside the captured region aborted the capture (and released the pool).
      auto it = r.aborted.find(g.capture_id);
      const std::string why = it != r.aborted.end() ? it->second : std::string("unknown reason");
      if (it != r.aborted.end()) r.aborted.erase(it);
      g.state = Impl::State::Empty;
      throw Error("CUDAGraph::capture_end: the capture was aborted by an error inside the captured region: " + why);
    }
    d = r.devices[size_t(g.device)];
    r.devices[size_t(g.device)].active = false;
    r.active.fetch_sub(1, std::memory_order_release);
  }
  int current = -1;
  EMBER_CUDA_CHECK(cudaGetDevice(&current));
  if (current != g.device) {
    // Wrong device: end the capture anyway so the stream is usable, then complain.
    cuda_detail::discard_capture(d);
    g.state = Impl::State::Empty;
    throw Error(detail::str("CUDAGraph::capture_end: the capture began on cuda:", g.device,
                            " but the current device is cuda:", current,
                            "; the capture was discarded (switch devices only outside captured regions)"));
  }
  cudaGraph_t graph = nullptr;
  const cudaError_t end_err = cudaStreamEndCapture(g.ctx->stream, &graph);
  cuda_detail::CachingAllocator& alloc = cuda_detail::allocator(g.device);
  alloc.end_capture();  // the pool stays the graph's
  auto fail = [&](cudaError_t err, const char* call) {
    (void)cudaGetLastError();
    if (graph != nullptr) (void)cudaGraphDestroy(graph);
    (void)cudaGetLastError();
    alloc.release_pool(g.pool);
    g.ctx->unpin_graph();
    g.state = Impl::State::Empty;
    throw Error(detail::str("CUDAGraph::capture_end: ", call, " failed: ", cudaGetErrorName(err), " (",
                            cudaGetErrorString(err),
                            ")" + std::string(err == cudaErrorStreamCaptureInvalidated
                                                  ? "; an operation in the captured region could not be "
                                                    "captured (a synchronisation, or work on another stream)"
                                                  : "")));
  };
  if (end_err != cudaSuccess || graph == nullptr)
    fail(end_err != cudaSuccess ? end_err : cudaErrorStreamCaptureInvalidated, "cudaStreamEndCapture");
  cudaGraphExec_t exec = nullptr;
  const cudaError_t inst_err = cudaGraphInstantiate(&exec, graph, 0);
  if (inst_err != cudaSuccess) fail(inst_err, "cudaGraphInstantiate");
  g.graph = graph;
  g.exec = exec;
  g.state = Impl::State::Ready;
}

void CUDAGraph::replay() {
  Impl& g = *impl_;
  EMBER_CHECK(g.state == Impl::State::Ready, "CUDAGraph::replay: nothing to replay (",
              g.state == Impl::State::Capturing ? "the capture is still in progress; call capture_end() first"
                                                : "capture a graph first with capture_begin() / capture_end()",
              ")");
  int current = -1;
  EMBER_CUDA_CHECK(cudaGetDevice(&current));
  EMBER_CHECK(current == g.device, "CUDAGraph::replay: the graph was captured on cuda:", g.device,
              " but the current device is cuda:", current);
  EMBER_CHECK(!cuda_detail::capturing(), "CUDAGraph::replay: cannot replay a graph while another is being captured");
  EMBER_CUDA_CHECK(cudaGraphLaunch(g.exec, g.ctx->stream));
}

void CUDAGraph::reset() {
  Impl& g = *impl_;
  if (g.state == Impl::State::Empty) return;
  if (g.state == Impl::State::Capturing) {
    cuda_detail::Registry& r = registry();
    cuda_detail::DeviceCapture d;
    bool ours = false;
    {
      std::lock_guard<std::mutex> lock(r.mutex);
      ours = size_t(g.device) < r.devices.size() && r.devices[size_t(g.device)].active &&
             r.devices[size_t(g.device)].id == g.capture_id;
      if (ours) {
        d = r.devices[size_t(g.device)];
        r.devices[size_t(g.device)].active = false;
        r.active.fetch_sub(1, std::memory_order_release);
      } else {
        r.aborted.erase(g.capture_id);  // aborted earlier: already cleaned up
      }
    }
    if (ours) cuda_detail::discard_capture(d);
    g.state = Impl::State::Empty;
    return;
  }
  // Ready: replays may still be queued. Wait for them (unless a capture is in progress on this
  // device, when waiting is illegal; cudaGraphExecDestroy then frees the graph once it is done).
  int current = -1;
  if (cudaGetDevice(&current) != cudaSuccess) (void)cudaGetLastError();
  if (current == g.device && !cuda_detail::capturing()) {
    if (cudaStreamSynchronize(g.ctx->stream) != cudaSuccess) (void)cudaGetLastError();
  }
  if (g.exec != nullptr && cudaGraphExecDestroy(g.exec) != cudaSuccess) (void)cudaGetLastError();
  if (g.graph != nullptr && cudaGraphDestroy(g.graph) != cudaSuccess) (void)cudaGetLastError();
  g.exec = nullptr;
  g.graph = nullptr;
  // Blocks returned to the shared cache are reused only by work queued after the replays.
  cuda_detail::allocator(g.device).release_pool(g.pool);
  g.ctx->unpin_graph();
  g.state = Impl::State::Empty;
}

bool CUDAGraph::is_captured() const { return impl_->state == Impl::State::Ready; }

void CUDAGraph::capture(const std::function<void()>& body) {
  capture_begin();
  try {
    body();
  } catch (...) {
    reset();  // ends the capture and discards it, so the stream is usable again
    throw;
  }
  capture_end();
}

bool is_capturing() { return cuda_detail::capturing(); }

}  // namespace cuda
}  // namespace ember
