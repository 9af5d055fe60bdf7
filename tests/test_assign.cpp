// Assignment into views, as LibTorch: `t[1] = row` and `t.narrow(0, 2, 1) = 7.5` write into t
// (copy_/fill_ on the temporary view), `a = b` on a named tensor rebinds it. Autograd through
// such writes (the base takes the history: CopySlices), the leaf and overlap errors, and the
// dtype rules. Expected values are PyTorch 1.13's for the same programs.
#include <type_traits>

#include "helpers.h"

using namespace ember;
using namespace ember_test;

// LibTorch's overload set: a Scalar can be assigned to a temporary, never to a named tensor.
static_assert(std::is_assignable<Tensor, double>::value, "t[0] = 5 must compile");
static_assert(!std::is_assignable<Tensor&, double>::value, "a = 5 on a named tensor must not compile");
static_assert(std::is_assignable<Tensor, const Tensor&>::value && std::is_assignable<Tensor&, Tensor>::value,
              "both tensor assignments exist");

namespace {
Tensor grid(Device d, ScalarType dt = kFloat) {  // [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]
  return arange(12, TensorOptions(dt).device(d)).view({3, 4});
}
}  // namespace

TEST_CASE("assignment writes rows, elements, columns and slabs into the viewed tensor", "[assign]") {
  for (Device d : ember_test::test_devices()) {
    INFO("device " << d);
    Tensor t = zeros({3, 4}, TensorOptions(kFloat).device(d));
    t[1] = arange(4, TensorOptions(kFloat).device(d)) + 1;
    require_equal(t.cpu(), tensor({{0.f, 0.f, 0.f, 0.f}, {1.f, 2.f, 3.f, 4.f}, {0.f, 0.f, 0.f, 0.f}}));
    t[0][1] = 5;
    t.select(1, 3) = tensor({-1.f, -2.f, -3.f}).to(d);
    t.narrow(0, 2, 1) = 7.5;
    require_equal(t.cpu(), tensor({{0.f, 5.f, 0.f, -1.f}, {1.f, 2.f, 3.f, -2.f}, {7.5f, 7.5f, 7.5f, 7.5f}}));
    t.slice(1, 0, 4, 2) = 9;  // every other column: a strided view
    require_equal(t.cpu(), tensor({{9.f, 5.f, 9.f, -1.f}, {9.f, 2.f, 9.f, -2.f}, {9.f, 7.5f, 9.f, 7.5f}}));
    t.t()[1] = tensor({0.5f, 0.25f, 0.125f}).to(d);  // column 1 through a transposed view
    require_equal(t.cpu(), tensor({{9.f, .5f, 9.f, -1.f}, {9.f, .25f, 9.f, -2.f}, {9.f, .125f, 9.f, 7.5f}}));
    // The temporary's operator= returns the view, which shares t's storage.
    Tensor r = (t[2] = 3.0);
    CHECK(r.is_view());
    CHECK(r._base().is_same(t));
    CHECK(t[2].sum().item<float>() == 12.f);
    CHECK(t._version() > 0);
  }
}

TEST_CASE("assignment broadcasts the source as copy_ does, and refuses what copy_ refuses", "[assign]") {
  for (Device d : ember_test::test_devices()) {
    INFO("device " << d);
    Tensor t = zeros({3, 4}, TensorOptions(kFloat).device(d));
    t[1] = tensor({2.5f}).to(d);                                     // [1] -> [4]
    t.narrow(0, 0, 1) = tensor(1.5f).to(d);                          // 0-dim -> [1, 4]
    t.narrow(0, 2, 1) = arange(4, TensorOptions(kFloat).device(d));  // [4] -> [1, 4]
    require_equal(t.cpu(), tensor({{1.5f, 1.5f, 1.5f, 1.5f}, {2.5f, 2.5f, 2.5f, 2.5f}, {0.f, 1.f, 2.f, 3.f}}));
    require_throws_with([&] { t[1] = ones({2}, TensorOptions(kFloat).device(d)); }, {"copy_", "[2]", "[4]"});
    // As LibTorch: the destination does not grow ([4] <- [1, 4] is an error).
    require_throws_with([&] { t[1] = ones({1, 4}, TensorOptions(kFloat).device(d)); }, {"copy_", "[1, 4]"});
  }
}

TEST_CASE("assignment converts the source to the view's dtype as LibTorch does", "[assign]") {
  for (Device d : ember_test::test_devices()) {
    INFO("device " << d);
    Tensor f = zeros({2, 2}, TensorOptions(kFloat).device(d));
    f[0] = tensor({1.0 / 3.0, 0.1}, kDouble).to(d);  // rounded to float
    f[1] = tensor({true, false}).to(d);
    require_equal(f.cpu(), tensor({{float(1.0 / 3.0), 0.1f}, {1.f, 0.f}}));
    f[1][1] = int64_t(7);
    CHECK(f[1][1].item<float>() == 7.f);

    Tensor i = zeros({2, 3}, TensorOptions(kLong).device(d));
    i[0] = tensor({1.7, -2.7, 3.5}, kDouble).to(d);  // truncated toward zero
    i[1][0] = 2.9;
    i[1][2] = true;
    require_equal(i.cpu(), tensor({{1, -2, 3}, {2, 0, 1}}, kLong));

    Tensor b = zeros({2, 3}, TensorOptions(kBool).device(d));
    b[0] = tensor({0.0, 2.0, -1.0}).to(d);  // nonzero is true
    b[1][1] = 2.5;
    require_equal(b.cpu(), tensor({{false, true, true}, {false, true, false}}));
    b[1][1] = 0.0;
    CHECK(!b[1][1].item<bool>());
  }
}

TEST_CASE("assignment into a view of a non-leaf: the base takes the history (CopySlices)", "[assign][autograd]") {
  for (Device d : ember_test::test_devices()) {
    INFO("device " << d);
    // y = x * 2; y[0] = z * 3: y's row 0 no longer depends on x, and depends on z.
    Tensor x = leaf({0, 1, 2, 3, 4, 5}, d).view({2, 3}).detach().requires_grad_();
    Tensor z = leaf({1, 2, 3}, d);
    Tensor y = x * 2;
    y[0] = z * 3;
    CHECK(y.grad_fn()->name() == "ember::autograd::CopySlices");
    Tensor w = arange(6, TensorOptions(kDouble).device(d)).view({2, 3});
    (y * w).sum().backward();
    require_close(x.grad(), tensor({{0.0, 0.0, 0.0}, {6.0, 8.0, 10.0}}, kDouble).to(d), 0, 0);
    require_close(z.grad(), tensor({0.0, 3.0, 6.0}, kDouble).to(d), 0, 0);
    require_close(y.detach(), tensor({{3.0, 6.0, 9.0}, {6.0, 8.0, 10.0}}, kDouble).to(d), 0, 0);
  }
}

TEST_CASE("assignment into columns, elements and named views of a non-leaf", "[assign][autograd]") {
  Device d = kCPU;
  {  // a column, from a tensor that requires grad: torch gives x.grad [[0,1,0],[3,4,0]], z.grad [40, 200]
    Tensor x = arange(6, kDouble).view({2, 3}).requires_grad_();
    Tensor z = leaf({10, 20}, d);
    Tensor y = x * 1;
    y.select(1, 2) = z * z;
    (y * arange(6, kDouble).view({2, 3})).sum().backward();
    require_close(x.grad(), tensor({{0.0, 1.0, 0.0}, {3.0, 4.0, 0.0}}, kDouble), 0, 0);
    require_close(z.grad(), tensor({40.0, 200.0}, kDouble), 0, 0);
  }
  {  // an element, from a constant: its gradient stops there
    Tensor x = ones({2, 3}, kDouble).requires_grad_();
    Tensor y = x * 2;
    y[0][1] = 5;
    CHECK(y.grad_fn()->name() == "ember::autograd::CopySlices");
    y.sum().backward();
    require_close(x.grad(), tensor({{2.0, 0.0, 2.0}, {2.0, 2.0, 2.0}}, kDouble), 0, 0);
  }
  {  // in place through a named view: the view's own grad_fn is regenerated over the base
    Tensor x = arange(6, kDouble).view({2, 3}).requires_grad_();
    Tensor y = x * 2;
    Tensor v = y[0];
    CHECK(v.grad_fn()->name() == "SelectBackward0");
    v.mul_(2);
    CHECK(v.grad_fn()->name() == "AsStridedBackward0");
    CHECK(y.grad_fn()->name() == "ember::autograd::CopySlices");
    (y.sum() + v.sum()).backward();
    require_close(x.grad(), tensor({{8.0, 8.0, 8.0}, {2.0, 2.0, 2.0}}, kDouble), 0, 0);
  }
  {  // in place on the base: an older view now reads the new values, and so does its gradient
    Tensor x = arange(6, kDouble).view({2, 3}).requires_grad_();
    Tensor y = x * 2;
    Tensor v = y[0];
    y.mul_(3);
    CHECK(v.grad_fn()->name() == "AsStridedBackward0");
    v.sum().backward();
    require_close(x.grad(), tensor({{6.0, 6.0, 6.0}, {0.0, 0.0, 0.0}}, kDouble), 0, 0);
  }
  {  // a base that required no grad starts to, and so do its other views
    Tensor y = zeros({2, 3}, kDouble);
    Tensor other = y[1];
    CHECK(!other.requires_grad());
    Tensor z = leaf({1, 2, 3}, d);
    y[0] = z * 3;
    CHECK(y.requires_grad());
    CHECK(!y.is_leaf());
    CHECK(other.requires_grad());
    (y.sum() + other.sum()).backward();
    require_close(z.grad(), full({3}, 3.0, kDouble), 0, 0);
  }
  {  // a view of a view: the write reaches the root base
    Tensor a = zeros({3}, kDouble);
    Tensor z = tensor(2.0, kDouble).requires_grad_();
    Tensor e = a.unsqueeze(0).unsqueeze(2);  // [1, 3, 1]
    e[0].select(1, 0) = z * tensor({1.0, 2.0, 3.0}, kDouble);
    CHECK(e[0]._base().is_same(a));
    (a * tensor({1.0, 10.0, 100.0}, kDouble)).sum().backward();
    CHECK(z.grad().item<double>() == 321.0);
  }
  {  // an expand()ed view regenerated after its base changed: repeated elements' gradients add up
    Tensor x = ones({3}, kDouble).requires_grad_();
    Tensor y = x * 1;
    Tensor ex = y.expand({2, 3});
    y.mul_(2);
    CHECK(ex.grad_fn()->name() == "AsStridedBackward0");
    (ex * tensor({{1.0}, {10.0}}, kDouble)).sum().backward();
    require_close(x.grad(), full({3}, 22.0, kDouble), 0, 0);
  }
}

TEST_CASE("values that replace a non-leaf's in place send its old history zeros", "[assign][autograd]") {
  // LibTorch keeps a filled or copied-over non-leaf in the graph (FillBackward2, CopyBackwards):
  // x gets a zero gradient, not its old one.
  for (const char* op : {"fill_", "zero_", "copy_", "normal_", "uniform_"}) {
    INFO(op);
    Tensor x = ones({3}, kDouble).requires_grad_();
    Tensor y = x * 2;
    std::string s = op;
    if (s == "fill_") y.fill_(1);
    if (s == "zero_") y.zero_();
    if (s == "copy_") y.copy_(ones({3}, kDouble));
    if (s == "normal_") y.normal_();
    if (s == "uniform_") y.uniform_();
    CHECK(y.requires_grad());
    y.sum().backward();
    require_close(x.grad(), zeros({3}, kDouble), 0, 0);
  }
  // copy_ from a source that requires grad: summed over what was broadcast, in the source's dtype.
  Tensor x = ones({2, 3}, kDouble).requires_grad_();
  Tensor src = tensor({1.f, 2.f, 3.f}).requires_grad_();
  Tensor y = x * 2;
  y.copy_(src);
  CHECK(y.grad_fn()->name() == "ember::autograd::CopyBackwards");
  (y * 2).sum().backward();
  require_close(x.grad(), zeros({2, 3}, kDouble), 0, 0);
  require_equal(src.grad(), tensor({4.f, 4.f, 4.f}));
  // A source of the same shape stays the leaf it was.
  Tensor same = tensor({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}}, kDouble).requires_grad_();
  Tensor y2 = x * 3;
  y2.copy_(same);
  CHECK(same.is_leaf());
  CHECK(y2.grad_fn()->name() == "ember::autograd::CopyBackwards");
  (y2 * y2).sum().backward();
  require_close(same.grad(), same.detach() * 2, 0, 0);
  // Into an integer tensor nothing is recorded (LibTorch: integers carry no gradient).
  Tensor n = zeros({3}, kLong);
  n.copy_(src * 1);
  CHECK(!n.requires_grad());
  require_equal(n, tensor({1, 2, 3}, kLong));
}

TEST_CASE("gradients through assignments match finite differences", "[assign][autograd]") {
  for (Device d : ember_test::test_devices()) {
    INFO("device " << d);
    ember_test::gradcheck(
        [](const std::vector<Tensor>& v) {
          Tensor y = v[0] * v[0];                  // [3, 4]
          y[1] = v[1].exp();                       // a row from z
          y.select(1, 3) = v[0].select(1, 0) * 2;  // a column from x's other values
          y.narrow(0, 2, 1) *= 3;                  // in place on a slab
          y[0][0] = 1.5;                           // a constant element
          return y * v[0] + y;
        },
        {ember_test::rnd({3, 4}, kDouble), ember_test::rnd({4}, kDouble)}, d);
  }
}

TEST_CASE("assignment into a view of a leaf that requires grad is LibTorch's error", "[assign][autograd]") {
  Tensor x = ones({2, 3}).requires_grad_();
  const char* msg = "a view of a leaf Variable that requires grad is being used in an in-place operation";
  require_throws_with([&] { x[0] = 5; }, {"fill_", msg, "[3] float32 cpu", "[2, 3] float32 cpu"});
  require_throws_with([&] { x[0] = zeros({3}); }, {"copy_", msg});
  require_throws_with([&] { x.narrow(0, 0, 1).mul_(2); }, {"mul_", msg});
  require_throws_with([&] { x.add_(1); }, {"add_", "a leaf tensor that requires grad"});
  require_equal(x.detach(), ones({2, 3}));
  {
    NoGradGuard g;  // updates of parameters: allowed, and x stays a leaf
    x[0] = 5;
    x.select(1, 2) = tensor({-1.f, -2.f});
  }
  require_equal(x.detach(), tensor({{5.f, 5.f, -1.f}, {1.f, 1.f, -2.f}}));
  CHECK(x.is_leaf());
  CHECK(x.requires_grad());
  // A view made in no-grad mode, written with grad mode on: ambiguous, so LibTorch forbids it.
  Tensor y = zeros({2, 3});
  Tensor v;
  {
    NoGradGuard g;
    v = y[0];
  }
  require_throws_with(
      [&] { v.copy_(ones({3}).requires_grad_()); },
      {"copy_", "A view was created in no_grad mode and is being modified inplace with grad mode enabled"});
  v.fill_(2);  // nothing requires grad: allowed
  require_throws_with([&] { v.detach_(); }, {"detach_", "can't detach views in-place"});
}

TEST_CASE("assignment between overlapping views: what LibTorch allows and what it refuses", "[assign]") {
  for (Device d : ember_test::test_devices()) {
    INFO("device " << d);
    Tensor t = grid(d);
    t[0] = t[1];  // disjoint rows of one tensor
    require_equal(t.cpu(), tensor({{4.f, 5.f, 6.f, 7.f}, {4.f, 5.f, 6.f, 7.f}, {8.f, 9.f, 10.f, 11.f}}));
    t[2] = t[2];  // the same elements: a no-op
    t.copy_(t);
    require_equal(t[2].cpu(), tensor({8.f, 9.f, 10.f, 11.f}));
    // Overlapping narrows of one row would read what they already wrote: torch refuses.
    Tensor r = arange(5, TensorOptions(kFloat).device(d));
    const char* partial = "some elements of the input tensor ([3] float32";
    require_throws_with([&] { r.narrow(0, 0, 3) = r.narrow(0, 1, 3); }, {"copy_", partial, "Please clone()"});
    require_throws_with([&] { r.narrow(0, 1, 3) = r.narrow(0, 0, 3); }, {"copy_", partial});
    require_throws_with([&] { r.narrow(0, 1, 4).add_(r.narrow(0, 0, 4)); }, {"add_", "some elements of the input"});
    require_equal(r.cpu(), tensor({0.f, 1.f, 2.f, 3.f, 4.f}));
    r.narrow(0, 0, 3) = r.narrow(0, 1, 3).clone();  // what the message advises
    require_equal(r.cpu(), tensor({1.f, 2.f, 3.f, 3.f, 4.f}));
    Tensor sq = arange(4, TensorOptions(kFloat).device(d)).view({2, 2});
    require_throws_with([&] { sq.copy_(sq.t()); }, {"copy_", "some elements of the input tensor"});
    sq[0] = sq.select(1, 0);  // the row and the column share one element: too irregular to refuse
    require_equal(sq.cpu(), tensor({{0.f, 2.f}, {2.f, 3.f}}));
    // A destination whose elements repeat (expand): copy_ refuses, fill_ writes.
    Tensor base = zeros({3}, TensorOptions(kFloat).device(d));
    require_throws_with(
        [&] {
          base.expand({2, 3}) = ones({2, 3}, TensorOptions(kFloat).device(d));
        },
        {"copy_", "more than one element of the written-to tensor"});
    base.expand({2, 3}) = 1.5;
    require_equal(base.cpu(), tensor({1.5f, 1.5f, 1.5f}));
  }
}

TEST_CASE("assignment to a named tensor rebinds it and leaves the viewed tensor alone", "[assign]") {
  Tensor t = grid(kCPU);
  Tensor a = t[0];
  Tensor other = full({4}, 9.f);
  a = other;
  CHECK(a.is_same(other));
  CHECK(!a.is_view());
  require_throws_with([&] { a._base(); }, {"_base", "not a view", "[4] float32 cpu"});
  require_equal(t, grid(kCPU));
  Tensor b = t[1];
  b = ones({2, 2});  // another shape is fine: only the name moves
  CHECK(b.sizes() == IntArrayRef({2, 2}));
  Tensor c = t[2];
  Tensor moved = zeros({4});
  c = std::move(moved);
  require_equal(t, grid(kCPU));
  require_equal(c, zeros({4}));
  // Compound assignment on a named view still writes through, as in LibTorch.
  Tensor row = t[1];
  row += 1;
  require_equal(t[1], tensor({5.f, 6.f, 7.f, 8.f}));
}
