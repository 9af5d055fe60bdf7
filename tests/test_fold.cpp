// Unfold and Fold, as LibTorch 1.13's: F::unfold / F::fold, nn::Unfold / nn::Fold and ATen's
// im2col / col2im. Values and gradients against PyTorch (tests/fixtures/layers3d.txt,
// tools/gen_layers3d_fixtures.py) in float32 and float64 on every test device, float64 gradchecks
// (double backward included), node names, printout and errors in LibTorch's words.
#include "ember/ember.h"
#include "ember/nn/fold.h"
#include "helpers.h"

using namespace ember;
using ember_test::check_case;
using ember_test::printed;
using ember_test::require_throws_with;
using ember_test::rnd;
using V = std::vector<Tensor>;
namespace F = ember::nn::functional;

TEST_CASE("F::unfold and F::fold against PyTorch", "[fold]") {
  check_case("layers3d", "unfold", [](const V& v) {
    return F::unfold(v[0], F::UnfoldFuncOptions({2, 3}).dilation({1, 2}).padding(1).stride({2, 1}));
  });
  check_case("layers3d", "fold", [](const V& v) {
    return F::fold(v[0], F::FoldFuncOptions({5, 6}, {2, 3}).dilation({1, 2}).padding(1).stride({2, 1}));
  });
  check_case("layers3d", "fold_unbatched", [](const V& v) { return nn::Fold(nn::FoldOptions(4, 2))(v[0]); });
}

TEST_CASE("Unfold / Fold: node names, double backward, modules, errors", "[fold]") {
  Tensor x = rnd({1, 2, 4, 5}, kDouble).requires_grad_();
  Tensor cols = F::unfold(x, F::UnfoldFuncOptions(2));
  CHECK(ember_test::node_name(cols) == "Im2ColBackward0");
  CHECK(ember_test::node_name(F::fold(cols, F::FoldFuncOptions({4, 5}, 2))) == "Col2ImBackward0");
  CHECK(im2col(x[0], {2, 2}, {1, 1}, {0, 0}, {1, 1}).sizes() == IntArrayRef({8, 12}));
  // fold(unfold(x)) counts each element once per block that holds it.
  Tensor counts = F::fold(F::unfold(ones({1, 1, 4, 5}), F::UnfoldFuncOptions(2)), F::FoldFuncOptions({4, 5}, 2));
  ember_test::require_close(counts.select(0, 0).select(0, 0).select(0, 1),
                            tensor({2., 4., 4., 4., 2.}).to(counts.dtype()), 0, 0);
  ember_test::gradcheck(
      [](const V& in) {
        AutoGradMode enable(true);  // gradcheck's finite differences run under NoGradGuard
        const Tensor x = in[0].requires_grad() ? in[0] : in[0].detach().requires_grad_();
        const V v{x};
        const Tensor s = F::fold(F::unfold(v[0], F::UnfoldFuncOptions(2).padding(1)).pow(2),
                                 F::FoldFuncOptions({4, 5}, 2).padding(1))
                             .pow(2)
                             .sum();
        return autograd::grad({s}, {v[0]}, {}, true, true)[0];
      },
      {x.detach()});

  CHECK(printed(nn::Unfold(nn::UnfoldOptions({2, 3}).dilation(2).padding(1).stride(1))) ==
        "ember::nn::Unfold(kernel_size=[2, 3], dilation=[2, 2], padding=[1, 1], stride=[1, 1])");
  CHECK(printed(nn::Fold(nn::FoldOptions({4, 5}, {2, 3}))) ==
        "ember::nn::Fold(output_size=[4, 5], kernel_size=[2, 3], dilation=[1, 1], padding=[0, 0], stride=[1, 1])");
  CHECK(nn::Unfold(nn::UnfoldOptions(3).padding(1))(x).sizes() == IntArrayRef({1, 18, 20}));

  require_throws_with([&] { F::unfold(x[0], F::UnfoldFuncOptions(2)); },
                      {"Input Error: Only 4D input Tensors are supported (got 3D)"});
  require_throws_with([&] { F::unfold(x, F::UnfoldFuncOptions(5)); },
                      {"calculated shape of the array of sliding blocks as (0, 1), but its components must be at "
                       "least one"});
  require_throws_with([&] { F::unfold(x, F::UnfoldFuncOptions(2).stride(0)); },
                      {"stride should be greater than zero, but got stride_height: 0 stride_width: 0"});
  require_throws_with(
      [&] {
        F::fold(rnd({1, 5, 4}), F::FoldFuncOptions({3, 3}, 2));
      },
      {"divisible by the product of kernel_size, but got input.size(1)=5 and kernel_size=(2, 2)"});
  require_throws_with(
      [&] {
        F::fold(rnd({1, 8, 5}), F::FoldFuncOptions({3, 3}, 2));
      },
      {"calculated number of sliding blocks 2 * 2 = 4, but got input.size(2)=5"});
  require_throws_with(
      [&] {
        F::fold(rnd({1, 1, 8, 5}), F::FoldFuncOptions({3, 3}, 2));
      },
      {"Only unbatched (2D) or batched (3D) input Tensors are supported (got 4D)"});
}
