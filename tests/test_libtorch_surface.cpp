// Places where LibTorch code compiled against ember but meant something else, now as LibTorch:
// grad_fn()->name() (LibTorch 1.13's C++ node names, its own C++ nodes named ember:: where
// LibTorch says torch::, as module names are), bool arithmetic, negative integer powers, views
// that alias, toString()/print(). Expected values were printed by LibTorch doing the same calls;
// docs/libtorch_differences.md lists what still differs.
#include <iostream>
#include <sstream>

#include "helpers.h"

using namespace ember;
namespace F = ember::nn::functional;

namespace {
std::string name_of(const Tensor& t) { return t.grad_fn() ? t.grad_fn()->name() : std::string("null"); }
}  // namespace

TEST_CASE("grad_fn()->name() gives LibTorch's node names", "[autograd][names]") {
  Tensor x = randn({2, 3}, requires_grad());
  Tensor y = randn({2, 3}, requires_grad());
  Tensor w = randn({4, 3}, requires_grad());
  Tensor b = randn({4}, requires_grad());
  const std::vector<std::pair<std::string, Tensor>> cases = {
      {"AddBackward0", x + y},
      {"AddBackward1", x + 2},
      {"AddBackward1", 2 + x},
      {"AddBackward0", add(x, y, 2)},
      {"AddBackward1", x.add(2, 3)},
      {"SubBackward0", x - y},
      {"SubBackward1", x - 2},
      {"SubBackward0", 2 - x},
      {"MulBackward0", x * y},
      {"MulBackward1", x * 2},
      {"MulBackward1", 2 * x},
      {"DivBackward0", x / y},
      {"DivBackward1", x / 2},
      {"DivBackward0", 2 / x},
      {"NegBackward0", -x},
      {"ExpBackward0", x.exp()},
      {"LogBackward0", x.log()},
      {"SqrtBackward0", x.sqrt()},
      {"AbsBackward0", x.abs()},
      {"ReluBackward0", x.relu()},
      {"SigmoidBackward0", x.sigmoid()},
      {"TanhBackward0", x.tanh()},
      {"ErfBackward0", x.erf()},
      {"PowBackward0", x.pow(2)},
      {"PowBackward1", x.pow(y)},
      {"ClampBackward1", x.clamp(0, 1)},
      {"ClampMinBackward0", x.clamp_min(0.1)},
      {"ClampMaxBackward0", x.clamp_max(0.1)},
      {"ClampBackward1", x.clamp(0.1)},
      {"WhereBackward0", where(x > 0, x, y)},
      {"MmBackward0", x.mm(w.t())},
      {"MmBackward0", x.matmul(w.t())},
      {"AddmmBackward0", F::linear(x, w, b)},
      {"MmBackward0", F::linear(x, w)},
      {"AddBackward0", F::linear(x.unsqueeze(0), w, b)},
      {"SumBackward0", x.sum()},
      {"SumBackward1", x.sum(1)},
      {"SumBackward0", x.sum(kDouble)},
      {"MeanBackward0", x.mean()},
      {"MeanBackward1", x.mean(1)},
      {"MaxBackward1", x.max()},
      {"MaxBackward0", std::get<0>(x.max(1))},
      {"MinBackward1", x.min()},
      {"MinBackward0", std::get<0>(x.min(1))},
      {"ViewBackward0", x.view({6})},
      {"ReshapeAliasBackward0", x.reshape({6})},
      {"UnsafeViewBackward0", x.t().reshape({6})},
      {"ReshapeAliasBackward0", x.flatten()},
      {"UnsafeViewBackward0", x.t().flatten()},
      {"PermuteBackward0", x.permute({1, 0})},
      {"TransposeBackward0", x.transpose(0, 1)},
      {"TBackward0", x.t()},
      {"SliceBackward0", x.narrow(1, 0, 2)},
      {"SliceBackward0", x.slice(1, 1)},
      {"SelectBackward0", x[0]},
      {"SelectBackward0", x.select(1, 2)},
      {"UnsqueezeBackward0", x.unsqueeze(0)},
      {"SqueezeBackward0", x.unsqueeze(0).squeeze()},
      {"SqueezeBackward1", x.unsqueeze(0).squeeze(0)},
      {"ExpandBackward0", x[0].expand({2, 3})},
      {"ViewBackward0", x.view_as(x)},
      {"ExpandBackward0", x[0].expand_as(x)},
      {"ToCopyBackward0", x.to(kDouble)},
      {"CloneBackward0", x.clone()},
      {"CloneBackward0", x.t().contiguous()},
      {"IndexSelectBackward0", x.index_select(0, tensor({1, 0}))},
      {"CatBackward0", cat({x, y})},
      {"LogSoftmaxBackward0", x.log_softmax(1)},
      {"SoftmaxBackward0", x.softmax(1)},
      {"NllLossBackward0", F::cross_entropy(x, tensor({0, 2}))},
      {"NllLossBackward0", F::nll_loss(x, tensor({0, 2}))},
      {"GeluBackward0", F::gelu(x)},
      {"ConvolutionBackward0", F::conv2d(randn({1, 3, 5, 5}), randn({2, 3, 3, 3}, requires_grad()))},
      {"MaxPool2DWithIndicesBackward0",
       F::max_pool2d(randn({1, 3, 4, 4}, requires_grad()), F::MaxPool2dFuncOptions(2))},
      {"null", x.cpu()},
      {"null", x.to(kFloat)},
      {"ToCopyBackward0", x.to(kFloat, false, true)},
  };
  for (const auto& c : cases) CHECK(name_of(c.second) == c.first);

  // In place: the node of the op that wrote last.
  Tensor z = x * 2;
  std::vector<std::pair<std::string, std::function<void()>>> steps = {
      {"AddBackward1", [&] { z.add_(1); }},
      {"AddBackward0", [&] { z.add_(y); }},
      {"MulBackward1", [&] { z.mul_(2); }},
      {"MulBackward0", [&] { z.mul_(y); }},
      {"SubBackward1", [&] { z.sub_(1); }},
      {"SubBackward0", [&] { z.sub_(y); }},
      {"DivBackward1", [&] { z.div_(2); }},
      {"DivBackward0", [&] { z.div_(y); }},
      {"ReluBackward0", [&] { z.relu_(); }},
      {"ClampBackward1", [&] { z.clamp_(0, 1); }},
      {"ClampMinBackward0", [&] { z.clamp_min_(0); }},
      {"NegBackward0", [&] { z.neg_(); }},
      {"ZeroBackward0", [&] { z.zero_(); }},
      {"FillBackward2", [&] { z.fill_(2.0); }},
      {"ember::autograd::CopyBackwards", [&] { z.copy_(y); }},
      {"NormalBackward0", [&] { z.normal_(); }},
      {"UniformBackward0", [&] { z.uniform_(); }},
      {"AddBackward1", [&] { z += 1; }},
      {"AddBackward0", [&] { z += y; }},
      {"SubBackward1", [&] { z -= 1; }},
      {"MulBackward1", [&] { z *= 2; }},
      {"DivBackward1", [&] { z /= 2; }},
      {"ember::autograd::CopySlices", [&] { z[0] = 5; }},
  };
  for (const auto& s : steps) {
    s.second();
    CHECK(name_of(z) == s.first);
  }
  CHECK(name_of(z[0]) == "SelectBackward0");
  const Tensor e = x.expand({2, 2, 3});
  CHECK(e.grad_fn()->next_edges[0].fn->name() == "ember::autograd::AccumulateGrad");
}

TEST_CASE("error messages keep quoting ember's op names", "[autograd][names]") {
  Tensor x = ones({3}, kDouble).requires_grad_();
  Tensor s = (x * 2).sum();
  s.backward();
  ember_test::require_throws_with([&] { s.backward(); }, {"(node 'sum')"});
}

// --- the rest of the Tensor surface, where LibTorch code used to compile but mean something else ---

TEST_CASE("bools add and multiply as bools, as in LibTorch", "[libtorch]") {
  Tensor a = tensor({true, false, true, false}), b = tensor({true, true, false, false});
  ember_test::require_equal(a + b, tensor({true, true, true, false}));
  ember_test::require_equal(a * b, tensor({true, false, false, false}));
  ember_test::require_equal(a + true, tensor({true, true, true, true}));
  ember_test::require_equal(a * true, a);
  Tensor c = a.clone();
  c.add_(b);
  ember_test::require_equal(c, tensor({true, true, true, false}));
  // A number of another kind still promotes: bool + 1 is int64, bool * 1.5 float.
  ember_test::require_equal(a + 1, tensor({2, 1, 2, 1}, kLong));
  CHECK((a * 1.5).dtype() == kFloat);
  CHECK(a.sum().item<int64_t>() == 2);
  ember_test::require_throws_with([&] { a - b; }, {"sub", "bool"});
}

TEST_CASE("an integer tensor to a negative integer power is LibTorch's error", "[libtorch]") {
  ember_test::require_throws_with([] { tensor({2}).pow(-1); },
                                  {"pow", "Integers to negative integer powers are not allowed", "[1] int64 cpu"});
  ember_test::require_equal(tensor({2}).pow(2), tensor({4}, kLong));
  ember_test::require_close(tensor({2}).pow(-1.0), tensor({0.5f}), 0, 0);
  ember_test::require_equal(tensor({2}).pow(tensor({-1})), tensor({0}, kLong));  // LibTorch allows this form
}

TEST_CASE("view ops return a new view even where nothing changes", "[libtorch]") {
  Tensor m = arange(6, kFloat).view({2, 3});
  for (const Tensor& v :
       {m.squeeze(0), m.transpose(1, 1), tensor(1.f).t(), arange(3, kFloat).t(), tensor(2.f).squeeze(0)}) {
    CHECK(v.is_view());
    CHECK(!v.is_same(m));
  }
  Tensor x = ones({3}, requires_grad());
  CHECK(x.t().grad_fn()->name() == "TBackward0");
  CHECK(x.squeeze(0).grad_fn()->name() == "SqueezeBackward1");
  Tensor s = m.squeeze(0);
  s[0][0] = 7;  // still m's storage
  CHECK(m[0][0].item<float>() == 7.f);
}

TEST_CASE("toString() and print() say what LibTorch's say", "[libtorch]") {
  CHECK(ones({2, 3}).toString() == "CPUFloatType");
  CHECK(ones({1}, kLong).toString() == "CPULongType");
  CHECK(ones({1}, kBool).toString() == "CPUBoolType");
  std::ostringstream err;
  std::streambuf* old = std::cerr.rdbuf(err.rdbuf());
  ones({2, 3}).print();
  ones({}, kDouble).print();
  Tensor().print();
  std::cerr.rdbuf(old);
  CHECK(err.str() == "[CPUFloatType [2, 3]]\n[CPUDoubleType []]\n[UndefinedTensor]\n");
}
