#pragma once
// The pointwise front halves of src/ops/elementwise.cpp, for the ops defined in other files
// (src/ops/pointwise_extra.cpp): validation, dtype promotion, allocation and the backend call
// stay in one place.
#include <functional>

#include "common.h"

namespace ember {
namespace detail {

/// The dtype of a floating-point op's result: x's when floating, else float32 (torch.sin of an
/// int64 tensor is float32).
inline ScalarType float_result(const Tensor& x) { return x.is_floating_point() ? x.dtype() : kFloat; }
/// A unary op's gradient: dfdx(g, input, output) (input / output undefined unless saved).
using UnaryGrad = std::function<Tensor(const Tensor& g, const Tensor& in, const Tensor& out)>;
/// Runs UnaryOp `op` into a new `out_dtype` tensor (x cast to it first) and records `dfdx` as
/// the node `name` when x needs a gradient and the result is floating point.
Tensor pointwise_unary(UnaryOp op, const char* name, const Tensor& x, ScalarType out_dtype, bool save_in, bool save_out,
                       const UnaryGrad& dfdx, const PointwiseParams& p = {});
/// An in-place op through the graph: op(self, or a clone of it while recording) written into self.
const Tensor& pointwise_inplace(const Tensor& self, const char* name, bool recording,
                                const std::function<Tensor(const Tensor&)>& op);
/// t in dtype dt for a kernel (no copy when it has it; not recorded).
Tensor cast_for_kernel(const Tensor& t, ScalarType dt);
/// A binary op's kernel with broadcasting and type promotion (bool result for comparisons and
/// logical ops); records nothing.
Tensor pointwise_binary(BinaryOp op, const char* name, const Tensor& a, const Tensor& b);
Tensor pointwise_binary(BinaryOp op, const char* name, const Tensor& a, const Scalar& s);

}  // namespace detail
}  // namespace ember
