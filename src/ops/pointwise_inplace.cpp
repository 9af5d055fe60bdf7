// The in-place forms of the pointwise ops (x.sin_(), x.pow_(2), x.atan2_(y), ...): each is its
// out-of-place op written back into self (detail::pointwise_inplace), so the formula, the dtype
// rules and the gradient exist once, in the out-of-place op. Under autograd the op reads a clone
// of self, as LibTorch saves "original_self"; a floating result refuses an integer self ("result
// type Float can't be cast to the desired output type Long") and a broadcast that would grow self
// is refused, both in the one place that writes back (elementwise.cpp: assign).
#include "ember/tensor_ops.h"
#include "pointwise.h"

namespace ember {
namespace {

template <typename Op>
const Tensor& inplace(const char* name, const Tensor& self, std::initializer_list<Tensor> others, Op op) {
  check_defined(name, self);
  autograd::check_inplace(self, name, others);
  check_no_overlap(name, self, others);
  std::vector<Tensor> inputs{self};
  inputs.insert(inputs.end(), others.begin(), others.end());
  return detail::pointwise_inplace(self, name, autograd::needs_grad(inputs), op);
}

}  // namespace

#define EMBER_DEFINE_INPLACE_UNARY(fn)                                                    \
  const Tensor& Tensor::fn##_() const {                                                   \
    return inplace(#fn "_", *this, {}, [](const Tensor& src) { return ember::fn(src); }); \
  }
EMBER_DEFINE_INPLACE_UNARY(exp)
EMBER_DEFINE_INPLACE_UNARY(log)
EMBER_DEFINE_INPLACE_UNARY(sqrt)
EMBER_DEFINE_INPLACE_UNARY(abs)
EMBER_DEFINE_INPLACE_UNARY(sigmoid)
EMBER_DEFINE_INPLACE_UNARY(tanh)
EMBER_DEFINE_INPLACE_UNARY(erf)
EMBER_DEFINE_INPLACE_UNARY(sign)
EMBER_DEFINE_INPLACE_UNARY(floor)
EMBER_DEFINE_INPLACE_UNARY(ceil)
EMBER_DEFINE_INPLACE_UNARY(round)
EMBER_DEFINE_INPLACE_UNARY(trunc)
EMBER_DEFINE_INPLACE_UNARY(frac)
EMBER_DEFINE_INPLACE_UNARY(reciprocal)
EMBER_DEFINE_INPLACE_UNARY(rsqrt)
EMBER_DEFINE_INPLACE_UNARY(square)
EMBER_DEFINE_INPLACE_UNARY(log2)
EMBER_DEFINE_INPLACE_UNARY(log10)
EMBER_DEFINE_INPLACE_UNARY(exp2)
EMBER_DEFINE_INPLACE_UNARY(sin)
EMBER_DEFINE_INPLACE_UNARY(cos)
EMBER_DEFINE_INPLACE_UNARY(tan)
EMBER_DEFINE_INPLACE_UNARY(asin)
EMBER_DEFINE_INPLACE_UNARY(acos)
EMBER_DEFINE_INPLACE_UNARY(atan)
EMBER_DEFINE_INPLACE_UNARY(sinh)
EMBER_DEFINE_INPLACE_UNARY(cosh)
EMBER_DEFINE_INPLACE_UNARY(asinh)
EMBER_DEFINE_INPLACE_UNARY(acosh)
EMBER_DEFINE_INPLACE_UNARY(atanh)
EMBER_DEFINE_INPLACE_UNARY(log1p)
EMBER_DEFINE_INPLACE_UNARY(expm1)
EMBER_DEFINE_INPLACE_UNARY(logical_not)
EMBER_DEFINE_INPLACE_UNARY(bitwise_not)
#undef EMBER_DEFINE_INPLACE_UNARY

const Tensor& Tensor::pow_(const Scalar& e) const {
  return inplace("pow_", *this, {}, [&](const Tensor& src) { return ember::pow(src, e); });
}
const Tensor& Tensor::pow_(const Tensor& e) const {
  return inplace("pow_", *this, {e}, [&](const Tensor& src) { return ember::pow(src, e); });
}
const Tensor& Tensor::clamp_max_(const Scalar& hi) const {
  return inplace("clamp_max_", *this, {}, [&](const Tensor& src) { return ember::clamp_max(src, hi); });
}
const Tensor& Tensor::atan2_(const Tensor& o) const {
  return inplace("atan2_", *this, {o}, [&](const Tensor& src) { return ember::atan2(src, o); });
}
const Tensor& Tensor::fmod_(const Tensor& o) const {
  return inplace("fmod_", *this, {o}, [&](const Tensor& src) { return ember::fmod(src, o); });
}
const Tensor& Tensor::fmod_(const Scalar& o) const {
  return inplace("fmod_", *this, {}, [&](const Tensor& src) { return ember::fmod(src, o); });
}
const Tensor& Tensor::remainder_(const Tensor& o) const {
  return inplace("remainder_", *this, {o}, [&](const Tensor& src) { return ember::remainder(src, o); });
}
const Tensor& Tensor::remainder_(const Scalar& o) const {
  return inplace("remainder_", *this, {}, [&](const Tensor& src) { return ember::remainder(src, o); });
}
const Tensor& Tensor::lerp_(const Tensor& end, const Scalar& w) const {
  return inplace("lerp_", *this, {end}, [&](const Tensor& src) { return ember::lerp(src, end, w); });
}
const Tensor& Tensor::lerp_(const Tensor& end, const Tensor& w) const {
  return inplace("lerp_", *this, {end, w}, [&](const Tensor& src) { return ember::lerp(src, end, w); });
}
const Tensor& Tensor::nan_to_num_(std::optional<double> nan, std::optional<double> posinf,
                                  std::optional<double> neginf) const {
  return inplace("nan_to_num_", *this, {},
                 [&](const Tensor& src) { return ember::nan_to_num(src, nan, posinf, neginf); });
}
const Tensor& Tensor::addcmul_(const Tensor& t1, const Tensor& t2, const Scalar& v) const {
  return inplace("addcmul_", *this, {t1, t2}, [&](const Tensor& src) { return ember::addcmul(src, t1, t2, v); });
}
const Tensor& Tensor::addcdiv_(const Tensor& t1, const Tensor& t2, const Scalar& v) const {
  return inplace("addcdiv_", *this, {t1, t2}, [&](const Tensor& src) { return ember::addcdiv(src, t1, t2, v); });
}
const Tensor& Tensor::div_(const Tensor& o, std::optional<std::string_view> mode) const {
  return inplace("div_", *this, {o}, [&](const Tensor& src) { return ember::div(src, o, mode); });
}
const Tensor& Tensor::div_(const Scalar& o, std::optional<std::string_view> mode) const {
  return inplace("div_", *this, {}, [&](const Tensor& src) { return ember::div(src, o, mode); });
}

}  // namespace ember
