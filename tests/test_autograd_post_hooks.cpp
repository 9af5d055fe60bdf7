// register_post_accumulate_grad_hook and queue_callback (autograd_hooks.h), with PyTorch 2.1's
// semantics: the hook sees .grad() after the accumulation; queued callbacks run when the backward's
// graph is done.
#include <string>
#include <vector>

#include "ember/autograd_hooks.h"
#include "helpers.h"

using namespace ember;
using ember_test::require_close;
using ember_test::require_throws_with;

namespace {
Tensor dvec(std::initializer_list<double> v) { return tensor(std::vector<double>(v), kDouble); }
Tensor dleaf(std::initializer_list<double> v) { return dvec(v).requires_grad_(); }
}  // namespace

TEST_CASE("post-accumulate hooks: see the accumulated .grad() after register_hook hooks", "[hooks]") {
  // x = torch.tensor([1., 2.], requires_grad=True); x.register_hook(lambda g: g * 10)
  // x.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.clone()))
  // (x * 2).sum().backward() twice: seen == [[20, 20], [40, 40]]
  Tensor x = dleaf({1, 2});
  x.register_hook([](Tensor g) { return g * 10; });
  std::vector<Tensor> seen;
  autograd::register_post_accumulate_grad_hook(x, [&](Tensor& p) { seen.push_back(p.grad().clone()); });
  (x * 2).sum().backward();
  (x * 2).sum().backward();
  REQUIRE(seen.size() == 2);
  require_close(seen[0], dvec({20, 20}), 0, 0);
  require_close(seen[1], dvec({40, 40}), 0, 0);
}

TEST_CASE("post-accumulate hooks: run on the in-place accumulation path, in order, and can be removed", "[hooks]") {
  // A matmul's backward may add into an existing .grad() directly; the hook must still see it.
  Tensor w = dleaf({1, 2, 3, 4}).view({2, 2}).detach().requires_grad_();
  Tensor x = dvec({1, 1, 2, 2}).view({2, 2});
  std::vector<std::string> order;
  std::vector<double> sums;
  unsigned first = autograd::register_post_accumulate_grad_hook(w, [&](Tensor& p) {
    order.push_back("first");
    sums.push_back(p.grad().sum().item<double>());
  });
  autograd::register_post_accumulate_grad_hook(w, [&](Tensor&) { order.push_back("second"); });
  x.mm(w).sum().backward();  // d/dw = x^T @ ones: [[3, 3], [3, 3]], sum 12
  x.mm(w).sum().backward();
  REQUIRE(order == std::vector<std::string>{"first", "second", "first", "second"});
  REQUIRE(sums == std::vector<double>{12, 24});
  autograd::remove_post_accumulate_grad_hook(w, first);
  x.mm(w).sum().backward();
  REQUIRE(order.size() == 5);
  REQUIRE(order.back() == "second");
  require_throws_with([&] { autograd::remove_post_accumulate_grad_hook(w, first); },
                      {"remove_post_accumulate_grad_hook", "no hook at position 0"});
}

TEST_CASE("post-accumulate hooks: not run by autograd::grad, which accumulates nothing", "[hooks]") {
  Tensor x = dleaf({1, 2});
  int calls = 0;
  autograd::register_post_accumulate_grad_hook(x, [&](Tensor&) { ++calls; });
  autograd::grad({(x * x).sum()}, {x});
  REQUIRE(calls == 0);
  (x * x).sum().backward();
  REQUIRE(calls == 1);
}

TEST_CASE("post-accumulate hooks: only on leaves that require grad", "[hooks][errors]") {
  Tensor x = dleaf({1, 2});
  require_throws_with([&] { autograd::register_post_accumulate_grad_hook(x * 2, [](Tensor&) {}); },
                      {"register_post_accumulate_grad_hook", "non-leaf"});
  require_throws_with([&] { autograd::register_post_accumulate_grad_hook(dvec({1}), [](Tensor&) {}); },
                      {"register_post_accumulate_grad_hook", "doesn't require gradient"});
}

TEST_CASE("queue_callback: runs after every gradient of the backward was accumulated", "[hooks]") {
  Tensor a = dleaf({1, 2});
  Tensor b = dleaf({3});
  std::vector<std::string> log;
  // Queued from a's hook, the first gradient to arrive or not: both .grad()s exist when it runs,
  // and a callback it queues runs after it, still inside backward().
  autograd::register_post_accumulate_grad_hook(a, [&](Tensor&) {
    log.push_back("hook a");
    autograd::queue_callback([&] {
      log.push_back(a.grad().defined() && b.grad().defined() ? "callback: all grads" : "callback: missing");
      autograd::queue_callback([&] { log.push_back("nested callback"); });
    });
  });
  ((a * b).sum() * 2).backward();
  log.push_back("after backward");
  REQUIRE(log == std::vector<std::string>{"hook a", "callback: all grads", "nested callback", "after backward"});
  require_close(a.grad(), dvec({6, 6}), 0, 0);
}

TEST_CASE("queue_callback: an error outside a backward; a throwing callback leaves backward()", "[hooks][errors]") {
  require_throws_with([] { autograd::queue_callback([] {}); }, {"queue_callback", "during backward pass"});
  Tensor a = dleaf({1, 2});
  autograd::register_post_accumulate_grad_hook(
      a, [](Tensor&) { autograd::queue_callback([] { EMBER_CHECK(false, "callback failed"); }); });
  require_throws_with([&] { (a * 3).sum().backward(); }, {"callback failed"});
  // The queue went with that backward: outside one, queueing is an error again.
  require_throws_with([] { autograd::queue_callback([] {}); }, {"queue_callback"});
}
