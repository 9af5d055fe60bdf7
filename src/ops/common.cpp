// Helpers shared by the op front halves: broadcasting, type promotion, argument checks.
#include "common.h"

namespace ember {

std::vector<int64_t> broadcast_shapes(IntArrayRef a, IntArrayRef b, const char* op) {
  size_t n = std::max(a.size(), b.size());
  std::vector<int64_t> out(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    EMBER_CHECK(da == db || da == 1 || db == 1, op, ": shapes ", a, " and ", b, " cannot be broadcast together (size ",
                da, " vs ", db, " at dimension ", i, " counted from the left of the broadcast shape)");
    out[i] = da == 1 ? db : da;
  }
  // Each input fits, but [2^32, 1] and [1, 2^32] broadcast to a shape that does not.
  shape_numel(out, op);
  return out;
}

Tensor broadcast_view(const Tensor& t, IntArrayRef shape) {
  if (t.sizes().equals(shape)) return t;
  size_t lead = shape.size() - size_t(t.dim());
  std::vector<int64_t> strides(shape.size(), 0);
  for (size_t i = 0; i < size_t(t.dim()); ++i) strides[lead + i] = t.size(int64_t(i)) == 1 ? 0 : t.stride(int64_t(i));
  return make_view(t, shape.vec(), strides, t.storage_offset());
}

Tensor sum_to(const Tensor& grad, IntArrayRef shape) {
  if (!grad.defined() || grad.sizes().equals(shape)) return grad;
  int64_t lead = grad.dim() - int64_t(shape.size());
  std::vector<int64_t> dims;
  for (int64_t i = 0; i < grad.dim(); ++i) {
    if (i < lead || (shape[size_t(i - lead)] == 1 && grad.size(i) != 1)) dims.push_back(i);
  }
  Tensor r = dims.empty() ? grad : grad.sum(dims, /*keepdim=*/true);
  return r.reshape(shape);
}

namespace {
int category(ScalarType t) { return t == kBool ? 0 : is_floating_point(t) ? 2 : 1; }
ScalarType promote(ScalarType a, ScalarType b) {
  if (a == b) return a;
  if (category(a) != category(b)) return category(a) > category(b) ? a : b;
  // Within a category the wider wins (float32 vs float64 -> float64, int8 vs int32 -> int32);
  // uint8 and int8, the one pair of equal width, meet in int16 (LibTorch's table).
  if ((a == kByte && b == kChar) || (a == kChar && b == kByte)) return kShort;
  return element_size(a) > element_size(b) ? a : b;
}
}  // namespace

ScalarType result_type(const Tensor& a, const Tensor& b) {
  bool za = a.dim() == 0, zb = b.dim() == 0;
  if (za == zb) return promote(a.dtype(), b.dtype());
  const Tensor& dimmed = za ? b : a;
  const Tensor& zero = za ? a : b;
  // A zero-dim tensor changes the result only when it lifts the category (int tensor + 0-dim float).
  if (category(zero.dtype()) > category(dimmed.dtype())) return zero.dtype();
  return dimmed.dtype();
}

ScalarType result_type(const Tensor& a, const Scalar& s) {
  int cs = s.isFloatingPoint() ? 2 : s.isBoolean() ? 0 : 1;
  if (cs <= category(a.dtype())) return a.dtype();
  return cs == 2 ? kFloat : kLong;  // LibTorch's default dtype for a floating Python-style scalar
}

void check_same_device(const char* op, std::initializer_list<Tensor> tensors) {
  const Tensor* first = nullptr;
  for (const Tensor& t : tensors) {
    if (!t.defined()) continue;
    if (!first) {
      first = &t;
      continue;
    }
    EMBER_CHECK(t.device() == first->device(), op,
                ": expected all tensors to be on the same device, "
                "but found ",
                describe(*first), " and ", describe(t));
  }
}

void check_floating(const char* op, const Tensor& t) {
  EMBER_CHECK(t.is_floating_point(), op, ": expected a floating-point tensor, got ", describe(t));
}

std::array<int64_t, 2> expand_pair(IntArrayRef v, const char* op, const char* arg) {
  EMBER_CHECK(v.size() == 1 || v.size() == 2, op, ": ", arg, " must have one or two values, got ", v);
  return v.size() == 1 ? std::array<int64_t, 2>{v[0], v[0]} : std::array<int64_t, 2>{v[0], v[1]};
}

void record_norm(const char* op, const Tensor& out, const Tensor& input, const Tensor& weight, const Tensor& bias,
                 int64_t params, NormBackwardKernel kernel, NormGraphBackward graph) {
  const std::vector<int64_t> in_shape = input.sizes().vec();
  const std::vector<int64_t> w_shape = weight.defined() ? weight.sizes().vec() : std::vector<int64_t>();
  const std::vector<int64_t> b_shape = bias.defined() ? bias.sizes().vec() : std::vector<int64_t>();
  autograd::record(op, out, {input, weight, bias},
                   [kernel = std::move(kernel), graph = std::move(graph), params, in_shape, w_shape, b_shape](
                       const Tensor& grad, const std::vector<bool>& needs) {
                     variable_list grads(3);
                     if (graph && GradMode::is_enabled()) {  // create_graph
                       grads = graph(grad, needs);
                       if (needs[1]) grads[1] = grads[1].reshape(w_shape);
                       if (needs[2]) grads[2] = grads[2].reshape(b_shape);
                       return grads;
                     }
                     const Tensor go = grad.contiguous();
                     if (needs[0]) grads[0] = make_empty(in_shape, go.dtype(), go.device());
                     if (needs[1]) grads[1] = make_empty({params}, go.dtype(), go.device());
                     if (needs[2]) grads[2] = make_empty({params}, go.dtype(), go.device());
                     kernel(grads[0], grads[1], grads[2], go);
                     if (needs[1]) grads[1] = grads[1].view(w_shape);
                     if (needs[2]) grads[2] = grads[2].view(b_shape);
                     return grads;
                   });
}

}  // namespace ember
