// The fused batch_norm (training / eval, 2-D to 4-D inputs, with and without affine parameters and
// running statistics, a large-mean channel), BatchNorm1d / BatchNorm2d (momentum and the
// cumulative average), avg_pool2d (padding, ceil_mode, count_include_pad, divisor_override) and
// adaptive avg / max pooling: values and gradients against PyTorch (tests/fixtures/norm_pool.txt),
// float64 gradchecks, CUDA (when present) through test_devices().
#include <sstream>

#include "ember/nn.h"
#include "helpers.h"

using namespace ember;
using ember_test::check_case;
using V = std::vector<Tensor>;
namespace F = ember::nn::functional;

TEST_CASE("avg_pool2d: stride, padding, count_include_pad, ceil_mode, divisor_override", "[pool]") {
  check_case("norm_pool", "avg_pool2d_k2", [](const V& v) { return avg_pool2d(v[0], 2); });
  check_case("norm_pool", "avg_pool2d_k2", [](const V& v) { return nn::AvgPool2d(2)(v[0]); });
  check_case("norm_pool", "avg_pool2d_k3_s2_p1", [](const V& v) { return avg_pool2d(v[0], 3, 2, 1); });
  check_case("norm_pool", "avg_pool2d_k3_s2_p1_nopad", [](const V& v) {
    return F::avg_pool2d(v[0], F::AvgPool2dFuncOptions(3).stride(2).padding(1).count_include_pad(false));
  });
  check_case("norm_pool", "avg_pool2d_ceil", [](const V& v) { return avg_pool2d(v[0], 3, 2, 1, true, false); });
  check_case("norm_pool", "avg_pool2d_ceil_incl", [](const V& v) { return avg_pool2d(v[0], 2, 2, 0, true); });
  check_case("norm_pool", "avg_pool2d_rect_divisor", [](const V& v) {
    return F::avg_pool2d(v[0], F::AvgPool2dFuncOptions({3, 2}).stride({1, 2}).padding({1, 0}).divisor_override(4));
  });
}

TEST_CASE("avg_pool2d of a 3-D input and bad arguments", "[pool]") {
  Tensor x = ember_test::rnd({2, 7, 6}, kDouble);
  ember_test::require_close(avg_pool2d(x, 3, 2, 1), avg_pool2d(x.unsqueeze(0), 3, 2, 1).squeeze(0), 0, 0);
  ember_test::require_throws_with([&] { avg_pool2d(x, 2, 2, 2); }, {"avg_pool2d", "pad should be at most half"});
  ember_test::require_throws_with([&] { avg_pool2d(x, 2, 2, 0, false, true, 0); }, {"avg_pool2d", "divisor"});
  ember_test::require_throws_with([&] { avg_pool2d(x.flatten(), 2); }, {"avg_pool2d", "3-D", "4-D"});
  ember_test::require_throws_with([&] { adaptive_avg_pool2d(x, {-1, 2}); }, {"adaptive_avg_pool2d", "negative"});
}

TEST_CASE("adaptive_avg_pool2d and adaptive_max_pool2d", "[pool]") {
  check_case("norm_pool", "adaptive_avg_pool2d_1", [](const V& v) { return adaptive_avg_pool2d(v[0], 1); });
  check_case("norm_pool", "adaptive_avg_pool2d_1", [](const V& v) {
    return nn::AdaptiveAvgPool2d(nn::AdaptiveAvgPool2dOptions({1, 1}))(v[0]);
  });
  check_case("norm_pool", "adaptive_avg_pool2d_3x4", [](const V& v) { return adaptive_avg_pool2d(v[0], {3, 4}); });
  check_case("norm_pool", "adaptive_avg_pool2d_up", [](const V& v) { return adaptive_avg_pool2d(v[0], {9, 8}); });
  check_case("norm_pool", "adaptive_max_pool2d_3x4", [](const V& v) {
    return std::get<0>(adaptive_max_pool2d(v[0], {3, 4}));
  });
  check_case("norm_pool", "adaptive_max_pool2d_1",
             [](const V& v) { return nn::AdaptiveMaxPool2d(nn::AdaptiveMaxPool2dOptions(1))(v[0]); });
  const auto& f = ember_test::fixtures("norm_pool");
  for (Device d : ember_test::test_devices()) {
    INFO("device " << d);
    Tensor x = f["adaptive_max_pool2d_3x4.in0"].to(d);
    ember_test::require_equal(std::get<1>(adaptive_max_pool2d(x, {3, 4})).cpu(), f["adaptive_max_pool2d_3x4.out1"]);
    ember_test::require_equal(
        std::get<1>(F::adaptive_max_pool2d_with_indices(x, F::AdaptiveMaxPool2dFuncOptions(1))).cpu(),
        f["adaptive_max_pool2d_1.out1"]);
  }
}

namespace {
// F::batch_norm in training mode with fresh copies of the fixture's running statistics (they
// are updated in place) or none; `affine` picks whether v[1], v[2] are weight and bias.
Tensor bn_case(const std::string& name, const V& v, bool affine, bool stats, Tensor* rm_out = nullptr,
               Tensor* rv_out = nullptr) {
  const auto& f = ember_test::fixtures("norm_pool");
  Tensor rm, rv;
  if (stats) {
    rm = f[name + ".rm"].to(v[0].device(), v[0].dtype()).clone();
    rv = f[name + ".rv"].to(v[0].device(), v[0].dtype()).clone();
  }
  auto o = F::BatchNormFuncOptions().training(true).momentum(0.1).eps(1e-5);
  if (affine) o.weight(v[1]).bias(v[2]);
  Tensor out = F::batch_norm(v[0], rm, rv, o);
  if (rm_out) *rm_out = rm;
  if (rv_out) *rv_out = rv;
  return out;
}
}  // namespace

TEST_CASE("batch_norm: 2-D and 3-D inputs, no affine, no running statistics, a large mean", "[norm]") {
  check_case("norm_pool", "bn_2d", [](const V& v) { return bn_case("bn_2d", v, true, true); });
  check_case("norm_pool", "bn_3d", [](const V& v) { return bn_case("bn_3d", v, true, true); });
  check_case("norm_pool", "bn_noaffine", [](const V& v) { return bn_case("bn_noaffine", v, false, true); });
  check_case("norm_pool", "bn_nostats", [](const V& v) { return bn_case("bn_nostats", v, true, false); });
  // Values 100 + 0.1 N(0, 1), in float64 only: float32 itself resolves them to 8e-6, 1e-4 of
  // the spread, beyond the float32 tolerance (the large-batch case below checks float32). The
  // finite differences of a spread of 0.1 around 100 are too coarse for the gradcheck.
  ember_test::CaseOptions no_gradcheck;
  no_gradcheck.gradcheck = false;
  no_gradcheck.float32 = false;
  check_case(
      "norm_pool", "bn_offset", [](const V& v) { return bn_case("bn_offset", v, true, true); }, no_gradcheck);

  const auto& f = ember_test::fixtures("norm_pool");
  for (Device d : ember_test::test_devices()) {
    for (const char* name : {"bn_2d", "bn_3d", "bn_noaffine", "bn_offset"}) {
      INFO("device " << d << ", " << name);
      const std::string n = name;
      const bool affine = n != "bn_noaffine";
      V in{f[n + ".in0"].to(d, kDouble)};
      if (affine) {
        in.push_back(f[n + ".in1"].to(d, kDouble));
        in.push_back(f[n + ".in2"].to(d, kDouble));
      }
      Tensor rm, rv;
      bn_case(n, in, affine, true, &rm, &rv);
      ember_test::require_close(rm.cpu(), f[n + ".rm_after"], 1e-10, 1e-12);
      ember_test::require_close(rv.cpu(), f[n + ".rv_after"], 1e-10, 1e-12);
    }
  }
}

TEST_CASE("batch_norm: torch::batch_norm's signature, eval mode, grad_fn name", "[norm]") {
  const auto& f = ember_test::fixtures("conv_pool");
  for (Device d : ember_test::test_devices()) {
    INFO("device " << d);
    Tensor x = f["batch_norm_eval.in0"].to(d, kDouble).requires_grad_(true);
    Tensor w = f["batch_norm_eval.in1"].to(d, kDouble), b = f["batch_norm_eval.in2"].to(d, kDouble);
    Tensor rm = f["batch_norm_eval.rm"].to(d, kDouble), rv = f["batch_norm_eval.rv"].to(d, kDouble);
    Tensor out = batch_norm(x, w, b, rm, rv, /*training=*/false, 0.1, 1e-5, /*cudnn_enabled=*/true);
    ember_test::require_close(out.cpu(), f["batch_norm_eval.out"], 1e-10, 1e-12);
    REQUIRE(out.grad_fn()->name() == "NativeBatchNormBackward0");
    // Float32 running statistics of a float64 input are updated through a copy.
    Tensor rm32 = f["batch_norm_train.rm"].to(d, kFloat), rv32 = f["batch_norm_train.rv"].to(d, kFloat);
    batch_norm(f["batch_norm_train.in0"].to(d, kDouble), f["batch_norm_train.in1"].to(d, kDouble),
               f["batch_norm_train.in2"].to(d, kDouble), rm32, rv32, true, 0.1, 1e-5, true);
    REQUIRE(rm32.dtype() == kFloat);
    ember_test::require_close(rm32.cpu().to(kDouble), f["batch_norm_train.rm_after"], 1e-6, 1e-7);
    ember_test::require_close(rv32.cpu().to(kDouble), f["batch_norm_train.rv_after"], 1e-6, 1e-7);
  }
  Tensor x = ember_test::rnd({1, 3});
  ember_test::require_throws_with(
      [&] { F::batch_norm(x, Tensor(), Tensor(), F::BatchNormFuncOptions().training(true)); },
      {"batch_norm", "more than 1 value per channel"});
  ember_test::require_throws_with([&] { F::batch_norm(x, Tensor(), Tensor(), F::BatchNormFuncOptions()); },
                                  {"batch_norm", "running_mean and running_var must be defined"});
  ember_test::require_throws_with(
      [&] {
        F::batch_norm(ember_test::rnd({2, 3}), zeros({4}), ones({4}), F::BatchNormFuncOptions());
      },
      {"batch_norm", "running_mean", "3"});
}

TEST_CASE("BatchNorm1d and BatchNorm2d: options, momentum, the cumulative average", "[norm][module]") {
  const auto& f = ember_test::fixtures("norm_pool");
  for (Device d : ember_test::test_devices()) {
    INFO("device " << d);
    nn::BatchNorm2d bn(nn::BatchNorm2dOptions(3).momentum(std::nullopt));
    bn->to(d);
    bn->to(kDouble);
    for (int i = 0; i < 3; ++i) bn(f["bn_cma.x" + std::to_string(i)].to(d, kDouble));
    REQUIRE(bn->num_batches_tracked.item<int64_t>() == 3);
    ember_test::require_close(bn->running_mean.cpu(), f["bn_cma.rm_after"], 1e-10, 1e-12);
    ember_test::require_close(bn->running_var.cpu(), f["bn_cma.rv_after"], 1e-10, 1e-12);

    // BatchNorm1d over (N, C) and (N, C, L) as F::batch_norm with the default momentum 0.1.
    for (const char* name : {"bn_2d", "bn_3d"}) {
      const std::string n = name;
      nn::BatchNorm1d bn1(3);
      bn1->to(d);
      bn1->to(kDouble);
      {
        NoGradGuard no_grad;
        bn1->weight.copy_(f[n + ".in1"]);
        bn1->bias.copy_(f[n + ".in2"]);
        bn1->running_mean.copy_(f[n + ".rm"]);
        bn1->running_var.copy_(f[n + ".rv"]);
      }
      Tensor out = bn1(f[n + ".in0"].to(d, kDouble));
      ember_test::require_close(out.cpu(), f[n + ".out"], 1e-10, 1e-12);
      ember_test::require_close(bn1->running_var.cpu(), f[n + ".rv_after"], 1e-10, 1e-12);
      bn1->eval();
      Tensor eval_out = bn1(f[n + ".in0"].to(d, kDouble));
      const std::vector<int64_t> bshape = n == "bn_2d" ? std::vector<int64_t>{1, 3} : std::vector<int64_t>{1, 3, 1};
      auto per_channel = [&](const std::string& key) { return f[n + key].to(kDouble).reshape(bshape); };
      Tensor expected = (f[n + ".in0"].to(kDouble) - per_channel(".rm_after")) /
                            (per_channel(".rv_after") + 1e-5).sqrt() * per_channel(".in1") +
                        per_channel(".in2");
      ember_test::require_close(eval_out.cpu(), expected, 1e-10, 1e-12);
    }
  }
  std::ostringstream s;
  s << *nn::BatchNorm1d(4);
  REQUIRE(s.str() == "ember::nn::BatchNorm1d(4, eps=1e-05, momentum=0.1, affine=true, track_running_stats=true)");
  ember_test::require_throws_with(
      [] {
        nn::BatchNorm1d(3)(ember_test::rnd({2, 3, 4, 5}));
      },
      {"BatchNorm1d: expected 2D or 3D input (got 4D input of shape [2, 3, 4, 5])"});
  ember_test::require_throws_with(
      [] {
        nn::BatchNorm2d(3)(ember_test::rnd({2, 3}));
      },
      {"BatchNorm2d: expected 4D input (got 2D input of shape [2, 3])"});
}

TEST_CASE("batch_norm: float32 statistics of a large batch stay accurate", "[norm]") {
  // 128 x 16 x 32 x 32 as ResNet-20's first layer, offset by 100: compared with float64.
  manual_seed(3);
  Tensor x = ember_test::rnd({128, 16, 32, 32}) + 100.0;
  Tensor rm = zeros({16}), rv = ones({16});
  Tensor out = F::batch_norm(x, rm, rv, F::BatchNormFuncOptions().training(true));
  Tensor rm64 = zeros({16}, kDouble), rv64 = ones({16}, kDouble);
  Tensor out64 = F::batch_norm(x.to(kDouble), rm64, rv64, F::BatchNormFuncOptions().training(true));
  ember_test::require_close(out.to(kDouble), out64, 1e-4, 1e-4);
  ember_test::require_close(rv.to(kDouble), rv64, 1e-6, 1e-6);
}

TEST_CASE("conv2d: 'same' stride-1 convolutions in float32 (the direct AVX-512 path) match float64", "[conv]") {
  // Output channels 21 = 16 + 4 + 1 (every block width), planes whose size is no multiple of 16,
  // rectangular kernels; forward with and without bias, and both gradients (the input's is a
  // "same" forward convolution too).
  manual_seed(11);
  struct Case {
    int64_t cin, cout, h, w, kh, kw;
  };
  for (const Case& k : {Case{3, 21, 7, 9, 3, 3}, Case{16, 16, 32, 32, 3, 3}, Case{5, 6, 6, 5, 5, 5},
                        Case{4, 3, 5, 4, 1, 1}, Case{2, 18, 9, 6, 3, 5}}) {
    INFO("cin " << k.cin << " cout " << k.cout << " plane " << k.h << "x" << k.w << " kernel " << k.kh << "x" << k.kw);
    Tensor x = ember_test::rnd({2, k.cin, k.h, k.w}).requires_grad_(true);
    Tensor w = ember_test::rnd({k.cout, k.cin, k.kh, k.kw}).requires_grad_(true);
    Tensor b = ember_test::rnd({k.cout});
    Tensor x64 = x.detach().to(kDouble).requires_grad_(true), w64 = w.detach().to(kDouble).requires_grad_(true);
    const std::vector<int64_t> pad{k.kh / 2, k.kw / 2};
    Tensor y = conv2d(x, w, b, 1, pad), y64 = conv2d(x64, w64, b.to(kDouble), 1, pad);
    ember_test::require_close(y.to(kDouble), y64, 1e-4, 1e-4);
    ember_test::require_close(conv2d(x.detach(), w.detach(), Tensor(), 1, pad).to(kDouble),
                              conv2d(x64.detach(), w64.detach(), Tensor(), 1, pad), 1e-4, 1e-4);
    Tensor g = ember_test::rnd(y.sizes());
    y.backward(g);
    y64.backward(g.to(kDouble));
    ember_test::require_close(x.grad().to(kDouble), x64.grad(), 1e-4, 1e-4);
    ember_test::require_close(w.grad().to(kDouble), w64.grad(), 1e-4, 1e-3);
  }
}
