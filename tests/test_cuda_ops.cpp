// The CUDA backend's heavy kernels against the CPU backend, on fresh random inputs, forward and
// backward through the public API: mm/matmul (cuBLAS, transposed operands, batches, int64),
// conv2d (cuDNN or im2col), conv_transpose1d/2d, max_pool2d, softmax/log_softmax, cross_entropy, and three SGD steps
// of a tiny conv net. Every case skips on machines without a usable GPU.
//
// Run with EMBER_CUDNN_DISABLE=1 in the environment to test the im2col convolution path of a
// cuDNN build as well.
#include <cmath>
#include <functional>
#include <limits>
#include <vector>

#include "catch.h"
#include "ember/functional.h"
#include "ember/optim.h"
#include "helpers.h"

using namespace ember;
using namespace ember_test;
namespace F = ember::nn::functional;
using V = std::vector<Tensor>;

namespace {

// float32: a GPU sum of thousands of products rounds differently from OpenBLAS's, and an element
// that is small only because its terms cancel keeps the absolute error of the whole sum; so atol
// is relative to the largest expected magnitude (require_close_scaled). float64 and int64 agree
// to (nearly) the last bit.
Tol tols_for(ScalarType t) { return t == kFloat ? Tol{1e-4, 1e-4} : Tol{1e-10, 1e-10}; }

/// Runs fn on CPU copies and on CUDA copies of `inputs` (CPU tensors), compares the outputs, then
/// backpropagates one random upstream gradient through both and compares the gradients of every
/// floating input.
void compare_devices(const std::function<Tensor(const V&)>& fn, const V& inputs, bool backward = true,
                     Tol tol = Tol{-1, -1}) {
  const V on_cpu = ember_test::copies_on(inputs, kCPU, backward);
  const V on_cuda = ember_test::copies_on(inputs, kCUDA, backward);
  const Tensor y_cpu = fn(on_cpu), y_cuda = fn(on_cuda);
  REQUIRE(y_cuda.is_cuda());
  if (tol.rtol < 0) tol = tols_for(y_cpu.dtype());
  require_close_scaled(y_cuda, y_cpu, tol);
  if (!backward) return;
  const Tensor upstream = randn(y_cpu.sizes(), TensorOptions(y_cpu.dtype()));
  y_cpu.backward(upstream);
  y_cuda.backward(upstream.to(kCUDA));
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].is_floating_point()) continue;
    INFO("gradient of input " << i);
    REQUIRE(on_cuda[i].grad().defined());
    REQUIRE(on_cuda[i].grad().is_cuda());
    require_close_scaled(on_cuda[i].grad(), on_cpu[i].grad(), tol);
  }
}

}  // namespace

TEST_CASE("cuda mm: plain and transposed operands, float32 and float64", "[cuda]") {
  EMBER_REQUIRE_CUDA();
  manual_seed(1);
  for (ScalarType dt : {kFloat, kDouble}) {
    INFO("dtype " << dt);
    const Tensor a = rnd({37, 53}, dt), b = rnd({53, 29}, dt);
    const Tensor at = rnd({53, 37}, dt), bt = rnd({29, 53}, dt);  // stored transposed
    compare_devices([](const V& v) { return mm(v[0], v[1]); }, {a, b});
    compare_devices([](const V& v) { return mm(v[0].t(), v[1]); }, {at, b});
    compare_devices([](const V& v) { return mm(v[0], v[1].t()); }, {a, bt});
    compare_devices([](const V& v) { return mm(v[0].t(), v[1].t()); }, {at, bt});
    // Vectors as matrices (size-1 dims with odd strides) and a column slice (ld > cols).
    compare_devices([](const V& v) { return mm(v[0], v[1]); }, {rnd({1, 53}, dt), b});
    compare_devices([](const V& v) { return mm(v[0], v[1]); }, {a, rnd({53, 1}, dt)});
    compare_devices([](const V& v) { return mm(v[0].narrow(1, 3, 20), v[1]); }, {a, rnd({20, 7}, dt)});
  }
}

TEST_CASE("cuda mm: the tutorial's fully connected shape", "[cuda]") {
  EMBER_REQUIRE_CUDA();
  manual_seed(2);
  compare_devices([](const V& v) { return mm(v[0], v[1]); }, {rnd({64, 3072}) * 0.1, rnd({3072, 100}) * 0.1});
}

TEST_CASE("cuda mm: int64 and the empty sum", "[cuda]") {
  EMBER_REQUIRE_CUDA();
  manual_seed(3);
  const Tensor a = randint(-50, 50, {19, 23}), b = randint(-50, 50, {23, 17});
  require_equal(mm(a.to(kCUDA), b.to(kCUDA)).cpu(), mm(a, b));
  require_equal(mm(a.to(kCUDA).t().t(), b.t().contiguous().to(kCUDA).t()).cpu(), mm(a, b));
  const Tensor e1 = rnd({4, 0}), e2 = rnd({0, 5});
  require_equal(mm(e1.to(kCUDA), e2.to(kCUDA)).cpu(), zeros({4, 5}));
}

TEST_CASE("cuda matmul: batched, broadcast and transposed batches", "[cuda]") {
  EMBER_REQUIRE_CUDA();
  manual_seed(4);
  compare_devices([](const V& v) { return matmul(v[0], v[1]); }, {rnd({3, 4, 5}), rnd({3, 5, 6})});
  compare_devices([](const V& v) { return matmul(v[0], v[1]); }, {rnd({2, 3, 4, 5}), rnd({5, 6})});
  compare_devices([](const V& v) { return matmul(v[0], v[1].transpose(1, 2)); }, {rnd({3, 4, 5}), rnd({3, 6, 5})});
  compare_devices([](const V& v) { return matmul(v[0], v[1]); }, {rnd({7}), rnd({3, 7, 2})});
  compare_devices([](const V& v) { return matmul(v[0], v[1]); }, {rnd({3, 4, 5}, kDouble), rnd({5}, kDouble)});
}

TEST_CASE("cuda conv2d: stride, padding, dilation, bias and no bias", "[cuda]") {
  EMBER_REQUIRE_CUDA();
  manual_seed(5);
  for (ScalarType dt : {kFloat, kDouble}) {
    INFO("dtype " << dt);
    const Tensor x = rnd({2, 3, 9, 8}, dt), w = rnd({4, 3, 3, 3}, dt), b = rnd({4}, dt);
    compare_devices([](const V& v) { return conv2d(v[0], v[1]); }, {x, w});
    compare_devices([](const V& v) { return conv2d(v[0], v[1], v[2]); }, {x, w, b});
    compare_devices([](const V& v) { return conv2d(v[0], v[1], v[2], 2, 1); }, {x, w, b});
    compare_devices([](const V& v) { return conv2d(v[0], v[1], v[2], {2, 1}, {0, 2}); }, {x, w, b});
    compare_devices([](const V& v) { return conv2d(v[0], v[1], v[2], 1, 2, 2); }, {x, w, b});
    compare_devices([](const V& v) { return conv2d(v[0], v[1], Tensor(), {1, 3}, {1, 0}, {2, 1}); }, {x, w});
    compare_devices([](const V& v) { return conv2d(v[0], v[1], v[2]); }, {x, rnd({5, 3, 1, 1}, dt), rnd({5}, dt)});
    compare_devices([](const V& v) { return conv2d(v[0], v[1], v[2], 1, 0, 1, 3); },  // groups, composed
                    {rnd({2, 6, 5, 5}, dt), rnd({3, 2, 3, 3}, dt), rnd({3}, dt)});
  }
}

TEST_CASE("cuda conv_transpose1d/2d: stride, padding, output_padding, groups, dilation", "[cuda]") {
  EMBER_REQUIRE_CUDA();
  manual_seed(7);
  for (ScalarType dt : {kFloat, kDouble}) {
    INFO("dtype " << dt);
    const Tensor x = rnd({2, 4, 5, 6}, dt), w = rnd({4, 3, 3, 3}, dt), b = rnd({3}, dt);
    compare_devices([](const V& v) { return conv_transpose2d(v[0], v[1], v[2]); }, {x, w, b});
    compare_devices([](const V& v) { return conv_transpose2d(v[0], v[1], v[2], 2, 1, 1); }, {x, w, b});
    compare_devices(
        [](const V& v) {
          return conv_transpose2d(v[0], v[1], Tensor(), {2, 1}, {0, 1}, {1, 0}, 1, {1, 2});
        },
        {x, w});
    // output_padding 1 with stride 1 (below the dilation): the padded-input path.
    compare_devices([](const V& v) { return conv_transpose2d(v[0], v[1], v[2], 1, 1, 1, 1, 2); }, {x, w, b});
    compare_devices([](const V& v) { return conv_transpose2d(v[0], v[1], v[2], 2, 1, 1, 2); },  // groups, composed
                    {x, rnd({4, 2, 3, 3}, dt), rnd({4}, dt)});
    compare_devices([](const V& v) { return conv_transpose1d(v[0], v[1], v[2], 2, 1, 1); },
                    {rnd({2, 4, 7}, dt), rnd({4, 3, 3}, dt), b});
  }
}

TEST_CASE("cuda conv2d: the tutorial's two layers at batch 4", "[cuda]") {
  EMBER_REQUIRE_CUDA();
  manual_seed(6);
  compare_devices([](const V& v) { return F::conv2d(v[0], v[1], F::Conv2dFuncOptions().bias(v[2]).padding(2)); },
                  {rnd({4, 3, 32, 32}), rnd({32, 3, 5, 5}) * 0.1, rnd({32})});
  compare_devices([](const V& v) { return F::conv2d(v[0], v[1], F::Conv2dFuncOptions().bias(v[2]).padding(1)); },
                  {rnd({4, 32, 32, 32}), rnd({16, 32, 3, 3}) * 0.1, rnd({16})});
}

TEST_CASE("TF32 switches: PyTorch's defaults (matmul off, cuDNN on), settable", "[tf32]") {
  // (The test suite runs with cuDNN TF32 off: see tests/helpers.cpp.)
  CHECK(ember_test::kCudnnTf32Default);
  CHECK_FALSE(ember::cuda::matmul_allow_tf32());
  ember::cuda::set_matmul_allow_tf32(true);
  CHECK(ember::cuda::matmul_allow_tf32());
  ember::cuda::set_matmul_allow_tf32(false);
  ember::cuda::set_cudnn_allow_tf32(true);
  CHECK(ember::cuda::cudnn_allow_tf32());
  ember::cuda::set_cudnn_allow_tf32(false);
  CHECK_FALSE(ember::cuda::cudnn_allow_tf32());
}

TEST_CASE("cuda conv2d with TF32 (PyTorch's cuDNN default) stays within TF32's rounding", "[cuda][tf32]") {
  EMBER_REQUIRE_CUDA();
  manual_seed(7);
  const Tensor x = rnd({4, 32, 32, 32}), w = rnd({16, 32, 3, 3}) * 0.1, b = rnd({16});
  const Tensor expected = F::conv2d(x, w, F::Conv2dFuncOptions().bias(b).padding(1));  // CPU, FP32
  ember::cuda::set_cudnn_allow_tf32(true);
  Tensor got;
  try {
    got = F::conv2d(x.cuda(), w.cuda(), F::Conv2dFuncOptions().bias(b.cuda()).padding(1)).cpu();
  } catch (...) {
    ember::cuda::set_cudnn_allow_tf32(false);
    throw;
  }
  ember::cuda::set_cudnn_allow_tf32(false);
  // TF32 keeps 10 mantissa bits: each product is off by up to ~1e-3 relative; over 288 terms of
  // random sign the sums stay within a few 1e-3 of their scale.
  const double scale = expected.abs().max().item<double>();
  require_close(got, expected, 0, 1e-2 * scale);
}

TEST_CASE("cuda max_pool2d: windows, overlap, padding, dilation, ceil_mode, NaN", "[cuda]") {
  EMBER_REQUIRE_CUDA();
  manual_seed(7);
  for (ScalarType dt : {kFloat, kDouble}) {
    INFO("dtype " << dt);
    const Tensor x = rnd({2, 3, 10, 9}, dt);
    compare_devices([](const V& v) { return max_pool2d(v[0], 2); }, {x});
    compare_devices([](const V& v) { return max_pool2d(v[0], 3, 1, 1); }, {x});  // overlapping windows
    compare_devices([](const V& v) { return max_pool2d(v[0], {3, 2}, {2, 1}, {1, 0}); }, {x});
    compare_devices([](const V& v) { return max_pool2d(v[0], 2, 1, 0, 2); }, {x});
    compare_devices([](const V& v) { return max_pool2d(v[0], 3, 2, 1, 1, true); }, {x});
    compare_devices([](const V& v) { return max_pool2d(v[0], 2); }, {rnd({4, 3, 32, 32}, dt)});
  }
  // A NaN wins its window, as on the CPU.
  Tensor x = rnd({1, 2, 6, 6});
  x.narrow(2, 1, 1).narrow(3, 4, 1).fill_(std::numeric_limits<double>::quiet_NaN());
  require_close(max_pool2d(x.to(kCUDA), 2).cpu(), max_pool2d(x, 2), 0, 0);
}

TEST_CASE("cuda softmax and log_softmax: rows, wide rows, inner dims", "[cuda]") {
  EMBER_REQUIRE_CUDA();
  manual_seed(8);
  for (ScalarType dt : {kFloat, kDouble}) {
    INFO("dtype " << dt);
    for (const auto& shape_dim : std::vector<std::pair<std::vector<int64_t>, int64_t>>{
             {{8, 10}, 1}, {{5, 3000}, 1}, {{2, 5, 3, 4}, 1}, {{3, 4, 7}, -1}, {{6, 33}, 0}, {{1, 1}, 1}}) {
      const Tensor x = rnd(shape_dim.first, dt) * 4;
      const int64_t dim = shape_dim.second;
      INFO("shape " << x.sizes() << " dim " << dim);
      compare_devices([dim](const V& v) { return log_softmax(v[0], dim); }, {x});
      compare_devices([dim](const V& v) { return softmax(v[0], dim); }, {x});
    }
  }
}

TEST_CASE("cuda log_softmax: large logits keep their precision", "[cuda]") {
  EMBER_REQUIRE_CUDA();
  manual_seed(9);
  // (x - max) - log(sum) is exact in its first step for logits near each other, so float32 on
  // the GPU stays within ~1e-6 of the float64 result even where an ulp of x is 2e-3.
  const Tensor x = (rnd({16, 10}, kDouble) * 3 + 20000).to(kFloat);
  const Tensor reference = log_softmax(x.to(kDouble), 1);
  require_close(log_softmax(x.to(kCUDA), 1).cpu().to(kDouble), reference, 0, 2e-5);
}

TEST_CASE("cuda cross_entropy: reductions, label smoothing, ignore_index", "[cuda]") {
  EMBER_REQUIRE_CUDA();
  manual_seed(10);
  for (ScalarType dt : {kFloat, kDouble}) {
    INFO("dtype " << dt);
    const Tensor logits = rnd({12, 7}, dt) * 2;
    const Tensor target = randint(0, 7, {12});
    for (double eps : {0.0, 0.1}) {
      for (Reduction r : {kMean, kSum, kNone}) {
        INFO("label_smoothing " << eps << " reduction " << int(r));
        auto opts = F::CrossEntropyFuncOptions().label_smoothing(eps).reduction(r);
        compare_devices([opts](const V& v) { return F::cross_entropy(v[0], v[1], opts); }, {logits, target});
        // Class 3 ignored: its rows give 0 and no gradient.
        auto ignoring = F::CrossEntropyFuncOptions().label_smoothing(eps).reduction(r).ignore_index(3);
        compare_devices([ignoring](const V& v) { return F::cross_entropy(v[0], v[1], ignoring); }, {logits, target});
      }
    }
    // Many classes (a wide softmax row) with the default -100 ignore value in the targets.
    Tensor t2 = randint(0, 1500, {6});
    t2.narrow(0, 2, 1).fill_(-100);
    compare_devices([](const V& v) { return F::cross_entropy(v[0], v[1]); }, {rnd({6, 1500}, dt), t2});
  }
}

TEST_CASE("cuda training: three SGD steps of a tiny conv net match the CPU", "[cuda]") {
  EMBER_REQUIRE_CUDA();
  manual_seed(11);
  // conv 3->8 (3x3, pad 1) -> relu -> max_pool 2 -> linear 8*4*4 -> 10 -> cross entropy.
  const V init = {rnd({8, 3, 3, 3}) * 0.3, rnd({8}) * 0.1, rnd({10, 128}) * 0.1, rnd({10}) * 0.1};
  const Tensor images = rnd({6, 3, 8, 8}), labels = randint(0, 10, {6});

  auto train = [&](Device device) {
    // A fresh copy per run: to(kCPU) would return `t` itself, which the steps update in place.
    const V params = ember_test::copies_on(init, device, /*requires_grad=*/true);
    optim::SGD sgd(params, optim::SGDOptions(0.1).momentum(0.9).weight_decay(1e-3));
    const Tensor x = images.to(device), y = labels.to(device);
    std::vector<double> losses;
    for (int step = 0; step < 3; ++step) {
      sgd.zero_grad();
      Tensor h = F::conv2d(x, params[0], F::Conv2dFuncOptions().bias(params[1]).padding(1));
      h = F::max_pool2d(F::relu(h), F::MaxPool2dFuncOptions(2));
      const Tensor scores = F::linear(h.reshape({h.size(0), -1}), params[2], params[3]);
      const Tensor loss = F::cross_entropy(scores, y);
      loss.backward();
      sgd.step();
      losses.push_back(loss.item<double>());
    }
    return std::make_pair(losses, params);
  };
  const auto cpu = train(kCPU);
  const auto gpu = train(kCUDA);
  for (int i = 0; i < 3; ++i) {
    INFO("step " << i << ": cpu loss " << cpu.first[i] << ", cuda loss " << gpu.first[i]);
    CHECK(std::abs(gpu.first[i] - cpu.first[i]) <= 1e-4 * std::abs(cpu.first[i]) + 1e-6);
  }
  for (size_t i = 0; i < init.size(); ++i) {
    INFO("parameter " << i);
    require_close(gpu.second[i], cpu.second[i], 1e-4, 1e-5);
  }
}

TEST_CASE("cuda F::pad: every mode, 1-D to 3-D, forward and backward, deterministic too", "[cuda]") {
  EMBER_REQUIRE_CUDA();
  namespace F = ember::nn::functional;
  manual_seed(11);
  for (bool deterministic : {false, true}) {
    DeterministicScope scope(deterministic);
    for (ScalarType dt : {kFloat, kDouble}) {
      INFO("dtype " << dt << ", deterministic " << deterministic);
      for (F::PadFuncOptions::mode_t m :
           {F::PadFuncOptions::mode_t(kConstant), F::PadFuncOptions::mode_t(kReflect),
            F::PadFuncOptions::mode_t(kReplicate), F::PadFuncOptions::mode_t(kCircular)}) {
        compare_devices(
            [m](const V& v) {
              return F::pad(v[0], F::PadFuncOptions({3, 2}).mode(m).value(0.5));
            },
            {rnd({4, 3, 7}, dt)});
        compare_devices(
            [m](const V& v) {
              return F::pad(v[0], F::PadFuncOptions({-1, 2, 3, 1}).mode(m));
            },
            {rnd({2, 3, 9, 8}, dt)});
        compare_devices(
            [m](const V& v) {
              return F::pad(v[0], F::PadFuncOptions({1, 2, 2, 1, 1, 1}).mode(m));
            },
            {rnd({2, 2, 4, 5, 6}, dt)});
      }
    }
  }
}
