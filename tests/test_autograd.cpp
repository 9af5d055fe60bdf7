// The autograd engine: accumulation, shared subexpressions, grad mode, detach, in-place rules,
// retain_graph, and graphs deep enough to overflow a recursive implementation.
#include <functional>

#include "../src/cpu/allocator.h"
#include "helpers.h"

using namespace ember;
using namespace ember_test;

TEST_CASE("gradients accumulate over two backward passes until zeroed", "[autograd]") {
  for (Device d : ember_test::test_devices()) {
    INFO("device " << d);
    Tensor x = leaf({1.0, 2.0, 3.0}, d);
    CHECK(x.is_leaf());
    CHECK(!x.grad().defined());
    (x * x).sum().backward();
    require_close(x.grad(), tensor({2.0, 4.0, 6.0}, kDouble), 0, 0);
    (x * 3.0).sum().backward();
    require_close(x.grad(), tensor({5.0, 7.0, 9.0}, kDouble), 0, 0);
    x.grad().zero_();
    require_close(x.grad(), zeros({3}, kDouble), 0, 0);
    x.sum().backward();
    require_close(x.grad(), ones({3}, kDouble), 0, 0);
  }
}

TEST_CASE("shared subexpressions: x*x + x sums both paths", "[autograd]") {
  for (Device d : ember_test::test_devices()) {
    INFO("device " << d);
    Tensor x = leaf({-1.0, 0.5, 2.0}, d);
    Tensor y = x * x + x;  // dy/dx = 2x + 1
    y.sum().backward();
    require_close(x.grad(), tensor({-1.0, 2.0, 5.0}, kDouble), 1e-15, 0);
    // A diamond: z = a*b where a and b both come from x.
    Tensor x2 = leaf({1.5, -2.0}, d);
    Tensor a = x2.exp(), b = x2 * 2.0;
    (a * b).sum().backward();  // d/dx (2x e^x) = 2 e^x (1 + x)
    std::vector<double> xv{1.5, -2.0}, expect;
    for (double v : xv) expect.push_back(2 * std::exp(v) * (1 + v));
    require_close(x2.grad(), from_blob(expect.data(), {2}, kDouble).clone(), 1e-14, 1e-15);
    ember_test::gradcheck([](const std::vector<Tensor>& v) { return v[0] * v[0] + v[0] * v[0].exp(); },
                          {tensor({0.3, -0.7, 1.1}, kDouble)}, d);
  }
}

TEST_CASE("NoGradGuard stops recording and restores grad mode", "[autograd]") {
  Tensor x = leaf({1.0, 2.0}, Device(kCPU));
  CHECK(GradMode::is_enabled());
  {
    NoGradGuard guard;
    CHECK(!GradMode::is_enabled());
    Tensor y = x * 2.0;
    CHECK(!y.requires_grad());
    CHECK(!y.grad_fn());
  }
  CHECK(GradMode::is_enabled());
  Tensor z = x * 2.0;
  CHECK(z.requires_grad());
  CHECK(z.grad_fn());
  CHECK(!z.is_leaf());
}

TEST_CASE("detach cuts the graph and shares data", "[autograd]") {
  Tensor x = leaf({1.0, 2.0}, Device(kCPU));
  Tensor y = x * 3.0;
  Tensor yd = y.detach();
  CHECK(!yd.requires_grad());
  CHECK(yd.is_leaf());
  CHECK(yd.data_ptr() == y.data_ptr());
  Tensor z = x * yd;  // gradient flows only through x
  z.sum().backward();
  require_close(x.grad(), tensor({3.0, 6.0}, kDouble), 0, 0);
}

TEST_CASE("in-place on a leaf that requires grad is an error; under NoGradGuard it is allowed", "[autograd]") {
  Tensor w = leaf({1.0, 2.0}, Device(kCPU));
  ember_test::require_throws_with([&] { w.add_(1.0); }, {"leaf"});
  ember_test::require_throws_with([&] { w.mul_(2.0); }, {"leaf"});
  {
    NoGradGuard g;
    w.add_(1.0);
  }
  require_close(w.detach(), tensor({2.0, 3.0}, kDouble), 0, 0);
  CHECK(w.requires_grad());
  CHECK(w.is_leaf());
}

TEST_CASE("using a saved tensor modified in place is an error", "[autograd]") {
  Tensor x = leaf({1.0, 2.0}, Device(kCPU));
  Tensor y = x * 1.0;
  Tensor z = y * y;  // saves y
  y.add_(1.0);       // in-place on a non-leaf: allowed, but z's saved copy is now stale
  ember_test::require_throws_with([&] { z.sum().backward(); }, {"modified", "in-place"});
}

TEST_CASE("in-place scalar arithmetic on a non-leaf keeps gradients right", "[autograd][inplace]") {
  Tensor x = leaf({1.0, -2.0, 3.0}, Device(kCPU));
  Tensor y = x * 2.0;
  y.mul_(3.0);  // y = 6x
  y.add_(1.0);
  y.sum().backward();
  require_close(x.grad(), full({3}, 6.0, kDouble), 0, 0);
}

// Values as PyTorch 1.13 gives them for x = [1, -2, 3], z = [2, 3, 4], y = x * 1, then y.op_(...),
// y.sum().backward().
TEST_CASE("in-place mul_ and div_ by a tensor on a non-leaf", "[autograd][inplace]") {
  Tensor x = leaf({1.0, -2.0, 3.0}, Device(kCPU)), z = leaf({2.0, 3.0, 4.0}, Device(kCPU));
  Tensor y = x * 1.0;
  y.mul_(z);
  y.sum().backward();
  require_close(x.grad(), tensor({2.0, 3.0, 4.0}, kDouble), 0, 0);
  require_close(z.grad(), tensor({1.0, -2.0, 3.0}, kDouble), 0, 0);
  Tensor x2 = leaf({1.0, -2.0, 3.0}, Device(kCPU));
  Tensor y2 = x2 * 1.0;
  y2.div_(z.detach());
  y2.sum().backward();
  require_close(x2.grad(), tensor({0.5, 1.0 / 3.0, 0.25}, kDouble), 1e-15, 0);
}

TEST_CASE("in-place relu_ on a non-leaf", "[autograd][inplace]") {
  Tensor x = leaf({1.0, -2.0, 3.0}, Device(kCPU));
  Tensor r = x * 1.0;
  r.relu_();
  r.sum().backward();
  require_close(x.grad(), tensor({1.0, 0.0, 1.0}, kDouble), 0, 0);
}

TEST_CASE("in-place clamp_ on a non-leaf", "[autograd][inplace]") {
  Tensor x = leaf({1.0, -2.0, 3.0}, Device(kCPU));
  Tensor r = x * 1.0;
  r.clamp_(-1.0, 2.0);
  r.sum().backward();
  require_close(x.grad(), tensor({1.0, 0.0, 0.0}, kDouble), 0, 0);
}

TEST_CASE("backward twice needs retain_graph", "[autograd]") {
  Tensor x = leaf({1.0, 2.0}, Device(kCPU));
  Tensor y = (x * x).sum();
  y.backward(Tensor(), true);
  require_close(x.grad(), tensor({2.0, 4.0}, kDouble), 0, 0);
  y.backward();  // the graph was retained once; this one frees it
  require_close(x.grad(), tensor({4.0, 8.0}, kDouble), 0, 0);
  ember_test::require_throws_with([&] { y.backward(); }, {"second time"});
}

TEST_CASE("backward of a non-scalar needs a gradient", "[autograd]") {
  Tensor x = leaf({1.0, 2.0}, Device(kCPU));
  Tensor y = x * 2.0;
  ember_test::require_throws_with([&] { y.backward(); }, {"scalar"});
  y.backward(tensor({1.0, -1.0}, kDouble));
  require_close(x.grad(), tensor({2.0, -2.0}, kDouble), 0, 0);
  Tensor z = zeros({2});
  ember_test::require_throws_with([&] { z.sum().backward(); }, {"grad"});
}

TEST_CASE("the tutorial's SGD update under NoGradGuard", "[autograd]") {
  for (Device d : ember_test::test_devices()) {
    INFO("device " << d);
    manual_seed(0);
    Tensor w = randn({3, 2}, TensorOptions(kDouble).device(d)).requires_grad_(true);
    Tensor x = randn({4, 3}, TensorOptions(kDouble).device(d));
    Tensor w0 = w.detach().clone();
    const double lr = 0.1;
    Tensor loss = x.mm(w).pow(2).mean();
    loss.backward();
    Tensor g = w.grad().clone();
    {
      NoGradGuard guard;
      w -= lr * w.grad();
      w.grad().zero_();
    }
    CHECK(w.is_leaf());
    CHECK(w.requires_grad());
    require_close(w.detach(), w0 - lr * g, 1e-15, 1e-15);
    require_close(w.grad(), zeros({3, 2}, kDouble), 0, 0);
    // The expected gradient: d/dw mean((xw)^2) = 2 x^T (x w) / numel.
    require_close(g, x.t().mm(x.mm(w0)) * (2.0 / 8.0), 1e-12, 1e-14);
    // A second step sees a fresh gradient, not an accumulated one.
    x.mm(w).pow(2).mean().backward();
    require_close(w.grad(), x.t().mm(x.mm(w.detach())) * (2.0 / 8.0), 1e-12, 1e-14);
  }
}

TEST_CASE("retain_grad keeps a non-leaf's gradient", "[autograd]") {
  Tensor x = leaf({1.0, 2.0}, Device(kCPU));
  Tensor y = x * 3.0;
  y.retain_grad();
  (y * y).sum().backward();
  require_close(y.grad(), tensor({6.0, 12.0}, kDouble), 0, 0);
  require_close(x.grad(), tensor({18.0, 36.0}, kDouble), 0, 0);
}

TEST_CASE("gradients only flow to inputs that require them", "[autograd]") {
  Tensor a = leaf({1.0, 2.0}, Device(kCPU));
  Tensor b = tensor({3.0, 4.0}, kDouble);
  (a * b).sum().backward();
  require_close(a.grad(), b, 0, 0);
  CHECK(!b.grad().defined());
  CHECK(!(b * 2.0).requires_grad());
}

namespace {
// y = x * 1.0 * 1.0 ... (n multiplications): each op is one graph node holding the previous one.
void deep_chain(int64_t n, bool run_backward) {
  Tensor x = leaf({1.0}, Device(kCPU));
  {
    Tensor y = x;
    for (int64_t i = 0; i < n; ++i) y = y * 1.0;
    if (run_backward) y.sum().backward();
  }  // the graph is torn down here: this must not recurse once per node either
  if (run_backward) require_close(x.grad(), ones({1}, kDouble), 0, 0);
  else CHECK(!x.grad().defined());
}
}  // namespace

TEST_CASE("a chain of 100000 ops neither overflows the stack in backward nor in destruction", "[autograd][deep]") {
  deep_chain(100000, true);
  deep_chain(100000, false);
}

TEST_CASE("a chain of 500000 ops neither overflows the stack in backward nor in destruction", "[autograd][deep]") {
  // Deep enough that a recursive walk or a recursive shared_ptr teardown (~100 bytes of stack per
  // node) cannot fit in an 8 MB stack by luck.
  deep_chain(500000, true);
  deep_chain(500000, false);
}

// --- in-place accumulation of product gradients (autograd::accumulation_target) ------------------

namespace {
Tensor matrix(std::vector<double> v, int64_t rows, int64_t cols, Device d, bool grad = false) {
  Tensor t = tensor(v, kDouble).view({rows, cols}).to(d);
  return grad ? t.requires_grad_(true) : t;
}
}  // namespace

TEST_CASE("mm and linear add their weight gradient into an existing .grad() in place", "[autograd][accumulate]") {
  for (Device d : ember_test::test_devices()) {
    INFO("device " << d);
    const Tensor x = matrix({1, 2, 3, -1, 0, 4}, 2, 3, d);           // (2, 3)
    const Tensor c = matrix({1, -2, 0.5, 3, 2, 1, -1, 0}, 2, 4, d);  // d loss / d out
    // d/dw sum((x @ w) * c) = x^T @ c, by hand:
    const Tensor xtc = matrix({-1, -3, 1.5, 3, 2, -4, 1, 6, 11, -2, -2.5, 9}, 3, 4, d);
    Tensor w = matrix({0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2}, 3, 4, d, true);
    (x.mm(w) * c).sum().backward();  // first: the gradient becomes .grad()
    require_close(w.grad(), xtc, 1e-15, 0);
    const double* buffer = w.grad().data_ptr<double>();
    const uint32_t version = w.grad()._version();
    (x.mm(w) * c).sum().backward();  // second: added into that buffer
    require_close(w.grad(), xtc * 2.0, 1e-15, 0);
    CHECK(w.grad().data_ptr<double>() == buffer);
    CHECK(w.grad()._version() > version);
    w.grad().zero_();
    (x.mm(w) * c).sum().backward();  // after zero_(): the gradient alone
    require_close(w.grad(), xtc, 1e-15, 0);

    // linear: weight (4, 3) = w^T, so its gradient is c^T @ x = xtc^T; bias: c summed over rows.
    Tensor lw = w.detach().t().contiguous().requires_grad_(true);
    Tensor lb = zeros({4}, TensorOptions(kDouble).device(d)).requires_grad_(true);
    for (int pass = 1; pass <= 2; ++pass) {
      (nn::functional::linear(x, lw, lb) * c).sum().backward();
      require_close(lw.grad(), xtc.t() * double(pass), 1e-15, 0);
      require_close(lb.grad(), matrix({3, -1, -0.5, 3}, 1, 4, d).view({4}) * double(pass), 1e-15, 0);
    }
  }
}

TEST_CASE("in-place accumulation is skipped where it would be wrong", "[autograd][accumulate]") {
  for (Device d : ember_test::test_devices()) {
    INFO("device " << d);
    const Tensor x = matrix({1, 2, 3, 4}, 2, 2, d);
    const Tensor ones2 = ones({2, 2}, TensorOptions(kDouble).device(d));
    Tensor w = matrix({1, 0, 0, 1}, 2, 2, d, true);
    x.mm(w).sum().backward();
    const Tensor g1 = matrix({4, 4, 6, 6}, 2, 2, d);  // x^T @ ones
    require_close(w.grad(), g1, 0, 0);

    // Two nodes send w a gradient: the engine sums them and accumulates once.
    (x.mm(w) + x.mm(w)).sum().backward();
    require_close(w.grad(), g1 * 3.0, 0, 0);

    // The product reads w's own .grad() (as a constant): adding into it while reading it would
    // be wrong, so the gradient is computed apart: new = old + old^T @ ones.
    w.grad().copy_(x);
    const Tensor old = w.grad().clone();
    w.grad().mm(w).sum().backward();
    require_close(w.grad(), old + old.t().mm(ones2), 0, 0);

    // Anomaly mode checks every gradient, so it is computed apart and checked first.
    w.grad().zero_();
    {
      autograd::DetectAnomalyGuard anomaly;
      x.mm(w).sum().backward();
    }
    require_close(w.grad(), g1, 0, 0);
  }
}

TEST_CASE("linear: one node for any input rank, gradients in float64 by finite differences", "[autograd][accumulate]") {
  manual_seed(3);
  const Tensor w = randn({4, 3}, kDouble), b = randn({4}, kDouble);
  for (const std::vector<int64_t>& shape : {std::vector<int64_t>{3}, {5, 3}, {2, 5, 3}}) {
    INFO("input shape " << IntArrayRef(shape));
    const Tensor x = randn(shape, kDouble);
    Tensor out = nn::functional::linear(x, w, b);
    std::vector<int64_t> expected_shape(shape.begin(), shape.end() - 1);
    expected_shape.push_back(4);
    CHECK(out.sizes() == IntArrayRef(expected_shape));
    require_close(out, x.matmul(w.t()) + b, 1e-14, 1e-14);
    ember_test::gradcheck([](const std::vector<Tensor>& v) { return nn::functional::linear(v[0], v[1], v[2]); },
                          {x, w, b});
    ember_test::gradcheck([](const std::vector<Tensor>& v) { return nn::functional::linear(v[0], v[1]); }, {x, w});
  }
  // Empty batches and empty features: shapes as torch's, zero gradients.
  const Tensor x0 = zeros({0, 3}, kDouble).requires_grad_(true), w0 = w.clone().requires_grad_(true);
  nn::functional::linear(x0, w0, b).sum().backward();
  CHECK(nn::functional::linear(x0, w0, b).sizes() == IntArrayRef({0, 4}));
  require_close(w0.grad(), zeros({4, 3}, kDouble), 0, 0);
  const Tensor empty_in = zeros({2, 0}, kDouble), empty_w = zeros({4, 0}, kDouble);
  require_close(nn::functional::linear(empty_in, empty_w, b), b.expand({2, 4}), 0, 0);
  // A non-contiguous input (a transposed view) gives the same values and gradients.
  const Tensor xt = randn({3, 6}, kDouble).t();
  require_close(nn::functional::linear(xt, w, b), xt.contiguous().matmul(w.t()) + b, 1e-14, 1e-14);
  ember_test::gradcheck([](const std::vector<Tensor>& v) { return nn::functional::linear(v[0], v[1], v[2]); },
                        {xt, w, b});
}

TEST_CASE("the in-place path writes no gradient temporary (seen through the CPU block cache)",
          "[autograd][accumulate]") {
  if (!cpu::kCachesLargeBlocks) EMBER_SKIP("this build does not cache CPU blocks (AddressSanitizer)");
  // A weight of 4.4 MB: a temporary gradient of its size is a block of at least 1 MiB, which the
  // CPU allocator keeps when it is freed, so it shows up in cpu::cached_bytes().
  const int64_t in = 1000, out = 1100;
  const size_t bytes = size_t(in * out) * sizeof(float);
  manual_seed(4);
  const Tensor x = randn({2, in});
  Tensor w = randn({in, out}).requires_grad_(), lw = randn({out, in}).requires_grad_();
  // Bytes newly cached by one more backward, after the first made .grad(): idle blocks of the
  // weight's size are taken first, so a temporary would be a fresh block that stays cached.
  auto cached_by_second_backward = [&](const std::function<Tensor()>& loss) {
    loss().backward();
    std::vector<Tensor> held;
    for (;;) {
      const size_t before = cpu::cached_bytes();
      held.push_back(empty({in * out}));
      if (cpu::cached_bytes() == before) break;  // a fresh block: none of this size is idle
    }
    const size_t before = cpu::cached_bytes();
    loss().backward();
    return cpu::cached_bytes() - before;
  };
  CHECK(cached_by_second_backward([&] { return x.mm(w).sum(); }) < bytes);
  CHECK(cached_by_second_backward([&] { return nn::functional::linear(x, lw).sum(); }) < bytes);
  // The control: two nodes send w a gradient, which is computed apart and then added.
  w.mutable_grad() = Tensor();
  CHECK(cached_by_second_backward([&] { return (x.mm(w) + x.mm(w)).sum(); }) >= bytes);
}
