// The out-of-line parts of ember/aten_forms.h: movedim, pow with a Scalar base, maximum / minimum
// (PyTorch's gradient: all of it to the winner, halves at a tie) and where with a Scalar branch.
#include <numeric>
#include <vector>

#include "common.h"
#include "ember/aten_forms.h"

namespace ember {

Tensor movedim(const Tensor& x, int64_t source, int64_t destination) {
  check_defined("movedim", x);
  const int64_t n = x.dim();
  const int64_t src = wrap_dim(source, n, "movedim"), dst = wrap_dim(destination, n, "movedim");
  std::vector<int64_t> order;
  for (int64_t d = 0; d < n; ++d)
    if (d != src) order.push_back(d);
  order.insert(order.begin() + dst, src);
  return x.permute(order);
}

namespace {

Tensor extremum(const char* op, const char* node, bool larger, const Tensor& a, const Tensor& b) {
  check_defined(op, a);
  check_defined(op, b);
  check_same_device(op, {a, b});
  broadcast_shapes(a.sizes(), b.sizes(), op);  // the error names this op
  const Tensor ad = a.detach(), bd = b.detach();
  // a NaN on either side wins (PyTorch propagates it): a's when a is NaN, else b's is picked
  // because every comparison with NaN is false.
  const Tensor wins = (larger ? ad > bd : ad < bd).logical_or(ad.isnan());
  const Tensor out = where(wins, ad, bd);
  if (autograd::needs_grad({a, b}) && is_floating_point(out.dtype())) {
    // The tie mask only for the backward: PyTorch splits a tie's gradient in halves.
    auto sw = autograd::save(wins, op), st = autograd::save(ad == bd, op);
    const auto as = a.sizes().vec(), bs = b.sizes().vec();
    const ScalarType at = a.dtype(), bt = b.dtype();
    autograd::record({op, node}, out, {a, b}, [=](const Tensor& g, const std::vector<bool>& n) -> variable_list {
      const Tensor zero = zeros_like(g), half = g * 0.5;
      Tensor ga, gb;
      if (n[0]) ga = sum_to(where(st.get(), half, where(sw.get(), g, zero)), as).to(at);
      if (n[1]) gb = sum_to(where(st.get(), half, where(sw.get(), zero, g)), bs).to(bt);
      return {ga, gb};
    });
  }
  return out;
}

/// A Scalar branch of where as a 0-dim tensor: the other branch's dtype, or the default float
/// dtype for a floating Scalar against an integral tensor.
Tensor scalar_branch(const Scalar& s, const Tensor& other) {
  const ScalarType dt = s.isFloatingPoint() && !other.is_floating_point() ? kFloat : other.dtype();
  return full({}, s, TensorOptions(dt).device(other.device()));
}

}  // namespace

Tensor pow(const Scalar& base, const Tensor& exponent) {
  check_defined("pow", exponent);
  return scalar_branch(base, exponent).pow(exponent);
}

Tensor maximum(const Tensor& a, const Tensor& b) { return extremum("maximum", "MaximumBackward0", true, a, b); }
Tensor minimum(const Tensor& a, const Tensor& b) { return extremum("minimum", "MinimumBackward0", false, a, b); }

Tensor where(const Tensor& condition, const Tensor& self, const Scalar& other) {
  check_defined("where", self);
  return where(condition, self, scalar_branch(other, self));
}
Tensor where(const Tensor& condition, const Scalar& self, const Tensor& other) {
  check_defined("where", other);
  return where(condition, scalar_branch(self, other), other);
}
Tensor where(const Tensor& condition, const Scalar& self, const Scalar& other) {
  check_defined("where", condition);
  const bool floating = self.isFloatingPoint() || other.isFloatingPoint();
  const TensorOptions options = TensorOptions(floating ? kFloat : kLong).device(condition.device());
  return where(condition, full({}, self, options), full({}, other, options));
}

}  // namespace ember
