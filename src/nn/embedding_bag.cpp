// EmbeddingBag: F::embedding_bag, ATen's torch::embedding_bag and the module. Composed from ember
// ops, so both devices run it with kernels they already have: searchsorted assigns each index
// its bag, index_add sums (and counts) the bags, scatter_reduce takes their maxima. The forward
// runs outside autograd and records one node, EmbeddingBagBackward0 as in LibTorch, whose
// backward is made of recorded ops too (so it can be differentiated again).
#include <limits>
#include <ostream>

#include "embedding_renorm.h"
#include "ember/autograd.h"
#include "ember/indexing.h"
#include "ember/nn/embedding_bag.h"
#include "ember/nn/init.h"
#include "ember/sorting.h"
#include "ops/common.h"
#include "ops/index_add_rows.h"

namespace ember {
namespace nn {

std::string get_enum_name(const EmbeddingBagMode& mode) {
  switch (mode.mode_enum()) {
    case 0: return "kSum";
    case 1: return "kMean";
    case 2: return "kMax";
    default: return "kNone";
  }
}

}  // namespace nn

namespace {

enum BagMode : int64_t { kBagSum = 0, kBagMean = 1, kBagMax = 2 };

/// Integer indices or offsets as int64 (LibTorch takes Long or Int).
Tensor as_long(const char* arg, const Tensor& t) {
  EMBER_CHECK(t.dtype() == kLong || t.dtype() == kInt, "embedding_bag: expected tensor for argument '", arg,
              "' to have one of the following scalar types: Long, Int; but got ", describe(t), " instead");
  return t.dtype() == kLong ? t : t.to(kLong);
}

}  // namespace

std::tuple<Tensor, Tensor, Tensor, Tensor> embedding_bag(const Tensor& weight, const Tensor& indices,
                                                         const Tensor& offsets, bool scale_grad_by_freq, int64_t mode,
                                                         bool sparse, const Tensor& per_sample_weights,
                                                         bool include_last_offset, std::optional<int64_t> padding_idx) {
  const char* op = "embedding_bag";
  EMBER_CHECK(weight.defined() && indices.defined() && offsets.defined(), op, ": undefined weight, indices or offsets");
  EMBER_CHECK(weight.dim() == 2, op, ": 'weight' must be 2-D (num_embeddings, embedding_dim), got ", describe(weight));
  check_floating(op, weight);
  EMBER_CHECK(indices.dim() == 1, op, ": expected 1-D indices, got ", describe(indices));
  EMBER_CHECK(offsets.dim() == 1, op, ": offsets has to be a 1D Tensor, got ", describe(offsets));
  EMBER_CHECK(mode >= kBagSum && mode <= kBagMax, op, ": mode has to be one of sum, mean or max, got ", mode);
  EMBER_CHECK(!scale_grad_by_freq, op, ": scale_grad_by_freq is not supported by ember");
  EMBER_CHECK(!sparse, op, ": sparse gradients are not supported by ember");
  const Tensor& psw = per_sample_weights;
  if (psw.defined()) {
    EMBER_CHECK(mode == kBagSum, op, ": per_sample_weights was not null. per_sample_weights is only supported for ",
                "mode='kSum' (got mode='", mode == kBagMean ? "kMean" : "kMax",
                "'). Please open a feature request on GitHub.");
    EMBER_CHECK(psw.sizes() == indices.sizes(), op, ": If per_sample_weights (", psw.sizes(),
                ") is not null, then it must have the same shape as the input (", indices.sizes(), ")");
    EMBER_CHECK(psw.dtype() == weight.dtype(), op, ": expected per_sample_weights to have the dtype of weight; but ",
                describe(psw), " does not match ", describe(weight));
  }
  check_same_device(op, {weight, indices, offsets, psw});
  const Tensor idx = as_long("indices", indices), ofs = as_long("offsets", offsets);

  const int64_t num = weight.size(0), dim = weight.size(1), n = idx.numel();
  int64_t pad = -1;
  if (padding_idx) {
    EMBER_CHECK(*padding_idx >= -num && *padding_idx < num, "padding_idx must be within the number of embeddings, -",
                num, " through ", num - 1, ", but got ", *padding_idx);
    pad = *padding_idx < 0 ? *padding_idx + num : *padding_idx;
  }
  if (include_last_offset)
    EMBER_CHECK(ofs.numel() >= 1, op, ": include_last_offset: number of offset should be at least 1");
  if (ofs.numel() > 0) {
    const int64_t first = ofs.select(0, 0).item<int64_t>(), last = ofs.select(0, ofs.numel() - 1).item<int64_t>();
    EMBER_CHECK(first == 0, op, ": offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start ",
                "from position 0. However, got ", first);
    EMBER_CHECK(last <= n, op, ": offsets[-1] can not be greater than input's length ", n, " but got offsets[-1] of ",
                last);
  }
  if (n > 0) {
    const int64_t lo = idx.min().item<int64_t>(), hi = idx.max().item<int64_t>();
    EMBER_CHECK(lo >= 0 && hi < num, op, ": Expected idx >= 0 && idx < num_embeddings but found idx to be ",
                lo < 0 ? lo : hi);
  }

  const int64_t bags = include_last_offset ? ofs.numel() - 1 : ofs.numel();
  const TensorOptions longs = TensorOptions(kLong).device(weight.device());
  const TensorOptions values = TensorOptions(weight.dtype()).device(weight.device());
  Tensor out, offset2bag, bag_size, max_indices, bag, valid, first;
  {
    NoGradGuard no_grad;
    const Tensor pos = arange(n, longs);
    // An index's bag is the last offset at or before its position. With include_last_offset the
    // indices from offsets[-1] on belong to no bag (as in LibTorch): they count as padding.
    offset2bag = ofs.numel() > 0 ? searchsorted(ofs, pos, false, /*right=*/true) - 1 : zeros({n}, longs);
    valid = offset2bag < std::max<int64_t>(bags, 0);
    if (pad >= 0) valid = valid.logical_and(idx != pad);
    bag = offset2bag.clamp(0, std::max<int64_t>(bags - 1, 0));
    out = zeros({bags, dim}, values);
    Tensor counts = zeros({bags}, longs);
    if (n > 0 && bags > 0) {
      counts = index_add_into_zeros({bags}, 0, bag, valid.to(kLong));
      const Tensor rows = weight.index_select(0, idx);
      if (mode == kBagMax) {
        const Tensor bag2 = bag.unsqueeze(1).expand({n, dim});
        const Tensor masked =
            where(valid.unsqueeze(1), rows, full({n, dim}, -std::numeric_limits<double>::infinity(), values));
        out =
            full({bags, dim}, -std::numeric_limits<double>::infinity(), values).scatter_reduce(0, bag2, masked, "amax");
        const Tensor nonempty = (counts > 0).unsqueeze(1);
        out = where(nonempty, out, zeros({bags, dim}, values));
        // The first position of each bag's maximum, as LibTorch's kernel (it keeps a strictly
        // greater value only): the gradient goes to that one row.
        const Tensor hit = (masked == out.index_select(0, bag)).logical_and(valid.unsqueeze(1));
        const Tensor cand = where(hit, pos.unsqueeze(1).expand({n, dim}), full({n, dim}, n, longs));
        first = full({bags, dim}, n, longs).scatter_reduce(0, bag2, cand, "amin");
        first = where(first < n, first, full({bags, dim}, -1, longs));
        max_indices = where(first >= 0, idx.index_select(0, first.clamp_min(0).reshape({-1})).view({bags, dim}),
                            zeros({bags, dim}, longs));
      } else {
        Tensor scale = valid.to(weight.dtype());
        if (psw.defined()) scale = scale * psw;
        out = index_add_into_zeros({bags, dim}, 0, bag, rows * scale.unsqueeze(1));
        if (mode == kBagMean) out = out / counts.clamp_min(1).to(weight.dtype()).unsqueeze(1);
      }
    } else if (mode == kBagMax) {
      first = full({bags, dim}, -1, longs);
      max_indices = zeros({bags, dim}, longs);
    }
    // LibTorch's other outputs: bag_size counts for mean and max (zeros for sum), and
    // max_indices the maxima's rows for max (bag_size again for mean, zeros for sum).
    bag_size = mode == kBagSum ? zeros({bags}, longs) : counts;
    if (mode == kBagSum) max_indices = zeros({bags}, longs);
    if (mode == kBagMean) max_indices = counts;
  }

  if (autograd::needs_grad({weight, psw})) {
    const std::vector<int64_t> w_shape = weight.sizes().vec();
    const autograd::SavedTensor s_w = autograd::save(weight, op);
    const autograd::SavedTensor s_psw = psw.defined() ? autograd::save(psw, op) : autograd::SavedTensor();
    Tensor scale;
    if (mode == kBagMean) {
      NoGradGuard no_grad;
      scale = valid.to(weight.dtype()) / bag_size.clamp_min(1).to(weight.dtype()).index_select(0, bag);
    } else if (mode == kBagSum) {
      scale = valid.to(weight.dtype());
    }
    autograd::record({op, "EmbeddingBagBackward0"}, out, {weight, psw},
                     [=](const Tensor& grad, const std::vector<bool>& needs) -> variable_list {
                       variable_list grads(2);
                       if (n == 0 || bags == 0) {
                         if (needs[0]) grads[0] = zeros(w_shape, grad.options());
                         if (needs[1]) grads[1] = zeros({n}, grad.options());
                         return grads;
                       }
                       if (mode == kBagMax) {
                         // Each (bag, column) maximum sends its gradient to the row it came from.
                         // (Added over the flattened table: the index_add is deterministic.)
                         const Tensor nonempty = first >= 0;
                         const Tensor rows = where(nonempty, max_indices, zeros_like(max_indices));
                         const Tensor cols = arange(dim, TensorOptions(kLong).device(grad.device()));
                         grads[0] =
                             index_add_into_zeros({w_shape[0] * w_shape[1]}, 0, (rows * dim + cols).reshape({-1}),
                                                  where(nonempty, grad, zeros_like(grad)).reshape({-1}))
                                 .view(w_shape);
                         return grads;
                       }
                       const Tensor g_rows = grad.index_select(0, bag);  // (n, dim): each index's bag gradient
                       if (needs[0]) {
                         Tensor sc = s_psw.defined() ? scale * s_psw.get() : scale;
                         grads[0] = index_add_into_zeros(w_shape, 0, idx, g_rows * sc.unsqueeze(1));
                       }
                       if (needs[1]) grads[1] = (g_rows * s_w.get().index_select(0, idx)).sum(1) * scale;
                       return grads;
                     });
  }
  return {out, offset2bag, bag_size, max_indices};
}

namespace nn {
namespace functional {

Tensor embedding_bag(const Tensor& input, const Tensor& weight, const EmbeddingBagFuncOptions& options) {
  const char* op = "embedding_bag";
  EMBER_CHECK(input.defined() && weight.defined(), op, ": undefined input or weight");
  Tensor in = input, offsets = options.offsets(), psw = options.per_sample_weights();
  EMBER_CHECK(!psw.defined() || psw.sizes() == in.sizes(), op, ": If per_sample_weights (", psw.sizes(),
              ") is not null, then it must have the same shape as the input (", in.sizes(), ")");
  if (in.dim() == 2) {
    EMBER_CHECK(!offsets.defined(), op, ": If input is 2D, then offsets has to be null, as input is treated is a ",
                "mini-batch of fixed length sequences. However, found offsets of type Tensor");
    // Each row is one bag.
    offsets = in.size(1) > 0 ? arange(0, in.numel(), in.size(1), TensorOptions(kLong).device(in.device()))
                             : zeros({in.size(0)}, TensorOptions(kLong).device(in.device()));
    in = in.reshape({-1});
    if (psw.defined()) psw = psw.reshape({-1});
  } else {
    EMBER_CHECK(in.dim() == 1, op, ": input has to be 1D or 2D Tensor, but got Tensor of dimension ", in.dim());
    EMBER_CHECK(offsets.defined(), op, ": offsets has to be a 1D Tensor but got null");
    EMBER_CHECK(offsets.dim() == 1, op, ": offsets has to be a 1D Tensor, got ", describe(offsets));
  }
  const int64_t mode = options.mode().mode_enum();
  EMBER_CHECK(mode >= 0, op, ": mode has to be one of sum, mean or max");
  if (mode == kBagMax) {
    EMBER_CHECK(!options.scale_grad_by_freq(), op, ": max mode does not support scaling the gradient by the frequency");
    EMBER_CHECK(!options.sparse(), op, ": max mode does not support sparse weights");
  }
  if (options.max_norm()) {
    EMBER_CHECK(in.dtype() == kLong || in.dtype() == kInt, op,
                ": expected the indices to be an integer (Long or Int) tensor, got ", describe(in));
    detail::embedding_renorm(weight, in.to(kLong), *options.max_norm(), options.norm_type());
  }
  EMBER_CHECK(!psw.defined() || mode == kBagSum, op, ": per_sample_weights was not null. per_sample_weights is only ",
              "supported for mode='kSum' (got mode='", get_enum_name(options.mode()),
              "').Please open a feature request on GitHub.");
  return std::get<0>(ember::embedding_bag(weight, in, offsets, options.scale_grad_by_freq(), mode, options.sparse(),
                                          psw, options.include_last_offset(), options.padding_idx()));
}

}  // namespace functional

// --- the module ----------------------------------------------------------------------------------------

EmbeddingBagImpl::EmbeddingBagImpl(EmbeddingBagOptions options_) : options(std::move(options_)) { reset(); }

void EmbeddingBagImpl::reset() {
  const int64_t n = options.num_embeddings(), dim = options.embedding_dim();
  EMBER_CHECK(n >= 0 && dim >= 0, "EmbeddingBag: num_embeddings and embedding_dim must be non-negative, got ", n,
              " and ", dim);
  EMBER_CHECK(options.mode().mode_enum() >= 0, "EmbeddingBag: mode has to be one of sum, mean or max");
  // LibTorch checks padding_idx against the table and keeps it as given.
  if (auto pad = options.padding_idx()) {
    EMBER_CHECK(*pad < n, "EmbeddingBag: Padding_idx must be within num_embeddings");
    EMBER_CHECK(*pad >= -n, "EmbeddingBag: Padding_idx must be within num_embedding");
  }
  if (!options._weight().defined()) {
    weight = register_parameter("weight", empty({n, dim}));
    reset_parameters();
  } else {
    const Tensor& given = options._weight();
    EMBER_CHECK(given.dim() == 2 && given.size(0) == n && given.size(1) == dim, "EmbeddingBag: Shape of weight ",
                describe(given), " does not match num_embeddings (", n, ") and embedding_dim (", dim, ")");
    weight = register_parameter("weight", given);
  }
}

void EmbeddingBagImpl::reset_parameters() {
  init::normal_(weight);
  if (auto pad = options.padding_idx()) {
    NoGradGuard no_grad;
    weight.select(0, *pad < 0 ? *pad + weight.size(0) : *pad).fill_(0);
  }
}

void EmbeddingBagImpl::pretty_print(std::ostream& stream) const {
  stream << "ember::nn::EmbeddingBag(num_embeddings=" << options.num_embeddings()
         << ", embedding_dim=" << options.embedding_dim();
  if (options.max_norm()) stream << ", max_norm=" << *options.max_norm();
  if (options.norm_type() != 2) stream << ", norm_type=" << options.norm_type();
  if (options.scale_grad_by_freq()) stream << ", scale_grad_by_freq=true";
  if (options.sparse()) stream << ", sparse=true";
  if (options.mode().mode_enum() != 1) stream << ", mode=" << get_enum_name(options.mode());
  if (options.include_last_offset()) stream << ", include_last_offset=true";
  if (options.padding_idx()) stream << ", padding_idx=" << *options.padding_idx();
  stream << ")";
}

Tensor EmbeddingBagImpl::forward(const Tensor& input, const Tensor& offsets, const Tensor& per_sample_weights) {
  return functional::embedding_bag(input, weight,
                                   functional::EmbeddingBagFuncOptions()
                                       .offsets(offsets)
                                       .max_norm(options.max_norm())
                                       .norm_type(options.norm_type())
                                       .scale_grad_by_freq(options.scale_grad_by_freq())
                                       .mode(options.mode())
                                       .sparse(options.sparse())
                                       .per_sample_weights(per_sample_weights)
                                       .include_last_offset(options.include_last_offset())
                                       .padding_idx(options.padding_idx()));
}

EmbeddingBag EmbeddingBag::from_pretrained(const Tensor& embeddings, const EmbeddingBagFromPretrainedOptions& options) {
  EMBER_CHECK(embeddings.defined() && embeddings.dim() == 2,
              "EmbeddingBag::from_pretrained: Embeddings parameter is expected to be 2-dimensional, got ",
              describe(embeddings));
  EmbeddingBag bag(EmbeddingBagOptions(embeddings.size(0), embeddings.size(1))
                       ._weight(embeddings)
                       .max_norm(options.max_norm())
                       .norm_type(options.norm_type())
                       .scale_grad_by_freq(options.scale_grad_by_freq())
                       .mode(options.mode())
                       .sparse(options.sparse())
                       .include_last_offset(options.include_last_offset())
                       .padding_idx(options.padding_idx()));
  bag->weight.set_requires_grad(!options.freeze());
  return bag;
}

}  // namespace nn
}  // namespace ember
