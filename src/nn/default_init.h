#pragma once
// LibTorch's default initialisation of Linear and Conv2d, in one place.
#include "ember/tensor.h"

namespace ember {
namespace nn {

/// weight ~ kaiming_uniform_(a = sqrt(5)), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the bias
/// (when defined) ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)). Empty weights are left alone (fan_in 0).
void default_reset(const Tensor& weight, const Tensor& bias);

}  // namespace nn
}  // namespace ember
