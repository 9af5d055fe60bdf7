// nn::utils (gradient clipping, parameters <-> vector) and the nn::init initialisers added with
// them (dirac_, orthogonal_, sparse_, trunc_normal_, calculate_gain's SELU), plus the statistics
// and seeding of the random ones. Expected values come from PyTorch 1.13 (the snippets are quoted).
#include <cmath>
#include <limits>
#include <vector>

#include "catch.h"
#include "ember/ember.h"
#include "helpers.h"

using namespace ember;
namespace init = ember::nn::init;
using ember_test::require_close;
using ember_test::require_throws_with;

namespace {

// Two float64 parameters with known gradients: p1.grad = arange(12).reshape(3, 4) * 0.1 and
// p2.grad = [[1, -2, 3], [0.5, 0.25, -4]].
std::vector<Tensor> params_with_grads(Device d) {
  TensorOptions o = TensorOptions(kDouble).device(d);
  Tensor p1 = zeros({3, 4}, o).requires_grad_();
  Tensor p2 = ones({2, 3}, o).requires_grad_();
  p1.mutable_grad() = arange(12., o).reshape({3, 4}) * 0.1;
  p2.mutable_grad() = tensor({1., -2., 3., 0.5, 0.25, -4.}, o).reshape({2, 3});
  return {p1, p2};
}

double mean_of(const Tensor& t) { return t.to(kDouble).mean().item<double>(); }
double std_of(const Tensor& t) {
  Tensor d = t.to(kDouble);
  Tensor c = d - d.mean();
  return std::sqrt((c * c).mean().item<double>());
}

}  // namespace

// --- clip_grad_norm_ / clip_grad_value_ -----------------------------------------------------------------

TEST_CASE("clip_grad_norm_: total norm and scaled gradients match PyTorch", "[nn][utils]") {
  // PyTorch: n = torch.nn.utils.clip_grad_norm_([p1, p2], 1.0, norm_type) for the gradients above.
  struct Case {
    double norm_type, total;
    std::vector<double> p2_after;
  };
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<Case> cases = {
      {2.0,
       5.947478457295999,
       {0.16813845380722786, -0.3362769076144557, 0.5044153614216835, 0.08406922690361393, 0.042034613451806965,
        -0.6725538152289114}},
      {1.0,
       17.35,
       {0.05763688428605854, -0.11527376857211707, 0.1729106528581756, 0.02881844214302927, 0.014409221071514634,
        -0.23054753714423415}},
      {3.0,
       4.710142950901036,
       {0.21230773632909944, -0.4246154726581989, 0.6369232089872983, 0.10615386816454972, 0.05307693408227486,
        -0.8492309453163978}},
      {inf,
       4.0,
       {0.24999993750001562, -0.49999987500003124, 0.7499998125000469, 0.12499996875000781, 0.062499984375003904,
        -0.9999997500000625}},
  };
  for (Device d : ember_test::test_devices()) {
    for (const Case& c : cases) {
      INFO(ember_test::device_name(d) << " norm_type " << c.norm_type);
      std::vector<Tensor> params = params_with_grads(d);
      const double total = nn::utils::clip_grad_norm_(params, 1.0, c.norm_type);
      REQUIRE(std::abs(total - c.total) < 1e-12 * c.total);
      require_close(params[1].grad().cpu().reshape({-1}), tensor(c.p2_after, kDouble), 1e-12, 1e-12);
    }
  }
}

TEST_CASE("clip_grad_norm_: below the limit, missing gradients, single tensor, non-finite", "[nn][utils]") {
  std::vector<Tensor> params = params_with_grads(kCPU);
  Tensor before = params[1].grad().clone();
  // A norm already below max_norm leaves the gradients as they are (coefficient clamped to 1).
  REQUIRE(std::abs(nn::utils::clip_grad_norm_(params, 100.0) - 5.947478457295999) < 1e-12);
  require_close(params[1].grad(), before, 0, 0);
  // A parameter without a gradient is skipped; none at all gives 0.
  Tensor no_grad = ones({2}).requires_grad_();
  REQUIRE(nn::utils::clip_grad_norm_({no_grad}, 1.0) == 0.0);
  REQUIRE(std::abs(nn::utils::clip_grad_norm_({params[1], no_grad}, 100.0) -
                   std::sqrt(1 + 4 + 9 + 0.25 + 0.0625 + 16)) < 1e-12);
  // One tensor; the total is returned as LibTorch's double, in float32 for float32 gradients.
  Tensor p = zeros({2}).requires_grad_();
  p.mutable_grad() = tensor({3.f, 4.f});
  REQUIRE(nn::utils::clip_grad_norm_(p, 1.0) == 5.0);
  require_close(p.grad(), tensor({0.6f, 0.8f}), 1e-6, 0);
  // error_if_nonfinite: a NaN or infinite total norm is an error (and nothing is scaled).
  p.mutable_grad() = tensor({std::numeric_limits<float>::infinity(), 1.f});
  require_throws_with([&] { nn::utils::clip_grad_norm_(p, 1.0, 2.0, true); },
                      {"clip_grad_norm_", "non-finite", "error_if_nonfinite=false"});
  REQUIRE(std::isinf(nn::utils::clip_grad_norm_(p, 1.0)));
  // Order 0 is LibTorch 1.13's: the count of parameters with a gradient.
  std::vector<Tensor> two = params_with_grads(kCPU);
  REQUIRE(nn::utils::clip_grad_norm_(two, 10.0, 0.0) == 2.0);
}

TEST_CASE("clip_grad_value_ clamps every gradient", "[nn][utils]") {
  for (Device d : ember_test::test_devices()) {
    INFO(ember_test::device_name(d));
    std::vector<Tensor> params = params_with_grads(d);
    nn::utils::clip_grad_value_(params, 0.5);
    require_close(params[1].grad().cpu().reshape({-1}), tensor({0.5, -0.5, 0.5, 0.5, 0.25, -0.5}, kDouble), 0, 0);
    REQUIRE(params[0].grad().max().item<double>() == 0.5);
    Tensor without = ones({2}).requires_grad_();
    nn::utils::clip_grad_value_(without, 1.0);  // no gradient: nothing to do
    REQUIRE_FALSE(without.grad().defined());
  }
}

TEST_CASE("parameters_to_vector and vector_to_parameters", "[nn][utils]") {
  nn::Linear fc(3, 2);
  std::vector<Tensor> params = fc->parameters();
  Tensor vec = nn::utils::parameters_to_vector(params);
  REQUIRE(vec.sizes() == IntArrayRef({8}));
  require_close(vec.slice(0, 0, 6), fc->weight.detach().reshape({-1}), 0, 0);
  require_close(vec.slice(0, 6, 8), fc->bias.detach(), 0, 0);

  Tensor source = arange(8.);
  Tensor weight_handle = fc->weight;
  nn::utils::vector_to_parameters(source, params);
  require_close(fc->weight.detach(), arange(6.).reshape({2, 3}), 0, 0);
  require_close(fc->bias.detach(), tensor({6.f, 7.f}), 0, 0);
  // The parameters keep their identity (handles and optimizers see the new values), stay leaves
  // that require grad, and share the vector's storage, as LibTorch's set_data.
  REQUIRE(weight_handle.is_same(fc->weight));
  REQUIRE(fc->weight.requires_grad());
  REQUIRE(fc->weight.is_leaf());
  source.add_(1);
  REQUIRE(fc->bias[1].item<float>() == 8.f);
  // The layer still trains.
  fc(ones({1, 3})).sum().backward();
  REQUIRE(fc->weight.grad().defined());
  require_throws_with([&] { nn::utils::vector_to_parameters(arange(5.), params); },
                      {"vector_to_parameters", "8", "[5]"});
}

// --- nn::init ------------------------------------------------------------------------------------------------

TEST_CASE("init: calculate_gain for every nonlinearity", "[nn][init]") {
  // torch.nn.init.calculate_gain: linear/conv/sigmoid 1, tanh 5/3, relu sqrt(2), leaky_relu(0.3)
  // 1.3545709229571927, selu 0.75.
  for (double g :
       {init::calculate_gain(kLinear), init::calculate_gain(kConv1D), init::calculate_gain(kConv2D),
        init::calculate_gain(kConv3D), init::calculate_gain(kConvTranspose1D), init::calculate_gain(kConvTranspose2D),
        init::calculate_gain(kConvTranspose3D), init::calculate_gain(kSigmoid)})
    REQUIRE(g == 1.0);
  REQUIRE(init::calculate_gain(kTanh) == 5.0 / 3.0);
  REQUIRE(init::calculate_gain(kReLU) == std::sqrt(2.0));
  REQUIRE(std::abs(init::calculate_gain(kLeakyReLU, 0.3) - 1.3545709229571927) < 1e-15);
  REQUIRE(std::abs(init::calculate_gain(kLeakyReLU) - std::sqrt(2.0 / (1 + 0.01 * 0.01))) < 1e-15);
  REQUIRE(init::calculate_gain(kSELU) == 0.75);
}

TEST_CASE("init: eye_, dirac_, constant_, ones_, zeros_", "[nn][init]") {
  require_close(init::eye_(empty({2, 3})), tensor({{1.f, 0.f, 0.f}, {0.f, 1.f, 0.f}}), 0, 0);
  // torch.nn.init.dirac_(torch.empty(3, 2, 3)): 1 at [0, 0, 1] and [1, 1, 1].
  Tensor w = init::dirac_(empty({3, 2, 3}));
  Tensor expected = zeros({3, 2, 3});
  expected[0][0][1].fill_(1);
  expected[1][1][1].fill_(1);
  require_close(w, expected, 0, 0);
  // A conv weight [4, 4, 3, 3] from dirac_ passes its input through a padded convolution.
  Tensor k = init::dirac_(empty({4, 4, 3, 3}).requires_grad_());
  REQUIRE(k.requires_grad());
  Tensor x = randn({1, 4, 5, 5});
  require_close(nn::functional::conv2d(x, k.detach(), nn::functional::Conv2dFuncOptions().padding(1)), x, 1e-6, 1e-6);
  Tensor five = init::dirac_(empty({2, 3, 3, 3, 3}));
  REQUIRE(five.sum().item<float>() == 2.f);
  REQUIRE(five[1][1][1][1][1].item<float>() == 1.f);
  require_throws_with([] { init::dirac_(empty({2, 2})); }, {"dirac_", "3, 4, or 5 dimensions"});
  REQUIRE(init::constant_(empty({3}), 2.5).sum().item<float>() == 7.5f);
  REQUIRE(init::ones_(empty({3})).sum().item<float>() == 3.f);
  REQUIRE(init::zeros_(ones({3})).sum().item<float>() == 0.f);
}

TEST_CASE("init: orthogonal_ gives orthonormal rows or columns, scaled by gain", "[nn][init]") {
  for (auto shape : std::vector<std::vector<int64_t>>{{6, 4}, {4, 6}, {5, 5}, {3, 2, 4}}) {
    INFO("shape " << IntArrayRef(shape));
    manual_seed(11);
    Tensor t = init::orthogonal_(empty(shape, kDouble), 2.0);
    Tensor m = t.reshape({shape[0], -1}) / 2.0;
    const int64_t rows = m.size(0), cols = m.size(1);
    // Tall: Q^T Q = I; wide: Q Q^T = I.
    Tensor gram = rows >= cols ? m.t().matmul(m) : m.matmul(m.t());
    require_close(gram, eye(std::min(rows, cols), kDouble), 0, 1e-12);
    // A fixed seed repeats.
    manual_seed(11);
    require_close(init::orthogonal_(empty(shape, kDouble), 2.0), t, 0, 0);
  }
  // float32 tensors, and the values LibTorch gives for the same seed:
  // torch::manual_seed(7); torch::nn::init::orthogonal_(torch::empty({4, 3}))
  manual_seed(7);
  Tensor q = init::orthogonal_(empty({4, 3}));
  require_close(q,
                tensor({-0.0715f, 0.3940f, 0.7794f, -0.5425f, 0.5227f, -0.5432f, -0.1731f, 0.5666f, 0.1828f, -0.8189f,
                        -0.5005f, 0.2532f})
                    .reshape({4, 3}),
                0, 1e-4);
  require_throws_with([] { init::orthogonal_(empty({3})); }, {"orthogonal_", "2 or more dimensions"});
}

TEST_CASE("init: trunc_normal_ matches PyTorch and stays in bounds", "[nn][init]") {
  // torch.manual_seed(3); t = torch.empty(2, 4); torch.nn.init.trunc_normal_(t, 0.5, 2.0, -1.0, 3.0)
  manual_seed(3);
  Tensor t = init::trunc_normal_(empty({2, 4}), 0.5, 2.0, -1.0, 3.0);
  require_close(t,
                tensor({-0.9811592102050781f, -0.5654127597808838f, 0.08336696028709412f, -0.8829997777938843f,
                        0.7086034417152405f, -0.7452324628829956f, 1.799169898033142f, 1.6848227977752686f})
                    .reshape({2, 4}),
                1e-5, 1e-5);
  // The defaults (mean 0, std 1, [-2, 2]), same seed.
  manual_seed(3);
  require_close(init::trunc_normal_(empty({2, 4})),
                tensor({-1.9297378063201904f, -1.157588243484497f, -0.5371363759040833f, -1.6597883701324463f,
                        -0.06796709448099136f, -1.404190182685852f, 0.7046818733215332f, 0.6207288503646851f})
                    .reshape({2, 4}),
                1e-5, 1e-5);
  // A large draw: bounds hold and the truncated N(0, 1) on [-2, 2] has std 0.8796.
  Tensor big = init::trunc_normal_(empty({100000}));
  REQUIRE(big.min().item<float>() >= -2.f);
  REQUIRE(big.max().item<float>() <= 2.f);
  REQUIRE(std::abs(mean_of(big)) < 0.01);
  REQUIRE(std::abs(std_of(big) - 0.8796) < 0.01);
}

TEST_CASE("init: random initialisers' statistics, bounds and seeding", "[nn][init]") {
  const int64_t out = 256, in = 512;
  manual_seed(5);
  Tensor xu = init::xavier_uniform_(empty({out, in}), 2.0);
  const double xu_bound = 2.0 * std::sqrt(6.0 / double(in + out));
  REQUIRE(xu.abs().max().item<double>() <= xu_bound);
  REQUIRE(std::abs(std_of(xu) - xu_bound / std::sqrt(3.0)) < 0.01 * xu_bound);

  Tensor xn = init::xavier_normal_(empty({out, in}));
  REQUIRE(std::abs(std_of(xn) - std::sqrt(2.0 / double(in + out))) < 0.01 * std::sqrt(2.0 / double(in + out)));
  REQUIRE(std::abs(mean_of(xn)) < 0.002);

  // kaiming: fan_out with ReLU, fan_in with leaky ReLU a = 0.2, and the conv receptive field.
  Tensor ku = init::kaiming_uniform_(empty({out, in}), 0, kFanOut, kReLU);
  const double ku_bound = std::sqrt(3.0) * std::sqrt(2.0) / std::sqrt(double(out));
  REQUIRE(ku.abs().max().item<double>() <= ku_bound);
  REQUIRE(std::abs(std_of(ku) - ku_bound / std::sqrt(3.0)) < 0.01 * ku_bound);
  Tensor kn = init::kaiming_normal_(empty({64, 32, 3, 3}), 0.2, kFanIn, kLeakyReLU);
  const double kn_std = std::sqrt(2.0 / 1.04) / std::sqrt(32.0 * 9);
  REQUIRE(std::abs(std_of(kn) - kn_std) < 0.02 * kn_std);
  Tensor kt = init::kaiming_normal_(empty({out, in}), 0, kFanIn, kTanh);
  REQUIRE(std::abs(std_of(kt) - (5.0 / 3.0) / std::sqrt(double(in))) < 0.01 * (5.0 / 3.0) / std::sqrt(double(in)));

  Tensor u = init::uniform_(empty({100000}), -3, 1);
  REQUIRE(u.min().item<float>() >= -3.f);
  REQUIRE(u.max().item<float>() <= 1.f);
  REQUIRE(std::abs(mean_of(u) + 1.0) < 0.02);
  Tensor n = init::normal_(empty({100000}), 2.0, 0.5);
  REQUIRE(std::abs(mean_of(n) - 2.0) < 0.01);
  REQUIRE(std::abs(std_of(n) - 0.5) < 0.01);

  // sparse_: ceil(sparsity * rows) zeros in every column.
  Tensor s = init::sparse_(empty({10, 50}), 0.25, 1.0);
  Tensor zeros_per_column = (s == 0).to(kLong).sum({0});
  require_close(zeros_per_column, full({50}, 3, kLong), 0, 0);
  require_throws_with([] { init::sparse_(empty({2, 2, 2}), 0.1); }, {"sparse_", "2 dimensions"});

  // A fixed seed repeats each of them.
  manual_seed(9);
  Tensor a = init::kaiming_uniform_(empty({4, 5}));
  Tensor b = init::xavier_normal_(empty({4, 5}));
  Tensor c = init::sparse_(empty({4, 5}), 0.5);
  manual_seed(9);
  require_close(init::kaiming_uniform_(empty({4, 5})), a, 0, 0);
  require_close(init::xavier_normal_(empty({4, 5})), b, 0, 0);
  require_close(init::sparse_(empty({4, 5}), 0.5), c, 0, 0);

  require_throws_with([] { init::xavier_uniform_(empty({3})); }, {"fan in and fan out", "2 dimensions"});
}
