// The losses beyond the plain cross_entropy / nll_loss (test_loss.cpp): mse, l1, smooth_l1, huber,
// binary_cross_entropy (with and without logits), nll_loss and cross_entropy with class weights,
// kl_div, margin_ranking and cosine_embedding. Values and gradients against PyTorch
// (tests/fixtures/losses.txt) on every device in float32 and float64, float64 gradchecks, the
// modules and LibTorch's errors.
#include <sstream>

#include "ember/nn.h"
#include "helpers.h"

using namespace ember;
using namespace ember_test;
using V = std::vector<Tensor>;
namespace F = ember::nn::functional;

namespace {
void loss_case(const std::string& name, const TensorFn& fn) { check_case("losses", name, fn); }
/// A stored tensor that is not an input (class weights, BCE targets) on `like`'s device and dtype.
Tensor stored(const std::string& key, const Tensor& like) {
  return fixtures("losses")[key].to(like.device(), like.dtype());
}
}  // namespace

TEST_CASE("mse_loss and l1_loss: each reduction, and broadcasting", "[losses]") {
  const std::pair<const char*, Reduction> reductions[] = {{"mean", kMean}, {"sum", kSum}, {"none", kNone}};
  for (const auto& [tag, r] : reductions) {
    const Reduction red = r;
    loss_case(std::string("mse_") + tag,
              [red](const V& v) { return F::mse_loss(v[0], v[1], F::MSELossFuncOptions(red)); });
    loss_case(std::string("l1_") + tag,
              [red](const V& v) { return F::l1_loss(v[0], v[1], F::L1LossFuncOptions().reduction(red)); });
  }
  loss_case("mse_bcast", [](const V& v) { return F::mse_loss(v[0], v[1]); });
}

TEST_CASE("smooth_l1_loss and huber_loss: beta, delta and reductions", "[losses]") {
  loss_case("smooth_l1", [](const V& v) { return F::smooth_l1_loss(v[0], v[1]); });
  loss_case("smooth_l1_beta05_sum",
            [](const V& v) { return F::smooth_l1_loss(v[0], v[1], F::SmoothL1LossFuncOptions(kSum).beta(0.5)); });
  loss_case("smooth_l1_beta05_sum", [](const V& v) { return F::smooth_l1_loss(v[0], v[1], kSum, 0.5); });
  loss_case("smooth_l1_beta0", [](const V& v) { return F::smooth_l1_loss(v[0], v[1], {}, 0.0); });
  loss_case("huber", [](const V& v) { return F::huber_loss(v[0], v[1]); });
  loss_case("huber_delta05_none",
            [](const V& v) { return F::huber_loss(v[0], v[1], F::HuberLossFuncOptions(kNone).delta(0.5)); });
}

TEST_CASE("binary_cross_entropy: reductions and weight; gradient for the input only", "[losses]") {
  CaseOptions o;
  o.gradcheck = false;  // the target is stored apart (no gradient, as PyTorch's); checked below
  const std::pair<const char*, Reduction> reductions[] = {{"mean", kMean}, {"sum", kSum}, {"none", kNone}};
  for (const auto& [tag, r] : reductions) {
    const std::string name = std::string("bce_") + tag;
    const Reduction red = r;
    check_case(
        "losses", name,
        [name, red](const V& v) {
          return F::binary_cross_entropy(v[0], stored(name + ".target", v[0]),
                                         F::BinaryCrossEntropyFuncOptions().reduction(red));
        },
        o);
  }
  TensorFn weighted = [](const V& v) {
    return F::binary_cross_entropy(v[0], stored("bce_weight.target", v[0]),
                                   F::BinaryCrossEntropyFuncOptions().weight(stored("bce_weight.weight", v[0])));
  };
  check_case("losses", "bce_weight", weighted, o);
  for (Device d : test_devices()) gradcheck(weighted, {fixtures("losses")["bce_weight.in0"]}, d);
}

TEST_CASE("binary_cross_entropy_with_logits: reductions, weight and pos_weight, large logits", "[losses]") {
  const std::pair<const char*, Reduction> reductions[] = {{"mean", kMean}, {"sum", kSum}, {"none", kNone}};
  for (const auto& [tag, r] : reductions) {
    const Reduction red = r;
    loss_case(std::string("bcel_") + tag, [red](const V& v) {
      return F::binary_cross_entropy_with_logits(v[0], v[1],
                                                 F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(red));
    });
  }
  loss_case("bcel_weights", [](const V& v) {
    return F::binary_cross_entropy_with_logits(v[0], v[1],
                                               F::BinaryCrossEntropyWithLogitsFuncOptions()
                                                   .weight(stored("bcel_weights.weight", v[0]))
                                                   .pos_weight(stored("bcel_weights.pos_weight", v[0])));
  });
  loss_case("bcel_large", [](const V& v) {
    return F::binary_cross_entropy_with_logits(v[0], v[1],
                                               F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(kSum));
  });
}

TEST_CASE("nll_loss with class weights: weighted mean, sum, none, ignore_index", "[losses]") {
  auto nll = [](const std::string& name, Reduction r) {
    loss_case(name, [name, r](const V& v) {
      return F::nll_loss(v[0], v[1], F::NLLLossFuncOptions().weight(stored(name + ".weight", v[0])).reduction(r));
    });
  };
  nll("nll_w", kMean);
  nll("nll_w_sum", kSum);
  nll("nll_w_none", kNone);
  nll("nll_w_ignore", kMean);
}

TEST_CASE("cross_entropy with class weights, ignore_index and label smoothing", "[losses]") {
  auto ce = [](const std::string& name, Reduction r, double eps) {
    loss_case(name, [name, r, eps](const V& v) {
      return F::cross_entropy(
          v[0], v[1],
          F::CrossEntropyFuncOptions().weight(stored(name + ".weight", v[0])).reduction(r).label_smoothing(eps));
    });
  };
  ce("ce_w", kMean, 0.0);
  ce("ce_w_sum", kSum, 0.0);
  ce("ce_w_none", kNone, 0.0);
  ce("ce_w_ignore", kMean, 0.0);
  ce("ce_w_smooth", kMean, 0.1);
  ce("ce_w_smooth_ignore", kMean, 0.2);
  ce("ce_w_smooth_sum", kSum, 0.3);
  ce("ce_w_smooth_none", kNone, 0.3);
  ce("ce_w_kdim", kMean, 0.1);
  // All targets ignored: a weighted mean is 0 / 0 = NaN, as PyTorch's, with a zero gradient.
  for (Device d : test_devices()) {
    Tensor x = rnd({3, 4}, kDouble).to(d).requires_grad_(true);
    Tensor w = tensor({1.0, 2.0, 3.0, 4.0}, kDouble).to(d);
    Tensor t = full({3}, -100, TensorOptions(kLong).device(d));
    Tensor l = F::cross_entropy(x, t, F::CrossEntropyFuncOptions().weight(w).label_smoothing(0.1));
    CHECK(std::isnan(l.item<double>()));
    l.backward();
    require_close(x.grad(), zeros({3, 4}, kDouble), 0, 0);
  }
}

TEST_CASE("kl_div: mean, batchmean, sum, none and log_target", "[losses]") {
  // Targets with zeros (t log t taken as 0 there) are stored apart: PyTorch's gradient with respect
  // to them is NaN at 0 (ember's is finite, docs/libtorch_differences.md).
  loss_case("kl_mean", [](const V& v) { return F::kl_div(v[0], stored("kl_mean.target", v[0])); });
  loss_case("kl_batchmean", [](const V& v) {
    return F::kl_div(v[0], stored("kl_batchmean.target", v[0]), F::KLDivFuncOptions(kBatchMean));
  });
  loss_case("kl_sum", [](const V& v) {
    return F::kl_div(v[0], stored("kl_sum.target", v[0]), F::KLDivFuncOptions().reduction(kSum));
  });
  loss_case("kl_none",
            [](const V& v) { return F::kl_div(v[0], stored("kl_none.target", v[0]), F::KLDivFuncOptions(kNone)); });
  loss_case("kl_pos_target", [](const V& v) { return F::kl_div(v[0], v[1], F::KLDivFuncOptions(kBatchMean)); });
  loss_case("kl_log_target", [](const V& v) {
    return F::kl_div(v[0], v[1], F::KLDivFuncOptions().reduction(kBatchMean).log_target(true));
  });
}

TEST_CASE("margin_ranking_loss and cosine_embedding_loss", "[losses]") {
  loss_case("margin_ranking", [](const V& v) {
    return F::margin_ranking_loss(v[0], v[1], stored("margin_ranking.target", v[0]),
                                  F::MarginRankingLossFuncOptions().margin(0.5));
  });
  loss_case("margin_ranking_none", [](const V& v) {
    return F::margin_ranking_loss(v[0], v[1], stored("margin_ranking_none.target", v[0]),
                                  F::MarginRankingLossFuncOptions().reduction(kNone));
  });
  loss_case("cosine_embedding", [](const V& v) { return F::cosine_embedding_loss(v[0], v[1], v[2]); });
  loss_case("cosine_embedding_margin_none", [](const V& v) {
    return F::cosine_embedding_loss(v[0], v[1], v[2],
                                    F::CosineEmbeddingLossFuncOptions().margin(-0.9).reduction(kNone));
  });
  loss_case("cosine_embedding_1d", [](const V& v) { return F::cosine_embedding_loss(v[0], v[1], v[2]); });
}

TEST_CASE("loss modules: LibTorch's printouts, buffers, and the functional forms' values", "[losses][nn]") {
  CHECK(printed(nn::MSELoss()) == "ember::nn::MSELoss()");
  CHECK(printed(nn::MSELoss(kSum)) == "ember::nn::MSELoss()");
  CHECK(printed(nn::L1Loss()) == "ember::nn::L1Loss()");
  CHECK(printed(nn::SmoothL1Loss(nn::SmoothL1LossOptions().beta(0.5))) == "ember::nn::SmoothL1Loss");
  CHECK(printed(nn::HuberLoss()) == "ember::nn::HuberLoss");
  CHECK(printed(nn::BCELoss()) == "ember::nn::BCELoss()");
  CHECK(printed(nn::BCEWithLogitsLoss()) == "ember::nn::BCEWithLogitsLoss()");
  CHECK(printed(nn::NLLLoss()) == "ember::nn::NLLLoss()");
  CHECK(printed(nn::CrossEntropyLoss()) == "ember::nn::CrossEntropyLoss()");
  CHECK(printed(nn::KLDivLoss()) == "ember::nn::KLDivLoss()");
  CHECK(printed(nn::MarginRankingLoss(nn::MarginRankingLossOptions().margin(0.5))) == "ember::nn::MarginRankingLoss()");
  CHECK(printed(nn::CosineEmbeddingLoss()) == "ember::nn::CosineEmbeddingLoss(margin=0)");
  CHECK(printed(nn::CosineEmbeddingLoss(nn::CosineEmbeddingLossOptions().margin(0.5))) ==
        "ember::nn::CosineEmbeddingLoss(margin=0.5)");

  const auto& f = fixtures("losses");
  for (Device d : test_devices()) {
    INFO(device_name(d));
    auto in = [&](const std::string& k) { return f[k].to(d, kDouble); };
    require_close(nn::MSELoss(kSum)(in("mse_sum.in0"), in("mse_sum.in1")), f["mse_sum.out"], 1e-12, 1e-12);
    require_close(nn::SmoothL1Loss(nn::SmoothL1LossOptions(kSum).beta(0.5))(in("smooth_l1_beta05_sum.in0"),
                                                                            in("smooth_l1_beta05_sum.in1")),
                  f["smooth_l1_beta05_sum.out"], 1e-12, 1e-12);
    require_close(nn::HuberLoss(nn::HuberLossOptions(kNone).delta(0.5))(in("huber_delta05_none.in0"),
                                                                        in("huber_delta05_none.in1")),
                  f["huber_delta05_none.out"], 1e-12, 1e-12);
    nn::BCELoss bce(nn::BCELossOptions().weight(in("bce_weight.weight")));
    require_close(bce(in("bce_weight.in0"), in("bce_weight.target")), f["bce_weight.out"], 1e-12, 1e-12);
    nn::BCEWithLogitsLoss bcel(
        nn::BCEWithLogitsLossOptions().weight(in("bcel_weights.weight")).pos_weight(in("bcel_weights.pos_weight")));
    require_close(bcel(in("bcel_weights.in0"), in("bcel_weights.in1")), f["bcel_weights.out"], 1e-12, 1e-12);
    CHECK(bcel->named_buffers().size() == 2);
    nn::CrossEntropyLoss ce(nn::CrossEntropyLossOptions().weight(in("ce_w_smooth.weight")).label_smoothing(0.1));
    require_close(ce(in("ce_w_smooth.in0"), f["ce_w_smooth.in1"].to(d)), f["ce_w_smooth.out"], 1e-12, 1e-12);
    nn::NLLLoss nll(nn::NLLLossOptions().weight(in("nll_w_ignore.weight")));
    require_close(nll(in("nll_w_ignore.in0"), f["nll_w_ignore.in1"].to(d)), f["nll_w_ignore.out"], 1e-12, 1e-12);
    require_close(nn::KLDivLoss(kBatchMean)(in("kl_batchmean.in0"), in("kl_batchmean.target")), f["kl_batchmean.out"],
                  1e-12, 1e-12);
    require_close(nn::MarginRankingLoss(nn::MarginRankingLossOptions().margin(0.5))(
                      in("margin_ranking.in0"), in("margin_ranking.in1"), in("margin_ranking.target")),
                  f["margin_ranking.out"], 1e-12, 1e-12);
    require_close(nn::CosineEmbeddingLoss()(in("cosine_embedding.in0"), in("cosine_embedding.in1"),
                                            f["cosine_embedding.in2"].to(d)),
                  f["cosine_embedding.out"], 1e-12, 1e-12);
    require_close(nn::L1Loss()(in("l1_mean.in0"), in("l1_mean.in1")), f["l1_mean.out"], 1e-12, 1e-12);
  }
}

TEST_CASE("loss errors: LibTorch's checks and words", "[losses][errors]") {
  Tensor x = rand({3, 4});
  require_throws_with([&] { F::mse_loss(x, rand({3, 5})); }, {"mse_loss", "[3, 4]", "[3, 5]"});
  require_throws_with([&] { F::l1_loss(x, rand({2, 4})); }, {"l1_loss", "[3, 4]", "[2, 4]"});
  require_throws_with([&] { F::smooth_l1_loss(x, x, {}, -1.0); }, {"smooth_l1_loss", "negative values for beta"});
  require_throws_with([&] { F::huber_loss(x, x, F::HuberLossFuncOptions().delta(0)); },
                      {"huber_loss", "non-positive values for delta"});
  require_throws_with([&] { F::binary_cross_entropy(x, rand({4})); },
                      {"binary_cross_entropy", "target size ([4])", "input size ([3, 4])"});
  require_throws_with(
      [&] {
        F::binary_cross_entropy(x * 3, rand({3, 4}));
      },
      {"binary_cross_entropy", "all elements of input should be between 0 and 1"});
  require_throws_with(
      [&] {
        F::binary_cross_entropy(x, ones({3, 4}, kLong));
      },
      {"binary_cross_entropy", "Found dtype int64"});
  require_throws_with(
      [&] {
        F::binary_cross_entropy(x, rand({3, 4}), F::BinaryCrossEntropyFuncOptions().weight(rand({5})));
      },
      {"binary_cross_entropy", "[3, 4]", "[5]"});
  require_throws_with(
      [&] { F::binary_cross_entropy_with_logits(x, rand({4})); },
      {"binary_cross_entropy_with_logits", "Target size ([4]) must be the same as input size ([3, 4])"});
  require_throws_with(
      [&] {
        F::binary_cross_entropy_with_logits(x, rand({3, 4}),
                                            F::BinaryCrossEntropyWithLogitsFuncOptions().pos_weight(rand({5})));
      },
      {"[5]"});
  Tensor t = tensor({0, 1, 2}, kLong);
  require_throws_with(
      [&] { F::nll_loss(x, t, F::NLLLossFuncOptions().weight(rand({3}))); },
      {"nll_loss", "weight tensor should be defined either for all 4 classes or no classes", "shape: [3]"});
  require_throws_with(
      [&] {
        F::cross_entropy(x, t, F::CrossEntropyFuncOptions().weight(rand({2, 2})));
      },
      {"cross_entropy", "for all 4 classes", "[2, 2]"});
  require_throws_with([&] { F::cross_entropy(x, t, F::CrossEntropyFuncOptions().weight(ones({4}, kLong))); },
                      {"cross_entropy", "floating-point"});
  require_throws_with([&] { F::kl_div(x, rand({3, 5})); }, {"kl_div", "[3, 4]", "[3, 5]"});
  require_throws_with([&] { F::kl_div(x, ones({3, 4}, kLong)); }, {"kl_div", "Integral inputs not supported"});
  require_throws_with(
      [&] {
        F::margin_ranking_loss(rand({3}), rand({3}), rand({3, 1}));
      },
      {"margin_ranking_loss", "same dimension", "target: [3, 1]"});
  require_throws_with([&] { F::margin_ranking_loss(rand({3}), rand({4}), rand({3})); },
                      {"margin_ranking_loss", "[3]", "[4]"});
  require_throws_with(
      [&] {
        F::cosine_embedding_loss(rand({3, 4}), rand({3, 4}), ones({3, 1}));
      },
      {"cosine_embedding_loss", "0D or 1D target tensor expected"});
  require_throws_with(
      [&] {
        F::cosine_embedding_loss(rand({3, 4, 2}), rand({3, 4, 2}), ones({3}));
      },
      {"cosine_embedding_loss", "1D target tensor expects 2D input tensors", "[3, 4, 2]"});
  require_throws_with([&] { F::cosine_embedding_loss(rand({4}), rand({4}), ones({1})); },
                      {"cosine_embedding_loss", "1D target tensor expects 2D input tensors"});
  require_throws_with(
      [&] {
        F::cosine_embedding_loss(rand({3, 4}), rand({3, 5}), ones({3}));
      },
      {"cosine_embedding_loss", "[3, 4]", "[3, 5]"});
}
