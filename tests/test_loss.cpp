// cross_entropy (reductions, label smoothing, ignore_index) and dropout from
// ember::nn::functional: values and gradients against PyTorch (tests/fixtures/loss.txt), plus
// float64 gradchecks.
#include "helpers.h"

using namespace ember;
using ember_test::check_case;
using V = std::vector<Tensor>;

#if !defined(EMBER_TEST_HAVE_FUNCTIONAL)
TEST_CASE("include/ember/functional.h exists", "[loss][functional]") {
  FAIL(
      "include/ember/functional.h is missing: the functional tests (cross_entropy, dropout, gelu, "
      "linear, F::conv2d, F::max_pool2d) were not compiled");
}
#else
namespace F = ember::nn::functional;

TEST_CASE("cross_entropy: mean (default), sum and none", "[loss]") {
  check_case("loss", "ce_mean", [](const V& v) { return F::cross_entropy(v[0], v[1]); });
  check_case("loss", "ce_mean",
             [](const V& v) { return F::cross_entropy(v[0], v[1], F::CrossEntropyFuncOptions().reduction(kMean)); });
  check_case("loss", "ce_sum",
             [](const V& v) { return F::cross_entropy(v[0], v[1], F::CrossEntropyFuncOptions().reduction(kSum)); });
  check_case("loss", "ce_none",
             [](const V& v) { return F::cross_entropy(v[0], v[1], F::CrossEntropyFuncOptions().reduction(kNone)); });
}

TEST_CASE("cross_entropy: label smoothing with each reduction", "[loss]") {
  check_case("loss", "ce_smooth", [](const V& v) {
    return F::cross_entropy(v[0], v[1], F::CrossEntropyFuncOptions().label_smoothing(0.1));
  });
  check_case("loss", "ce_smooth_sum", [](const V& v) {
    return F::cross_entropy(v[0], v[1], F::CrossEntropyFuncOptions().reduction(kSum).label_smoothing(0.2));
  });
  check_case("loss", "ce_smooth_none", [](const V& v) {
    return F::cross_entropy(v[0], v[1], F::CrossEntropyFuncOptions().reduction(kNone).label_smoothing(0.3));
  });
}

TEST_CASE("cross_entropy: ignore_index (default -100 and explicit)", "[loss]") {
  check_case("loss", "ce_ignore_default", [](const V& v) { return F::cross_entropy(v[0], v[1]); });
  check_case("loss", "ce_ignore_none",
             [](const V& v) { return F::cross_entropy(v[0], v[1], F::CrossEntropyFuncOptions().reduction(kNone)); });
  check_case("loss", "ce_ignore_index1",
             [](const V& v) { return F::cross_entropy(v[0], v[1], F::CrossEntropyFuncOptions().ignore_index(1)); });
  check_case("loss", "ce_ignore_index1_sum", [](const V& v) {
    return F::cross_entropy(v[0], v[1], F::CrossEntropyFuncOptions().ignore_index(1).reduction(kSum));
  });
  check_case("loss", "ce_ignore_smooth", [](const V& v) {
    return F::cross_entropy(v[0], v[1], F::CrossEntropyFuncOptions().ignore_index(1).label_smoothing(0.1));
  });
}

TEST_CASE("cross_entropy: spatial targets (N, C, d1) with (N, d1)", "[loss]") {
  check_case("loss", "ce_kdim", [](const V& v) { return F::cross_entropy(v[0], v[1]); });
}

TEST_CASE("nll_loss: mean, and sum with ignore_index", "[loss]") {
  check_case("loss", "nll_mean", [](const V& v) { return F::nll_loss(v[0], v[1]); });
  check_case("loss", "nll_sum_ignore", [](const V& v) {
    return F::nll_loss(v[0], v[1], F::NLLLossFuncOptions().ignore_index(1).reduction(kSum));
  });
}

TEST_CASE("cross_entropy: large logits stay finite", "[loss]") {
  check_case("loss", "ce_large_logits", [](const V& v) { return F::cross_entropy(v[0], v[1]); });
}

TEST_CASE("F::log_softmax and F::softmax take a dim (LogSoftmaxFuncOptions)", "[loss][softmax]") {
  check_case("reduce", "log_softmax_dim1", [](const V& v) { return F::log_softmax(v[0], 1); });
  check_case("reduce", "softmax_dim1", [](const V& v) { return F::softmax(v[0], 1); });
  check_case("reduce", "log_softmax_dim0",
             [](const V& v) { return F::log_softmax(v[0], F::LogSoftmaxFuncOptions(0)); });
}

TEST_CASE("dropout: identity in eval mode and for p = 0; zeros for p = 1", "[loss][dropout]") {
  for (Device d : ember_test::test_devices()) {
    INFO("device " << d);
    manual_seed(1);
    Tensor x = randn({4, 5}, TensorOptions(kDouble).device(d));
    ember_test::require_close(F::dropout(x, F::DropoutFuncOptions().p(0.5).training(false)), x, 0, 0);
    ember_test::require_close(F::dropout(x, F::DropoutFuncOptions().p(0.0).training(true)), x, 0, 0);
    ember_test::require_close(F::dropout(x, F::DropoutFuncOptions().p(1.0).training(true)), zeros({4, 5}, kDouble), 0,
                              0);
    ember_test::require_close(dropout(x, 0.5, false), x, 0, 0);
  }
}

TEST_CASE("dropout in training: drops about p, scales the kept by 1/(1-p), gradient follows the mask",
          "[loss][dropout]") {
  for (Device d : ember_test::test_devices()) {
    INFO("device " << d);
    manual_seed(2);
    const double p = 0.3;
    Tensor x = ones({100000}, TensorOptions(kDouble).device(d)).requires_grad_(true);
    Tensor y = F::dropout(x, F::DropoutFuncOptions().p(p));  // training defaults to true
    std::vector<double> yv = ember_test::values(y);
    int64_t dropped = 0, bad = 0;
    for (double v : yv) {
      if (v == 0) ++dropped;
      else if (std::abs(v - 1 / (1 - p)) > 1e-12) ++bad;
    }
    CHECK(bad == 0);
    // Binomial(1e5, 0.3): standard deviation ~145; allow 5 of them.
    CHECK(std::abs(double(dropped) - p * 1e5) < 5 * 145);
    y.sum().backward();
    ember_test::require_close(x.grad(), y.detach(), 0, 0);
    // Seeded: the same seed gives the same mask.
    manual_seed(2);
    Tensor y2 = F::dropout(x.detach(), F::DropoutFuncOptions().p(p));
    ember_test::require_close(y2, y.detach(), 0, 0);
  }
}

TEST_CASE("cross_entropy errors name the op, shapes and the rule", "[loss][errors]") {
  Tensor logits = zeros({3, 4});
  ember_test::require_throws_with(
      [&] {
        F::cross_entropy(logits, tensor({0.0, 1.0, 2.0}));
      },
      {"cross_entropy", "float32"});
  ember_test::require_throws_with([&] { F::cross_entropy(logits, tensor({0, 4, 1}, kLong)); }, {"cross_entropy", "4"});
  ember_test::require_throws_with(
      [&] {
        F::cross_entropy(logits, tensor({0, -1, 1}, kLong));
      },
      {"cross_entropy", "-1"});
  ember_test::require_throws_with(
      [&] {
        F::cross_entropy(logits, tensor({0, 1}, kLong));
      },
      {"cross_entropy", "(3)", "(2)"});
}
#endif
