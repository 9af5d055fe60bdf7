#pragma once
// One time step of the recurrences, shared by the layers (RNN, LSTM, GRU: src/nn/rnn.cpp) and
// the cells (src/nn/rnn_cells.cpp), as compositions of differentiable ops. The input's part of
// every gate (x W_ih^T + biases) is computed beforehand, for all steps at once (one GEMM), so a
// step only adds the hidden state's part.
#include "ember/tensor.h"

namespace ember {
namespace nn {
namespace detail {

enum class RecurrentMode { kTanh, kReLU, kLSTM, kGRU };

/// The number of gates stacked in weight_ih / weight_hh: 1, 4 (i, f, g, o) or 3 (r, z, n).
int64_t gate_count(RecurrentMode mode);

/// One layer's and direction's parameters. w_hh_t and w_hr_t are the transposed weights (taken
/// once per sequence, not once per step); biases are undefined without bias, w_hr_t without
/// projection.
struct StepWeights {
  StepWeights(const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh, const Tensor& w_hr);
  Tensor w_ih, w_hh_t, b_ih, b_hh, w_hr_t;
};

/// x (rows, input_size) -> the input's part of the gates (rows, gates * hidden): x W_ih^T + b_ih
/// + b_hh, except GRU's b_hh, which belongs inside r * (W_hn h + b_hn) and is added per step.
Tensor project_input(RecurrentMode mode, const Tensor& x, const StepWeights& w);

/// Advances h (batch, out_size) and, for LSTM, c (batch, hidden) by one step whose projected
/// input is xp (batch, gates * hidden).
void recurrent_step(RecurrentMode mode, const Tensor& xp, Tensor& h, Tensor& c, const StepWeights& w);

}  // namespace detail
}  // namespace nn
}  // namespace ember
