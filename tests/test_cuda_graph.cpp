// CUDA graphs (ember::cuda::CUDAGraph, docs/cuda_graphs.md): a captured SGD step, replayed on
// new batches copied into static inputs, trains exactly as the same steps run eagerly (Module
// API with momentum and Nesterov, and barebones updates); errors inside a capture end it and
// leave ember usable; the graph's private memory returns to the cache on reset. Without a GPU
// the [cuda] cases skip, and a plain case checks that every CUDAGraph method explains why it
// cannot work.
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "helpers.h"

#include "../tools/cifar_models.h"
#include "ember/determinism.h"
#include "ember/ember.h"

using namespace ember;
using namespace ember_test;
namespace F = ember::nn::functional;

namespace {

const Device kGpu(kCUDA);

/// Memory that ember keeps for good once used (the cuBLAS workspace, which capture_begin() also
/// makes sure of) is allocated before a test takes its baseline of memory_allocated().
void warm_workspace() {
  (void)ones({2, 2}, kGpu).mm(ones({2, 2}, kGpu)).sum().item<float>();
  cuda::synchronize();
}

using StepFn = std::function<Tensor(const Tensor& x, const Tensor& y)>;

struct Batches {
  std::vector<Tensor> x, y;
};

/// `count` batches of 8 images 3x8x8 and labels in [0, 5), on the GPU (made before any capture).
Batches make_batches(int count) {
  manual_seed(123);
  Batches b;
  for (int i = 0; i < count; ++i) {
    b.x.push_back(randn({8, 3, 8, 8}).to(kGpu));
    b.y.push_back(randint(0, 5, {8}).to(kGpu));
  }
  return b;
}

constexpr int kSteps = 6;  // one eager warm-up step, then the captured step and 4 more replays

/// Every step eagerly; the losses of each.
std::vector<double> train_eager(const StepFn& step, const Batches& b) {
  std::vector<double> losses;
  for (int i = 0; i < kSteps; ++i) losses.push_back(step(b.x[size_t(i)], b.y[size_t(i)]).item<double>());
  return losses;
}

std::vector<void*> grad_addresses(const std::vector<Tensor>& params) {
  std::vector<void*> out;
  for (const Tensor& p : params) out.push_back(p.grad().defined() ? p.grad().data_ptr() : nullptr);
  return out;
}

/// One eager warm-up step (it creates the gradients and momentum buffers), then the step captured
/// on static inputs and replayed for every later batch, as tools/train_cifar.cpp does.
std::vector<double> train_graph(const StepFn& step, const Batches& b, const std::vector<Tensor>& params) {
  std::vector<double> losses;
  losses.push_back(step(b.x[0], b.y[0]).item<double>());
  const std::vector<void*> grads_before = grad_addresses(params);
  for (void* g : grads_before) REQUIRE(g != nullptr);

  Tensor x_static = b.x[1].clone(), y_static = b.y[1].clone(), loss_static;
  cuda::CUDAGraph graph;
  graph.capture_begin();
  REQUIRE(cuda::is_capturing());
  loss_static = step(x_static, y_static);
  graph.capture_end();
  REQUIRE_FALSE(cuda::is_capturing());
  REQUIRE(graph.is_captured());
  for (int i = 1; i < kSteps; ++i) {
    if (i > 1) {
      x_static.copy_(b.x[size_t(i)]);
      y_static.copy_(b.y[size_t(i)]);
    }
    graph.replay();
    losses.push_back(loss_static.item<double>());
  }
  // The replays updated the very gradient buffers the eager step created.
  REQUIRE(grad_addresses(params) == grads_before);
  return losses;
}

/// Losses equal, parameters equal: bitwise when `exact`, else within float32 round-off of
/// run-to-run differences (cuDNN may pick algorithms that accumulate with atomics).
void same_training(const std::vector<double>& eager_losses, const std::vector<Tensor>& eager_params,
                   const std::vector<double>& graph_losses, const std::vector<Tensor>& graph_params, bool exact) {
  REQUIRE(eager_losses.size() == graph_losses.size());
  for (size_t i = 0; i < eager_losses.size(); ++i) {
    INFO("step " << i << ": eager loss " << eager_losses[i] << ", graph loss " << graph_losses[i]);
    if (exact) {
      REQUIRE(eager_losses[i] == graph_losses[i]);
    } else {
      REQUIRE(std::abs(eager_losses[i] - graph_losses[i]) <= 1e-5 * (1 + std::abs(eager_losses[i])));
    }
  }
  REQUIRE(eager_params.size() == graph_params.size());
  for (size_t i = 0; i < eager_params.size(); ++i) {
    INFO("parameter " << i);
    if (exact) {
      require_equal(graph_params[i].detach().cpu(), eager_params[i].detach().cpu());
    } else {
      require_close(graph_params[i].detach().cpu(), eager_params[i].detach().cpu(), 1e-5, 1e-6);
    }
  }
  // The training moved the parameters (the comparison is not vacuous).
  REQUIRE(eager_losses.front() != eager_losses.back());
}

/// Two copies of one net (each from `make`), trained with the tutorial's Module SGD step
/// (tools/cifar_models.h) under `sgd`: one eagerly, one by a captured step replayed; they must
/// agree as same_training says.
void same_module_training(const std::function<nn::Sequential()>& make, const cifar::Hyper& sgd, const Batches& b,
                          bool exact) {
  nn::Sequential eager_net = make();
  const std::vector<double> eager_losses = train_eager(cifar::module_training(eager_net, sgd).step, b);
  nn::Sequential graph_net = make();
  const std::vector<double> graph_losses =
      train_graph(cifar::module_training(graph_net, sgd).step, b, graph_net->parameters());
  same_training(eager_losses, eager_net->parameters(), graph_losses, graph_net->parameters(), exact);
}

nn::Sequential small_convnet() {
  manual_seed(7);  // both copies start from the same parameters
  nn::Sequential net(nn::Conv2d(nn::Conv2dOptions(3, 4, 3).padding(1)), nn::ReLU(),
                     nn::Conv2d(nn::Conv2dOptions(4, 6, 3).padding(1)), nn::ReLU(), nn::Flatten(),
                     nn::Linear(6 * 8 * 8, 5));
  net->to(kGpu);
  return net;
}

/// The barebones parameters {w1, b1, w2, b2, fc_w, fc_b} of a small conv net, as leaves on the GPU.
std::vector<Tensor> barebones_params() {
  manual_seed(11);
  std::vector<Tensor> cpu = {randn({4, 3, 3, 3}) * 0.3,    zeros({4}), randn({6, 4, 3, 3}) * 0.2, zeros({6}),
                             randn({6 * 8 * 8, 5}) * 0.05, zeros({5})};
  std::vector<Tensor> out;
  for (const Tensor& t : cpu) out.push_back(t.to(kGpu).requires_grad_());
  return out;
}

/// The tutorial's barebones step: forward, backward, then w -= lr * w.grad(); w.grad().zero_().
StepFn barebones_step(std::vector<Tensor> p, double lr) {
  return [p, lr](const Tensor& x, const Tensor& y) {
    Tensor h = F::relu(F::conv2d(x, p[0], F::Conv2dFuncOptions().bias(p[1]).padding(1)));
    h = F::relu(F::conv2d(h, p[2], F::Conv2dFuncOptions().bias(p[3]).padding(1)));
    Tensor loss = F::cross_entropy(h.view({h.size(0), -1}).mm(p[4]) + p[5], y);
    loss.backward();
    NoGradGuard no_grad;
    for (const Tensor& w : p) {
      w.sub_(w.grad(), lr);
      w.grad().zero_();
    }
    return loss;
  };
}

}  // namespace

TEST_CASE("cuda graphs: without a GPU every CUDAGraph method throws and says why", "[cuda_graph]") {
  if (cuda::is_available()) {
    SUCCEED("a GPU is usable: the [cuda] cases cover CUDAGraph");
    return;
  }
  cuda::CUDAGraph graph;  // constructing and destroying one is always fine
  REQUIRE_FALSE(graph.is_captured());
  REQUIRE_FALSE(cuda::is_capturing());
  const std::string why = cuda::unavailable_reason();
  REQUIRE(contains(error_message([&] { graph.capture_begin(); }), why));
  REQUIRE_THROWS_AS(graph.capture_end(), Error);
  REQUIRE_THROWS_AS(graph.replay(), Error);
  REQUIRE_THROWS_AS(graph.capture([] {}), Error);
  if (contains(why, "built without CUDA")) {
    for (auto f : std::vector<std::function<void()>>{[&] { graph.capture_begin(); }, [&] { graph.capture_end(); },
                                                     [&] { graph.replay(); }, [&] { graph.reset(); }})
      REQUIRE(contains(error_message(f), "built without CUDA"));
  }
  REQUIRE_FALSE(cuda::is_capturing());
}

TEST_CASE("cuda graphs: a replayed Module SGD step (momentum, Nesterov) trains as eager steps do", "[cuda]") {
  EMBER_REQUIRE_CUDA();
  DeterministicScope deterministic;
  const Batches b = make_batches(kSteps);
  same_module_training(small_convnet, {/*lr=*/0.05, /*momentum=*/0.9, /*nesterov=*/true}, b, /*exact=*/false);
  cuda::synchronize();
}

TEST_CASE("cuda graphs: a replayed barebones SGD step trains as eager steps do", "[cuda]") {
  EMBER_REQUIRE_CUDA();
  DeterministicScope deterministic;
  const Batches b = make_batches(kSteps);
  const std::vector<Tensor> eager_params = barebones_params();
  const std::vector<double> eager_losses = train_eager(barebones_step(eager_params, 0.05), b);
  const std::vector<Tensor> graph_params = barebones_params();
  const std::vector<double> graph_losses = train_graph(barebones_step(graph_params, 0.05), b, graph_params);
  same_training(eager_losses, eager_params, graph_losses, graph_params, /*exact=*/false);
}

TEST_CASE("cuda graphs: a replayed fully connected step gives the eager bits", "[cuda]") {
  EMBER_REQUIRE_CUDA();
  // No convolution: cuBLAS GEMMs, pointwise kernels, reductions and the fused SGD step are all
  // deterministic, so a replay must reproduce the eager steps bit for bit.
  const Batches b = make_batches(kSteps);
  auto make = [] {
    manual_seed(5);
    nn::Sequential net(nn::Flatten(), nn::Linear(3 * 8 * 8, 32), nn::ReLU(), nn::Linear(32, 5));
    net->to(kGpu);
    return net;
  };
  same_module_training(make, {/*lr=*/0.1, /*momentum=*/0.9, /*nesterov=*/false}, b, /*exact=*/true);
}

TEST_CASE("cuda graphs: a mean cross entropy with ignored targets is captured with a device-side count", "[cuda]") {
  EMBER_REQUIRE_CUDA();
  // During a capture the host cannot count the targets that are not ignored; the count stays on
  // the device and must give the eager loss and gradient.
  manual_seed(3);
  const Tensor logits_cpu = randn({6, 4});
  const Tensor target = tensor({1, -100, 3, 0, -100, 2}, kLong).to(kGpu);
  const Tensor eager_in = logits_cpu.to(kGpu).requires_grad_();
  Tensor eager_loss = F::cross_entropy(eager_in, target);
  eager_loss.backward();

  const Tensor graph_in = logits_cpu.to(kGpu).requires_grad_();
  Tensor graph_loss;
  cuda::CUDAGraph graph;
  graph.capture([&] {
    graph_loss = F::cross_entropy(graph_in, target);
    graph_loss.backward();
  });
  graph.replay();
  REQUIRE(graph_loss.item<double>() == eager_loss.item<double>());
  require_equal(graph_in.grad().cpu(), eager_in.grad().cpu());
}

TEST_CASE("cuda graphs: item() inside a capture throws, ends the capture, and ember stays usable", "[cuda]") {
  EMBER_REQUIRE_CUDA();
  const Tensor x = ones({16}, kGpu);
  cuda::CUDAGraph graph;
  graph.capture_begin();
  const Tensor y = x * 3;
  const std::string msg = error_message([&] { (void)y.sum().item<float>(); });
  INFO(msg);
  REQUIRE(contains(msg, "CUDA graph"));
  REQUIRE(contains(msg, "item()"));
  REQUIRE_FALSE(cuda::is_capturing());  // the error ended the capture
  require_throws_with([&] { graph.capture_end(); }, {"capture_end", "aborted", "item()"});
  REQUIRE_FALSE(graph.is_captured());
  // Eager work runs again, and the graph can capture anew.
  REQUIRE((x * 2).sum().item<float>() == 32.0f);
  Tensor out;
  graph.capture([&] { out = x * 5; });
  graph.replay();
  REQUIRE(out.sum().item<float>() == 80.0f);
}

TEST_CASE("cuda graphs: random ops, host copies and synchronize cannot be captured", "[cuda]") {
  EMBER_REQUIRE_CUDA();
  cuda::CUDAGraph graph;
  graph.capture_begin();
  require_throws_with([&] { (void)randn({8}, kGpu); }, {"random ops cannot be captured yet", "repeat on replay"});
  REQUIRE_FALSE(cuda::is_capturing());
  REQUIRE_THROWS_AS(graph.capture_end(), Error);

  graph.capture_begin();
  require_throws_with([&] { (void)tensor({1.0f, 2.0f}).to(kGpu); }, {"host", "CUDA graph"});
  REQUIRE_FALSE(cuda::is_capturing());
  graph.reset();  // after an abort, reset() is a no-op too

  graph.capture_begin();
  require_throws_with([] { cuda::synchronize(); }, {"synchronize", "CUDA graph"});
  REQUIRE_FALSE(cuda::is_capturing());
  graph.reset();

  // An ordinary error in the body of capture() discards the capture before it propagates.
  const Tensor a = ones({2, 3}, kGpu);
  REQUIRE_THROWS_AS(graph.capture([&] { (void)a.mm(a); }), Error);
  REQUIRE_FALSE(cuda::is_capturing());
  REQUIRE_FALSE(graph.is_captured());

  // Misuse of the object itself.
  REQUIRE_THROWS_AS(graph.replay(), Error);
  REQUIRE_THROWS_AS(graph.capture_end(), Error);
  graph.capture_begin();
  cuda::CUDAGraph other;
  require_throws_with([&] { other.capture_begin(); }, {"already being captured"});
  require_throws_with([&] { graph.capture_begin(); }, {"call reset()"});
  const Tensor doubled = a * 2;
  graph.capture_end();
  require_throws_with([&] { graph.capture_begin(); }, {"call reset()"});
  graph.replay();
  graph.reset();
  require_equal(doubled.cpu(), ones({2, 3}) * 2);
  REQUIRE((a * 2).sum().item<float>() == 12.0f);
}

TEST_CASE("cuda graphs: the private pool survives empty_cache and returns to the cache on reset", "[cuda]") {
  EMBER_REQUIRE_CUDA();
  warm_workspace();
  cuda::empty_cache();
  const int64_t a0 = cuda::memory_allocated();
  {
    Tensor x = ones({1 << 20}, kGpu);  // 4 MiB, allocated before the capture
    Tensor out;
    cuda::CUDAGraph graph;
    // The temporaries (x * 2, + 1) are freed inside the capture: they stay in the graph's pool.
    graph.capture([&] { out = (x * 2 + 1).sum(); });
    REQUIRE(cuda::memory_allocated() >= a0 + (int64_t(4) << 20));
    graph.replay();
    REQUIRE(out.item<float>() == 3.0f * float(1 << 20));
    // empty_cache must leave the pool alone: the replay below writes into it again.
    cuda::empty_cache();
    REQUIRE(cuda::memory_reserved() > cuda::memory_allocated());
    x.fill_(2);
    graph.replay();
    REQUIRE(out.item<float>() == 5.0f * float(1 << 20));
    // A second capture on the same object after reset.
    graph.reset();
    graph.capture([&] { out = (x * 3).sum(); });
    graph.replay();
    REQUIRE(out.item<float>() == 6.0f * float(1 << 20));
    out = Tensor();  // the graph's output lives in its pool; freed before the graph
  }
  REQUIRE(cuda::memory_allocated() == a0);
  cuda::empty_cache();
  REQUIRE(cuda::memory_reserved() == cuda::memory_allocated());
  REQUIRE(cuda::memory_allocated() == a0);
}

TEST_CASE("cuda graphs: outputs that outlive the graph stay valid and are freed later", "[cuda]") {
  EMBER_REQUIRE_CUDA();
  warm_workspace();
  const int64_t a0 = cuda::memory_allocated();
  const Tensor x = full({1000}, 2.0, kGpu);
  Tensor out;
  {
    cuda::CUDAGraph graph;
    graph.capture([&] { out = x * x; });
    graph.replay();
  }  // the graph is gone; out still holds its block
  REQUIRE(out.sum().item<float>() == 4000.0f);
  const Tensor other = zeros({1000}, kGpu);  // must not receive out's block
  REQUIRE(other.data_ptr() != out.data_ptr());
  REQUIRE(out.sum().item<float>() == 4000.0f);
  out = Tensor();
  REQUIRE(cuda::memory_allocated() == a0 + 2 * 4096);  // x and other: 4000 bytes round to 4096
}
