#pragma once
// The recurrent layers RNN, LSTM and GRU and the cells RNNCell, LSTMCell and GRUCell, as
// LibTorch's torch/nn/modules/rnn.h: options, forward signatures and return types, parameter
// names and shapes (weight_ih_l0, bias_hh_l1_reverse, weight_hr_l0, ...; state_dicts load from
// PyTorch files), initialisation U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)) and printouts.
// They are compositions of ember's differentiable ops (autograd, CPU and CUDA as those ops): the
// input projection of every time step is one GEMM per layer and direction, and only the hidden
// projection runs step by step (src/nn/rnn.cpp, src/nn/rnn_steps.cpp).
#include <iosfwd>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "ember/nn/options_module.h"
#include "ember/nn/pimpl.h"
#include "ember/nn/rnn_options.h"
#include "ember/nn/utils/rnn.h"
#include "ember/tensor.h"

namespace ember {
namespace nn {
namespace detail {

/// What RNN, LSTM and GRU share: the parameters of every layer and direction, their
/// initialisation, the checks of forward's arguments and the multi-layer recurrence.
class EMBER_API RNNImplBase : public LayerBase {
 public:
  RNNImplBase(const char* name, const RNNOptionsBase& options_);
  /// Checks the options and registers the parameters, layer by layer and direction by direction:
  /// weight_ih_l{k}{suffix}, weight_hh_l{k}{suffix}, bias_ih_l{k}{suffix}, bias_hh_l{k}{suffix}
  /// (with bias) and weight_hr_l{k}{suffix} (with proj_size), suffix "" or "_reverse".
  void reset();
  /// Every parameter ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)).
  void reset_parameters();
  /// "ember::nn::LSTM(input_size=4, hidden_size=5, num_layers=1, bias=true, batch_first=false,
  /// dropout=0, bidirectional=false)", with ", proj_size=3" when projecting.
  void pretty_print(std::ostream& stream) const override;
  /// Nothing to do: ember's recurrences read the registered parameters directly (LibTorch packs
  /// them into one buffer for cuDNN here).
  void flatten_parameters() {}
  /// The parameters in registration order (layer, direction, then ih, hh, biases, hr).
  std::vector<Tensor> all_weights() const;

  RNNOptionsBase options_base;

 protected:
  /// LibTorch's checks: a 3-D input (2-D for packed data, with batch_sizes) whose last size is
  /// input_size.
  void check_input(const Tensor& input, const Tensor& batch_sizes) const;
  /// (num_layers * directions, batch, proj_size or hidden_size).
  std::tuple<int64_t, int64_t, int64_t> get_expected_hidden_size(const Tensor& input, const Tensor& batch_sizes) const;
  void check_hidden_size(const Tensor& hx, std::tuple<int64_t, int64_t, int64_t> expected_hidden_size,
                         std::string msg = "Expected hidden size {1}, got {2}") const;
  /// The whole recurrence over packed steps: x (sum of batch_sizes, input_size) holds step t's
  /// batch_sizes[t] rows after step t-1's (a padded (seq, batch) input is seq steps of batch
  /// rows), from the states hx (and cx for LSTM), both (num_layers * directions, batch, size).
  /// Returns the last layer's output (rows, directions * out_size), h_n and (LSTM) c_n.
  std::tuple<Tensor, Tensor, Tensor> run_layers(const Tensor& x, const std::vector<int64_t>& batch_sizes,
                                                const Tensor& hx, const Tensor& cx);
  /// run_layers on a padded input (seq, batch, input_size), or (batch, seq, ...) with batch_first;
  /// the output in the same layout.
  std::tuple<Tensor, Tensor, Tensor> run_padded(const Tensor& input, const Tensor& hx, const Tensor& cx);
  /// Zeros of (num_layers * directions, batch, size), of the input's dtype and device.
  Tensor zero_state(const Tensor& input, int64_t batch, int64_t size) const;
  /// hx checked against the input (padded, or packed with batch_sizes), or zeros (RNN, GRU).
  Tensor initial_state(const Tensor& input, const Tensor& batch_sizes, const Tensor& hx) const;
  /// The state's batch in the order of sorted_indices (LibTorch's permute_hidden); undefined
  /// indices leave it as it is.
  static Tensor permute_hidden(const Tensor& hx, const Tensor& permutation);
  /// RNN's and GRU's forward_with_packed_input.
  std::tuple<utils::rnn::PackedSequence, Tensor> forward_packed(const utils::rnn::PackedSequence& packed, Tensor hx);

  std::vector<std::string> flat_weights_names_;
  std::vector<std::vector<std::string>> all_weights_;
};

}  // namespace detail

/// Elman RNN: h_t = nonlinearity(W_ih x_t + b_ih + W_hh h_(t-1) + b_hh), kTanh or kReLU.
class EMBER_API RNNImpl : public detail::RNNImplBase {
 public:
  RNNImpl(int64_t input_size, int64_t hidden_size) : RNNImpl(RNNOptions(input_size, hidden_size)) {}
  explicit RNNImpl(const RNNOptions& options_);
  /// input (seq, batch, input_size), or (batch, seq, input_size) with batch_first; hx
  /// (num_layers * directions, batch, hidden_size), zeros when undefined. Returns the output
  /// (seq, batch, directions * hidden_size) (batch first with batch_first) and h_n.
  std::tuple<Tensor, Tensor> forward(const Tensor& input, Tensor hx = {});
  /// The same over a PackedSequence (utils::rnn::pack_padded_sequence): the output is packed alike.
  std::tuple<utils::rnn::PackedSequence, Tensor> forward_with_packed_input(
      const utils::rnn::PackedSequence& packed_input, Tensor hx = {});

  RNNOptions options;
};
EMBER_MODULE(RNN);

/// LSTM: gates i, f, g, o from W_ih x + b_ih + W_hh h + b_hh; c' = f c + i g, h' = o tanh(c'),
/// and h' = W_hr h' with proj_size.
class EMBER_API LSTMImpl : public detail::RNNImplBase {
 public:
  LSTMImpl(int64_t input_size, int64_t hidden_size) : LSTMImpl(LSTMOptions(input_size, hidden_size)) {}
  explicit LSTMImpl(const LSTMOptions& options_);
  /// As RNN's, with the state (h, c): h (num_layers * directions, batch, proj_size or
  /// hidden_size), c (num_layers * directions, batch, hidden_size). Returns (output, (h_n, c_n)).
  std::tuple<Tensor, std::tuple<Tensor, Tensor>> forward(const Tensor& input,
                                                         std::optional<std::tuple<Tensor, Tensor>> hx_opt = {});
  std::tuple<utils::rnn::PackedSequence, std::tuple<Tensor, Tensor>> forward_with_packed_input(
      const utils::rnn::PackedSequence& packed_input, std::optional<std::tuple<Tensor, Tensor>> hx_opt = {});

  LSTMOptions options;

 protected:
  /// (num_layers * directions, batch, hidden_size).
  std::tuple<int64_t, int64_t, int64_t> get_expected_cell_size(const Tensor& input, const Tensor& batch_sizes) const;
  /// The given state (checked) or zeros, for an input (padded, or packed with batch_sizes).
  std::tuple<Tensor, Tensor> initial_state(const Tensor& input, const Tensor& batch_sizes,
                                           const std::optional<std::tuple<Tensor, Tensor>>& hx_opt) const;
};
EMBER_MODULE(LSTM);

/// GRU: r, z = sigmoid(...), n = tanh(W_in x + b_in + r (W_hn h + b_hn)), h' = (1 - z) n + z h.
class EMBER_API GRUImpl : public detail::RNNImplBase {
 public:
  GRUImpl(int64_t input_size, int64_t hidden_size) : GRUImpl(GRUOptions(input_size, hidden_size)) {}
  explicit GRUImpl(const GRUOptions& options_);
  /// As RNN's.
  std::tuple<Tensor, Tensor> forward(const Tensor& input, Tensor hx = {});
  std::tuple<utils::rnn::PackedSequence, Tensor> forward_with_packed_input(
      const utils::rnn::PackedSequence& packed_input, Tensor hx = {});

  GRUOptions options;
};
EMBER_MODULE(GRU);

namespace detail {

/// What the cells share: weight_ih (chunks * hidden, input), weight_hh (chunks * hidden, hidden),
/// bias_ih and bias_hh (chunks * hidden; registered undefined without bias), all initialised
/// U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)).
class EMBER_API RNNCellImplBase : public LayerBase {
 public:
  RNNCellImplBase(const char* name, const RNNCellOptionsBase& options_);
  void reset();
  void reset_parameters();
  /// "ember::nn::RNNCell(4, 5)", with ", bias=false" and ", nonlinearity=kReLU" when set.
  void pretty_print(std::ostream& stream) const override;

  RNNCellOptionsBase options_base;
  Tensor weight_ih;
  Tensor weight_hh;
  Tensor bias_ih;
  Tensor bias_hh;

 protected:
  /// A 1-D (unbatched) or 2-D input whose last size is input_size.
  void check_forward_input(const Tensor& input) const;
  /// hx of (batch, hidden_size), batch matching the (batched, 2-D) input's.
  void check_forward_hidden(const Tensor& input, const Tensor& hx, const std::string& hidden_label) const;
  /// The state given (1-D for a 1-D input, 2-D for a 2-D one) as a batch, or zeros
  /// (batch, hidden_size).
  Tensor batched_state(const Tensor& input, const Tensor& hx, const std::string& hidden_label) const;
  virtual std::string get_nonlinearity_str() const { return ""; }
};

}  // namespace detail

/// One step of RNN: input (batch, input_size) or (input_size), hx alike; returns h'.
class EMBER_API RNNCellImpl : public detail::RNNCellImplBase {
 public:
  RNNCellImpl(int64_t input_size, int64_t hidden_size) : RNNCellImpl(RNNCellOptions(input_size, hidden_size)) {}
  explicit RNNCellImpl(const RNNCellOptions& options_);
  Tensor forward(const Tensor& input, Tensor hx = {});

  RNNCellOptions options;

 protected:
  std::string get_nonlinearity_str() const override;
};
EMBER_MODULE(RNNCell);

/// One step of LSTM: returns (h', c').
class EMBER_API LSTMCellImpl : public detail::RNNCellImplBase {
 public:
  LSTMCellImpl(int64_t input_size, int64_t hidden_size) : LSTMCellImpl(LSTMCellOptions(input_size, hidden_size)) {}
  explicit LSTMCellImpl(const LSTMCellOptions& options_);
  std::tuple<Tensor, Tensor> forward(const Tensor& input, std::optional<std::tuple<Tensor, Tensor>> hx_opt = {});

  LSTMCellOptions options;
};
EMBER_MODULE(LSTMCell);

/// One step of GRU: returns h'.
class EMBER_API GRUCellImpl : public detail::RNNCellImplBase {
 public:
  GRUCellImpl(int64_t input_size, int64_t hidden_size) : GRUCellImpl(GRUCellOptions(input_size, hidden_size)) {}
  explicit GRUCellImpl(const GRUCellOptions& options_);
  Tensor forward(const Tensor& input, Tensor hx = {});

  GRUCellOptions options;
};
EMBER_MODULE(GRUCell);

}  // namespace nn
}  // namespace ember
