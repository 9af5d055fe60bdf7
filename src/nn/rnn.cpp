// RNN, LSTM and GRU: LibTorch's parameters, checks and printouts, and the multi-layer,
// bidirectional recurrence over the steps of src/nn/rnn_steps.cpp.
#include "ember/nn/rnn.h"

#include <cmath>
#include <ostream>
#include <sstream>

#include "ember/nn/init.h"
#include "rnn_steps.h"

namespace ember {
namespace nn {
namespace detail {
namespace {

RecurrentMode mode_of(const RNNOptionsBase& options) {
  return std::visit(
      [](auto tag) {
        using Tag = decltype(tag);
        if (std::is_same<Tag, enumtype::kLSTM>::value) return RecurrentMode::kLSTM;
        if (std::is_same<Tag, enumtype::kGRU>::value) return RecurrentMode::kGRU;
        if (std::is_same<Tag, enumtype::kRNN_RELU>::value) return RecurrentMode::kReLU;
        return RecurrentMode::kTanh;
      },
      options.mode());
}

/// One direction of one layer over packed steps x (rows, features) from h (and c), which end as
/// the final states. Step t runs on the first batch_sizes[t] rows of the state: the sequences
/// are sorted longest first, so forwards the rows past batch_sizes[t] have ended (and keep their
/// final state) and backwards they have not started yet (and keep the initial one). Returns the
/// outputs (rows, out_size), packed as x.
Tensor run_direction(RecurrentMode mode, const Tensor& x, const std::vector<int64_t>& batch_sizes, Tensor& h, Tensor& c,
                     const StepWeights& w, bool reverse) {
  const Tensor xp = project_input(mode, x, w);
  const int64_t steps = static_cast<int64_t>(batch_sizes.size()), batch = h.size(0);
  std::vector<int64_t> offsets(batch_sizes.size(), 0);
  for (size_t t = 1; t < batch_sizes.size(); ++t) offsets[t] = offsets[t - 1] + batch_sizes[t - 1];
  std::vector<Tensor> outputs(batch_sizes.size());
  for (int64_t s = 0; s < steps; ++s) {
    const size_t t = static_cast<size_t>(reverse ? steps - 1 - s : s);
    const int64_t rows = batch_sizes[t];
    if (rows == batch) {
      recurrent_step(mode, xp.narrow(0, offsets[t], rows), h, c, w);
      outputs[t] = h;
      continue;
    }
    Tensor h_rows = h.narrow(0, 0, rows), c_rows = c.defined() ? c.narrow(0, 0, rows) : Tensor();
    recurrent_step(mode, xp.narrow(0, offsets[t], rows), h_rows, c_rows, w);
    outputs[t] = h_rows;
    h = cat({h_rows, h.narrow(0, rows, batch - rows)}, 0);
    if (c.defined()) c = cat({c_rows, c.narrow(0, rows, batch - rows)}, 0);
  }
  return cat(outputs, 0);
}

std::string triple(std::tuple<int64_t, int64_t, int64_t> sizes) {
  std::ostringstream s;
  s << '(' << std::get<0>(sizes) << ", " << std::get<1>(sizes) << ", " << std::get<2>(sizes) << ')';
  return s.str();
}

}  // namespace

RNNImplBase::RNNImplBase(const char* name, const RNNOptionsBase& options_) : LayerBase(name), options_base(options_) {
  reset();
}

void RNNImplBase::reset() {
  const RNNOptionsBase& o = options_base;
  const RecurrentMode mode = mode_of(o);
  EMBER_CHECK(o.dropout() >= 0 && o.dropout() <= 1,
              "dropout should be a number in range [0, 1] representing the probability of an element being zeroed");
  EMBER_CHECK(o.hidden_size() > 0, layer_name_, ": hidden_size must be greater than zero, got ", o.hidden_size());
  EMBER_CHECK(o.input_size() >= 0, layer_name_, ": input_size must be non-negative, got ", o.input_size());
  EMBER_CHECK(o.num_layers() > 0, layer_name_, ": num_layers must be greater than zero, got ", o.num_layers());
  EMBER_CHECK(o.proj_size() >= 0 && o.proj_size() < o.hidden_size(),
              "proj_size has to be a positive integer, smaller than hidden_size or zero to disable projections");
  EMBER_CHECK(o.proj_size() == 0 || mode == RecurrentMode::kLSTM,
              "proj_size argument is only supported for LSTM, not RNN or GRU");

  const int64_t directions = o.bidirectional() ? 2 : 1;
  const int64_t gates = gate_count(mode) * o.hidden_size();
  const int64_t out_size = o.proj_size() > 0 ? o.proj_size() : o.hidden_size();
  flat_weights_names_.clear();
  all_weights_.clear();
  for (int64_t layer = 0; layer < o.num_layers(); ++layer) {
    const int64_t layer_input = layer == 0 ? o.input_size() : out_size * directions;
    for (int64_t direction = 0; direction < directions; ++direction) {
      const std::string suffix = "_l" + std::to_string(layer) + (direction == 1 ? "_reverse" : "");
      std::vector<std::pair<std::string, std::vector<int64_t>>> shapes = {{"weight_ih" + suffix, {gates, layer_input}},
                                                                          {"weight_hh" + suffix, {gates, out_size}}};
      if (o.bias()) {
        shapes.push_back({"bias_ih" + suffix, {gates}});
        shapes.push_back({"bias_hh" + suffix, {gates}});
      }
      if (o.proj_size() > 0) shapes.push_back({"weight_hr" + suffix, {o.proj_size(), o.hidden_size()}});
      std::vector<std::string> names;
      for (auto& [name, shape] : shapes) {
        register_parameter(name, ember::empty(shape));
        names.push_back(name);
        flat_weights_names_.push_back(name);
      }
      all_weights_.push_back(std::move(names));
    }
  }
  reset_parameters();
}

void RNNImplBase::reset_parameters() {
  const double stdv = 1.0 / std::sqrt(static_cast<double>(options_base.hidden_size()));
  for (const std::string& name : flat_weights_names_) init::uniform_(parameters_[name], -stdv, stdv);
}

void RNNImplBase::pretty_print(std::ostream& stream) const {
  const RNNOptionsBase& o = options_base;
  print(stream, {{"input_size", o.input_size()},
                 {"hidden_size", o.hidden_size()},
                 {"num_layers", o.num_layers()},
                 {"bias", o.bias()},
                 {"batch_first", o.batch_first()},
                 {"dropout", o.dropout()},
                 {"bidirectional", o.bidirectional()},
                 {"proj_size", o.proj_size(), o.proj_size() > 0}});
}

std::vector<Tensor> RNNImplBase::all_weights() const {
  std::vector<Tensor> result;
  for (const std::string& name : flat_weights_names_) result.push_back(parameters_[name]);
  return result;
}

void RNNImplBase::check_input(const Tensor& input, const Tensor& batch_sizes) const {
  EMBER_CHECK(input.defined(), layer_name_, ": undefined input");
  const int64_t expected_dim = batch_sizes.defined() ? 2 : 3;
  EMBER_CHECK(input.dim() == expected_dim, layer_name_, ": input must have ", expected_dim, " dimensions, got ",
              input.dim(), " (input of shape ", input.sizes(), ")");
  EMBER_CHECK(input.size(-1) == options_base.input_size(), layer_name_,
              ": input.size(-1) must be equal to input_size. Expected ", options_base.input_size(), ", got ",
              input.size(-1));
}

std::tuple<int64_t, int64_t, int64_t> RNNImplBase::get_expected_hidden_size(const Tensor& input,
                                                                            const Tensor& batch_sizes) const {
  const RNNOptionsBase& o = options_base;
  const int64_t batch =
      batch_sizes.defined() ? batch_sizes[0].item<int64_t>() : (o.batch_first() ? input.size(0) : input.size(1));
  return {o.num_layers() * (o.bidirectional() ? 2 : 1), batch, o.proj_size() > 0 ? o.proj_size() : o.hidden_size()};
}

void RNNImplBase::check_hidden_size(const Tensor& hx, std::tuple<int64_t, int64_t, int64_t> expected_hidden_size,
                                    std::string msg) const {
  const std::vector<int64_t> expected = {std::get<0>(expected_hidden_size), std::get<1>(expected_hidden_size),
                                         std::get<2>(expected_hidden_size)};
  if (hx.sizes() == IntArrayRef(expected)) return;
  std::ostringstream got;
  got << hx.sizes();
  msg.replace(msg.find("{1}"), 3, triple(expected_hidden_size));
  msg.replace(msg.find("{2}"), 3, got.str());
  EMBER_CHECK(false, layer_name_, ": ", msg);
}

Tensor RNNImplBase::zero_state(const Tensor& input, int64_t batch, int64_t size) const {
  return zeros({options_base.num_layers() * (options_base.bidirectional() ? 2 : 1), batch, size}, input.options());
}

std::tuple<Tensor, Tensor, Tensor> RNNImplBase::run_layers(const Tensor& input, const std::vector<int64_t>& batch_sizes,
                                                           const Tensor& hx, const Tensor& cx) {
  const RNNOptionsBase& o = options_base;
  const RecurrentMode mode = mode_of(o);
  const int64_t directions = o.bidirectional() ? 2 : 1;
  Tensor x = input;
  std::vector<Tensor> h_n, c_n;
  for (int64_t layer = 0; layer < o.num_layers(); ++layer) {
    std::vector<Tensor> outputs;
    for (int64_t direction = 0; direction < directions; ++direction) {
      const auto& names = all_weights_[static_cast<size_t>(layer * directions + direction)];
      const auto param = [&](const char* prefix) {
        for (const std::string& name : names)
          if (name.rfind(prefix, 0) == 0) return parameters_[name];
        return Tensor();
      };
      const StepWeights weights(param("weight_ih"), param("weight_hh"), param("bias_ih"), param("bias_hh"),
                                param("weight_hr"));
      Tensor h = hx.select(0, layer * directions + direction);
      Tensor c = cx.defined() ? cx.select(0, layer * directions + direction) : Tensor();
      outputs.push_back(run_direction(mode, x, batch_sizes, h, c, weights, direction == 1));
      h_n.push_back(h);
      if (c.defined()) c_n.push_back(c);
    }
    x = directions == 2 ? cat(outputs, 1) : outputs[0];
    // Dropout on the outputs of every layer but the last, in training (as PyTorch).
    if (o.dropout() > 0 && is_training() && layer + 1 < o.num_layers()) x = ember::dropout(x, o.dropout(), true);
  }
  return {x, stack(h_n, 0), c_n.empty() ? Tensor() : stack(c_n, 0)};
}

std::tuple<Tensor, Tensor, Tensor> RNNImplBase::run_padded(const Tensor& input, const Tensor& hx, const Tensor& cx) {
  const bool batch_first = options_base.batch_first();
  const Tensor x = batch_first ? input.transpose(0, 1) : input;  // (seq, batch, features)
  const int64_t steps = x.size(0), batch = x.size(1);
  auto [output, h_n, c_n] = run_layers(x.reshape({steps * batch, x.size(2)}),
                                       std::vector<int64_t>(static_cast<size_t>(steps), batch), hx, cx);
  output = output.reshape({steps, batch, output.size(1)});
  return {batch_first ? output.transpose(0, 1) : output, h_n, c_n};
}

Tensor RNNImplBase::initial_state(const Tensor& input, const Tensor& batch_sizes, const Tensor& hx) const {
  const auto expected = get_expected_hidden_size(input, batch_sizes);
  if (!hx.defined()) return zero_state(input, std::get<1>(expected), std::get<2>(expected));
  check_hidden_size(hx, expected);
  return hx;
}

Tensor RNNImplBase::permute_hidden(const Tensor& hx, const Tensor& permutation) {
  return permutation.defined() && hx.defined() ? hx.index_select(1, permutation) : hx;
}

namespace {
std::vector<int64_t> batch_size_list(const utils::rnn::PackedSequence& packed) {
  const Tensor sizes = packed.batch_sizes().to(kCPU).to(kLong).contiguous();
  const int64_t* p = sizes.data_ptr<int64_t>();
  return std::vector<int64_t>(p, p + sizes.numel());
}
}  // namespace

std::tuple<utils::rnn::PackedSequence, Tensor> RNNImplBase::forward_packed(const utils::rnn::PackedSequence& packed,
                                                                           Tensor hx) {
  check_input(packed.data(), packed.batch_sizes());
  hx = initial_state(packed.data(), packed.batch_sizes(), permute_hidden(hx, packed.sorted_indices()));
  auto [output, h_n, unused] = run_layers(packed.data(), batch_size_list(packed), hx, Tensor());
  return {utils::rnn::PackedSequence(output, packed.batch_sizes(), packed.sorted_indices(), packed.unsorted_indices()),
          permute_hidden(h_n, packed.unsorted_indices())};
}

}  // namespace detail

namespace {

detail::RNNOptionsBase base_options(detail::RNNOptionsBase::rnn_options_base_mode_t mode, int64_t input_size,
                                    int64_t hidden_size, int64_t num_layers, bool bias, bool batch_first,
                                    double dropout, bool bidirectional, int64_t proj_size = 0) {
  return detail::RNNOptionsBase(mode, input_size, hidden_size)
      .num_layers(num_layers)
      .bias(bias)
      .batch_first(batch_first)
      .dropout(dropout)
      .bidirectional(bidirectional)
      .proj_size(proj_size);
}

}  // namespace

RNNImpl::RNNImpl(const RNNOptions& o)
    : RNNImplBase("RNN", base_options(std::holds_alternative<enumtype::kTanh>(o.nonlinearity())
                                          ? detail::RNNOptionsBase::rnn_options_base_mode_t(kRNN_TANH)
                                          : detail::RNNOptionsBase::rnn_options_base_mode_t(kRNN_RELU),
                                      o.input_size(), o.hidden_size(), o.num_layers(), o.bias(), o.batch_first(),
                                      o.dropout(), o.bidirectional())),
      options(o) {}

std::tuple<Tensor, Tensor> RNNImpl::forward(const Tensor& input, Tensor hx) {
  check_input(input, Tensor());
  auto [output, h_n, unused] = run_padded(input, initial_state(input, Tensor(), hx), Tensor());
  return {output, h_n};
}

std::tuple<utils::rnn::PackedSequence, Tensor> RNNImpl::forward_with_packed_input(
    const utils::rnn::PackedSequence& packed_input, Tensor hx) {
  return forward_packed(packed_input, std::move(hx));
}

GRUImpl::GRUImpl(const GRUOptions& o)
    : RNNImplBase("GRU", base_options(kGRU, o.input_size(), o.hidden_size(), o.num_layers(), o.bias(), o.batch_first(),
                                      o.dropout(), o.bidirectional())),
      options(o) {}

std::tuple<Tensor, Tensor> GRUImpl::forward(const Tensor& input, Tensor hx) {
  check_input(input, Tensor());
  auto [output, h_n, unused] = run_padded(input, initial_state(input, Tensor(), hx), Tensor());
  return {output, h_n};
}

std::tuple<utils::rnn::PackedSequence, Tensor> GRUImpl::forward_with_packed_input(
    const utils::rnn::PackedSequence& packed_input, Tensor hx) {
  return forward_packed(packed_input, std::move(hx));
}

LSTMImpl::LSTMImpl(const LSTMOptions& o)
    : RNNImplBase("LSTM", base_options(kLSTM, o.input_size(), o.hidden_size(), o.num_layers(), o.bias(),
                                       o.batch_first(), o.dropout(), o.bidirectional(), o.proj_size())),
      options(o) {}

std::tuple<int64_t, int64_t, int64_t> LSTMImpl::get_expected_cell_size(const Tensor& input,
                                                                       const Tensor& batch_sizes) const {
  const auto hidden = get_expected_hidden_size(input, batch_sizes);
  return {std::get<0>(hidden), std::get<1>(hidden), options_base.hidden_size()};
}

std::tuple<Tensor, Tensor> LSTMImpl::initial_state(const Tensor& input, const Tensor& batch_sizes,
                                                   const std::optional<std::tuple<Tensor, Tensor>>& hx_opt) const {
  const auto hidden_size = get_expected_hidden_size(input, batch_sizes);
  const auto cell_size = get_expected_cell_size(input, batch_sizes);
  if (!hx_opt) {
    return {zero_state(input, std::get<1>(hidden_size), std::get<2>(hidden_size)),
            zero_state(input, std::get<1>(cell_size), std::get<2>(cell_size))};
  }
  const auto& [hx, cx] = *hx_opt;
  EMBER_CHECK(hx.defined() && cx.defined(), "LSTM: undefined tensor in the state (h_0, c_0)");
  check_hidden_size(hx, hidden_size, "Expected hidden[0] size {1}, got {2}");
  check_hidden_size(cx, cell_size, "Expected hidden[1] size {1}, got {2}");
  return *hx_opt;
}

std::tuple<Tensor, std::tuple<Tensor, Tensor>> LSTMImpl::forward(const Tensor& input,
                                                                 std::optional<std::tuple<Tensor, Tensor>> hx_opt) {
  check_input(input, Tensor());
  const auto [hx, cx] = initial_state(input, Tensor(), hx_opt);
  auto [output, h_n, c_n] = run_padded(input, hx, cx);
  return {output, {h_n, c_n}};
}

std::tuple<utils::rnn::PackedSequence, std::tuple<Tensor, Tensor>> LSTMImpl::forward_with_packed_input(
    const utils::rnn::PackedSequence& packed_input, std::optional<std::tuple<Tensor, Tensor>> hx_opt) {
  const Tensor& data = packed_input.data();
  const Tensor& sorted = packed_input.sorted_indices();
  const Tensor& unsorted = packed_input.unsorted_indices();
  check_input(data, packed_input.batch_sizes());
  if (hx_opt)
    hx_opt =
        std::make_tuple(permute_hidden(std::get<0>(*hx_opt), sorted), permute_hidden(std::get<1>(*hx_opt), sorted));
  const auto [hx, cx] = initial_state(data, packed_input.batch_sizes(), hx_opt);
  auto [output, h_n, c_n] = run_layers(data, detail::batch_size_list(packed_input), hx, cx);
  return {utils::rnn::PackedSequence(output, packed_input.batch_sizes(), sorted, unsorted),
          {permute_hidden(h_n, unsorted), permute_hidden(c_n, unsorted)}};
}

}  // namespace nn
}  // namespace ember
