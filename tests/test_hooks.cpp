// Tensor::register_hook / remove_hook, as LibTorch's. Expected values come from PyTorch 1.13
// (the Python that made each is quoted beside it).
#include <vector>

#include "helpers.h"

using namespace ember;
using ember_test::leaf;
using ember_test::require_close;
using ember_test::require_throws_with;

namespace {
Tensor dvec(std::initializer_list<double> v) { return tensor(std::vector<double>(v), kDouble); }
}  // namespace

TEST_CASE("hooks: a non-leaf's hook replaces its gradient; retain_grad keeps the hooked one", "[hooks]") {
  for (Device d : ember_test::test_devices()) {
    // y = x*3; y.register_hook(lambda g: g*2); y.retain_grad(); (y*y).sum().backward()
    Tensor x = leaf({1.0, 2.0}, d);
    Tensor y = x * 3;
    y.register_hook([](Tensor g) { return g * 2; });
    y.retain_grad();
    (y * y).sum().backward();
    require_close(y.grad().cpu(), dvec({12, 24}), 0, 0);
    require_close(x.grad().cpu(), dvec({36, 72}), 0, 0);
  }
}

TEST_CASE("hooks: a leaf's hook runs before accumulation, every backward", "[hooks]") {
  // x.register_hook(lambda g: g+100); (x*1).sum().backward()
  Tensor x = leaf({1.0, 2.0}, kCPU);
  x.register_hook([](const Tensor& g) { return g + 100; });
  (x * 1).sum().backward();
  require_close(x.grad(), dvec({101, 101}), 0, 0);
  // w.register_hook(lambda g: g*2); twice (a.mm(w)).sum().backward() -> all 4: the second
  // backward must not add into .grad() behind the hook's back.
  Tensor w = ones({2, 2}, kDouble).requires_grad_();
  w.register_hook([](const Tensor& g) { return g * 2; });
  Tensor a = ones({1, 2}, kDouble);
  for (int i = 0; i < 2; ++i) a.mm(w).sum().backward();
  require_close(w.grad(), full({2, 2}, 4.0, kDouble), 0, 0);
}

TEST_CASE("hooks: run in registration order; void hooks observe; removed hooks do not run", "[hooks]") {
  // b = a*2; b.register_hook(lambda g: g*3); b.register_hook(lambda g: g+1) -> a.grad 8
  Tensor a = leaf({1.0}, kCPU);
  Tensor b = a * 2;
  std::vector<double> seen;
  b.register_hook([](const Tensor& g) { return g * 3; });
  b.register_hook([&](const Tensor& g) { seen.push_back(g.item<double>()); });
  b.register_hook([](const Tensor& g) { return g + 1; });
  (b * 1).sum().backward();
  require_close(a.grad(), dvec({8}), 0, 0);
  REQUIRE(seen == std::vector<double>{3.0});

  // h = x.register_hook(lambda g: g*7); h.remove(); (x*2).sum().backward() -> 2
  Tensor x = leaf({1.0}, kCPU);
  unsigned pos = x.register_hook([](const Tensor& g) { return g * 7; });
  x.remove_hook(pos);
  (x * 2).sum().backward();
  require_close(x.grad(), dvec({2}), 0, 0);
  require_throws_with([&] { x.remove_hook(pos); }, {"remove_hook", "no hook at position 0"});
  require_throws_with([&] { x.remove_hook(5); }, {"remove_hook", "no hook at position 5"});
}

TEST_CASE("hooks: grad() returns an input's gradient before the input's own hooks", "[hooks]") {
  // x2.register_hook(lambda g: g*10); y2 = x2*3; y2.register_hook(lambda g: g*5)
  // torch.autograd.grad(y2.sum(), x2) -> 15; y3 = x2*3 hooked: grad((y3*1).sum(), y3) -> 1
  Tensor x2 = leaf({1.0, 2.0}, kCPU);
  x2.register_hook([](const Tensor& g) { return g * 10; });
  Tensor y2 = x2 * 3;
  y2.register_hook([](const Tensor& g) { return g * 5; });
  require_close(autograd::grad({y2.sum()}, {x2})[0], dvec({15, 15}), 0, 0);
  Tensor y3 = x2 * 3;
  y3.register_hook([](const Tensor& g) { return g * 5; });
  require_close(autograd::grad({(y3 * 1).sum()}, {y3})[0], dvec({1, 1}), 0, 0);
}

TEST_CASE("hooks: an in-place op after or before registration", "[hooks]") {
  // y = x*2; y.register_hook(lambda g: g*10); y.mul_(3); y.sum().backward() -> 60
  // y = x*2; y.mul_(3); y.register_hook(lambda g: g*10); y.sum().backward() -> 60
  for (bool hook_first : {true, false}) {
    Tensor x = leaf({1.0, 2.0}, kCPU);
    Tensor y = x * 2;
    if (hook_first) y.register_hook([](const Tensor& g) { return g * 10; });
    y.mul_(3);
    if (!hook_first) y.register_hook([](const Tensor& g) { return g * 10; });
    y.sum().backward();
    require_close(x.grad(), dvec({60, 60}), 0, 0);
  }
}

TEST_CASE("hooks: errors in LibTorch's words", "[hooks][errors]") {
  // torch.tensor([1.]).register_hook(...) -> "cannot register a hook on a tensor that doesn't require gradient"
  Tensor plain = ones({2});
  require_throws_with([&] { plain.register_hook([](const Tensor& g) { return g; }); },
                      {"register_hook", "cannot register a hook on a tensor that doesn't require gradient"});
  Tensor x = leaf({1.0, 2.0}, kCPU);
  x.register_hook([](const Tensor& g) { return g.sum(); });
  require_throws_with([&] { (x * 2).sum().backward(); },
                      {"register_hook", "a hook has changed the gradient", "[2]", "[]", "same shape"});
}
