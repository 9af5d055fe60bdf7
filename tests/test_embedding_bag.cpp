// EmbeddingBag, as LibTorch 1.13's: F::embedding_bag, torch::embedding_bag and nn::EmbeddingBag.
// Values and gradients against PyTorch (tests/fixtures/layers3d.txt, tools/gen_layers3d_fixtures.py)
// in float32 and float64 on every test device, float64 gradchecks, ATen's extra outputs, the
// module's printout, initialisation and from_pretrained, and errors in LibTorch's words.
#include "ember/ember.h"
#include "ember/nn/embedding_bag.h"
#include "helpers.h"

using namespace ember;
using ember_test::check_case;
using ember_test::printed;
using ember_test::require_throws_with;
using V = std::vector<Tensor>;
namespace F = ember::nn::functional;

TEST_CASE("F::embedding_bag against PyTorch", "[embedding_bag]") {
  const auto bags = [](F::EmbeddingBagFuncOptions o) {
    return [o](const V& v) mutable { return F::embedding_bag(v[1], v[0], o.offsets(v[2])); };
  };
  check_case("layers3d", "eb_sum", bags(F::EmbeddingBagFuncOptions().mode(kSum)));
  check_case("layers3d", "eb_mean", bags(F::EmbeddingBagFuncOptions()));
  check_case("layers3d", "eb_max", bags(F::EmbeddingBagFuncOptions().mode(kMax)));
  check_case("layers3d", "eb_mean_pad", bags(F::EmbeddingBagFuncOptions().mode(kMean).padding_idx(2)));
  check_case("layers3d", "eb_max_pad", bags(F::EmbeddingBagFuncOptions().mode(kMax).padding_idx(-4)));
  check_case("layers3d", "eb_mean_last", bags(F::EmbeddingBagFuncOptions().include_last_offset(true)));
  check_case("layers3d", "eb_max_last", bags(F::EmbeddingBagFuncOptions().mode(kMax).include_last_offset(true)));
  check_case("layers3d", "eb_sum_psw_pad", [](const V& v) {
    return F::embedding_bag(
        v[1], v[0], F::EmbeddingBagFuncOptions().offsets(v[2]).mode(kSum).per_sample_weights(v[3]).padding_idx(2));
  });
  check_case("layers3d", "eb_2d_sum_psw", [](const V& v) {
    return F::embedding_bag(v[1], v[0], F::EmbeddingBagFuncOptions().mode(kSum).per_sample_weights(v[2]));
  });
  check_case("layers3d", "eb_2d_max",
             [](const V& v) { return F::embedding_bag(v[1], v[0], F::EmbeddingBagFuncOptions().mode(kMax)); });
}

TEST_CASE("torch::embedding_bag's four outputs and node name", "[embedding_bag]") {
  for (Device d : ember_test::test_devices()) {
    Tensor w = arange(18., TensorOptions(kDouble).device(d)).view({6, 3}).requires_grad_();
    Tensor idx = tensor({1, 2, 4, 5, 4, 3, 2, 0}, kLong).to(d), off = tensor({0, 2, 2, 5}, kLong).to(d);
    // Values checked by hand against PyTorch 1.13 (padding_idx 2).
    auto [sum, o2b, size_sum, maxi_sum] = embedding_bag(w, idx, off, false, 0, false, {}, false, 2);
    ember_test::require_equal(o2b.cpu(), tensor({0, 0, 2, 2, 2, 3, 3, 3}, kLong));
    ember_test::require_equal(size_sum.cpu(), zeros({4}, kLong));
    ember_test::require_equal(maxi_sum.cpu(), zeros({4}, kLong));
    CHECK(ember_test::node_name(sum) == "EmbeddingBagBackward0");
    auto [mean, o2b_m, size_mean, maxi_mean] = embedding_bag(w, idx, off, false, 1, false, {}, false, 2);
    ember_test::require_equal(size_mean.cpu(), tensor({1, 0, 3, 2}, kLong));
    ember_test::require_equal(maxi_mean.cpu(), tensor({1, 0, 3, 2}, kLong));
    auto [mx, o2b_x, size_max, maxi] = embedding_bag(w, idx, off, false, 2, false, {}, false, 2);
    ember_test::require_equal(maxi.cpu(), tensor({1, 1, 1, 0, 0, 0, 5, 5, 5, 3, 3, 3}, kLong).view({4, 3}));
    ember_test::require_close(mx.cpu(), tensor({3., 4, 5, 0, 0, 0, 15, 16, 17, 9, 10, 11}, kDouble).view({4, 3}), 0, 0);
    // Max routes each column's gradient to the row of its maximum; an empty bag sends none.
    mx.sum().backward();
    Tensor expected = zeros({6, 3}, kDouble);
    expected.select(0, 1).fill_(1);
    expected.select(0, 5).fill_(1);
    expected.select(0, 3).fill_(1);
    ember_test::require_close(w.grad().cpu(), expected, 0, 0);
  }
}

TEST_CASE("nn::EmbeddingBag module", "[embedding_bag][module]") {
  manual_seed(3);
  nn::EmbeddingBag bag(nn::EmbeddingBagOptions(5, 3).mode(kSum).padding_idx(1));
  CHECK(bag->weight.sizes() == IntArrayRef({5, 3}));
  CHECK(bag->weight.select(0, 1).abs().sum().item<double>() == 0);
  Tensor out = bag(tensor({0, 1, 4, 4}, kLong), tensor({0, 1}, kLong));
  ember_test::require_close(out.select(0, 0), bag->weight.select(0, 0), 0, 0);
  ember_test::require_close(out.select(0, 1), bag->weight.select(0, 4) * 2, 1e-6, 1e-6);
  Tensor psw = tensor({1.f, 2.f, 3.f, 0.5f});
  ember_test::require_close(bag(tensor({0, 1, 4, 4}, kLong), tensor({0, 1}, kLong), psw).select(0, 1),
                            bag->weight.select(0, 4) * 3.5, 1e-6, 1e-6);

  CHECK(printed(nn::EmbeddingBag(5, 3)) == "ember::nn::EmbeddingBag(num_embeddings=5, embedding_dim=3)");
  CHECK(printed(nn::EmbeddingBag(
            nn::EmbeddingBagOptions(5, 3).mode(kMax).padding_idx(1).max_norm(2.0).include_last_offset(true).norm_type(
                1.5))) ==
        "ember::nn::EmbeddingBag(num_embeddings=5, embedding_dim=3, max_norm=2, norm_type=1.5, mode=kMax, "
        "include_last_offset=true, padding_idx=1)");
  CHECK(printed(nn::EmbeddingBag(nn::EmbeddingBagOptions(5, 3).mode(kSum))) ==
        "ember::nn::EmbeddingBag(num_embeddings=5, embedding_dim=3, mode=kSum)");

  Tensor table = tensor({1., 2., 3., 4., 5., 6.}, kDouble).view({3, 2});
  auto frozen = nn::EmbeddingBag::from_pretrained(table, nn::EmbeddingBagFromPretrainedOptions().mode(kMax));
  CHECK(!frozen->weight.requires_grad());
  ember_test::require_close(frozen(tensor({0, 2, 1, 1}, kLong).view({2, 2})),
                            tensor({5., 6., 3., 4.}, kDouble).view({2, 2}), 0, 0);
  auto trainable =
      nn::EmbeddingBag::from_pretrained(table.clone(), nn::EmbeddingBagFromPretrainedOptions().freeze(false));
  CHECK(trainable->weight.requires_grad());

  // int32 indices and offsets, as LibTorch takes them.
  Tensor idx32 = tensor({0, 1, 4, 4}, kLong).to(kInt), off32 = tensor({0, 1}, kLong).to(kInt);
  ember_test::require_equal(bag(idx32, off32), bag(tensor({0, 1, 4, 4}, kLong), tensor({0, 1}, kLong)));

  // max_norm renormalises the looked-up rows in place, as LibTorch's.
  Tensor big = tensor({3., 4., 0.3, 0.4}, kDouble).view({2, 2});
  F::embedding_bag(tensor({0, 1}, kLong), big, F::EmbeddingBagFuncOptions().offsets(tensor({0}, kLong)).max_norm(1.0));
  CHECK(big.select(0, 0).norm().item<double>() == Approx(1.0).epsilon(1e-6));
  CHECK(big.select(0, 1).norm().item<double>() == Approx(0.5));
}

TEST_CASE("F::embedding_bag errors", "[embedding_bag][errors]") {
  Tensor w = zeros({6, 3});
  Tensor idx = tensor({1, 2, 4, 5}, kLong);
  auto opts = [] { return F::EmbeddingBagFuncOptions(); };
  require_throws_with(
      [&] {
        F::embedding_bag(idx, w, opts().offsets(tensor({1, 2}, kLong)));
      },
      {"embedding_bag", "offsets[0] has to be 0", "got 1"});
  require_throws_with(
      [&] {
        F::embedding_bag(idx, w, opts().offsets(tensor({0, 9}, kLong)));
      },
      {"offsets[-1] can not be greater than input's length 4", "offsets[-1] of 9"});
  require_throws_with(
      [&] {
        F::embedding_bag(tensor({1, 7}, kLong), w, opts().offsets(tensor({0}, kLong)));
      },
      {"Expected idx >= 0 && idx < num_embeddings but found idx to be 7"});
  require_throws_with([&] { F::embedding_bag(idx.to(kFloat), w, opts().offsets(tensor({0}, kLong))); },
                      {"embedding_bag", "Long, Int", "float"});
  require_throws_with([&] { F::embedding_bag(idx, w); }, {"offsets has to be a 1D Tensor but got null"});
  require_throws_with([&] { F::embedding_bag(idx, w, opts().offsets(tensor({{0}}, kLong))); },
                      {"offsets has to be a 1D Tensor"});
  require_throws_with(
      [&] {
        F::embedding_bag(idx.view({2, 2}), w, opts().offsets(tensor({0}, kLong)));
      },
      {"If input is 2D, then offsets has to be null"});
  require_throws_with(
      [&] {
        F::embedding_bag(idx.view({1, 2, 2}), w);
      },
      {"input has to be 1D or 2D Tensor, but got Tensor of dimension 3"});
  require_throws_with(
      [&] { F::embedding_bag(idx, w, opts().offsets(tensor({0}, kLong)).mode(kMean).per_sample_weights(ones({4}))); },
      {"per_sample_weights is only supported for mode='kSum' (got mode='kMean')"});
  require_throws_with(
      [&] { F::embedding_bag(idx, w, opts().offsets(tensor({0}, kLong)).mode(kSum).per_sample_weights(ones({3}))); },
      {"If per_sample_weights ([3]) is not null, then it must have the same shape as the input ([4])"});
  require_throws_with(
      [&] {
        F::embedding_bag(idx, w, opts().offsets(tensor({0}, kLong)).mode(kSum).per_sample_weights(ones({4}, kDouble)));
      },
      {"embedding_bag", "per_sample_weights", "dtype"});
  require_throws_with([&] { F::embedding_bag(idx, w, opts().offsets(tensor({0}, kLong)).padding_idx(7)); },
                      {"padding_idx must be within the number of embeddings, -6 through 5, but got 7"});
  require_throws_with(
      [&] { embedding_bag(w, idx, zeros({0}, kLong), false, 0, false, {}, /*include_last_offset=*/true); },
      {"include_last_offset: number of offset should be at least 1"});
  require_throws_with([&] { F::embedding_bag(idx, w, opts().offsets(tensor({0}, kLong)).mode(kNone)); },
                      {"mode has to be one of sum, mean or max"});
  require_throws_with(
      [&] { F::embedding_bag(idx, w, opts().offsets(tensor({0}, kLong)).mode(kMax).scale_grad_by_freq(true)); },
      {"max mode does not support scaling the gradient by the frequency"});
  require_throws_with([&] { nn::EmbeddingBag(nn::EmbeddingBagOptions(5, 3).padding_idx(5)); },
                      {"Padding_idx must be within num_embeddings"});
}
