#pragma once
// Helpers shared by the op front halves (src/ops/*.cpp).
#include <array>
#include <functional>
#include <vector>

#include "../autograd/function.h"
#include "../backend.h"

namespace ember {

/// PyTorch broadcasting of two shapes; the error names the op and both shapes.
std::vector<int64_t> broadcast_shapes(IntArrayRef a, IntArrayRef b, const char* op);
/// A stride-0 view of t broadcast to `shape` (no autograd; shapes already checked).
Tensor broadcast_view(const Tensor& t, IntArrayRef shape);
/// Sums a gradient down to `shape` (the reverse of broadcasting).
Tensor sum_to(const Tensor& grad, IntArrayRef shape);
/// The dtype of a binary op's result, with LibTorch's promotion (categories bool < int < float;
/// zero-dim tensors only lift the category).
ScalarType result_type(const Tensor& a, const Tensor& b);
ScalarType result_type(const Tensor& a, const Scalar& s);
/// Throws unless all defined tensors share one device.
void check_same_device(const char* op, std::initializer_list<Tensor> tensors);
/// Throws unless t is floating point.
void check_floating(const char* op, const Tensor& t);
/// Expands one or two ints (LibTorch's ExpandingArray<2>) into a pair; names op and argument.
std::array<int64_t, 2> expand_pair(IntArrayRef v, const char* op, const char* arg);

/// The backward kernel of a fused normalisation: writes the defined ones of grad_in (the input's
/// shape), grad_weight and grad_bias (flat, (params)) from grad_out (contiguous).
using NormBackwardKernel = std::function<void(const Tensor& grad_in, const Tensor& grad_weight, const Tensor& grad_bias,
                                              const Tensor& grad_out)>;
/// The same backward in recorded ops, for a create_graph backward: {grad_in, grad_weight (params),
/// grad_bias (params)} from grad_out, undefined where `needs` says no.
using NormGraphBackward = std::function<variable_list(const Tensor& grad_out, const std::vector<bool>& needs)>;
/// Records the one node of a fused normalisation (batch_norm, layer_norm, group_norm) over
/// (input, weight, bias): its backward allocates the gradients asked for and runs `kernel` (or,
/// under create_graph, `graph` when the norm has one), and the weight and bias gradients are
/// viewed back to their tensors' shapes.
void record_norm(const char* op, const Tensor& out, const Tensor& input, const Tensor& weight, const Tensor& bias,
                 int64_t params, NormBackwardKernel kernel, NormGraphBackward graph = nullptr);

namespace detail {
/// nn::functional::linear after its argument checks: input (..., in) @ weight (out, in)^T + bias,
/// recorded as one graph node.
Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias);
}  // namespace detail

}  // namespace ember
