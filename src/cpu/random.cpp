// CpuBackend random entries: fill a (possibly strided) tensor from the PyTorch-compatible
// generator in generator.h.
//
// To give torch's numbers, values must be drawn in the order torch draws them. For a
// contiguous tensor that is plain index order, and normal_ of 16+ values uses the block
// Box-Muller path. For any other layout torch's TensorIterator walks memory order (dimensions
// sorted by stride, largest outermost) and normal_ draws element by element; we do the same
// into a buffer and scatter it.
#include <mutex>
#include <vector>

#include "../dtype_dispatch.h"
#include "../tensor_impl.h"
#include "cpu_backend.h"
#include "ember/random.h"
#include "random_fill.h"

namespace ember {

using namespace cpu_random;

namespace {

CpuGenerator& default_cpu_generator() { return static_cast<CpuBackend&>(cpu_backend()).generator(); }

}  // namespace

static_assert(CpuGenerator::kStateSize == kRngStateSize, "random.h documents the generator's layout");

Tensor get_rng_state() {
  Tensor state = empty({kRngStateSize}, kLong);
  std::lock_guard<std::mutex> lock(generator_mutex());
  default_cpu_generator().get_state(state.data_ptr<int64_t>());
  return state;
}

void set_rng_state(const Tensor& state) {
  EMBER_CHECK(state.defined(), "set_rng_state: the state tensor is undefined");
  EMBER_CHECK(state.dtype() == kLong && state.dim() == 1 && state.numel() == kRngStateSize,
              "set_rng_state: expected a 1-D int64 tensor of ", kRngStateSize, " words (from get_rng_state()), got ",
              describe(state));
  const Tensor words = state.to(Device(kCPU)).contiguous();
  std::lock_guard<std::mutex> lock(generator_mutex());
  default_cpu_generator().set_state(words.data_ptr<int64_t>(), "set_rng_state");
}

void CpuBackend::manual_seed(uint64_t seed) {
  std::lock_guard<std::mutex> lock(generator_mutex());
  gen_.seed(seed);
}

void CpuBackend::randperm(int64_t* out, int64_t n) {
  std::lock_guard<std::mutex> lock(generator_mutex());
  gen_.randperm(out, n);
}

void CpuBackend::uniform(const Tensor& out, double low, double high) {
  dispatch_floating(out.dtype(), "uniform_", [&](auto tag) {
    using T = typename decltype(tag)::type;
    fill_tensor<T>(out, [&](T* p, int64_t n, bool) { gen_.uniform(p, n, low, high); });
  });
}

void CpuBackend::normal(const Tensor& out, double mean, double std) {
  dispatch_floating(out.dtype(), "normal_", [&](auto tag) {
    using T = typename decltype(tag)::type;
    fill_tensor<T>(out, [&](T* p, int64_t n, bool contiguous) {
      if (contiguous) gen_.normal(p, n, mean, std);
      else gen_.normal_serial(p, n, mean, std);
    });
  });
}

void CpuBackend::randint(const Tensor& out, int64_t low, int64_t high) {
  EMBER_CHECK(low < high, "random_: expects 'from' to be less than 'to', but got from=", low, " >= to=", high, " for ",
              describe(out));
  dispatch_numeric(out.dtype(), "random_", [&](auto tag) {
    using T = typename decltype(tag)::type;
    fill_tensor<T>(out, [&](T* p, int64_t n, bool) { gen_.randint(p, n, low, high); });
  });
}

}  // namespace ember
