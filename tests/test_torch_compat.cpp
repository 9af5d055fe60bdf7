// ember/torch_compat.h, the porting header: LibTorch's names (torch::, at::, c10::Error) and
// macros (TORCH_MODULE, TORCH_CHECK, TORCH_INTERNAL_ASSERT, AT_ASSERT) and torch::str / c10::str mean
// what they mean there.
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

TEST_CASE("torch_compat: torch::str and c10::str concatenate their arguments with operator<<", "[compat]") {
  torch::Tensor t = torch::zeros({2, 3});
  CHECK(torch::str("expected ", t.sizes(), " of ", t.dtype(), " on ", t.device(), ", got ", 4, ' ', 2.5, ' ', true) ==
        "expected [2, 3] of float32 on cpu, got 4 2.5 1");
  CHECK(c10::str("a", std::string("b"), 'c') == "abc");
  CHECK(torch::str().empty());
  // A lone string comes back as it is, as LibTorch's (a const char* stays one).
  const char* text = torch::str("text");
  CHECK(std::string(text) == "text");
  const std::string s = "kept";
  CHECK(&torch::str(s) == &s);
  // ember's own spelling, and inside a check message.
  CHECK(ember::str(torch::Device("cpu")) == "cpu");
  require_throws_with([&] { TORCH_CHECK(t.dim() == 3, torch::str("dims ", t.dim()), t.sizes()); }, {"dims 2[2, 3]"});
}
