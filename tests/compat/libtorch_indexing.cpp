// Indexing and the Tensor conveniences as a LibTorch program writes them: index / index_put_ with
// Slice, None, Ellipsis, integers, boolean masks and index tensors (with gradients), masked_*,
// index_add / index_copy / index_fill, gather / scatter / scatter_reduce / take, nonzero, sort /
// topk / kthvalue / median / mode / unique, min / max with dims, std / var, clamp with tensors,
// chunk / unbind / tril / allclose / equal / nan_to_num, accessors, dtype promotion and
// printing. Built against LibTorch and against ember, it must print the same text:
// tools/check_libtorch_compat.sh (values to 4 decimals).
#ifdef USE_TORCH
#include <torch/torch.h>
#else
#include <ember/torch_compat.h>  // the one line a port changes
#endif
#include "show.h"

#include <cstdio>
#include <iostream>
#include <limits>
#include <string>
#include <tuple>
#include <vector>
using namespace torch::indexing;

int main() {
  torch::manual_seed(5);
  auto x = torch::randn({4, 5, 3}, torch::kDouble).requires_grad_();

  // Basic and advanced indexing, forward and backward.
  show("x[1:3, ::2, -1]", x.index({Slice(1, 3), Slice(None, None, 2), -1}));
  show("x[..., None, 0]", x.index({Ellipsis, None, 0}));
  auto idx = torch::tensor({3, 0, 3}, torch::kLong);
  auto adv = x.index({idx, Slice(), torch::tensor({2, 1, 0}, torch::kLong)});
  std::cout << "advanced sizes " << adv.sizes() << "\n";
  show("x[idx, :, idx2]", adv);
  auto mask = x.detach().select(2, 0) > 0;
  auto by_mask = x.index({mask});
  std::cout << "mask sizes " << by_mask.sizes() << "\n";
  (adv.sum() * 2 + by_mask.pow(2).sum()).backward();
  show("grad", x.grad());
  std::cout << "grad_fn " << adv.grad_fn()->name() << "\n";

  auto y = torch::zeros({3, 4});
  y.index_put_({Slice(), 1}, 5);
  y.index_put_({torch::tensor({0, 2}, torch::kLong), torch::tensor({3, 0}, torch::kLong)}, torch::tensor({7.f, 8.f}));
  y.index_put_({y > 6}, -1);
  y.index_put_({torch::tensor({1, 1}, torch::kLong), torch::tensor({2, 2}, torch::kLong)}, torch::tensor({1.f, 2.f}), true);
  show("index_put_", y);
  show("operator[]", y[torch::tensor(int64_t(2))]);

  // masked_*, index_*, gather / scatter / take / nonzero.
  auto a = torch::arange(12, torch::kFloat).reshape({3, 4});
  show("masked_fill", a.masked_fill(a.remainder(3) == 0, -2.5));
  show("masked_select", a.masked_select(a > 6));
  show("masked_scatter", a.masked_scatter(a < 4, torch::full({12}, 9.f)));
  auto src = torch::ones({2, 4});
  show("index_add", a.index_add(0, torch::tensor({2, 0}, torch::kLong), src, 3));
  show("index_copy", a.index_copy(0, torch::tensor({2, 0}, torch::kLong), src * 4));
  show("index_fill", a.index_fill(1, torch::tensor({1, 3}, torch::kLong), 0.5));
  auto gi = torch::tensor({{0, 3}, {1, 1}, {2, 0}}, torch::kLong);
  show("gather", a.gather(1, gi));
  show("scatter", torch::zeros({3, 4}).scatter(1, gi, torch::full({3, 2}, 2.f)));
  show("scatter value", torch::zeros({3, 4}).scatter(1, gi, 3.5));
  show("scatter_add", torch::zeros({3, 4}).scatter_add(1, gi, torch::ones({3, 2})));
  show("scatter_reduce amax", a.scatter_reduce(1, gi, torch::full({3, 2}, 6.f), "amax"));
  show("scatter_reduce mean", a.scatter_reduce(1, gi, torch::full({3, 2}, 6.f), "mean", /*include_self=*/false));
  show("take", a.take(torch::tensor({11, 0, 5}, torch::kLong)));
  show("nonzero", (a.remainder(5) == 0).nonzero());
  auto w = torch::where(a > 5);
  std::printf("where(cond) %zu\n", w.size());
  show("  rows", w[0]);

  // Sorting and selection.
  auto s = torch::tensor({{3., 1., 2., 1.}, {0., -1., 5., 5.}}, torch::kDouble);
  auto [sv, si] = s.sort(1, /*descending=*/true);
  show("sort values", sv);
  show("sort indices", si);
  auto [tv, ti] = s.topk(2, 1);
  show("topk values", tv);
  show("topk indices", ti);
  auto [kv, ki] = s.kthvalue(2, 1);
  show("kthvalue", kv);
  show("kthvalue indices", ki);
  auto [mv, mi] = s.median(1);
  show("median", mv);
  show("median indices", mi);
  auto [mo, moi] = s.mode(1);
  show("mode", mo);
  show("mode indices", moi);
  auto [u, inv, cnt] = torch::unique_dim(torch::tensor({{1, 2}, {3, 4}, {1, 2}}, torch::kLong), 0, true, true, true);
  show("unique_dim", u);
  show("  inverse", inv);
  show("  counts", cnt);
  auto [u2, inv2] = torch::_unique(torch::tensor({4, 1, 4, 2}, torch::kLong), true, true);
  show("_unique", u2);
  show("  inverse", inv2);
  show("argsort", s.argsort(-1, true));
  auto [mx, mxi] = s.max(1, /*keepdim=*/true);
  show("max", mx);
  show("max indices", mxi);
  auto [mn, mni] = torch::min(s, 0);
  show("min", mn);
  show("min indices", mni);

  // Reductions and conveniences.
  show("std", s.std(1));
  show("var unbiased false", s.var(1, /*unbiased=*/false));
  show("std dims keepdim", s.std(std::vector<int64_t>{0, 1}, true, true));
  show("clamp tensors", s.clamp(torch::full({4}, 0.5, torch::kDouble), torch::tensor({1., 2., 3., 4.})));
  auto chunks = torch::arange(7).chunk(3);
  std::printf("chunk %zu\n", chunks.size());
  for (auto& c : chunks) show("  ", c);
  for (auto& r : s.unbind(1)) show("unbind", r);
  show("tril", torch::ones({3, 4}).tril(1));
  show("diag", torch::diag(torch::tensor({1., 2.}), -1));
  std::printf("allclose %d equal %d\n", int(s.allclose(s + 1e-9)), int(s.equal(s.clone())));
  auto weird = torch::tensor({1., std::numeric_limits<double>::infinity(), std::nan(""), -std::numeric_limits<double>::infinity()});
  show("nan_to_num", weird.nan_to_num(0.0, 100.0, -100.0));
  show("isfinite", weird.isfinite());
  show("new_full", s.new_full({2}, 3));
  show("rot90", torch::arange(6).reshape({2, 3}).rot90(1, {0, 1}));
  auto acc = s.accessor<double, 2>();
  std::printf("accessor %.1f %.1f size %lld\n", acc[1][2], acc[0][0], static_cast<long long>(acc.size(1)));

  // Promotion and printing.
  auto u8 = torch::tensor({200, 100}, torch::kUInt8);
  auto i8 = torch::tensor({-3, 4}, torch::kInt8);
  std::cout << "u8 + i8 " << (u8 + i8).dtype() << " u8 + 1.5 " << (u8 + 1.5).dtype() << " i32 * bool "
            << (torch::ones({1}, torch::kInt32) * torch::ones({1}, torch::kBool)).dtype() << "\n";
  show("u8 + u8 wraps", u8 + u8);
  std::cout << torch::arange(6, torch::kFloat).reshape({2, 3}) / 3 << "\n";
  std::cout << torch::tensor({1, 2, 3}, torch::kLong) << "\n";
  std::cout << torch::tensor(2.5) << "\n";
  return 0;
}
