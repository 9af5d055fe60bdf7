// Times mm, conv2d, the activations and a few Tensor conveniences (cumsum, logsumexp, ...), forward + backward, at the
// tutorial's batch-64 shapes, and the indexing ops (gather, scatter, index, masked_select; forward only) at 1e4-1e7
// elements, and prints one line per case: "name median_ms". tools/bench_ops.py runs it beside PyTorch and prints
// ratios. usage: bench_ops [--threads T] [--device cpu|cuda] [--repeats N] [--case NAME] [--clock wall|cpu]
// --case times just that case (tools/bench_ops.py runs one case at a time, right after PyTorch's).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "bench_timing.h"
#include "ember/ember.h"

using ember::Tensor;
namespace F = ember::nn::functional;

static double median_ms(const std::function<void()>& step, int repeats, ember::Device dev) {
  return ember_bench::timed_ms(step, repeats, /*warmups=*/3, dev)[size_t(repeats) / 2];
}

int main(int argc, char** argv) {
  int threads = 2, repeats = 10;
  std::string device = "cpu", only;  // only: the one case to time, or all
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--threads")) threads = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--device")) device = argv[i + 1];
    else if (!std::strcmp(argv[i], "--repeats")) repeats = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--case")) only = argv[i + 1];
    else if (!std::strcmp(argv[i], "--clock")) ember_bench::cpu_clock = !std::strcmp(argv[i + 1], "cpu");
    else {
      std::fprintf(stderr, "bench_ops: unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  try {
    ember::set_num_threads(threads);
    ember::Device dev(device);
    ember::manual_seed(0);
    auto opts = ember::TensorOptions(dev);
    auto param = [&](ember::IntArrayRef s) { return ember::randn(s, opts).requires_grad_(); };

    // One case: the median of forward + backward (with a gradient of ones), printed as "name ms".
    auto time_case = [&](const std::string& name, const std::function<Tensor()>& forward) {
      if (!only.empty() && name != only) return;
      const double ms = median_ms(
          [&] {
            Tensor y = forward();
            y.backward(ember::ones_like(y));
          },
          repeats, dev);
      std::printf("%s %.3f\n", name.c_str(), ms);
    };

    Tensor x = ember::randn({64, 3072}, opts), w = param({3072, 4000});
    time_case("mm_64x3072x4000", [&] { return x.mm(w); });

    Tensor img = ember::randn({64, 3, 32, 32}, opts), w1 = param({32, 3, 5, 5}), b1 = param({32});
    time_case("conv_3to32_5x5_pad2", [&] { return F::conv2d(img, w1, F::Conv2dFuncOptions().bias(b1).padding(2)); });

    Tensor h = ember::randn({64, 32, 32, 32}, opts).requires_grad_(), w2 = param({16, 32, 3, 3}), b2 = param({16});
    time_case("conv_32to16_3x3_pad1", [&] { return F::conv2d(h, w2, F::Conv2dFuncOptions().bias(b2).padding(1)); });

    // Activations on the hidden layer's (64, 32, 32, 32) output (tools/bench_ops.py's ACTIVATIONS).
    Tensor a = ember::randn({64, 32, 32, 32}, opts).requires_grad_();
    const std::vector<std::pair<const char*, std::function<Tensor(const Tensor&)>>> activations = {
        {"relu", [](const Tensor& t) { return ember::relu(t); }},
        {"silu", [](const Tensor& t) { return ember::silu(t); }},
        {"gelu", [](const Tensor& t) { return ember::gelu(t); }},
        {"gelu_tanh", [](const Tensor& t) { return ember::gelu(t, "tanh"); }},
        {"leaky_relu", [](const Tensor& t) { return ember::leaky_relu(t); }},
        {"elu", [](const Tensor& t) { return ember::elu(t); }},
        {"softplus", [](const Tensor& t) { return ember::softplus(t); }},
        {"mish", [](const Tensor& t) { return ember::mish(t); }},
        {"hardswish", [](const Tensor& t) { return ember::hardswish(t); }},
        {"sigmoid", [](const Tensor& t) { return ember::sigmoid(t); }},
        {"tanh", [](const Tensor& t) { return ember::tanh(t); }},
        {"selu", [](const Tensor& t) { return ember::selu(t); }},
        {"celu", [](const Tensor& t) { return ember::celu(t); }},
        {"logsigmoid", [](const Tensor& t) { return ember::log_sigmoid(t); }},
    };
    for (const auto& [name, fn] : activations) time_case(std::string(name) + "_64x32x32x32", [&] { return fn(a); });

    // The Tensor conveniences (issue 12) along the last dim of (256, 1024) (bench_ops.py's TENSORAPI).
    Tensor r = ember::randn({256, 1024}, opts).requires_grad_();
    time_case("cumsum_256x1024", [&] { return r.cumsum(1); });
    time_case("cumprod_256x1024", [&] { return r.cumprod(1); });
    time_case("logsumexp_256x1024", [&] { return r.logsumexp({1}); });
    time_case("norm_256x1024", [&] { return r.norm(2, {1}); });
    time_case("flip_256x1024", [&] { return r.flip({1}); });
    time_case("tan_256x1024", [&] { return r.tan(); });
    time_case("atan_256x1024", [&] { return r.atan(); });
    time_case("asinh_256x1024", [&] { return r.asinh(); });
    time_case("expm1_256x1024", [&] { return r.expm1(); });
    const Tensor shifted = r.detach() + 0.5;
    time_case("atan2_256x1024", [&] { return r.atan2(shifted); });
    time_case("div_floor_256x1024", [&] { return r.div(0.7, "floor"); });
    // Indexing, forward only, at n elements (tools/bench_ops.py's indexing_cases): gather and
    // scatter along the rows of (n / 100, 100), x[idx] and masked_select of a vector.
    auto time_forward = [&](const std::string& name, const std::function<Tensor()>& forward) {
      if (!only.empty() && name != only) return;
      std::printf("%s %.3f\n", name.c_str(), median_ms([&] { forward(); }, repeats, dev));
    };
    for (const auto& [tag, n] : std::vector<std::pair<const char*, int64_t>>{
             {"1e4", 10000}, {"1e5", 100000}, {"1e6", 1000000}, {"1e7", 10000000}}) {
      const std::string suffix = std::string("_") + tag;
      if (!only.empty() && only.size() > suffix.size() &&
          only.compare(only.size() - suffix.size(), suffix.size(), suffix))
        continue;  // another size's case: skip making its inputs
      Tensor m2 = ember::randn({n / 100, 100}, opts), src = ember::randn({n / 100, 100}, opts);
      Tensor idx2 = ember::randint(0, 100, {n / 100, 100}, ember::TensorOptions(ember::kLong).device(dev));
      Tensor v = ember::randn({n}, opts), mask = ember::rand({n}, opts) > 0.5;
      Tensor idx = ember::randint(0, n, {n}, ember::TensorOptions(ember::kLong).device(dev));
      time_forward("gather" + suffix, [&] { return m2.gather(1, idx2); });
      time_forward("scatter" + suffix, [&] { return m2.scatter(1, idx2, src); });
      time_forward("index" + suffix, [&] { return v.index({idx}); });
      time_forward("masked_select" + suffix, [&] { return v.masked_select(mask); });
    }
  } catch (const ember::Error& e) {
    std::fprintf(stderr, "bench_ops: %s\n", e.what());
    return 1;
  }
  return 0;
}
