// Which nodes can run in a create_graph backward. A backward function that calls a kernel
// directly (conv2d's, softmax's fused one) computes the right gradient, but autograd does not see
// how it depends on the incoming gradient and the saved tensors, so the gradient's own gradient
// would be silently wrong (unless, like softmax's, it switches to recorded ops when grad mode
// is on, which it is only in a create_graph backward). The engine refuses those nodes under create_graph; this table
// lists the ops whose backward is written with recorded ember ops (docs/libtorch_differences.md repeats it for users).
// An op missing here is refused, which is the safe default for new ops.
#include <cstring>

#include "function.h"

namespace ember {
namespace autograd {
namespace {

// ember op names as recorded (FunctionNode::op); in-place forms ("add_") share their entry.
constexpr const char* kDifferentiable[] = {
    "add",
    "sub",
    "rsub",
    "mul",
    "div",
    "pow",
    "neg",
    "exp",
    "log",
    "sqrt",
    "abs",
    "relu",
    "sigmoid",
    "tanh",
    "erf",
    "clamp",
    "clamp_min",
    "clamp_max",
    "where",
    "mm",
    "linear",
    "sum",
    "mean",
    "max",
    "min",
    "softmax",
    "log_softmax",
    "view",
    "reshape",
    "_unsafe_view",
    "permute",
    "transpose",
    "t",
    "slice",
    "select",
    "unsqueeze",
    "squeeze",
    "expand",
    "to",
    "clone",
    "cat",
    "copy_",
    "fill_",
    "zero_",
    "normal_",
    "uniform_",
    "cross_entropy",
    "nll_loss",
    "index_select",
    "gather",
    "scatter",
    "scatter_add",
    "scatter_reduce",
    "index_add",
    "index_copy",
    "index_fill",
    "masked_scatter",
    "masked_select",
    "index",
    "index_put",
    "bmm",
    "conv2d",
    "conv2d_backward_input",
    "conv2d_backward_weight",
    "conv_transpose2d",
    // The 3-D layers, EmbeddingBag, im2col and col2im: backwards of recorded 2-D convolutions, matrix products,
    // scatters and index ops (src/ops/conv3d.cpp, src/ops/pool3d.cpp, src/nn/embedding_bag.cpp,
    // src/nn/fold.cpp).
    "conv3d",
    "max_pool3d",
    "avg_pool3d",
    "adaptive_avg_pool3d",
    "adaptive_max_pool3d",
    "embedding_bag",
    "im2col",
    "col2im",
    "max_pool2d",
    "max_pool2d_backward",
    "avg_pool2d",
    "avg_pool2d_backward",
    "adaptive_avg_pool2d",
    "adaptive_avg_pool2d_backward",
    "adaptive_max_pool2d",
    "adaptive_max_pool2d_backward",
    // batch_norm's node switches to recorded ops under create_graph (src/ops/batch_norm.cpp);
    // layer_norm and group_norm keep their fused kernels and are refused.
    "batch_norm",
    // Without zeros in its input (else it is recorded as its composition, src/ops/reduce_extra.cpp).
    "cumprod",
    "as_strided_backward",
    // Sorting and selection: the backward is one scatter (src/ops/sort.cpp).
    "sort",
    "topk",
    "kthvalue",
    "median",
    "nanmedian",
    "mode",
    // The activations switch to recorded ops under create_graph (src/ops/elementwise.cpp).
    "silu",
    "mish",
    "leaky_relu",
    "elu",
    "selu",
    "celu",
    "softplus",
    "hardtanh",
    "relu6",
    "hardswish",
    "hardsigmoid",
    "log_sigmoid",
    "gelu",
};

bool listed(const std::string& op) {
  for (const char* name : kDifferentiable)
    if (op == name) return true;
  return false;
}

}  // namespace

bool backward_is_differentiable(const Node& node) {
  if (dynamic_cast<const AccumulateGrad*>(&node) != nullptr) return true;
  if (const auto* fn = dynamic_cast<const FunctionNode*>(&node)) {
    if (listed(fn->op)) return true;
    return !fn->op.empty() && fn->op.back() == '_' && listed(fn->op.substr(0, fn->op.size() - 1));
  }
  // The view nodes (CopySlices, AsStridedBackward0) switch to recorded ops under create_graph;
  // custom functions are their author's responsibility, as in LibTorch.
  return node.differentiable_backward();
}

}  // namespace autograd
}  // namespace ember
