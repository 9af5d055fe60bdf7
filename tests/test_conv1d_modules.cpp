// nn::Conv1d, nn::MaxPool1d and nn::AvgPool1d: forward equals the functional form, LibTorch's
// printouts, parameter names, shapes and initial bounds, option checks, and a training step.
#include <cmath>

#include "ember/nn.h"
#include "ember/optim.h"
#include "helpers.h"

using namespace ember;
using ember_test::printed;
using ember_test::require_equal;
using ember_test::require_throws_with;
namespace F = ember::nn::functional;

TEST_CASE("nn::Conv1d: parameters, initial bounds and forward equal F::conv1d", "[conv][nn]") {
  manual_seed(5);
  nn::Conv1d conv(nn::Conv1dOptions(6, 4, 3).stride(2).padding(1).dilation(2).groups(2));
  REQUIRE(conv->named_parameters().keys() == std::vector<std::string>({"weight", "bias"}));
  REQUIRE(conv->weight.sizes() == IntArrayRef({4, 3, 3}));
  REQUIRE(conv->bias.sizes() == IntArrayRef({4}));
  // LibTorch's init: Kaiming-uniform with a = sqrt(5) and the bias, both within 1/sqrt(fan_in),
  // fan_in = in / groups * k = 9.
  const double bound = 1.0 / std::sqrt(9.0);
  REQUIRE(conv->weight.abs().max().item<double>() <= bound);
  REQUIRE(conv->bias.abs().max().item<double>() <= bound);
  REQUIRE(conv->weight.abs().max().item<double>() > 0.5 * bound);

  const Tensor x = ember_test::rnd({2, 6, 11});
  const Tensor expected =
      F::conv1d(x, conv->weight, F::Conv1dFuncOptions().bias(conv->bias).stride(2).padding(1).dilation(2).groups(2));
  const Tensor y = conv(x);
  REQUIRE(y.sizes() == IntArrayRef({2, 4, 5}));
  require_equal(y, expected);
  // Unbatched (C, L) input, as LibTorch.
  require_equal(conv(x[1]), expected[1]);

  nn::Conv1d plain(nn::Conv1dOptions(3, 2, 4).bias(false));
  REQUIRE(plain->named_parameters().keys() == std::vector<std::string>({"weight"}));
  REQUIRE(!plain->bias.defined());
  const Tensor x2 = ember_test::rnd({1, 3, 7});
  require_equal(plain(x2), F::conv1d(x2, plain->weight));
}

TEST_CASE("nn::Conv1d, MaxPool1d, AvgPool1d print as LibTorch's", "[conv][nn]") {
  REQUIRE(printed(nn::Conv1d(nn::Conv1dOptions(3, 8, 3))) == "ember::nn::Conv1d(3, 8, kernel_size=3, stride=1)");
  REQUIRE(printed(nn::Conv1d(nn::Conv1dOptions(4, 8, 5).stride(2).padding(2).dilation(3).groups(4).bias(false))) ==
          "ember::nn::Conv1d(4, 8, kernel_size=5, stride=2, padding=2, dilation=3, groups=4, bias=false)");
  REQUIRE(printed(nn::MaxPool1d(nn::MaxPool1dOptions(3).stride(2).padding(1))) ==
          "ember::nn::MaxPool1d(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=false)");
  REQUIRE(printed(nn::AvgPool1d(nn::AvgPool1dOptions(2))) ==
          "ember::nn::AvgPool1d(kernel_size=2, stride=2, padding=0)");
  // Conv2d's printout is unchanged by sharing Conv1d's code.
  REQUIRE(printed(nn::Conv2d(nn::Conv2dOptions(3, 8, {3, 5}).padding(1))) ==
          "ember::nn::Conv2d(3, 8, kernel_size=[3, 5], stride=[1, 1], padding=[1, 1])");
}

TEST_CASE("nn::MaxPool1d and nn::AvgPool1d equal their functional forms", "[pool][nn]") {
  const Tensor x = ember_test::rnd({2, 3, 10});
  const auto max_options = nn::MaxPool1dOptions(3).stride(2).padding(1).dilation(2).ceil_mode(true);
  nn::MaxPool1d max_pool(max_options);
  require_equal(max_pool(x), F::max_pool1d(x, max_options));
  require_equal(max_pool(x[0]), F::max_pool1d(x[0], max_options));
  REQUIRE(max_pool->named_parameters().size() == 0);

  const auto avg_options = nn::AvgPool1dOptions(4).stride(3).padding(1).count_include_pad(false);
  nn::AvgPool1d avg_pool(avg_options);
  require_equal(avg_pool(x), F::avg_pool1d(x, avg_options));
  // The stride defaults to the kernel size: 10 / 2 = 5 windows.
  REQUIRE(nn::AvgPool1d(2)(x).sizes() == IntArrayRef({2, 3, 5}));
}

TEST_CASE("nn::Conv1d: option checks name the layer", "[conv][nn][errors]") {
  require_throws_with([] { nn::Conv1d(nn::Conv1dOptions(6, 4, 3).groups(4)); },
                      {"Conv1d: groups (4) must be positive and divide both in_channels (6) and out_channels (4)"});
  require_throws_with([] { nn::Conv1d(nn::Conv1dOptions(0, 4, 3)); },
                      {"Conv1d: in_channels and out_channels must be positive, got 0 and 4"});
  require_throws_with([] { nn::Conv1d(nn::Conv1dOptions(2, 4, 0)); },
                      {"Conv1d: kernel_size 0, stride 1 and dilation 1 must be positive"});
}

TEST_CASE("nn::Conv1d: an SGD step moves the parameters by -lr * grad and lowers the loss", "[conv][nn]") {
  manual_seed(11);
  nn::Conv1d conv(nn::Conv1dOptions(2, 3, 3).padding(1));
  nn::MaxPool1d pool(2);
  const Tensor x = ember_test::rnd({4, 2, 8});
  const Tensor target = ember_test::rnd({4, 3, 4});
  auto loss_of = [&] { return (pool(conv(x)) - target).pow(2).mean(); };
  optim::SGD sgd(conv->parameters(), optim::SGDOptions(0.1));
  sgd.zero_grad();
  const Tensor loss = loss_of();
  loss.backward();
  const Tensor w0 = conv->weight.detach().clone(), b0 = conv->bias.detach().clone();
  const Tensor gw = conv->weight.grad().clone(), gb = conv->bias.grad().clone();
  REQUIRE(gw.abs().sum().item<double>() > 0);
  sgd.step();
  ember_test::require_close(conv->weight.detach(), w0 - 0.1 * gw, 1e-6, 1e-7);
  ember_test::require_close(conv->bias.detach(), b0 - 0.1 * gb, 1e-6, 1e-7);
  REQUIRE(loss_of().item<double>() < loss.item<double>());
}
