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

TEST_CASE("torch_compat: c10 names, irange, at::IntList / _unsafe_view / size, the check and warning macros",
          "[compat]") {
  const at::Tensor z = at::zeros({2, 3});
  c10::IntArrayRef sizes = z.sizes();  // a view of z's sizes: z must outlive it
  CHECK(sizes.slice(1) == c10::IntArrayRef({3}));
  c10::ScalarType t = c10::ScalarType::Float;
  CHECK(std::string(c10::toString(t)) == "Float");
  c10::Scalar s(4);
  CHECK(s.toInt() == 4);
  c10::variant<int, std::string> v = std::string("x");
  CHECK(c10::get<std::string>(v) == "x");
  std::vector<int64_t> seen;
  for (auto i : c10::irange(3)) seen.push_back(i);
  for (auto i : c10::irange(5, 7)) seen.push_back(i);
  for (auto i : c10::irange(2, 1)) seen.push_back(i);  // empty
  CHECK(seen == std::vector<int64_t>({0, 1, 2, 5, 6}));
  at::IntList list = sizes;
  CHECK(list.size() == 2);
  CHECK(at::_unsafe_view(at::arange(6), {2, 3}).sizes() == c10::IntArrayRef({2, 3}));
  CHECK(at::size(at::zeros({4, 5}), -1) == 5);

  require_throws_with([] { AT_ERROR("bad value ", 3); }, {"bad value 3"});
  require_throws_with([] { TORCH_CHECK_EQ(1 + 1, 3); }, {"Check failed: 1 + 1 == 3 (2 vs. 3)"});
  TORCH_CHECK_LT(1, 2);
  TORCH_CHECK_GE(2, 2);
  require_throws_with([] { TORCH_CHECK_VALUE(false, "value ", "refused"); }, {"value refused"});
  auto twice = [](const at::Tensor& x) {
    at::Tensor out = at::empty_like(x);
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "twice", [&] {
      const scalar_t* in = x.data_ptr<scalar_t>();
      scalar_t* o = out.data_ptr<scalar_t>();
      for (int64_t i = 0; i < x.numel(); ++i) o[i] = in[i] * scalar_t(2);
    });
    return out;
  };
  CHECK(twice(torch::tensor({1.5, 2.0})).equal(torch::tensor({3.0, 4.0})));
  CHECK(twice(torch::tensor({1.5f})).equal(torch::tensor({3.0f})));
  require_throws_with([&] { twice(torch::tensor({1})); }, {"twice not implemented for 'Long'"});
  int64_t sum = 0;
  AT_DISPATCH_ALL_TYPES(torch::kInt, "sum", [&] { sum = int64_t(sizeof(scalar_t)); });
  CHECK(sum == 4);
}

namespace {
struct ScaleOptions {
  TORCH_ARG(double, scale) = 1.0;
};
}  // namespace

TEST_CASE("torch_compat: TORCH_ARG options and TORCH_WARN_ONCE", "[compat]") {
  CHECK(ScaleOptions().scale(2.5).scale() == 2.5);
  std::ostringstream captured;
  std::streambuf* old = std::cerr.rdbuf(captured.rdbuf());
  for (int i = 0; i < 3; ++i) TORCH_WARN_ONCE("careful ", i);
  TORCH_WARN("twice");
  std::cerr.rdbuf(old);
  CHECK(captured.str() == "Warning: careful 0\nWarning: twice\n");
}
