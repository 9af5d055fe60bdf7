// Reductions (sum, mean, max, min, argmax, argmin) and softmax / log_softmax: values and
// gradients against PyTorch (tests/fixtures/reduce.txt), plus float64 gradchecks.
#include "helpers.h"

using namespace ember;
using namespace ember_test;
using V = std::vector<Tensor>;

namespace {
void reduce_case(const std::string& name, const ember_test::TensorFn& fn) { check_case("reduce", name, fn); }
CaseOptions indices_of(const std::string& out) {
  CaseOptions o;
  o.out = out;
  o.grads = false;
  o.gradcheck = false;
  return o;
}
}  // namespace

TEST_CASE("sum: all, one dim, negative dim with keepdim, several dims", "[reduce]") {
  reduce_case("sum_all", [](const V& v) { return v[0].sum(); });
  reduce_case("sum_all", [](const V& v) { return sum(v[0]); });
  reduce_case("sum_dim1", [](const V& v) { return v[0].sum({1}); });
  reduce_case("sum_dim_neg_keepdim", [](const V& v) { return v[0].sum({-1}, true); });
  reduce_case("sum_dims02", [](const V& v) { return sum(v[0], {0, 2}); });
  reduce_case("sum_dims02_keepdim", [](const V& v) { return v[0].sum({0, 2}, true); });
}

TEST_CASE("mean: all, one dim, negative dim with keepdim, several dims", "[reduce]") {
  reduce_case("mean_all", [](const V& v) { return v[0].mean(); });
  reduce_case("mean_dim0", [](const V& v) { return mean(v[0], {0}); });
  reduce_case("mean_dim_neg_keepdim", [](const V& v) { return v[0].mean({-1}, true); });
  reduce_case("mean_dims12", [](const V& v) { return v[0].mean({1, 2}); });
  reduce_case("mean_dims01_keepdim", [](const V& v) { return mean(v[0], {0, 1}, true); });
}

TEST_CASE("max and min of all elements", "[reduce]") {
  reduce_case("max_all", [](const V& v) { return v[0].max(); });
  reduce_case("max_all", [](const V& v) { return max(v[0]); });
  reduce_case("min_all", [](const V& v) { return v[0].min(); });
}

TEST_CASE("max(dim) and min(dim): values with gradients, and indices", "[reduce]") {
  reduce_case("max_dim1", [](const V& v) { return std::get<0>(v[0].max(1)); });
  check_case(
      "reduce", "max_dim1", [](const V& v) { return std::get<1>(v[0].max(1)); }, indices_of("out1"));
  reduce_case("max_dim_neg_keepdim", [](const V& v) { return std::get<0>(max(v[0], -1, true)); });
  check_case(
      "reduce", "max_dim_neg_keepdim", [](const V& v) { return std::get<1>(max(v[0], -1, true)); }, indices_of("out1"));
  reduce_case("min_dim0", [](const V& v) { return std::get<0>(v[0].min(0)); });
  check_case(
      "reduce", "min_dim0", [](const V& v) { return std::get<1>(v[0].min(0)); }, indices_of("out1"));
  reduce_case("min_dim2_keepdim", [](const V& v) { return std::get<0>(min(v[0], 2, true)); });
  check_case(
      "reduce", "min_dim2_keepdim", [](const V& v) { return std::get<1>(min(v[0], 2, true)); }, indices_of("out1"));
}

TEST_CASE("argmax and argmin", "[reduce]") {
  auto o = indices_of("out");
  check_case(
      "reduce", "argmax_all", [](const V& v) { return v[0].argmax(); }, o);
  check_case(
      "reduce", "argmax_dim1", [](const V& v) { return argmax(v[0], 1); }, o);
  check_case(
      "reduce", "argmax_dim_neg_keepdim", [](const V& v) { return v[0].argmax(-1, true); }, o);
  check_case(
      "reduce", "argmin_dim2", [](const V& v) { return argmin(v[0], 2); }, o);
}

TEST_CASE("log_softmax and softmax", "[reduce][softmax]") {
  reduce_case("log_softmax_dim1", [](const V& v) { return v[0].log_softmax(1); });
  reduce_case("log_softmax_dim0", [](const V& v) { return log_softmax(v[0], 0); });
  reduce_case("log_softmax_3d", [](const V& v) { return log_softmax(v[0], -1); });
  reduce_case("log_softmax_3d_mid", [](const V& v) { return v[0].log_softmax(1); });
  reduce_case("softmax_dim1", [](const V& v) { return softmax(v[0], 1); });
  reduce_case("softmax_3d", [](const V& v) { return v[0].softmax(1); });
}

TEST_CASE("log_softmax and softmax stay finite for large logits", "[reduce][softmax]") {
  reduce_case("log_softmax_large", [](const V& v) { return log_softmax(v[0], 1); });
  reduce_case("softmax_large", [](const V& v) { return softmax(v[0], 1); });
}

TEST_CASE("reductions of integer and bool tensors give int64, as LibTorch", "[reduce]") {
  for (Device d : ember_test::test_devices()) {
    INFO("device " << d);
    Tensor i = tensor({{1, 2, 3}, {4, 5, 6}}, TensorOptions(kLong).device(d));
    Tensor b = tensor({true, false, true, true}, TensorOptions(kBool).device(d));
    ember_test::require_equal(i.sum(), tensor(21, kLong).view({}));
    ember_test::require_equal(i.sum({0}), tensor({5, 7, 9}, kLong));
    ember_test::require_equal(b.sum(), tensor(3, kLong).view({}));
    ember_test::require_equal(i.max(), tensor(6, kLong).view({}));
    ember_test::require_equal(argmax(i, 1), tensor({2, 2}, kLong));
    // mean with an explicit floating dtype works on an int tensor.
    ember_test::require_close(i.mean(kDouble), tensor(3.5, kDouble).view({}), 0, 0);
    CHECK(i.sum().item<int64_t>() == 21);
  }
}

TEST_CASE("sum of many float32 values is accurate", "[reduce]") {
  // 1e6 copies of 0.1f: a naive float32 running sum drifts by ~1%; PyTorch's is within ~1e-6.
  for (Device d : ember_test::test_devices()) {
    INFO("device " << d);
    Tensor x = full({1000000}, 0.1f, TensorOptions(kFloat).device(d));
    double exact = 1e6 * double(0.1f);
    double s = x.sum().item<float>();
    CHECK(std::abs(s - exact) / exact < 1e-5);
    double m = x.mean().item<float>();
    CHECK(std::abs(m - 0.1) < 1e-6);
  }
}
