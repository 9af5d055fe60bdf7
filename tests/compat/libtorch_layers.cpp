// Pooling, convolution and resampling layers as a LibTorch program writes them: every option of
// MaxPool1d/2d (return_indices, ceil_mode, dilation), AvgPool1d/2d (ceil_mode, count_include_pad,
// divisor_override), the adaptive pools, Conv1d/Conv2d (groups, dilation, padding modes,
// padding "same"), F::pad's modes, Upsample / F::interpolate, PixelShuffle, BatchNorm1d/2d
// (momentum, cumulative averaging, eval), with the nodes' names and the gradients; then
// InferenceMode and TORCH_CHECK. Built against LibTorch and against ember, it must print the same
// text: tools/check_libtorch_compat.sh (values to 4 decimals).
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
  auto x1 = d(torch::randn({2, 3, 9}));
  auto x2 = d(torch::randn({2, 4, 7, 6}));

  // Pooling.
  with_weighted_grad("MaxPool1d", nn::MaxPool1d(nn::MaxPool1dOptions(3).stride(2).padding(1).ceil_mode(true))(x1), x1);
  with_weighted_grad("max_pool1d dilation", F::max_pool1d(x1, F::MaxPool1dFuncOptions(2).dilation(2)), x1);
  with_weighted_grad("AvgPool1d", nn::AvgPool1d(nn::AvgPool1dOptions(4).stride(3).padding(2).count_include_pad(false))(x1), x1);
  nn::MaxPool2d mp(nn::MaxPool2dOptions({3, 2}).stride({2, 1}).padding({1, 0}).ceil_mode(true));
  std::cout << mp << "\n";
  with_weighted_grad("MaxPool2d", mp(x2), x2);
  auto [mv, mi] = F::max_pool2d_with_indices(x2, F::MaxPool2dFuncOptions(2));
  show("max_pool2d_with_indices values", mv);
  show("max_pool2d_with_indices indices", mi);
  nn::AvgPool2d ap(nn::AvgPool2dOptions(3).stride(2).padding(1).ceil_mode(true).count_include_pad(false));
  std::cout << ap << "\n";
  with_weighted_grad("AvgPool2d", ap(x2), x2);
  with_weighted_grad("avg_pool2d divisor", F::avg_pool2d(x2, F::AvgPool2dFuncOptions(2).divisor_override(3)), x2);
  with_weighted_grad("AdaptiveAvgPool2d", nn::AdaptiveAvgPool2d(nn::AdaptiveAvgPool2dOptions({3, 4}))(x2), x2);
  nn::AdaptiveMaxPool2d amp(nn::AdaptiveMaxPool2dOptions({2, 5}));
  with_weighted_grad("AdaptiveMaxPool2d", amp(x2), x2);
  auto [av, ai] = amp->forward_with_indices(x2);
  show("AdaptiveMaxPool2d indices", ai);
  with_weighted_grad("adaptive_avg_pool1d", F::adaptive_avg_pool1d(x1, F::AdaptiveAvgPool1dFuncOptions(4)), x1);

  // Convolutions.
  torch::manual_seed(1);
  nn::Conv1d c1(nn::Conv1dOptions(3, 6, 3).stride(2).padding(2).dilation(2).groups(3).bias(true));
  c1->to(torch::kDouble);
  std::cout << c1 << "\n";
  with_weighted_grad("Conv1d", c1(x1), x1);
  for (auto mode : std::vector<nn::detail::conv_padding_mode_t>{torch::kZeros, torch::kReflect, torch::kReplicate,
                                                                 torch::kCircular}) {
    torch::manual_seed(2);
    nn::Conv2d c(nn::Conv2dOptions(4, 2, {3, 2}).padding({1, 1}).padding_mode(mode));
    c->to(torch::kDouble);
    std::cout << c << "\n";
    with_weighted_grad("Conv2d padding mode", c(x2), x2);
  }
  torch::manual_seed(3);
  nn::Conv2d same(nn::Conv2dOptions(4, 3, {3, 4}).padding(torch::kSame).dilation({1, 2}));
  same->to(torch::kDouble);
  std::cout << same << "\n";
  with_weighted_grad("Conv2d same", same(x2), x2);
  with_weighted_grad("F::conv2d stride dilation",
            F::conv2d(x2, same->weight.detach(), F::Conv2dFuncOptions().stride(2).dilation({2, 1}).padding(1)), x2);

  // Padding and resampling.
  with_weighted_grad("pad constant", F::pad(x2, F::PadFuncOptions({1, 2, 0, 1}).value(0.5)), x2);
  with_weighted_grad("pad reflect", F::pad(x2, F::PadFuncOptions({2, 1, 1, 2}).mode(torch::kReflect)), x2);
  with_weighted_grad("pad replicate", F::pad(x1, F::PadFuncOptions({3, 1}).mode(torch::kReplicate)), x1);
  with_weighted_grad("pad circular", F::pad(x2, F::PadFuncOptions({1, 2, 2, 1}).mode(torch::kCircular)), x2);
  with_weighted_grad("Upsample nearest", nn::Upsample(nn::UpsampleOptions().scale_factor(std::vector<double>{2, 1.5}))(x2), x2);
  with_weighted_grad("Upsample bilinear",
            nn::Upsample(nn::UpsampleOptions().size(std::vector<int64_t>{5, 9}).mode(torch::kBilinear).align_corners(true))(x2),
            x2);
  with_weighted_grad("interpolate bilinear",
            F::interpolate(x2, F::InterpolateFuncOptions()
                                   .size(std::vector<int64_t>{4, 11})
                                   .mode(torch::kBilinear)
                                   .align_corners(false)),
            x2);
  with_weighted_grad("PixelShuffle", nn::PixelShuffle(nn::PixelShuffleOptions(2))(x2), x2);
  with_weighted_grad("pixel_unshuffle", F::pixel_unshuffle(x2.narrow(2, 0, 6), F::PixelUnshuffleFuncOptions(2)), x2);

  // BatchNorm: running statistics with momentum and cumulative averaging, then eval.
  for (auto momentum : std::vector<c10::optional<double>>{0.3, c10::nullopt}) {
    nn::BatchNorm2d bn(nn::BatchNorm2dOptions(4).momentum(momentum).eps(1e-3));
    bn->to(torch::kDouble);
    std::cout << bn << "\n";
    for (int step = 0; step < 3; ++step) {
      auto xb = d(torch::randn({3, 4, 2, 3}) * (step + 1) + step);
      with_weighted_grad("BatchNorm2d train", bn(xb), xb);
    }
    show("running_mean", bn->running_mean);
    show("running_var", bn->running_var);
    std::printf("num_batches_tracked %lld\n", static_cast<long long>(bn->num_batches_tracked.item<int64_t>()));
    bn->eval();
    with_weighted_grad("BatchNorm2d eval", bn(x2), x2);
  }
  nn::BatchNorm1d bn1(nn::BatchNorm1dOptions(3).affine(false).track_running_stats(false));
  bn1->to(torch::kDouble);
  std::cout << bn1 << "\n";
  with_weighted_grad("BatchNorm1d no stats", bn1(x1), x1);
  with_weighted_grad("F::batch_norm", F::batch_norm(x1, torch::zeros({3}, torch::kDouble), torch::ones({3}, torch::kDouble),
                                           F::BatchNormFuncOptions().training(true).momentum(0.2)),
            x1);

  // Activations, distances, one-hot codes and padding layers a port also meets.
  torch::manual_seed(4);
  auto z = d(torch::randn({2, 3, 4}));
  auto z2 = d(torch::randn({2, 3, 4}));
  with_weighted_grad("threshold", F::threshold(z, F::ThresholdFuncOptions(0.25, 20)), z);
  with_weighted_grad("hardshrink", F::hardshrink(z, F::HardshrinkFuncOptions().lambda(0.3)), z);
  with_weighted_grad("softshrink", F::softshrink(z), z);
  with_weighted_grad("softsign", F::softsign(z), z);
  with_weighted_grad("tanhshrink", F::tanhshrink(z), z);
  nn::PReLU prelu(nn::PReLUOptions().num_parameters(3).init(0.2));
  prelu->to(torch::kDouble);
  with_weighted_grad("PReLU", prelu(z), z);
  show("PReLU weight grad", prelu->weight.grad());
  with_weighted_grad("cosine_similarity", F::cosine_similarity(z, z2, F::CosineSimilarityFuncOptions().dim(2)), z);
  with_weighted_grad("pairwise_distance", F::pairwise_distance(z, z2, F::PairwiseDistanceFuncOptions().p(1).keepdim(true)), z);
  show("one_hot", F::one_hot(torch::tensor({3, 0, 1}, torch::kLong)));
  std::cout << nn::Threshold(nn::ThresholdOptions(0.1, 20)) << "\n"
            << nn::Hardshrink(0.3) << "\n"
            << nn::Softshrink() << "\n"
            << nn::Softsign() << "\n"
            << nn::Tanhshrink() << "\n"
            << prelu << "\n"
            << nn::CosineSimilarity() << "\n"
            << nn::PairwiseDistance() << "\n"
            << nn::ReflectionPad2d(1) << "\n"
            << nn::ReplicationPad1d(nn::ReplicationPad1dOptions({2, 1})) << "\n"
            << nn::ZeroPad2d(nn::ZeroPad2dOptions({1, 0, 2, 1})) << "\n"
            << nn::ConstantPad2d(nn::ConstantPad2dOptions(1, 3.5)) << "\n"
            << nn::ConstantPad3d(nn::ConstantPad3dOptions({1, 2, 0, 1, 1, 0}, -1)) << "\n"
            << nn::AdaptiveAvgPool1d(4) << "\n"
            << nn::AdaptiveMaxPool1d(nn::AdaptiveMaxPool1dOptions(2)) << "\n";
  with_weighted_grad("ReflectionPad2d", nn::ReflectionPad2d(nn::ReflectionPad2dOptions({1, 2, 2, 0}))(x2), x2);
  with_weighted_grad("ConstantPad1d", nn::ConstantPad1d(nn::ConstantPad1dOptions({2, 1}, 0.5))(x1), x1);

  // InferenceMode and TORCH_CHECK.
  {
    c10::InferenceMode guard;
    auto y = x2 * 2;
    std::printf("inference: requires_grad %d is_inference %d\n", int(y.requires_grad()), int(y.is_inference()));
  }
  std::printf("InferenceMode::is_enabled %d\n", int(c10::InferenceMode::is_enabled()));
  try {
    TORCH_CHECK(x2.dim() == 3, "expected 3 dims, got ", x2.dim());
  } catch (const c10::Error& e) {
    std::string what = e.what_without_backtrace();
    std::printf("TORCH_CHECK: %s\n", what.substr(0, what.find('\n')).c_str());
  }
  return 0;
}
