// Misuse throws ember::Error with a message naming the op, the shapes and the rule broken.
#include "helpers.h"

using namespace ember;
using ember_test::require_throws_with;

TEST_CASE("mm: inner dimensions must agree", "[errors]") {
  Tensor a = zeros({2, 3}), b = zeros({4, 5});
  require_throws_with([&] { mm(a, b); }, {"mm", "[2, 3]", "[4, 5]"});
  require_throws_with([&] { mm(zeros({2, 3, 4}), zeros({4, 2})); }, {"mm", "[2, 3, 4]"});
  require_throws_with([&] { matmul(a, b); }, {"matmul", "[2, 3]", "[4, 5]"});
}

TEST_CASE("binary ops: shapes must broadcast", "[errors]") {
  Tensor a = zeros({2, 3}), b = zeros({4});
  require_throws_with([&] { a + b; }, {"add", "[2, 3]", "[4]"});
  require_throws_with([&] { a* b; }, {"mul", "[2, 3]", "[4]"});
  require_throws_with([&] { a.add_(zeros({2, 1, 3})); }, {"add_", "[2, 3]"});
}

TEST_CASE("view: the new shape must hold the same number of elements", "[errors]") {
  Tensor a = zeros({2, 3});
  require_throws_with([&] { a.view({4, 2}); }, {"view", "[4, 2]", "6"});
  require_throws_with([&] { a.reshape({5}); }, {"reshape", "[5]", "6"});
  require_throws_with([&] { a.view({-1, -1}); }, {"view"});
}

TEST_CASE("dims out of range", "[errors]") {
  Tensor a = zeros({2, 3});
  require_throws_with([&] { a.sum({2}); }, {"sum", "2"});
  require_throws_with([&] { a.select(-3, 0); }, {"select", "-3"});
  require_throws_with([&] { a.select(0, 2); }, {"select", "2"});
  require_throws_with([&] { a.transpose(0, 5); }, {"transpose", "5"});
  require_throws_with([&] { log_softmax(a, 2); }, {"log_softmax", "2"});
  require_throws_with([&] { cat({a, zeros({2, 4})}, 0); }, {"cat", "[2, 4]"});
  require_throws_with([&] { stack({a, zeros({3, 2})}); }, {"stack", "[2, 3]", "[3, 2]"});
}

TEST_CASE("wrong dtypes", "[errors]") {
  Tensor x = zeros({3, 4});
  require_throws_with([&] { x.index_select(0, tensor({0.0, 1.0})); }, {"index_select", "float32"});
  require_throws_with([&] { where(x, x, x); }, {"where", "bool"});
  require_throws_with([&] { x.data_ptr<int64_t>(); }, {"float32", "int64"});
  require_throws_with([&] { mm(x, zeros({4, 2}, kDouble)); }, {"mm", "float32", "float64"});
}

TEST_CASE("indices out of range", "[errors]") {
  Tensor x = zeros({3, 4});
  require_throws_with([&] { x.index_select(0, tensor({0, 3}, kLong)); }, {"index_select", "3"});
  require_throws_with([&] { x.narrow(1, 2, 3); }, {"narrow"});
}

TEST_CASE("conv2d and max_pool2d: shapes that cannot work", "[errors]") {
  require_throws_with(
      [&] {
        conv2d(zeros({1, 3, 5, 5}), zeros({4, 2, 3, 3}));
      },
      {"conv2d", "[1, 3, 5, 5]", "[4, 2, 3, 3]"});
  require_throws_with([&] { conv2d(zeros({1, 3, 2, 2}), zeros({4, 3, 3, 3})); }, {"conv2d"});
  require_throws_with([&] { conv2d(zeros({1, 3, 5, 5}), zeros({4, 3, 3})); }, {"conv2d", "[4, 3, 3]"});
  require_throws_with([&] { max_pool2d(zeros({1, 1, 4, 4}), 2, 2, 2); }, {"max_pool2d", "padding"});
}

TEST_CASE("backward on a non-scalar without a gradient", "[errors]") {
  Tensor x = ones({2, 2}).requires_grad_(true);
  require_throws_with([&] { (x * 2.0).backward(); }, {"backward", "scalar"});
}

TEST_CASE("item on a tensor with more than one element", "[errors]") {
  require_throws_with([&] { zeros({2, 3}).item<float>(); }, {"item", "[2, 3]"});
  require_throws_with([&] { zeros({2}).item<double>(); }, {"item"});
}

TEST_CASE("CUDA in a build without CUDA says so", "[errors]") {
  if (cuda::is_available()) EMBER_SKIP("this build has a usable GPU");
  CHECK(!cuda::unavailable_reason().empty());
  if (cuda::unavailable_reason().find("built without CUDA") == std::string::npos)
    EMBER_SKIP("built with CUDA but no GPU here: " << cuda::unavailable_reason());
  require_throws_with([&] { zeros({2}, kCUDA); }, {"built without CUDA"});
  require_throws_with([&] { zeros({2}).to(kCUDA); }, {"built without CUDA"});
  require_throws_with([&] { zeros({2}).cuda(); }, {"built without CUDA"});
}

TEST_CASE("bad factory arguments are rejected", "[errors]") {
  require_throws_with([&] { randint(5, 3, {2}); }, {"randint"});
  require_throws_with([&] { zeros({-1}); }, {"negative"});
}

TEST_CASE("linear: weight, input and bias that do not fit", "[errors]") {
  namespace F = nn::functional;
  const Tensor w = zeros({4, 3});
  require_throws_with([&] { F::linear(zeros({2, 5}), w); }, {"linear", "[2, 5]", "[4, 3]", "in_features 5 != 3"});
  require_throws_with([&] { F::linear(zeros({2, 3}), zeros({4, 3, 1})); }, {"linear", "2-D weight", "[4, 3, 1]"});
  require_throws_with([&] { F::linear(zeros({2, 3}), w, zeros({3})); }, {"linear", "bias of shape [4]", "[3]"});
  require_throws_with([&] { F::linear(zeros({2, 3}, kDouble), w); }, {"linear", "same dtype", "float64", "float32"});
  require_throws_with([&] { F::linear(zeros({2, 3}), w, zeros({4}, kDouble)); }, {"linear", "bias", "float64"});
  require_throws_with(
      [&] {
        F::linear(zeros({2, 3}, kLong), zeros({4, 3}, kLong));
      },
      {"linear", "float32 or float64", "int64"});
  require_throws_with([&] { F::linear(zeros({3}), w.flatten()); }, {"linear", "2-D weight", "[12]"});
}

TEST_CASE("EMBER_ASSERT: an internal invariant names itself as ember's bug", "[errors]") {
  const int64_t rows = 3;
  // A true invariant costs nothing visible; a broken one throws ember::Error (never aborts)
  // saying the bug is ember's, with the condition and where it was checked.
  EMBER_ASSERT(rows == 3, "never shown");
  require_throws_with([&] { EMBER_ASSERT(rows == 2, "reduce: expected 2 rows, got ", rows); },
                      {"internal error in ember (a bug: please report it)", "reduce: expected 2 rows, got 3",
                       "rows == 2 failed at", "test_errors.cpp:"});
}
