// Deterministic mode on CUDA (docs/determinism.md): with ember::set_deterministic(true), the
// kernels that would otherwise add with float atomics or pick a non-deterministic cuDNN
// algorithm give the same bits on every run. Each case runs the same work twice on the GPU and
// compares bit for bit; where the deterministic kernel adds in the CPU's order (index_add,
// max_pool2d backward) it also compares with the CPU bit for bit. Every case skips without a
// usable GPU.
//
// Run with EMBER_CUDNN_DISABLE=1 in the environment to check the im2col convolution path of a
// cuDNN build as well.
#include <functional>
#include <vector>

#include "catch.h"
#include "ember/determinism.h"
#include "ember/ember.h"
#include "helpers.h"

using namespace ember;
using namespace ember_test;
namespace F = ember::nn::functional;
using V = std::vector<Tensor>;

namespace {

/// Runs fn on fresh copies of `inputs` (CPU tensors) on `device`, backpropagates `upstream`,
/// and returns the output followed by the gradient of every floating input, all on the CPU.
V forward_backward(const std::function<Tensor(const V&)>& fn, const V& inputs, const Tensor& upstream, Device device) {
  const V on_device = ember_test::copies_on(inputs, device, /*requires_grad=*/true);
  const Tensor y = fn(on_device);
  y.backward(upstream.to(device));
  V result{y.detach().cpu()};
  for (const Tensor& t : on_device)
    if (t.is_floating_point()) result.push_back(t.grad().cpu());
  return result;
}

/// Two GPU runs of fn must agree bit for bit; with `cpu_exact`, the CPU's results too, else the
/// CPU's within a float32 tolerance scaled to the largest value.
void check_repeatable(const std::function<Tensor(const V&)>& fn, const V& inputs, bool cpu_exact) {
  const Tensor probe = fn(inputs);  // the output shape, on the CPU
  const Tensor upstream = randn(probe.sizes(), TensorOptions(probe.dtype()));
  const V first = forward_backward(fn, inputs, upstream, kCUDA);
  const V second = forward_backward(fn, inputs, upstream, kCUDA);
  const V cpu = forward_backward(fn, inputs, upstream, kCPU);
  REQUIRE(first.size() == second.size());
  for (size_t i = 0; i < first.size(); ++i) {
    INFO((i == 0 ? std::string("the output") : "the gradient of floating input " + std::to_string(i - 1)));
    require_equal(second[i], first[i]);
    if (cpu_exact) {
      require_equal(first[i], cpu[i]);
    } else {
      const double atol = first[i].dtype() == kFloat ? 1e-4 : 1e-10;
      require_close_scaled(first[i], cpu[i], {atol, atol});
    }
  }
}

}  // namespace

TEST_CASE("cuda determinism: conv2d gradients are bitwise repeatable", "[cuda][determinism]") {
  EMBER_REQUIRE_CUDA();
  manual_seed(3);
  struct Case {
    int64_t n, c, hw, cout, k, stride, pad, dilation;
  };
  // Shapes where cuDNN's fastest backward algorithms accumulate with atomics (many images
  // summed into each weight; strided backward data), plus a dilated one.
  const std::vector<Case> cases = {
      {32, 16, 32, 32, 3, 1, 1, 1}, {16, 8, 33, 16, 3, 2, 1, 1}, {8, 4, 20, 8, 5, 1, 2, 2}, {64, 3, 16, 8, 3, 1, 1, 1}};
  for (const Case& c : cases) {
    INFO("input [" << c.n << ", " << c.c << ", " << c.hw << ", " << c.hw << "], " << c.cout << " filters of " << c.k
                   << "x" << c.k << ", stride " << c.stride << ", padding " << c.pad << ", dilation " << c.dilation);
    const V inputs = {randn({c.n, c.c, c.hw, c.hw}), randn({c.cout, c.c, c.k, c.k}) * 0.2, randn({c.cout})};
    auto conv = [&](const V& t) {
      return F::conv2d(t[0], t[1],
                       F::Conv2dFuncOptions().bias(t[2]).stride(c.stride).padding(c.pad).dilation(c.dilation));
    };
    {
      // Mode off first, so that a cached non-deterministic choice would be found if the mode
      // were missing from the algorithm cache key.
      const Tensor probe = conv(inputs);
      forward_backward(conv, inputs, randn(probe.sizes()), kCUDA);
    }
    DeterministicScope deterministic;
    check_repeatable(conv, inputs, /*cpu_exact=*/false);
  }
}

TEST_CASE("cuda determinism: index_select backward with repeated indices is bitwise repeatable",
          "[cuda][determinism]") {
  EMBER_REQUIRE_CUDA();
  manual_seed(5);
  DeterministicScope deterministic;
  // The deterministic index_add adds each destination's slices in index order, as the CPU does,
  // so the CPU's bits are expected too.
  SECTION("a DataLoader-sized batch: 64 indices (with repeats) into 49000 rows, float32") {
    const Tensor x = randn({49000, 3, 4, 4});
    Tensor idx = randint(0, 40, {64}, kLong);
    check_repeatable([&](const V& t) { return t[0].index_select(0, idx.to(t[0].device())); }, {x}, true);
  }
  SECTION("a short index along a middle dim, float64") {
    const Tensor x = randn({3, 50, 7}, TensorOptions(kDouble));
    const Tensor idx = randint(0, 10, {100}, kLong);
    check_repeatable([&](const V& t) { return t[0].index_select(1, idx.to(t[0].device())); }, {x}, true);
  }
  SECTION("a long index (sorted path): 5000 indices into 300 rows, float32") {
    const Tensor x = randn({300, 16});
    const Tensor idx = randint(0, 300, {5000}, kLong);
    check_repeatable([&](const V& t) { return t[0].index_select(0, idx.to(t[0].device())); }, {x}, true);
  }
  SECTION("a long index along a middle dim with one very hot row, float32 and float64") {
    for (ScalarType dtype : {kFloat, kDouble}) {
      const Tensor x = randn({4, 1000, 9}, TensorOptions(dtype));
      Tensor idx = randint(0, 1000, {3000}, kLong);
      idx.narrow(0, 0, 1000).fill_(7);  // a third of the entries hit row 7
      check_repeatable([&](const V& t) { return t[0].index_select(1, idx.to(t[0].device())); }, {x}, true);
    }
  }
}

TEST_CASE("cuda determinism: max_pool2d backward with overlapping windows is bitwise repeatable",
          "[cuda][determinism]") {
  EMBER_REQUIRE_CUDA();
  manual_seed(7);
  DeterministicScope deterministic;
  struct Case {
    int64_t k, stride, pad, dilation;
    bool ceil;
    int64_t h, w;
  };
  const std::vector<Case> cases = {{3, 1, 0, 1, false, 13, 11},
                                   {3, 2, 1, 1, false, 13, 11},
                                   {3, 2, 1, 1, true, 13, 11},
                                   {2, 2, 0, 1, false, 13, 11},
                                   {2, 1, 1, 2, false, 13, 11},
                                   {5, 3, 2, 1, true, 13, 11},
                                   // a window whose taps miss every column (the per-plane kernel)
                                   {2, 2, 1, 3, false, 10, 2}};
  for (const Case& c : cases) {
    for (ScalarType dtype : {kFloat, kDouble}) {
      INFO("kernel " << c.k << ", stride " << c.stride << ", padding " << c.pad << ", dilation " << c.dilation
                     << (c.ceil ? ", ceil_mode" : "") << ", input " << c.h << "x" << c.w
                     << (dtype == kFloat ? ", float32" : ", float64"));
      // Integer-valued inputs with few distinct values: ties, so many windows share an argmax.
      const Tensor x = randint(0, 4, {4, 3, c.h, c.w}, kLong).to(dtype);
      check_repeatable(
          [&](const V& t) {
            return F::max_pool2d(
                t[0],
                F::MaxPool2dFuncOptions(c.k).stride(c.stride).padding(c.pad).dilation(c.dilation).ceil_mode(c.ceil));
          },
          {x}, /*cpu_exact=*/true);
    }
  }
}

namespace {

/// Five SGD steps (momentum) of a small conv net on `device` from seed 0: two convolutions (the
/// second one's backward data runs), overlapping max pooling, dropout, a linear layer, and an
/// index_select of the batch with repeats (a DataLoader-style gather with a gradient). Returns
/// the parameters, on the CPU.
V train_tiny_convnet(Device device) {
  manual_seed(0);
  nn::Sequential net(nn::Conv2d(nn::Conv2dOptions(3, 8, 3).padding(1)), nn::ReLU(),
                     nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(2).padding(1)),
                     nn::Conv2d(nn::Conv2dOptions(8, 16, 3).padding(1)), nn::ReLU(), nn::Dropout(0.25), nn::Flatten(),
                     nn::Linear(16 * 8 * 8, 10));
  net->to(device);
  optim::SGD opt(net->parameters(), optim::SGDOptions(0.05).momentum(0.9));
  const Tensor pool = randn({64, 3, 16, 16}).to(device);
  const Tensor y = randint(0, 10, {32}, kLong).to(device);
  const Tensor pick = randint(0, 8, {32}, kLong).to(device);  // many repeats
  for (int step = 0; step < 5; ++step) {
    opt.zero_grad();
    // The batch is a differentiable gather from a scaled copy of the pool: its backward is an
    // index_add with repeated indices.
    Tensor scale = ones({1}, TensorOptions().device(device)).requires_grad_();
    const Tensor x = (pool * scale).index_select(0, pick);
    Tensor loss = F::cross_entropy(net(x), y);
    loss.backward();
    opt.step();
  }
  V params;
  for (const Tensor& p : net->parameters()) params.push_back(p.detach().cpu());
  return params;
}

}  // namespace

TEST_CASE("cuda determinism: two identical GPU trainings give bitwise identical parameters", "[cuda][determinism]") {
  EMBER_REQUIRE_CUDA();
  DeterministicScope deterministic;
  const V first = train_tiny_convnet(kCUDA);
  const V second = train_tiny_convnet(kCUDA);
  REQUIRE(first.size() == second.size());
  for (size_t i = 0; i < first.size(); ++i) {
    INFO("parameter " << i);
    require_equal(second[i], first[i]);
  }
}
