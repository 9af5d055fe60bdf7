// F::conv1d, F::max_pool1d and F::avg_pool1d (the 2-D ops over (N, C, 1, L)): values and
// gradients against PyTorch (tests/fixtures/conv_pad.txt) on every test device, float64
// gradchecks, and the 1-D ops' own errors.
#include "ember/nn.h"
#include "helpers.h"

using namespace ember;
using ember_test::check_case;
using ember_test::require_throws_with;
using V = std::vector<Tensor>;
namespace F = ember::nn::functional;

TEST_CASE("F::conv1d: stride, padding, bias, groups, dilation against PyTorch", "[conv]") {
  check_case("conv_pad", "conv1d", [](const V& v) {
    return F::conv1d(v[0], v[1], F::Conv1dFuncOptions().bias(v[2]).stride(2).padding(1).dilation(1));
  });
  check_case("conv_pad", "conv1d_groups_dil",
             [](const V& v) { return F::conv1d(v[0], v[1], F::Conv1dFuncOptions().padding(2).dilation(2).groups(3)); });
}

TEST_CASE("F::max_pool1d and F::avg_pool1d against PyTorch", "[pool]") {
  check_case("conv_pad", "max_pool1d",
             [](const V& v) { return F::max_pool1d(v[0], F::MaxPool1dFuncOptions(3).stride(2).padding(1)); });
  check_case("conv_pad", "max_pool1d_dil_ceil", [](const V& v) {
    return F::max_pool1d(v[0], F::MaxPool1dFuncOptions(2).stride(2).dilation(2).ceil_mode(true));
  });
  check_case("conv_pad", "avg_pool1d",
             [](const V& v) { return F::avg_pool1d(v[0], F::AvgPool1dFuncOptions(3).stride(2).padding(1)); });
  check_case("conv_pad", "avg_pool1d_nopad_ceil", [](const V& v) {
    return F::avg_pool1d(v[0],
                         F::AvgPool1dFuncOptions(4).stride(3).padding(1).ceil_mode(true).count_include_pad(false));
  });
}

TEST_CASE("F::conv1d and the 1-D pools: errors name the 1-D op", "[conv][errors]") {
  const Tensor x = ember_test::rnd({2, 3, 4, 5});
  require_throws_with(
      [&] {
        F::conv1d(x, ember_test::rnd({2, 3, 3}));
      },
      {"conv1d: expected 2-D (C, L) or 3-D (N, C, L) input, got 4-D input of size [2, 3, 4, 5]"});
  require_throws_with(
      [&] {
        F::conv1d(ember_test::rnd({2, 3, 5}), ember_test::rnd({2, 3, 3, 1}));
      },
      {"conv1d: expected a 3-D weight", "[2, 3, 3, 1]"});
  require_throws_with([&] { F::max_pool1d(x, F::MaxPool1dFuncOptions(2)); }, {"max_pool1d: expected 2-D (C, L)"});
  require_throws_with([&] { F::avg_pool1d(x, F::AvgPool1dFuncOptions(2)); }, {"avg_pool1d: expected 2-D (C, L)"});
}
