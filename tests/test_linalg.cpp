// mm and matmul (every rank combination LibTorch accepts, and batch broadcasting): values and
// gradients against PyTorch (tests/fixtures/linalg.txt), plus float64 gradchecks.
#include "helpers.h"

using namespace ember;
using ember_test::check_case;
using V = std::vector<Tensor>;

TEST_CASE("mm", "[linalg]") {
  check_case("linalg", "mm", [](const V& v) { return v[0].mm(v[1]); });
  check_case("linalg", "mm", [](const V& v) { return mm(v[0], v[1]); });
}

TEST_CASE("mm of transposed (non-contiguous) operands", "[linalg]") {
  check_case("linalg", "mm_transposed", [](const V& v) { return v[0].t().mm(v[1].t()); });
}

TEST_CASE("matmul: 1-D and 2-D operands", "[linalg]") {
  check_case("linalg", "matmul_1d_1d", [](const V& v) { return v[0].matmul(v[1]); });
  check_case("linalg", "matmul_2d_1d", [](const V& v) { return matmul(v[0], v[1]); });
  check_case("linalg", "matmul_1d_2d", [](const V& v) { return v[0].matmul(v[1]); });
  check_case("linalg", "matmul_2d_2d", [](const V& v) { return matmul(v[0], v[1]); });
}

TEST_CASE("matmul: batched operands and batch broadcasting", "[linalg]") {
  check_case("linalg", "matmul_3d_3d", [](const V& v) { return matmul(v[0], v[1]); });
  check_case("linalg", "matmul_3d_2d", [](const V& v) { return v[0].matmul(v[1]); });
  check_case("linalg", "matmul_2d_3d", [](const V& v) { return matmul(v[0], v[1]); });
  check_case("linalg", "matmul_3d_1d", [](const V& v) { return matmul(v[0], v[1]); });
  check_case("linalg", "matmul_bcast_batch", [](const V& v) { return matmul(v[0], v[1]); });
}

TEST_CASE("mm of larger random matrices matches a naive product", "[linalg]") {
  // Sizes that are not multiples of any blocking factor.
  manual_seed(3);
  Tensor a = randn({67, 45}, kDouble), b = randn({45, 33}, kDouble);
  std::vector<double> av = ember_test::values(a), bv = ember_test::values(b), ref(67 * 33, 0.0);
  for (int i = 0; i < 67; ++i)
    for (int k = 0; k < 45; ++k)
      for (int j = 0; j < 33; ++j) ref[i * 33 + j] += av[i * 45 + k] * bv[k * 33 + j];
  Tensor expected = from_blob(ref.data(), {67, 33}, kDouble).clone();
  for (Device d : ember_test::test_devices()) {
    INFO("device " << d);
    ember_test::require_close(mm(a.to(d), b.to(d)), expected, 1e-12, 1e-12);
    ember_test::require_close(mm(a.to(d, kFloat), b.to(d, kFloat)), expected, 1e-5, 1e-4);
  }
}
