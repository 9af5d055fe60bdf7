// Transposed convolutions, as LibTorch 1.13's: ember::conv_transpose1d/2d, F::conv_transpose1d/2d
// and nn::ConvTranspose1d/2d. Values and gradients against PyTorch (tests/fixtures/conv_pad.txt,
// tests/fixtures/conv_transpose.txt) in float32 and float64 on every test device, float64
// gradchecks, double backward, the modules' shapes, output_size, printout and initialisation,
// and errors in LibTorch's words.
#include <cmath>

#include "ember/nn.h"
#include "helpers.h"

using namespace ember;
using ember_test::check_case;
using ember_test::printed;
using ember_test::require_throws_with;
using ember_test::rnd;
using V = std::vector<Tensor>;
namespace F = ember::nn::functional;

TEST_CASE("F::conv_transpose2d against PyTorch", "[conv][conv_transpose]") {
  check_case("conv_pad", "conv_transpose2d",
             [](const V& v) { return F::conv_transpose2d(v[0], v[1], F::ConvTranspose2dFuncOptions().bias(v[2])); });
  check_case("conv_pad", "conv_transpose2d_s2_p1_op1", [](const V& v) {
    return F::conv_transpose2d(v[0], v[1],
                               F::ConvTranspose2dFuncOptions().bias(v[2]).stride(2).padding(1).output_padding(1));
  });
  check_case("conv_pad", "conv_transpose2d_groups_dil", [](const V& v) {
    return F::conv_transpose2d(
        v[0], v[1],
        F::ConvTranspose2dFuncOptions().stride({2, 1}).padding({0, 1}).output_padding({1, 0}).groups(2).dilation(
            {1, 2}));
  });
  check_case("conv_pad", "conv_transpose2d_unbatched",
             [](const V& v) { return F::conv_transpose2d(v[0], v[1], F::ConvTranspose2dFuncOptions().stride(3)); });
  // output_padding of the stride or more (allowed below the dilation) in height only.
  check_case("conv_transpose", "ct2d_op_ge_stride", [](const V& v) {
    return conv_transpose2d(v[0], v[1], v[2], {1, 2}, {1, 0}, {1, 1}, 1, {2, 1});
  });
  check_case("conv_transpose", "ct2d_groups3",
             [](const V& v) { return conv_transpose2d(v[0], v[1], v[2], 2, 1, 1, 3); });
}

TEST_CASE("F::conv_transpose1d against PyTorch", "[conv][conv_transpose]") {
  check_case("conv_transpose", "ct1d", [](const V& v) {
    return F::conv_transpose1d(v[0], v[1],
                               F::ConvTranspose1dFuncOptions().bias(v[2]).stride(2).padding(1).output_padding(1));
  });
  check_case("conv_transpose", "ct1d_groups_dil", [](const V& v) {
    return F::conv_transpose1d(v[0], v[1],
                               F::ConvTranspose1dFuncOptions().padding(2).output_padding(1).groups(2).dilation(2));
  });
  check_case("conv_transpose", "ct1d_unbatched", [](const V& v) { return conv_transpose1d(v[0], v[1], v[2], 3); });
}

TEST_CASE("conv_transpose2d is the input gradient of conv2d", "[conv][conv_transpose]") {
  // <conv_transpose2d(g, w), x> = <g, conv2d(x, w)> for every x and g: the defining identity.
  const Tensor x = rnd({2, 3, 7, 6}, kDouble), w = rnd({4, 3, 3, 2}, kDouble);
  const Tensor y = conv2d(x, w, Tensor(), {2, 1}, {1, 0}, {1, 2});
  const Tensor g = rnd(y.sizes(), kDouble);
  const Tensor t = conv_transpose2d(g, w, Tensor(), {2, 1}, {1, 0}, 0, 1, {1, 2});
  REQUIRE(t.sizes() == x.sizes());
  CHECK((t * x).sum().item<double>() == Approx((g * y).sum().item<double>()).epsilon(1e-12));
  // Its name in the graph is LibTorch's.
  const Tensor wr = w.detach().requires_grad_();
  CHECK(ember_test::node_name(conv_transpose2d(g, wr)) == "ConvolutionBackward0");
}

TEST_CASE("conv_transpose2d: double backward agrees with finite differences", "[conv][conv_transpose]") {
  const Tensor x0 = rnd({2, 4, 3, 4}, kDouble), w0 = rnd({4, 1, 3, 2}, kDouble), b = rnd({2}, kDouble);
  const auto opts = F::ConvTranspose2dFuncOptions().stride({2, 1}).padding({1, 0}).output_padding({1, 0}).groups(2);
  // The weight gradient of a gradient penalty on the input, and the reverse.
  Tensor x = x0.detach().clone().requires_grad_();
  auto penalty_w = [&](const Tensor& w) {
    Tensor gx = autograd::grad({F::conv_transpose2d(x, w, F::ConvTranspose2dFuncOptions(opts).bias(b)).tanh().sum()},
                               {x}, {}, std::nullopt, true)[0];
    return gx.pow(2).sum();
  };
  Tensor w = w0.detach().clone().requires_grad_();
  auto penalty_x = [&](const Tensor& xx) {
    Tensor gw = autograd::grad({F::conv_transpose2d(xx, w, opts).sigmoid().sum()}, {w}, {}, std::nullopt, true)[0];
    return gw.pow(2).sum();
  };
  const double eps = 1e-5;
  {
    Tensor gw = autograd::grad({penalty_w(w)}, {w})[0];
    Tensor v = rnd(w0.sizes(), kDouble);
    double fd = (penalty_w(w0 + v * eps).item<double>() - penalty_w(w0 - v * eps).item<double>()) / (2 * eps);
    CHECK((gw * v).sum().item<double>() == Approx(fd).epsilon(1e-6));
  }
  {
    Tensor xr = x0.detach().clone().requires_grad_();
    Tensor gx = autograd::grad({penalty_x(xr)}, {xr})[0];
    Tensor v = rnd(x0.sizes(), kDouble);
    double fd = (penalty_x(x0 + v * eps).item<double>() - penalty_x(x0 - v * eps).item<double>()) / (2 * eps);
    CHECK((gx * v).sum().item<double>() == Approx(fd).epsilon(1e-6));
  }
}

TEST_CASE("conv_transpose1d/2d: errors in LibTorch's words", "[conv][conv_transpose][errors]") {
  const Tensor x = rnd({2, 4, 3, 4}), w = rnd({4, 3, 3, 3});
  require_throws_with(
      [&] {
        conv_transpose2d(rnd({4, 3}), w);
      },
      {"conv_transpose2d", "Expected 3D (unbatched) or 4D (batched) input to conv_transpose2d", "[4, 3]"});
  require_throws_with(
      [&] {
        conv_transpose1d(x, rnd({4, 3, 3}));
      },
      {"Expected 2D (unbatched) or 3D (batched) input to conv_transpose1d", "[2, 4, 3, 4]"});
  require_throws_with(
      [&] {
        conv_transpose2d(rnd({2, 5, 3, 4}), w);
      },
      {"conv_transpose2d", "Given transposed=1, weight of size [4, 3, 3, 3], expected input",
       "to have 4 channels, but got 5 channels instead"});
  require_throws_with([&] { conv_transpose2d(x, w, Tensor(), 1, 0, 0, 3); },
                      {"Given groups=3, expected weight to be divisible by 3 at dimension 0"});
  require_throws_with([&] { conv_transpose2d(x, w, Tensor(), 1, 0, 0, 0); }, {"non-positive groups is not supported"});
  require_throws_with([&] { conv_transpose2d(x, w, rnd({4})); },
                      {"expected bias to be 1-dimensional with 3 elements, but got bias of size [4]"});
  require_throws_with([&] { conv_transpose2d(x, w, Tensor(), 2, 0, 2); },
                      {"conv_transpose2d", "output padding must be smaller than either stride or dilation",
                       "output_padding_height: 2 output_padding_width: 2 stride_height: 2 stride_width: 2"});
  require_throws_with(
      [&] {
        conv_transpose1d(rnd({2, 4, 5}), rnd({4, 3, 3}), Tensor(), 2, 0, 2);
      },
      {"conv_transpose1d", "output padding must be smaller than either stride or dilation"});
  require_throws_with([&] { conv_transpose2d(x, w, Tensor(), 1, 3); },
                      {"Given input size per channel: (3 x 4). Calculated output size per channel: (-1 x 0). "
                       "Output size is too small"});
  require_throws_with([&] { conv_transpose2d(x, w, Tensor(), 1, -1); }, {"negative padding is not supported"});
  require_throws_with([&] { conv_transpose2d(x, w, Tensor(), 1, 0, -1); },
                      {"negative output_padding is not supported"});
  require_throws_with([&] { conv_transpose2d(x, w, Tensor(), 0); }, {"non-positive stride is not supported"});
  require_throws_with([&] { conv_transpose2d(x, w, Tensor(), 1, 0, 0, 1, 0); },
                      {"dilation should be greater than zero"});
  require_throws_with([&] { conv_transpose2d(x, rnd({4, 3, 3})); }, {"conv_transpose2d: expected a 4-D weight"});
  require_throws_with(
      [&] {
        conv_transpose1d(rnd({2, 4, 5}), rnd({4, 3, 3}), Tensor(), {1, 1});
      },
      {"expected stride to be a single integer value or a list of 1 values"});
  require_throws_with([&] { conv_transpose2d(x, w.to(kDouble)); }, {"conv_transpose2d", "same dtype"});
  require_throws_with(
      [&] {
        conv_transpose2d(rnd({1, 4, 0, 3}), w);
      },
      {"Only zero batch or zero channel inputs are supported, but got input shape: [1, 4, 0, 3]"});
  require_throws_with(
      [&] {
        conv_transpose2d(rnd({1, 0, 2, 3}), rnd({0, 3, 3, 3}));
      },
      {"Given groups=1, expected weight to be at least 1 at dimension 0"});
}

TEST_CASE("conv_transpose2d: an empty batch", "[conv][conv_transpose]") {
  const Tensor x = rnd({0, 4, 2, 3}).requires_grad_(), w = rnd({4, 3, 3, 3}).requires_grad_();
  const Tensor b = rnd({3}).requires_grad_();
  const Tensor y = conv_transpose2d(x, w, b);
  REQUIRE(y.sizes() == IntArrayRef({0, 3, 4, 5}));
  y.sum().backward();
  CHECK(x.grad().sizes() == IntArrayRef({0, 4, 2, 3}));
  CHECK(w.grad().abs().sum().item<double>() == 0);
  CHECK(b.grad().abs().sum().item<double>() == 0);
}

TEST_CASE("nn::ConvTranspose2d: shapes, output_size, printout, initialisation", "[nn][conv_transpose]") {
  manual_seed(3);
  nn::ConvTranspose2d up(nn::ConvTranspose2dOptions(4, 6, 3).stride(2).padding(1).output_padding(1).groups(2));
  REQUIRE(up->weight.sizes() == IntArrayRef({4, 3, 3, 3}));
  REQUIRE(up->bias.sizes() == IntArrayRef({6}));
  // fan_in = weight.size(1) * 3 * 3 = 27 (PyTorch's _ConvNd, whatever the layout).
  const double bound = 1.0 / std::sqrt(27.0);
  CHECK(up->weight.abs().max().item<double>() <= bound);
  CHECK(up->weight.abs().max().item<double>() > 0.8 * bound);
  CHECK(up->bias.abs().max().item<double>() <= bound);
  const Tensor x = rnd({2, 4, 5, 7});
  CHECK(up(x).sizes() == IntArrayRef({2, 6, 10, 14}));
  CHECK(up(x[0]).sizes() == IntArrayRef({6, 10, 14}));  // unbatched
  // output_size picks output_padding, spatial sizes or all of the output's; the options' is ignored.
  CHECK(up->forward(x, std::vector<int64_t>{9, 14}).sizes() == IntArrayRef({2, 6, 9, 14}));
  CHECK(up->forward(x, std::vector<int64_t>{2, 6, 10, 13}).sizes() == IntArrayRef({2, 6, 10, 13}));
  CHECK(up->forward(x[0], std::vector<int64_t>{6, 9, 13}).sizes() == IntArrayRef({6, 9, 13}));
  ember_test::require_close(up->forward(x, std::vector<int64_t>{10, 13}),
                            conv_transpose2d(x, up->weight, up->bias, 2, 1, {1, 0}, 2), 0, 0);
  require_throws_with(
      [&] {
        up->forward(x, std::vector<int64_t>{11, 14});
      },
      {"ConvTranspose2d: requested an output size of [11, 14], but valid sizes range from [9, 13] to "
       "[10, 14] (for an input of [5, 7])"});
  require_throws_with([&] { up->forward(x, std::vector<int64_t>{10}); },
                      {"ConvTranspose2d: for 4D input, output_size must have 2 or 4 elements (got 1)"});
  // Gradients reach the parameters.
  up(x).sum().backward();
  CHECK(up->weight.grad().defined());
  CHECK(up->bias.grad().sizes() == IntArrayRef({6}));

  CHECK(printed(nn::ConvTranspose2d(4, 2, 3)) == "ember::nn::ConvTranspose2d(4, 2, kernel_size=[3, 3], stride=[1, 1])");
  CHECK(printed(nn::ConvTranspose2d(nn::ConvTranspose2dOptions(4, 2, 3).stride(2))) ==
        "ember::nn::ConvTranspose2d(4, 2, kernel_size=[3, 3], stride=[2, 2])");
  CHECK(printed(up) ==
        "ember::nn::ConvTranspose2d(4, 6, kernel_size=[3, 3], stride=[2, 2], padding=[1, 1], output_padding=[1, 1], "
        "groups=2)");
  CHECK(printed(nn::ConvTranspose2d(
            nn::ConvTranspose2dOptions(4, 2, {3, 2}).dilation({2, 1}).bias(false).padding_mode(kReflect))) ==
        "ember::nn::ConvTranspose2d(4, 2, kernel_size=[3, 2], stride=[1, 1], dilation=[2, 1], bias=false, "
        "padding_mode=kReflect)");
}

TEST_CASE("nn::ConvTranspose1d: shapes, output_size, printout, no bias", "[nn][conv_transpose]") {
  nn::ConvTranspose1d up(nn::ConvTranspose1dOptions(3, 2, 4).stride(3).dilation(2).bias(false));
  REQUIRE(up->weight.sizes() == IntArrayRef({3, 2, 4}));
  CHECK_FALSE(up->bias.defined());
  CHECK(up->named_parameters().size() == 1);
  const Tensor x = rnd({2, 3, 5});
  // (5 - 1) * 3 + 2 * 3 + 1 = 19, up to 21 with output_size (dilation counts, as PyTorch's).
  CHECK(up(x).sizes() == IntArrayRef({2, 2, 19}));
  CHECK(up->forward(x, std::vector<int64_t>{21}).sizes() == IntArrayRef({2, 2, 21}));
  CHECK(up->forward(x[1], std::vector<int64_t>{20}).sizes() == IntArrayRef({2, 20}));
  CHECK(printed(up) == "ember::nn::ConvTranspose1d(3, 2, kernel_size=4, stride=3, dilation=2, bias=false)");
  // A sequential holds it (forward's output_size defaults).
  nn::Sequential seq(nn::ConvTranspose1d(3, 2, 2), nn::ReLU());
  CHECK(seq->forward(x).sizes() == IntArrayRef({2, 2, 6}));
}

TEST_CASE("nn::ConvTranspose1d/2d: option errors", "[nn][conv_transpose][errors]") {
  require_throws_with([] { nn::ConvTranspose2d(nn::ConvTranspose2dOptions(3, 4, 3).groups(2)); },
                      {"ConvTranspose2d", "in_channels must be divisible by groups"});
  require_throws_with([] { nn::ConvTranspose2d(nn::ConvTranspose2dOptions(4, 3, 3).groups(2)); },
                      {"ConvTranspose2d", "out_channels must be divisible by groups"});
  require_throws_with([] { nn::ConvTranspose1d(nn::ConvTranspose1dOptions(4, 4, 3).groups(0)); },
                      {"ConvTranspose1d", "groups must be a positive integer"});
  nn::ConvTranspose1d reflect(nn::ConvTranspose1dOptions(2, 2, 3).padding_mode(kCircular));
  require_throws_with([&] { reflect(rnd({1, 2, 4})); }, {"Only `zeros` padding mode is supported for ConvTranspose1d"});
}
