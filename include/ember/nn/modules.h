#pragma once
// ember's layers, as LibTorch's: each is an Impl (a Module with public parameters and an
// `options` member) plus its holder, declared with EMBER_MODULE. Weights start as LibTorch
// starts them: Kaiming-uniform with a = sqrt(5) and biases uniform in +-1/sqrt(fan_in).
#include <functional>
#include <iosfwd>
#include <type_traits>
#include <utility>
#include <vector>

#include "ember/nn/module.h"
#include "ember/nn/options.h"
#include "ember/nn/pimpl.h"
#include "ember/tensor.h"

namespace ember {
namespace nn {

/// y = x W^T + b, with weight (out_features, in_features) and bias (out_features).
class EMBER_API LinearImpl : public Module {
 public:
  LinearImpl(int64_t in_features, int64_t out_features) : LinearImpl(LinearOptions(in_features, out_features)) {}
  explicit LinearImpl(const LinearOptions& options_);
  /// Re-registers and re-initialises the parameters from `options`.
  void reset();
  /// Draws fresh initial values (LibTorch's default initialisation).
  void reset_parameters();
  void pretty_print(std::ostream& stream) const override;
  Tensor forward(const Tensor& input);

  LinearOptions options;
  Tensor weight;
  Tensor bias;  // undefined with bias(false)
};
EMBER_MODULE(Linear);

/// 2-D convolution over (N, C, H, W), weight (out, in / groups, kH, kW), bias (out).
class EMBER_API Conv2dImpl : public Module {
 public:
  Conv2dImpl(int64_t input_channels, int64_t output_channels, ExpandingArray<2> kernel_size)
      : Conv2dImpl(Conv2dOptions(input_channels, output_channels, kernel_size)) {}
  explicit Conv2dImpl(Conv2dOptions options_);
  void reset();
  void reset_parameters();
  void pretty_print(std::ostream& stream) const override;
  Tensor forward(const Tensor& input);

  Conv2dOptions options;
  Tensor weight;
  Tensor bias;  // undefined with bias(false)
};
EMBER_MODULE(Conv2d);

/// 2-D max pooling.
class EMBER_API MaxPool2dImpl : public Module {
 public:
  explicit MaxPool2dImpl(ExpandingArray<2> kernel_size) : MaxPool2dImpl(MaxPool2dOptions(kernel_size)) {}
  explicit MaxPool2dImpl(const MaxPool2dOptions& options_);
  void reset() {}
  void pretty_print(std::ostream& stream) const override;
  Tensor forward(const Tensor& input);

  MaxPool2dOptions options;
};
EMBER_MODULE(MaxPool2d);

/// max(x, 0).
class EMBER_API ReLUImpl : public Module {
 public:
  explicit ReLUImpl(const ReLUOptions& options_ = {});
  void reset() {}
  void pretty_print(std::ostream& stream) const override;
  Tensor forward(Tensor input);

  ReLUOptions options;
};
EMBER_MODULE(ReLU);

/// The Gaussian error linear unit.
class EMBER_API GELUImpl : public Module {
 public:
  explicit GELUImpl(GELUOptions options_ = {});
  void reset() {}
  void pretty_print(std::ostream& stream) const override;
  Tensor forward(const Tensor& input);

  GELUOptions options;
};
EMBER_MODULE(GELU);

/// Flattens dims start_dim..end_dim: (N, C, H, W) -> (N, C*H*W) by default.
class EMBER_API FlattenImpl : public Module {
 public:
  explicit FlattenImpl(const FlattenOptions& options_ = {});
  void reset() {}
  void pretty_print(std::ostream& stream) const override;
  Tensor forward(const Tensor& input);

  FlattenOptions options;
};
EMBER_MODULE(Flatten);

/// Dropout: active in training mode (train()), the identity in eval mode.
class EMBER_API DropoutImpl : public Module {
 public:
  explicit DropoutImpl(const DropoutOptions& options_ = {});
  void reset();
  void pretty_print(std::ostream& stream) const override;
  Tensor forward(Tensor input);

  DropoutOptions options;
};
EMBER_MODULE(Dropout);

/// Returns its input.
class EMBER_API IdentityImpl : public Module {
 public:
  IdentityImpl() = default;
  void reset() {}
  void pretty_print(std::ostream& stream) const override;
  Tensor forward(const Tensor& input) { return input; }
};
EMBER_MODULE(Identity);

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

/// Dropout2d: zeroes whole channels of (N, C, H, W) (or unbatched (C, H, W)) input with
/// probability p in training, scaling the kept ones by 1/(1-p); the identity in eval mode.
class EMBER_API Dropout2dImpl : public Module {
 public:
  explicit Dropout2dImpl(double p) : Dropout2dImpl(Dropout2dOptions(p)) {}
  explicit Dropout2dImpl(const Dropout2dOptions& options_ = {});
  void reset();
  void pretty_print(std::ostream& stream) const override;
  Tensor forward(Tensor input);

  Dropout2dOptions options;
};
EMBER_MODULE(Dropout2d);

/// AlphaDropout: dropout for SELU networks. Dropped elements take SELU's negative saturation
/// value and an affine map restores the input's mean and variance; the identity in eval mode.
class EMBER_API AlphaDropoutImpl : public Module {
 public:
  explicit AlphaDropoutImpl(double p) : AlphaDropoutImpl(AlphaDropoutOptions(p)) {}
  explicit AlphaDropoutImpl(const AlphaDropoutOptions& options_ = {});
  void reset();
  void pretty_print(std::ostream& stream) const override;
  Tensor forward(const Tensor& input);

  AlphaDropoutOptions options;
};
EMBER_MODULE(AlphaDropout);

/// Unflatten: splits one dimension into several, (N, 12) -> (N, 3, 4) with dim 1, sizes {3, 4}.
class EMBER_API UnflattenImpl : public Module {
 public:
  UnflattenImpl(int64_t dim, std::vector<int64_t> sizes) : UnflattenImpl(UnflattenOptions(dim, std::move(sizes))) {}
  explicit UnflattenImpl(UnflattenOptions options_);
  void reset() {}
  void pretty_print(std::ostream& stream) const override;
  Tensor forward(const Tensor& input);

  UnflattenOptions options;
};
EMBER_MODULE(Unflatten);

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
