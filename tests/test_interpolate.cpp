// F::interpolate, F::pixel_shuffle and F::pixel_unshuffle against PyTorch 1.13 (float64 fixtures
// from tools/gen_interpolate_fixtures.py), with gradients, gradchecks and the error cases.
#include <sstream>
#include <string>
#include <vector>

#include "ember/nn.h"
#include "helpers.h"

using namespace ember;
namespace F = ember::nn::functional;
using ember_test::require_close;
using ember_test::require_throws_with;

namespace {
// The cases of tools/gen_interpolate_fixtures.py (tests/fixtures/interpolate.txt): NAME.in0, NAME.out
// and NAME.grad0, the gradient of sum(out * g), g = arange(numel) * 0.11 + 0.5.
const std::vector<std::string> kCases = {"nearest_size", "nearest_scale",  "nearest_exact",      "bilinear",
                                         "bilinear_ac",  "bilinear_scale", "bilinear_recompute", "linear",
                                         "trilinear",    "area",           "nearest_1d",         "bicubic",
                                         "bicubic_ac",   "bicubic_scale"};
const ember_test::Fixtures& fx() { return ember_test::fixtures("interpolate"); }

F::InterpolateFuncOptions options_for(const std::string& name) {
  using O = F::InterpolateFuncOptions;
  if (name == "nearest_size") return O().size(std::vector<int64_t>{5, 7}).mode(kNearest);
  if (name == "nearest_scale") return O().scale_factor(std::vector<double>{2.0, 1.5}).mode(kNearest);
  if (name == "nearest_exact") return O().size(std::vector<int64_t>{5, 7}).mode(kNearestExact);
  if (name == "bilinear") return O().size(std::vector<int64_t>{5, 7}).mode(kBilinear).align_corners(false);
  if (name == "bilinear_ac") return O().size(std::vector<int64_t>{5, 7}).mode(kBilinear).align_corners(true);
  if (name == "bilinear_scale")
    return O().scale_factor(std::vector<double>{1.7, 0.6}).mode(kBilinear).align_corners(false);
  if (name == "bilinear_recompute")
    return O().scale_factor(std::vector<double>{1.7, 0.6}).mode(kBilinear).recompute_scale_factor(true);
  if (name == "linear") return O().size(std::vector<int64_t>{8}).mode(kLinear);
  if (name == "trilinear")
    return O().scale_factor(std::vector<double>{2.0, 2.0, 2.0}).mode(kTrilinear).align_corners(true);
  if (name == "area") return O().size(std::vector<int64_t>{2, 3}).mode(kArea);
  if (name == "bicubic") return O().size(std::vector<int64_t>{7, 9}).mode(kBicubic).align_corners(false);
  if (name == "bicubic_ac") return O().size(std::vector<int64_t>{7, 3}).mode(kBicubic).align_corners(true);
  if (name == "bicubic_scale")
    return O().scale_factor(std::vector<double>{2.5, 0.7}).mode(kBicubic).align_corners(false);
  return O().size(std::vector<int64_t>{3}).mode(kNearest);  // nearest_1d
}
}  // namespace

TEST_CASE("interpolate matches PyTorch: nearest, nearest-exact, linear, bilinear, bicubic, trilinear, area",
          "[interpolate]") {
  for (Device d : ember_test::test_devices()) {
    for (ScalarType dt : {kDouble, kFloat}) {
      for (const std::string& name : kCases) {
        INFO(name << " " << dt << " " << d);
        const Tensor& in = fx()[name + ".in0"];
        const Tensor& expected = fx()[name + ".out"];
        Tensor x = in.to(dt).to(d).detach().requires_grad_();  // detach: never the cached fixture itself
        Tensor y = F::interpolate(x, options_for(name));
        REQUIRE(y.sizes() == expected.sizes());
        require_close(y.cpu(), expected, ember_test::tol_for(dt));
        Tensor g = (arange(y.numel(), TensorOptions(kDouble)) * 0.11 + 0.5).reshape(y.sizes()).to(dt).to(d);
        (y * g).sum().backward();
        require_close(x.grad().cpu(), fx()[name + ".grad0"], ember_test::tol_for(dt));
      }
    }
  }
}

TEST_CASE("interpolate: float64 gradcheck of the linear, cubic and nearest modes", "[interpolate]") {
  for (Device d : ember_test::test_devices()) {
    for (const char* name : {"bilinear", "bilinear_ac", "nearest_scale", "trilinear", "bicubic", "bicubic_ac"}) {
      INFO(name);
      ember_test::gradcheck([&](const std::vector<Tensor>& in) { return F::interpolate(in[0], options_for(name)); },
                            {fx()[std::string(name) + ".in0"]}, d);
    }
  }
}

TEST_CASE("interpolate bicubic: an unchanged size copies, a constant stays constant", "[interpolate]") {
  using O = F::InterpolateFuncOptions;
  for (Device d : ember_test::test_devices()) {
    const Tensor x = ember_test::rnd({2, 3, 4, 5}, kDouble).to(d);
    // t = 0 puts all the weight on one tap: an exact copy, with or without align_corners.
    require_close(F::interpolate(x, O().size(std::vector<int64_t>{4, 5}).mode(kBicubic).align_corners(false)).cpu(),
                  x.cpu(), 0, 0);
    require_close(F::interpolate(x, O().size(std::vector<int64_t>{4, 5}).mode(kBicubic).align_corners(true)).cpu(),
                  x.cpu(), 0, 0);
    // The weights sum to 1 and the border is clamped, so a constant image stays constant.
    const Tensor c = full({1, 1, 3, 3}, 2.5, TensorOptions(kDouble).device(d));
    require_close(F::interpolate(c, O().scale_factor(std::vector<double>{2.5, 1.5}).mode(kBicubic)).cpu(),
                  full({1, 1, 7, 4}, 2.5, TensorOptions(kDouble)), 1e-14, 1e-14);
  }
}

TEST_CASE("interpolate: errors in LibTorch's words", "[interpolate][errors]") {
  using O = F::InterpolateFuncOptions;
  Tensor x4 = zeros({1, 1, 4, 4});
  require_throws_with([&] { F::interpolate(x4, O()); }, {"either size or scale_factor should be defined"});
  require_throws_with(
      [&] {
        F::interpolate(x4, O().size(std::vector<int64_t>{2, 2}).scale_factor(std::vector<double>{2, 2}));
      },
      {"only one of size or scale_factor should be defined"});
  require_throws_with([&] { F::interpolate(x4, O().size(std::vector<int64_t>{2})); },
                      {"size shape must match input shape. Input is 2D, size is 1"});
  require_throws_with(
      [&] {
        F::interpolate(x4, O().size(std::vector<int64_t>{8, 8}).align_corners(true));
      },
      {"align_corners option can only be set with the interpolating modes", "kNearest"});
  require_throws_with([&] { F::interpolate(x4, O().size(std::vector<int64_t>{8}).mode(kLinear)); },
                      {"Got 4D input, but kLinear mode needs 3D input"});
  require_throws_with(
      [&] {
        F::interpolate(zeros({4, 4}), O().size(std::vector<int64_t>{8}));
      },
      {"Only 3D, 4D and 5D input Tensors supported (got 2D)"});
  require_throws_with(
      [&] {
        F::interpolate(zeros({1, 1, 4}), O().size(std::vector<int64_t>{8}).mode(kBicubic));
      },
      {"Got 3D input, but kBicubic mode needs 4D input"});
}

TEST_CASE("pixel_shuffle and pixel_unshuffle match PyTorch and invert each other", "[interpolate]") {
  const Tensor& x = fx()["pixel_shuffle.in0"];  // (1, 8, 2, 3)
  const Tensor& expected = fx()["pixel_shuffle.out"];
  for (Device d : ember_test::test_devices()) {
    Tensor y = F::pixel_shuffle(x.to(d), 2);
    require_close(y.cpu(), expected, 0, 0);
    require_close(F::pixel_unshuffle(y, 2).cpu(), x, 0, 0);
    Tensor batched = x.reshape({1, 1, 8, 2, 3}).expand({2, 1, 8, 2, 3}).to(d);
    CHECK(F::pixel_shuffle(batched, 2).sizes() == IntArrayRef({2, 1, 2, 4, 6}));
  }
  require_throws_with(
      [&] {
        F::pixel_shuffle(zeros({1, 6, 2, 2}), 2);
      },
      {"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
       "upscale_factor, but input.size(-3)=6 is not divisible by 4"});
  require_throws_with(
      [&] {
        F::pixel_unshuffle(zeros({1, 1, 3, 4}), 2);
      },
      {"pixel_unshuffle expects height to be divisible by downscale_factor, but input.size(-2)=3 is "
       "not divisible by 2"});
}

TEST_CASE("Upsample, PixelShuffle and PixelUnshuffle modules: forward and LibTorch's printout", "[interpolate][nn]") {
  const Tensor& x = fx()["bilinear.in0"];
  nn::Upsample up(nn::UpsampleOptions().size(std::vector<int64_t>{5, 7}).mode(kBilinear).align_corners(false));
  require_close(up(x), fx()["bilinear.out"], 1e-12, 1e-12);
  std::ostringstream s;
  s << *up;
  CHECK(s.str() == "ember::nn::Upsample(size=[5, 7], mode=kBilinear)");
  nn::Upsample twice(nn::UpsampleOptions().scale_factor(std::vector<double>{2, 1.5}));
  require_close(twice(fx()["nearest_scale.in0"]), fx()["nearest_scale.out"], 0, 0);
  s.str("");
  s << *twice;
  CHECK(s.str() == "ember::nn::Upsample(scale_factor=[2, 1.5], mode=kNearest)");

  nn::PixelShuffle shuffle(2);
  nn::PixelUnshuffle unshuffle(nn::PixelUnshuffleOptions(2));
  const Tensor& p = fx()["pixel_shuffle.in0"];
  require_close(shuffle(p), fx()["pixel_shuffle.out"], 0, 0);
  require_close(unshuffle(shuffle(p)), p, 0, 0);
  s.str("");
  s << *shuffle << " " << *unshuffle;
  CHECK(s.str() == "ember::nn::PixelShuffle(upscale_factor=2) ember::nn::PixelUnshuffle(downscale_factor=2)");
}
