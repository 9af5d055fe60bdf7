// The pointwise functors describe themselves (src/functors.h): each carries the public op's name
// and the dtypes its kernel is defined for, and both backends guard their kernels with the same
// if_defined_for. These cases walk every op the enums dispatch and check the name and the dtype
// rule against LibTorch's, and that the guard's error for an undefined dtype names the right op.
// The public API promotes dtypes before the kernels see them, so the kernels' guard is reached
// here directly; the front halves' own errors are checked through the API at the end.
#include <deque>
#include <map>
#include <sstream>
#include <string>
#include <type_traits>

#include "../src/dtype_dispatch.h"
#include "../src/functors.h"
#include "catch.h"
#include "ember/ember.h"

using namespace ember;

namespace {

// The dtypes a kernel is defined for, as LibTorch's kernels have them: transcendental ops and
// true division only for floating point (integers are promoted first), neg/abs/relu/clamp/pow and
// arithmetic not for bool (bool arithmetic is promoted to int64), comparisons for every dtype.
enum class Rule { Floating, Numeric, Any, Integral };

struct Expected {
  const char* name;
  Rule rule;
};

/// Every dispatched op in enum order, as "name:rule" words (F floating, N numeric, A any dtype, I int64 and bool),
/// with the name and rule LibTorch gives it.
template <typename Op>
std::map<Op, Expected> expected_table() {
  const bool binary = std::is_same<Op, BinaryOp>::value;
  // The activations (silu ...) are floating point only, as LibTorch's kernels; hardtanh clamps
  // integers too. Their backward functors (silu_backward ...) take float gradients.
  std::istringstream words(
      binary ? "add:N sub:N mul:N div:F pow:N eq:A ne:A lt:A le:A gt:A ge:A relu_backward:N "
               "silu_backward:F mish_backward:F leaky_relu_backward:F elu_backward:F softplus_backward:F "
               "hardtanh_backward:F hardswish_backward:F hardsigmoid_backward:F gelu_backward:F gelu_backward:F "
               "log_sigmoid_backward:F fmod:N remainder:N logical_and:A logical_or:A logical_xor:A "
               "bitwise_and:I bitwise_or:I bitwise_xor:I atan2:F div:N div:N"
             : "neg:N exp:F log:F sqrt:F abs:N sign:N relu:N sigmoid:F tanh:F erf:F pow:N clamp:N "
               "silu:F mish:F leaky_relu:F elu:F softplus:F hardtanh:N hardswish:F hardsigmoid:F gelu:F gelu:F "
               "log_sigmoid:F floor:N ceil:N round:N trunc:N frac:F reciprocal:F rsqrt:F log2:F log10:F "
               "exp2:F sin:F cos:F bitwise_not:I tan:F asin:F acos:F atan:F sinh:F cosh:F asinh:F acosh:F "
               "atanh:F log1p:F expm1:F");
  static std::deque<std::string> names;  // Expected::name points into these (stable on push_back)
  std::map<Op, Expected> table;
  for (std::string w; words >> w;) {
    names.push_back(w.substr(0, w.find(':')));
    const char r = w.back();
    const Rule rule = r == 'F' ? Rule::Floating : r == 'N' ? Rule::Numeric : r == 'I' ? Rule::Integral : Rule::Any;
    table.emplace(Op(table.size()), Expected{names.back().c_str(), rule});
  }
  return table;
}

bool rule_allows(Rule r, ScalarType t) {
  switch (r) {
    case Rule::Floating: return t == kFloat || t == kDouble;
    case Rule::Numeric: return t != kBool;
    case Rule::Any: return true;
    case Rule::Integral: return t == kLong || t == kBool;
  }
  return false;
}

const ScalarType kDtypes[] = {kFloat, kDouble, kLong, kBool};

/// Checks one functor f, dispatched for dtype T, against `want`: its name, its dtype rule, and the
/// guard's behaviour (runs the kernel, or throws an Error naming the op and the dtype).
template <typename T, typename F>
void check_functor(const F& f, ScalarType dt, const Expected& want, const char* entry) {
  CHECK(std::string(F::name) == want.name);
  const bool defined = F::template defined_for<T>();
  CHECK(defined == rule_allows(want.rule, dt));
  bool ran = false;
  if (defined) {
    if_defined_for<T>(entry, dt, f, [&](auto) { ran = true; });
    CHECK(ran);
    return;
  }
  try {
    if_defined_for<T>(entry, dt, f, [&](auto) { ran = true; });
    FAIL("no error for " << want.name << " on " << dt);
  } catch (const Error& e) {
    const std::string msg = e.what();
    INFO(msg);
    CHECK(msg.find(std::string(entry) + ": " + want.name + " is not defined for ") == 0);
    CHECK(msg.find(detail::str(dt)) != std::string::npos);
  }
  CHECK_FALSE(ran);
}

/// Walks every value of an op enum (0 ..= last) and every dtype through the backends' dispatch.
template <typename Op, typename Dispatch>
void check_all_ops(Op last, const char* entry, Dispatch dispatch) {
  const std::map<Op, Expected> table = expected_table<Op>();
  REQUIRE(table.size() == size_t(last) + 1);
  for (int i = 0; i <= int(last); ++i) {
    const Expected& want = table.at(Op(i));
    for (ScalarType dt : kDtypes) {
      INFO(entry << " op " << want.name << " on " << dt);
      dispatch_all(dt, "test", [&](auto tag) {
        using T = typename decltype(tag)::type;
        dispatch(Op(i), [&](auto f) { check_functor<T>(f, dt, want, entry); });
      });
    }
  }
}

}  // namespace

TEST_CASE("pointwise rules: every unary op names itself and has LibTorch's dtype rule") {
  check_all_ops(kLastUnaryOp, "unary", [](UnaryOp op, auto&& check) { dispatch_unary(op, PointwiseParams{}, check); });
}

TEST_CASE("pointwise rules: every binary op names itself and has LibTorch's dtype rule") {
  check_all_ops(kLastBinaryOp, "binary",
                [](BinaryOp op, auto&& check) { dispatch_binary(op, PointwiseParams{}, check); });
}

TEST_CASE("pointwise rules: erf of int64 and bool reaches the kernel guard as erf, not another op") {
  // The guard's message for the former mislabelled case (the old CPU name table lacked erf).
  try {
    if_defined_for<int64_t>("unary", kLong, fn::Erf{}, [](auto) {});
    FAIL("erf on int64 ran");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("unary: erf is not defined for") == 0);
  }
  // Through the public API erf promotes integers and bool to float, as LibTorch does.
  const Tensor i = ember::tensor({0, 1, 2}, kLong);
  CHECK(ember::erf(i).dtype() == kFloat);
  CHECK(ember::erf(ember::tensor({1, 0}, kLong).to(kBool)).dtype() == kFloat);
}

TEST_CASE("pointwise rules: the front halves reject bool where LibTorch does, naming the op") {
  const Tensor b = ember::tensor({1, 0}, kLong).to(kBool);
  auto message_of = [](auto&& run) {
    try {
      run();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  const std::string neg = message_of([&] { (void)ember::neg(b); });
  INFO(neg);
  CHECK(neg.find("neg") != std::string::npos);
  const std::string sub = message_of([&] { (void)(b - b); });
  INFO(sub);
  CHECK(sub.find("sub") != std::string::npos);
}
