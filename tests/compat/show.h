#pragma once
// The printing the compat programs share: a tensor's values to 4 decimals, so that the two
// libraries' float rounding does not show. Included after torch/torch.h or ember/torch_compat.h.
#include <cstdint>
#include <cstdio>
#include <string>

inline void show(const std::string& what, const torch::Tensor& t) {
  torch::Tensor v = t.detach().to(torch::kDouble).reshape({-1});
  std::printf("%s:", what.c_str());
  for (int64_t i = 0; i < v.numel(); ++i) std::printf(" %.4f", v[i].item<double>());
  std::printf("\n");
}

// y, its node's name and the gradient of sum(y * r) (r fixed) for x, zeroed after.
inline void with_weighted_grad(const std::string& what, const torch::Tensor& y, const torch::Tensor& x) {
  show(what, y);
  std::printf("  sizes %s node %s\n", torch::str(y.sizes()).c_str(), y.grad_fn() ? y.grad_fn()->name().c_str() : "null");
  auto r = torch::arange(y.numel(), torch::kDouble).reshape(y.sizes()).cos();
  (y * r).sum().backward();
  show("  grad", x.grad());
  x.grad().zero_();
}
