// data::color_jitter and data::resize: the properties each adjustment keeps (torchvision's
// formulas: brightness scales, contrast keeps the gray mean, saturation keeps the gray value,
// hue keeps each pixel's max and min channel), identity at zero strength, and PyTorch's resize.
#include "catch.h"
#include "ember/data/transforms.h"
#include "ember/ember.h"

using namespace ember;

namespace {
/// Images with values in [0.35, 0.65]: no adjustment below clamps at 0 or 1.
Tensor mid_images(int64_t n) { return rand({n, 3, 5, 4}, TensorOptions(kDouble)) * 0.3 + 0.35; }
Tensor gray_of(const Tensor& x) { return x.select(1, 0) * 0.299 + x.select(1, 1) * 0.587 + x.select(1, 2) * 0.114; }
}  // namespace

TEST_CASE("color_jitter: zero strengths leave the images alone", "[transforms]") {
  manual_seed(3);
  Tensor x = mid_images(2);
  Tensor y = data::color_jitter(x);
  CHECK(y.equal(x));
  CHECK_FALSE(y.is_same(x));
}

TEST_CASE("color_jitter: each adjustment keeps what torchvision's formula keeps", "[transforms]") {
  manual_seed(4);
  Tensor x = mid_images(6);
  // Brightness: one factor per image in [0.9, 1.1].
  Tensor b = data::color_jitter(x, 0.1);
  Tensor ratio = b / x;
  Tensor lo = std::get<0>(ratio.reshape({6, -1}).min(1)), hi = std::get<0>(ratio.reshape({6, -1}).max(1));
  CHECK((hi - lo).abs().max().item<double>() < 1e-12);
  CHECK(lo.min().item<double>() >= 0.9 - 1e-12);
  CHECK(hi.max().item<double>() <= 1.1 + 1e-12);
  CHECK((hi - 1).abs().max().item<double>() > 1e-6);  // it did change something
  // Contrast: each image's mean gray value stays.
  Tensor c = data::color_jitter(x, 0, 0.2);
  CHECK(gray_of(c).mean({1, 2}).allclose(gray_of(x).mean({1, 2}), 1e-9, 1e-12));
  CHECK_FALSE(c.allclose(x));
  // Saturation: each pixel's gray value stays.
  Tensor s = data::color_jitter(x, 0, 0, 0.3);
  CHECK(gray_of(s).allclose(gray_of(x), 1e-9, 1e-12));
  CHECK_FALSE(s.allclose(x));
  // Hue: each pixel's largest and smallest channel stay (HSV's value and saturation).
  Tensor h = data::color_jitter(x, 0, 0, 0, 0.4);
  CHECK(std::get<0>(h.max(1)).allclose(std::get<0>(x.max(1)), 1e-9, 1e-12));
  CHECK(std::get<0>(h.min(1)).allclose(std::get<0>(x.min(1)), 1e-9, 1e-12));
  CHECK_FALSE(h.allclose(x));
  // Gray pixels have no hue to turn.
  Tensor g = gray_of(x).unsqueeze(1).expand({6, 3, 5, 4}).contiguous();
  CHECK(data::color_jitter(g, 0, 0, 0, 0.5).allclose(g, 1e-9, 1e-12));
  // All four together stay in [0, 1] and repeat under the same seed.
  manual_seed(9);
  Tensor all1 = data::color_jitter(x, 0.4, 0.4, 0.4, 0.1);
  manual_seed(9);
  Tensor all2 = data::color_jitter(x, 0.4, 0.4, 0.4, 0.1);
  CHECK(all1.equal(all2));
  CHECK(all1.min().item<double>() >= 0);
  CHECK(all1.max().item<double>() <= 1);
}

TEST_CASE("color_jitter: bad arguments are errors", "[transforms]") {
  Tensor x = mid_images(1);
  CHECK_THROWS_WITH(data::color_jitter(x, -0.1), Catch::Matchers::Contains("non-negative"));
  CHECK_THROWS_WITH(data::color_jitter(x, 0, 0, 0, 0.6), Catch::Matchers::Contains("hue must be in [0, 0.5]"));
  CHECK_THROWS_WITH(data::color_jitter(x.narrow(1, 0, 1)), Catch::Matchers::Contains("3 channels"));
  CHECK_THROWS_WITH(data::color_jitter(x[0]), Catch::Matchers::Contains("N x C x H x W"));
}

TEST_CASE("resize: bilinear as torchvision's Resize on tensors", "[transforms]") {
  Tensor x = tensor({{{0.f, 1.f}, {2.f, 3.f}}});  // 1 x 2 x 2
  // torch.nn.functional.interpolate(x[None], size=(4, 4), mode='bilinear', align_corners=False)
  Tensor want = tensor(
      {{0.f, 0.25f, 0.75f, 1.f}, {0.5f, 0.75f, 1.25f, 1.5f}, {1.5f, 1.75f, 2.25f, 2.5f}, {2.f, 2.25f, 2.75f, 3.f}});
  Tensor y = data::resize(x, 4, 4);
  CHECK(y.sizes().vec() == std::vector<int64_t>{1, 4, 4});
  CHECK(y[0].allclose(want));
  CHECK(data::resize(x.unsqueeze(0).expand({2, 1, 2, 2}), 3, 2)[1][0].allclose(
      tensor({{0.f, 1.f}, {1.f, 2.f}, {2.f, 3.f}})));
  CHECK_THROWS_WITH(data::resize(x, 0, 3), Catch::Matchers::Contains("positive"));
  CHECK_THROWS_WITH(data::resize(x[0], 2, 2), Catch::Matchers::Contains("C x H x W"));
}
