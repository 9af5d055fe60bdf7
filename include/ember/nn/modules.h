#pragma once
// ember's layers, as LibTorch's: each is an Impl (a Module with public parameters and an
// `options` member) plus its holder, most declared with EMBER_LAYER. Weights start as LibTorch
// starts them: Kaiming-uniform with a = sqrt(5) and biases uniform in +-1/sqrt(fan_in).
#include <functional>
#include <iosfwd>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "ember/functional.h"
#include "ember/nn/module.h"
#include "ember/nn/options.h"
#include "ember/nn/options_module.h"
#include "ember/nn/pimpl.h"
#include "ember/tensor.h"

namespace ember {
namespace nn {

/// The base of the layers with a weight and an optional bias (Linear, Conv2d).
template <typename Options>
class EMBER_API WeightBiasImplBase : public OptionsModule<Options> {
 public:
  using OptionsModule<Options>::OptionsModule;
  /// Draws fresh initial values (LibTorch's default initialisation).
  void reset_parameters();

  Tensor weight;
  Tensor bias;  // undefined with bias(false)

 protected:
  /// Registers the weight of weight_shape and, with options.bias(), the bias (weight_shape[0]; it
  /// is registered undefined otherwise, as LibTorch), then draws their initial values.
  void register_weight_and_bias(const std::vector<int64_t>& weight_shape);
};
extern template class EMBER_API WeightBiasImplBase<LinearOptions>;
extern template class EMBER_API WeightBiasImplBase<Conv1dOptions>;
extern template class EMBER_API WeightBiasImplBase<Conv2dOptions>;

/// What Conv1d and Conv2d share: reset() checks the options and registers the weight
/// (out, in / groups, k...) and bias (out), initialised as LibTorch's; a padding_mode other than
/// kZeros pads the input with F::pad (kReflect, kReplicate, kCircular) before a zero-padding-free
/// convolution, as PyTorch's modules.
template <size_t D>
class EMBER_API ConvNdImpl : public WeightBiasImplBase<ConvOptions<D>> {
 public:
  using WeightBiasImplBase<ConvOptions<D>>::WeightBiasImplBase;
  void reset();

 protected:
  /// LibTorch's printout: kernel_size and stride always; padding, dilation, groups and bias
  /// only when they differ from the defaults.
  void print_conv(std::ostream& stream) const;
  /// The convolution, after padding_mode's padding (or 'same''s odd extra) through F::pad.
  Tensor conv_forward(const Tensor& input);
};
extern template class EMBER_API ConvNdImpl<1>;
extern template class EMBER_API ConvNdImpl<2>;

// reset() checks the options and re-registers and re-initialises the parameters.
/// y = x W^T + b, with weight (out_features, in_features) and bias (out_features).
EMBER_LAYER(Linear, WeightBiasImplBase<LinearOptions>, Tensor forward(const Tensor& input); void reset(););
/// 1-D convolution over (N, C, L) or (C, L), weight (out, in / groups, k), bias (out).
EMBER_LAYER(Conv1d, ConvNdImpl<1>, Tensor forward(const Tensor& input););
/// 2-D convolution over (N, C, H, W), weight (out, in / groups, kH, kW), bias (out).
EMBER_LAYER(Conv2d, ConvNdImpl<2>, Tensor forward(const Tensor& input););

/// 2-D max pooling.
EMBER_LAYER(MaxPool2d, OptionsModule<MaxPool2dOptions>, Tensor forward(const Tensor& input);
            /// (output, indices), as F::max_pool2d_with_indices.
            std::tuple<Tensor, Tensor> forward_with_indices(const Tensor& input););
/// 1-D max pooling over (N, C, L) or (C, L).
EMBER_LAYER(MaxPool1d, OptionsModule<MaxPool1dOptions>, Tensor forward(const Tensor& input);
            /// (output, indices), as F::max_pool1d_with_indices.
            std::tuple<Tensor, Tensor> forward_with_indices(const Tensor& input););
/// max(x, 0).
EMBER_LAYER(ReLU, OptionsModule<ReLUOptions>, Tensor forward(Tensor input););
/// The Gaussian error linear unit.
EMBER_LAYER(GELU, OptionsModule<GELUOptions>, Tensor forward(const Tensor& input););
/// Flattens dims start_dim..end_dim: (N, C, H, W) -> (N, C*H*W) by default.
EMBER_LAYER(Flatten, OptionsModule<FlattenOptions>, Tensor forward(const Tensor& input););
/// Returns its input.
EMBER_LAYER(Identity, LayerBase, Tensor forward(const Tensor& input););
/// Unflatten: splits one dimension into several, (N, 12) -> (N, 3, 4) with dim 1, sizes {3, 4}.
EMBER_LAYER(Unflatten, OptionsModule<UnflattenOptions>, Tensor forward(const Tensor& input););

/// What the dropouts share (LibTorch's _DropoutNd): DropoutOptions, checked by reset().
class EMBER_API DropoutImplBase : public OptionsModule<DropoutOptions> {
 public:
  using OptionsModule::OptionsModule;
  /// Throws unless 0 <= p <= 1.
  void reset();

 protected:
  /// The functional options of this forward: p, inplace and whether the module is training.
  functional::DropoutFuncOptions func_options() const;
  /// LibTorch's printout: "ember::nn::Dropout(p=0.5, inplace=false)".
  void print_options(std::ostream& stream) const;
};

/// Dropout: active in training mode (train()), the identity in eval mode.
EMBER_LAYER(Dropout, DropoutImplBase, Tensor forward(Tensor input););
/// Dropout2d: zeroes whole channels of (N, C, H, W) (or unbatched (C, H, W)) input with
/// probability p in training, scaling the kept ones by 1/(1-p); the identity in eval mode.
EMBER_LAYER(Dropout2d, DropoutImplBase, Tensor forward(Tensor input););
/// AlphaDropout: dropout for SELU networks. Dropped elements take SELU's negative saturation
/// value and an affine map restores the input's mean and variance; the identity in eval mode.
EMBER_LAYER(AlphaDropout, DropoutImplBase, Tensor forward(const Tensor& input););

/// Wraps a function as a module, so it can sit in a Sequential:
///   Functional(ember::relu), Functional([](Tensor x) { return x * 2; }),
///   Functional(ember::log_softmax, 1, std::nullopt)  (extra arguments follow the input).
class EMBER_API FunctionalImpl : public Module {
 public:
  using Function = std::function<Tensor(Tensor)>;
  explicit FunctionalImpl(Function function);
  template <typename SomeFunction, typename... Args, typename = std::enable_if_t<(sizeof...(Args) > 0)>>
  explicit FunctionalImpl(SomeFunction original_function, Args&&... args)
      : FunctionalImpl(Function(std::bind(original_function, std::placeholders::_1, std::forward<Args>(args)...))) {}
  void reset() {}
  void pretty_print(std::ostream& stream) const override;
  Tensor forward(Tensor input);
  Tensor operator()(Tensor input) { return forward(std::move(input)); }

 private:
  Function function_;
};
EMBER_MODULE(Functional);

class Embedding;

/// Embedding: a table `weight` of (num_embeddings, embedding_dim); forward(indices) gives the
/// rows at an integer tensor of indices, shape indices.sizes() + [embedding_dim].
class EMBER_API EmbeddingImpl : public Module {
 public:
  EmbeddingImpl(int64_t num_embeddings, int64_t embedding_dim)
      : EmbeddingImpl(EmbeddingOptions(num_embeddings, embedding_dim)) {}
  explicit EmbeddingImpl(EmbeddingOptions options_);
  /// Checks the options, registers the weight (options._weight when given) and initialises it.
  void reset();
  /// N(0, 1), with the padding_idx row zeroed.
  void reset_parameters();
  void pretty_print(std::ostream& stream) const override;
  Tensor forward(const Tensor& indices);

  EmbeddingOptions options;
  Tensor weight;
};

/// The holder, with LibTorch's Embedding::from_pretrained.
class Embedding : public ModuleHolder<EmbeddingImpl> {
 public:
  using ModuleHolder<EmbeddingImpl>::ModuleHolder;
  using Impl = EmbeddingImpl;
  /// An Embedding whose table is `embeddings` (2-D, used as is, not copied); with freeze (the
  /// default) it does not require grad.
  static EMBER_API Embedding from_pretrained(const Tensor& embeddings,
                                             const EmbeddingFromPretrainedOptions& options = {});
};

}  // namespace nn
}  // namespace ember
