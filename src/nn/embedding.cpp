// Embedding, Unflatten, dropout2d and alpha_dropout: modules and functional forms, composed
// from existing ops (index_select for the lookup, where to stop the padding row's gradient, a
// broadcast mask for the dropouts).
#include <cmath>
#include <limits>
#include <ostream>
#include <set>

#include "embedding_renorm.h"
#include "ember/autograd.h"
#include "ember/functional.h"
#include "ember/nn/init.h"
#include "ember/nn/modules.h"
#include "ops/common.h"

namespace ember {
namespace nn {
namespace functional {
namespace {

/// The checks of dropout2d and alpha_dropout, and whether they change anything: not outside
/// training, for p = 0 or for an empty input (then the input is returned as is).
bool drops(const char* op, const Tensor& input, double p, bool training) {
  EMBER_CHECK(p >= 0. && p <= 1., op, ": dropout probability has to be between 0 and 1, but got ", p);
  EMBER_CHECK(input.defined(), op, ": undefined input");
  if (!training || p == 0.0 || input.numel() == 0) return false;
  check_floating(op, input);
  return true;
}

// The norm of one row, as torch.norm(row, norm_type).
double row_norm(const Tensor& row, double norm_type) {
  Tensor a = row.abs();
  if (std::isinf(norm_type)) return norm_type > 0 ? a.max().item<double>() : a.min().item<double>();
  if (norm_type == 0) return (a != 0).sum().item<double>();
  return std::pow(a.pow(norm_type).sum().item<double>(), 1.0 / norm_type);
}

}  // namespace

namespace detail {
void embedding_renorm(const Tensor& weight, const Tensor& input, double max_norm, double norm_type) {
  NoGradGuard no_grad;
  Tensor idx = input.to(kCPU).contiguous();
  const int64_t* p = idx.data_ptr<int64_t>();
  std::set<int64_t> rows(p, p + idx.numel());
  for (int64_t r : rows) {
    EMBER_CHECK(r >= 0 && r < weight.size(0), "embedding: index ", r, " is out of range for a table of ",
                weight.size(0), " rows");
    Tensor row = weight.select(0, r);
    const double norm = row_norm(row, norm_type);
    if (norm > max_norm) row.mul_(max_norm / (norm + 1e-7));
  }
}
}  // namespace detail

Tensor embedding(const Tensor& input, const Tensor& weight, const EmbeddingFuncOptions& options) {
  const char* op = "embedding";
  EMBER_CHECK(input.defined() && weight.defined(), op, ": undefined input or weight");
  EMBER_CHECK(input.dtype() == kLong, op, ": expected the indices to be an int64 (Long) tensor, got ", describe(input));
  EMBER_CHECK(weight.dim() == 2, op, ": 'weight' must be 2-D (num_embeddings, embedding_dim), got ", describe(weight));
  EMBER_CHECK(!options.scale_grad_by_freq(), op, ": scale_grad_by_freq is not supported by ember");
  EMBER_CHECK(!options.sparse(), op, ": sparse gradients are not supported by ember");
  int64_t padding_idx = -1;
  if (auto given = options.padding_idx()) {
    // LibTorch's rule: a negative padding_idx counts from the end of the table.
    EMBER_CHECK(*given < weight.size(0) && *given >= -weight.size(0), op, ": padding_idx ", *given,
                " must be within num_embeddings (", weight.size(0), ")");
    padding_idx = *given < 0 ? *given + weight.size(0) : *given;
  }
  if (options.max_norm()) detail::embedding_renorm(weight, input, *options.max_norm(), options.norm_type());

  Tensor idx = input.reshape({-1});
  Tensor rows = weight.index_select(0, idx);
  if (padding_idx >= 0 && autograd::needs_grad({weight})) {
    // The same values, but the padding rows take theirs from a detached copy, so no gradient
    // reaches weight[padding_idx] (PyTorch's rule), however often it is looked up.
    Tensor keep = (idx != padding_idx).unsqueeze(1);
    rows = where(keep, rows, rows.detach());
  }
  std::vector<int64_t> shape = input.sizes().vec();
  shape.push_back(weight.size(1));
  return rows.view(shape);
}

Tensor dropout2d(Tensor input, const Dropout2dFuncOptions& options) {
  const double p = options.p();
  if (!drops("dropout2d", input, p, options.training())) return input;
  // LibTorch's rule: 4-D input is (N, C, H, W); any other is one unbatched sample whose first dim
  // holds the channels. One draw per (sample, channel), broadcast over the remaining dims.
  EMBER_CHECK(input.dim() >= 1 || p == 1.0, "dropout2d: feature dropout requires at least 2 dimensions in the ",
              "input (after adding the batch dim), got ", describe(input));
  std::vector<int64_t> noise_shape(size_t(input.dim()), 1);
  const bool batched = input.dim() == 4;
  if (batched) noise_shape[0] = input.size(0);
  noise_shape[batched ? 1 : 0] = input.size(batched ? 1 : 0);
  Tensor noise;
  {
    NoGradGuard no_grad;
    if (p == 1.0) {
      noise = zeros({}, input.options().requires_grad(false));
    } else {
      noise = (rand(noise_shape, input.options().requires_grad(false)) >= p).to(input.dtype());
      noise.mul_(1.0 / (1.0 - p));
    }
  }
  if (options.inplace()) {
    input.mul_(noise);
    return input;
  }
  return input * noise;
}

Tensor alpha_dropout(Tensor input, const AlphaDropoutFuncOptions& options) {
  const double p = options.p();
  if (!drops("alpha_dropout", input, p, options.training())) return input;
  Tensor scale, shift;
  {
    NoGradGuard no_grad;
    if (p == 1.0) {
      scale = zeros({}, input.options().requires_grad(false));
    } else {
      // ATen's alpha dropout: a dropped element becomes -alpha' (SELU's saturation value
      // -scale * alpha), then a * x + b with a, b chosen to keep zero mean and unit variance.
      constexpr double alpha = 1.7580993408473766;
      const double a = 1. / std::sqrt((alpha * alpha * p + 1) * (1 - p));
      Tensor kept = (rand_like(input, input.options().requires_grad(false)) >= p).to(input.dtype());
      shift = (kept - 1.0) * (alpha * a) + alpha * a * p;
      scale = kept.mul_(a);
    }
  }
  if (options.inplace()) {
    input.mul_(scale);
    if (shift.defined()) input.add_(shift);
    return input;
  }
  Tensor out = input * scale;
  return shift.defined() ? out + shift : out;
}

}  // namespace functional

// --- Unflatten ---------------------------------------------------------------------------------------

void UnflattenImpl::pretty_print(std::ostream& stream) const {
  print(stream, {{"dim", options.dim()}, {"unflattened_size", options.sizes()}});
}

Tensor UnflattenImpl::forward(const Tensor& input) {
  const char* op = "Unflatten";
  EMBER_CHECK(input.defined(), op, ": undefined input");
  const std::vector<int64_t>& sizes = options.sizes();
  EMBER_CHECK(!sizes.empty(), op, ": unflattened_size must be non-empty");
  const int64_t n = input.dim();
  const int64_t d = options.dim() < 0 ? options.dim() + n : options.dim();
  EMBER_CHECK(d >= 0 && d < n, op, ": dim ", options.dim(), " is out of range for input ", describe(input));
  int64_t known = 1, inferred = -1;
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (sizes[i] == -1) {
      EMBER_CHECK(inferred < 0, op, ": only one dimension of unflattened_size can be -1");
      inferred = int64_t(i);
    } else {
      EMBER_CHECK(sizes[i] >= 0, op, ": invalid size ", sizes[i], " in unflattened_size");
      known *= sizes[i];
    }
  }
  std::vector<int64_t> split = sizes;
  if (inferred >= 0) {
    EMBER_CHECK(known != 0 && input.size(d) % known == 0, op, ": unflattened_size ", IntArrayRef(sizes),
                " cannot split dim ", d, " (size ", input.size(d), ") of input ", describe(input));
    split[size_t(inferred)] = input.size(d) / known;
  } else {
    EMBER_CHECK(known == input.size(d), op, ": unflattened_size ", IntArrayRef(sizes),
                " does not multiply up to the size of dim ", d, " (", input.size(d), ") of input ", describe(input));
  }
  std::vector<int64_t> shape(input.sizes().begin(), input.sizes().begin() + d);
  shape.insert(shape.end(), split.begin(), split.end());
  shape.insert(shape.end(), input.sizes().begin() + d + 1, input.sizes().end());
  return input.view(shape);
}

// --- Embedding -----------------------------------------------------------------------------------------

EmbeddingImpl::EmbeddingImpl(EmbeddingOptions options_) : options(std::move(options_)) { reset(); }

void EmbeddingImpl::reset() {
  const int64_t n = options.num_embeddings(), dim = options.embedding_dim();
  EMBER_CHECK(n >= 0 && dim >= 0, "Embedding: num_embeddings and embedding_dim must be non-negative, got ", n, " and ",
              dim);
  if (auto pad = options.padding_idx()) {
    EMBER_CHECK(*pad < n && *pad >= -n, "Embedding: padding_idx ", *pad, " must be within num_embeddings (", n, ")");
    if (*pad < 0) options.padding_idx(*pad + n);
  }
  EMBER_CHECK(!options.scale_grad_by_freq(), "Embedding: scale_grad_by_freq is not supported by ember");
  EMBER_CHECK(!options.sparse(), "Embedding: sparse gradients are not supported by ember");
  if (!options._weight().defined()) {
    weight = register_parameter("weight", empty({n, dim}));
    reset_parameters();
  } else {
    const Tensor& given = options._weight();
    EMBER_CHECK(given.dim() == 2 && given.size(0) == n && given.size(1) == dim, "Embedding: the shape of _weight ",
                describe(given), " does not match num_embeddings (", n, ") and embedding_dim (", dim, ")");
    weight = register_parameter("weight", given);
  }
}

void EmbeddingImpl::reset_parameters() {
  init::normal_(weight);
  if (auto pad = options.padding_idx()) {
    NoGradGuard no_grad;
    weight.select(0, *pad).fill_(0);
  }
}

void EmbeddingImpl::pretty_print(std::ostream& stream) const {
  stream << "ember::nn::Embedding(num_embeddings=" << options.num_embeddings()
         << ", embedding_dim=" << options.embedding_dim();
  if (options.padding_idx()) stream << ", padding_idx=" << *options.padding_idx();
  if (options.max_norm()) stream << ", max_norm=" << *options.max_norm();
  if (options.norm_type() != 2) stream << ", norm_type=" << options.norm_type();
  stream << ")";
}

Tensor EmbeddingImpl::forward(const Tensor& indices) {
  return functional::embedding(indices, weight,
                               functional::EmbeddingFuncOptions()
                                   .padding_idx(options.padding_idx())
                                   .max_norm(options.max_norm())
                                   .norm_type(options.norm_type()));
}

Embedding Embedding::from_pretrained(const Tensor& embeddings, const EmbeddingFromPretrainedOptions& options) {
  EMBER_CHECK(embeddings.defined() && embeddings.dim() == 2,
              "Embedding::from_pretrained: embeddings are expected to be 2-dimensional, got ", describe(embeddings));
  Embedding embedding(EmbeddingOptions(embeddings.size(0), embeddings.size(1))
                          ._weight(embeddings)
                          .padding_idx(options.padding_idx())
                          .max_norm(options.max_norm())
                          .norm_type(options.norm_type())
                          .scale_grad_by_freq(options.scale_grad_by_freq())
                          .sparse(options.sparse()));
  embedding->weight.set_requires_grad(!options.freeze());
  return embedding;
}

}  // namespace nn
}  // namespace ember
