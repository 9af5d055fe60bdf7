// nn::utils: clip_grad_norm_, clip_grad_value_, parameters_to_vector, vector_to_parameters,
// following LibTorch 1.13's torch/nn/utils (clip_grad.h, convert_parameters.h).
#include "ember/nn/utils.h"

#include <cmath>
#include <limits>

#include "ember/autograd.h"
#include "ops/common.h"
#include "set_data.h"

namespace ember {
namespace nn {
namespace utils {
namespace {

// The p-norm of all of t's elements as a 0-dim tensor of t's dtype (torch's Tensor::norm(p)).
Tensor norm_of(const Tensor& t, double p) {
  Tensor a = t.abs();
  if (std::isinf(p)) return p > 0 ? a.max() : a.min();
  if (p == 0) return (a != 0).sum().to(t.dtype());
  if (p == 1) return a.sum();
  if (p == 2) return (a * a).sum().sqrt();
  return a.pow(p).sum().pow(1.0 / p);
}

// LibTorch's _check_param_device: every parameter on the device of the first.
void check_same_device(const std::vector<Tensor>& parameters, const char* op) {
  for (size_t i = 0; i < parameters.size(); ++i) {
    EMBER_CHECK(parameters[i].defined(), op, ": parameter ", i, " is undefined");
    EMBER_CHECK(parameters[i].device() == parameters[0].device(), op,
                ": found two parameters on different devices, this is currently not supported (parameter 0 is ",
                describe(parameters[0]), ", parameter ", i, " is ", describe(parameters[i]), ")");
  }
}

}  // namespace

double clip_grad_norm_(std::vector<Tensor> parameters, double max_norm, double norm_type, bool error_if_nonfinite) {
  NoGradGuard no_grad;
  std::vector<Tensor> grads;
  for (const Tensor& param : parameters)
    if (param.defined() && param.grad().defined()) grads.push_back(param.grad());
  if (grads.empty()) return 0.0;

  Tensor total;
  if (norm_type == std::numeric_limits<double>::infinity()) {
    std::vector<Tensor> norms;
    for (const Tensor& g : grads) norms.push_back(g.abs().max());
    total = norms.size() == 1 ? norms[0] : stack(norms).max();
  } else if (norm_type == 0) {
    // LibTorch 1.13's rule for order 0: the count of parameters that have a gradient (PyTorch's
    // Python counts the nonzero gradient elements instead).
    total = full({}, double(grads.size()), grads[0].options().dtype(kFloat));
  } else {
    std::vector<Tensor> norms;
    for (const Tensor& g : grads) norms.push_back(norm_of(g, norm_type));
    total = norms.size() == 1 ? norms[0] : norm_of(stack(norms), norm_type);
  }
  const double total_norm = total.item<double>();
  EMBER_CHECK(!error_if_nonfinite || std::isfinite(total_norm), "clip_grad_norm_: the total norm of order ", norm_type,
              " for gradients from `parameters` is non-finite, so it cannot be clipped. To disable ",
              "this error and scale the gradients with the non-finite norm anyway, set `error_if_nonfinite=false`");
  // The coefficient stays a tensor in the gradients' dtype, as LibTorch's, so the scaled
  // gradients round the same way.
  Tensor coef = (max_norm / (total + 1e-6)).clamp(std::nullopt, 1.0);
  for (const Tensor& g : grads) g.mul_(coef.to(g.dtype()));
  return total_norm;
}

double clip_grad_norm_(std::initializer_list<Tensor> parameters, double max_norm, double norm_type,
                       bool error_if_nonfinite) {
  return clip_grad_norm_(std::vector<Tensor>(parameters), max_norm, norm_type, error_if_nonfinite);
}

double clip_grad_norm_(Tensor parameter, double max_norm, double norm_type, bool error_if_nonfinite) {
  return clip_grad_norm_(std::vector<Tensor>{std::move(parameter)}, max_norm, norm_type, error_if_nonfinite);
}

void clip_grad_value_(std::vector<Tensor> parameters, double clip_value) {
  NoGradGuard no_grad;
  for (const Tensor& param : parameters)
    if (param.defined() && param.grad().defined()) param.grad().clamp_(-clip_value, clip_value);
}

void clip_grad_value_(std::initializer_list<Tensor> parameters, double clip_value) {
  clip_grad_value_(std::vector<Tensor>(parameters), clip_value);
}

void clip_grad_value_(Tensor parameter, double clip_value) {
  clip_grad_value_(std::vector<Tensor>{std::move(parameter)}, clip_value);
}

Tensor parameters_to_vector(const std::vector<Tensor>& parameters) {
  check_same_device(parameters, "parameters_to_vector");
  std::vector<Tensor> flat;
  flat.reserve(parameters.size());
  for (const Tensor& param : parameters) flat.push_back(param.reshape({-1}));
  return cat(flat);
}

void vector_to_parameters(const Tensor& vec, std::vector<Tensor> parameters) {
  EMBER_CHECK(vec.defined(), "vector_to_parameters: the vector is undefined");
  check_same_device(parameters, "vector_to_parameters");
  int64_t needed = 0;
  for (const Tensor& param : parameters) needed += param.numel();
  EMBER_CHECK(vec.dim() == 1 && vec.numel() >= needed, "vector_to_parameters: expected a 1-D vector of at least ",
              needed, " elements (the parameters' total), got ", describe(vec));
  int64_t offset = 0;
  for (const Tensor& param : parameters) {
    const int64_t n = param.numel();
    // As LibTorch's set_data: the parameter becomes a view of its slice of vec's storage.
    detail::set_data(param, vec.detach().slice(0, offset, offset + n).view(param.sizes()));
    offset += n;
  }
}

}  // namespace utils
}  // namespace nn
}  // namespace ember
