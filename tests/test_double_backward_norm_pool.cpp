// Double backward (create_graph) through batch_norm and the pools: under create_graph their
// backward is recorded ops (src/ops/batch_norm.cpp, src/ops/pool.cpp). Checked in float64 on
// every device: the gradient of the first gradient agrees with finite differences (a
// gradgradcheck), and one case of each op matches torch.autograd.grad(create_graph=True) of
// PyTorch 1.13 (tools/gen_double_backward_fixtures.py).
#include <functional>
#include <string>
#include <vector>

#include "ember/nn/functional/conv_pool1d.h"
#include "ember/nn/normalization.h"
#include "ember/nn/pooling.h"
#include "helpers.h"

using namespace ember;
using ember_test::require_close;
namespace F = ember::nn::functional;

namespace {

/// An op of x and its parameters (a batch norm's weight and bias; none for a pool).
using Op = std::function<Tensor(const Tensor& x, const std::vector<Tensor>& params)>;

/// in = {x, u, params...}: the create_graph gradient of sum(op(x)^2 * u) with respect to x and
/// the params, flattened into one tensor; the function whose own gradient is checked.
Tensor first_gradient(const Op& op, const std::vector<Tensor>& in) {
  // The finite differences evaluate this under NoGradGuard: the first gradient still needs a
  // graph, on leaves of its own there.
  AutoGradMode enable(true);
  auto leaf = [](const Tensor& t) { return t.requires_grad() ? t : t.detach().requires_grad_(); };
  std::vector<Tensor> wrt{leaf(in[0])}, params;
  for (size_t i = 2; i < in.size(); ++i) params.push_back(leaf(in[i]));
  wrt.insert(wrt.end(), params.begin(), params.end());
  Tensor y = op(wrt[0], params);
  std::vector<Tensor> grads = autograd::grad({(y * y * in[1]).sum()}, wrt, {}, std::nullopt, true);
  for (Tensor& g : grads) g = g.reshape({-1});
  return cat(grads);
}

struct Case {
  std::string name;  // the fixture case
  std::vector<int64_t> x_shape;
  bool affine;  // takes a weight and a bias
  Op op;
};

Tensor bn(const Tensor& x, const std::vector<Tensor>& p, bool training, const Tensor& rm = {}, const Tensor& rv = {},
          double eps = 1e-5) {
  auto options = F::BatchNormFuncOptions().training(training).eps(eps);
  if (!p.empty()) options.weight(p[0]).bias(p[1]);
  return F::batch_norm(x, rm, rv, options);
}

// The evaluation case's running statistics are stored with its inputs (bn_eval.rm, bn_eval.rv).
const std::vector<Case>& cases() {
  static const std::vector<Case> list = {
      {"bn_train", {4, 3, 2, 3}, true, [](const Tensor& x, const std::vector<Tensor>& p) { return bn(x, p, true); }},
      {"bn_eval",
       {5, 3},
       true,
       [](const Tensor& x, const std::vector<Tensor>& p) {
         const auto& fx = ember_test::fixtures("double_backward");
         return bn(x, p, false, fx["bn_eval.rm"].to(x.device()), fx["bn_eval.rv"].to(x.device()), 1e-3);
       }},
      {"bn_train_noaffine",
       {3, 3, 4},
       false,
       [](const Tensor& x, const std::vector<Tensor>& p) { return bn(x, p, true); }},
      {"max_pool1d",
       {2, 3, 8},
       false,
       [](const Tensor& x, const std::vector<Tensor>&) {
         return F::max_pool1d(x, F::MaxPool1dFuncOptions(3).stride(2).padding(1).ceil_mode(true));
       }},
      {"max_pool2d",
       {2, 2, 7, 6},
       false,
       [](const Tensor& x, const std::vector<Tensor>&) {
         return F::max_pool2d(x, F::MaxPool2dFuncOptions({3, 2}).stride({2, 1}).padding({1, 0}).dilation({1, 2}));
       }},
      {"avg_pool1d",
       {2, 3, 8},
       false,
       [](const Tensor& x, const std::vector<Tensor>&) {
         return F::avg_pool1d(x,
                              F::AvgPool1dFuncOptions(3).stride(2).padding(1).ceil_mode(true).count_include_pad(false));
       }},
      {"avg_pool2d",
       {2, 2, 6, 5},
       false,
       [](const Tensor& x, const std::vector<Tensor>&) {
         return F::avg_pool2d(x, F::AvgPool2dFuncOptions(3).stride(2).padding(1).divisor_override(5));
       }},
      {"adaptive_avg_pool2d",
       {2, 2, 7, 5},
       false,
       [](const Tensor& x, const std::vector<Tensor>&) {
         return F::adaptive_avg_pool2d(x, F::AdaptiveAvgPool2dFuncOptions({3, 2}));
       }},
      {"adaptive_max_pool2d",
       {2, 2, 7, 5},
       false,
       [](const Tensor& x, const std::vector<Tensor>&) {
         return F::adaptive_max_pool2d(x, F::AdaptiveMaxPool2dFuncOptions({3, 2}));
       }},
  };
  return list;
}

}  // namespace

TEST_CASE("double backward through batch_norm and the pools agrees with finite differences",
          "[autograd_api][norm][pool]") {
  const auto& fx = ember_test::fixtures("double_backward");
  for (Device d : ember_test::test_devices()) {
    for (const Case& c : cases()) {
      INFO(c.name << " on " << d);
      // The fixture's inputs (random, away from max pooling's ties), u of the output's shape.
      std::vector<Tensor> in{fx[c.name + ".in0"], fx[c.name + ".in1"]};
      if (c.affine) in.insert(in.end(), {fx[c.name + ".in3"], fx[c.name + ".in4"]});
      ember_test::gradcheck([&](const std::vector<Tensor>& t) { return first_gradient(c.op, t); }, in, d);
    }
  }
}

TEST_CASE("double backward through batch_norm and the pools matches PyTorch", "[autograd_api][norm][pool]") {
  const auto& fx = ember_test::fixtures("double_backward");
  for (Device d : ember_test::test_devices()) {
    for (const Case& c : cases()) {
      INFO(c.name << " on " << d);
      auto in = [&](int i) { return fx[c.name + ".in" + std::to_string(i)].to(d); };
      Tensor x = in(0).requires_grad_(), u = in(1).requires_grad_(), v = in(2);
      std::vector<Tensor> params;
      if (c.affine) params = {in(3).requires_grad_(), in(4).requires_grad_()};
      Tensor y = c.op(x, params);
      Tensor g = autograd::grad({(y * y * u).sum()}, {x}, {}, std::nullopt, true)[0];
      require_close(g.cpu(), fx[c.name + ".out"], 1e-10, 1e-10);
      std::vector<Tensor> wrt{x};
      if (c.affine) wrt.push_back(params[0]);
      wrt.push_back(u);
      std::vector<Tensor> second = autograd::grad({(g * v).sum()}, wrt);
      for (size_t i = 0; i < second.size(); ++i)
        require_close(second[i].cpu(), fx[c.name + ".grad" + std::to_string(i)], 1e-10, 1e-10);
    }
  }
}

TEST_CASE("double backward through nn::BatchNorm1d and nn::BatchNorm2d, training and eval", "[autograd_api][norm]") {
  nn::BatchNorm1d bn1(nn::BatchNorm1dOptions(3));
  nn::BatchNorm2d bn2(nn::BatchNorm2dOptions(2).affine(false));
  bn1->to(kDouble);
  bn2->to(kDouble);
  {
    NoGradGuard no_grad;
    bn1->weight.copy_(tensor(std::vector<double>{0.7, 1.3, -0.4}, kDouble));
    bn1->bias.copy_(tensor(std::vector<double>{0.1, -0.2, 0.3}, kDouble));
    bn1->running_mean.copy_(tensor(std::vector<double>{0.2, -0.1, 0.05}, kDouble));
    bn1->running_var.copy_(tensor(std::vector<double>{0.8, 1.5, 0.6}, kDouble));
  }
  for (bool training : {true, false}) {
    INFO((training ? "training" : "eval"));
    bn1->train(training);
    bn2->train(training);
    // Through the module's own parameters too: the first gradient includes theirs.
    auto grads = [&](const std::vector<Tensor>& in) {
      AutoGradMode enable(true);
      Tensor x1 = in[0].requires_grad() ? in[0] : in[0].detach().requires_grad_();
      Tensor x2 = in[1].requires_grad() ? in[1] : in[1].detach().requires_grad_();
      Tensor loss = (bn1(x1).pow(2) * in[2]).sum() + (bn2(x2).tanh() * in[3]).sum();
      std::vector<Tensor> g = autograd::grad({loss}, {x1, x2, bn1->weight, bn1->bias}, {}, std::nullopt, true);
      for (Tensor& t : g) t = t.reshape({-1});
      return cat(g);
    };
    ember_test::gradcheck(grads, {ember_test::rnd({4, 3, 2}, kDouble), ember_test::rnd({3, 2, 2, 2}, kDouble),
                                  ember_test::rnd({4, 3, 2}, kDouble), ember_test::rnd({3, 2, 2, 2}, kDouble)});
  }
}

TEST_CASE("the pools' backward nodes have LibTorch's names", "[autograd_api][pool]") {
  Tensor x = ember_test::rnd({1, 2, 4, 4}, kDouble).requires_grad_();
  Tensor w = ember_test::rnd({1, 2, 2, 2}, kDouble).requires_grad_();
  // The gradient is the pool's backward of w, recorded because w requires grad.
  auto node = [&](const Tensor& y) {
    return autograd::grad({(y * w).sum()}, {x}, {}, std::nullopt, true)[0].grad_fn()->name();
  };
  CHECK(node(F::max_pool2d(x, F::MaxPool2dFuncOptions(2))) == "MaxPool2DWithIndicesBackwardBackward0");
  CHECK(node(F::avg_pool2d(x, F::AvgPool2dFuncOptions(2))) == "AvgPool2DBackwardBackward0");
  CHECK(node(F::adaptive_avg_pool2d(x, F::AdaptiveAvgPool2dFuncOptions(2))) == "AdaptiveAvgPool2DBackwardBackward0");
  CHECK(node(F::adaptive_max_pool2d(x, F::AdaptiveMaxPool2dFuncOptions(2))) == "AdaptiveMaxPool2DBackwardBackward0");
}
