// nn::Linear, and what it shares with Conv2d: registering and initialising a weight and a bias.
#include <cmath>
#include <ostream>

#include "ember/functional.h"
#include "ember/nn/init.h"
#include "ember/nn/conv_pool3d.h"  // WeightBiasImplBase<ConvOptions<3>>, exported
#include "ember/nn/modules.h"

#include "default_init.h"

namespace ember {
namespace nn {

template <typename Options>
void WeightBiasImplBase<Options>::reset_parameters() {
  default_reset(weight, bias);
}

template <typename Options>
void WeightBiasImplBase<Options>::register_weight_and_bias(const std::vector<int64_t>& weight_shape) {
  weight = this->register_parameter("weight", ember::empty(weight_shape));
  const bool has_bias = this->options.bias();
  bias = this->register_parameter("bias", has_bias ? empty({weight_shape[0]}) : Tensor(), /*requires_grad=*/has_bias);
  reset_parameters();
}

template class WeightBiasImplBase<LinearOptions>;
template class WeightBiasImplBase<Conv1dOptions>;
template class WeightBiasImplBase<Conv2dOptions>;
template class WeightBiasImplBase<ConvOptions<3>>;

void LinearImpl::reset() {
  EMBER_CHECK(options.in_features() >= 0 && options.out_features() >= 0,
              "Linear: in_features and out_features must be non-negative, got ", options.in_features(), " and ",
              options.out_features());
  register_weight_and_bias({options.out_features(), options.in_features()});
}

void LinearImpl::pretty_print(std::ostream& stream) const {
  print(stream,
        {{"in_features", options.in_features()}, {"out_features", options.out_features()}, {"bias", options.bias()}});
}

Tensor LinearImpl::forward(const Tensor& input) { return functional::linear(input, weight, bias); }

}  // namespace nn
}  // namespace ember
