// F::pad in every mode (1-D, 2-D, 3-D, negative padding, constant over four dims, unbatched):
// values and gradients against PyTorch (tests/fixtures/conv_pad.txt) on every test device,
// float64 gradchecks, LibTorch's node names and PyTorch's errors.
#include "ember/nn.h"
#include "helpers.h"

using namespace ember;
using ember_test::check_case;
using ember_test::require_throws_with;
using ember_test::rnd;
using V = std::vector<Tensor>;
namespace F = ember::nn::functional;

namespace {

F::PadFuncOptions::mode_t mode_of(const std::string& name) {
  if (name == "reflect") return kReflect;
  if (name == "replicate") return kReplicate;
  if (name == "circular") return kCircular;
  return kConstant;
}

}  // namespace

TEST_CASE("F::pad: each mode over 1, 2 and 3 dims against PyTorch", "[pad]") {
  for (const std::string mode : {"constant", "reflect", "replicate", "circular"}) {
    INFO("mode " << mode);
    const auto m = mode_of(mode);
    check_case("conv_pad", "pad1d_" + mode, [m](const V& v) {
      return F::pad(v[0], F::PadFuncOptions({2, 1}).mode(m));
    });
    check_case("conv_pad", "pad2d_" + mode, [m](const V& v) {
      return F::pad(v[0], F::PadFuncOptions({1, 3, 2, 0}).mode(m));
    });
    check_case("conv_pad", "pad3d_" + mode, [m](const V& v) {
      return F::pad(v[0], F::PadFuncOptions({1, 2, 0, 1, 2, 1}).mode(m));
    });
    check_case("conv_pad", "pad2d_neg_" + mode, [m](const V& v) {
      return F::pad(v[0], F::PadFuncOptions({-1, 2, 1, -2}).mode(m));
    });
  }
}

TEST_CASE("F::pad: constant value, four padded dims, unbatched reflect", "[pad]") {
  check_case("conv_pad", "pad_constant_value", [](const V& v) {
    return F::pad(v[0], F::PadFuncOptions({1, 1, 0, 2, 1, 0}).value(2.5));
  });
  check_case("conv_pad", "pad_constant_4d", [](const V& v) {
    return F::pad(v[0], F::PadFuncOptions({1, 0, 0, 1, 1, 1, 0, 2}).mode(kConstant).value(-1.0));
  });
  check_case("conv_pad", "pad2d_unbatched_reflect", [](const V& v) {
    return F::pad(v[0], F::PadFuncOptions({3, 1, 1, 2}).mode(kReflect));
  });
}

TEST_CASE("F::pad: hand-computed rows and LibTorch's node names", "[pad]") {
  const Tensor x = arange(4, kDouble).reshape({1, 1, 4}).requires_grad_();  // 0 1 2 3
  auto row = [&](F::PadFuncOptions::mode_t m) { return F::pad(x, F::PadFuncOptions({2, 1}).mode(m).value(9)); };
  ember_test::require_equal(row(kConstant).detach().reshape({7}), tensor({9., 9., 0., 1., 2., 3., 9.}, kDouble));
  ember_test::require_equal(row(kReflect).detach().reshape({7}), tensor({2., 1., 0., 1., 2., 3., 2.}, kDouble));
  ember_test::require_equal(row(kReplicate).detach().reshape({7}), tensor({0., 0., 0., 1., 2., 3., 3.}, kDouble));
  ember_test::require_equal(row(kCircular).detach().reshape({7}), tensor({2., 3., 0., 1., 2., 3., 0.}, kDouble));
  // Reflect copies x[1] twice and x[2] three times: their gradients add up.
  row(kReflect).sum().backward();
  ember_test::require_equal(x.grad().reshape({4}), tensor({1., 2., 3., 1.}, kDouble));

  CHECK(row(kConstant).grad_fn()->name() == "ConstantPadNdBackward0");
  CHECK(row(kReflect).grad_fn()->name() == "ReflectionPad1DBackward0");
  CHECK(row(kReplicate).grad_fn()->name() == "ReplicationPad1DBackward0");
  CHECK(row(kCircular).grad_fn()->name() == "CopySlices");
  const Tensor y = rnd({1, 1, 3, 3, 3}).requires_grad_();
  CHECK(F::pad(y[0], F::PadFuncOptions({1, 1, 1, 1}).mode(kReflect)).grad_fn()->name() == "ReflectionPad2DBackward0");
  CHECK(F::pad(y, F::PadFuncOptions({1, 1, 1, 1, 1, 1}).mode(kReplicate)).grad_fn()->name() ==
        "ReplicationPad3DBackward0");
  // Constant mode keeps integer dtypes.
  ember_test::require_equal(F::pad(arange(2), F::PadFuncOptions({1, 0}).value(7)), tensor({7, 0, 1}));
}

TEST_CASE("F::pad: PyTorch's errors", "[pad][errors]") {
  const Tensor x = rnd({2, 3, 3});
  auto pad = [](const Tensor& t, std::vector<int64_t> p, F::PadFuncOptions::mode_t m) {
    return [t, p, m] { F::pad(t, F::PadFuncOptions(p).mode(m)); };
  };
  require_throws_with(pad(x, {1}, kConstant), {"Padding length must be divisible by 2"});
  require_throws_with(pad(x, {1, 1, 1, 1, 1, 1, 1, 1}, kConstant), {"Padding length too large"});
  require_throws_with(pad(rnd({1, 2, 3, 3}), {1, 1}, kReflect),
                      {"Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now"});
  require_throws_with(pad(rnd({3}), {1, 1}, kReplicate),
                      {"Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now"});
  require_throws_with(pad(x, {3, 0}, kReflect),
                      {"Argument #4: Padding size should be less than the corresponding input dimension, but got: "
                       "padding (3, 0) at dimension 2 of input [2, 3, 3]"});
  require_throws_with(pad(rnd({1, 2, 3, 3}), {0, 0, 0, 3}, kReflect),
                      {"Argument #6: Padding size should be less than the corresponding input dimension, but got: "
                       "padding (0, 3) at dimension 2 of input [1, 2, 3, 3]"});
  require_throws_with(pad(x, {-3, 0}, kReplicate), {"input (W: 3) is too small. Calculated output W: 0"});
  require_throws_with(pad(x, {4, 0}, kCircular), {"Padding value causes wrapping around more than once."});
  require_throws_with(pad(x, {-4, 0}, kCircular), {"Negative padding value is resulting in an empty dimension"});
  require_throws_with(pad(rnd({2, 3, 0}), {1, 1}, kReplicate),
                      {"Expected 2D or 3D (batch mode) tensor with possibly 0 batch size and other non-zero "
                       "dimensions for input, but got: [2, 3, 0]"});
  require_throws_with(pad(x, {-3, -1}, kConstant),
                      {"constant_pad_nd: the input size 3, plus negative padding -3 and -1 resulted in a negative "
                       "output size, which is invalid. Check dimension 2 of your input."});
  // A zero batch passes, as PyTorch's.
  CHECK(F::pad(rnd({0, 2, 3}), F::PadFuncOptions({1, 1}).mode(kReflect)).sizes() == IntArrayRef({0, 2, 5}));
}
