// index_select, cat, stack and the view ops inside autograd graphs: values and gradients
// against PyTorch (tests/fixtures/index.txt), plus float64 gradchecks.
#include "helpers.h"

using namespace ember;
using ember_test::check_case;
using V = std::vector<Tensor>;

TEST_CASE("index_select along each dim, with repeated indices", "[index]") {
  check_case("index", "index_select_dim0", [](const V& v) { return v[0].index_select(0, v[1]); });
  check_case("index", "index_select_dim1", [](const V& v) { return index_select(v[0], 1, v[1]); });
  check_case("index", "index_select_3d", [](const V& v) { return v[0].index_select(-1, v[1]); });
}

TEST_CASE("cat along each dim", "[index]") {
  check_case("index", "cat_dim0", [](const V& v) { return cat({v[0], v[1], v[2]}, 0); });
  check_case("index", "cat_dim1", [](const V& v) { return cat({v[0], v[1]}, 1); });
  check_case("index", "cat_neg", [](const V& v) { return cat(v, -1); });
}

TEST_CASE("stack along each dim", "[index]") {
  check_case("index", "stack_dim0", [](const V& v) { return stack({v[0], v[1], v[2]}); });
  check_case("index", "stack_dim1", [](const V& v) { return stack({v[0], v[1]}, 1); });
  check_case("index", "stack_neg", [](const V& v) { return stack(v, -1); });
}

TEST_CASE("view ops carry gradients: permute, transpose, narrow, select, slice", "[index][views]") {
  check_case("index", "permute", [](const V& v) { return v[0].permute({2, 0, 1}) * 1.0; });
  check_case("index", "transpose_mm", [](const V& v) { return v[0].transpose(0, 1).mm(v[1]); });
  check_case("index", "narrow", [](const V& v) { return v[0].narrow(1, 1, 2).exp(); });
  check_case("index", "select", [](const V& v) { return v[0].select(2, 1).exp(); });
  check_case("index", "slice_step", [](const V& v) { return v[0].slice(2, 1, std::nullopt, 2).exp(); });
}

TEST_CASE("view ops carry gradients: view, reshape, unsqueeze, squeeze, expand, flatten", "[index][views]") {
  check_case("index", "view_reshape", [](const V& v) { return v[0].view({6, 4}).exp().reshape({4, 6}); });
  check_case("index", "unsqueeze_squeeze", [](const V& v) { return v[0].unsqueeze(1).exp().squeeze(1); });
  check_case("index", "expand", [](const V& v) { return v[0].expand({2, 3, 4}).exp(); });
  check_case("index", "flatten", [](const V& v) { return v[0].flatten(1).exp(); });
  check_case("index", "flatten", [](const V& v) { return flatten(v[0], 1).exp(); });
}

TEST_CASE("index_select, cat and stack on int64 tensors", "[index]") {
  for (Device d : ember_test::test_devices()) {
    INFO("device " << d);
    Tensor x = tensor({{1, 2}, {3, 4}, {5, 6}}, TensorOptions(kLong).device(d));
    Tensor idx = tensor({2, 0}, TensorOptions(kLong).device(d));
    ember_test::require_equal(x.index_select(0, idx), tensor({{5, 6}, {1, 2}}, kLong));
    ember_test::require_equal(cat({x, x}, 1), tensor({{1, 2, 1, 2}, {3, 4, 3, 4}, {5, 6, 5, 6}}, kLong));
    ember_test::require_equal(stack({idx, idx}), tensor({{2, 0}, {2, 0}}, kLong));
  }
}
