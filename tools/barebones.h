#pragma once
// The tutorial's barebones models: plain functions of a parameter list, written with ember's
// functional API exactly as the PyTorch tutorial writes them. Shared by the examples and by
// train_cifar's barebones_fc / barebones_conv.
#include <cmath>
#include <vector>

#include "ember/ember.h"

namespace barebones {

namespace F = ember::nn::functional;
using ember::Tensor;

inline Tensor flatten(const Tensor& x) { return x.view({x.size(0), -1}); }

/// Kaiming-normal initialisation: std = sqrt(2 / fan_in) (the tutorial's random_weight).
inline Tensor random_weight(ember::IntArrayRef shape, ember::Device device = ember::kCPU) {
  int64_t fan_in = 1;
  if (shape.size() == 2) {
    fan_in = shape[0];
  } else {
    for (size_t i = 1; i < shape.size(); ++i) fan_in *= shape[i];
  }
  Tensor w = ember::randn(shape, ember::TensorOptions(device)) * std::sqrt(2.0 / double(fan_in));
  return w.requires_grad_();
}

inline Tensor zero_weight(ember::IntArrayRef shape, ember::Device device = ember::kCPU) {
  return ember::zeros(shape, ember::TensorOptions(device).requires_grad(true));
}

/// scores = relu(x W1) W2 for params {W1 (D, H), W2 (H, C)}.
inline Tensor two_layer_fc(const Tensor& x, const std::vector<Tensor>& p) {
  return F::relu(barebones::flatten(x).mm(p[0])).mm(p[1]);
}

/// conv(5x5, pad 2) - relu - conv(3x3, pad 1) - relu - fc, params {w1, b1, w2, b2, fc_w, fc_b}.
inline Tensor three_layer_convnet(const Tensor& x, const std::vector<Tensor>& p) {
  Tensor h = F::relu(F::conv2d(x, p[0], F::Conv2dFuncOptions().bias(p[1]).padding(2)));
  h = F::relu(F::conv2d(h, p[2], F::Conv2dFuncOptions().bias(p[3]).padding(1)));
  return barebones::flatten(h).mm(p[4]) + p[5];
}

/// The tutorial's update: w -= lr * w.grad(); w.grad().zero_(), outside the graph.
inline void sgd_step(const std::vector<Tensor>& params, double lr) {
  ember::NoGradGuard no_grad;
  for (const Tensor& w : params) {
    w.sub_(w.grad(), lr);
    w.grad().zero_();
  }
}

}  // namespace barebones
