// Recorded in-place relu_, add_ and sub_ (src/ops/elementwise.cpp), which write into self without
// the clone a saved input would need (relu's backward reads its output, a sum's nothing; on a
// tensor that is no view the kernel runs in self): the same values, gradients and node
// names as their out-of-place forms, broadcasting, alpha, views, and the version check that still
// stops a backward whose saved tensor an in-place op changed (relu_'s own output included, as in
// PyTorch).
#include "catch.h"
#include "ember/ember.h"
#include "helpers.h"

using namespace ember;

namespace {

struct Grads {
  Tensor out, ga, gb;
};

// ((a * 2) op b) through `step`, summed against fixed weights; the gradients of a and b.
template <typename Step>
Grads run(const Tensor& a0, const Tensor& b0, Step step) {
  const Tensor a = a0.clone().requires_grad_(true), b = b0.clone().requires_grad_(true);
  Tensor t = a * 2.0;
  t = step(t, b);
  const Tensor w = arange(t.numel(), kDouble).reshape(t.sizes()) * 0.1 - 0.5;
  (t * w).sum().backward();
  return {t.detach(), a.grad(), b.grad()};
}

void require_same(const Grads& got, const Grads& want) {
  ember_test::require_equal(got.out, want.out);
  ember_test::require_equal(got.ga, want.ga);
  ember_test::require_equal(got.gb, want.gb);
}

}  // namespace

TEST_CASE("relu_, add_ and sub_ under autograd match their out-of-place forms", "[autograd][inplace]") {
  manual_seed(5);
  const Tensor a = randn({3, 4}, kDouble), b = randn({3, 4}, kDouble), row = randn({4}, kDouble);
  SECTION("a residual add_ then relu_ (ResNet's block end)") {
    require_same(run(a, b, [](Tensor t, const Tensor& o) { return t.add_(o).relu_(); }),
                 run(a, b, [](const Tensor& t, const Tensor& o) { return relu(t + o); }));
  }
  SECTION("relu_ of a view") {
    require_same(run(a, b,
                     [](Tensor t, const Tensor& o) {
                       t.narrow(1, 1, 2).relu_();
                       return t * o;
                     }),
                 run(a, b, [](const Tensor& t, const Tensor& o) {
                   return cat({t.narrow(1, 0, 1), relu(t.narrow(1, 1, 2)), t.narrow(1, 3, 1)}, 1) * o;
                 }));
  }
  SECTION("add_ with alpha, sub_") {
    require_same(run(a, b, [](Tensor t, const Tensor& o) { return t.add_(o, 2.5).sub_(o, 0.5); }),
                 run(a, b, [](const Tensor& t, const Tensor& o) { return t + o * 2.5 - o * 0.5; }));
  }
  SECTION("add_ of a broadcast row: its gradient sums the rows") {
    require_same(run(a, row, [](Tensor t, const Tensor& o) { return t.add_(o); }),
                 run(a, row, [](const Tensor& t, const Tensor& o) { return t + o; }));
  }
  SECTION("add_ into a view") {
    require_same(run(a, row,
                     [](Tensor t, const Tensor& o) {
                       t.select(0, 1).add_(o);
                       return t;
                     }),
                 run(a, row, [](const Tensor& t, const Tensor& o) {
                   return cat({t.narrow(0, 0, 1), t.narrow(0, 1, 1) + o, t.narrow(0, 2, 1)});
                 }));
  }
  SECTION("node names") {
    const Tensor x = randn({2, 2}).requires_grad_(true), y = randn({2, 2}).requires_grad_(true);
    Tensor t = x * 1.0;
    t.add_(y);
    CHECK(ember_test::node_name(t) == "AddBackward0");
    t.sub_(y);
    CHECK(ember_test::node_name(t) == "SubBackward0");
    t.relu_();
    CHECK(ember_test::node_name(t) == "ReluBackward0");
  }
}

TEST_CASE("add_ and relu_ of a tensor a backward saved still fail that backward", "[autograd][inplace]") {
  const Tensor x = randn({3}).requires_grad_(true), y = randn({3}).requires_grad_(true);
  {
    Tensor t = x.exp();  // exp's backward reads its output, t
    t.add_(y);
    REQUIRE_THROWS_AS(t.sum().backward(), Error);
  }
  {
    Tensor t = x.exp();
    t.relu_();
    REQUIRE_THROWS_AS(t.sum().backward(), Error);
  }
  {
    // relu_'s node saves its output, self: changing it afterwards fails the backward, as in
    // PyTorch ("modified by an inplace operation").
    Tensor t = x * 1.0;
    t.relu_();
    t.add_(y);
    REQUIRE_THROWS_AS(t.sum().backward(), Error);
  }
}
