// CpuBackend sampling entries: random_, the one-draw-per-element samplers, bernoulli_ with a
// tensor of probabilities, and multinomial. Each draws from the generator in torch 1.13's CPU
// order and with its word counts, and applies the shared rules of src/sampling_rules.h, so the
// values are torch's after the same manual_seed.
#include <algorithm>
#include <numeric>
#include <type_traits>
#include <vector>

#include "../dtype_dispatch.h"
#include "../sampling_rules.h"
#include "cpu_backend.h"
#include "random_fill.h"

namespace ember {

using namespace cpu_random;

namespace {

// A uniform in [0, 1) of T's mantissa: 24 bits of one word for float, 53 of two for double.
template <typename T>
T uniform01(CpuGenerator& gen) {
  T u;
  gen.uniform(&u, 1, 0.0, 1.0);
  return u;
}

}  // namespace

void CpuBackend::random_bits(const Tensor& out, int64_t low, uint64_t range) {
  dispatch_all(out.dtype(), "random_", [&](auto tag) {
    using T = typename decltype(tag)::type;
    fill_tensor<T>(out, [&](T* p, int64_t n, bool) {
      if constexpr (std::is_same_v<T, bool>) {
        for (int64_t i = 0; i < n; ++i) p[i] = ((gen_.random() % range + uint64_t(low)) & 1) != 0;
      } else {
        gen_.randint(p, n, low, int64_t(uint64_t(low) + range));  // wraps as torch's uint64 range does
      }
    });
  });
}

void CpuBackend::sample(Sampler kind, const Tensor& out, double a, double b) {
  dispatch_all(out.dtype(), "random sampling", [&](auto tag) {
    using T = typename decltype(tag)::type;
    // torch draws a double for every dtype (its kernels use the <double> distributions).
    fill_tensor<T>(out, [&](T* p, int64_t n, bool) {
      for (int64_t i = 0; i < n; ++i) {
        const double draw = draws_normal(kind) ? gen_.normal_double() : uniform01<double>(gen_);
        p[i] = static_cast<T>(sample_value(kind, draw, a, b));
      }
    });
  });
}

void CpuBackend::bernoulli(const Tensor& out, const Tensor& p) {
  if (out.numel() == 0) return;
  // torch walks out and p together in out's memory order: permute both so that order is
  // row-major, draw into the view (or a buffer when it is not dense) and copy back.
  const std::vector<int64_t> order = memory_order(out);
  const Tensor view = out.permute(order);
  const Tensor probs = p.permute(order).contiguous();
  const bool direct = view.is_contiguous();
  const Tensor target = direct ? view : make_empty(view.sizes(), out.dtype(), out.device(), "bernoulli_");
  const int64_t n = out.numel();
  dispatch_all(out.dtype(), "bernoulli_", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* o = target.data_ptr<T>();
    dispatch_floating(probs.dtype(), "bernoulli_", [&](auto ptag) {
      // float32 probabilities draw a float uniform (one word), float64 ones a double (two).
      using P = typename decltype(ptag)::type;
      const P* q = probs.data_ptr<P>();
      std::lock_guard<std::mutex> lock(generator_mutex());
      for (int64_t i = 0; i < n; ++i) o[i] = static_cast<T>(uniform01<P>(gen_) < q[i]);
    });
  });
  if (!direct) copy(view, target);
}

void CpuBackend::multinomial(const Tensor& out, const Tensor& probs, int64_t n, bool replacement) {
  const int64_t rows = probs.size(0), cats = probs.size(1);
  int64_t* o = out.data_ptr<int64_t>();
  const Tensor pc = probs.contiguous();
  dispatch_floating(probs.dtype(), "multinomial", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* p = pc.data_ptr<T>();
    if (!replacement) {
      // torch: q = exponential_(1) over the whole tensor in index order, scores p / q in T,
      // then each row's n best scores in descending order.
      std::vector<T> score(static_cast<size_t>(rows * cats));
      {
        std::lock_guard<std::mutex> lock(generator_mutex());
        for (auto& s : score) s = static_cast<T>(sample_value(Sampler::Exponential, uniform01<double>(gen_), 1, 0));
      }
      for (int64_t i = 0; i < rows * cats; ++i) score[i] = p[i] / score[i];
      std::vector<int64_t> idx(static_cast<size_t>(cats));
      for (int64_t r = 0; r < rows; ++r) {
        const T* s = score.data() + r * cats;
        std::iota(idx.begin(), idx.end(), int64_t(0));
        std::partial_sort(idx.begin(), idx.begin() + n, idx.end(),
                          [s](int64_t a, int64_t b) { return picked_before(s[a], a, s[b], b); });
        std::copy(idx.begin(), idx.begin() + n, o + r * n);
      }
      return;
    }
    // With replacement: one double uniform per sample, looked up in the row's normalised CDF.
    std::vector<T> cdf(static_cast<size_t>(cats));
    std::lock_guard<std::mutex> lock(generator_mutex());
    for (int64_t r = 0; r < rows; ++r) {
      multinomial_cdf(p + r * cats, 1, cats, cdf.data());
      for (int64_t j = 0; j < n; ++j) o[r * n + j] = multinomial_bucket(cdf.data(), cats, uniform01<double>(gen_));
    }
  });
}

}  // namespace ember
