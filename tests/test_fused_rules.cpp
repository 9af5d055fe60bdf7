// The scalar rules of the fused ops (src/functors.h), shared by the CPU loops and the CUDA
// kernels: the SGD element update computes the same bits on both devices (every multiply and add
// rounded on its own, no FMA contraction on either side), and a cross-entropy target outside the
// classes is an ember::Error on every device (docs/architecture.md, "bad targets").
#include <cmath>
#include <vector>

#include "catch.h"
#include "ember/functional.h"
#include "ember/optim.h"
#include "helpers.h"

using namespace ember;
using ember_test::require_equal;
using ember_test::require_throws_with;
namespace F = ember::nn::functional;

namespace {

struct SgdCase {
  const char* name;
  optim::SGDOptions options;
};

std::vector<SgdCase> sgd_cases() {
  return {
      {"plain", optim::SGDOptions(0.1)},
      {"weight decay", optim::SGDOptions(0.05).weight_decay(0.01)},
      {"momentum", optim::SGDOptions(0.1).momentum(0.9)},
      {"momentum with dampening", optim::SGDOptions(0.1).momentum(0.9).dampening(0.3)},
      {"nesterov", optim::SGDOptions(0.1).momentum(0.9).nesterov(true)},
      {"nesterov with weight decay", optim::SGDOptions(0.03).momentum(0.8).nesterov(true).weight_decay(1e-3)},
      {"momentum with weight decay", optim::SGDOptions(0.07).momentum(0.95).weight_decay(5e-4)},
  };
}

/// Runs `steps` SGD steps on `device` from the CPU tensors `init`, with the CPU gradients
/// grads[step][param]; returns the parameters on the CPU.
std::vector<Tensor> sgd_run(Device device, const std::vector<Tensor>& init,
                            const std::vector<std::vector<Tensor>>& grads, const optim::SGDOptions& o) {
  std::vector<Tensor> params;
  for (const Tensor& t : init) params.push_back(t.to(device).clone().requires_grad_());
  optim::SGD sgd(params, o);
  for (const auto& step : grads) {
    for (size_t i = 0; i < params.size(); ++i) params[i].mutable_grad() = step[i].to(device).clone();
    sgd.step();
  }
  std::vector<Tensor> out;
  for (const Tensor& p : params) out.push_back(p.detach().cpu());
  return out;
}

}  // namespace

TEST_CASE("sgd: CPU and CUDA steps agree bit for bit (momentum, nesterov, weight decay)", "[cuda][optim]") {
  EMBER_REQUIRE_CUDA();
  manual_seed(5);
  // One parameter past the CPU loop's OpenMP threshold (65536), one tiny, one odd-sized.
  const std::vector<std::vector<int64_t>> shapes = {{300, 257}, {7}, {33, 5}};
  for (ScalarType dt : {kFloat, kDouble}) {
    std::vector<Tensor> init;
    for (const auto& s : shapes) init.push_back(randn(s, TensorOptions(dt)));
    std::vector<std::vector<Tensor>> grads(4);
    for (auto& step : grads)
      for (const auto& s : shapes) step.push_back(randn(s, TensorOptions(dt)));
    for (const SgdCase& c : sgd_cases()) {
      INFO(c.name << ", " << dt);
      const auto on_cpu = sgd_run(kCPU, init, grads, c.options);
      const auto on_cuda = sgd_run(kCUDA, init, grads, c.options);
      for (size_t i = 0; i < init.size(); ++i) {
        INFO("parameter " << i);
        require_equal(on_cuda[i], on_cpu[i]);
      }
    }
  }
}

TEST_CASE("cross_entropy and nll_loss: an out-of-range target is an Error naming the op and the target", "[loss]") {
  for (Device d : ember_test::test_devices()) {
    INFO(d);
    const Tensor logits = randn({3, 4}, TensorOptions(kFloat).device(d));
    const Tensor high = ember::tensor({0, 4, 1}, TensorOptions(kLong).device(d));
    const Tensor low = ember::tensor({0, -2, 1}, TensorOptions(kLong).device(d));
    require_throws_with([&] { (void)F::cross_entropy(logits, high); },
                        {"cross_entropy: target 4 is out of bounds for 4 classes"});
    require_throws_with([&] { (void)F::cross_entropy(logits, low); }, {"cross_entropy: target -2 is out of bounds"});
    require_throws_with(
        [&] { (void)F::cross_entropy(logits, high, F::CrossEntropyFuncOptions().label_smoothing(0.1)); },
        {"target 4 is out of bounds"});
    require_throws_with([&] { (void)F::nll_loss(F::log_softmax(logits, 1), high); },
                        {"nll_loss: target 4 is out of bounds"});
    // ignore_index is not a class and is not out of range.
    const Tensor ignored = ember::tensor({0, -100, 1}, TensorOptions(kLong).device(d));
    CHECK(std::isfinite(F::cross_entropy(logits, ignored).item<double>()));
  }
}

TEST_CASE("cross_entropy in a CUDA graph capture: a bad target poisons its row with NaN, not memory", "[cuda]") {
  EMBER_REQUIRE_CUDA();
  // The one place the front half cannot check targets (it would have to read them on the host
  // during a capture): the shared row rule (target_kind) turns the bad row's loss and gradient
  // into NaN and leaves the other rows exact.
  manual_seed(4);
  const Tensor logits_cpu = randn({4, 5}, TensorOptions(kDouble));
  const Tensor good = ember::tensor({1, 2, 3, 0}, TensorOptions(kLong).device(kCUDA));
  const Tensor bad = ember::tensor({1, 7, 3, -100}, TensorOptions(kLong).device(kCUDA));
  const Tensor eager_in = logits_cpu.to(kCUDA).requires_grad_();
  const auto options = F::CrossEntropyFuncOptions().reduction(kNone).label_smoothing(0.1);
  const Tensor eager = F::cross_entropy(eager_in, good, options).cpu();
  F::cross_entropy(eager_in, good, options).sum().backward();

  const Tensor graph_in = logits_cpu.to(kCUDA).requires_grad_();
  Tensor losses;
  cuda::CUDAGraph graph;
  graph.capture([&] {
    losses = F::cross_entropy(graph_in, bad, options);
    losses.sum().backward();
  });
  graph.replay();
  const Tensor l = losses.cpu(), g = graph_in.grad().cpu(), eager_g = eager_in.grad().cpu();
  CHECK(std::isnan(l[1].item<double>()));  // class 7 of 5
  CHECK(l[3].item<double>() == 0.0);       // ignored
  for (int64_t row : {0, 2}) {             // untouched by the bad row
    CHECK(l[row].item<double>() == eager[row].item<double>());
    require_equal(g[row], eager_g[row]);
  }
  for (int64_t j = 0; j < 5; ++j) {
    CHECK(std::isnan(g[1][j].item<double>()));
    CHECK(g[3][j].item<double>() == 0.0);
  }
}
