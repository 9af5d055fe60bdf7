// nn::Linear.
#include <cmath>
#include <ostream>

#include "ember/functional.h"
#include "ember/nn/init.h"
#include "ember/nn/modules.h"

#include "default_init.h"

namespace ember {
namespace nn {

LinearImpl::LinearImpl(const LinearOptions& options_) : options(options_) { reset(); }

void LinearImpl::reset() {
  EMBER_CHECK(options.in_features() >= 0 && options.out_features() >= 0,
              "Linear: in_features and out_features must be non-negative, got ", options.in_features(), " and ",
              options.out_features());
  weight = register_parameter("weight", empty({options.out_features(), options.in_features()}));
  if (options.bias()) {
    bias = register_parameter("bias", empty({options.out_features()}));
  } else {
    // Registered undefined, as LibTorch, so the name exists but parameters() skips it.
    bias = register_parameter("bias", Tensor(), /*requires_grad=*/false);
  }
  reset_parameters();
}

void LinearImpl::reset_parameters() { default_reset(weight, bias); }

void LinearImpl::pretty_print(std::ostream& stream) const {
  stream << std::boolalpha << "ember::nn::Linear(in_features=" << options.in_features()
         << ", out_features=" << options.out_features() << ", bias=" << options.bias() << ")";
}

Tensor LinearImpl::forward(const Tensor& input) { return functional::linear(input, weight, bias); }

}  // namespace nn
}  // namespace ember
