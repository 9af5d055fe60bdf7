// The losses beyond the fused cross_entropy / nll_loss (src/ops/loss.cpp): compositions of ember's
// ops, each in PyTorch's formula (so autograd derives the backward, on any device), except
// binary_cross_entropy, which records one node with PyTorch's clamped gradient. And the loss
// modules.
#include "ember/nn/loss.h"

#include <ostream>
#include <utility>

#include "ember/cuda.h"
#include "ember/error.h"
#include "ops/common.h"

namespace ember {
namespace nn {
namespace functional {
namespace {

void check_pair(const char* op, const Tensor& input, const Tensor& target) {
  EMBER_CHECK(input.defined() && target.defined(), op, ": undefined input or target");
  check_same_device(op, {input, target});
}

/// The reduction of elementwise losses, as PyTorch's apply_loss_reduction (an empty mean is NaN).
Tensor reduce(const Tensor& loss, Reduction reduction) {
  switch (reduction) {
    case Reduction::None: return loss;
    case Reduction::Sum: return loss.sum();
    case Reduction::Mean: return loss.mean();
  }
  throw Error("loss: unknown reduction");
}

/// input and target broadcast to one shape (LibTorch's F::mse_loss broadcasts them, warning when
/// they differ; ember does not warn), the error naming the op and both shapes.
std::pair<Tensor, Tensor> broadcast_pair(const char* op, const Tensor& a, const Tensor& b) {
  const std::vector<int64_t> shape = broadcast_shapes(a.sizes(), b.sizes(), op);
  return {a.sizes().equals(shape) ? a : a.expand(shape), b.sizes().equals(shape) ? b : b.expand(shape)};
}

}  // namespace

Tensor mse_loss(const Tensor& input, const Tensor& target, const MSELossFuncOptions& options) {
  check_pair("mse_loss", input, target);
  auto [x, t] = broadcast_pair("mse_loss", input, target);
  Tensor d = x - t;
  return reduce(d * d, options.reduction());
}

Tensor l1_loss(const Tensor& input, const Tensor& target, const L1LossFuncOptions& options) {
  check_pair("l1_loss", input, target);
  auto [x, t] = broadcast_pair("l1_loss", input, target);
  return reduce((x - t).abs(), options.reduction());
}

Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, const SmoothL1LossFuncOptions& options,
                      std::optional<double> beta_arg) {
  const char* op = "smooth_l1_loss";
  check_pair(op, input, target);
  const double beta = beta_arg.value_or(options.beta());
  EMBER_CHECK(beta >= 0, op, ": smooth_l1_loss does not support negative values for beta (got ", beta, ")");
  auto [x, t] = broadcast_pair(op, input, target);
  Tensor z = (x - t).abs();
  if (beta == 0) return reduce(z, options.reduction());  // PyTorch's: plain l1 (no division by 0)
  return reduce(where(z < beta, z * z * (0.5 / beta), z - 0.5 * beta), options.reduction());
}

Tensor huber_loss(const Tensor& input, const Tensor& target, const HuberLossFuncOptions& options) {
  const char* op = "huber_loss";
  check_pair(op, input, target);
  const double delta = options.delta();
  EMBER_CHECK(delta > 0, op, ": huber_loss does not support non-positive values for delta (got ", delta, ")");
  auto [x, t] = broadcast_pair(op, input, target);
  Tensor z = (x - t).abs();
  return reduce(where(z < delta, z * z * 0.5, (z - 0.5 * delta) * delta), options.reduction());
}

Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const BinaryCrossEntropyFuncOptions& options) {
  const char* op = "binary_cross_entropy";
  check_pair(op, input, target);
  EMBER_CHECK(target.sizes().equals(input.sizes()), op, ": Using a target size (", target.sizes(),
              ") that is different to the input size (", input.sizes(),
              ") is deprecated. Please ensure they have the same size.");
  check_floating(op, input);
  EMBER_CHECK(target.dtype() == input.dtype(), op, ": Found dtype ", target.dtype(), " but expected ", input.dtype(),
              " (target ", describe(target), ", input ", describe(input), ")");
  const Tensor& weight = options.weight();
  Tensor w;
  if (weight.defined()) {
    check_same_device(op, {input, weight});
    NoGradGuard no_grad;
    w = weight.expand(broadcast_shapes(target.sizes(), weight.sizes(), op)).to(input.dtype());
  }
  // Probabilities outside [0, 1] are an error, as PyTorch's kernel says (the host reads the
  // range, except inside a CUDA graph capture, which forbids it).
  if (input.numel() > 0 && (input.is_cpu() || !cuda::is_capturing())) {
    NoGradGuard no_grad;
    const double lo = input.min().item().toDouble(), hi = input.max().item().toDouble();
    EMBER_CHECK(lo >= 0 && hi <= 1, op, ": all elements of input should be between 0 and 1 (input ", describe(input),
                " has values in [", lo, ", ", hi, "])");
  }
  // -w (t log x + (1 - t) log(1 - x)), each log clamped at -100 so that x = 0 or 1 gives a finite
  // loss, as PyTorch's.
  Tensor loss;
  {
    NoGradGuard no_grad;
    Tensor lx = ember::log(input).clamp_min(-100.0), l1x = ember::log(1.0 - input).clamp_min(-100.0);
    loss = (target * lx + (1.0 - target) * l1x) * -1.0;
    if (w.defined()) loss = loss * w;
  }
  const Reduction reduction = options.reduction();
  Tensor out;
  {
    NoGradGuard no_grad;
    out = reduce(loss, reduction);
  }
  if (autograd::needs_grad({input})) {
    // PyTorch's gradient: w (x - t) / max(x (1 - x), 1e-12), finite at x = 0 and 1. (PyTorch has
    // no gradient for the target either.)
    auto sx = autograd::save(input, op);
    Tensor t = target.detach();
    const int64_t n = input.numel();
    autograd::record(op, out, {input}, [sx, t, w, reduction, n](const Tensor& g) -> variable_list {
      const Tensor& x = sx.get();
      Tensor grad = (x - t) / (x * (1.0 - x)).clamp_min(1e-12);
      if (w.defined()) grad = grad * w;
      grad = grad * g;
      if (reduction == Reduction::Mean) grad = grad / double(n);
      return {grad};
    });
  }
  return out;
}

Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const BinaryCrossEntropyWithLogitsFuncOptions& options) {
  const char* op = "binary_cross_entropy_with_logits";
  check_pair(op, input, target);
  EMBER_CHECK(target.sizes().equals(input.sizes()), op, ": Target size (", target.sizes(),
              ") must be the same as input size (", input.sizes(), ")");
  check_floating(op, input);
  EMBER_CHECK(target.is_floating_point(), op, ": expected a floating-point target, got ", describe(target));
  check_same_device(op, {input, target, options.weight(), options.pos_weight()});
  // (1 - t) x - lw log_sigmoid(x) with lw = 1 + (pos_weight - 1) t: log_sigmoid never overflows,
  // and this is PyTorch's (1 - t) x + lw (log1p(exp(-|x|)) + max(-x, 0)) rearranged.
  Tensor log_sig = ember::log_sigmoid(input);
  Tensor loss;
  if (options.pos_weight().defined()) {
    Tensor lw = (options.pos_weight() - 1.0) * target + 1.0;
    loss = (1.0 - target) * input - lw * log_sig;
  } else {
    loss = (1.0 - target) * input - log_sig;
  }
  if (options.weight().defined()) loss = loss * options.weight();
  EMBER_CHECK(loss.sizes().equals(input.sizes()), op, ": weight ", describe(options.weight()), " or pos_weight ",
              describe(options.pos_weight()), " does not broadcast to the input's shape ", input.sizes());
  return reduce(loss, options.reduction());
}

Tensor kl_div(const Tensor& input, const Tensor& target, const KLDivFuncOptions& options) {
  const char* op = "kl_div";
  check_pair(op, input, target);
  EMBER_CHECK(input.is_floating_point() && target.is_floating_point(), op, ": Integral inputs not supported (input ",
              describe(input), ", target ", describe(target), ")");
  broadcast_shapes(input.sizes(), target.sizes(), op);  // the shape check, naming the op
  Tensor loss;
  if (options.log_target()) {
    loss = ember::exp(target) * (target - input);
  } else {
    // xlogy(t, t) - t x: t log t taken as 0 where t = 0. The log reads 1 there, so neither the
    // value nor a gradient with respect to the target turns into 0 * -inf.
    Tensor positive = target > Scalar(0);
    Tensor safe = where(positive, target, ones_like(target));
    loss = where(positive, target * ember::log(safe), zeros_like(safe)) - target * input;
  }
  const KLDivReduction& r = options.reduction();
  Tensor out = reduce(loss, r.reduction());
  if (r.is_batchmean() && input.dim() != 0) out = out / double(input.size(0));
  return out;
}

Tensor margin_ranking_loss(const Tensor& input1, const Tensor& input2, const Tensor& target,
                           const MarginRankingLossFuncOptions& options) {
  const char* op = "margin_ranking_loss";
  EMBER_CHECK(input1.defined() && input2.defined() && target.defined(), op, ": undefined input or target");
  EMBER_CHECK(input1.dim() == input2.dim() && input1.dim() == target.dim(), op,
              ": All input tensors should have same dimension but got sizes: input1: ", input1.sizes(),
              ", input2: ", input2.sizes(), ", target: ", target.sizes());
  check_same_device(op, {input1, input2, target});
  broadcast_shapes(broadcast_shapes(input1.sizes(), input2.sizes(), op), target.sizes(), op);
  return reduce((-target * (input1 - input2) + options.margin()).clamp_min(0), options.reduction());
}

Tensor cosine_embedding_loss(const Tensor& input1, const Tensor& input2, const Tensor& target,
                             const CosineEmbeddingLossFuncOptions& options) {
  const char* op = "cosine_embedding_loss";
  EMBER_CHECK(input1.defined() && input2.defined() && target.defined(), op, ": undefined input or target");
  check_same_device(op, {input1, input2, target});
  const int64_t td = target.dim();
  EMBER_CHECK(td == 1 || td == 0, op, ": 0D or 1D target tensor expected, multi-target not supported (got target ",
              describe(target), ")");
  if (td == 1) {
    EMBER_CHECK(input1.dim() == 2 && input2.dim() == 2, op,
                ": 1D target tensor expects 2D input tensors, but found inputs with sizes ", input1.sizes(), " and ",
                input2.sizes(), ".");
  } else {
    EMBER_CHECK(input1.dim() == 1 && input2.dim() == 1, op,
                ": 0D target tensor expects 1D input tensors, but found inputs with sizes ", input1.sizes(), " and ",
                input2.sizes(), ".");
  }
  broadcast_shapes(input1.sizes(), input2.sizes(), op);
  // PyTorch's formula: cos = <a, b> / sqrt((|a|^2 + eps) (|b|^2 + eps)), eps = 1e-12.
  constexpr double kEps = 1e-12;
  Tensor prod = (input1 * input2).sum(td);
  Tensor mag1 = (input1 * input1).sum(td) + kEps;
  Tensor mag2 = (input2 * input2).sum(td) + kEps;
  Tensor cos = prod / (mag1 * mag2).sqrt();
  Tensor zero = zeros_like(cos);
  Tensor pos = where(target == Scalar(1), 1.0 - cos, zero);
  Tensor neg = where(target == Scalar(-1), (cos - options.margin()).clamp_min(0.0), zero);
  return reduce(pos + neg, options.reduction());
}

}  // namespace functional

// --- modules -----------------------------------------------------------------------------------------

// LibTorch prints the losses without their options, and SmoothL1Loss and HuberLoss without
// parentheses.
void MSELossImpl::pretty_print(std::ostream& stream) const { print(stream); }
Tensor MSELossImpl::forward(const Tensor& input, const Tensor& target) {
  return functional::mse_loss(input, target, options);
}

void L1LossImpl::pretty_print(std::ostream& stream) const { print(stream); }
Tensor L1LossImpl::forward(const Tensor& input, const Tensor& target) {
  return functional::l1_loss(input, target, options);
}

void SmoothL1LossImpl::pretty_print(std::ostream& stream) const { stream << "ember::nn::SmoothL1Loss"; }
Tensor SmoothL1LossImpl::forward(const Tensor& input, const Tensor& target) {
  return functional::smooth_l1_loss(input, target, options, options.beta());
}

void HuberLossImpl::pretty_print(std::ostream& stream) const { stream << "ember::nn::HuberLoss"; }
Tensor HuberLossImpl::forward(const Tensor& input, const Tensor& target) {
  return functional::huber_loss(input, target, options);
}

void KLDivLossImpl::pretty_print(std::ostream& stream) const { print(stream); }
Tensor KLDivLossImpl::forward(const Tensor& input, const Tensor& target) {
  return functional::kl_div(input, target, options);
}

void MarginRankingLossImpl::pretty_print(std::ostream& stream) const { print(stream); }
Tensor MarginRankingLossImpl::forward(const Tensor& input1, const Tensor& input2, const Tensor& target) {
  return functional::margin_ranking_loss(input1, input2, target, options);
}

void CosineEmbeddingLossImpl::pretty_print(std::ostream& stream) const {
  print(stream, {{"margin", options.margin()}});
}
Tensor CosineEmbeddingLossImpl::forward(const Tensor& input1, const Tensor& input2, const Tensor& target) {
  return functional::cosine_embedding_loss(input1, input2, target, options);
}

// The weighted losses pass their buffers, not options.weight(): to(device) moves the buffers.
void BCELossImpl::reset() { weight = register_buffer("weight", options.weight()); }
void BCELossImpl::pretty_print(std::ostream& stream) const { print(stream); }
Tensor BCELossImpl::forward(const Tensor& input, const Tensor& target) {
  return functional::binary_cross_entropy(input, target, BCELossOptions(options).weight(weight));
}

void BCEWithLogitsLossImpl::reset() {
  weight = register_buffer("weight", options.weight());
  pos_weight = register_buffer("pos_weight", options.pos_weight());
}
void BCEWithLogitsLossImpl::pretty_print(std::ostream& stream) const { print(stream); }
Tensor BCEWithLogitsLossImpl::forward(const Tensor& input, const Tensor& target) {
  return functional::binary_cross_entropy_with_logits(
      input, target, BCEWithLogitsLossOptions(options).weight(weight).pos_weight(pos_weight));
}

void NLLLossImpl::reset() { weight = register_buffer("weight", options.weight()); }
void NLLLossImpl::pretty_print(std::ostream& stream) const { print(stream); }
Tensor NLLLossImpl::forward(const Tensor& input, const Tensor& target) {
  return functional::nll_loss(input, target, NLLLossOptions(options).weight(weight));
}

void CrossEntropyLossImpl::reset() { weight = register_buffer("weight", options.weight()); }
void CrossEntropyLossImpl::pretty_print(std::ostream& stream) const { print(stream); }
Tensor CrossEntropyLossImpl::forward(const Tensor& input, const Tensor& target) {
  return functional::cross_entropy(input, target, CrossEntropyLossOptions(options).weight(weight));
}

}  // namespace nn
}  // namespace ember
