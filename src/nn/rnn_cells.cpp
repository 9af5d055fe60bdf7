// RNNCell, LSTMCell and GRUCell: one step of the recurrences (src/nn/rnn_steps.cpp), with
// LibTorch's parameters, checks and printouts. As PyTorch 1.13, a 1-D input is one unbatched
// sample (LibTorch 1.13's C++ cells index its dim 1 and fail).
#include <cmath>
#include <ostream>

#include "ember/nn/init.h"
#include "ember/nn/rnn.h"
#include "rnn_steps.h"

namespace ember {
namespace nn {
namespace detail {

RNNCellImplBase::RNNCellImplBase(const char* name, const RNNCellOptionsBase& options_)
    : LayerBase(name), options_base(options_) {
  reset();
}

void RNNCellImplBase::reset() {
  const RNNCellOptionsBase& o = options_base;
  EMBER_CHECK(o.hidden_size() > 0, layer_name_, ": hidden_size must be greater than zero, got ", o.hidden_size());
  EMBER_CHECK(o.input_size() >= 0, layer_name_, ": input_size must be non-negative, got ", o.input_size());
  const int64_t gates = o.num_chunks() * o.hidden_size();
  weight_ih = register_parameter("weight_ih", empty({gates, o.input_size()}));
  weight_hh = register_parameter("weight_hh", empty({gates, o.hidden_size()}));
  bias_ih = register_parameter("bias_ih", o.bias() ? empty({gates}) : Tensor(), /*requires_grad=*/o.bias());
  bias_hh = register_parameter("bias_hh", o.bias() ? empty({gates}) : Tensor(), /*requires_grad=*/o.bias());
  reset_parameters();
}

void RNNCellImplBase::reset_parameters() {
  const double stdv = 1.0 / std::sqrt(static_cast<double>(options_base.hidden_size()));
  for (Tensor& weight : parameters(/*recurse=*/false)) init::uniform_(weight, -stdv, stdv);
}

void RNNCellImplBase::pretty_print(std::ostream& stream) const {
  const std::string nonlinearity = get_nonlinearity_str();
  print(stream, {{"", options_base.input_size()},
                 {"", options_base.hidden_size()},
                 {"bias", false, !options_base.bias()},
                 {"nonlinearity", nonlinearity, !nonlinearity.empty() && nonlinearity != "kTanh"}});
}

void RNNCellImplBase::check_forward_input(const Tensor& input) const {
  EMBER_CHECK(input.defined(), layer_name_, ": undefined input");
  EMBER_CHECK(input.dim() == 1 || input.dim() == 2, layer_name_, ": Expected input to be 1-D or 2-D but received ",
              input.dim(), "-D tensor (input of shape ", input.sizes(), ")");
  EMBER_CHECK(input.size(-1) == options_base.input_size(), layer_name_, ": input has inconsistent input_size: got ",
              input.size(-1), " expected ", options_base.input_size());
}

void RNNCellImplBase::check_forward_hidden(const Tensor& input, const Tensor& hx,
                                           const std::string& hidden_label) const {
  EMBER_CHECK(input.size(0) == hx.size(0), layer_name_, ": Input batch size ", input.size(0), " doesn't match hidden",
              hidden_label, " batch size ", hx.size(0));
  EMBER_CHECK(hx.size(1) == options_base.hidden_size(), layer_name_, ": hidden", hidden_label,
              " has inconsistent hidden_size: got ", hx.size(1), ", expected ", options_base.hidden_size());
}

Tensor RNNCellImplBase::batched_state(const Tensor& input, const Tensor& hx, const std::string& hidden_label) const {
  if (!hx.defined()) return zeros({input.dim() == 2 ? input.size(0) : 1, options_base.hidden_size()}, input.options());
  // An unbatched input takes an unbatched state (hidden_size), a batched one a batched state.
  EMBER_CHECK(hx.dim() == input.dim(), layer_name_, ": Expected hidden", hidden_label, " to be ", input.dim(),
              "-D like the input, got shape ", hx.sizes(), " for an input of shape ", input.sizes());
  return hx.dim() == 1 ? hx.unsqueeze(0) : hx;
}

}  // namespace detail

namespace {

/// Runs one step on a batched (2-D) view of the input; `unbatched` squeezes the results back.
struct CellRun {
  explicit CellRun(const Tensor& input) : unbatched(input.dim() == 1), x(unbatched ? input.unsqueeze(0) : input) {}
  Tensor out(const Tensor& state) const { return unbatched ? state.squeeze(0) : state; }
  bool unbatched;
  Tensor x;
};

detail::StepWeights cell_weights(const detail::RNNCellImplBase& cell) {
  return detail::StepWeights(cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh, Tensor());
}

}  // namespace

RNNCellImpl::RNNCellImpl(const RNNCellOptions& o)
    : RNNCellImplBase("RNNCell", detail::RNNCellOptionsBase(o.input_size(), o.hidden_size(), o.bias(), 1)),
      options(o) {}

std::string RNNCellImpl::get_nonlinearity_str() const { return get_enum_name(options.nonlinearity()); }

Tensor RNNCellImpl::forward(const Tensor& input, Tensor hx) {
  check_forward_input(input);
  const CellRun run(input);
  Tensor h = batched_state(input, hx, "");
  check_forward_hidden(run.x, h, "");
  const auto mode = std::holds_alternative<enumtype::kTanh>(options.nonlinearity()) ? detail::RecurrentMode::kTanh
                                                                                    : detail::RecurrentMode::kReLU;
  const detail::StepWeights w = cell_weights(*this);
  Tensor c;
  detail::recurrent_step(mode, detail::project_input(mode, run.x, w), h, c, w);
  return run.out(h);
}

LSTMCellImpl::LSTMCellImpl(const LSTMCellOptions& o)
    : RNNCellImplBase("LSTMCell", detail::RNNCellOptionsBase(o.input_size(), o.hidden_size(), o.bias(), 4)),
      options(o) {}

std::tuple<Tensor, Tensor> LSTMCellImpl::forward(const Tensor& input,
                                                 std::optional<std::tuple<Tensor, Tensor>> hx_opt) {
  check_forward_input(input);
  const CellRun run(input);
  Tensor h, c;
  if (hx_opt) {
    EMBER_CHECK(std::get<0>(*hx_opt).defined() && std::get<1>(*hx_opt).defined(),
                "LSTMCell: undefined tensor in the state (h_0, c_0)");
    h = batched_state(input, std::get<0>(*hx_opt), "[0]");
    c = batched_state(input, std::get<1>(*hx_opt), "[1]");
  } else {
    h = batched_state(input, Tensor(), "[0]");
    c = batched_state(input, Tensor(), "[1]");
  }
  check_forward_hidden(run.x, h, "[0]");
  check_forward_hidden(run.x, c, "[1]");
  const detail::StepWeights w = cell_weights(*this);
  detail::recurrent_step(detail::RecurrentMode::kLSTM, detail::project_input(detail::RecurrentMode::kLSTM, run.x, w), h,
                         c, w);
  return {run.out(h), run.out(c)};
}

GRUCellImpl::GRUCellImpl(const GRUCellOptions& o)
    : RNNCellImplBase("GRUCell", detail::RNNCellOptionsBase(o.input_size(), o.hidden_size(), o.bias(), 3)),
      options(o) {}

Tensor GRUCellImpl::forward(const Tensor& input, Tensor hx) {
  check_forward_input(input);
  const CellRun run(input);
  Tensor h = batched_state(input, hx, "");
  check_forward_hidden(run.x, h, "");
  const detail::StepWeights w = cell_weights(*this);
  Tensor c;
  detail::recurrent_step(detail::RecurrentMode::kGRU, detail::project_input(detail::RecurrentMode::kGRU, run.x, w), h,
                         c, w);
  return run.out(h);
}

}  // namespace nn
}  // namespace ember
