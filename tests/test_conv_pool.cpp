// conv2d (stride, padding, bias, dilation, groups) and max_pool2d (stride, padding, ceil_mode,
// dilation): values and gradients against PyTorch (tests/fixtures/conv_pool.txt), plus float64
// gradchecks.
#include "ember/nn.h"
#include "helpers.h"

using namespace ember;
using ember_test::check_case;
using V = std::vector<Tensor>;

TEST_CASE("conv2d: no bias, bias, 1x1", "[conv]") {
  check_case("conv_pool", "conv2d", [](const V& v) { return conv2d(v[0], v[1]); });
  check_case("conv_pool", "conv2d_bias", [](const V& v) { return conv2d(v[0], v[1], v[2]); });
  check_case("conv_pool", "conv2d_1x1", [](const V& v) { return conv2d(v[0], v[1]); });
}

TEST_CASE("conv2d: stride, padding, per-dimension stride and padding", "[conv]") {
  check_case("conv_pool", "conv2d_stride2_pad1", [](const V& v) { return conv2d(v[0], v[1], v[2], 2, 1); });
  check_case("conv_pool", "conv2d_stride21_pad12", [](const V& v) { return conv2d(v[0], v[1], v[2], {2, 1}, {1, 2}); });
}

TEST_CASE("conv2d: dilation", "[conv]") {
  check_case("conv_pool", "conv2d_dilation2", [](const V& v) { return conv2d(v[0], v[1], v[2], 1, 1, 2); });
}

TEST_CASE("conv2d: groups", "[conv]") {
  check_case("conv_pool", "conv2d_groups", [](const V& v) { return conv2d(v[0], v[1], v[2], 1, 0, 1, 2); });
#if defined(EMBER_TEST_HAVE_FUNCTIONAL)
  check_case("conv_pool", "conv2d_groups", [](const V& v) {
    return ember::nn::functional::conv2d(v[0], v[1], ember::nn::functional::Conv2dFuncOptions().bias(v[2]).groups(2));
  });
#endif
}

TEST_CASE("max_pool2d: kernel only, stride, padding", "[pool]") {
  check_case("conv_pool", "max_pool2d_k2", [](const V& v) { return max_pool2d(v[0], 2); });
  check_case("conv_pool", "max_pool2d_k3_s2_p1", [](const V& v) { return max_pool2d(v[0], 3, 2, 1); });
  check_case("conv_pool", "max_pool2d_k2_s1", [](const V& v) { return max_pool2d(v[0], 2, 1); });
  check_case("conv_pool", "max_pool2d_rect", [](const V& v) { return max_pool2d(v[0], {3, 2}, {2, 1}); });
}

TEST_CASE("max_pool2d: ceil_mode and dilation", "[pool]") {
  check_case("conv_pool", "max_pool2d_ceil", [](const V& v) { return max_pool2d(v[0], 2, 2, 0, 1, true); });
  check_case("conv_pool", "max_pool2d_k3_s2_ceil", [](const V& v) { return max_pool2d(v[0], 3, 2, 1, 1, true); });
  check_case("conv_pool", "max_pool2d_dilation", [](const V& v) { return max_pool2d(v[0], 2, 1, 0, 2); });
}

#if defined(EMBER_TEST_HAVE_FUNCTIONAL)
namespace F = ember::nn::functional;

TEST_CASE("F::conv2d and F::max_pool2d with their options structs", "[conv][pool][functional]") {
  check_case("conv_pool", "conv2d_stride2_pad1",
             [](const V& v) { return F::conv2d(v[0], v[1], F::Conv2dFuncOptions().bias(v[2]).stride(2).padding(1)); });
  check_case("conv_pool", "conv2d", [](const V& v) { return F::conv2d(v[0], v[1]); });
  check_case("conv_pool", "conv2d_dilation2", [](const V& v) {
    return F::conv2d(v[0], v[1], F::Conv2dFuncOptions().bias(v[2]).padding(1).dilation(2));
  });
  check_case("conv_pool", "max_pool2d_k2", [](const V& v) { return F::max_pool2d(v[0], F::MaxPool2dFuncOptions(2)); });
  check_case("conv_pool", "max_pool2d_k3_s2_ceil", [](const V& v) {
    return F::max_pool2d(v[0], F::MaxPool2dFuncOptions(3).stride(2).padding(1).ceil_mode(true));
  });
}

namespace {
// batch_norm with running statistics taken from the fixture (fresh copies per call, since
// training mode updates them in place); returns the output.
Tensor batch_norm_case(const std::string& name, const V& v, bool training, Tensor* rm_out = nullptr,
                       Tensor* rv_out = nullptr) {
  const auto& f = ember_test::fixtures("conv_pool");
  Tensor rm = f[name + ".rm"].to(v[0].device(), v[0].dtype()).clone();
  Tensor rv = f[name + ".rv"].to(v[0].device(), v[0].dtype()).clone();
  Tensor out = F::batch_norm(
      v[0], rm, rv, F::BatchNormFuncOptions().weight(v[1]).bias(v[2]).training(training).momentum(0.1).eps(1e-5));
  if (rm_out) *rm_out = rm;
  if (rv_out) *rv_out = rv;
  return out;
}
}  // namespace

TEST_CASE("F::batch_norm in training and eval mode", "[norm][functional]") {
  check_case("conv_pool", "batch_norm_train", [](const V& v) { return batch_norm_case("batch_norm_train", v, true); });
  check_case("conv_pool", "batch_norm_eval", [](const V& v) { return batch_norm_case("batch_norm_eval", v, false); });
}

TEST_CASE("F::batch_norm updates the running statistics in training mode only", "[norm][functional]") {
  const auto& f = ember_test::fixtures("conv_pool");
  for (Device d : ember_test::test_devices()) {
    for (const char* name : {"batch_norm_train", "batch_norm_eval"}) {
      INFO("device " << d << ", " << name);
      std::string n = name;
      V in{f[n + ".in0"].to(d, kDouble), f[n + ".in1"].to(d, kDouble), f[n + ".in2"].to(d, kDouble)};
      Tensor rm, rv;
      batch_norm_case(n, in, n == "batch_norm_train", &rm, &rv);
      ember_test::require_close(rm, f[n + ".rm_after"], 1e-12, 1e-14);
      ember_test::require_close(rv, f[n + ".rv_after"], 1e-12, 1e-14);
    }
  }
}

TEST_CASE("F::flatten and F::relu", "[functional]") {
  check_case("index", "flatten", [](const V& v) { return F::flatten(v[0]).exp(); });
  check_case("elementwise", "relu", [](const V& v) { return F::relu(v[0]); });
  check_case("elementwise", "relu", [](const V& v) { return F::relu(v[0] * 1.0, F::ReLUFuncOptions(true)); });
}
#endif

TEST_CASE("conv2d of a larger random input matches a direct loop", "[conv]") {
  // N=2, C=5, H=W=9, 7 filters of 3x3, stride 2, padding 1: exercises the im2col/gemm path with
  // sizes that are not multiples of a block.
  manual_seed(7);
  Tensor x = randn({2, 5, 9, 9}, kDouble), w = randn({7, 5, 3, 3}, kDouble), b = randn({7}, kDouble);
  std::vector<double> xv = ember_test::values(x), wv = ember_test::values(w), bv = ember_test::values(b);
  const int OH = 5, OW = 5;
  std::vector<double> ref(2 * 7 * OH * OW);
  for (int n = 0; n < 2; ++n)
    for (int o = 0; o < 7; ++o)
      for (int oy = 0; oy < OH; ++oy)
        for (int ox = 0; ox < OW; ++ox) {
          double s = bv[o];
          for (int c = 0; c < 5; ++c)
            for (int ky = 0; ky < 3; ++ky)
              for (int kx = 0; kx < 3; ++kx) {
                int iy = oy * 2 - 1 + ky, ix = ox * 2 - 1 + kx;
                if (iy < 0 || iy >= 9 || ix < 0 || ix >= 9) continue;
                s += xv[((n * 5 + c) * 9 + iy) * 9 + ix] * wv[((o * 5 + c) * 3 + ky) * 3 + kx];
              }
          ref[((n * 7 + o) * OH + oy) * OW + ox] = s;
        }
  Tensor expected = from_blob(ref.data(), {2, 7, OH, OW}, kDouble).clone();
  for (Device d : ember_test::test_devices()) {
    INFO("device " << d);
    ember_test::require_close(conv2d(x.to(d), w.to(d), b.to(d), 2, 1), expected, 1e-12, 1e-12);
  }
}

TEST_CASE("conv2d float32 (im2col into GEMM panels) matches float64 where panels, rows and units are cut", "[conv]") {
  // float32 forwards (and stride-1 input gradients, computed as forwards) take the AVX-512 path
  // that writes columns straight into the GEMM's 32-wide panels (src/cpu/conv_panels.cpp) where
  // the CPU has it; float64 takes im2col + OpenBLAS.
  struct Case {
    std::vector<int64_t> x, w;
    std::vector<int64_t> stride, padding, dilation;
  };
  const std::vector<Case> cases = {
      {{3, 4, 11, 13}, {5, 4, 3, 3}, {1, 1}, {1, 1}, {1, 1}},      // rows of 13: runs cross panels
      {{64, 32, 32, 32}, {16, 32, 3, 3}, {1, 1}, {1, 1}, {1, 1}},  // the tutorial's: units cut images
      {{200, 3, 5, 5}, {4, 3, 3, 3}, {1, 1}, {0, 0}, {1, 1}},      // many images per unit
      {{2, 3, 40, 70}, {2, 3, 5, 5}, {1, 1}, {2, 0}, {1, 1}},      // rows of 66 pixels
      {{2, 4, 9, 10}, {6, 4, 3, 2}, {2, 3}, {2, 1}, {2, 1}},       // strides and dilation
      {{1, 2, 4, 4}, {3, 2, 2, 2}, {1, 1}, {3, 3}, {1, 1}},        // padding wider than the kernel
  };
  manual_seed(11);
  for (const Case& c : cases) {
    INFO("x " << IntArrayRef(c.x) << " w " << IntArrayRef(c.w) << " stride " << IntArrayRef(c.stride) << " padding "
              << IntArrayRef(c.padding) << " dilation " << IntArrayRef(c.dilation));
    const Tensor x = randn(c.x), w = randn(c.w), b = randn({c.w[0]});
    const Tensor gout = randn(conv2d(x, w, b, c.stride, c.padding, c.dilation).sizes());
    // Forward and all three gradients, in float32 and in float64.
    auto run = [&](ScalarType dt) {
      std::vector<Tensor> leaves{x.to(dt).detach().requires_grad_(true), w.to(dt).detach().requires_grad_(true),
                                 b.to(dt).detach().requires_grad_(true)};
      Tensor out = conv2d(leaves[0], leaves[1], leaves[2], c.stride, c.padding, c.dilation);
      (out * gout.to(dt)).sum().backward();
      return std::vector<Tensor>{out.detach(), leaves[0].grad(), leaves[1].grad(), leaves[2].grad()};
    };
    const std::vector<Tensor> got = run(kFloat), expected = run(kDouble);
    const char* names[] = {"output", "input gradient", "weight gradient", "bias gradient"};
    for (size_t i = 0; i < got.size(); ++i) {
      INFO(names[i]);
      // Each value is a sum of n products of N(0, 1) values: about sqrt(n) in size.
      const double terms = i == 0 || i == 1 ? double(c.w[1] * c.w[2] * c.w[3] + c.w[0] * c.w[2] * c.w[3])
                                            : double(c.x[0] * c.x[2] * c.x[3]);
      ember_test::require_close(got[i].to(kDouble), expected[i], 0, 1e-5 * std::sqrt(terms));
    }
  }
}

TEST_CASE("max_pool2d_with_indices: LibTorch's flat per-plane indices, module and functional forms", "[pool]") {
  // F.max_pool2d(x, 2, return_indices=True) on [[1,5,2,0],[3,4,8,7],[9,6,1,2],[0,3,4,5]]:
  // values [[5,8],[9,5]], indices [[1,6],[8,15]].
  const Tensor x =
      tensor(std::vector<double>{1, 5, 2, 0, 3, 4, 8, 7, 9, 6, 1, 2, 0, 3, 4, 5}, kDouble).reshape({1, 1, 4, 4});
  for (Device d : ember_test::test_devices()) {
    auto [values, indices] = max_pool2d_with_indices(x.to(d), {2});
    ember_test::require_close(values.cpu(), tensor(std::vector<double>{5, 8, 9, 5}, kDouble).reshape({1, 1, 2, 2}), 0,
                              0);
    CHECK(indices.dtype() == kLong);
    ember_test::require_equal(indices.cpu(), tensor(std::vector<int64_t>{1, 6, 8, 15}).reshape({1, 1, 2, 2}));
    nn::MaxPool2d pool(nn::MaxPool2dOptions(2));
    auto [v3, i3] = pool->forward_with_indices(x.to(d).squeeze(0));  // (C, H, W) input
    CHECK(v3.sizes() == IntArrayRef({1, 2, 2}));
    ember_test::require_equal(i3.cpu(), tensor(std::vector<int64_t>{1, 6, 8, 15}).reshape({1, 2, 2}));
    auto [vf, fi] = nn::functional::max_pool2d_with_indices(x.to(d), nn::functional::MaxPool2dFuncOptions(2).stride(2));
    ember_test::require_equal(fi.cpu(), indices.cpu());
    Tensor leaf = x.to(d).requires_grad_();
    std::get<0>(max_pool2d_with_indices(leaf, {2})).sum().backward();
    CHECK(leaf.grad().sum().item<double>() == 4.0);
    CHECK(leaf.grad().cpu().reshape({16})[6].item<double>() == 1.0);
  }
}
