// A LibTorch program using the tensor, functional and autograd subset. Built once against
// LibTorch and once against ember (ember/torch_compat.h), it must print the same text:
// tools/check_libtorch_compat.sh does both and diffs them.
#ifdef USE_TORCH
#include <torch/torch.h>
#else
#include <ember/torch_compat.h>  // the one line a port changes
#endif
#include <iostream>
namespace F = torch::nn::functional;

int main() {
  torch::manual_seed(0);
  auto x = torch::randn({4, 3, 8, 8});
  auto w = torch::randn({5, 3, 3, 3}, torch::requires_grad());
  auto b = torch::zeros({5}, torch::requires_grad());
  auto h = F::relu(F::conv2d(x, w, F::Conv2dFuncOptions().bias(b).padding(1)));
  auto p = F::max_pool2d(h, F::MaxPool2dFuncOptions(2));
  auto fw = torch::randn({5 * 4 * 4, 10}, torch::requires_grad());
  auto scores = p.view({p.size(0), -1}).mm(fw);
  auto y = torch::tensor({3, 0, 2, 9}, torch::kInt64);
  auto loss = F::cross_entropy(scores, y);
  loss.backward();
  std::cout << loss.item<float>() << "\n";
  std::cout << w.grad().sum().item<float>() << " " << b.grad() << "\n";
  std::cout << fw.grad().abs().sum().item<float>() << "\n";
  auto ls = torch::log_softmax(scores, 1);
  std::cout << std::get<1>(ls.max(1)) << "\n";
  auto z = torch::arange(6, torch::kFloat).view({2, 3});
  std::cout << z.sum(1, true) << "\n" << z.mean() << "\n" << (z > 2) << "\n";
  std::cout << torch::cat({z, z}, 0).sizes() << " " << torch::stack({z, z}, 1).sizes() << "\n";
  auto a = torch::randn({3}, torch::requires_grad());
  auto c = (a.exp() + a.pow(2) - a.sqrt().clamp_min(0.1)).sum();
  c.backward();
  std::cout << a.grad() << "\n";
  {
    torch::NoGradGuard g;
    w -= 0.1 * w.grad();
    w.grad().zero_();
  }
  std::cout << w.sum().item<float>() << " " << w.requires_grad() << " " << w.is_leaf() << "\n";
  std::cout << torch::where(z > 2, z, torch::zeros_like(z)) << "\n";
  std::cout << z.index_select(1, torch::tensor({2, 0}, torch::kLong)) << "\n";
  std::cout << torch::eye(2) << torch::full({2}, 1.5) << torch::ones({1, 2}, torch::kDouble) << "\n";
  std::cout << torch::randn({2, 3, 2, 3}) << "\n" << torch::arange(30, torch::kDouble) * 1e6 << "\n";
  std::cout << torch::randn({3, 25}) << "\n" << torch::tensor({1e-8, 1.0}) << torch::tensor({true, false}) << "\n";
  std::cout << (torch::randn({2, 2}) * 1000) << torch::tensor({int64_t(123456789012)}) << torch::tensor(3.25) << "\n";
}
