// The normalisations as a LibTorch program writes them: torch::layer_norm / group_norm /
// instance_norm, F::layer_norm, F::group_norm, F::instance_norm and F::normalize with their
// options, and the modules nn::LayerNorm, nn::GroupNorm, nn::InstanceNorm1d/2d (printed, their
// parameters and buffers, applied in training and eval). Built against LibTorch and against ember,
// it must print the same text: tools/check_libtorch_compat.sh (values to 4 decimals).
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
namespace F = torch::nn::functional;
namespace nn = torch::nn;

// y, its node and the gradient of sum(y^3) for each of `inputs` (zeroed after). Not sum(y^2): that
// of a normalised y is nearly constant, its gradient rounding noise.
static void with_grads(const std::string& what, torch::Tensor y, std::vector<torch::Tensor> inputs) {
  show(what, y);
  std::printf("  node %s\n", y.grad_fn() ? y.grad_fn()->name().c_str() : "null");
  (y * y * y).sum().backward();
  for (auto& x : inputs) {
    show("  grad", x.grad());
    x.grad().zero_();
  }
}

int main() {
  torch::manual_seed(0);
  // Float32 draws computed in float64, so that the two libraries' rounding does not show.
  const auto d = [](const torch::Tensor& t) { return t.to(torch::kDouble).requires_grad_(); };
  auto x = d(torch::randn({2, 3, 4}));
  auto w = d(torch::rand({4}) + 0.5);
  auto b = d(torch::randn({4}));
  with_grads("layer_norm", torch::layer_norm(x, {4}, w, b), {x, w, b});
  with_grads("F::layer_norm", F::layer_norm(x, F::LayerNormFuncOptions({3, 4}).eps(1e-3)), {x});
  auto w3 = d(torch::rand({3}) + 0.5);
  auto b3 = d(torch::randn({3}));
  auto y = d(torch::randn({2, 3, 2, 2}));
  with_grads("group_norm", torch::group_norm(y, 3, w3, b3), {y, w3, b3});
  with_grads("F::group_norm", F::group_norm(x, F::GroupNormFuncOptions(1).eps(1e-2)), {x});
  with_grads("F::instance_norm", F::instance_norm(x, F::InstanceNormFuncOptions().weight(w3).bias(b3)), {x, w3, b3});
  auto rm = torch::zeros({3}, torch::kDouble), rv = torch::ones({3}, torch::kDouble);
  F::instance_norm(x, F::InstanceNormFuncOptions().running_mean(rm).running_var(rv).momentum(0.3));
  show("running_mean", rm);
  show("running_var", rv);
  show("eval",
       F::instance_norm(x, F::InstanceNormFuncOptions().running_mean(rm).running_var(rv).use_input_stats(false)));
  with_grads("F::normalize", F::normalize(x), {x});
  with_grads("F::normalize p=1 dim=-1", F::normalize(x, F::NormalizeFuncOptions().p(1).dim(-1)), {x});
  with_grads("F::normalize p=inf",
             F::normalize(x, F::NormalizeFuncOptions().p(std::numeric_limits<double>::infinity()).dim(0)), {x});

  nn::LayerNorm ln(nn::LayerNormOptions({3, 4}));
  nn::GroupNorm gn(nn::GroupNormOptions(3, 6).eps(1e-3).affine(false));
  nn::InstanceNorm1d in1(3);
  nn::InstanceNorm2d in2(nn::InstanceNormOptions(3).affine(true).track_running_stats(true).momentum(0.2));
  ln->to(torch::kDouble);
  in2->to(torch::kDouble);
  std::cout << *ln << "\n" << *gn << "\n" << *in1 << "\n" << *in2 << "\n";
  for (const auto& p : ln->named_parameters()) std::cout << p.key() << " " << p.value().sizes() << "\n";
  for (const auto& p : in2->named_buffers()) std::cout << p.key() << " " << p.value().sizes() << "\n";
  std::cout << gn->parameters().size() << " " << in1->buffers().size() << "\n";
  show("LayerNorm", ln(x));
  show("GroupNorm", gn(torch::randn({2, 6, 3}).to(torch::kDouble)));
  show("InstanceNorm1d", in1(x));
  show("InstanceNorm1d unbatched", in1(x[0]));
  show("InstanceNorm2d train", in2(y));
  show("  running_mean", in2->running_mean);
  in2->eval();
  show("InstanceNorm2d eval", in2(y));
}
