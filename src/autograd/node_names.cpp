// The names LibTorch 1.13 gives the autograd nodes of ember's ops, so that grad_fn()->name()
// says what it says in LibTorch. Ops record under ember's op name (what error messages quote);
// this table maps it. LibTorch's own C++ nodes are named with their namespace
// ("torch::autograd::CopySlices"); ember says "ember::autograd::" there, as module names say
// "ember::nn::" where LibTorch's say "torch::nn::".
#include <cstring>

#include "function.h"

namespace ember {
namespace autograd {
namespace {

struct Entry {
  const char* op;
  int inputs;  // the node's input count this name is for, or -1 for any
  const char* node;
};

// A Tensor-Scalar overload records one input and its Tensor-Tensor sibling two; LibTorch numbers
// them apart (x + y is AddBackward0, x + 2 AddBackward1). In-place forms record under the
// out-of-place op's name plus "_" and share its node names (add_ gives AddBackward0 too).
constexpr Entry kNames[] = {
    {"add", 2, "AddBackward0"},
    {"add", 1, "AddBackward1"},
    {"sub", 2, "SubBackward0"},
    {"sub", 1, "SubBackward1"},
    {"rsub", 1, "SubBackward0"},  // 2 - x: LibTorch subtracts a wrapped-number tensor
    {"mul", 2, "MulBackward0"},
    {"mul", 1, "MulBackward1"},
    {"div", 2, "DivBackward0"},
    {"div", 1, "DivBackward1"},
    {"pow", 2, "PowBackward1"},
    {"pow", 1, "PowBackward0"},
    {"neg", -1, "NegBackward0"},
    {"exp", -1, "ExpBackward0"},
    {"log", -1, "LogBackward0"},
    {"sqrt", -1, "SqrtBackward0"},
    {"abs", -1, "AbsBackward0"},
    {"relu", -1, "ReluBackward0"},
    {"sigmoid", -1, "SigmoidBackward0"},
    {"tanh", -1, "TanhBackward0"},
    {"erf", -1, "ErfBackward0"},
    {"clamp", -1, "ClampBackward1"},
    {"clamp_min", -1, "ClampMinBackward0"},
    {"clamp_max", -1, "ClampMaxBackward0"},
    {"where", -1, "WhereBackward0"},
    {"mm", -1, "MmBackward0"},
    {"bmm", -1, "BmmBackward0"},
    {"conv2d", -1, "ConvolutionBackward0"},
    {"max_pool2d", -1, "MaxPool2DWithIndicesBackward0"},
    {"avg_pool2d", -1, "AvgPool2DBackward0"},
    {"adaptive_avg_pool2d", -1, "AdaptiveAvgPool2DBackward0"},
    {"adaptive_max_pool2d", -1, "AdaptiveMaxPool2DBackward0"},
    {"batch_norm", -1, "NativeBatchNormBackward0"},
    {"layer_norm", -1, "NativeLayerNormBackward0"},
    {"group_norm", -1, "NativeGroupNormBackward0"},
    {"view", -1, "ViewBackward0"},
    {"reshape", -1, "ReshapeAliasBackward0"},
    {"_unsafe_view", -1, "UnsafeViewBackward0"},
    {"permute", -1, "PermuteBackward0"},
    {"transpose", -1, "TransposeBackward0"},
    {"t", -1, "TBackward0"},
    {"slice", -1, "SliceBackward0"},
    {"select", -1, "SelectBackward0"},
    {"unsqueeze", -1, "UnsqueezeBackward0"},
    {"squeeze", -1, "SqueezeBackward0"},
    {"expand", -1, "ExpandBackward0"},
    {"to", -1, "ToCopyBackward0"},
    {"clone", -1, "CloneBackward0"},
    {"index_select", -1, "IndexSelectBackward0"},
    {"gather", -1, "GatherBackward0"},
    {"scatter", 2, "ScatterBackward0"},
    {"scatter", 1, "ScatterBackward1"},
    {"scatter_add", -1, "ScatterAddBackward0"},
    {"scatter_reduce", -1, "ScatterReduceBackward0"},
    {"index_add", -1, "IndexAddBackward0"},
    {"index_copy", -1, "IndexCopyBackward0"},
    {"index_fill", -1, "IndexFillBackward1"},
    {"masked_scatter", -1, "MaskedScatterBackward0"},
    {"masked_select", -1, "MaskedSelectBackward0"},
    {"index_put", -1, "IndexPutBackward0"},
    {"cat", -1, "CatBackward0"},
    {"log_softmax", -1, "LogSoftmaxBackward0"},
    {"softmax", -1, "SoftmaxBackward0"},
    {"nll_loss", -1, "NllLossBackward0"},
    {"cross_entropy", -1, "NllLossBackward0"},  // LibTorch's last node: nll_loss after log_softmax
    {"gelu", -1, "GeluBackward0"},
    {"silu", -1, "SiluBackward0"},
    {"mish", -1, "MishBackward0"},
    {"leaky_relu", -1, "LeakyReluBackward0"},
    {"leaky_relu_", -1, "LeakyReluBackward1"},
    {"elu", -1, "EluBackward0"},
    {"elu_", -1, "EluBackward1"},
    {"selu", -1, "EluBackward0"},
    {"selu_", -1, "EluBackward1"},  // LibTorch's selu is elu
    {"celu", -1, "CeluBackward0"},
    {"celu_", -1, "CeluBackward1"},
    {"softplus", -1, "SoftplusBackward0"},
    {"hardtanh", -1, "HardtanhBackward0"},
    {"relu6", -1, "HardtanhBackward0"},  // LibTorch's relu6 is hardtanh(0, 6)
    {"hardswish", -1, "HardswishBackward0"},
    {"hardsigmoid", -1, "HardsigmoidBackward0"},
    {"log_sigmoid", -1, "LogSigmoidBackward0"},
    {"glu", -1, "GluBackward0"},
    {"binary_cross_entropy", -1, "BinaryCrossEntropyBackward0"},
    {"copy_", -1, "ember::autograd::CopyBackwards"},
    {"fill_", -1, "FillBackward2"},
    {"zero_", -1, "ZeroBackward0"},
    {"normal_", -1, "NormalBackward0"},
    {"uniform_", -1, "UniformBackward0"},
    {"sign", -1, "SignBackward0"},
    {"floor", -1, "FloorBackward0"},
    {"ceil", -1, "CeilBackward0"},
    {"round", -1, "RoundBackward0"},
    {"trunc", -1, "TruncBackward0"},
    {"frac", -1, "FracBackward0"},
    {"reciprocal", -1, "ReciprocalBackward0"},
    {"rsqrt", -1, "RsqrtBackward0"},
    {"log2", -1, "Log2Backward0"},
    {"log10", -1, "Log10Backward0"},
    {"exp2", -1, "Exp2Backward0"},
    {"sin", -1, "SinBackward0"},
    {"cos", -1, "CosBackward0"},
    {"tan", -1, "TanBackward0"},
    {"asin", -1, "AsinBackward0"},
    {"acos", -1, "AcosBackward0"},
    {"atan", -1, "AtanBackward0"},
    {"sinh", -1, "SinhBackward0"},
    {"cosh", -1, "CoshBackward0"},
    {"asinh", -1, "AsinhBackward0"},
    {"acosh", -1, "AcoshBackward0"},
    {"atanh", -1, "AtanhBackward0"},
    {"log1p", -1, "Log1PBackward0"},
    {"expm1", -1, "Expm1Backward0"},
    {"atan2", -1, "Atan2Backward0"},
    {"addcmul", -1, "AddcmulBackward0"},
    {"addcdiv", -1, "AddcdivBackward0"},
    {"fmod", 2, "FmodBackward1"},
    {"fmod", 1, "FmodBackward0"},
    {"remainder", 2, "RemainderBackward1"},
    {"remainder", 1, "RemainderBackward0"},
    {"cumsum", -1, "CumsumBackward0"},
    {"cumprod", -1, "CumprodBackward0"},
    {"flip", -1, "FlipBackward0"},
    {"roll", -1, "RollBackward0"},
    {"repeat", -1, "RepeatBackward0"},
    {"tril", -1, "TrilBackward0"},
    {"triu", -1, "TriuBackward0"},
};

const char* find(const std::string& op, size_t n_inputs) {
  for (const Entry& e : kNames)
    if (op == e.op && (e.inputs < 0 || size_t(e.inputs) == n_inputs)) return e.node;
  return nullptr;
}

}  // namespace

std::string libtorch_node_name(const std::string& op, size_t n_inputs) {
  if (const char* node = find(op, n_inputs)) return node;
  if (!op.empty() && op.back() == '_')
    if (const char* node = find(op.substr(0, op.size() - 1), n_inputs)) return node;
  return op;
}

}  // namespace autograd
}  // namespace ember
