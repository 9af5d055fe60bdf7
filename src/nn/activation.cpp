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

Tensor elu(Tensor input, const ELUFuncOptions& options) {
  if (options.inplace()) return ember::elu_(input, options.alpha());
  return ember::elu(input, options.alpha());
}
Tensor selu(Tensor input, const SELUFuncOptions& options) {
  if (options.inplace()) return ember::selu_(input);
  return ember::selu(input);
}
Tensor hardtanh(Tensor input, const HardtanhFuncOptions& options) {
  if (options.inplace()) return ember::hardtanh_(input, options.min_val(), options.max_val());
  return ember::hardtanh(input, options.min_val(), options.max_val());
}
Tensor leaky_relu(Tensor input, const LeakyReLUFuncOptions& options) {
  if (options.inplace()) return ember::leaky_relu_(input, options.negative_slope());
  return ember::leaky_relu(input, options.negative_slope());
}
Tensor relu6(Tensor input, const ReLU6FuncOptions& options) {
  if (options.inplace()) return ember::relu6_(input);
  return ember::relu6(input);
}
Tensor celu(Tensor input, const CELUFuncOptions& options) {
  if (options.inplace()) return ember::celu_(input, options.alpha());
  return ember::celu(input, options.alpha());
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

}  // namespace functional

namespace {
/// ", inplace=true" when set: LibTorch prints the flag only then.
void print_inplace(std::ostream& stream, bool inplace, bool first) {
  if (inplace) stream << (first ? "" : ", ") << "inplace=true";
}
}  // namespace

ELUImpl::ELUImpl(const ELUOptions& options_) : options(options_) {}
void ELUImpl::reset() {}
void ELUImpl::pretty_print(std::ostream& stream) const {
  stream << "ember::nn::ELU(alpha=" << options.alpha();
  print_inplace(stream, options.inplace(), false);
  stream << ")";
}
Tensor ELUImpl::forward(Tensor input) { return functional::elu(std::move(input), options); }

SELUImpl::SELUImpl(const SELUOptions& options_) : options(options_) {}
void SELUImpl::reset() {}
void SELUImpl::pretty_print(std::ostream& stream) const {
  stream << "ember::nn::SELU(";
  print_inplace(stream, options.inplace(), true);
  stream << ")";
}
Tensor SELUImpl::forward(Tensor input) { return functional::selu(std::move(input), options); }

HardtanhImpl::HardtanhImpl(const HardtanhOptions& options_) : options(options_) { reset(); }
void HardtanhImpl::reset() {
  EMBER_CHECK(options.max_val() > options.min_val(),
              "Hardtanh: max_val must be greater than min_val (got min_val=", options.min_val(),
              ", max_val=", options.max_val(), ")");
}
void HardtanhImpl::pretty_print(std::ostream& stream) const {
  stream << "ember::nn::Hardtanh(min_val=" << options.min_val() << ", max_val=" << options.max_val();
  print_inplace(stream, options.inplace(), false);
  stream << ")";
}
Tensor HardtanhImpl::forward(Tensor input) { return functional::hardtanh(std::move(input), options); }

LeakyReLUImpl::LeakyReLUImpl(const LeakyReLUOptions& options_) : options(options_) {}
void LeakyReLUImpl::reset() {}
void LeakyReLUImpl::pretty_print(std::ostream& stream) const {
  stream << "ember::nn::LeakyReLU(negative_slope=" << options.negative_slope();
  print_inplace(stream, options.inplace(), false);
  stream << ")";
}
Tensor LeakyReLUImpl::forward(Tensor input) { return functional::leaky_relu(std::move(input), options); }

ReLU6Impl::ReLU6Impl(const ReLU6Options& options_) : options(options_) {}
void ReLU6Impl::reset() {}
void ReLU6Impl::pretty_print(std::ostream& stream) const {
  stream << "ember::nn::ReLU6(";
  print_inplace(stream, options.inplace(), true);
  stream << ")";
}
Tensor ReLU6Impl::forward(Tensor input) { return functional::relu6(std::move(input), options); }

CELUImpl::CELUImpl(const CELUOptions& options_) : options(options_) {}
void CELUImpl::reset() {}
void CELUImpl::pretty_print(std::ostream& stream) const {
  stream << "ember::nn::CELU(alpha=" << options.alpha();
  print_inplace(stream, options.inplace(), false);
  stream << ")";
}
Tensor CELUImpl::forward(Tensor input) { return functional::celu(std::move(input), options); }

GLUImpl::GLUImpl(const GLUOptions& options_) : options(options_) {}
void GLUImpl::reset() {}
void GLUImpl::pretty_print(std::ostream& stream) const { stream << "ember::nn::GLU(dim=" << options.dim() << ")"; }
Tensor GLUImpl::forward(const Tensor& input) { return functional::glu(input, options); }

SoftplusImpl::SoftplusImpl(const SoftplusOptions& options_) : options(options_) {}
void SoftplusImpl::reset() {}
void SoftplusImpl::pretty_print(std::ostream& stream) const {
  stream << "ember::nn::Softplus(beta=" << options.beta() << ", threshold=" << options.threshold() << ")";
}
Tensor SoftplusImpl::forward(const Tensor& input) { return functional::softplus(input, options); }

SoftmaxImpl::SoftmaxImpl(const SoftmaxOptions& options_) : options(options_) {}
void SoftmaxImpl::pretty_print(std::ostream& stream) const {
  stream << "ember::nn::Softmax(dim=" << options.dim() << ")";
}
Tensor SoftmaxImpl::forward(const Tensor& input) { return ember::softmax(input, options.dim()); }

SoftminImpl::SoftminImpl(const SoftminOptions& options_) : options(options_) {}
void SoftminImpl::pretty_print(std::ostream& stream) const {
  stream << "ember::nn::Softmin(dim=" << options.dim() << ")";
}
Tensor SoftminImpl::forward(const Tensor& input) { return functional::softmin(input, options.dim()); }

LogSoftmaxImpl::LogSoftmaxImpl(const LogSoftmaxOptions& options_) : options(options_) {}
void LogSoftmaxImpl::pretty_print(std::ostream& stream) const {
  stream << "ember::nn::LogSoftmax(dim=" << options.dim() << ")";
}
Tensor LogSoftmaxImpl::forward(const Tensor& input) { return ember::log_softmax(input, options.dim()); }

void SiLUImpl::pretty_print(std::ostream& stream) const { stream << "ember::nn::SiLU()"; }
Tensor SiLUImpl::forward(const Tensor& input) { return ember::silu(input); }
void MishImpl::pretty_print(std::ostream& stream) const { stream << "ember::nn::Mish()"; }
Tensor MishImpl::forward(const Tensor& input) { return ember::mish(input); }
void SigmoidImpl::pretty_print(std::ostream& stream) const { stream << "ember::nn::Sigmoid()"; }
Tensor SigmoidImpl::forward(const Tensor& input) { return ember::sigmoid(input); }
void TanhImpl::pretty_print(std::ostream& stream) const { stream << "ember::nn::Tanh()"; }
Tensor TanhImpl::forward(const Tensor& input) { return ember::tanh(input); }
void LogSigmoidImpl::pretty_print(std::ostream& stream) const { stream << "ember::nn::LogSigmoid()"; }
Tensor LogSigmoidImpl::forward(const Tensor& input) { return ember::log_sigmoid(input); }

}  // namespace nn
}  // namespace ember
