// The convolutions' padding options, as LibTorch 1.13's: padding(kSame) / padding(kValid) for
// F::conv1d/conv2d and nn::Conv1d/Conv2d, and the modules' padding_mode (kZeros, kReflect,
// kReplicate, kCircular). Values and gradients against PyTorch (tests/fixtures/conv_pad.txt) in
// float32 and float64, float64 gradchecks, printouts and errors.
#include "ember/nn.h"
#include "helpers.h"

using namespace ember;
using ember_test::check_case;
using ember_test::printed;
using ember_test::require_throws_with;
using V = std::vector<Tensor>;
namespace F = ember::nn::functional;

namespace {

// The fixtures call the module's _conv_forward with their own weight and bias: the module's
// forward reads its weight and bias members, so pointing them at the inputs routes the
// gradients there.
template <typename Holder>
Tensor module_forward(Holder conv, const V& v) {
  conv->weight = v[1];
  conv->bias = v.size() > 2 ? v[2] : Tensor();
  return conv(v[0]);
}

}  // namespace

TEST_CASE("nn::Conv2d padding_mode against PyTorch", "[conv][pad]") {
  const auto options = nn::Conv2dOptions(2, 4, 3).padding({1, 2});
  check_case("conv_pad", "conv2d_zeros", [&](const V& v) { return module_forward(nn::Conv2d(options), v); });
  check_case("conv_pad", "conv2d_reflect", [&](const V& v) {
    return module_forward(nn::Conv2d(nn::Conv2dOptions(options).padding_mode(kReflect)), v);
  });
  check_case("conv_pad", "conv2d_replicate", [&](const V& v) {
    return module_forward(nn::Conv2d(nn::Conv2dOptions(options).padding_mode(kReplicate)), v);
  });
  check_case("conv_pad", "conv2d_circular", [&](const V& v) {
    return module_forward(nn::Conv2d(nn::Conv2dOptions(options).padding_mode(kCircular)), v);
  });
  check_case("conv_pad", "conv2d_same_reflect", [](const V& v) {
    return module_forward(nn::Conv2d(nn::Conv2dOptions(2, 3, {2, 4}).padding(kSame).padding_mode(kReflect)), v);
  });
  check_case("conv_pad", "conv1d_circular", [](const V& v) {
    return module_forward(nn::Conv1d(nn::Conv1dOptions(3, 2, 3).padding(2).padding_mode(kCircular)), v);
  });
}

TEST_CASE("F::conv2d and F::conv1d padding(kSame) and padding(kValid) against PyTorch", "[conv][pad]") {
  check_case("conv_pad", "conv2d_same",
             [](const V& v) { return F::conv2d(v[0], v[1], F::Conv2dFuncOptions().bias(v[2]).padding(kSame)); });
  check_case("conv_pad", "conv2d_same_dil", [](const V& v) {
    return F::conv2d(v[0], v[1], F::Conv2dFuncOptions().padding(kSame).dilation({2, 1}));
  });
  check_case("conv_pad", "conv2d_valid",
             [](const V& v) { return F::conv2d(v[0], v[1], F::Conv2dFuncOptions().padding(kValid)); });
  check_case("conv_pad", "conv1d_unbatched_same",
             [](const V& v) { return F::conv1d(v[0], v[1], F::Conv1dFuncOptions().padding(kSame)); });
}

TEST_CASE("padding(kSame): the output keeps the input's size, the odd extra on the right", "[conv][pad]") {
  // A kernel of 4 needs 3 in all: 1 on the left, 2 on the right. With a weight of ones over
  // 0..5, output i sums inputs i-1..i+2 (zeros outside).
  const Tensor x = arange(6, kDouble).reshape({1, 1, 6});
  const Tensor y = F::conv1d(x, ones({1, 1, 4}, kDouble), F::Conv1dFuncOptions().padding(kSame));
  ember_test::require_equal(y, tensor({3., 6., 10., 14., 12., 9.}, kDouble).reshape({1, 1, 6}));
  // Module and functional agree; the module keeps .padding(int) and .padding({h, w}).
  manual_seed(3);
  nn::Conv2d conv(nn::Conv2dOptions(2, 3, {2, 3}).padding(kSame).dilation({1, 2}));
  const Tensor x2 = ember_test::rnd({2, 2, 5, 6});
  const Tensor y2 = conv(x2);
  REQUIRE(y2.sizes() == IntArrayRef({2, 3, 5, 6}));
  ember_test::require_equal(
      y2, F::conv2d(x2, conv->weight, F::Conv2dFuncOptions().bias(conv->bias).padding(kSame).dilation({1, 2})));
  REQUIRE(nn::Conv2d(nn::Conv2dOptions(2, 3, 3).padding(1))(x2).sizes() == IntArrayRef({2, 3, 5, 6}));
  REQUIRE(nn::Conv2d(nn::Conv2dOptions(2, 3, 3).padding({0, 1}))(x2).sizes() == IntArrayRef({2, 3, 3, 6}));
  REQUIRE(nn::Conv2d(nn::Conv2dOptions(2, 3, 3).padding(kValid))(x2).sizes() == IntArrayRef({2, 3, 3, 4}));
}

TEST_CASE("padding modes and 'same': float64 gradchecks", "[conv][pad][gradcheck]") {
  const Tensor x = ember_test::rnd({1, 2, 4, 5}, kDouble), w = ember_test::rnd({2, 2, 2, 3}, kDouble);
  ember_test::gradcheck(
      [](const V& v) {
        return module_forward(nn::Conv2d(nn::Conv2dOptions(2, 2, {2, 3}).padding({1, 2}).padding_mode(kReflect)), v);
      },
      {x, w});
  ember_test::gradcheck(
      [](const V& v) {
        return module_forward(nn::Conv2d(nn::Conv2dOptions(2, 2, {2, 3}).padding(kSame).padding_mode(kCircular)), v);
      },
      {x, w});
  ember_test::gradcheck([](const V& v) { return F::conv2d(v[0], v[1], F::Conv2dFuncOptions().padding(kSame)); },
                        {x, w});
}

TEST_CASE("padding options: printouts and errors as LibTorch's", "[conv][pad][errors]") {
  REQUIRE(printed(nn::Conv2d(nn::Conv2dOptions(2, 4, 3).padding({1, 2}).padding_mode(kReflect))) ==
          "ember::nn::Conv2d(2, 4, kernel_size=[3, 3], stride=[1, 1], padding=[1, 2], padding_mode=kReflect)");
  REQUIRE(printed(nn::Conv1d(nn::Conv1dOptions(3, 2, 4).padding(kSame).bias(false).padding_mode(kCircular))) ==
          "ember::nn::Conv1d(3, 2, kernel_size=4, stride=1, padding='same', bias=false, padding_mode=kCircular)");
  REQUIRE(printed(nn::Conv2d(nn::Conv2dOptions(3, 2, 3).padding(kValid))) ==
          "ember::nn::Conv2d(3, 2, kernel_size=[3, 3], stride=[1, 1], padding='valid')");
  require_throws_with(
      [] {
        nn::Conv2d(nn::Conv2dOptions(2, 2, 3).stride({1, 2}).padding(kSame));
      },
      {"Conv2d: padding='same' is not supported for strided convolutions (stride [1, 2])"});
  require_throws_with(
      [] {
        F::conv1d(ember_test::rnd({1, 2, 6}), ember_test::rnd({2, 2, 3}),
                  F::Conv1dFuncOptions().stride(2).padding(kSame));
      },
      {"conv1d: padding='same' is not supported for strided convolutions (stride 2)"});
  require_throws_with([] { nn::Conv1d(nn::Conv1dOptions(2, 2, 3).padding(-1)); },
                      {"Conv1d: padding -1 must be non-negative"});
  // Circular padding wraps at most once around the input, as PyTorch.
  nn::Conv1d wide(nn::Conv1dOptions(1, 1, 3).padding(4).padding_mode(kCircular));
  require_throws_with(
      [&] {
        wide(ember_test::rnd({1, 1, 3}));
      },
      {"Padding value causes wrapping around more than once."});
}
