// The 3-D layers, EmbeddingBag and Unfold/Fold as a LibTorch program writes them: Conv3d (groups,
// dilation, padding modes, padding "same"), MaxPool3d (return_indices, ceil_mode, dilation),
// AvgPool3d (ceil_mode, count_include_pad, divisor_override), the adaptive 3-D pools, BatchNorm3d,
// InstanceNorm3d, EmbeddingBag (modes, offsets, per_sample_weights, padding_idx,
// include_last_offset, from_pretrained) and Unfold/Fold, with the nodes' names, gradients and
// printouts. Built against LibTorch and against ember, it must print the same text:
// tools/check_libtorch_compat.sh (values to 4 decimals).
#ifdef USE_TORCH
#include <torch/torch.h>
#else
#include <ember/torch_compat.h>  // the one line a port changes
#endif
#include "show.h"

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>
namespace F = torch::nn::functional;
namespace nn = torch::nn;

int main() {
  torch::manual_seed(0);
  const auto d = [](const torch::Tensor& t) { return t.to(torch::kDouble).requires_grad_(); };
  auto x = d(torch::arange(2 * 4 * 5 * 6 * 5).reshape({2, 4, 5, 6, 5}).sin());

  for (auto mode : std::vector<nn::detail::conv_padding_mode_t>{torch::kZeros, torch::kReflect, torch::kReplicate,
                                                                 torch::kCircular}) {
    nn::Conv3d c(nn::Conv3dOptions(4, 2, {3, 2, 1}).padding(1).groups(2).padding_mode(mode));
    c->to(torch::kDouble);
    std::cout << c << std::endl;
    with_weighted_grad("Conv3d", c(x), x);
  }
  nn::Conv3d same(nn::Conv3dOptions(4, 3, {2, 3, 2}).padding(torch::kSame).dilation({1, 2, 1}));
  same->to(torch::kDouble);
  with_weighted_grad("Conv3d same", same(x), x);
  auto w = torch::arange(3 * 4 * 2 * 2 * 2).reshape({3, 4, 2, 2, 2}).to(torch::kDouble).cos();
  with_weighted_grad("conv3d", torch::conv3d(x, w, {}, {2, 1, 2}, {1, 0, 1}, {1, 2, 1}), x);
  with_weighted_grad("F::conv3d", F::conv3d(x, w, F::Conv3dFuncOptions().stride(2)), x);

  nn::MaxPool3d mp(nn::MaxPool3dOptions({2, 3, 2}).stride({2, 2, 1}).padding(1).dilation({1, 1, 2}).ceil_mode(true));
  std::cout << mp << std::endl;
  with_weighted_grad("MaxPool3d", mp(x), x);
  auto [pooled, indices] = mp->forward_with_indices(x);
  show("MaxPool3d indices", indices);
  with_weighted_grad("F::max_pool3d", F::max_pool3d(x, F::MaxPool3dFuncOptions(2)), x);
  show("max_pool3d_with_indices", std::get<1>(torch::max_pool3d_with_indices(x, 3, 2, 1)));

  nn::AvgPool3d ap(nn::AvgPool3dOptions({3, 2, 3}).stride({2, 1, 2}).padding(1).ceil_mode(true).count_include_pad(false));
  std::cout << ap << std::endl;
  with_weighted_grad("AvgPool3d", ap(x), x);
  with_weighted_grad("F::avg_pool3d", F::avg_pool3d(x, F::AvgPool3dFuncOptions(2).padding(1).divisor_override(3)), x);
  with_weighted_grad("avg_pool3d", torch::avg_pool3d(x, {3, 3, 3}, {2, 2, 2}, {1, 1, 1}, true), x);

  nn::AdaptiveAvgPool3d aap(nn::AdaptiveAvgPool3dOptions({2, 4, 3}));
  std::cout << aap << std::endl;
  with_weighted_grad("AdaptiveAvgPool3d", aap(x), x);
  nn::AdaptiveMaxPool3d amp(nn::AdaptiveMaxPool3dOptions({3, 2, 4}));
  std::cout << amp << std::endl;
  with_weighted_grad("AdaptiveMaxPool3d", amp(x), x);
  show("AdaptiveMaxPool3d indices", std::get<1>(amp->forward_with_indices(x)));
  with_weighted_grad("adaptive_avg_pool3d", torch::adaptive_avg_pool3d(x, {1, 1, 1}), x);

  nn::BatchNorm3d bn(4);
  bn->to(torch::kDouble);
  std::cout << bn << std::endl;
  with_weighted_grad("BatchNorm3d", bn(x), x);
  show("BatchNorm3d running_var", bn->running_var);
  nn::InstanceNorm3d in(nn::InstanceNorm3dOptions(4).affine(true));
  in->to(torch::kDouble);
  std::cout << in << std::endl;
  with_weighted_grad("InstanceNorm3d", in(x), x);

  auto table = d(torch::arange(18).reshape({6, 3}).cos());
  auto idx = torch::tensor({1, 2, 4, 5, 4, 3, 2, 0}, torch::kLong);
  auto offsets = torch::tensor({0, 2, 2, 5}, torch::kLong);
  with_weighted_grad("embedding_bag mean", F::embedding_bag(idx, table, F::EmbeddingBagFuncOptions().offsets(offsets)), table);
  with_weighted_grad("embedding_bag max pad",
            F::embedding_bag(idx, table, F::EmbeddingBagFuncOptions().offsets(offsets).mode(torch::kMax).padding_idx(2)),
            table);
  auto psw = d(torch::arange(8).to(torch::kDouble).sin());
  auto weighted = F::embedding_bag(
      idx, table,
      F::EmbeddingBagFuncOptions().offsets(torch::tensor({0, 2, 2, 5, 8})).mode(torch::kSum).per_sample_weights(psw).include_last_offset(true));
  with_weighted_grad("embedding_bag sum weights", weighted, table);
  weighted = F::embedding_bag(idx, table, F::EmbeddingBagFuncOptions().offsets(offsets).mode(torch::kSum).per_sample_weights(psw));
  (weighted * weighted).sum().backward();
  show("  per_sample_weights grad", psw.grad());
  auto bag = nn::EmbeddingBag::from_pretrained(table.detach(), nn::EmbeddingBagFromPretrainedOptions().mode(torch::kMax));
  std::cout << bag << std::endl;
  show("EmbeddingBag 2-D", bag(idx.view({2, 4})));
  std::cout << nn::EmbeddingBag(nn::EmbeddingBagOptions(5, 3).mode(torch::kSum).padding_idx(1)) << std::endl;

  auto img = d(torch::arange(2 * 3 * 5 * 6).reshape({2, 3, 5, 6}).cos());
  nn::Unfold unfold(nn::UnfoldOptions({2, 3}).dilation({1, 2}).padding(1).stride({2, 1}));
  std::cout << unfold << std::endl;
  with_weighted_grad("Unfold", unfold(img), img);
  auto cols = d(torch::arange(2 * 18 * 12).reshape({2, 18, 12}).sin());
  nn::Fold fold(nn::FoldOptions({5, 6}, {2, 3}).dilation({1, 2}).padding(1).stride({2, 1}));
  std::cout << fold << std::endl;
  with_weighted_grad("Fold", fold(cols), cols);
  return 0;
}
