// AvgPool1d, AvgPool2d, AdaptiveAvgPool2d, AdaptiveMaxPool2d and their functional forms, over the pooling
// ops of src/ops/pool.cpp.
#include "ember/nn/pooling.h"

#include <ostream>

#include "ember/functional.h"

namespace ember {
namespace nn {
namespace functional {

Tensor avg_pool2d(const Tensor& input, const AvgPool2dFuncOptions& options) {
  return ember::avg_pool2d(input, options.kernel_size(), options.stride(), options.padding(), options.ceil_mode(),
                           options.count_include_pad(), options.divisor_override());
}

Tensor adaptive_avg_pool2d(const Tensor& input, const AdaptiveAvgPool2dFuncOptions& options) {
  return ember::adaptive_avg_pool2d(input, options.output_size());
}

Tensor adaptive_max_pool2d(const Tensor& input, const AdaptiveMaxPool2dFuncOptions& options) {
  return std::get<0>(ember::adaptive_max_pool2d(input, options.output_size()));
}

std::tuple<Tensor, Tensor> adaptive_max_pool2d_with_indices(const Tensor& input,
                                                            const AdaptiveMaxPool2dFuncOptions& options) {
  return ember::adaptive_max_pool2d(input, options.output_size());
}

}  // namespace functional

void AvgPool1dImpl::pretty_print(std::ostream& stream) const {
  print(stream, {{"kernel_size", options.kernel_size()}, {"stride", options.stride()}, {"padding", options.padding()}});
}
Tensor AvgPool1dImpl::forward(const Tensor& input) { return functional::avg_pool1d(input, options); }

void AvgPool2dImpl::pretty_print(std::ostream& stream) const {
  print(stream, {{"kernel_size", options.kernel_size()}, {"stride", options.stride()}, {"padding", options.padding()}});
}
Tensor AvgPool2dImpl::forward(const Tensor& input) { return functional::avg_pool2d(input, options); }

void AdaptiveAvgPool1dImpl::pretty_print(std::ostream& stream) const {
  print(stream, {{"output_size", options.output_size()}});
}
Tensor AdaptiveAvgPool1dImpl::forward(const Tensor& input) { return functional::adaptive_avg_pool1d(input, options); }

void AdaptiveMaxPool1dImpl::pretty_print(std::ostream& stream) const {
  print(stream, {{"output_size", options.output_size()}});
}
Tensor AdaptiveMaxPool1dImpl::forward(const Tensor& input) { return functional::adaptive_max_pool1d(input, options); }
std::tuple<Tensor, Tensor> AdaptiveMaxPool1dImpl::forward_with_indices(const Tensor& input) {
  return functional::adaptive_max_pool1d_with_indices(input, options);
}

void AdaptiveAvgPool2dImpl::pretty_print(std::ostream& stream) const {
  print(stream, {{"output_size", options.output_size()}});
}
Tensor AdaptiveAvgPool2dImpl::forward(const Tensor& input) { return functional::adaptive_avg_pool2d(input, options); }

void AdaptiveMaxPool2dImpl::pretty_print(std::ostream& stream) const {
  print(stream, {{"output_size", options.output_size()}});
}
Tensor AdaptiveMaxPool2dImpl::forward(const Tensor& input) { return functional::adaptive_max_pool2d(input, options); }
std::tuple<Tensor, Tensor> AdaptiveMaxPool2dImpl::forward_with_indices(const Tensor& input) {
  return functional::adaptive_max_pool2d_with_indices(input, options);
}

}  // namespace nn
}  // namespace ember
