// Activations and losses as a LibTorch program writes them: the free functions, F:: with their
// options, the modules (printed and applied), the in-place forms and LibTorch's node names, and
// the losses with their reductions and weights. Built against LibTorch and against ember, it must
// print the same text: tools/check_libtorch_compat.sh (values are printed to 4 decimals, so the
// two libraries' float rounding does not show).
#ifdef USE_TORCH
#include <torch/torch.h>
#else
#include <ember/torch_compat.h>  // the one line a port changes
#endif
#include "show.h"

#include <cstdio>
#include <iostream>
#include <string>
namespace F = torch::nn::functional;
namespace nn = torch::nn;

static std::string node(const torch::Tensor& t) { return t.grad_fn() ? t.grad_fn()->name() : "null"; }
// The composed losses' nodes are not LibTorch's (docs/libtorch_differences.md): print_node false.
static void with_grad(const std::string& what, const torch::Tensor& x, torch::Tensor y, bool print_node = true) {
  show(what, y);
  if (print_node) std::printf("  node %s\n", node(y).c_str());
  y.sum().backward();
  show("  grad", x.grad());
  x.grad().zero_();
}

int main() {
  auto x = torch::tensor({-4.0, -1.5, -0.3, 0.2, 0.9, 2.5, 7.0}, torch::kDouble).requires_grad_();
  with_grad("silu", x, torch::silu(x));
  with_grad("mish", x, F::mish(x));
  with_grad("leaky_relu", x, F::leaky_relu(x, F::LeakyReLUFuncOptions().negative_slope(0.2)));
  with_grad("elu", x, F::elu(x, F::ELUFuncOptions().alpha(0.5)));
  with_grad("selu", x, torch::selu(x));
  with_grad("celu", x, F::celu(x, F::CELUFuncOptions().alpha(2.0)));
  with_grad("softplus", x, F::softplus(x, F::SoftplusFuncOptions().beta(2).threshold(3)));
  with_grad("hardtanh", x, F::hardtanh(x, F::HardtanhFuncOptions().min_val(-2).max_val(2)));
  with_grad("relu6", x, F::relu6(x));
  with_grad("hardswish", x, torch::hardswish(x));
  with_grad("hardsigmoid", x, torch::hardsigmoid(x));
  with_grad("logsigmoid", x, F::logsigmoid(x));
  with_grad("gelu", x, F::gelu(x, F::GELUFuncOptions().approximate("tanh")));
  auto m = torch::arange(12, torch::kDouble).reshape({3, 4}).div(5).sub(1).requires_grad_();
  with_grad("softmin", m, F::softmin(m, 1));
  with_grad("glu", m, F::glu(m, F::GLUFuncOptions(1)));
  // In place on a non-leaf: the node of the in-place form.
  {
    auto y = x * 1;
    F::elu(y, F::ELUFuncOptions().inplace(true));
    std::printf("elu_ node %s\n", node(y).c_str());
    auto z = x * 1;
    F::leaky_relu(z, F::LeakyReLUFuncOptions().inplace(true));
    std::printf("leaky_relu_ node %s\n", node(z).c_str());
  }
  // Modules.
  nn::Sequential seq(nn::Linear(4, 3), nn::SiLU(), nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2)),
                     nn::Hardtanh(), nn::ELU(), nn::Softplus(), nn::GLU(), nn::Softmax(1));
  std::cout << seq << "\n";
  std::cout << nn::CELU(nn::CELUOptions().alpha(2).inplace(true)) << " " << nn::ReLU6(true) << " " << nn::Softmin(0)
            << " " << nn::LogSoftmax(1) << " " << nn::Mish() << "\n";

  // Losses.
  auto a = torch::tensor({0.2, -1.0, 2.5, 0.0, 1.2, -0.4}, torch::kDouble).reshape({2, 3}).requires_grad_();
  auto b = torch::tensor({0.5, 0.5, 0.5, -1.0, 3.0, 0.1}, torch::kDouble).reshape({2, 3});
  with_grad("mse", a, F::mse_loss(a, b, F::MSELossFuncOptions(torch::kSum)), false);
  with_grad("l1", a, F::l1_loss(a, b), false);
  with_grad("smooth_l1", a, F::smooth_l1_loss(a, b, F::SmoothL1LossFuncOptions(torch::kNone), 0.5), false);
  with_grad("huber", a, F::huber_loss(a, b, F::HuberLossFuncOptions().delta(0.7)), false);
  auto p = torch::sigmoid(a.detach()).requires_grad_();
  auto t = torch::tensor({1.0, 0.0, 1.0, 0.3, 0.0, 1.0}, torch::kDouble).reshape({2, 3});
  auto w3 = torch::tensor({1.0, 2.0, 0.5}, torch::kDouble);
  with_grad("bce", p, F::binary_cross_entropy(p, t, F::BinaryCrossEntropyFuncOptions().weight(w3)));
  with_grad("bce_logits", a,
            F::binary_cross_entropy_with_logits(a, t, F::BinaryCrossEntropyWithLogitsFuncOptions().pos_weight(w3)),
            false);
  auto labels = torch::tensor({2, 0}, torch::kLong);
  with_grad("ce_weighted", a, F::cross_entropy(a, labels, F::CrossEntropyFuncOptions().weight(w3).label_smoothing(0.1)),
            false);
  with_grad("nll_weighted", a, F::nll_loss(a, labels, F::NLLLossFuncOptions().weight(w3).reduction(torch::kSum)));
  auto lp = F::log_softmax(a, 1);
  auto q = torch::tensor({0.2, 0.3, 0.5, 0.0, 0.5, 0.5}, torch::kDouble).reshape({2, 3});
  show("kl_batchmean", F::kl_div(lp, q, F::KLDivFuncOptions(torch::kBatchMean)));
  auto s = torch::tensor({1.0, -1.0, 1.0}, torch::kDouble);
  show("margin_ranking", F::margin_ranking_loss(a[0], a[1], s, F::MarginRankingLossFuncOptions().margin(0.2)));
  show("cosine_embedding", F::cosine_embedding_loss(a.detach(), b, torch::tensor({1, -1}, torch::kLong)));
  std::cout << nn::MSELoss() << " " << nn::SmoothL1Loss() << " " << nn::HuberLoss() << " " << nn::BCELoss() << " "
            << nn::BCEWithLogitsLoss() << " " << nn::NLLLoss() << " " << nn::CrossEntropyLoss() << " "
            << nn::KLDivLoss() << " " << nn::MarginRankingLoss() << " " << nn::CosineEmbeddingLoss() << " "
            << nn::L1Loss() << "\n";
  nn::CrossEntropyLoss ce(nn::CrossEntropyLossOptions().weight(w3));
  show("CrossEntropyLoss", ce(a.detach(), labels));
  std::printf("buffers %d\n", int(ce->buffers().size()));
  return 0;
}
