// The activations (silu, mish, leaky_relu, elu, selu, celu, softplus, hardtanh, relu6, hardswish,
// hardsigmoid, logsigmoid, gelu, softmin, glu): values and gradients against PyTorch
// (tests/fixtures/activation.txt) on every device in float32 and float64, float64 gradchecks,
// the in-place forms, the modules' printouts, LibTorch's node names and the errors.
#include <sstream>

#include "ember/nn.h"
#include "helpers.h"

using namespace ember;
using namespace ember_test;
using V = std::vector<Tensor>;
namespace F = ember::nn::functional;

namespace {
/// The fixture case `name` and, given `node`, the name of the autograd node fn records (LibTorch's:
/// another op's where this one is its special case, selu's is EluBackward0).
void act(const std::string& name, const char* node, const TensorFn& fn) {
  check_case("activation", name, fn);
  if (node) CHECK(node_name(fn({rnd({2, 4}, kDouble).requires_grad_(true)})) == node);
}
void act(const std::string& name, const TensorFn& fn) { act(name, nullptr, fn); }
}  // namespace

TEST_CASE("activations: silu, mish, softplus, logsigmoid, gelu", "[activation]") {
  act("silu", "SiluBackward0", [](const V& v) { return silu(v[0]); });
  act("silu", [](const V& v) { return F::silu(v[0]); });
  act("mish", "MishBackward0", [](const V& v) { return F::mish(v[0]); });
  act("softplus", "SoftplusBackward0", [](const V& v) { return F::softplus(v[0]); });
  act("softplus_beta2_th1",
      [](const V& v) { return F::softplus(v[0], F::SoftplusFuncOptions().beta(2).threshold(1)); });
  act("softplus_beta2_th1", [](const V& v) { return softplus(v[0], 2, 1); });
  act("logsigmoid", "LogSigmoidBackward0", [](const V& v) { return F::logsigmoid(v[0]); });
  act("gelu", [](const V& v) { return gelu(v[0]); });
  act("gelu_tanh", "GeluBackward0", [](const V& v) { return F::gelu(v[0], F::GELUFuncOptions().approximate("tanh")); });
}

TEST_CASE("activations: leaky_relu, elu, selu, celu", "[activation]") {
  act("leaky_relu", "LeakyReluBackward0", [](const V& v) { return F::leaky_relu(v[0]); });
  act("leaky_relu_02", [](const V& v) { return F::leaky_relu(v[0], F::LeakyReLUFuncOptions().negative_slope(0.2)); });
  act("leaky_relu_02", [](const V& v) { return leaky_relu(v[0], 0.2); });
  act("elu", "EluBackward0", [](const V& v) { return F::elu(v[0]); });
  act("elu_05", [](const V& v) { return F::elu(v[0], F::ELUFuncOptions().alpha(0.5)); });
  act("selu", "EluBackward0", [](const V& v) { return F::selu(v[0]); });
  act("celu", "CeluBackward0", [](const V& v) { return F::celu(v[0]); });
  act("celu_2", [](const V& v) { return F::celu(v[0], F::CELUFuncOptions().alpha(2.0)); });
}

TEST_CASE("activations: hardtanh, relu6, hardswish, hardsigmoid", "[activation]") {
  act("hardtanh", "HardtanhBackward0", [](const V& v) { return F::hardtanh(v[0]); });
  act("hardtanh_m2_05",
      [](const V& v) { return F::hardtanh(v[0], F::HardtanhFuncOptions().min_val(-2).max_val(0.5)); });
  act("relu6", "HardtanhBackward0", [](const V& v) { return F::relu6(v[0]); });
  act("hardswish", "HardswishBackward0", [](const V& v) { return hardswish(v[0]); });
  act("hardsigmoid", "HardsigmoidBackward0", [](const V& v) { return hardsigmoid(v[0]); });
}

TEST_CASE("activations: large inputs stay finite in value and gradient", "[activation]") {
  act("silu_large", [](const V& v) { return silu(v[0]); });
  act("mish_large", [](const V& v) { return mish(v[0]); });
  act("softplus_large", [](const V& v) { return softplus(v[0]); });
  act("logsigmoid_large", [](const V& v) { return log_sigmoid(v[0]); });
  act("elu_large", [](const V& v) { return elu(v[0]); });
  act("gelu_large", [](const V& v) { return gelu(v[0]); });
  act("gelu_tanh_large", [](const V& v) { return gelu(v[0], "tanh"); });
}

TEST_CASE("activations: softmin and glu", "[activation]") {
  act("softmin", "SoftmaxBackward0", [](const V& v) { return F::softmin(v[0], 1); });
  act("softmin_dim0", [](const V& v) { return F::softmin(v[0], F::SoftminFuncOptions(0)); });
  act("glu", "GluBackward0", [](const V& v) { return F::glu(v[0]); });
  act("glu_dim0", [](const V& v) { return glu(v[0], 0); });
  act("glu_3d", [](const V& v) { return F::glu(v[0], F::GLUFuncOptions(1)); });
}

TEST_CASE("activations: the in-place forms change and return their input, with gradients", "[activation]") {
  const auto& f = fixtures("activation");
  struct Case {
    const char* fixture;
    std::function<Tensor(Tensor)> inplace;
    const char* node;
  };
  const std::vector<Case> cases = {
      {"silu", [](Tensor t) { return silu_(t); }, "SiluBackward0"},
      {"mish", [](Tensor t) { return mish_(t); }, "MishBackward0"},
      {"leaky_relu_02",
       [](Tensor t) { return F::leaky_relu(t, F::LeakyReLUFuncOptions().negative_slope(0.2).inplace(true)); },
       "LeakyReluBackward1"},
      {"elu_05", [](Tensor t) { return F::elu(t, F::ELUFuncOptions().alpha(0.5).inplace(true)); }, "EluBackward1"},
      {"selu", [](Tensor t) { return F::selu(t, true); }, "EluBackward1"},
      {"celu_2", [](Tensor t) { return F::celu(t, F::CELUFuncOptions().alpha(2).inplace(true)); }, "CeluBackward1"},
      {"hardtanh_m2_05",
       [](Tensor t) { return F::hardtanh(t, F::HardtanhFuncOptions().min_val(-2).max_val(0.5).inplace(true)); },
       "HardtanhBackward0"},
      {"relu6", [](Tensor t) { return F::relu6(t, true); }, "HardtanhBackward0"},
      {"hardswish", [](Tensor t) { return hardswish_(t); }, "HardswishBackward0"},
      {"hardsigmoid", [](Tensor t) { return hardsigmoid_(t); }, "HardsigmoidBackward0"},
      {"gelu", [](Tensor t) { return gelu_(t); }, "GeluBackward0"},
  };
  for (Device d : test_devices()) {
    for (const Case& c : cases) {
      INFO(device_name(d) << " " << c.fixture);
      Tensor x = f[std::string(c.fixture) + ".in0"].to(d, kDouble).clone().requires_grad_(true);
      Tensor y = x * 1;  // a non-leaf: in place on a leaf that requires grad is refused
      Tensor r = c.inplace(y);
      CHECK(r.is_same(y));
      require_close(y, f[std::string(c.fixture) + ".out"], 1e-12, 1e-12);
      CHECK(node_name(y) == c.node);
      y.backward(f[std::string(c.fixture) + ".gout"].to(d, kDouble));
      require_close(x.grad(), f[std::string(c.fixture) + ".grad0"], 1e-10, 1e-12);
    }
  }
}

TEST_CASE("activations: modules print as LibTorch's and forward the functional form", "[activation][nn]") {
  CHECK(printed(nn::ELU()) == "ember::nn::ELU(alpha=1)");
  CHECK(printed(nn::ELU(nn::ELUOptions().alpha(0.5).inplace(true))) == "ember::nn::ELU(alpha=0.5, inplace=true)");
  CHECK(printed(nn::SELU()) == "ember::nn::SELU()");
  CHECK(printed(nn::SELU(true)) == "ember::nn::SELU(inplace=true)");
  CHECK(printed(nn::Hardtanh()) == "ember::nn::Hardtanh(min_val=-1, max_val=1)");
  CHECK(printed(nn::Hardtanh(nn::HardtanhOptions().min_val(-2).max_val(3.5).inplace(true))) ==
        "ember::nn::Hardtanh(min_val=-2, max_val=3.5, inplace=true)");
  CHECK(printed(nn::LeakyReLU()) == "ember::nn::LeakyReLU(negative_slope=0.01)");
  CHECK(printed(nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2).inplace(true))) ==
        "ember::nn::LeakyReLU(negative_slope=0.2, inplace=true)");
  CHECK(printed(nn::Softmax(1)) == "ember::nn::Softmax(dim=1)");
  CHECK(printed(nn::Softmin(1)) == "ember::nn::Softmin(dim=1)");
  CHECK(printed(nn::LogSoftmax(-1)) == "ember::nn::LogSoftmax(dim=-1)");
  CHECK(printed(nn::ReLU6()) == "ember::nn::ReLU6()");
  CHECK(printed(nn::ReLU6(true)) == "ember::nn::ReLU6(inplace=true)");
  CHECK(printed(nn::CELU(nn::CELUOptions().alpha(2).inplace(true))) == "ember::nn::CELU(alpha=2, inplace=true)");
  CHECK(printed(nn::GLU()) == "ember::nn::GLU(dim=-1)");
  CHECK(printed(nn::GLU(1)) == "ember::nn::GLU(dim=1)");
  CHECK(printed(nn::SiLU()) == "ember::nn::SiLU()");
  CHECK(printed(nn::Mish()) == "ember::nn::Mish()");
  CHECK(printed(nn::Sigmoid()) == "ember::nn::Sigmoid()");
  CHECK(printed(nn::Tanh()) == "ember::nn::Tanh()");
  CHECK(printed(nn::LogSigmoid()) == "ember::nn::LogSigmoid()");
  CHECK(printed(nn::Softplus(nn::SoftplusOptions().beta(2).threshold(10))) ==
        "ember::nn::Softplus(beta=2, threshold=10)");

  for (Device d : test_devices()) {
    INFO(device_name(d));
    Tensor x = rnd({3, 4}, kDouble).to(d);
    require_close(nn::SiLU()(x), silu(x), 0, 0);
    require_close(nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2))(x), leaky_relu(x, 0.2), 0, 0);
    require_close(nn::Softmin(1)(x), softmax(-x, 1), 0, 0);
    Tensor z = rnd({4, 3}, kDouble).to(d);
    require_close(nn::GLU(0)(z), glu(z, 0), 0, 0);
    require_close(nn::Sigmoid()(x), sigmoid(x), 0, 0);
    require_close(nn::Tanh()(x), tanh(x), 0, 0);
    require_close(nn::Softplus()(x), softplus(x), 0, 0);
    require_close(nn::CELU()(x), celu(x), 0, 0);
    // An in-place module changes its input.
    Tensor y = x.clone();
    nn::ReLU6 relu6_inplace(true);
    relu6_inplace(y);
    require_close(y, relu6(x), 0, 0);
  }
}

TEST_CASE("activations: dtypes and errors as LibTorch's", "[activation][errors]") {
  Tensor i = tensor({-5, 1, 7}, kLong);
  require_throws_with([&] { silu(i); }, {"silu", "int64"});
  require_throws_with([&] { F::leaky_relu(i); }, {"leaky_relu", "int64"});
  require_throws_with([&] { F::elu(i); }, {"elu", "int64"});
  require_throws_with([&] { hardswish(i); }, {"hardswish", "int64"});
  require_throws_with([&] { gelu(i); }, {"gelu", "int64"});
  // hardtanh and relu6 clamp integers in their own dtype, as PyTorch's; bool is refused.
  require_equal(hardtanh(i), tensor({-1, 1, 1}, kLong));
  require_equal(relu6(i), tensor({0, 1, 6}, kLong));
  require_throws_with([&] { hardtanh(tensor({1, 0}, kLong).to(kBool)); }, {"hardtanh", "Bool"});
  require_throws_with([&] { celu(rnd({3}), 0.0); }, {"celu", "alpha cannot be 0"});
  require_throws_with([&] { gelu(rnd({3}), "fast"); }, {"gelu", "none or tanh", "fast"});
  require_throws_with([&] { F::gelu(rnd({3}), F::GELUFuncOptions().approximate("fast")); }, {"gelu", "fast"});
  require_throws_with([&] { glu(rnd({3, 5}), 1); }, {"glu", "Halving dimension must be even", "size 5"});
  require_throws_with([&] { glu(tensor(1.0), 0); }, {"glu", "scalars"});
  require_throws_with([&] { glu(rnd({3, 4}), 2); }, {"glu", "out of range"});
  require_throws_with([&] { nn::Hardtanh(nn::HardtanhOptions().min_val(2).max_val(1)); },
                      {"Hardtanh", "max_val must be greater than min_val"});
  // In place on a leaf that requires grad is refused, naming the op.
  Tensor leaf = rnd({3}).requires_grad_(true);
  require_throws_with([&] { silu_(leaf); }, {"silu_"});
}

TEST_CASE("cuda activations and weighted losses on random inputs agree with the CPU", "[cuda][activation]") {
  EMBER_REQUIRE_CUDA();
  manual_seed(21);
  const std::vector<std::pair<const char*, TensorFn>> unary = {
      {"silu", [](const V& v) { return silu(v[0]); }},
      {"mish", [](const V& v) { return mish(v[0]); }},
      {"leaky_relu", [](const V& v) { return leaky_relu(v[0], 0.2); }},
      {"elu", [](const V& v) { return elu(v[0], 0.5); }},
      {"selu", [](const V& v) { return selu(v[0]); }},
      {"celu", [](const V& v) { return celu(v[0], 2.0); }},
      {"softplus", [](const V& v) { return softplus(v[0], 2, 3); }},
      {"hardtanh", [](const V& v) { return hardtanh(v[0], -0.5, 2.0); }},
      {"relu6", [](const V& v) { return relu6(v[0]); }},
      {"hardswish", [](const V& v) { return hardswish(v[0]); }},
      {"hardsigmoid", [](const V& v) { return hardsigmoid(v[0]); }},
      {"log_sigmoid", [](const V& v) { return log_sigmoid(v[0]); }},
      {"gelu", [](const V& v) { return gelu(v[0]); }},
      {"gelu_tanh", [](const V& v) { return gelu(v[0], "tanh"); }},
      {"glu", [](const V& v) { return glu(v[0], 1); }},
      {"softmin", [](const V& v) { return F::softmin(v[0], 1); }},
  };
  for (ScalarType dt : {kFloat, kDouble}) {
    const Tensor x = rnd({37, 64}, dt) * 4;
    const Tensor up = rnd({37, 64}, dt);
    for (const auto& [name, fn] : unary) {
      INFO(name << " in " << dt);
      Tensor xc = x.clone().requires_grad_(true), xg = x.to(kCUDA).requires_grad_(true);
      Tensor yc = fn({xc}), yg = fn({xg});
      REQUIRE(yg.is_cuda());
      const Tol tol = dt == kFloat ? Tol{1e-5, 1e-6} : Tol{1e-12, 1e-12};
      require_close(yg, yc, tol);
      Tensor u = up.narrow(1, 0, yc.size(1)).contiguous();
      yc.backward(u);
      yg.backward(u.to(kCUDA));
      require_close(xg.grad(), xc.grad(), tol);
    }
    // Weighted cross entropy with smoothing and an ignored class, and weighted nll.
    const Tensor logits = rnd({12, 7}, dt) * 2, w = rand({7}, TensorOptions(dt)) + 0.5;
    const Tensor target = randint(0, 7, {12});
    for (Reduction r : {kMean, kSum, kNone}) {
      INFO("weighted cross_entropy, reduction " << int(r) << " in " << dt);
      Tensor lc = logits.clone().requires_grad_(true), lg = logits.to(kCUDA).requires_grad_(true);
      auto opts = [&](const Tensor& weight) {
        return F::CrossEntropyFuncOptions().weight(weight).ignore_index(3).label_smoothing(0.1).reduction(r);
      };
      Tensor yc = F::cross_entropy(lc, target, opts(w)), yg = F::cross_entropy(lg, target.to(kCUDA), opts(w.to(kCUDA)));
      const Tol tol = dt == kFloat ? Tol{1e-5, 1e-6} : Tol{1e-12, 1e-12};
      require_close(yg, yc, tol);
      yc.sum().backward();
      yg.sum().backward();
      require_close(lg.grad(), lc.grad(), tol);
    }
  }
}
