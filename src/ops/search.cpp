// searchsorted and bucketize: a binary search (sort_rules::search_position) of each value in
// the innermost dim of a sorted sequence, the matching row of an N-D sequence or the one 1-D
// sequence for every value. Indices carry no gradient.
#include <limits>

#include "common.h"
#include "ember/tensor_ops.h"

namespace ember {

Tensor searchsorted(const Tensor& sorted_sequence, const Tensor& self, bool out_int32, bool right,
                    std::optional<std::string> side, const std::optional<Tensor>& sorter) {
  const char* op = "torch.searchsorted()";
  check_defined(op, sorted_sequence);
  check_defined(op, self);
  check_same_device(op, {sorted_sequence, self});
  if (side) {
    EMBER_CHECK(*side == "left" || *side == "right", op, ": side can only be 'left' or 'right' but got ", *side);
    EMBER_CHECK(!(right && *side == "left"), op,
                ": side and right can't be set to opposites, got side of left while right was True");
    right = *side == "right";
  }
  const Tensor& seq0 = sorted_sequence;
  const bool shared = seq0.dim() == 1;
  bool rows_match = seq0.dim() >= 1 && seq0.dim() == self.dim();
  for (int64_t i = 0; rows_match && i + 1 < seq0.dim(); ++i) rows_match = seq0.size(i) == self.size(i);
  EMBER_CHECK(shared || rows_match, op,
              ": boundaries tensor should be 1 dimension or the first N-1 dimensions of boundaries tensor and input "
              "value tensor must match, but we got boundaries tensor ",
              seq0.sizes(), " and input value tensor ", self.sizes());
  Tensor seq = seq0;
  if (sorter && sorter->defined()) {
    EMBER_CHECK(sorter->dtype() == kLong, op, ": sorter must be a tensor of long dtype but got dtype ",
                sorter->dtype());
    EMBER_CHECK(sorter->sizes() == seq0.sizes(), op,
                ": boundary and sorter must have the same size, but got boundary tensor ", seq0.sizes(),
                "and got sorter tensor ", sorter->sizes());
    seq = seq0.detach().gather(-1, *sorter);
  }
  const int64_t n = seq.size(-1);
  EMBER_CHECK(!out_int32 || n < std::numeric_limits<int32_t>::max(), op,
              ": the size of boundaries' last dimension should be less than ", std::numeric_limits<int32_t>::max(),
              ", but we got ", n);
  const ScalarType common = result_type(seq, self);
  Tensor s = seq.detach().to(common).contiguous(), v = self.detach().to(common).contiguous();
  Tensor out = make_empty(self.sizes(), out_int32 ? kInt : kLong, self.device());
  if (out.numel() == 0) return out;
  if (n == 0) return out.zero_(), out;
  const int64_t m = shared || self.dim() == 0 ? self.numel() : self.size(-1);
  const int64_t rows = out.numel() / m;
  backend(self).searchsorted(out, s, v, rows, n, m, right);
  return out;
}

Tensor searchsorted(const Tensor& sorted_sequence, const Scalar& self, bool out_int32, bool right,
                    std::optional<std::string> side, const std::optional<Tensor>& sorter) {
  check_defined("torch.searchsorted()", sorted_sequence);
  EMBER_CHECK(sorted_sequence.dim() == 1,
              "torch.searchsorted(): input value can be a scalar only when boundaries tensor dimension is 1, but we "
              "got boundaries tensor dim(",
              sorted_sequence.dim(), ") and input value's dim(0) numel(1)");
  Tensor v = full({}, self, TensorOptions(sorted_sequence.dtype()).device(sorted_sequence.device()));
  return searchsorted(sorted_sequence, v, out_int32, right, std::move(side), sorter);
}

Tensor bucketize(const Tensor& self, const Tensor& boundaries, bool out_int32, bool right) {
  check_defined("bucketize", boundaries);
  EMBER_CHECK(boundaries.dim() == 1, "bucketize: boundaries tensor must be 1 dimension, but got dim(", boundaries.dim(),
              ")");
  return searchsorted(boundaries, self, out_int32, right);
}
Tensor bucketize(const Scalar& self, const Tensor& boundaries, bool out_int32, bool right) {
  check_defined("bucketize", boundaries);
  EMBER_CHECK(boundaries.dim() == 1, "bucketize: boundaries tensor must be 1 dimension, but got dim(", boundaries.dim(),
              ")");
  return searchsorted(boundaries, self, out_int32, right);
}

}  // namespace ember
