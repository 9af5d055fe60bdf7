// The 3-D layers, as LibTorch 1.13's: conv3d, max_pool3d(_with_indices), avg_pool3d, the adaptive
// 3-D pools (free, F:: and module forms), BatchNorm3d and InstanceNorm3d. Values and gradients
// against PyTorch (tests/fixtures/layers3d.txt, tools/gen_layers3d_fixtures.py) in float32 and
// float64 on every test device, float64 gradchecks, double backward, node names, the modules'
// printout and errors in LibTorch's words.
#include "ember/ember.h"
#include "ember/nn/conv_pool3d.h"
#include "helpers.h"

using namespace ember;
using ember_test::CaseOptions;
using ember_test::check_case;
using ember_test::printed;
using ember_test::require_throws_with;
using ember_test::rnd;
using V = std::vector<Tensor>;
namespace F = ember::nn::functional;

namespace {
/// `v` as autograd leaves with grad mode on: gradcheck evaluates its function under NoGradGuard
/// for the finite differences, and a create_graph gradient still needs a graph there.
V leaves(const V& v) {
  V out;
  for (const Tensor& t : v) out.push_back(t.requires_grad() ? t : t.detach().requires_grad_());
  return out;
}

}  // namespace

TEST_CASE("conv3d against PyTorch", "[conv3d]") {
  check_case("layers3d", "conv3d", [](const V& v) { return conv3d(v[0], v[1], v[2], {1, 2, 1}, {1, 0, 1}); });
  check_case("layers3d", "conv3d_groups_dil", [](const V& v) {
    return F::conv3d(v[0], v[1],
                     F::Conv3dFuncOptions().stride({2, 1, 2}).padding({2, 1, 0}).dilation({2, 1, 2}).groups(2));
  });
  check_case("layers3d", "conv3d_unbatched",
             [](const V& v) { return F::conv3d(v[0], v[1], F::Conv3dFuncOptions().bias(v[2]).stride(2)); });
  check_case("layers3d", "conv3d_same",
             [](const V& v) { return F::conv3d(v[0], v[1], F::Conv3dFuncOptions().padding(kSame)); });
}

TEST_CASE("3-D pools against PyTorch", "[pool3d]") {
  const auto max3 = [](const V& v) {
    return F::max_pool3d(
        v[0],
        F::MaxPool3dFuncOptions({2, 3, 2}).stride({2, 2, 1}).padding({1, 1, 0}).dilation({1, 1, 2}).ceil_mode(true));
  };
  check_case("layers3d", "max_pool3d", max3);
  check_case(
      "layers3d", "max_pool3d",
      [](const V& v) {
        return std::get<1>(max_pool3d_with_indices(v[0], {2, 3, 2}, {2, 2, 1}, {1, 1, 0}, {1, 1, 2}, true));
      },
      ember_test::values_only("out1"));
  check_case("layers3d", "max_pool3d_k2", [](const V& v) { return max_pool3d(v[0], 2); });
  check_case(
      "layers3d", "max_pool3d_k2", [](const V& v) { return std::get<1>(max_pool3d_with_indices(v[0], 2)); },
      ember_test::values_only("out1"));
  check_case("layers3d", "max_pool3d_unbatched", [](const V& v) { return max_pool3d(v[0], 3, 2, 1); });
  check_case(
      "layers3d", "max_pool3d_unbatched",
      [](const V& v) { return std::get<1>(max_pool3d_with_indices(v[0], 3, 2, 1)); }, ember_test::values_only("out1"));

  check_case("layers3d", "avg_pool3d_ceil", [](const V& v) {
    return F::avg_pool3d(
        v[0], F::AvgPool3dFuncOptions({3, 2, 3}).stride({2, 1, 2}).padding(1).ceil_mode(true).count_include_pad(false));
  });
  check_case("layers3d", "avg_pool3d_pad", [](const V& v) { return avg_pool3d(v[0], 3, 2, 1, true); });
  check_case("layers3d", "avg_pool3d_divisor", [](const V& v) {
    return avg_pool3d(v[0], {2, 2, 3}, 1, {1, 0, 1}, false, true, 5);
  });

  check_case("layers3d", "adaptive_avg_pool3d", [](const V& v) {
    return F::adaptive_avg_pool3d(v[0], F::AdaptiveAvgPool3dFuncOptions({2, 3, 4}));
  });
  check_case("layers3d", "adaptive_avg_pool3d_unbatched", [](const V& v) {
    return adaptive_avg_pool3d(v[0], {3, 1, 4});
  });
  check_case("layers3d", "adaptive_max_pool3d", [](const V& v) {
    return F::adaptive_max_pool3d(v[0], F::AdaptiveMaxPool3dFuncOptions({3, 4, 2}));
  });
  check_case(
      "layers3d", "adaptive_max_pool3d",
      [](const V& v) {
        return std::get<1>(adaptive_max_pool3d(v[0], {3, 4, 2}));
      },
      ember_test::values_only("out1"));
  check_case("layers3d", "adaptive_max_pool3d_unbatched", [](const V& v) {
    return std::get<0>(F::adaptive_max_pool3d_with_indices(v[0], F::AdaptiveMaxPool3dFuncOptions({2, 2, 3})));
  });
  check_case(
      "layers3d", "adaptive_max_pool3d_unbatched",
      [](const V& v) {
        return std::get<1>(adaptive_max_pool3d(v[0], {2, 2, 3}));
      },
      ember_test::values_only("out1"));
}

TEST_CASE("BatchNorm3d and InstanceNorm3d against PyTorch", "[norm3d]") {
  check_case("layers3d", "batch_norm3d", [](const V& v) {
    return F::batch_norm(v[0], Tensor(), Tensor(), F::BatchNormFuncOptions().weight(v[1]).bias(v[2]).training(true));
  });
  check_case("layers3d", "instance_norm3d",
             [](const V& v) { return F::instance_norm(v[0], F::InstanceNormFuncOptions().weight(v[1]).bias(v[2])); });
  // The modules: shapes checked, running statistics of 5-D batches.
  nn::BatchNorm3d bn(4);
  Tensor x = rnd({2, 4, 3, 2, 2});
  ember_test::require_close(bn(x), F::batch_norm(x, Tensor(), Tensor(), F::BatchNormFuncOptions().training(true)), 1e-5,
                            1e-5);
  ember_test::require_close(bn->running_mean, x.mean({0, 2, 3, 4}) * 0.1, 1e-5, 1e-6);
  require_throws_with(
      [&] {
        bn(rnd({2, 4, 3, 2}));
      },
      {"BatchNorm3d", "expected 5D input (got 4D input of shape [2, 4, 3, 2])"});
  nn::InstanceNorm3d in(nn::InstanceNorm3dOptions(4).affine(true));
  CHECK(in(x).sizes() == x.sizes());
  CHECK(in(x[0]).sizes() == x[0].sizes());  // unbatched
  require_throws_with(
      [&] {
        in(rnd({2, 4, 3}));
      },
      {"InstanceNorm3d", "expected 4D or 5D input (got 3D input of shape [2, 4, 3])"});
}

TEST_CASE("3-D layers: node names and double backward", "[conv3d][pool3d]") {
  Tensor x = rnd({1, 2, 4, 4, 4}, kDouble).requires_grad_();
  Tensor w = rnd({2, 2, 2, 2, 2}, kDouble).requires_grad_();
  CHECK(ember_test::node_name(conv3d(x, w)) == "ConvolutionBackward0");
  CHECK(ember_test::node_name(max_pool3d(x, 2)) == "MaxPool3DWithIndicesBackward0");
  CHECK(ember_test::node_name(std::get<0>(max_pool3d_with_indices(x, 2))) == "MaxPool3DWithIndicesBackward0");
  CHECK(ember_test::node_name(avg_pool3d(x, 2)) == "AvgPool3DBackward0");
  CHECK(ember_test::node_name(adaptive_avg_pool3d(x, {2, 2, 2})) == "AdaptiveAvgPool3DBackward0");
  CHECK(ember_test::node_name(std::get<0>(adaptive_max_pool3d(x, {2, 2, 2}))) == "AdaptiveMaxPool3DBackward0");

  // Second derivatives through conv3d: d/dx of <grad_w(x), v> against finite differences of the
  // first gradient (gradcheck of the function x, w -> d<conv3d(x, w), u>/dw).
  Tensor u = rnd({1, 2, 3, 3, 3}, kDouble);
  ember_test::gradcheck(
      [&](const V& in) {
        AutoGradMode enable(true);
        const V v = leaves(in);
        Tensor out = conv3d(v[0], v[1], {}, 1, 0, 1, 1);
        auto g = autograd::grad({(out * out * u.to(v[0].device())).sum()}, {v[0], v[1]}, {}, true, true);
        return cat({g[0].reshape({-1}), g[1].reshape({-1})});
      },
      {x.detach(), w.detach()});
  ember_test::gradcheck(
      [&](const V& in) {
        AutoGradMode enable(true);
        const V v = leaves(in);
        const Tensor s = max_pool3d(v[0], 2).pow(2).sum() + avg_pool3d(v[0], 2, 1, 1).pow(2).sum() +
                         adaptive_avg_pool3d(v[0], {2, 3, 2}).pow(2).sum() +
                         std::get<0>(adaptive_max_pool3d(v[0], {2, 2, 3})).pow(2).sum();
        return autograd::grad({s}, {v[0]}, {}, true, true)[0];
      },
      {x.detach()});
}

TEST_CASE("3-D modules: shapes, padding modes and printout", "[conv3d][pool3d][module]") {
  manual_seed(0);
  nn::Conv3d conv(nn::Conv3dOptions(2, 4, {3, 2, 1}).stride({1, 2, 1}).padding(1).groups(2));
  CHECK(conv->weight.sizes() == IntArrayRef({4, 1, 3, 2, 1}));
  CHECK(conv->bias.sizes() == IntArrayRef({4}));
  Tensor x = rnd({2, 2, 5, 6, 4});
  CHECK(conv(x).sizes() == IntArrayRef({2, 4, 5, 4, 6}));
  // padding_mode pads through F::pad, then convolves without padding.
  nn::Conv3d circ(nn::Conv3dOptions(2, 3, 3).padding(1).padding_mode(kCircular));
  Tensor padded = F::pad(x, F::PadFuncOptions({1, 1, 1, 1, 1, 1}).mode(kCircular));
  ember_test::require_close(circ(x), conv3d(padded, circ->weight, circ->bias), 1e-5, 1e-5);
  nn::Conv3d same(nn::Conv3dOptions(2, 3, {2, 3, 4}).padding(kSame));
  CHECK(same(x).sizes() == IntArrayRef({2, 3, 5, 6, 4}));

  CHECK(printed(nn::Conv3d(nn::Conv3dOptions(2, 4, 3))) ==
        "ember::nn::Conv3d(2, 4, kernel_size=[3, 3, 3], stride=[1, 1, 1])");
  CHECK(printed(nn::Conv3d(nn::Conv3dOptions(2, 4, {3, 2, 1})
                               .stride({1, 2, 1})
                               .padding(1)
                               .dilation(2)
                               .groups(2)
                               .bias(false)
                               .padding_mode(kCircular))) ==
        "ember::nn::Conv3d(2, 4, kernel_size=[3, 2, 1], stride=[1, 2, 1], padding=[1, 1, 1], dilation=[2, 2, 2], "
        "groups=2, bias=false, padding_mode=kCircular)");
  CHECK(printed(nn::MaxPool3d(nn::MaxPool3dOptions(3))) ==
        "ember::nn::MaxPool3d(kernel_size=[3, 3, 3], stride=[3, 3, 3], padding=[0, 0, 0], dilation=[1, 1, 1], "
        "ceil_mode=false)");
  CHECK(printed(nn::AvgPool3d(nn::AvgPool3dOptions({3, 2, 2}).stride(2).padding(1))) ==
        "ember::nn::AvgPool3d(kernel_size=[3, 2, 2], stride=[2, 2, 2], padding=[1, 1, 1])");
  CHECK(printed(nn::AdaptiveAvgPool3d(nn::AdaptiveAvgPool3dOptions({2, 3, 4}))) ==
        "ember::nn::AdaptiveAvgPool3d(output_size=[2, 3, 4])");
  CHECK(printed(nn::AdaptiveMaxPool3d(nn::AdaptiveMaxPool3dOptions(2))) ==
        "ember::nn::AdaptiveMaxPool3d(output_size=[2, 2, 2])");
  CHECK(printed(nn::BatchNorm3d(4)) ==
        "ember::nn::BatchNorm3d(4, eps=1e-05, momentum=0.1, affine=true, track_running_stats=true)");
  CHECK(printed(nn::InstanceNorm3d(4)) ==
        "ember::nn::InstanceNorm3d(4, eps=1e-05, momentum=0.1, affine=false, track_running_stats=false)");

  nn::MaxPool3d pool(nn::MaxPool3dOptions(2));
  auto [values, indices] = pool->forward_with_indices(x);
  CHECK(values.sizes() == IntArrayRef({2, 2, 2, 3, 2}));
  ember_test::require_equal(values, x.reshape({4, -1}).gather(1, indices.reshape({4, -1})).view(values.sizes()));
  CHECK(nn::AvgPool3d(2)(x).sizes() == IntArrayRef({2, 2, 2, 3, 2}));
  CHECK(nn::AdaptiveAvgPool3d(nn::AdaptiveAvgPool3dOptions(1))(x).sizes() == IntArrayRef({2, 2, 1, 1, 1}));
  CHECK(nn::AdaptiveMaxPool3d(nn::AdaptiveMaxPool3dOptions({1, 2, 3}))(x).sizes() == IntArrayRef({2, 2, 1, 2, 3}));
}

TEST_CASE("3-D layers: errors", "[conv3d][pool3d][errors]") {
  Tensor x = rnd({1, 2, 4, 4, 4}), w = rnd({3, 2, 2, 2, 2});
  require_throws_with(
      [&] {
        conv3d(rnd({2, 4, 4}), w);
      },
      {"conv3d", "Expected 4D (unbatched) or 5D (batched) input to conv3d", "[2, 4, 4]"});
  require_throws_with(
      [&] {
        conv3d(x, rnd({3, 3, 2, 2, 2}));
      },
      {"conv3d", "Given groups=1, weight of size [3, 3, 2, 2, 2]", "to have 3 channels, but got 2"});
  require_throws_with(
      [&] {
        conv3d(x, rnd({3, 2, 5, 2, 2}));
      },
      {"conv3d", "Kernel size: (5 x 2 x 2)", "Kernel size can't be greater than actual input size"});
  require_throws_with([&] { conv3d(x, w, rnd({2})); }, {"conv3d", "expected bias to be 1-dimensional with 3 elements"});
  require_throws_with([&] { conv3d(x, w, {}, {1, 2}); }, {"conv3d", "stride", "a list of 3 values"});
  require_throws_with([&] { F::conv3d(x, w, F::Conv3dFuncOptions().padding(kSame).stride(2)); },
                      {"padding='same' is not supported for strided convolutions"});
  require_throws_with([&] { max_pool3d(x, 3, 1, 2); }, {"max_pool3d", "pad should be smaller than or equal to half"});
  require_throws_with([&] { max_pool3d(x, 5); }, {"max_pool3d", "Output size is too small"});
  require_throws_with([&] { max_pool3d(rnd({4, 4, 4}), 2); }, {"max_pool3d", "Expected 4D or 5D tensor"});
  require_throws_with([&] { avg_pool3d(x, 2, 1, 0, false, true, 0); }, {"avg_pool3d", "divisor must be not zero"});
  require_throws_with([&] { avg_pool3d(x, {2, 2}); }, {"avg_pool3d", "kernel_size", "three ints"});
  require_throws_with([&] { adaptive_avg_pool3d(x, {2, 2}); }, {"adaptive_avg_pool3d", "output_size must be 3"});
  require_throws_with([&] { adaptive_max_pool3d(x, {2}); }, {"adaptive_max_pool3d", "output_size must be 3"});
}
