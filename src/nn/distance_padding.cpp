// The distance layers (nn::CosineSimilarity, nn::PairwiseDistance) and the padding layers
// (nn::ReflectionPad*d, ReplicationPad*d, ZeroPad2d, ConstantPad*d): their forward is the
// functional form with their options, their printout LibTorch's.
#include <ostream>
#include <vector>

#include "ember/nn/distance.h"
#include "ember/nn/padding.h"

namespace ember {
namespace nn {

void CosineSimilarityImpl::pretty_print(std::ostream& s) const {
  print(s, {{"dim", options.dim()}, {"eps", options.eps()}});
}
Tensor CosineSimilarityImpl::forward(const Tensor& input1, const Tensor& input2) {
  return functional::cosine_similarity(input1, input2, options);
}

void PairwiseDistanceImpl::pretty_print(std::ostream& s) const {
  print(s, {{"p", options.p()}, {"eps", options.eps()}, {"keepdim", options.keepdim()}});
}
Tensor PairwiseDistanceImpl::forward(const Tensor& input1, const Tensor& input2) {
  return functional::pairwise_distance(input1, input2, options);
}

namespace {
template <size_t N>
Tensor padded(const Tensor& input, const ExpandingArray<N>& padding, functional::PadFuncOptions::mode_t mode,
              double value = 0) {
  return functional::pad(
      input,
      functional::PadFuncOptions(std::vector<int64_t>(padding->begin(), padding->end())).mode(mode).value(value));
}
}  // namespace

#define EMBER_PAD_LAYER(Name, mode)                                                                    \
  void Name##Impl::pretty_print(std::ostream& s) const { print(s, {{"padding", options.padding()}}); } \
  Tensor Name##Impl::forward(const Tensor& input) { return padded(input, options.padding(), mode); }
EMBER_PAD_LAYER(ReflectionPad1d, enumtype::kReflect())
EMBER_PAD_LAYER(ReflectionPad2d, enumtype::kReflect())
EMBER_PAD_LAYER(ReflectionPad3d, enumtype::kReflect())
EMBER_PAD_LAYER(ReplicationPad1d, enumtype::kReplicate())
EMBER_PAD_LAYER(ReplicationPad2d, enumtype::kReplicate())
EMBER_PAD_LAYER(ReplicationPad3d, enumtype::kReplicate())
EMBER_PAD_LAYER(ZeroPad2d, enumtype::kConstant())
#undef EMBER_PAD_LAYER

#define EMBER_CONSTANT_PAD_LAYER(Name)                                               \
  void Name##Impl::pretty_print(std::ostream& s) const {                             \
    print(s, {{"padding", options.padding()}, {"value", options.value()}});          \
  }                                                                                  \
  Tensor Name##Impl::forward(const Tensor& input) {                                  \
    return padded(input, options.padding(), enumtype::kConstant(), options.value()); \
  }
EMBER_CONSTANT_PAD_LAYER(ConstantPad1d)
EMBER_CONSTANT_PAD_LAYER(ConstantPad2d)
EMBER_CONSTANT_PAD_LAYER(ConstantPad3d)
#undef EMBER_CONSTANT_PAD_LAYER

}  // namespace nn
}  // namespace ember
