// Double backward (create_graph) through the activations: under create_graph their backward is
// g * f'(x) in recorded ops (src/ops/elementwise.cpp). Checked three ways, in float64, on every
// device: the first gradient equals the fused kernel's; the second-order gradient agrees with
// finite differences of the first (gradcheck of x -> dL/dx); and the gradient of a gradient
// penalty through LeakyReLU (WGAN-GP) matches PyTorch 1.13.
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "ember/nn/functional/activation.h"
#include "helpers.h"

using namespace ember;
using ember_test::require_close;

namespace {
using Act = std::function<Tensor(const Tensor&)>;

const std::vector<std::pair<std::string, Act>>& activations() {
  static const std::vector<std::pair<std::string, Act>> list = {
      {"silu", [](const Tensor& x) { return silu(x); }},
      {"mish", [](const Tensor& x) { return mish(x); }},
      {"leaky_relu", [](const Tensor& x) { return leaky_relu(x, 0.2); }},
      {"elu", [](const Tensor& x) { return elu(x, 1.3); }},
      {"selu", [](const Tensor& x) { return selu(x); }},
      {"celu", [](const Tensor& x) { return celu(x, 0.7); }},
      {"softplus", [](const Tensor& x) { return softplus(x, 2, 1.5); }},
      {"hardtanh", [](const Tensor& x) { return hardtanh(x, -0.5, 1.5); }},
      {"relu6", [](const Tensor& x) { return relu6(x * 4); }},
      {"hardswish", [](const Tensor& x) { return hardswish(x * 3); }},
      {"hardsigmoid", [](const Tensor& x) { return hardsigmoid(x * 3); }},
      {"log_sigmoid", [](const Tensor& x) { return log_sigmoid(x); }},
      {"gelu", [](const Tensor& x) { return gelu(x); }},
      {"gelu_tanh", [](const Tensor& x) { return gelu(x, "tanh"); }},
  };
  return list;
}

// Points away from every kink (0, the hardtanh bounds -0.5 and 1.5, relu6's 6 at x = 1.5,
// hardswish's +-3 at x = +-1, softplus's threshold 1.5 / beta = 0.75), both signs, a large one.
Tensor points() { return tensor(std::vector<double>{-2.3, -1.2, -0.7, -0.3, 0.2, 0.45, 0.9, 1.3, 1.7, 3.1}, kDouble); }
}  // namespace

TEST_CASE("double backward through the activations agrees with finite differences", "[autograd_api][activation]") {
  for (Device d : ember_test::test_devices()) {
    for (const auto& [name, act] : activations()) {
      INFO(name << " on " << d);
      Tensor x = points().to(d).requires_grad_();
      Tensor w = (points() * 0.5 + 1.0).to(d);  // a weighting, so the gradient is not all ones
      // The create_graph gradient equals the fused kernel's.
      Tensor fused = autograd::grad({(act(x) * w).sum()}, {x})[0];
      Tensor recorded = autograd::grad({(act(x) * w).sum()}, {x}, {}, std::nullopt, /*create_graph=*/true)[0];
      require_close(recorded.cpu(), fused.cpu(), 1e-12, 1e-12);
      // The gradient of the gradient, against finite differences.
      ember_test::gradcheck(
          [&](const std::vector<Tensor>& in) {
            // The finite differences evaluate this under NoGradGuard: the first gradient still
            // needs a graph, on a leaf of its own there.
            AutoGradMode enable(true);
            Tensor xi = in[0].requires_grad() ? in[0] : in[0].detach().requires_grad_();
            return autograd::grad({(act(xi) * in[1]).sum()}, {xi}, {}, std::nullopt, true)[0];
          },
          {points(), points() * 0.5 + 1.0}, d);
    }
  }
}

TEST_CASE("a gradient penalty through LeakyReLU matches PyTorch", "[autograd_api][activation]") {
  // x = torch.tensor([[0.5,-1.0],[2.0,0.3]], dtype=torch.float64, requires_grad=True)
  // W = torch.tensor([[1.0,-2.0],[0.5,1.5]], dtype=torch.float64, requires_grad=True)
  // y = F.leaky_relu(F.gelu(x @ W), 0.2).sum()
  // g, = torch.autograd.grad(y, x, create_graph=True); ((g.norm(2, dim=1) - 1) ** 2).mean().backward()
  Tensor x = tensor(std::vector<double>{0.5, -1.0, 2.0, 0.3}, kDouble).reshape({2, 2}).requires_grad_();
  Tensor W = tensor(std::vector<double>{1.0, -2.0, 0.5, 1.5}, kDouble).reshape({2, 2}).requires_grad_();
  Tensor y = leaky_relu(gelu(x.mm(W)), 0.2).sum();
  Tensor g = autograd::grad({y}, {x}, {}, std::nullopt, true)[0];
  Tensor norms = (g * g).sum(1).sqrt();
  ((norms - 1.0).pow(2)).mean().backward();
  require_close(W.grad(),
                tensor(std::vector<double>{-0.018817456380659264, -0.0024145164109747527, 0.21395728114946205,
                                           0.020718729365229782},
                       kDouble)
                    .reshape({2, 2}),
                1e-10, 1e-12);
  require_close(x.grad(),
                tensor(std::vector<double>{-0.11814245962746443, -0.1054477017707179, -0.02341002347484827,
                                           -0.010853510877712684},
                       kDouble)
                    .reshape({2, 2}),
                1e-10, 1e-12);
}
