// cumsum and cumprod's CPU kernel (src/cpu/scan.cpp): PyTorch's values (float32 accumulated in
// double, as PyTorch's CPU kernel), every layout (scan along the last dim, along an outer dim
// with more columns than one block, a non-contiguous input, threads), and gradients: the reversed
// scan, cumprod's division by the input without zeros and its composition with them, and
// cumprod's double backward.
#include <limits>

#include "helpers.h"

using namespace ember;
using ember_test::require_close;
using ember_test::require_equal;

TEST_CASE("scan: float32 cumsum and cumprod accumulate in double, as PyTorch's CPU kernel", "[tensorapi][scan]") {
  // torch.tensor([1e8, 1, -1e8]).cumsum(0) == [1e8, 1e8, 1]; float accumulation would give 0.
  require_equal(tensor({1e8f, 1.f, -1e8f}).cumsum(0), tensor({1e8f, 1e8f, 1.f}));
  // Along dim 0 of (3, 2): the column path.
  require_equal(tensor({1e8f, 1.f, -1e8f}).reshape({3, 1}).expand({3, 2}).contiguous().cumsum(0),
                tensor({1e8f, 1e8f, 1.f}).reshape({3, 1}).expand({3, 2}));
  // torch.tensor([1e20, 1e20, 1e-30]).cumprod(0) == [1e20, inf, 1e10].
  const float inf = std::numeric_limits<float>::infinity();
  require_equal(tensor({1e20f, 1e20f, 1e-30f}).cumprod(0), tensor({1e20f, inf, 1e10f}));
  require_equal(tensor({int64_t(3), int64_t(-2), int64_t(5)}).cumprod(0),
                tensor({int64_t(3), int64_t(-6), int64_t(-30)}));
}

TEST_CASE("scan: every dim and layout equals the float64 scan rounded once", "[tensorapi][scan]") {
  // (4, 3, 300): dim 2 is the row path, dims 0 and 1 the column path over 300 columns (two
  // blocks); 3600 elements per slice, threads split (4 * 3 * 300 and the transposed copy).
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    Tensor x = ember_test::rnd({4, 3, 300}) * 0.5 + 1.0;
    for (int64_t d = 0; d < 3; ++d) {
      INFO("dim " << d << ", " << threads << " threads");
      require_equal(x.cumsum(d), x.to(kDouble).cumsum(d).to(kFloat));
      require_equal(x.cumprod(d), x.to(kDouble).cumprod(d).to(kFloat));
      Tensor xt = x.transpose(0, 2);  // non-contiguous
      require_equal(xt.cumsum(d), xt.contiguous().cumsum(d));
    }
    Tensor big = ember_test::rnd({64, 1024});  // above the threading threshold
    require_equal(big.cumsum(1), big.to(kDouble).cumsum(1).to(kFloat));
    require_equal(big.cumsum(0), big.to(kDouble).cumsum(0).to(kFloat));
  }
  set_num_threads(2);
}

TEST_CASE("scan: gradients of cumsum and cumprod, with and without zeros", "[tensorapi][scan]") {
  Tensor x = ember_test::rnd({3, 4, 5}, kDouble) * 0.5 + 1.0;
  for (int64_t d = 0; d < 3; ++d) {
    INFO("dim " << d);
    ember_test::gradcheck([d](const std::vector<Tensor>& in) { return in[0].cumsum(d); }, {x});
    ember_test::gradcheck([d](const std::vector<Tensor>& in) { return in[0].cumprod(d); }, {x});
  }
  Tensor leaf = x.detach().requires_grad_();
  CHECK(leaf.cumprod(1).grad_fn()->name() == "CumprodBackward0");
  // With zeros the exact gradient comes from the recorded composition.
  Tensor z = x.clone();
  z[0][1][2] = 0.0;
  z[2][3][0] = 0.0;
  CHECK(z.detach().requires_grad_().cumprod(1).grad_fn()->name() == "CatBackward0");
  for (int64_t d = 0; d < 3; ++d)
    ember_test::gradcheck([d](const std::vector<Tensor>& in) { return in[0].cumprod(d); }, {z});
}

TEST_CASE("scan: double backward through cumprod agrees with finite differences", "[tensorapi][scan][autograd_api]") {
  ember_test::gradcheck(
      [](const std::vector<Tensor>& in) {
        AutoGradMode enable(true);
        Tensor xi = in[0].requires_grad() ? in[0] : in[0].detach().requires_grad_();
        return autograd::grad({(xi.cumprod(1) * in[1]).sum()}, {xi}, {}, std::nullopt, true)[0];
      },
      {ember_test::rnd({2, 5}, kDouble) * 0.5 + 1.0, ember_test::rnd({2, 5}, kDouble)});
}
