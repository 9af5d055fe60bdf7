#pragma once
// Variable-length sequences for the recurrent layers, as LibTorch's torch/nn/utils/rnn.h:
// PackedSequence (the steps of a batch of sequences sorted by length, packed without padding),
// pack_padded_sequence / pad_packed_sequence between it and a padded tensor, pad_sequence and
// pack_sequence from a list of sequences. RNN, LSTM and GRU run a PackedSequence with
// forward_with_packed_input. The data path is differentiable (narrow, cat, stack, index_select).
#include <cstdint>
#include <optional>
#include <tuple>
#include <vector>

#include "ember/export.h"
#include "ember/tensor.h"

namespace ember {
namespace nn {
namespace utils {
namespace rnn {

/// The inverse of a permutation (int64, 1-D): output[permutation[i]] = i; undefined stays undefined.
EMBER_API Tensor invert_permutation(const Tensor& permutation);

/// data (sum of lengths, *): step t's batch_sizes[t] samples, one step after the other;
/// batch_sizes (int64, CPU): how many sequences are longer than t; sorted_indices: the order
/// (longest first) the sequences were packed in, when they were not given sorted.
class EMBER_API PackedSequence {
 public:
  explicit PackedSequence(Tensor data, Tensor batch_sizes, Tensor sorted_indices = {}, Tensor unsorted_indices = {});
  const Tensor& data() const { return data_; }
  const Tensor& batch_sizes() const { return batch_sizes_; }
  const Tensor& sorted_indices() const { return sorted_indices_; }
  const Tensor& unsorted_indices() const { return unsorted_indices_; }
  /// The same sequences with data (and the indices' device) moved or converted; batch_sizes
  /// stays on the CPU.
  PackedSequence to(TensorOptions options) const;
  PackedSequence cuda() const;
  PackedSequence cpu() const;
  bool is_cuda() const { return data_.is_cuda(); }

 private:
  Tensor data_;
  Tensor batch_sizes_;
  Tensor sorted_indices_;
  Tensor unsorted_indices_;
};

/// Packs input (T, B, *) ((B, T, *) with batch_first) whose sequence b is lengths[b] steps long.
/// With enforce_sorted the lengths must be decreasing; otherwise they are sorted here and
/// sorted_indices remembers the order.
EMBER_API PackedSequence pack_padded_sequence(Tensor input, Tensor lengths, bool batch_first = false,
                                              bool enforce_sorted = true);

/// The inverse: (padded (T, B, *) or (B, T, *), lengths (int64, CPU)), in the original order;
/// T is total_length when given (at least the longest length).
EMBER_API std::tuple<Tensor, Tensor> pad_packed_sequence(PackedSequence sequence, bool batch_first = false,
                                                         double padding_value = 0.0,
                                                         std::optional<int64_t> total_length = std::nullopt);

/// Stacks sequences (L_i, *) into (max L, B, *) ((B, max L, *) with batch_first), padded.
EMBER_API Tensor pad_sequence(TensorList sequences, bool batch_first = false, double padding_value = 0);

/// pack_padded_sequence(pad_sequence(sequences), their lengths).
EMBER_API PackedSequence pack_sequence(TensorList sequences, bool enforce_sorted = true);

}  // namespace rnn
}  // namespace utils
}  // namespace nn
}  // namespace ember
