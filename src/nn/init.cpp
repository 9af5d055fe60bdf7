// nn::init: LibTorch's initialisers, each a NoGradGuard around an in-place fill.
#include "ember/nn/init.h"

#include "default_init.h"

#include <cmath>

#include "ember/autograd.h"
#include "tensor_impl.h"

namespace ember {
namespace nn {
namespace init {
namespace {

template <typename Tag, typename Variant>
bool holds(const Variant& v) {
  return std::holds_alternative<Tag>(v);
}

// gain / sqrt(fan): the standard deviation both Kaiming initialisers aim for.
double kaiming_std(const Tensor& tensor, double a, FanModeType mode, NonlinearityType nonlinearity,
                   const char* op) {
  EMBER_CHECK(tensor.defined(), op, ": the tensor is undefined");
  EMBER_CHECK(tensor.numel() > 0, op, ": cannot initialise an empty tensor ", describe(tensor));
  int64_t fan_in = 0, fan_out = 0;
  std::tie(fan_in, fan_out) = _calculate_fan_in_and_fan_out(tensor);
  const int64_t fan = holds<enumtype::kFanIn>(mode) ? fan_in : fan_out;
  return calculate_gain(nonlinearity, a) / std::sqrt(double(fan));
}

void check_floating(const Tensor& tensor, const char* op) {
  EMBER_CHECK(tensor.defined(), op, ": the tensor is undefined");
  EMBER_CHECK(tensor.is_floating_point(), op, ": needs a floating-point tensor, got ", describe(tensor));
}

/// Glorot's standard deviation: gain * sqrt(2 / (fan_in + fan_out)).
double xavier_std(const Tensor& tensor, double gain) {
  int64_t fan_in = 0, fan_out = 0;
  std::tie(fan_in, fan_out) = _calculate_fan_in_and_fan_out(tensor);
  return gain * std::sqrt(2.0 / double(fan_in + fan_out));
}

}  // namespace

double calculate_gain(NonlinearityType nonlinearity, double param) {
  if (holds<enumtype::kTanh>(nonlinearity)) return 5.0 / 3.0;
  if (holds<enumtype::kReLU>(nonlinearity)) return std::sqrt(2.0);
  if (holds<enumtype::kLeakyReLU>(nonlinearity)) return std::sqrt(2.0 / (1.0 + param * param));
  return 1.0;  // linear, conv*, sigmoid
}

std::tuple<int64_t, int64_t> _calculate_fan_in_and_fan_out(const Tensor& tensor) {
  EMBER_CHECK(tensor.defined(), "_calculate_fan_in_and_fan_out: the tensor is undefined");
  EMBER_CHECK(tensor.dim() >= 2, "_calculate_fan_in_and_fan_out: fan in and fan out need a tensor of at ",
              "least 2 dimensions, got ", describe(tensor));
  int64_t receptive_field = 1;
  for (int64_t d = 2; d < tensor.dim(); ++d) receptive_field *= tensor.size(d);
  return std::make_tuple(tensor.size(1) * receptive_field, tensor.size(0) * receptive_field);
}

Tensor constant_(Tensor tensor, Scalar value) {
  EMBER_CHECK(tensor.defined(), "constant_: the tensor is undefined");
  NoGradGuard guard;
  tensor.fill_(value);
  return tensor;
}

Tensor ones_(Tensor tensor) { return constant_(std::move(tensor), 1); }

Tensor zeros_(Tensor tensor) {
  EMBER_CHECK(tensor.defined(), "zeros_: the tensor is undefined");
  NoGradGuard guard;
  tensor.zero_();
  return tensor;
}

Tensor normal_(Tensor tensor, double mean, double std) {
  check_floating(tensor, "normal_");
  NoGradGuard guard;
  tensor.normal_(mean, std);
  return tensor;
}

Tensor uniform_(Tensor tensor, double low, double high) {
  check_floating(tensor, "uniform_");
  NoGradGuard guard;
  tensor.uniform_(low, high);
  return tensor;
}

Tensor eye_(Tensor matrix) {
  EMBER_CHECK(matrix.defined(), "eye_: the tensor is undefined");
  EMBER_CHECK(matrix.dim() == 2, "eye_: only 2-D tensors are supported, got ", describe(matrix));
  NoGradGuard guard;
  matrix.copy_(eye(matrix.size(0), matrix.size(1), matrix.options().requires_grad(false)));
  return matrix;
}

Tensor kaiming_normal_(Tensor tensor, double a, FanModeType mode, NonlinearityType nonlinearity) {
  check_floating(tensor, "kaiming_normal_");
  NoGradGuard guard;
  const double std = kaiming_std(tensor, a, mode, nonlinearity, "kaiming_normal_");
  tensor.normal_(0, std);
  return tensor;
}

Tensor kaiming_uniform_(Tensor tensor, double a, FanModeType mode, NonlinearityType nonlinearity) {
  check_floating(tensor, "kaiming_uniform_");
  NoGradGuard guard;
  // U(-b, b) has standard deviation b / sqrt(3).
  const double bound = std::sqrt(3.0) * kaiming_std(tensor, a, mode, nonlinearity, "kaiming_uniform_");
  tensor.uniform_(-bound, bound);
  return tensor;
}

Tensor xavier_normal_(Tensor tensor, double gain) {
  check_floating(tensor, "xavier_normal_");
  NoGradGuard guard;
  tensor.normal_(0, xavier_std(tensor, gain));
  return tensor;
}

Tensor xavier_uniform_(Tensor tensor, double gain) {
  check_floating(tensor, "xavier_uniform_");
  NoGradGuard guard;
  // U(-b, b) has standard deviation b / sqrt(3).
  const double bound = std::sqrt(3.0) * xavier_std(tensor, gain);
  tensor.uniform_(-bound, bound);
  return tensor;
}

}  // namespace init

void default_reset(const Tensor& weight, const Tensor& bias) {
  if (weight.numel() == 0) return;  // nothing to draw; fan_in would be 0
  // a = sqrt(5) makes the bound gain * sqrt(3 / fan_in) = 1 / sqrt(fan_in) (LibTorch's choice).
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    int64_t fan_in = 0, fan_out = 0;
    std::tie(fan_in, fan_out) = init::_calculate_fan_in_and_fan_out(weight);
    const double bound = 1.0 / std::sqrt(double(fan_in));
    init::uniform_(bias, -bound, bound);
  }
}

}  // namespace nn
}  // namespace ember
