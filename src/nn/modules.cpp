// The parameter-free layers (ReLU, GELU, Flatten, Identity, the dropouts, Functional).
// (BatchNorm is in normalization.cpp.)
#include <ostream>

#include "ember/autograd.h"
#include "ember/functional.h"
#include "ember/nn/init.h"
#include "ember/nn/modules.h"

namespace ember {
namespace nn {

// --- activations and reshapes -----------------------------------------------------------------

void ReLUImpl::pretty_print(std::ostream& stream) const { print(stream, {{"inplace", true, options.inplace()}}); }
Tensor ReLUImpl::forward(Tensor input) { return functional::relu(std::move(input), options.inplace()); }

// LibTorch prints GELU without its approximation.
void GELUImpl::pretty_print(std::ostream& stream) const { print(stream); }
Tensor GELUImpl::forward(const Tensor& input) {
  return functional::gelu(input, functional::GELUFuncOptions().approximate(options.approximate()));
}

void FlattenImpl::pretty_print(std::ostream& stream) const {
  print(stream, {{"start_dim", options.start_dim()}, {"end_dim", options.end_dim()}});
}
Tensor FlattenImpl::forward(const Tensor& input) { return input.flatten(options.start_dim(), options.end_dim()); }

void IdentityImpl::pretty_print(std::ostream& stream) const { print(stream); }
Tensor IdentityImpl::forward(const Tensor& input) { return input; }

// --- dropout ---------------------------------------------------------------------------------------

void DropoutImplBase::reset() {
  EMBER_CHECK(options.p() >= 0. && options.p() <= 1., layer_name_,
              ": dropout probability has to be between 0 and 1, but got ", options.p());
}
functional::DropoutFuncOptions DropoutImplBase::func_options() const {
  return functional::DropoutFuncOptions().p(options.p()).inplace(options.inplace()).training(is_training());
}
void DropoutImplBase::print_options(std::ostream& stream) const {
  print(stream, {{"p", options.p()}, {"inplace", options.inplace()}});
}

void DropoutImpl::pretty_print(std::ostream& stream) const { print_options(stream); }
Tensor DropoutImpl::forward(Tensor input) { return functional::dropout(std::move(input), func_options()); }

void Dropout2dImpl::pretty_print(std::ostream& stream) const { print_options(stream); }
Tensor Dropout2dImpl::forward(Tensor input) { return functional::dropout2d(std::move(input), func_options()); }

void AlphaDropoutImpl::pretty_print(std::ostream& stream) const { print_options(stream); }
Tensor AlphaDropoutImpl::forward(const Tensor& input) {
  // As LibTorch's module: never in place, whatever options.inplace() says.
  return functional::alpha_dropout(
      input, functional::AlphaDropoutFuncOptions().p(options.p()).inplace(false).training(is_training()));
}

// --- functional --------------------------------------------------------------------------------------

FunctionalImpl::FunctionalImpl(Function function) : function_(std::move(function)) {
  EMBER_CHECK(static_cast<bool>(function_), "Functional: the function is empty");
}

void FunctionalImpl::pretty_print(std::ostream& stream) const { stream << "ember::nn::Functional()"; }

Tensor FunctionalImpl::forward(Tensor input) { return function_(std::move(input)); }

}  // namespace nn
}  // namespace ember
