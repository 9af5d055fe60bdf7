// A LibTorch program using the autograd API: torch::autograd::grad and backward with inputs,
// create_graph (second derivatives, a gradient penalty), a custom Function and InferenceMode.
// Built against LibTorch and against ember (ember/torch_compat.h), it must print the same text:
// tools/check_libtorch_compat.sh does both and diffs them.
#ifdef USE_TORCH
#include <torch/torch.h>
#else
#include <ember/torch_compat.h>  // the one line a port changes
#endif
#include <iostream>

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct MulConstant : public torch::autograd::Function<MulConstant> {
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor t, double c) {
    ctx->saved_data["c"] = c;
    return t * c;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    return {grad_outputs[0] * ctx->saved_data["c"].toDouble(), torch::Tensor()};
  }
};

struct Cube : public torch::autograd::Function<Cube> {
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor x) {
    ctx->save_for_backward({x});
    return x * x * x;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    auto x = ctx->get_saved_variables()[0];
    return {g[0] * 3 * x * x};
  }
};

struct Forgetful : public torch::autograd::Function<Forgetful> {
  static torch::Tensor forward(AutogradContext*, torch::Tensor x, double c) { return x * c; }
  static variable_list backward(AutogradContext*, variable_list g) { return {g[0]}; }
};

int main() {
  auto opts = torch::TensorOptions().dtype(torch::kFloat64).requires_grad(true);
  auto x = torch::tensor({1.0, 2.0, 3.0}, opts);

  // First and second derivatives of x^3 with grad(); .grad() stays undefined.
  auto y = x.pow(3).sum();
  auto g = torch::autograd::grad({y}, {x}, {}, c10::nullopt, /*create_graph=*/true)[0];
  std::cout << g << "\n" << g.grad_fn()->name() << " " << x.grad().defined() << "\n";
  auto g2 = torch::autograd::grad({g.sum()}, {x})[0];
  std::cout << g2 << "\n";

  // allow_unused and its error.
  auto unused = torch::tensor({5.0}, opts);
  auto z = (x * 2).sum();
  auto both = torch::autograd::grad({z}, {x, unused}, {}, true, false, /*allow_unused=*/true);
  std::cout << both[0] << "\n" << both[1].defined() << "\n";
  try {
    torch::autograd::grad({z}, {x, unused});
  } catch (const c10::Error&) {
    std::cout << "unused input refused\n";
  }

  // backward with create_graph: .grad() has a history, then a Hessian-vector product.
  auto w = torch::tensor({0.5, -1.0}, opts);
  (w.exp() * w.tanh()).sum().backward({}, c10::nullopt, /*create_graph=*/true);
  std::cout << w.grad() << "\n" << w.grad().grad_fn()->name() << "\n";
  auto gw = w.grad();
  w.mutable_grad() = torch::Tensor();
  (gw * torch::tensor({1.0, 2.0}, torch::kFloat64)).sum().backward();
  std::cout << w.grad() << "\n";

  // backward(inputs=...) fills only the named tensors' .grad().
  auto a = torch::tensor({1.0, 2.0}, opts), b = torch::tensor({3.0, 4.0}, opts);
  (a * b).sum().backward({}, c10::nullopt, false, torch::TensorList{b});
  std::cout << b.grad() << "\n" << a.grad().defined() << "\n";

  // A gradient penalty through a small tanh net.
  auto W1 = torch::tensor({{0.2, -0.3}, {0.5, 0.1}, {-0.4, 0.6}}, opts);
  auto W2 = torch::tensor({{0.7, -0.5, 0.3}}, opts);
  auto in = torch::tensor({{1.0, -0.5}, {0.3, 0.8}}, opts);
  auto out = torch::tanh(in.mm(W1.t())).mm(W2.t());
  auto gin = torch::autograd::grad({out.sum()}, {in}, {}, c10::nullopt, true)[0];
  auto penalty = gin.pow(2).sum();
  penalty.backward();
  std::cout << penalty << "\n" << W1.grad() << "\n" << W2.grad() << "\n";

  // A gradient penalty through a padded convolution, max pooling and a label-smoothed cross entropy.
  namespace F = torch::nn::functional;
  auto cx = (torch::arange(2 * 2 * 5 * 5, torch::kFloat64).reshape({2, 2, 5, 5}) * 0.07 - 1.3).requires_grad_();
  auto cw = (torch::arange(3 * 2 * 3 * 3, torch::kFloat64).reshape({3, 2, 3, 3}) * 0.05 - 0.4).requires_grad_();
  auto feat = F::conv2d(cx, cw, F::Conv2dFuncOptions().stride(1).padding(1)).tanh();
  auto logits = F::max_pool2d(feat, F::MaxPool2dFuncOptions(2)).pow(2).sum({2, 3});
  auto ce =
      F::cross_entropy(logits, torch::tensor({2, 0}, torch::kInt64), F::CrossEntropyFuncOptions().label_smoothing(0.1));
  auto gcx = torch::autograd::grad({ce}, {cx}, {}, c10::nullopt, true)[0];
  auto gp = gcx.pow(2).sum();
  auto gcw = torch::autograd::grad({gp}, {cw})[0];
  std::cout << ce.item<double>() << " " << gp.item<double>() << "\n";
  std::cout << gcw.sum().item<double>() << " " << gcw.abs().sum().item<double>() << "\n";

  // Custom functions.
  auto c = torch::tensor({1.0, 2.0}, opts);
  auto m = MulConstant::apply(c, 5.5);
  std::cout << m.grad_fn()->name() << "\n";
  m.sum().backward();
  std::cout << c.grad() << "\n";
  auto e = torch::tensor({1.5, -2.0}, opts);
  auto ge = torch::autograd::grad({Cube::apply(e).sum()}, {e}, {}, c10::nullopt, true)[0];
  std::cout << ge << "\n" << torch::autograd::grad({ge.sum()}, {e})[0] << "\n";
  try {
    Forgetful::apply(e, 2.0).sum().backward();
  } catch (const std::exception& err) {
    std::cout << err.what() << "\n";
  }

  // InferenceMode.
  {
    c10::InferenceMode guard;
    std::cout << c10::InferenceMode::is_enabled() << " " << (e * 2).requires_grad() << "\n";
  }
  std::cout << c10::InferenceMode::is_enabled() << " " << (e * 2).requires_grad() << "\n";
}
