// CudaBackend::bernoulli and ::multinomial: the draws come from the backend's Philox streams
// (uniform, sample in random.cu); the comparisons and multinomial's selection are the rules
// shared with the CPU (src/sampling_rules.h). One thread per row for multinomial: rows are
// independent and its loops are short next to the launch for the sizes language models sample.
#include "common.cuh"
#include "cuda/cuda_backend.h"
#include "dtype_dispatch.h"
#include "sampling_rules.h"

namespace ember {
namespace cuda_kernels {
namespace {

/// out[i] = u[i] < p[i] (all contiguous).
template <typename T, typename P>
__global__ void bernoulli_kernel(T* __restrict__ out, const P* __restrict__ u, const P* __restrict__ p, int64_t n) {
  const int64_t step = int64_t(blockDim.x) * gridDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step)
    out[i] = static_cast<T>(u[i] < p[i]);
}

/// Without replacement: row r's n best scores p / q (q exponential draws) in picked_before
/// order; each pick is the best candidate ordered after the previous one.
template <typename T>
__global__ void multinomial_pick_kernel(int64_t* __restrict__ out, const T* __restrict__ p, const T* __restrict__ q,
                                        int64_t rows, int64_t cats, int64_t n) {
  const int64_t r = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (r >= rows) return;
  const T* pr = p + r * cats;
  const T* qr = q + r * cats;
  int64_t prev = -1;
  T prev_score = 0;
  for (int64_t k = 0; k < n; ++k) {
    int64_t best = -1;
    T best_score = 0;
    for (int64_t j = 0; j < cats; ++j) {
      const T s = pr[j] / qr[j];
      if (prev >= 0 && !picked_before(prev_score, prev, s, j)) continue;
      if (best < 0 || picked_before(s, j, best_score, best)) {
        best = j;
        best_score = s;
      }
    }
    out[r * n + k] = best;
    prev = best;
    prev_score = best_score;
  }
}

/// With replacement: row r's CDF (in cdf's row) and one bucket per uniform.
template <typename T>
__global__ void multinomial_cdf_kernel(int64_t* __restrict__ out, const T* __restrict__ p, T* __restrict__ cdf,
                                       const double* __restrict__ u, int64_t rows, int64_t cats, int64_t n) {
  const int64_t r = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (r >= rows) return;
  T* c = cdf + r * cats;
  multinomial_cdf(p + r * cats, 1, cats, c);
  for (int64_t j = 0; j < n; ++j) out[r * n + j] = multinomial_bucket(c, cats, u[r * n + j]);
}

}  // namespace
}  // namespace cuda_kernels

void CudaBackend::bernoulli(const Tensor& out, const Tensor& p) {
  using namespace cuda_kernels;
  const int64_t n = out.numel();
  if (n == 0) return;
  const Tensor probs = p.contiguous();
  const Tensor u = make_empty(out.sizes(), probs.dtype(), out.device(), "bernoulli_");
  uniform(u, 0, 1);
  const Tensor target = out.is_contiguous() ? out : make_empty(out.sizes(), out.dtype(), out.device(), "bernoulli_");
  dispatch_all(out.dtype(), "bernoulli_", [&](auto tag) {
    using T = typename decltype(tag)::type;
    dispatch_floating(probs.dtype(), "bernoulli_", [&](auto ptag) {
      using P = typename decltype(ptag)::type;
      bernoulli_kernel<<<grid_for(n), kBlockSize, 0, current_stream()>>>(target.data_ptr<T>(), u.data_ptr<P>(),
                                                                         probs.data_ptr<P>(), n);
      EMBER_CUDA_LAUNCH_CHECK();
    });
  });
  if (!target.is_same(out)) copy(out, target);
}

void CudaBackend::multinomial(const Tensor& out, const Tensor& probs, int64_t n, bool replacement) {
  using namespace cuda_kernels;
  const int64_t rows = probs.size(0), cats = probs.size(1);
  const Tensor p = probs.contiguous();
  dispatch_floating(p.dtype(), "multinomial", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (!replacement) {
      const Tensor q = make_empty({rows, cats}, p.dtype(), p.device(), "multinomial");
      sample(Sampler::Exponential, q, 1, 0);
      multinomial_pick_kernel<<<grid_for(rows), kBlockSize, 0, current_stream()>>>(
          out.data_ptr<int64_t>(), p.data_ptr<T>(), q.data_ptr<T>(), rows, cats, n);
    } else {
      const Tensor u = make_empty({rows, n}, kDouble, p.device(), "multinomial");
      uniform(u, 0, 1);
      const Tensor cdf = make_empty({rows, cats}, p.dtype(), p.device(), "multinomial");
      multinomial_cdf_kernel<<<grid_for(rows), kBlockSize, 0, current_stream()>>>(
          out.data_ptr<int64_t>(), p.data_ptr<T>(), cdf.data_ptr<T>(), u.data_ptr<double>(), rows, cats, n);
    }
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

}  // namespace ember
