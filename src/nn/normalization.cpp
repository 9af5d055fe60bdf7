// The normalisation layers (BatchNorm1d/2d, InstanceNorm1d/2d, LayerNorm, GroupNorm): LibTorch's
// parameters, buffers and forwards (BatchNorm's cumulative average when momentum is nullopt), and
// the functional forms F::layer_norm, F::group_norm, F::instance_norm and F::normalize.
#include "ember/nn/normalization.h"

#include <cmath>
#include <ostream>
#include <tuple>

#include "ember/autograd.h"
#include "ember/functional.h"
#include "ember/nn/init.h"
#include "ops/common.h"

namespace ember {
namespace nn {

template <typename Options>
void AffineNormImplBase<Options>::reset_parameters() {
  if (!weight.defined()) return;
  init::ones_(weight);
  init::zeros_(bias);
}

template <typename Options>
void AffineNormImplBase<Options>::register_affine(bool affine, const std::vector<int64_t>& shape) {
  weight = this->register_parameter("weight", affine ? ember::empty(shape) : Tensor(), /*requires_grad=*/affine);
  bias = this->register_parameter("bias", affine ? ember::empty(shape) : Tensor(), /*requires_grad=*/affine);
  reset_parameters();
}

template <typename Options>
void NormImplBase<Options>::reset() {
  const int64_t c = this->options.num_features();
  EMBER_CHECK(c > 0, this->layer_name_, ": num_features must be positive, got ", c);
  this->register_affine(this->options.affine(), {c});
  const bool tracked = this->options.track_running_stats();
  running_mean = this->register_buffer("running_mean", tracked ? zeros({c}) : Tensor());
  running_var = this->register_buffer("running_var", tracked ? ones({c}) : Tensor());
  num_batches_tracked = this->register_buffer("num_batches_tracked", tracked ? zeros(IntArrayRef(), kLong) : Tensor());
}

template <typename Options>
void NormImplBase<Options>::reset_running_stats() {
  if (!this->options.track_running_stats()) return;
  NoGradGuard no_grad;
  running_mean.zero_();
  running_var.fill_(1);
  num_batches_tracked.zero_();
}

template <typename Options>
void NormImplBase<Options>::reset_parameters() {
  reset_running_stats();
  AffineNormImplBase<Options>::reset_parameters();
}

template <typename Options>
void NormImplBase<Options>::print_options(std::ostream& stream) const {
  const Options& o = this->options;
  this->print(stream, {{"", o.num_features()},
                       {"eps", o.eps()},
                       {"momentum", o.momentum()},
                       {"affine", o.affine()},
                       {"track_running_stats", o.track_running_stats()}});
}

template <typename Options>
void NormImplBase<Options>::check_input(const Tensor& input, int64_t min_dim, int64_t max_dim) const {
  const char* name = this->layer_name_;
  EMBER_CHECK(input.defined(), name, ": undefined input");
  const int64_t dim = input.dim();
  if (min_dim == max_dim) {
    EMBER_CHECK(dim == min_dim, name, ": expected ", min_dim, "D input (got ", dim, "D input of shape ", input.sizes(),
                ")");
  } else {
    EMBER_CHECK(dim >= min_dim && dim <= max_dim, name, ": expected ", min_dim, "D or ", max_dim, "D input (got ", dim,
                "D input of shape ", input.sizes(), ")");
  }
}

template class AffineNormImplBase<BatchNormOptions>;
template class AffineNormImplBase<InstanceNormOptions>;
template class AffineNormImplBase<LayerNormOptions>;
template class AffineNormImplBase<GroupNormOptions>;
template class NormImplBase<BatchNormOptions>;
template class NormImplBase<InstanceNormOptions>;

Tensor BatchNormImplBase::forward_checked(const Tensor& input, int64_t min_dim, int64_t max_dim) {
  check_input(input, min_dim, max_dim);
  EMBER_CHECK(input.size(1) == options.num_features(), layer_name_, ": the input has ", input.size(1),
              " channels (shape ", input.sizes(), ") but the layer was built for ", options.num_features());
  // The weight of the newest batch in the running averages: momentum, or 1/n for the
  // cumulative average when momentum is None (as LibTorch).
  double factor = options.momentum().value_or(0.0);
  if (is_training() && options.track_running_stats() && num_batches_tracked.defined()) {
    {
      NoGradGuard no_grad;
      num_batches_tracked.add_(1);
    }
    if (!options.momentum()) factor = 1.0 / double(num_batches_tracked.item<int64_t>());
  }
  return ember::batch_norm(input, weight, bias, running_mean, running_var,
                           is_training() || !options.track_running_stats(), factor, options.eps(),
                           /*cudnn_enabled=*/true);
}

void BatchNorm1dImpl::pretty_print(std::ostream& stream) const { print_options(stream); }
Tensor BatchNorm1dImpl::forward(const Tensor& input) { return forward_checked(input, 2, 3); }

void BatchNorm2dImpl::pretty_print(std::ostream& stream) const { print_options(stream); }
Tensor BatchNorm2dImpl::forward(const Tensor& input) { return forward_checked(input, 4, 4); }

Tensor InstanceNormImplBase::forward_checked(const Tensor& input, int64_t max_dim) {
  check_input(input, max_dim - 1, max_dim);
  // An unbatched input is one sample, as LibTorch's handle_no_batch_input.
  if (input.dim() == max_dim - 1) return forward_checked(input.unsqueeze(0), max_dim).squeeze(0);
  return ember::instance_norm(input, weight, bias, running_mean, running_var,
                              is_training() || !options.track_running_stats(), options.momentum(), options.eps(),
                              /*cudnn_enabled=*/false);
}

void InstanceNorm1dImpl::pretty_print(std::ostream& stream) const { print_options(stream); }
Tensor InstanceNorm1dImpl::forward(const Tensor& input) { return forward_checked(input, 3); }

void InstanceNorm2dImpl::pretty_print(std::ostream& stream) const { print_options(stream); }
Tensor InstanceNorm2dImpl::forward(const Tensor& input) { return forward_checked(input, 4); }

void LayerNormImpl::reset() { register_affine(options.elementwise_affine(), options.normalized_shape()); }
void LayerNormImpl::pretty_print(std::ostream& stream) const {
  print(stream, {{"", IntArrayRef(options.normalized_shape())},
                 {"eps", options.eps()},
                 {"elementwise_affine", options.elementwise_affine()}});
}
Tensor LayerNormImpl::forward(const Tensor& input) {
  return ember::layer_norm(input, options.normalized_shape(), weight, bias, options.eps());
}

void GroupNormImpl::reset() { register_affine(options.affine(), {options.num_channels()}); }
void GroupNormImpl::pretty_print(std::ostream& stream) const {
  print(
      stream,
      {{"", options.num_groups()}, {"", options.num_channels()}, {"eps", options.eps()}, {"affine", options.affine()}});
}
Tensor GroupNormImpl::forward(const Tensor& input) {
  return ember::group_norm(input, options.num_groups(), weight, bias, options.eps());
}

namespace functional {

Tensor layer_norm(const Tensor& input, const LayerNormFuncOptions& options) {
  return ember::layer_norm(input, options.normalized_shape(), options.weight(), options.bias(), options.eps());
}

Tensor group_norm(const Tensor& input, const GroupNormFuncOptions& options) {
  return ember::group_norm(input, options.num_groups(), options.weight(), options.bias(), options.eps());
}

Tensor instance_norm(const Tensor& input, const InstanceNormFuncOptions& options) {
  return ember::instance_norm(input, options.weight(), options.bias(), options.running_mean(), options.running_var(),
                              options.use_input_stats(), options.momentum(), options.eps(), /*cudnn_enabled=*/false);
}

Tensor normalize(const Tensor& input, NormalizeFuncOptions options) {
  const char* op = "normalize";
  EMBER_CHECK(input.defined(), op, ": undefined input");
  const double p = options.p();
  const int64_t dim = options.dim();
  Tensor norm;
  if (std::isinf(p)) {
    norm = std::get<0>(p > 0 ? input.abs().max(dim, true) : input.abs().min(dim, true));
  } else {
    EMBER_CHECK(p > 0, op, ": p = ", p, " is not supported by ember (a positive number or +-infinity is)");
    Tensor s = p == 1 ? input.abs().sum({dim}, true) : (p == 2 ? input * input : input.abs().pow(p)).sum({dim}, true);
    // A zero slice's norm is 0 with gradient 0, as PyTorch's norm backward: s^(1/p) has an
    // infinite slope at 0, so the root is taken of 1 there and its value discarded.
    Tensor nonzero = s > 0;
    Tensor safe = where(nonzero, s, ones_like(s));
    Tensor root = p == 1 ? safe : (p == 2 ? safe.sqrt() : safe.pow(1.0 / p));
    norm = where(nonzero, root, zeros_like(s));
  }
  Tensor result = input / norm.clamp_min(options.eps()).expand_as(input);
  if (!options.out()) return result;
  Tensor& out = *options.out();
  EMBER_CHECK(out.sizes().equals(input.sizes()), op, ": out ", describe(out), " must have the input's shape ",
              input.sizes(), " (ember does not resize it)");
  NoGradGuard no_grad;
  out.copy_(result);
  return out;
}

}  // namespace functional

}  // namespace nn
}  // namespace ember
