// The time steps of RNN (tanh / relu), LSTM (with projection) and GRU, as PyTorch defines them.
#include "rnn_steps.h"

namespace ember {
namespace nn {
namespace detail {

int64_t gate_count(RecurrentMode mode) {
  switch (mode) {
    case RecurrentMode::kLSTM: return 4;
    case RecurrentMode::kGRU: return 3;
    default: return 1;
  }
}

StepWeights::StepWeights(const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh,
                         const Tensor& w_hr)
    : w_ih(w_ih), w_hh_t(w_hh.t()), b_ih(b_ih), b_hh(b_hh), w_hr_t(w_hr.defined() ? w_hr.t() : Tensor()) {}

Tensor project_input(RecurrentMode mode, const Tensor& x, const StepWeights& w) {
  if (!w.b_ih.defined()) return x.mm(w.w_ih.t());
  // Both biases act on every step's gates alike (but GRU's b_hn), so they join the GEMM.
  const Tensor bias = mode == RecurrentMode::kGRU ? w.b_ih : w.b_ih + w.b_hh;
  return bias.addmm(x, w.w_ih.t());
}

void recurrent_step(RecurrentMode mode, const Tensor& xp, Tensor& h, Tensor& c, const StepWeights& w) {
  switch (mode) {
    case RecurrentMode::kTanh: h = xp.addmm(h, w.w_hh_t).tanh(); return;
    case RecurrentMode::kReLU: h = xp.addmm(h, w.w_hh_t).relu(); return;
    case RecurrentMode::kLSTM: {
      // Gates i, f, g, o; c' = f c + i g, h' = o tanh(c'), projected by W_hr when given.
      const std::vector<Tensor> gates = xp.addmm(h, w.w_hh_t).chunk(4, 1);
      c = gates[1].sigmoid() * c + gates[0].sigmoid() * gates[2].tanh();
      h = gates[3].sigmoid() * c.tanh();
      if (w.w_hr_t.defined()) h = h.mm(w.w_hr_t);
      return;
    }
    case RecurrentMode::kGRU: {
      // r, z = sigmoid(x + h parts), n = tanh(x_n + r (W_hn h + b_hn)), h' = n + z (h - n).
      const int64_t hidden = h.size(1);
      const Tensor hp = w.b_hh.defined() ? w.b_hh.addmm(h, w.w_hh_t) : h.mm(w.w_hh_t);
      const std::vector<Tensor> rz = (xp.narrow(1, 0, 2 * hidden) + hp.narrow(1, 0, 2 * hidden)).sigmoid().chunk(2, 1);
      const Tensor n = (xp.narrow(1, 2 * hidden, hidden) + rz[0] * hp.narrow(1, 2 * hidden, hidden)).tanh();
      h = n + rz[1] * (h - n);
      return;
    }
  }
}

}  // namespace detail
}  // namespace nn
}  // namespace ember
