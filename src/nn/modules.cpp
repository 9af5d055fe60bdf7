// The parameter-free layers (ReLU, GELU, Flatten, Dropout, Identity, Functional).
// (BatchNorm is in normalization.cpp.)
#include <ostream>

#include "ember/autograd.h"
#include "ember/functional.h"
#include "ember/nn/init.h"
#include "ember/nn/modules.h"

namespace ember {
namespace nn {

// --- activations and reshapes -----------------------------------------------------------------

ReLUImpl::ReLUImpl(const ReLUOptions& options_) : options(options_) {}

void ReLUImpl::pretty_print(std::ostream& stream) const {
  stream << "ember::nn::ReLU(";
  if (options.inplace()) stream << std::boolalpha << "inplace=" << options.inplace();
  stream << ")";
}

Tensor ReLUImpl::forward(Tensor input) {
  return functional::relu(std::move(input), functional::ReLUFuncOptions(options.inplace()));
}

GELUImpl::GELUImpl(GELUOptions options_) : options(std::move(options_)) {}

void GELUImpl::pretty_print(std::ostream& stream) const { stream << "ember::nn::GELU()"; }

Tensor GELUImpl::forward(const Tensor& input) {
  return functional::gelu(input, functional::GELUFuncOptions().approximate(options.approximate()));
}

FlattenImpl::FlattenImpl(const FlattenOptions& options_) : options(options_) {}

void FlattenImpl::pretty_print(std::ostream& stream) const {
  stream << "ember::nn::Flatten(start_dim=" << options.start_dim() << ", end_dim=" << options.end_dim() << ")";
}

Tensor FlattenImpl::forward(const Tensor& input) { return input.flatten(options.start_dim(), options.end_dim()); }

void IdentityImpl::pretty_print(std::ostream& stream) const { stream << "ember::nn::Identity()"; }

// --- dropout ---------------------------------------------------------------------------------------

DropoutImpl::DropoutImpl(const DropoutOptions& options_) : options(options_) { reset(); }

void DropoutImpl::reset() {
  EMBER_CHECK(options.p() >= 0. && options.p() <= 1., "Dropout: the probability has to be between 0 and 1, but got ",
              options.p());
}

void DropoutImpl::pretty_print(std::ostream& stream) const {
  stream << std::boolalpha << "ember::nn::Dropout(p=" << options.p() << ", inplace=" << options.inplace() << ")";
}

Tensor DropoutImpl::forward(Tensor input) {
  return functional::dropout(
      std::move(input),
      functional::DropoutFuncOptions().p(options.p()).inplace(options.inplace()).training(is_training()));
}

// --- functional --------------------------------------------------------------------------------------

FunctionalImpl::FunctionalImpl(Function function) : function_(std::move(function)) {
  EMBER_CHECK(static_cast<bool>(function_), "Functional: the function is empty");
}

void FunctionalImpl::pretty_print(std::ostream& stream) const { stream << "ember::nn::Functional()"; }

Tensor FunctionalImpl::forward(Tensor input) { return function_(std::move(input)); }

}  // namespace nn
}  // namespace ember
