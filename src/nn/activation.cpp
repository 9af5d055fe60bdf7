// The activations' functional forms (F::silu, F::leaky_relu, ...) and modules (nn::SiLU, ...):
// thin layers over the pointwise ops of src/ops/elementwise.cpp, with LibTorch's options and
// printouts.
#include "ember/nn/activation.h"

#include <ostream>
#include <utility>

#include "ember/error.h"
#include "ember/functional.h"

namespace ember {
namespace nn {
namespace functional {

namespace {
/// LibTorch's `inplace` option: in_place(input, args...) changes and returns the input itself,
/// out_of_place(input, args...) returns a new tensor.
template <typename InPlace, typename OutOfPlace, typename... Args>
Tensor inplace_or_not(bool inplace, InPlace in_place, OutOfPlace out_of_place, Tensor& input, const Args&... args) {
  if (inplace) return in_place(input, args...);
  return out_of_place(input, args...);
}
}  // namespace

Tensor elu(Tensor input, const ELUFuncOptions& options) {
  return inplace_or_not(options.inplace(), ember::elu_, ember::elu, input, options.alpha(), 1, 1);
}
Tensor selu(Tensor input, const SELUFuncOptions& options) {
  return inplace_or_not(options.inplace(), ember::selu_, ember::selu, input);
}
Tensor hardtanh(Tensor input, const HardtanhFuncOptions& options) {
  return inplace_or_not(options.inplace(), ember::hardtanh_, ember::hardtanh, input, options.min_val(),
                        options.max_val());
}
Tensor leaky_relu(Tensor input, const LeakyReLUFuncOptions& options) {
  return inplace_or_not(options.inplace(), ember::leaky_relu_, ember::leaky_relu, input, options.negative_slope());
}
Tensor relu6(Tensor input, const ReLU6FuncOptions& options) {
  return inplace_or_not(options.inplace(), ember::relu6_, ember::relu6, input);
}
Tensor celu(Tensor input, const CELUFuncOptions& options) {
  return inplace_or_not(options.inplace(), ember::celu_, ember::celu, input, options.alpha());
}
Tensor softplus(const Tensor& input, const SoftplusFuncOptions& options) {
  return ember::softplus(input, options.beta(), options.threshold());
}
Tensor logsigmoid(const Tensor& input) { return ember::log_sigmoid(input); }
Tensor silu(const Tensor& input) { return ember::silu(input); }
Tensor mish(const Tensor& input) { return ember::mish(input); }
Tensor softmin(const Tensor& input, const SoftminFuncOptions& options) {
  EMBER_CHECK(input.defined(), "softmin: undefined input");
  return ember::softmax(-input, options.dim(), options.dtype());
}
Tensor glu(const Tensor& input, const GLUFuncOptions& options) { return ember::glu(input, options.dim()); }

Tensor threshold(Tensor input, const ThresholdFuncOptions& options) {
  return inplace_or_not(options.inplace(), ember::threshold_, ember::threshold, input, options.threshold(),
                        options.value());
}
Tensor hardshrink(const Tensor& input, const HardshrinkFuncOptions& options) {
  return ember::hardshrink(input, options.lambda());
}
Tensor softshrink(const Tensor& input, const SoftshrinkFuncOptions& options) {
  return ember::softshrink(input, options.lambda());
}
Tensor softsign(const Tensor& input) { return input / (input.abs() + 1); }
Tensor tanhshrink(const Tensor& input) { return input - input.tanh(); }
Tensor prelu(const Tensor& input, const Tensor& weight) { return ember::prelu(input, weight); }

}  // namespace functional

// The printouts are LibTorch's: inplace only when set.
void ELUImpl::pretty_print(std::ostream& s) const {
  print(s, {{"alpha", options.alpha()}, {"inplace", true, options.inplace()}});
}
Tensor ELUImpl::forward(Tensor input) { return functional::elu(std::move(input), options); }

void SELUImpl::pretty_print(std::ostream& s) const { print(s, {{"inplace", true, options.inplace()}}); }
Tensor SELUImpl::forward(Tensor input) { return functional::selu(std::move(input), options); }

void HardtanhImpl::reset() {
  EMBER_CHECK(options.max_val() > options.min_val(),
              "Hardtanh: max_val must be greater than min_val (got min_val=", options.min_val(),
              ", max_val=", options.max_val(), ")");
}
void HardtanhImpl::pretty_print(std::ostream& s) const {
  print(s, {{"min_val", options.min_val()}, {"max_val", options.max_val()}, {"inplace", true, options.inplace()}});
}
Tensor HardtanhImpl::forward(Tensor input) { return functional::hardtanh(std::move(input), options); }

void LeakyReLUImpl::pretty_print(std::ostream& s) const {
  print(s, {{"negative_slope", options.negative_slope()}, {"inplace", true, options.inplace()}});
}
Tensor LeakyReLUImpl::forward(Tensor input) { return functional::leaky_relu(std::move(input), options); }

void ReLU6Impl::pretty_print(std::ostream& s) const { print(s, {{"inplace", true, options.inplace()}}); }
Tensor ReLU6Impl::forward(Tensor input) { return functional::relu6(std::move(input), options); }

void CELUImpl::pretty_print(std::ostream& s) const {
  print(s, {{"alpha", options.alpha()}, {"inplace", true, options.inplace()}});
}
Tensor CELUImpl::forward(Tensor input) { return functional::celu(std::move(input), options); }

void GLUImpl::pretty_print(std::ostream& s) const { print(s, {{"dim", options.dim()}}); }
Tensor GLUImpl::forward(const Tensor& input) { return functional::glu(input, options); }

void SoftplusImpl::pretty_print(std::ostream& s) const {
  print(s, {{"beta", options.beta()}, {"threshold", options.threshold()}});
}
Tensor SoftplusImpl::forward(const Tensor& input) { return functional::softplus(input, options); }

void SoftmaxImpl::pretty_print(std::ostream& s) const { print(s, {{"dim", options.dim()}}); }
Tensor SoftmaxImpl::forward(const Tensor& input) { return ember::softmax(input, options.dim()); }

void SoftminImpl::pretty_print(std::ostream& s) const { print(s, {{"dim", options.dim()}}); }
Tensor SoftminImpl::forward(const Tensor& input) { return functional::softmin(input, options.dim()); }

void LogSoftmaxImpl::pretty_print(std::ostream& s) const { print(s, {{"dim", options.dim()}}); }
Tensor LogSoftmaxImpl::forward(const Tensor& input) { return ember::log_softmax(input, options.dim()); }

void SiLUImpl::pretty_print(std::ostream& s) const { print(s); }
Tensor SiLUImpl::forward(const Tensor& input) { return ember::silu(input); }
void MishImpl::pretty_print(std::ostream& s) const { print(s); }
Tensor MishImpl::forward(const Tensor& input) { return ember::mish(input); }
void SigmoidImpl::pretty_print(std::ostream& s) const { print(s); }
Tensor SigmoidImpl::forward(const Tensor& input) { return ember::sigmoid(input); }
void TanhImpl::pretty_print(std::ostream& s) const { print(s); }
Tensor TanhImpl::forward(const Tensor& input) { return ember::tanh(input); }
void LogSigmoidImpl::pretty_print(std::ostream& s) const { print(s); }
Tensor LogSigmoidImpl::forward(const Tensor& input) { return ember::log_sigmoid(input); }

void ThresholdImpl::pretty_print(std::ostream& s) const {
  print(s, {{"threshold", options.threshold()}, {"value", options.value()}, {"inplace", true, options.inplace()}});
}
Tensor ThresholdImpl::forward(Tensor input) { return functional::threshold(std::move(input), options); }
void HardshrinkImpl::pretty_print(std::ostream& s) const { print(s, {{"", options.lambda()}}); }
Tensor HardshrinkImpl::forward(const Tensor& input) { return functional::hardshrink(input, options); }
void SoftshrinkImpl::reset() {
  EMBER_CHECK(options.lambda() >= 0, "Softshrink: lambda must be greater or equal to 0, but found to be ",
              options.lambda(), ".");
}
void SoftshrinkImpl::pretty_print(std::ostream& s) const { print(s, {{"", options.lambda()}}); }
Tensor SoftshrinkImpl::forward(const Tensor& input) { return functional::softshrink(input, options); }
void SoftsignImpl::pretty_print(std::ostream& s) const { print(s); }
Tensor SoftsignImpl::forward(const Tensor& input) { return functional::softsign(input); }
void TanhshrinkImpl::pretty_print(std::ostream& s) const { print(s); }
Tensor TanhshrinkImpl::forward(const Tensor& input) { return functional::tanhshrink(input); }
void PReLUImpl::reset() {
  EMBER_CHECK(options.num_parameters() >= 1, "PReLU: num_parameters must be at least 1, got ",
              options.num_parameters());
  weight = register_parameter("weight", full({options.num_parameters()}, options.init()));
}
void PReLUImpl::pretty_print(std::ostream& s) const { print(s, {{"num_parameters", options.num_parameters()}}); }
Tensor PReLUImpl::forward(const Tensor& input) { return functional::prelu(input, weight); }

}  // namespace nn
}  // namespace ember
