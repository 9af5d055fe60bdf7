// nn::utils::rnn: PackedSequence, pack_padded_sequence, pad_packed_sequence, pad_sequence and
// pack_sequence, as LibTorch's torch/nn/utils/rnn.h (with ATen's _pack_padded_sequence and
// _pad_packed_sequence written as differentiable narrow / cat / stack).
#include "ember/nn/utils/rnn.h"

#include <algorithm>
#include <numeric>

#include "ember/error.h"

namespace ember {
namespace nn {
namespace utils {
namespace rnn {
namespace {

std::vector<int64_t> int64_values(const Tensor& t) {
  const Tensor c = t.to(kCPU).to(kLong).contiguous();
  const int64_t* p = c.data_ptr<int64_t>();
  return std::vector<int64_t>(p, p + c.numel());
}

Tensor int64_tensor(const std::vector<int64_t>& values) {
  Tensor t = empty({static_cast<int64_t>(values.size())}, kLong);
  std::copy(values.begin(), values.end(), t.data_ptr<int64_t>());
  return t;
}

/// Padding rows: `rows` copies of value shaped as `like` without its first dim.
Tensor padding(const Tensor& like, int64_t rows, double value) {
  std::vector<int64_t> shape = like.sizes().vec();
  shape[0] = rows;
  return full(shape, value, like.options());
}

}  // namespace

Tensor invert_permutation(const Tensor& permutation) {
  if (!permutation.defined()) return Tensor();
  const std::vector<int64_t> p = int64_values(permutation);
  std::vector<int64_t> inverse(p.size());
  for (size_t i = 0; i < p.size(); ++i) {
    EMBER_CHECK(p[i] >= 0 && p[i] < static_cast<int64_t>(p.size()), "invert_permutation: ", p[i],
                " is not an index of a permutation of ", p.size());
    inverse[static_cast<size_t>(p[i])] = static_cast<int64_t>(i);
  }
  return int64_tensor(inverse).to(permutation.device());
}

PackedSequence::PackedSequence(Tensor data, Tensor batch_sizes, Tensor sorted_indices, Tensor unsorted_indices) {
  if (!unsorted_indices.defined()) unsorted_indices = invert_permutation(sorted_indices);
  EMBER_CHECK(batch_sizes.defined() && batch_sizes.device().type() == kCPU,
              "batch_sizes should always be on CPU. Instances of PackedSequence should never be created manually. "
              "They should be instantiated by functions like pack_sequence and pack_padded_sequences in "
              "nn::utils::rnn.");
  data_ = std::move(data);
  batch_sizes_ = std::move(batch_sizes);
  sorted_indices_ = std::move(sorted_indices);
  unsorted_indices_ = std::move(unsorted_indices);
}

PackedSequence PackedSequence::to(TensorOptions options) const {
  const Tensor data = data_.to(options);
  if (data.is_same(data_)) return *this;
  const auto indices = [&](const Tensor& t) { return t.defined() ? t.to(data.device()) : Tensor(); };
  return PackedSequence(data, batch_sizes_, indices(sorted_indices_), indices(unsorted_indices_));
}

PackedSequence PackedSequence::cuda() const { return to(TensorOptions().device(Device(kCUDA))); }
PackedSequence PackedSequence::cpu() const { return to(TensorOptions().device(Device(kCPU))); }

PackedSequence pack_padded_sequence(Tensor input, Tensor lengths, bool batch_first, bool enforce_sorted) {
  EMBER_CHECK(input.defined() && input.dim() >= 2,
              "pack_padded_sequence: expected an input of at least 2 dims "
              "(seq, batch, *), got ",
              input.defined() ? input.sizes() : IntArrayRef());
  EMBER_CHECK(lengths.defined() && lengths.dim() == 1, "pack_padded_sequence: expected a 1-D lengths tensor");
  std::vector<int64_t> length = int64_values(lengths);
  Tensor sorted_indices;
  if (!enforce_sorted) {
    std::vector<int64_t> order(length.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return length[a] > length[b]; });
    std::vector<int64_t> sorted(length.size());
    for (size_t i = 0; i < order.size(); ++i) sorted[i] = length[static_cast<size_t>(order[i])];
    length = sorted;
    sorted_indices = int64_tensor(order).to(input.device());
    input = input.index_select(batch_first ? 0 : 1, sorted_indices);
  }
  if (batch_first) input = input.transpose(0, 1);
  const int64_t steps = input.size(0), batch = input.size(1);
  EMBER_CHECK(static_cast<int64_t>(length.size()) == batch,
              "pack_padded_sequence: Expected `len(lengths)` to be equal to batch_size, but got ", length.size(),
              " (batch_size=", batch, ")");
  for (size_t i = 0; i < length.size(); ++i) {
    EMBER_CHECK(length[i] > 0,
                "pack_padded_sequence: Length of all samples has to be greater than 0, but found an "
                "element in 'lengths' that is <= 0");
    EMBER_CHECK(i == 0 || length[i] <= length[i - 1],
                "pack_padded_sequence: `lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep "
                "this requirement if you do not need ONNX exportability.");
  }
  EMBER_CHECK(length[0] <= steps, "pack_padded_sequence: a length of ", length[0], " is longer than the input's ",
              steps, " steps (input of shape ", input.sizes(), ")");
  std::vector<Tensor> rows;
  std::vector<int64_t> batch_sizes;
  for (int64_t t = 0; t < length[0]; ++t) {
    const int64_t b = std::count_if(length.begin(), length.end(), [&](int64_t l) { return l > t; });
    batch_sizes.push_back(b);
    rows.push_back(input.select(0, t).narrow(0, 0, b));
  }
  return PackedSequence(cat(rows, 0), int64_tensor(batch_sizes), sorted_indices);
}

std::tuple<Tensor, Tensor> pad_packed_sequence(PackedSequence sequence, bool batch_first, double padding_value,
                                               std::optional<int64_t> total_length) {
  const std::vector<int64_t> batch_sizes = int64_values(sequence.batch_sizes());
  int64_t max_seq_length = static_cast<int64_t>(batch_sizes.size());
  if (total_length) {
    EMBER_CHECK(*total_length >= max_seq_length,
                "Expected total_length to be at least the length of the longest sequence in input, but got "
                "total_length=",
                *total_length, " and max sequence length being ", max_seq_length);
    max_seq_length = *total_length;
  }
  EMBER_CHECK(!batch_sizes.empty(), "pad_packed_sequence: the PackedSequence holds no steps");
  const Tensor& data = sequence.data();
  const int64_t batch = batch_sizes[0];
  std::vector<Tensor> steps;
  std::vector<int64_t> lengths(static_cast<size_t>(batch), 0);
  int64_t offset = 0;
  for (int64_t b : batch_sizes) {
    Tensor rows = data.narrow(0, offset, b);
    offset += b;
    for (int64_t i = 0; i < b; ++i) ++lengths[static_cast<size_t>(i)];
    steps.push_back(b == batch ? rows : cat({rows, padding(rows, batch - b, padding_value)}, 0));
  }
  if (max_seq_length > static_cast<int64_t>(steps.size())) {
    const Tensor pad = padding(steps[0], batch, padding_value);
    steps.resize(static_cast<size_t>(max_seq_length), pad);
  }
  Tensor padded = stack(steps, batch_first ? 1 : 0);
  Tensor length = int64_tensor(lengths);
  const Tensor& unsorted = sequence.unsorted_indices();
  if (unsorted.defined()) {
    padded = padded.index_select(batch_first ? 0 : 1, unsorted);
    length = length.index_select(0, unsorted.to(kCPU));
  }
  return {padded, length};
}

Tensor pad_sequence(TensorList sequences, bool batch_first, double padding_value) {
  EMBER_CHECK(!sequences.empty(), "pad_sequence: received an empty list of sequences");
  int64_t longest = 0;
  for (const Tensor& s : sequences) {
    EMBER_CHECK(s.defined() && s.dim() >= 1, "pad_sequence: every sequence needs at least one dim (its length)");
    longest = std::max(longest, s.size(0));
  }
  std::vector<Tensor> padded;
  for (const Tensor& s : sequences)
    padded.push_back(s.size(0) == longest ? s : cat({s, padding(s, longest - s.size(0), padding_value)}, 0));
  return stack(padded, batch_first ? 0 : 1);
}

PackedSequence pack_sequence(TensorList sequences, bool enforce_sorted) {
  std::vector<int64_t> lengths;
  for (const Tensor& s : sequences) lengths.push_back(s.defined() && s.dim() >= 1 ? s.size(0) : 0);
  return pack_padded_sequence(pad_sequence(sequences), int64_tensor(lengths), /*batch_first=*/false, enforce_sorted);
}

}  // namespace rnn
}  // namespace utils
}  // namespace nn
}  // namespace ember
