// The autograd API beyond Tensor::backward: ember::autograd::grad and backward with inputs,
// higher-order gradients (create_graph), custom functions (Function<T>, AutogradContext) and
// InferenceMode. Expected values come from PyTorch 1.13 in float64 (the Python lines that made
// them are quoted beside them); the double backward is also checked by finite differences.
#include <cmath>

#include "ember/functional.h"
#include "ember/nn/pooling.h"
#include "helpers.h"

using namespace ember;
using ember::autograd::AutogradContext;
using ember::autograd::Function;
using ember_test::leaf;
using ember_test::require_close;
using ember_test::require_throws_with;

namespace {

Tensor dvec(std::initializer_list<double> v) { return tensor(std::vector<double>(v), kDouble); }
Tensor dmat(std::vector<double> v, int64_t rows, int64_t cols) { return tensor(v, kDouble).reshape({rows, cols}); }
Tensor first_grad(const Tensor& y, const Tensor& x) {
  return autograd::grad({y}, {x}, {}, std::nullopt, /*create_graph=*/true)[0];
}

// f(x) = sum(tanh(x) exp(x) + log(x) sigmoid(x) + relu(x - 1)^2 + x^3 / (x + 1))
Tensor composite(const Tensor& x) {
  return (tanh(x) * exp(x) + log(x) * sigmoid(x) + relu(x - 1.0).pow(2) + x.pow(3) / (x + 1)).sum();
}

}  // namespace

TEST_CASE("grad returns gradients without touching .grad()", "[autograd_api]") {
  Tensor x = leaf({1.0, 2.0, 3.0}, kCPU);
  Tensor w = leaf({0.5, -1.0, 2.0}, kCPU);
  Tensor y = (x.pow(3) * w).sum();
  variable_list g = autograd::grad({y}, {x});
  REQUIRE(g.size() == 1);
  require_close(g[0], dvec({1.5, -12.0, 54.0}), 1e-12, 1e-12);  // 3 x^2 w
  CHECK(!g[0].requires_grad());
  CHECK(!x.grad().defined());
  CHECK(!w.grad().defined());
  // The graph was freed (retain_graph defaults to create_graph = false).
  require_throws_with([&] { autograd::grad({y}, {x}); }, {"backward through the graph a second time"});
}

TEST_CASE("grad with several outputs, grad_outputs and a non-leaf input", "[autograd_api]") {
  Tensor x = leaf({1.0, 2.0}, kCPU);
  Tensor h = x * x;  // a non-leaf input: its incoming gradient is returned
  Tensor a = h * 3.0, b = h.exp();
  variable_list g = autograd::grad({a, b}, {h, x}, {dvec({1.0, 2.0}), dvec({0.5, 0.0})}, /*retain_graph=*/true);
  // dh = [1, 2] * 3 + [0.5, 0] * exp(h); dx = dh * 2x
  const double e1 = std::exp(1.0);
  require_close(g[0], dvec({3.0 + 0.5 * e1, 6.0}), 1e-12, 1e-12);
  require_close(g[1], dvec({2 * (3.0 + 0.5 * e1), 24.0}), 1e-12, 1e-12);
  CHECK(!x.grad().defined());
  CHECK(!h.grad().defined());
}

TEST_CASE("grad: unused inputs, inputs that do not require grad", "[autograd_api]") {
  Tensor x = leaf({1.0, 2.0}, kCPU);
  Tensor unused = leaf({5.0}, kCPU);
  Tensor y = (x * 2.0).sum();
  // PyTorch: torch.autograd.grad(y, [x, unused]) raises with this text.
  require_throws_with(
      [&] {
        autograd::grad({y}, {x, unused}, {}, true);
      },
      {"One of the differentiated Tensors appears to not have been used in the graph. "
       "Set allow_unused=True if this is the desired behavior."});
  variable_list g = autograd::grad({y}, {x, unused}, {}, true, false, /*allow_unused=*/true);
  require_close(g[0], dvec({2.0, 2.0}), 0, 0);
  CHECK(!g[1].defined());
  Tensor plain = dvec({1.0});
  require_throws_with([&] { autograd::grad({y}, {plain}, {}, true); },
                      {"One of the differentiated Tensors does not require grad"});
  require_throws_with([&] { autograd::grad({dvec({1.0}).sum()}, {x}); },
                      {"element 0 of tensors does not require grad"});
}

TEST_CASE("second derivative of x^3 through grad and backward", "[autograd_api]") {
  Tensor x = leaf({1.0, 2.0, 3.0}, kCPU);
  Tensor g = first_grad(x.pow(3).sum(), x);
  CHECK(g.requires_grad());
  CHECK(g.grad_fn()->name() == "MulBackward0");  // PyTorch: g.grad_fn.name() == 'MulBackward0'
  require_close(g, dvec({3.0, 12.0, 27.0}), 1e-12, 1e-12);
  Tensor g2 = autograd::grad({g.sum()}, {x}, {}, /*retain_graph=*/true)[0];
  require_close(g2, dvec({6.0, 12.0, 18.0}), 1e-12, 1e-12);
  // The same through backward: the second pass accumulates 6x into .grad().
  g.sum().backward();
  require_close(x.grad(), dvec({6.0, 12.0, 18.0}), 1e-12, 1e-12);
}

TEST_CASE("backward with create_graph accumulates .grad() out of place, with history", "[autograd_api]") {
  Tensor x = leaf({1.0, 2.0}, kCPU);
  (x * x).sum().backward({}, std::nullopt, /*create_graph=*/true);
  REQUIRE(x.grad().grad_fn());
  // PyTorch: x.grad.grad_fn.name() is 'torch::autograd::CopyBackwards', then 'AddBackward0'.
  CHECK(x.grad().grad_fn()->name() == "ember::autograd::CopyBackwards");
  (x * x * x).sum().backward({}, std::nullopt, true);
  CHECK(x.grad().grad_fn()->name() == "AddBackward0");
  require_close(x.grad(), dvec({5.0, 16.0}), 1e-12, 1e-12);  // 2x + 3x^2
  Tensor g = x.grad();
  x.mutable_grad() = Tensor();
  g.sum().backward();  // d/dx (2x + 3x^2) = 2 + 6x
  require_close(x.grad(), dvec({8.0, 14.0}), 1e-12, 1e-12);
}

TEST_CASE("backward with inputs accumulates only into those", "[autograd_api]") {
  Tensor x = leaf({1.0, 2.0}, kCPU), w = leaf({3.0, 4.0}, kCPU);
  Tensor h = x * w;
  Tensor y = (h * h).sum();
  y.backward({}, true, false, TensorList{w});
  require_close(w.grad(), dvec({6.0, 32.0}), 0, 0);  // 2 h x
  CHECK(!x.grad().defined());
  autograd::backward({y}, {}, true, false, {h});
  require_close(h.grad(), dvec({6.0, 16.0}), 0, 0);  // a non-leaf input gets .grad() (2 h)
  CHECK(!x.grad().defined());
  require_throws_with([&] { y.backward({}, true, false, TensorList{}); },
                      {"'inputs' argument to backward() cannot be empty."});
}

TEST_CASE("Hessian-vector product of a composite function matches PyTorch", "[autograd_api]") {
  Tensor x = leaf({0.5, 1.25, 2.0}, kCPU);
  Tensor v = dvec({1.0, -2.0, 0.5});
  Tensor g = first_grad(composite(x), x);
  // PyTorch: f as in composite(); g, = torch.autograd.grad(f(x), x, create_graph=True);
  // h, = torch.autograd.grad((g * v).sum(), x)
  require_close(g, dvec({3.585006438679371, 6.797542852052558, 13.2695824361717}), 1e-12, 1e-12);
  Tensor h = autograd::grad({(g * v).sum()}, {x})[0];
  require_close(h, dvec({2.0542560499096516, -13.68054782577576, 5.458053311601907}), 1e-12, 1e-12);
}

TEST_CASE("double backward through mm, softmax, log_softmax, mean and sum matches PyTorch", "[autograd_api]") {
  Tensor X = dmat({0.1, -0.2, 0.3, 0.4, 0.5, -0.6, -0.7, 0.8, 0.9, 1.0, -1.1, 0.2}, 4, 3);
  Tensor W = dmat({0.3, -0.1, 0.2, 0.4, -0.5, 0.6}, 3, 2).requires_grad_();
  Tensor z = X.mm(W);
  Tensor f = (softmax(z, 1) * log_softmax(z, 1)).sum() + z.mean() * z.sum();
  Tensor gW = first_grad(f, W);
  // PyTorch: the same f; gW, = grad(f, W, create_graph=True); hW, = grad((gW * V).sum(), W)
  require_close(gW,
                dmat({0.3573379036769527, -0.2613379036769527, -0.19238201987558973, 0.19238201987558973,
                      -0.2468980482985266, 0.3428980482985266},
                     3, 2),
                1e-12, 1e-12);
  Tensor V = dmat({1.0, 0.5, -0.5, 2.0, 0.25, -1.0}, 3, 2);
  Tensor hW = autograd::grad({(gW * V).sum()}, {W})[0];
  require_close(hW,
                dmat({0.8137763948289619, -0.573776394828962, -1.0636889383650625, 1.0636889383650625,
                      0.4987922076526231, -0.2587922076526232},
                     3, 2),
                1e-12, 1e-12);
}

TEST_CASE("second derivative of a mean squared error", "[autograd_api]") {
  Tensor a = leaf({1.0, 2.0, 4.0, -1.0}, kCPU);
  Tensor y = dvec({0.5, 2.5, 3.0, 0.0});
  Tensor g = first_grad((a - y).pow(2).mean(), a);
  require_close(g, dvec({0.25, -0.25, 0.5, -0.5}), 1e-12, 1e-12);  // 2 (a - y) / 4
  require_close(autograd::grad({g.sum()}, {a})[0], dvec({0.5, 0.5, 0.5, 0.5}), 1e-12, 1e-12);
}

TEST_CASE("gradient penalty through a Linear/tanh net matches PyTorch", "[autograd_api]") {
  Tensor W1 = dmat({0.2, -0.3, 0.5, 0.1, -0.4, 0.6}, 3, 2).requires_grad_();
  Tensor b1 = dvec({0.1, -0.2, 0.05}).requires_grad_();
  Tensor W2 = dmat({0.7, -0.5, 0.3}, 1, 3).requires_grad_();
  Tensor b2 = dvec({0.2}).requires_grad_();
  Tensor x = dmat({1.0, -0.5, 0.3, 0.8}, 2, 2).requires_grad_();
  namespace F = nn::functional;
  Tensor out = F::linear(tanh(F::linear(x, W1, b1)), W2, b2);
  Tensor gx = first_grad(out.sum(), x);
  Tensor penalty = gx.pow(2).sum();
  penalty.backward();
  // PyTorch: out = linear(tanh(linear(x, W1, b1)), W2, b2); gx, = grad(out.sum(), x,
  // create_graph=True); (gx ** 2).sum().backward()
  CHECK(penalty.item<double>() == Approx(0.10634531781375484).epsilon(1e-12));
  require_close(W1.grad(),
                dmat({-0.5170762041742047, -0.2675063717858814, 0.3481920923498037, 0.21799460978382473,
                      -0.18211923559023466, -0.10537842836371646},
                     3, 2),
                1e-12, 1e-12);
  require_close(b1.grad(), dvec({0.00790670360770368, -0.05774416429399527, 0.0012656153307265064}), 1e-12, 1e-12);
  require_close(W2.grad(), dmat({-0.038856153284914124, -0.4406794346194767, 0.06516741872403747}, 1, 3), 1e-12, 1e-12);
  CHECK(!b2.grad().defined());  // the penalty does not depend on b2 (PyTorch: b2.grad is None)
}

namespace {
/// Checks the double backward of scalar function f at x: autograd's Hessian-vector product
/// grad((grad(f, x, create_graph) * v).sum(), x) against the central difference of the
/// gradient along v, (grad f(x + eps v) - grad f(x - eps v)) / (2 eps), for a few random v.
void check_hessian_vector(const std::function<Tensor(const Tensor&)>& f, const Tensor& x0) {
  for (int trial = 0; trial < 3; ++trial) {
    Tensor v = ember_test::rnd(x0.sizes(), kDouble);
    Tensor x = x0.detach().clone().requires_grad_();
    Tensor g = autograd::grad({f(x)}, {x}, {}, std::nullopt, /*create_graph=*/true)[0];
    Tensor hv = autograd::grad({(g * v).sum()}, {x})[0];
    const double eps = 1e-5;
    auto grad_at = [&](const Tensor& at) {
      Tensor xa = at.detach().clone().requires_grad_();
      return autograd::grad({f(xa)}, {xa})[0];
    };
    Tensor fd = (grad_at(x0 + v * eps) - grad_at(x0 - v * eps)) / (2 * eps);
    require_close(hv, fd, 1e-6, 1e-6);
  }
}
}  // namespace

TEST_CASE("double backward agrees with finite differences of the gradient", "[autograd_api]") {
  Tensor X = ember_test::rnd({3, 4}, kDouble);
  check_hessian_vector(
      [&](const Tensor& w) {
        Tensor z = X.mm(w.t());  // (3, 2)
        return (log_softmax(z, 1) * sigmoid(z)).sum() + relu(z).pow(2).mean() + exp(tanh(z)).sum() +
               clamp(z, -0.5, 0.5).pow(3).sum() + (z / (z * z + 1.0)).sum() + softmax(z, 0).pow(2).sum();
      },
      ember_test::rnd({2, 4}, kDouble));
  check_hessian_vector(
      [](const Tensor& x) {
        return x.sqrt().sum() * x.abs().max() + where(x > 1.0, x * x, -x).sum() + x.log().pow(2).sum() +
               x.reshape({2, 2}).t().mm(x.reshape({2, 2})).sum() + (x.unsqueeze(0).expand({3, 4}) * x).mean();
      },
      dvec({0.3, 1.7, 2.5, 0.9}));
  // Views, cat, reductions over a dim, tensor-tensor pow and division, in-place forms.
  check_hessian_vector(
      [](const Tensor& x) {
        Tensor m = x.view({2, 3});
        Tensor c = cat({m, m.slice(1, 0, 2).exp()}, 1);  // (2, 5)
        Tensor sel = c.select(0, 1).unsqueeze(0).squeeze(0);
        Tensor t = c.t().permute({1, 0}).reshape({10}).to(kDouble).clone();
        Tensor y = t.narrow(0, 2, 4) + 1.0;
        y.mul_(sel.slice(0, 1, 5));  // an in-place form through the graph
        return std::get<0>(c.max(1)).pow(2).sum() + c.mean({1}).pow(3).sum() + c.sum({0}).tanh().sum() +
               pow(x.abs() + 1.0, x.view({3, 2}).sum({1}, true).view({3, 1}).expand({3, 2}).reshape({6})).sum() +
               (y / (x.narrow(0, 0, 4) * x.narrow(0, 0, 4) + 2.0)).sum() + (1.0 - x).pow(2).sum() / (x * x + 1.0).sum();
      },
      dvec({0.3, -1.2, 0.8, 0.5, 1.1, -0.4}));
}

TEST_CASE("double backward through cross_entropy and nll_loss agrees with finite differences", "[autograd_api]") {
  namespace F = nn::functional;
  Tensor X = ember_test::rnd({5, 3}, kDouble);
  Tensor y = tensor(std::vector<int64_t>{2, 0, 3, 1, 3}, kLong);
  Tensor y_ignored = tensor(std::vector<int64_t>{2, -100, 3, 1, -100}, kLong);
  for (double smoothing : {0.0, 0.2}) {
    for (Reduction reduction : {Reduction::Mean, Reduction::Sum, Reduction::None}) {
      INFO("label_smoothing " << smoothing);
      check_hessian_vector(
          [&](const Tensor& w) {
            Tensor logits = tanh(X.mm(w));  // (5, 4)
            auto opts = F::CrossEntropyFuncOptions().label_smoothing(smoothing).reduction(reduction);
            Tensor l = F::cross_entropy(logits, y, opts) + F::cross_entropy(logits * 2.0, y_ignored, opts);
            return (l * l).sum();
          },
          ember_test::rnd({3, 4}, kDouble));
    }
  }
  check_hessian_vector(
      [&](const Tensor& w) {
        Tensor logp = log_softmax(X.mm(w), 1);
        Tensor l =
            F::nll_loss(logp, y) + F::nll_loss(logp, y_ignored, F::NLLLossFuncOptions().reduction(Reduction::Sum));
        return l * l;
      },
      ember_test::rnd({3, 4}, kDouble));
}

TEST_CASE("double backward through index_select and batched matmul agrees with finite differences", "[autograd_api]") {
  Tensor idx = tensor(std::vector<int64_t>{2, 0, 2, 1}, kLong);  // a repeated index must add up
  Tensor B = ember_test::rnd({2, 3, 4}, kDouble);
  check_hessian_vector(
      [&](const Tensor& x) {
        Tensor m = x.view({3, 4});
        Tensor rows = index_select(m, 0, idx), cols = index_select(m, 1, idx);
        Tensor batched = matmul(m.unsqueeze(0).expand({2, 3, 4}).tanh(), B.transpose(1, 2));  // (2, 3, 3)
        return (rows * rows).sum().exp() * 1e-3 + (cols.pow(3)).sum() + batched.pow(2).sum();
      },
      ember_test::rnd({12}, kDouble));
}

TEST_CASE("double backward through conv2d agrees with finite differences", "[autograd_api]") {
  namespace F = nn::functional;
  Tensor x0 = ember_test::rnd({2, 4, 6, 5}, kDouble);
  Tensor w0 = ember_test::rnd({4, 2, 3, 2}, kDouble);
  Tensor b = ember_test::rnd({4}, kDouble);
  auto opts = F::Conv2dFuncOptions().stride({2, 1}).padding({1, 0}).dilation({1, 2}).groups(2);
  // Differentiating twice w.r.t. the weight, then w.r.t. the input.
  check_hessian_vector([&](const Tensor& w) { return F::conv2d(x0, w, opts.bias(b)).tanh().pow(2).sum(); }, w0);
  check_hessian_vector([&](const Tensor& x) { return F::conv2d(x, w0, opts.bias(b)).tanh().pow(2).sum(); }, x0);
  // The mixed term: the weight gradient of a gradient penalty on the input.
  Tensor x = x0.detach().clone().requires_grad_();
  auto penalty = [&](const Tensor& w) {
    Tensor gx = autograd::grad({F::conv2d(x, w, opts).sigmoid().sum()}, {x}, {}, std::nullopt, true)[0];
    return gx.pow(2).sum();
  };
  Tensor w = w0.detach().clone().requires_grad_();
  Tensor gw = autograd::grad({penalty(w)}, {w})[0];
  // Central differences of the penalty along one random direction of w.
  Tensor v = ember_test::rnd(w0.sizes(), kDouble);
  const double eps = 1e-5;
  double fd = (penalty(w0 + v * eps).item<double>() - penalty(w0 - v * eps).item<double>()) / (2 * eps);
  CHECK((gw * v).sum().item<double>() == Approx(fd).epsilon(1e-6));
}

TEST_CASE("double backward through max_pool2d agrees with finite differences", "[autograd_api]") {
  namespace F = nn::functional;
  Tensor w0 = ember_test::rnd({3, 2, 2, 2}, kDouble);
  Tensor x0 = ember_test::rnd({2, 2, 7, 6}, kDouble);
  auto pool = F::MaxPool2dFuncOptions(3).stride(2).padding(1);
  check_hessian_vector([&](const Tensor& x) { return F::max_pool2d(x * x, pool).pow(3).sum(); }, x0);
  check_hessian_vector([&](const Tensor& w) { return F::max_pool2d(F::conv2d(x0, w).tanh(), pool).pow(2).sum(); }, w0);
}

TEST_CASE("double backward through in-place changes of views (CopySlices, AsStridedBackward0)", "[autograd_api]") {
  check_hessian_vector(
      [](const Tensor& x) {
        Tensor y = x * 1.0;
        Tensor head = y.narrow(0, 0, 3);            // a view of y
        y.narrow(0, 1, 2).mul_(x.narrow(0, 3, 2));  // y's base gets a CopySlices node
        y[4] = x[0] * x[1];                         // select + copy_: another CopySlices
        // head's storage changed: its grad_fn is regenerated as AsStridedBackward0.
        CHECK(y.grad_fn()->name() == "ember::autograd::CopySlices");
        CHECK(head.grad_fn()->name() == "AsStridedBackward0");
        return (y * y * y).sum() + head.exp().sum() + y.expand({2, 5}).pow(2).sum();
      },
      dvec({0.3, -0.7, 1.1, 0.4, -0.2}));
}

TEST_CASE("create_graph through an op without double backward is refused", "[autograd_api]") {
  Tensor x = ember_test::rnd({2, 3}, kDouble).requires_grad_();
  Tensor y = layer_norm(x, {3}).pow(2).sum();
  require_throws_with([&] { autograd::grad({y}, {x}, {}, std::nullopt, true); },
                      {"NativeLayerNormBackward0", "double backward is not supported"});
  // Without create_graph the same graph is fine (it was retained by the refused call).
  Tensor g = autograd::grad({y}, {x})[0];
  CHECK(g.sizes() == IntArrayRef({2, 3}));
}

// --- custom functions ----------------------------------------------------------------------------

namespace {

struct MulConstant : public Function<MulConstant> {
  static Tensor forward(AutogradContext* ctx, Tensor t, double c) {
    ctx->saved_data["c"] = c;
    return t * c;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    return {grad_outputs[0] * ctx->saved_data["c"].toDouble(), Tensor()};
  }
};

/// x * y with both saved: its backward uses recorded ops, so it supports double backward.
struct MulFn : public Function<MulFn> {
  static Tensor forward(AutogradContext* ctx, const Tensor& x, const Tensor& y) {
    ctx->save_for_backward({x, y});
    return x * y;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    variable_list s = ctx->get_saved_variables();
    return {ctx->needs_input_grad(0) ? g[0] * s[1] : Tensor(), ctx->needs_input_grad(1) ? g[0] * s[0] : Tensor()};
  }
};

/// exp with its output saved (a saved output: double backward must see its history).
struct ExpFn : public Function<ExpFn> {
  static Tensor forward(AutogradContext* ctx, const Tensor& x) {
    Tensor out = x.exp();
    ctx->save_for_backward({out});
    return out;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    return {g[0] * ctx->get_saved_variables()[0]};
  }
};

struct WrongCount : public Function<WrongCount> {
  static Tensor forward(AutogradContext*, Tensor t, double c) { return t * c; }
  static variable_list backward(AutogradContext*, variable_list g) { return {g[0], g[0], g[0]}; }
};
struct WrongCountShort : public Function<WrongCountShort> {
  static Tensor forward(AutogradContext*, Tensor t, double c) { return t * c; }
  static variable_list backward(AutogradContext*, variable_list g) { return {g[0]}; }
};

/// Two outputs, the second (an argmax-like index) not differentiable; no gradient materialized.
struct SortPair : public Function<SortPair> {
  static variable_list forward(AutogradContext* ctx, const Tensor& x) {
    Tensor doubled = x * 2.0;
    Tensor flag = x.gt(0.0).to(kDouble);
    ctx->mark_non_differentiable({flag});
    ctx->set_materialize_grads(false);
    ctx->saved_data["name"] = std::string("pair");
    ctx->saved_data["n"] = int64_t(2);
    ctx->saved_data["on"] = true;
    return {doubled, flag};
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    CHECK(ctx->saved_data["name"].toStringRef() == "pair");
    CHECK(ctx->saved_data["n"].toInt() == 2);
    CHECK(ctx->saved_data["on"].toBool());
    REQUIRE(g.size() == 2);
    CHECK(!g[1].defined());  // not materialized
    return {g[0] * 2.0};
  }
};

/// Adds one in place and says so.
struct AddOneInPlace : public Function<AddOneInPlace> {
  static Tensor forward(AutogradContext* ctx, Tensor x) {
    x.add_(1.0);
    ctx->mark_dirty({x});
    return x;
  }
  static variable_list backward(AutogradContext*, variable_list g) { return {g[0]}; }
};

}  // namespace

TEST_CASE("custom function: MulConstant with saved_data", "[autograd_api]") {
  Tensor x = leaf({1.0, 2.0, 3.0}, kCPU);
  Tensor y = MulConstant::apply(x, 5.5);
  REQUIRE(y.grad_fn());
  // LibTorch prints torch::autograd::CppNode<MulConstant>; ember says ember:: as for its other C++ nodes.
  CHECK(y.grad_fn()->name() == "ember::autograd::CppNode<(anonymous namespace)::MulConstant>");
  y.sum().backward();
  require_close(x.grad(), dvec({5.5, 5.5, 5.5}), 0, 0);
  // Outside grad mode (or with no input requiring grad) nothing is recorded.
  {
    NoGradGuard g;
    CHECK(!MulConstant::apply(x, 2.0).requires_grad());
  }
  CHECK(!MulConstant::apply(dvec({1.0}), 2.0).requires_grad());
}

TEST_CASE("custom function: wrong number of gradients, in LibTorch's words", "[autograd_api]") {
  Tensor x = leaf({1.0, 2.0}, kCPU);
  require_throws_with([&] { WrongCount::apply(x, 2.0).sum().backward(); },
                      {"function ember::autograd::CppNode<(anonymous namespace)::WrongCount> returned an incorrect "
                       "number of gradients (expected 2, got 3)"});
  require_throws_with([&] { WrongCountShort::apply(x, 2.0).sum().backward(); },
                      {"returned an incorrect number of gradients (expected 2, got 1)"});
}

TEST_CASE("custom function: saved tensors, needs_input_grad, double backward", "[autograd_api]") {
  Tensor x = leaf({1.0, 2.0}, kCPU), y = dvec({3.0, -1.0});
  Tensor out = MulFn::apply(x, y);
  out.sum().backward();
  require_close(x.grad(), y, 0, 0);
  // x^2 through MulFn(x, x): first and second derivatives 2x and 2.
  Tensor z = leaf({1.5, -2.0}, kCPU);
  Tensor g = first_grad(MulFn::apply(z, z).sum(), z);
  require_close(g, dvec({3.0, -4.0}), 0, 0);
  require_close(autograd::grad({g.sum()}, {z})[0], dvec({2.0, 2.0}), 0, 0);
  // A saved output: d^2/dx^2 exp(x) = exp(x).
  Tensor e = leaf({0.5, 1.0}, kCPU);
  Tensor ge = first_grad(ExpFn::apply(e).sum(), e);
  require_close(autograd::grad({ge.sum()}, {e})[0], dvec({std::exp(0.5), std::exp(1.0)}), 1e-14, 1e-14);
  // Saved tensors are freed by the backward that used them.
  Tensor w = leaf({1.0}, kCPU);
  Tensor o = MulFn::apply(w, w);
  o.backward();
  require_throws_with([&] { o.backward(); }, {"Trying to backward through the graph a second time"});
}

TEST_CASE("custom function: several outputs, non-differentiable ones, mark_dirty", "[autograd_api]") {
  Tensor x = leaf({-1.0, 2.0}, kCPU);
  variable_list outs = SortPair::apply(x);
  REQUIRE(outs.size() == 2);
  CHECK(outs[0].requires_grad());
  CHECK(!outs[1].requires_grad());
  outs[0].sum().backward();
  require_close(x.grad(), dvec({2.0, 2.0}), 0, 0);  // what SortPair's backward says

  Tensor a = leaf({1.0, 2.0}, kCPU);
  Tensor b = a * 3.0;
  Tensor r = AddOneInPlace::apply(b);
  CHECK(r.unsafeGetTensorImpl() == b.unsafeGetTensorImpl());  // the input itself, changed
  require_close(b, dvec({4.0, 7.0}), 0, 0);
  (b * b).sum().backward();
  require_close(a.grad(), dvec({24.0, 42.0}), 0, 0);  // 2 b * 3
  require_throws_with([&] { AddOneInPlace::apply(a); }, {"a leaf Variable that requires grad"});
}

TEST_CASE("IValue accessors", "[autograd_api]") {
  IValue d = 2.5, i = int64_t(3), b = false, s = std::string("hi"), t = dvec({1.0});
  CHECK(d.toDouble() == 2.5);
  CHECK(i.toInt() == 3);
  CHECK(!b.toBool());
  CHECK(s.toStringRef() == "hi");
  CHECK(t.toTensor().item<double>() == 1.0);
  require_throws_with([&] { i.toDouble(); }, {"Expected Double but got Int"});
}

TEST_CASE("InferenceMode turns recording off for its scope", "[autograd_api]") {
  Tensor x = leaf({1.0}, kCPU);
  CHECK(!InferenceMode::is_enabled());
  {
    InferenceMode guard;
    CHECK(InferenceMode::is_enabled());
    CHECK(!GradMode::is_enabled());
    CHECK(!(x * 2.0).requires_grad());
    {
      InferenceMode off(false);
      CHECK(!InferenceMode::is_enabled());
      CHECK((x * 2.0).requires_grad());
    }
    CHECK(InferenceMode::is_enabled());
  }
  CHECK(!InferenceMode::is_enabled());
  CHECK(GradMode::is_enabled());
  CHECK((x * 2.0).requires_grad());
}

TEST_CASE("graphs with saved outputs and custom functions are freed (no reference cycles)", "[autograd_api]") {
  Tensor x = leaf({0.5, 1.0}, kCPU);
  std::weak_ptr<autograd::Node> exp_node, custom_node, double_node;
  {
    Tensor y = x.exp();  // exp saves its own output
    exp_node = y.grad_fn();
    Tensor z = ExpFn::apply(x);  // a custom function saving its output
    custom_node = z.grad_fn();
    Tensor g = autograd::grad({(y * z).sum()}, {x}, {}, std::nullopt, /*create_graph=*/true)[0];
    double_node = g.grad_fn();
    CHECK(!exp_node.expired());
    CHECK(!double_node.expired());
  }
  CHECK(exp_node.expired());
  CHECK(custom_node.expired());
  CHECK(double_node.expired());
}

TEST_CASE("create_graph retains the graph by default; anomaly mode checks the recorded backward", "[autograd_api]") {
  Tensor x = leaf({0.5, 2.0}, kCPU);
  Tensor y = (x * x.log()).sum();
  Tensor g1 = autograd::grad({y}, {x}, {}, std::nullopt, true)[0];
  Tensor g2 = autograd::grad({y}, {x}, {}, std::nullopt, true)[0];  // the graph is still there
  require_close(g1, g2, 0, 0);
  require_close(g1, dvec({std::log(0.5) + 1.0, std::log(2.0) + 1.0}), 1e-14, 1e-14);
  {
    autograd::DetectAnomalyGuard anomaly;
    Tensor h = autograd::grad({g1.sum()}, {x})[0];
    require_close(h, dvec({2.0, 0.5}), 1e-14, 1e-14);  // 1 / x
    // A gradient that is independent of x does not require grad (as in LibTorch).
    Tensor lin = autograd::grad({(x * 3.0).sum()}, {x}, {}, std::nullopt, true)[0];
    CHECK(!lin.requires_grad());
  }
}

TEST_CASE("grad_outputs that require grad: a Jacobian-vector product by double backward", "[autograd_api]") {
  // J v for y = x^2 * w: differentiate <u, J^T> ... the vjp u -> J^T u is linear in u, so its
  // gradient w.r.t. u along v is J v (the "double vjp" trick LibTorch users rely on).
  autograd::Variable x = leaf({1.0, -2.0, 0.5}, kCPU);
  Tensor y = x.pow(2) * 3.0;
  Tensor u = zeros({3}, kDouble).requires_grad_();
  Tensor vjp = autograd::grad({y}, {x}, {u}, std::nullopt, /*create_graph=*/true)[0];
  CHECK(vjp.requires_grad());
  Tensor v = dvec({1.0, 2.0, -1.0});
  Tensor jv = autograd::grad({vjp}, {u}, {v})[0];
  require_close(jv, dvec({6.0, -24.0, -3.0}), 0, 0);  // 6 x v
  CHECK(autograd::GradMode::is_enabled());
  autograd::AutoGradMode off(false);
  CHECK(!GradMode::is_enabled());
}
