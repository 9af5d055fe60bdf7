// ember/torch_compat.h, the porting header: LibTorch's names (torch::, at::, c10::Error) and
// macros (TORCH_MODULE, TORCH_CHECK, TORCH_INTERNAL_ASSERT, AT_ASSERT) mean what they mean there.
#include <ember/torch_compat.h>

#include "helpers.h"

using ember_test::require_throws_with;

namespace {
struct TinyImpl : torch::nn::Module {
  TinyImpl() : fc(register_module("fc", torch::nn::Linear(2, 1))) {}
  torch::Tensor forward(const torch::Tensor& x) { return fc(x); }
  torch::nn::Linear fc;
};
TORCH_MODULE(Tiny);

int64_t checked_rows(const at::Tensor& t) {
  TORCH_CHECK(t.dim() == 2, "checked_rows: expected a 2-D tensor, got ", t.dim(), " dims");
  return t.size(0);
}
}  // namespace

TEST_CASE("torch_compat: torch::, at:: and TORCH_MODULE name ember's types", "[compat]") {
  Tiny net;
  torch::Tensor y = net->forward(torch::ones({3, 2}));
  REQUIRE(y.sizes() == std::vector<int64_t>{3, 1});
  REQUIRE(net->named_parameters().size() == 2);
}

TEST_CASE("torch_compat: TORCH_CHECK throws c10::Error with the message, or LibTorch's default", "[compat]") {
  REQUIRE(checked_rows(torch::zeros({4, 3})) == 4);
  require_throws_with([] { checked_rows(torch::zeros({4})); }, {"checked_rows: expected a 2-D tensor, got 1 dims"});
  const int64_t n = 3;
  try {
    TORCH_CHECK(n == 2);
    FAIL("TORCH_CHECK(false) did not throw");
  } catch (const c10::Error& e) {
    REQUIRE(std::string(e.what()) == "Expected n == 2 to be true, but got false.");
  }
  require_throws_with([&] { TORCH_INTERNAL_ASSERT(n == 2, "rows ", n); }, {"internal error in ember", "rows 3"});
  require_throws_with([&] { AT_ASSERT(n == 2); }, {"internal error in ember", "n == 2 failed at"});
}
