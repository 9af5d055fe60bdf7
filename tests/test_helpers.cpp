// The test machinery itself: a checker that cannot fail proves nothing, so each one is shown
// to reject a wrong answer.
#include "helpers.h"

using namespace ember;
using V = std::vector<Tensor>;

TEST_CASE("helpers: close_report accepts within tolerance and names the worst element", "[helpers]") {
  Tensor e = tensor({{1.0, 2.0}, {3.0, 4.0}}, kDouble);
  CHECK(ember_test::close_report(e + 1e-9, e, 1e-8, 0).empty());
  Tensor a = e.clone();
  a.select(0, 1).select(0, 0).fill_(3.5);
  std::string r = ember_test::close_report(a, e, 1e-8, 1e-8);
  INFO(r);
  CHECK(r.find("[1, 0]") != std::string::npos);
  CHECK(r.find("1 of 4") != std::string::npos);
  CHECK(!ember_test::close_report(zeros({2}, kDouble), zeros({3}, kDouble), 0, 0).empty());
  Tensor nan = tensor({NAN, 1.0}, kDouble);
  CHECK(ember_test::close_report(nan, nan, 0, 0).empty());
  CHECK(!ember_test::close_report(nan, tensor({0.0, 1.0}, kDouble), 1, 1).empty());
}

TEST_CASE("helpers: gradcheck accepts true gradients and rejects a missing path", "[helpers]") {
  ember_test::gradcheck([](const V& v) { return v[0] * v[1] + v[0].exp(); },
                        {tensor({0.5, -1.0}, kDouble), tensor({2.0, 3.0}, kDouble)});
  // x.detach() * x: autograd sees only one of the two paths, so its gradient is half the truth.
  std::string r = ember_test::gradcheck_report([](const V& v) { return v[0].detach() * v[0]; },
                                               {tensor({0.5, -1.0, 2.0}, kDouble)});
  INFO(r);
  CHECK(r.find("3 of 3") != std::string::npos);
}

TEST_CASE("helpers: fixtures load with their dtypes and shapes", "[helpers]") {
  const auto& f = ember_test::fixtures("loss");
  CHECK(f.has("ce_mean.in0"));
  CHECK(!f.has("no_such_tensor"));
  CHECK(f["ce_mean.in0"].dtype() == kFloat);
  CHECK(f["ce_mean.in0"].sizes() == IntArrayRef({5, 4}));
  CHECK(f["ce_mean.in1"].dtype() == kLong);
  CHECK(f["ce_mean.out"].dtype() == kDouble);
  CHECK(f["ce_mean.out"].dim() == 0);
  CHECK(ember_test::fixtures("elementwise")["eq.out"].dtype() == kBool);
  CHECK_THROWS(f["no_such_tensor"]);
}
