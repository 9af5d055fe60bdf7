// ATen's spellings that LibTorch programs use beside the nn::functional forms: the losses as
// free functions (torch::nll_loss(input, target, weight, reduction, ignore_index), ...),
// constant_pad_nd, in-place comparisons, Tensor::data(), the short dtype names, and
// make_data_loader(dataset, batch_size). Values are hand-computed.
#include <cmath>

#include <ember/torch_compat.h>

#include "helpers.h"

namespace {
double value(const torch::Tensor& t) { return t.item<double>(); }
}  // namespace

TEST_CASE("ATen losses: nll_loss and cross_entropy_loss with weight, reduction and ignore_index", "[compat][loss]") {
  // log-probabilities of two samples over two classes; targets 1 and 0.
  auto logp = torch::tensor({std::log(0.2), std::log(0.8), std::log(0.5), std::log(0.5)}, torch::kF64).view({2, 2});
  auto target = torch::tensor({1, 0}, torch::kI64);
  const double l0 = -std::log(0.8), l1 = -std::log(0.5);
  REQUIRE(value(torch::nll_loss(logp, target)) == Approx((l0 + l1) / 2).epsilon(1e-12));
  REQUIRE(value(torch::nll_loss(logp, target, {}, torch::Reduction::Sum)) == Approx(l0 + l1).epsilon(1e-12));
  auto w = torch::tensor({3.0, 1.0}, torch::kF64);
  // weighted mean: sum(w[t] * l) / sum(w[t]) = (1 * l0 + 3 * l1) / 4
  REQUIRE(value(torch::nll_loss(logp, target, w)) == Approx((l0 + 3 * l1) / 4).epsilon(1e-12));
  REQUIRE(value(torch::nll_loss(logp, target, {}, at::Reduction::Mean, /*ignore_index=*/0)) == Approx(l0));
  auto none = torch::nll_loss2d(logp, target, torch::Tensor(), torch::Reduction::None);
  REQUIRE(none.sizes() == std::vector<int64_t>{2});
  // cross_entropy_loss takes logits: log_softmax of logp is logp itself (rows sum to 1).
  REQUIRE(value(torch::cross_entropy_loss(logp, target)) == Approx((l0 + l1) / 2).epsilon(1e-12));
}

TEST_CASE("ATen losses: the regression and binary losses", "[compat][loss]") {
  auto x = torch::tensor({0.5, 2.0, -1.0}, torch::kF64), y = torch::tensor({0.0, 0.0, 0.0}, torch::kF64);
  REQUIRE(value(torch::mse_loss(x, y)) == Approx((0.25 + 4 + 1) / 3));
  REQUIRE(value(torch::mse_loss(x, y, torch::Reduction::Sum)) == Approx(5.25));
  REQUIRE(value(torch::l1_loss(x, y)) == Approx(3.5 / 3));
  // smooth_l1 (beta 1): 0.5 d^2 where |d| < 1 else |d| - 0.5 -> 0.125, 1.5, 0.5
  REQUIRE(value(torch::smooth_l1_loss(x, y)) == Approx(2.125 / 3));
  REQUIRE(value(torch::smooth_l1_loss(x, y, torch::Reduction::Sum, 2.0)) == Approx(0.0625 + 1.0 + 0.25));
  // huber (delta 1): 0.125, 1.5, 0.5
  REQUIRE(value(torch::huber_loss(x, y, torch::Reduction::Sum)) == Approx(2.125));
  auto p = torch::tensor({0.25, 0.5}, torch::kF64), t = torch::tensor({1.0, 0.0}, torch::kF64);
  const double b0 = -std::log(0.25), b1 = -std::log(0.5);
  REQUIRE(value(torch::binary_cross_entropy(p, t)) == Approx((b0 + b1) / 2));
  auto bw = torch::tensor({2.0, 1.0}, torch::kF64);
  REQUIRE(value(torch::binary_cross_entropy(p, t, bw, torch::Reduction::Sum)) == Approx(2 * b0 + b1));
  // with logits: sigmoid(0) = 0.5 -> log 2 each; pos_weight 3 scales the positive term.
  auto z = torch::zeros({2}, torch::kF64);
  REQUIRE(value(torch::binary_cross_entropy_with_logits(z, t, {}, torch::tensor({3.0, 3.0}, torch::kF64),
                                                        torch::Reduction::Sum)) == Approx(4 * std::log(2.0)));
  // kl_div, elementwise mean: target * (log target - input)
  auto logq = torch::tensor({std::log(0.5), std::log(0.5)}, torch::kF64), pt = torch::tensor({0.25, 0.75}, torch::kF64);
  const double k = 0.25 * (std::log(0.25) - std::log(0.5)) + 0.75 * (std::log(0.75) - std::log(0.5));
  REQUIRE(value(torch::kl_div(logq, pt)) == Approx(k / 2));
  REQUIRE(value(torch::kl_div(logq, pt.log(), torch::Reduction::Sum, /*log_target=*/true)) == Approx(k));
  // margin ranking: max(0, -t (a - b) + margin)
  auto a = torch::tensor({1.0, 2.0}, torch::kF64), b = torch::tensor({2.0, 0.0}, torch::kF64);
  auto r = torch::tensor({1.0, 1.0}, torch::kF64);
  REQUIRE(value(torch::margin_ranking_loss(a, b, r, 0.5, torch::Reduction::Sum)) == Approx(1.5));
  // cosine embedding: orthogonal pair with target 1 -> 1 - 0
  auto u = torch::tensor({1.0, 0.0}, torch::kF64).view({1, 2}), v = torch::tensor({0.0, 1.0}, torch::kF64).view({1, 2});
  REQUIRE(value(torch::cosine_embedding_loss(u, v, torch::tensor({1.0}, torch::kF64))) == Approx(1.0));
}

TEST_CASE("ATen spellings: constant_pad_nd, in-place comparisons, data(), short dtype names", "[compat]") {
  auto x = torch::ones({1, 2, 2});
  auto padded = torch::constant_pad_nd(x, {1, 1, 0, 1}, 7);
  REQUIRE(padded.sizes() == std::vector<int64_t>{1, 3, 4});
  REQUIRE(padded[0][0][0].item<float>() == 7);
  REQUIRE(padded[0][2][1].item<float>() == 7);
  REQUIRE(padded[0][1][1].item<float>() == 1);
  REQUIRE(padded.sum().item<float>() == Approx(4 + 8 * 7));

  // eq_ keeps the tensor's dtype (int64 here) and stores 1 / 0.
  auto pred = torch::tensor({1, 2, 3}, torch::kI64);
  pred.eq_(torch::tensor({1, 0, 3}, torch::kI64));
  REQUIRE(pred.dtype() == torch::kLong);
  REQUIRE(pred.sum().item<int64_t>() == 2);
  auto f = torch::tensor({0.5f, 2.0f});
  f.gt_(1.0);
  REQUIRE(f.dtype() == torch::kF32);
  REQUIRE(f[1].item<float>() == 1.0f);
  REQUIRE(f[0].item<float>() == 0.0f);

  // p.grad().data() = g assigns into the gradient's storage.
  auto p = torch::zeros({2}, torch::requires_grad());
  (p * 3).sum().backward();
  p.grad().data() = p.grad().data() / 3;
  REQUIRE(p.grad()[0].item<float>() == Approx(1.0f));
  REQUIRE_FALSE(p.data().requires_grad());

  REQUIRE(torch::kF32 == torch::kFloat);
  REQUIRE(torch::kF64 == torch::kDouble);
  REQUIRE(torch::kI64 == torch::kLong);
  REQUIRE(torch::kU8 == torch::kByte);
  REQUIRE(torch::kI32 == torch::kInt);
}

TEST_CASE("make_data_loader(dataset, batch_size) takes the number as the batch size", "[compat][data]") {
  auto ds = torch::data::datasets::TensorDataset(torch::arange(10).view({10, 1}));
  auto loader = torch::data::make_data_loader<torch::data::samplers::SequentialSampler>(ds, 4);
  std::vector<int64_t> sizes;
  for (auto& batch : *loader) sizes.push_back(int64_t(batch.size()));
  REQUIRE(sizes == std::vector<int64_t>{4, 4, 2});
}
