// The Tensor conveniences (docs/tensor_api.md) as a LibTorch program calls them: methods and
// torch:: free functions with LibTorch's arguments and defaults. Built against LibTorch and
// against ember, it must print the same text: tools/check_libtorch_compat.sh (values to 4
// decimals). Node names are printed where ember records LibTorch's.
#ifdef USE_TORCH
#include <torch/torch.h>
#else
#include <ember/torch_compat.h>  // the one line a port changes
#endif
#include "show.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

static std::string node(const torch::Tensor& t) { return t.grad_fn() ? t.grad_fn()->name() : "null"; }
static void show_all(const std::string& what, const std::vector<torch::Tensor>& parts) {
  for (size_t i = 0; i < parts.size(); ++i) show(what + "[" + std::to_string(i) + "]", parts[i]);
}

int main() {
  auto x = torch::tensor({-2.5, -1.2, -0.5, 0.3, 0.5, 1.5, 2.7}, torch::kDouble);
  show("floor", x.floor());
  show("ceil", torch::ceil(x));
  show("round", x.round());
  show("trunc", torch::trunc(x));
  show("frac", x.frac());
  show("sign", torch::sign(x));
  show("square", x.square());
  show("sin+cos", torch::sin(x) + x.cos());
  show("exp2", torch::exp2(x));
  show("reciprocal", x.reciprocal());
  show("rsqrt log2 log10", x.abs().rsqrt() + torch::log2(x.abs()) + x.abs().log10());
  show("fmod", torch::fmod(x, 1.1));
  show("remainder", x.remainder(torch::full({7}, -1.1, torch::kDouble)));
  auto ints = torch::tensor({-7, 7, 12, -5});
  show("remainder int", torch::remainder(ints, 3));
  show("bitwise",
       ints.bitwise_and(6) + torch::bitwise_or(ints, ints.flip({0})) + ints.bitwise_xor(3) + ints.bitwise_not());
  show("logical", x.logical_and(x.floor()).logical_or(torch::logical_not(x)).logical_xor(x > 0));
  auto inf = std::numeric_limits<double>::infinity();
  auto special = torch::tensor({1.0, std::nan(""), inf, -inf}, torch::kDouble);
  show("isnan isinf isfinite", special.isnan() + torch::isinf(special) * 2 + special.isfinite() * 4);
  show("nan_to_num", special.nan_to_num(0.5, 9.0, -9.0));
  show("isclose", x.isclose(x + 1e-9) + torch::isclose(x, x * 1.1));
  show("lerp", x.lerp(x.flip({0}), 0.3) + torch::lerp(x, x * 2, x.abs() / 3));
  show("clamp", x.clamp(torch::full({7}, -1.0, torch::kDouble), torch::full({7}, 1.0, torch::kDouble)));

  auto m = torch::arange(12, torch::kDouble).view({3, 4});
  show("flip", m.flip({0, 1}));
  show("roll", m.roll({1, -1}, {0, 1}) + torch::roll(m, 3));
  show("rot90", m.rot90() + torch::rot90(m, 2).t().t().rot90(-1));
  show("repeat", m.repeat({2, 1, 2}));
  show("tile", torch::tile(m, {2}));
  show("repeat_interleave", m.repeat_interleave(2, 1) * 1.0);
  show("repeat_interleave tensor", torch::repeat_interleave(m, torch::tensor({1, 0, 2}), 0));
  show_all("chunk", m.chunk(3, 1));
  show_all("split", torch::split(m, 2, 1));
  show_all("split sizes", m.split({1, 2}, 0));
  show_all("unbind", m.unbind(1));
  show_all("meshgrid", torch::meshgrid({torch::arange(2), torch::arange(3)}, "xy"));
  show("tril triu", m.tril(1) + torch::triu(m, -1));
  show("diag", m.diag(1) + torch::diag(m).sum());
  show("diag vec", torch::diag(torch::tensor({1.0, 2.0}), -1));
  show("outer", torch::outer(torch::arange(3), torch::arange(2)));

  auto r = torch::linspace(-2, 3, 12, torch::kDouble).view({3, 4}).requires_grad_();
  auto y = r.norm() + r.norm(1, {1}).sum() + torch::norm(r, inf, {0}, true).sum();
  y.backward();
  show("norm grad", r.grad());
  std::printf("norm nodes %s %s\n", node(r.norm()).c_str(), node(r.norm(3, {1})).c_str());
  show("prod", r.prod() + torch::prod(r, 1).sum() + r.prod(0, true).sum());
  show("cumsum cumprod", r.cumsum(1) + torch::cumprod(r, 0));
  std::printf("cumsum node %s\n", node(r.cumsum(0)).c_str());
  show("std var", r.std() + torch::var(r, {1}, false, true).sum() + r.std({0}, true, false).sum());
  show("logsumexp", r.logsumexp({1}) + torch::logsumexp(r, std::vector<int64_t>{0, 1}, true));
  show("all any", r.all().to(torch::kDouble) + torch::any(r, 1).sum() + (r > 0).all(0, true).sum());

  auto a = torch::arange(6, torch::kDouble).view({2, 3}), b = torch::arange(12, torch::kDouble).view({3, 4});
  show("addmm", torch::addmm(torch::ones({4}, torch::kDouble), a, b, 0.5, 2) + a.mm(b).addmm(a, b));
  show("addmv", torch::addmv(torch::ones({2}, torch::kDouble), a, torch::arange(3, torch::kDouble)));
  auto a3 = a.view({1, 2, 3}), b3 = b.view({1, 3, 4});
  show("bmm baddbmm", a3.bmm(b3) + torch::baddbmm(torch::ones({1, 2, 4}, torch::kDouble), a3, b3, 2, 0.5));
  show("mv dot", a.mv(torch::arange(3, torch::kDouble)).sum() + torch::dot(a[0], a[1]));
  show("einsum", torch::einsum("ij,jk->ik", {a, b}) + torch::einsum("bij,bjk->bik", {a3, b3})[0]);
  show("einsum trace-free", torch::einsum("ij->j", {a}) + torch::einsum("i,i->", {a[0], a[1]}));

  show("linspace", torch::linspace(0, 1, 5) + torch::logspace(0, 2, 5, 10.0));
  auto d = torch::ones({2}, torch::kDouble);
  show("new_*", d.new_zeros({2}) + d.new_ones({2}) + d.new_full({2}, 3) + d.new_empty({2}).fill_(1));
  show("empty_strided", torch::empty_strided({2, 3}, {1, 2}).fill_(2));
  float data[6] = {1, 2, 3, 4, 5, 6};
  int deleted = 0;
  {
    auto blob = torch::from_blob(data, {2, 3}, [&deleted](void*) { ++deleted; });
    show("from_blob", blob);
  }
  std::printf("deleter ran %d\n", deleted);
  return 0;
}
