// Fused cross entropy and nll_loss. Cross entropy never materialises softmax for autograd: the
// forward runs the log_softmax kernel and a per-sample nll kernel, and backward is one kernel,
// scale * (softmax - smoothed one-hot), read back from the saved log-probabilities.
#include "loss.h"

#include <algorithm>
#include <limits>

#include "common.h"
#include "ember/cuda.h"

namespace ember {
namespace detail {
namespace {

/// How many targets are not ignored (the divisor of a mean): known on the host, or, while a CUDA
/// graph is being captured (the host cannot wait for the device then), a 0-dim device tensor of
/// the loss's dtype computed by the captured work itself.
struct TargetCount {
  int64_t host = 0;
  Tensor device;  // defined only while capturing
};

/// Checks every target is a class in [0, classes) or ignore_index, and counts the ones not
/// ignored. CPU targets are read in place; device targets cost one small copy (min, max, count)
/// to the host, except during a CUDA graph capture, which forbids that copy: there the range
/// check is skipped (docs/cuda_graphs.md; the loss kernels turn an out-of-range target into a
/// NaN loss instead of reading out of bounds) and the count stays on the device.
TargetCount check_targets(const char* op, const Tensor& target, int64_t classes, int64_t ignore_index,
                          ScalarType dtype) {
  const int64_t n = target.numel();
  if (n == 0) return {};
  if (!target.is_cpu() && cuda::is_capturing()) {
    NoGradGuard no_grad;
    return {0, target.ne(Scalar(ignore_index)).sum().to(dtype)};
  }
  int64_t lo = std::numeric_limits<int64_t>::max(), hi = std::numeric_limits<int64_t>::min(), count = 0;
  if (target.is_cpu()) {
    const int64_t* t = target.data_ptr<int64_t>();
    for (int64_t i = 0; i < n; ++i) {
      if (t[i] == ignore_index) continue;
      lo = std::min(lo, t[i]);
      hi = std::max(hi, t[i]);
      ++count;
    }
  } else {
    NoGradGuard no_grad;
    Tensor valid = target.ne(Scalar(ignore_index));
    // Ignored entries become 0, a valid class, so they cannot spoil min or max.
    Tensor masked = where(valid, target, zeros_like(target));
    Tensor stats = stack({masked.min(), masked.max(), valid.sum()}, 0).cpu();
    const int64_t* s = stats.data_ptr<int64_t>();
    lo = s[0];
    hi = s[1];
    count = s[2];
  }
  if (count > 0)
    EMBER_CHECK(lo >= 0 && hi < classes, op, ": target ", lo < 0 ? lo : hi, " is out of bounds for ", classes,
                " classes (targets must be in [0, ", classes, ") or equal ignore_index = ", ignore_index, ")");
  return {count, Tensor()};
}

/// The shared checks and the reshape to 2-D: returns logits (M, C) and targets (M), and the shape
/// a 'none' reduction gives back.
struct LossInputs {
  Tensor input, target;
  std::vector<int64_t> none_shape;
};

LossInputs as_2d(const char* op, const Tensor& input, const Tensor& target) {
  EMBER_CHECK(input.defined() && target.defined(), op, ": undefined input or target");
  check_floating(op, input);
  EMBER_CHECK(target.dtype() == kLong, op, ": expected target of dtype int64 (class indices), got ", describe(target));
  check_same_device(op, {input, target});
  EMBER_CHECK(input.dim() >= 1, op, ": expected input of shape (C), (N, C) or (N, C, d1, ...), got ", describe(input));
  if (input.dim() == 1) {
    EMBER_CHECK(target.dim() == 0, op, ": for an input of shape (C) ", input.sizes(), " expected a 0-dim target, got ",
                describe(target));
    return {input.unsqueeze(0), target.reshape({1}), {}};
  }
  EMBER_CHECK(target.dim() == input.dim() - 1, op,
              ": expected target of shape (N) for input (N, C) (or (N, d1, ...) for (N, C, d1, ...)), got input ",
              describe(input), " and target ", describe(target));
  EMBER_CHECK(input.size(0) == target.size(0), op, ": expected input batch_size (", input.size(0),
              ") to match target batch_size (", target.size(0), "); input ", describe(input), ", target ",
              describe(target));
  if (input.dim() == 2) return {input, target, target.sizes().vec()};
  for (int64_t d = 2; d < input.dim(); ++d)
    EMBER_CHECK(input.size(d) == target.size(d - 1), op, ": input ", describe(input), " and target ", describe(target),
                " disagree in their spatial dims");
  // (N, C, d1, ...) -> (N, d1, ..., C) -> (N * d1 * ..., C): classes last, one row per position.
  std::vector<int64_t> perm{0};
  for (int64_t d = 2; d < input.dim(); ++d) perm.push_back(d);
  perm.push_back(1);
  const int64_t c = input.size(1);
  return {input.permute(perm).reshape({target.numel(), c}), target.reshape({target.numel()}), target.sizes().vec()};
}

/// The per-row losses reduced as asked (outside the graph: the loss records its own node).
Tensor reduce_losses(const Tensor& losses, Reduction reduction, const TargetCount& count,
                     const std::vector<int64_t>& none_shape) {
  NoGradGuard no_grad;
  switch (reduction) {
    case Reduction::None: return losses.view(none_shape);
    case Reduction::Sum: return losses.sum();
    case Reduction::Mean:
      // 0 / 0 = nan when all are ignored, as PyTorch. Both divisions round the same way (the
      // host count becomes the dtype's scalar, the device count already is one).
      return count.device.defined() ? losses.sum() / count.device : losses.sum() / double(count.host);
  }
  throw Error("loss: unknown reduction");
}

/// The factor a mean's gradient carries: 1 / count, or 0 when nothing counts. On the host it is
/// folded into the backward kernel's scale (`base`); a device count gives a 0-dim tensor that
/// multiplies the gradient afterwards, which rounds identically: the kernel's scale * x with
/// scale = 1 is exact, and 1 / count rounds to the same value in either place.
double host_mean_factor(Reduction reduction, const TargetCount& count) {
  if (reduction != Reduction::Mean || count.device.defined()) return 1.0;
  return count.host > 0 ? 1.0 / double(count.host) : 0.0;
}
Tensor device_mean_factor(Reduction reduction, const TargetCount& count) {
  if (reduction != Reduction::Mean || !count.device.defined()) return Tensor();
  NoGradGuard no_grad;
  const Tensor& c = count.device;
  return where(c > Scalar(0), 1.0 / c, zeros_like(c));
}

/// Scales a (M, C) gradient by the incoming gradient: per row for 'none', by a scalar otherwise.
/// A CPU scalar is folded into the kernel's scale; a device scalar is multiplied afterwards so
/// that backward never waits for the device.
double host_scale(const Tensor& g, Reduction reduction) {
  return reduction != Reduction::None && g.is_cpu() ? g.item().toDouble() : 1.0;
}
void apply_incoming(const Tensor& grad, const Tensor& g, Reduction reduction) {
  if (reduction == Reduction::None) {
    grad.mul_(g.reshape({grad.size(0), 1}));
  } else if (!g.is_cpu()) {
    grad.mul_(g);
  }
}
/// The incoming gradient applied as a recorded product, for a create_graph backward (where the
/// result must stay differentiable in g, so g is never read on the host).
Tensor incoming_recorded(const Tensor& grad, const Tensor& g, Reduction reduction) {
  return reduction == Reduction::None ? grad * g.reshape({grad.size(0), 1}) : grad * g;
}

/// Checks a class-weight tensor against the input's C classes (LibTorch's words) and returns it
/// in the input's dtype, or an undefined tensor when there is none.
Tensor class_weights(const char* op, const Tensor& weight, const Tensor& input, int64_t classes) {
  if (!weight.defined()) return Tensor();
  EMBER_CHECK(weight.dim() == 1 && weight.numel() == classes, op, ": weight tensor should be defined either for all ",
              classes, " classes or no classes but got weight tensor of shape: ", weight.sizes());
  check_floating(op, weight);
  check_same_device(op, {input, weight});
  NoGradGuard no_grad;
  return weight.dtype() == input.dtype() ? weight.detach() : weight.to(input.dtype());
}

/// What the kernels of both losses read, once the arguments are checked: the contiguous (M, C)
/// values (logits for cross entropy, log-probabilities for nll_loss) and targets, the class
/// weights in the input's dtype (undefined when none) and the count of targets not ignored.
struct Operands {
  Tensor x, target, weight;
  TargetCount count;
};

Operands operands(const char* op, const LossInputs& li, const Tensor& weight_in, int64_t ignore_index) {
  Operands o;
  {
    NoGradGuard no_grad;  // layout copies for the kernels are not graph nodes
    o.x = li.input.contiguous();
    o.target = li.target.contiguous();
  }
  const int64_t c = li.input.size(1);
  o.weight = class_weights(op, weight_in, li.input, c);
  o.count = check_targets(op, o.target, c, ignore_index, li.input.dtype());
  return o;
}

/// The weighted losses: every row i carries w[target_i] (0 on ignored rows), and a mean divides by
/// the sum of those (PyTorch's rule: a weighted mean over the targets that count). Composed of
/// tensor ops, on the device where the tensors are, so no host round trip for the divisor.
struct WeightedRows {
  Tensor w_row;   // (M): w[target_i], or 0 where ignored
  Tensor valid;   // (M): 1 where the target counts, 0 where ignored
  Tensor onehot;  // (M, C): 1 at (i, target_i) on rows that count
};
WeightedRows weighted_rows(const Tensor& w, const Tensor& target, int64_t ignore_index, int64_t classes) {
  NoGradGuard no_grad;
  const ScalarType dt = w.dtype();
  Tensor keep = target.ne(Scalar(ignore_index));
  Tensor idx = where(keep, target, zeros_like(target));  // ignored rows read class 0, then are zeroed
  Tensor valid = keep.to(dt);
  Tensor cls = arange(classes, TensorOptions(kLong).device(target.device())).reshape({1, classes});
  Tensor onehot = (cls == idx.reshape({target.numel(), 1})).to(dt) * valid.reshape({target.numel(), 1});
  return {w.index_select(0, idx) * valid, valid, onehot};
}

/// Reduces weighted per-row losses: a mean divides by the summed weights (0 / 0 = NaN when none
/// count, as PyTorch); 'none' and 'sum' are the unweighted rule's, which ignores the count.
Tensor reduce_weighted(const Tensor& losses, Reduction reduction, const Tensor& w_row,
                       const std::vector<int64_t>& none_shape) {
  if (reduction != Reduction::Mean) return reduce_losses(losses, reduction, TargetCount(), none_shape);
  NoGradGuard no_grad;
  return losses.sum() / w_row.sum();
}

/// The per-row factor of a weighted loss's gradient: the incoming gradient (per row for 'none'),
/// divided by the summed weights for a mean (0 when they sum to 0, so nothing turns NaN).
Tensor weighted_scale(const Tensor& g, Reduction reduction, const Tensor& w_row) {
  const int64_t m = w_row.numel();
  if (reduction == Reduction::None) return g.reshape({m, 1});
  if (reduction == Reduction::Sum) return g.reshape({1, 1});
  Tensor total = w_row.sum();
  Tensor inv = where(total != Scalar(0), 1.0 / total, zeros_like(total));
  return (g * inv).reshape({1, 1});
}

}  // namespace

namespace {
/// Cross entropy with class weights, from the log-probabilities and the unweighted per-row nll
/// the fused kernels computed. PyTorch's formula, per row i that counts (w_t = w[target_i]):
///   loss_i = (1 - eps) w_t (-logp[i, t]) + eps / C * sum_j w_j (-logp[i, j])
/// and the gradient with respect to the logits, by the chain rule through log_softmax:
///   dL_i/dx_ij = softmax_ij ((1 - eps) w_t + eps / C * sum_k w_k) - (1 - eps) w_t [j == t] - eps / C * w_j
Tensor weighted_cross_entropy(const Tensor& input, const Tensor& logp, const Tensor& nll, const Tensor& target,
                              const Tensor& weight, Reduction reduction, int64_t ignore_index, double eps,
                              const std::vector<int64_t>& none_shape) {
  const char* op = "cross_entropy";
  const int64_t m = logp.size(0), c = logp.size(1);
  WeightedRows rows = weighted_rows(weight, target, ignore_index, c);
  Tensor losses;
  {
    NoGradGuard no_grad;
    losses = nll * rows.w_row;
    if (eps > 0) {
      // eps == 0 skips this sum: a -inf log-probability elsewhere in the row must not make 0 * inf.
      Tensor smooth = (logp * weight.reshape({1, c})).sum(1) * rows.valid * (-eps / double(c));
      losses = losses * (1.0 - eps) + smooth;
    }
  }
  Tensor out = reduce_weighted(losses, reduction, rows.w_row, none_shape);
  if (autograd::needs_grad({input})) {
    const double wsum_coef = eps / double(c);
    autograd::record(op, out, {input}, [=](const Tensor& g) -> variable_list {
      Tensor wt = (rows.w_row * (1.0 - eps)).reshape({m, 1});
      Tensor total = wt;
      Tensor grad = exp(logp);
      if (eps > 0) total = wt + (weight.sum() * wsum_coef) * rows.valid.reshape({m, 1});
      grad = grad * total - rows.onehot * wt;
      if (eps > 0) grad = grad - weight.reshape({1, c}) * wsum_coef * rows.valid.reshape({m, 1});
      return {grad * weighted_scale(g, reduction, rows.w_row)};
    });
  }
  return out;
}
}  // namespace

namespace {
/// Cross entropy against class probabilities (a target of the input's shape), PyTorch's rule:
/// loss = -sum_c w_c q_c log_softmax(x)_c per sample, q = target (1 - eps) + eps / C; a mean
/// divides by the number of samples (not by the weights). Composed of recorded ops, so it is
/// differentiable twice and runs on either device.
Tensor cross_entropy_probabilities(const Tensor& input, const Tensor& target, const Tensor& weight_in,
                                   Reduction reduction, int64_t ignore_index, double label_smoothing) {
  const char* op = "cross_entropy";
  EMBER_CHECK(target.is_floating_point(), op,
              ": Expected floating point type for target with class probabilities, got ", describe(target));
  EMBER_CHECK(ignore_index < 0, op,
              ": ignore_index is not supported for floating point target (got ignore_index = ", ignore_index, ")");
  check_floating(op, input);
  check_same_device(op, {input, target});
  EMBER_CHECK(input.dim() >= 1, op, ": expected input of shape (C), (N, C) or (N, C, d1, ...), got ", describe(input));
  const int64_t class_dim = input.dim() == 1 ? 0 : 1, c = input.size(class_dim);
  Tensor q = target.dtype() == input.dtype() ? target : target.to(input.dtype());
  if (label_smoothing > 0) q = q * (1.0 - label_smoothing) + label_smoothing / double(c);
  Tensor terms = log_softmax(input, class_dim) * q;
  if (Tensor w = class_weights(op, weight_in, input, c); w.defined()) {
    std::vector<int64_t> along(size_t(input.dim()), 1);
    along[size_t(class_dim)] = c;
    terms = terms * w.reshape(along);
  }
  if (reduction == Reduction::None) return -terms.sum(class_dim);
  if (reduction == Reduction::Sum) return -terms.sum();
  return -terms.sum() / double(input.numel() / std::max<int64_t>(c, 1));  // no samples: 0 / 0 = NaN, as PyTorch
}
}  // namespace

Tensor cross_entropy_loss(const Tensor& input_in, const Tensor& target_in, const Tensor& weight_in, Reduction reduction,
                          int64_t ignore_index, double label_smoothing) {
  const char* op = "cross_entropy";
  EMBER_CHECK(label_smoothing >= 0.0 && label_smoothing <= 1.0, op,
              ": label_smoothing must be between 0.0 and 1.0, got ", label_smoothing);
  // A target of the input's own shape holds class probabilities (PyTorch decides by shape).
  if (input_in.defined() && target_in.defined() && input_in.sizes().equals(target_in.sizes()))
    return cross_entropy_probabilities(input_in, target_in, weight_in, reduction, ignore_index, label_smoothing);
  LossInputs li = as_2d(op, input_in, target_in);
  const Tensor& input = li.input;
  const int64_t m = input.size(0), c = input.size(1);
  EMBER_CHECK(c >= 1 || m == 0, op, ": expected at least one class, got input ", describe(input_in));

  const auto [x, target, weight, count] = operands(op, li, weight_in, ignore_index);

  Tensor logp = make_empty({m, c}, input.dtype(), input.device());
  Tensor losses = make_empty({m}, input.dtype(), input.device());
  if (m > 0) {
    Backend& be = backend(input);
    be.softmax_forward(logp, x, m, c, 1, /*log=*/true);
    be.nll_forward(losses, logp, target, ignore_index, weight.defined() ? 0.0 : label_smoothing);
  }
  if (weight.defined())
    return weighted_cross_entropy(input, logp, losses, target, weight, reduction, ignore_index, label_smoothing,
                                  li.none_shape);
  Tensor out = reduce_losses(losses, reduction, count, li.none_shape);

  if (autograd::needs_grad({input})) {
    auto saved_target = autograd::save(target, op);
    // A mean divides by the number of targets that count; none counting gives a zero gradient.
    const double base = host_mean_factor(reduction, count);
    const Tensor factor = device_mean_factor(reduction, count);
    const autograd::Edge in_edge = autograd::gradient_edge(input);
    autograd::record(
        op, out, {input},
        [logp, saved_target, ignore_index, label_smoothing, reduction, base, factor,
         in_edge](const Tensor& g) -> variable_list {
          if (GradMode::is_enabled() && logp.numel() > 0) {
            // create_graph: (softmax(input) - q) * scale in recorded ops, q the smoothed one-hot
            // target (zero on ignored rows). log_softmax is shift-invariant, so softmax of the saved
            // log-probabilities, given the input's history, is softmax(input) with its derivative.
            const int64_t rows = logp.size(0), classes = logp.size(1);
            const ScalarType dt = logp.dtype();
            Tensor t_col = saved_target.get().reshape({rows, 1});
            Tensor counted = (t_col != Scalar(ignore_index)).to(dt);
            Tensor hit =
                (arange(classes, TensorOptions(kLong).device(logp.device())).reshape({1, classes}) == t_col).to(dt);
            Tensor q = (hit * (1.0 - label_smoothing) + label_smoothing / double(classes)) * counted;
            Tensor z = logp.detach();
            autograd::set_grad_fn(z.impl(), in_edge.fn, in_edge.input_nr);
            z.unsafeGetTensorImpl()->requires_grad = true;
            Tensor grad = (softmax(z, 1) * counted - q) * base;
            if (factor.defined()) grad = grad * factor;
            return {incoming_recorded(grad, g, reduction)};
          }
          Tensor grad = make_empty(logp.sizes(), logp.dtype(), logp.device());
          if (grad.numel() == 0) return {grad};
          backend(logp).cross_entropy_backward(grad, logp, saved_target.get(), ignore_index, label_smoothing,
                                               base * host_scale(g, reduction));
          if (factor.defined()) grad.mul_(factor);
          apply_incoming(grad, g, reduction);
          return {grad};
        });
  }
  return out;
}

Tensor nll_loss(const Tensor& input_in, const Tensor& target_in, const Tensor& weight_in, Reduction reduction,
                int64_t ignore_index) {
  const char* op = "nll_loss";
  LossInputs li = as_2d(op, input_in, target_in);
  const Tensor& input = li.input;
  const int64_t m = input.size(0), c = input.size(1);

  const auto [x, target, weight, count] = operands(op, li, weight_in, ignore_index);

  Tensor losses = make_empty({m}, input.dtype(), input.device());
  if (m > 0) backend(input).nll_forward(losses, x, target, ignore_index, 0.0);
  if (weight.defined()) {
    // Each row's -input[i, t] times w[t]; the gradient is -w[t] at (i, t), scaled as reduced.
    WeightedRows rows = weighted_rows(weight, target, ignore_index, c);
    Tensor weighted;
    {
      NoGradGuard no_grad;
      weighted = losses * rows.w_row;
    }
    Tensor out = reduce_weighted(weighted, reduction, rows.w_row, li.none_shape);
    if (autograd::needs_grad({input})) {
      autograd::record(op, out, {input}, [rows, m, reduction](const Tensor& g) -> variable_list {
        Tensor grad = rows.onehot * rows.w_row.reshape({m, 1}) * weighted_scale(g, reduction, rows.w_row);
        return {0.0 - grad};  // 0 - x, not -x: untouched entries stay +0, as PyTorch's
      });
    }
    return out;
  }
  Tensor out = reduce_losses(losses, reduction, count, li.none_shape);

  if (autograd::needs_grad({input})) {
    auto saved_target = autograd::save(target, op);
    const double base = host_mean_factor(reduction, count);
    const Tensor factor = device_mean_factor(reduction, count);
    const ScalarType dtype = input.dtype();
    autograd::record(
        op, out, {input},
        [saved_target, m, c, dtype, ignore_index, reduction, base, factor](const Tensor& g) -> variable_list {
          // d loss_i / d input[i, j] = -1 where j == target_i, and 0 on ignored rows: a masked one-hot.
          const Tensor& t = saved_target.get();
          Tensor classes = arange(c, TensorOptions(kLong).device(t.device()));
          Tensor t_col = t.reshape({m, 1});
          Tensor grad = (classes.reshape({1, c}) == t_col).to(dtype) * (t_col != Scalar(ignore_index)).to(dtype);
          // create_graph: g joins as a recorded product (the gradient is linear in g and does not
          // depend on the input), never read on the host.
          const bool graph = GradMode::is_enabled();
          grad.mul_(base * (graph ? 1.0 : host_scale(g, reduction)));
          if (factor.defined()) grad.mul_(factor);
          grad = 0.0 - grad;  // not neg(): 0 - 0 is +0, so untouched entries print as 0, as PyTorch's
          if (graph) return {incoming_recorded(grad, g, reduction)};
          apply_incoming(grad, g, reduction);
          return {grad};
        });
  }
  return out;
}

}  // namespace detail
}  // namespace ember
