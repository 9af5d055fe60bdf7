// nn::RNN, LSTM, GRU and the cells RNNCell, LSTMCell, GRUCell: outputs and the gradients of the
// input, the initial state and every parameter against PyTorch 1.13 (tests/fixtures/rnn.txt,
// tools/gen_rnn_fixtures.py, which sets the parameters deterministically and stores them under
// PyTorch's names), float64 finite-difference checks, parameter names and shapes, printouts,
// LibTorch's error messages, and a PyTorch LSTM's .pt state_dict giving PyTorch's outputs.
#include <functional>
#include <string>
#include <vector>

#include "ember/nn.h"
#include "ember/pt_file.h"
#include "ember/serialize.h"
#include "helpers.h"

using namespace ember;
using namespace ember_test;

namespace {

using States = std::vector<Tensor>;
/// Runs a module on x and the given states; returns its outputs flattened in PyTorch's order
/// (output, h_n[, c_n]) or (h[, c]).
using Run = std::function<std::vector<Tensor>(nn::Module& module, const Tensor& x, const States& states)>;

/// Fixture case `name`: a fresh module from make() takes the stored parameters (every one of its
/// parameters must be stored under its PyTorch name, with PyTorch's shape, and no other), runs on
/// every test device in float64 and float32, and must give PyTorch's outputs and gradients.
void check_layer(const std::string& name, const std::function<std::shared_ptr<nn::Module>()>& make, const Run& run,
                 int given_states) {
  const Fixtures& f = fixtures("rnn");
  for (Device d : test_devices()) {
    for (ScalarType dtype : {kDouble, kFloat}) {
      INFO(name << " on " << device_name(d) << " in " << dtype);
      std::shared_ptr<nn::Module> module = make();
      auto params = module->named_parameters();
      {
        NoGradGuard no_grad;
        for (auto& p : params) {
          const Tensor& stored = f[name + ".p." + p.key()];
          INFO("parameter " << p.key());
          REQUIRE(p.value().sizes() == stored.sizes());
          p.value().copy_(stored);
        }
      }
      REQUIRE(static_cast<int64_t>(params.size()) == f[name + ".nparams"].item<int64_t>());  // none missing
      module->to(d, dtype);
      const Tensor x = f[name + ".x"].to(d, dtype).clone().requires_grad_(true);
      States states;
      for (int i = 0; i < given_states; ++i)
        states.push_back(f[name + ".s" + std::to_string(i)].to(d, dtype).clone().requires_grad_(true));
      const std::vector<Tensor> outs = run(*module, x, states);
      Tensor loss;
      for (size_t i = 0; i < outs.size(); ++i) {
        const std::string out = name + ".out" + std::to_string(i);
        INFO("output " << i);
        REQUIRE(f.has(out));
        require_close(outs[i], f[out], tol_for(dtype));
        const Tensor term = (outs[i] * f[name + ".gout" + std::to_string(i)].to(d, dtype)).sum();
        loss = loss.defined() ? loss + term : term;
      }
      REQUIRE_FALSE(f.has(name + ".out" + std::to_string(outs.size())));
      loss.backward();
      require_close_scaled(x.grad(), f[name + ".gx"], tol_for(dtype));
      for (int i = 0; i < given_states; ++i) {
        INFO("state " << i);
        require_close_scaled(states[static_cast<size_t>(i)].grad(), f[name + ".gs" + std::to_string(i)],
                             tol_for(dtype));
      }
      for (auto& p : module->named_parameters()) {
        INFO("gradient of " << p.key());
        require_close_scaled(p.value().grad(), f[name + ".g." + p.key()], tol_for(dtype));
      }
    }
  }
}

template <typename Holder>
std::function<std::shared_ptr<nn::Module>()> maker(std::function<Holder()> make) {
  return [make] { return std::static_pointer_cast<nn::Module>(make().ptr()); };
}

/// RNN and GRU: (output, h_n).
template <typename Impl>
Run run_single_state() {
  return [](nn::Module& m, const Tensor& x, const States& s) {
    auto [out, h] = static_cast<Impl&>(m).forward(x, s.empty() ? Tensor() : s[0]);
    return std::vector<Tensor>{out, h};
  };
}

Run run_lstm() {
  return [](nn::Module& m, const Tensor& x, const States& s) {
    auto& lstm = static_cast<nn::LSTMImpl&>(m);
    auto [out, state] = s.empty() ? lstm.forward(x) : lstm.forward(x, std::make_tuple(s[0], s[1]));
    return std::vector<Tensor>{out, std::get<0>(state), std::get<1>(state)};
  };
}

template <typename Impl>
Run run_cell() {
  return [](nn::Module& m, const Tensor& x, const States& s) {
    return std::vector<Tensor>{static_cast<Impl&>(m).forward(x, s.empty() ? Tensor() : s[0])};
  };
}

Run run_lstm_cell() {
  return [](nn::Module& m, const Tensor& x, const States& s) {
    auto& cell = static_cast<nn::LSTMCellImpl&>(m);
    auto [h, c] = s.empty() ? cell.forward(x) : cell.forward(x, std::make_tuple(s[0], s[1]));
    return std::vector<Tensor>{h, c};
  };
}

}  // namespace

TEST_CASE("rnn: RNN (tanh, relu; 2 layers, bidirectional, batch_first, given and default hx) as PyTorch's",
          "[nn][rnn]") {
  check_layer("rnn_tanh_l2", maker<nn::RNN>([] { return nn::RNN(nn::RNNOptions(4, 5).num_layers(2)); }),
              run_single_state<nn::RNNImpl>(), 1);
  check_layer("rnn_relu_bidir_bf", maker<nn::RNN>([] {
                return nn::RNN(nn::RNNOptions(4, 5).nonlinearity(kReLU).bidirectional(true).batch_first(true));
              }),
              run_single_state<nn::RNNImpl>(), 0);
}

TEST_CASE("rnn: LSTM (2 layers, bidirectional, batch_first, proj_size, no bias) as PyTorch's", "[nn][rnn]") {
  check_layer("lstm_l2_bidir",
              maker<nn::LSTM>([] { return nn::LSTM(nn::LSTMOptions(4, 5).num_layers(2).bidirectional(true)); }),
              run_lstm(), 2);
  check_layer("lstm_proj_l2_bidir_bf", maker<nn::LSTM>([] {
                return nn::LSTM(nn::LSTMOptions(4, 5).num_layers(2).bidirectional(true).batch_first(true).proj_size(3));
              }),
              run_lstm(), 0);
  check_layer("lstm_proj_given", maker<nn::LSTM>([] { return nn::LSTM(nn::LSTMOptions(4, 5).proj_size(2)); }),
              run_lstm(), 2);
  check_layer("lstm_nobias", maker<nn::LSTM>([] { return nn::LSTM(nn::LSTMOptions(4, 5).bias(false)); }), run_lstm(),
              0);
}

TEST_CASE("rnn: GRU (2 layers, bidirectional, batch_first, no bias) as PyTorch's", "[nn][rnn]") {
  check_layer("gru_l2_bidir",
              maker<nn::GRU>([] { return nn::GRU(nn::GRUOptions(4, 5).num_layers(2).bidirectional(true)); }),
              run_single_state<nn::GRUImpl>(), 1);
  check_layer("gru_nobias_bf",
              maker<nn::GRU>([] { return nn::GRU(nn::GRUOptions(4, 5).bias(false).batch_first(true)); }),
              run_single_state<nn::GRUImpl>(), 0);
}

TEST_CASE("rnn: RNNCell, LSTMCell and GRUCell (batched, unbatched, given and default state) as PyTorch's",
          "[nn][rnn]") {
  check_layer("rnncell_tanh", maker<nn::RNNCell>([] { return nn::RNNCell(4, 5); }), run_cell<nn::RNNCellImpl>(), 1);
  check_layer("rnncell_relu_nobias",
              maker<nn::RNNCell>([] { return nn::RNNCell(nn::RNNCellOptions(4, 5).bias(false).nonlinearity(kReLU)); }),
              run_cell<nn::RNNCellImpl>(), 0);
  check_layer("lstmcell", maker<nn::LSTMCell>([] { return nn::LSTMCell(4, 5); }), run_lstm_cell(), 2);
  check_layer("lstmcell_default", maker<nn::LSTMCell>([] { return nn::LSTMCell(4, 5); }), run_lstm_cell(), 0);
  check_layer("grucell", maker<nn::GRUCell>([] { return nn::GRUCell(4, 5); }), run_cell<nn::GRUCellImpl>(), 1);
  check_layer("grucell_unbatched", maker<nn::GRUCell>([] { return nn::GRUCell(4, 5); }), run_cell<nn::GRUCellImpl>(),
              1);
}

TEST_CASE("rnn: float64 finite differences through the layers and cells (input and state)", "[nn][rnn][gradcheck]") {
  manual_seed(5);
  for (Device d : test_devices()) {
    INFO("device " << device_name(d));
    nn::LSTM lstm(nn::LSTMOptions(3, 4).num_layers(2).bidirectional(true).proj_size(2));
    lstm->to(d, kDouble);
    gradcheck(
        [&](const std::vector<Tensor>& in) {
          auto [out, state] = lstm(in[0], std::make_tuple(in[1], in[2]));
          return out.sum() + (std::get<0>(state) * 2).sum() + (std::get<1>(state) * 3).sum();
        },
        {rnd({3, 2, 3}, kDouble), rnd({4, 2, 2}, kDouble), rnd({4, 2, 4}, kDouble)}, d);
    nn::GRU gru(nn::GRUOptions(3, 4).num_layers(2).bidirectional(true).batch_first(true));
    gru->to(d, kDouble);
    gradcheck(
        [&](const std::vector<Tensor>& in) {
          auto [out, h] = gru(in[0], in[1]);
          return (out * out).sum() + h.sum();
        },
        {rnd({2, 3, 3}, kDouble), rnd({4, 2, 4}, kDouble)}, d);
    nn::RNN rnn(nn::RNNOptions(3, 4).num_layers(2).nonlinearity(kTanh));
    rnn->to(d, kDouble);
    gradcheck(
        [&](const std::vector<Tensor>& in) {
          auto [out, h] = rnn(in[0], in[1]);
          return (out * out).sum() + h.sum();
        },
        {rnd({3, 2, 3}, kDouble), rnd({2, 2, 4}, kDouble)}, d);
    nn::LSTMCell cell(3, 4);
    cell->to(d, kDouble);
    gradcheck(
        [&](const std::vector<Tensor>& in) {
          auto [h, c] = cell(in[0], std::make_tuple(in[1], in[2]));
          return (h * c).sum();
        },
        {rnd({2, 3}, kDouble), rnd({2, 4}, kDouble), rnd({2, 4}, kDouble)}, d);
  }
}

TEST_CASE("rnn: parameter names, shapes, initialisation and all_weights as LibTorch's", "[nn][rnn]") {
  nn::LSTM lstm(nn::LSTMOptions(4, 5).num_layers(2).bidirectional(true).proj_size(3));
  const std::vector<std::pair<std::string, std::vector<int64_t>>> want = {{"weight_ih_l0", {20, 4}},
                                                                          {"weight_hh_l0", {20, 3}},
                                                                          {"bias_ih_l0", {20}},
                                                                          {"bias_hh_l0", {20}},
                                                                          {"weight_hr_l0", {3, 5}},
                                                                          {"weight_ih_l0_reverse", {20, 4}},
                                                                          {"weight_hh_l0_reverse", {20, 3}},
                                                                          {"bias_ih_l0_reverse", {20}},
                                                                          {"bias_hh_l0_reverse", {20}},
                                                                          {"weight_hr_l0_reverse", {3, 5}},
                                                                          {"weight_ih_l1", {20, 6}},
                                                                          {"weight_hh_l1", {20, 3}},
                                                                          {"bias_ih_l1", {20}},
                                                                          {"bias_hh_l1", {20}},
                                                                          {"weight_hr_l1", {3, 5}},
                                                                          {"weight_ih_l1_reverse", {20, 6}},
                                                                          {"weight_hh_l1_reverse", {20, 3}},
                                                                          {"bias_ih_l1_reverse", {20}},
                                                                          {"bias_hh_l1_reverse", {20}},
                                                                          {"weight_hr_l1_reverse", {3, 5}}};
  const auto params = lstm->named_parameters();
  REQUIRE(params.size() == want.size());
  const std::vector<Tensor> all = lstm->all_weights();
  REQUIRE(all.size() == want.size());
  const double bound = 1 / std::sqrt(5.0);
  for (size_t i = 0; i < want.size(); ++i) {
    INFO(want[i].first);
    REQUIRE(params[i].key() == want[i].first);
    REQUIRE(params[i].value().sizes() == IntArrayRef(want[i].second));
    REQUIRE(all[i].is_same(params[i].value()));
    REQUIRE(params[i].value().abs().max().item<double>() <= bound);
  }
  lstm->flatten_parameters();  // a no-op, as the CPU's
  REQUIRE(lstm->named_parameters().size() == want.size());

  nn::GRU gru(nn::GRUOptions(4, 6).bias(false));
  REQUIRE(gru->named_parameters().keys() == std::vector<std::string>{"weight_ih_l0", "weight_hh_l0"});
  REQUIRE(gru->named_parameters()["weight_ih_l0"].sizes() == IntArrayRef({18, 4}));
  nn::RNNCell cell(nn::RNNCellOptions(4, 5).bias(false));
  REQUIRE(cell->named_parameters().keys() == std::vector<std::string>{"weight_ih", "weight_hh"});
  REQUIRE_FALSE(cell->bias_ih.defined());
  nn::LSTMCell lstm_cell(4, 5);
  REQUIRE(lstm_cell->weight_hh.sizes() == IntArrayRef({20, 5}));
  REQUIRE(lstm_cell->bias_ih.sizes() == IntArrayRef({20}));
}

TEST_CASE("rnn: printouts as LibTorch's", "[nn][rnn]") {
  REQUIRE(printed(nn::LSTM(nn::LSTMOptions(4, 5).num_layers(2).bidirectional(true).proj_size(3))) ==
          "ember::nn::LSTM(input_size=4, hidden_size=5, num_layers=2, bias=true, batch_first=false, dropout=0, "
          "bidirectional=true, proj_size=3)");
  REQUIRE(printed(nn::RNN(nn::RNNOptions(4, 5).nonlinearity(kReLU).num_layers(2).dropout(0.5))) ==
          "ember::nn::RNN(input_size=4, hidden_size=5, num_layers=2, bias=true, batch_first=false, dropout=0.5, "
          "bidirectional=false)");
  REQUIRE(printed(nn::GRU(nn::GRUOptions(4, 5).batch_first(true))) ==
          "ember::nn::GRU(input_size=4, hidden_size=5, num_layers=1, bias=true, batch_first=true, dropout=0, "
          "bidirectional=false)");
  REQUIRE(printed(nn::RNNCell(nn::RNNCellOptions(4, 5).nonlinearity(kReLU).bias(false))) ==
          "ember::nn::RNNCell(4, 5, bias=false, nonlinearity=kReLU)");
  REQUIRE(printed(nn::LSTMCell(4, 5)) == "ember::nn::LSTMCell(4, 5)");
  REQUIRE(printed(nn::GRUCell(4, 5)) == "ember::nn::GRUCell(4, 5)");
}

TEST_CASE("rnn: bad inputs, states and options are refused in LibTorch's words", "[nn][rnn][errors]") {
  nn::RNN rnn(nn::RNNOptions(4, 5).num_layers(2));
  require_throws_with([&] { rnn(rnd({3, 4})); }, {"RNN", "input must have 3 dimensions, got 2", "[3, 4]"});
  require_throws_with([&] { rnn(rnd({2, 3, 3, 4})); }, {"input must have 3 dimensions, got 4"});
  require_throws_with(
      [&] {
        rnn(rnd({2, 3, 3}));
      },
      {"RNN", "input.size(-1) must be equal to input_size. Expected 4, got 3"});
  require_throws_with(
      [&] {
        rnn(rnd({2, 3, 4}), rnd({1, 3, 5}));
      },
      {"RNN", "Expected hidden size (2, 3, 5), got [1, 3, 5]"});
  nn::LSTM lstm(nn::LSTMOptions(4, 5).num_layers(2).bidirectional(true).proj_size(3));
  require_throws_with(
      [&] {
        lstm(rnd({2, 3, 4}), std::make_tuple(rnd({1, 3, 3}), rnd({4, 3, 5})));
      },
      {"LSTM", "Expected hidden[0] size (4, 3, 3), got [1, 3, 3]"});
  require_throws_with(
      [&] {
        lstm(rnd({2, 3, 4}), std::make_tuple(rnd({4, 3, 3}), rnd({4, 3, 3})));
      },
      {"LSTM", "Expected hidden[1] size (4, 3, 5), got [4, 3, 3]"});
  nn::GRU gru(nn::GRUOptions(4, 5).batch_first(true));
  require_throws_with([&] { gru(rnd({2, 3, 4}), rnd({1, 3, 5})); }, {"GRU", "Expected hidden size (1, 2, 5)"});

  const std::string proj =
      "proj_size has to be a positive integer, smaller than hidden_size or zero to disable projections";
  require_throws_with([] { nn::LSTM(nn::LSTMOptions(4, 5).proj_size(5)); }, {proj});
  require_throws_with([] { nn::LSTM(nn::LSTMOptions(4, 5).proj_size(-1)); }, {proj});
  require_throws_with([] { nn::GRU(nn::GRUOptions(4, 5).dropout(1.5)); },
                      {"dropout should be a number in range [0, 1] representing the probability of an element being "
                       "zeroed"});
  require_throws_with([] { nn::GRU(nn::GRUOptions(4, 0)); }, {"GRU", "hidden_size must be greater than zero, got 0"});
  require_throws_with([] { nn::RNN(nn::RNNOptions(4, 5).num_layers(0)); },
                      {"RNN", "num_layers must be greater than zero, got 0"});

  nn::RNNCell cell(4, 5);
  require_throws_with([&] { cell(rnd({2, 3, 4})); }, {"RNNCell", "Expected input to be 1-D or 2-D but received 3-D"});
  require_throws_with([&] { cell(rnd({3, 3})); }, {"RNNCell", "input has inconsistent input_size: got 3 expected 4"});
  require_throws_with(
      [&] {
        cell(rnd({3, 4}), rnd({3, 6}));
      },
      {"RNNCell", "hidden has inconsistent hidden_size: got 6, expected 5"});
  require_throws_with(
      [&] {
        cell(rnd({3, 4}), rnd({2, 5}));
      },
      {"RNNCell", "Input batch size 3 doesn't match hidden batch size 2"});
  require_throws_with([&] { cell(rnd({3, 4}), rnd({5})); }, {"RNNCell", "Expected hidden to be 2-D", "[5]"});
  nn::LSTMCell lstm_cell(4, 5);
  require_throws_with(
      [&] {
        lstm_cell(rnd({3, 4}), std::make_tuple(rnd({3, 5}), rnd({3, 6})));
      },
      {"LSTMCell", "hidden[1] has inconsistent hidden_size: got 6, expected 5"});
}

TEST_CASE("rnn: dropout between layers acts in training only", "[nn][rnn]") {
  manual_seed(3);
  nn::LSTM lstm(nn::LSTMOptions(4, 6).num_layers(2).dropout(0.5));
  nn::LSTM plain(nn::LSTMOptions(4, 6).num_layers(2));
  {
    NoGradGuard no_grad;
    auto a = lstm->parameters(), b = plain->parameters();
    for (size_t i = 0; i < a.size(); ++i) b[i].copy_(a[i]);
  }
  const Tensor x = rnd({5, 3, 4});
  const Tensor reference = std::get<0>(plain(x));
  // Training: the first layer's outputs are dropped and scaled, so the result differs.
  REQUIRE((std::get<0>(lstm(x)) - reference).abs().max().item<double>() > 1e-3);
  lstm->eval();
  require_close(std::get<0>(lstm(x)), reference, 0, 0);
}

TEST_CASE("rnn: a PyTorch LSTM's .pt state_dict loads and gives PyTorch's outputs", "[nn][rnn][pt]") {
  const std::string dir = std::string(EMBER_FIXTURES_DIR) + "/pt/";
  nn::LSTM lstm(nn::LSTMOptions(3, 4).num_layers(2).bidirectional(true).batch_first(true));
  load(lstm, dir + "lstm_state_dict.pt");
  const PtValue io = load_pt(dir + "lstm_io.pt");
  auto [out, state] = lstm(io.find("input")->toTensor());
  const Tol tol = tol_for(kFloat);
  require_close(out, io.find("output")->toTensor(), tol);
  require_close(std::get<0>(state), io.find("h_n")->toTensor(), tol);
  require_close(std::get<1>(state), io.find("c_n")->toTensor(), tol);
}

namespace {

namespace R = nn::utils::rnn;

/// Packs x with the case's lengths, runs forward_with_packed_input and pads the output back.
template <typename Impl>
Run run_packed(const std::string& name, bool batch_first, bool enforce_sorted) {
  return [=](nn::Module& m, const Tensor& x, const States& s) {
    const R::PackedSequence seq =
        R::pack_padded_sequence(x, fixtures("rnn")[name + ".lengths"], batch_first, enforce_sorted);
    auto& module = static_cast<Impl&>(m);
    std::vector<Tensor> outs;
    if constexpr (std::is_same<Impl, nn::LSTMImpl>::value) {
      auto [out, state] = s.empty() ? module.forward_with_packed_input(seq)
                                    : module.forward_with_packed_input(seq, std::make_tuple(s[0], s[1]));
      outs = {std::get<0>(R::pad_packed_sequence(out, batch_first)), std::get<0>(state), std::get<1>(state)};
    } else {
      auto [out, h] = module.forward_with_packed_input(seq, s.empty() ? Tensor() : s[0]);
      outs = {std::get<0>(R::pad_packed_sequence(out, batch_first)), h};
    }
    return outs;
  };
}

}  // namespace

TEST_CASE("rnn: PackedSequence through LSTM, GRU and RNN (sorted and unsorted lengths) as PyTorch's",
          "[nn][rnn][packed]") {
  check_layer("packed_lstm",
              maker<nn::LSTM>([] { return nn::LSTM(nn::LSTMOptions(4, 5).num_layers(2).bidirectional(true)); }),
              run_packed<nn::LSTMImpl>("packed_lstm", false, false), 2);
  check_layer("packed_lstm_proj",
              maker<nn::LSTM>([] { return nn::LSTM(nn::LSTMOptions(4, 5).proj_size(3).bidirectional(true)); }),
              run_packed<nn::LSTMImpl>("packed_lstm_proj", false, true), 0);
  check_layer("packed_gru_bf", maker<nn::GRU>([] { return nn::GRU(nn::GRUOptions(4, 5).batch_first(true)); }),
              run_packed<nn::GRUImpl>("packed_gru_bf", true, false), 1);
  check_layer("packed_rnn", maker<nn::RNN>([] { return nn::RNN(nn::RNNOptions(4, 5).num_layers(2)); }),
              run_packed<nn::RNNImpl>("packed_rnn", false, true), 0);
}

TEST_CASE("rnn: pad_sequence, pack_sequence, pack_padded_sequence and pad_packed_sequence", "[nn][rnn][packed]") {
  const Tensor a = tensor({1.0, 2.0, 3.0}), b = tensor({4.0}), c = tensor({5.0, 6.0});
  const Tensor padded = R::pad_sequence({a, b, c}, /*batch_first=*/true, /*padding_value=*/-1);
  require_equal(padded, tensor({1.0, 2.0, 3.0, 4.0, -1.0, -1.0, 5.0, 6.0, -1.0}).view({3, 3}));
  require_equal(R::pad_sequence({a, b, c}), tensor({1.0, 4.0, 5.0, 2.0, 0.0, 6.0, 3.0, 0.0, 0.0}).view({3, 3}));

  // Unsorted lengths: packed longest first, with the order kept to undo it.
  const R::PackedSequence seq = R::pack_sequence({a, b, c}, /*enforce_sorted=*/false);
  require_equal(seq.data(), tensor({1.0, 5.0, 4.0, 2.0, 6.0, 3.0}));
  require_equal(seq.batch_sizes(), tensor({3L, 2L, 1L}));
  require_equal(seq.sorted_indices(), tensor({0L, 2L, 1L}));
  require_equal(seq.unsorted_indices(), tensor({0L, 2L, 1L}));
  auto [back, lengths] = R::pad_packed_sequence(seq, /*batch_first=*/true, /*padding_value=*/-1, /*total_length=*/4);
  require_equal(lengths, tensor({3L, 1L, 2L}));
  require_equal(back.narrow(1, 0, 3), padded);
  require_equal(back.select(1, 3), tensor({-1.0, -1.0, -1.0}));

  // Gradients reach only the packed (unpadded) steps.
  const Tensor x = rnd({3, 2, 2}, kDouble).requires_grad_(true);
  const R::PackedSequence packed = R::pack_padded_sequence(x, tensor({3L, 2L}));
  std::get<0>(R::pad_packed_sequence(packed)).sum().backward();
  require_equal(x.grad().select(1, 0), ones({3, 2}, kDouble));
  require_equal(x.grad().select(1, 1), tensor({1.0, 1.0, 1.0, 1.0, 0.0, 0.0}, kDouble).view({3, 2}));

  require_throws_with(
      [&] {
        R::pack_padded_sequence(x, tensor({2L, 3L}));
      },
      {"pack_padded_sequence", "`lengths` array must be sorted in decreasing order"});
  require_throws_with(
      [&] {
        R::pack_padded_sequence(x, tensor({3L, 0L}));
      },
      {"pack_padded_sequence", "Length of all samples has to be greater than 0"});
  require_throws_with(
      [&] {
        R::pack_padded_sequence(x, tensor({3L, 2L, 1L}));
      },
      {"Expected `len(lengths)` to be equal to batch_size, but got 3 (batch_size=2)"});
  require_throws_with([&] { R::pad_packed_sequence(seq, false, 0.0, 2); },
                      {"Expected total_length to be at least the length of the longest sequence in input, but got "
                       "total_length=2 and max sequence length being 3"});
  nn::GRU gru(nn::GRUOptions(2, 3));
  require_throws_with(
      [&] {
        gru->forward_with_packed_input(packed, zeros({1, 3, 3}));
      },
      {"GRU", "Expected hidden size (1, 2, 3), got [1, 3, 3]"});
}

TEST_CASE("rnn: a packed batch of unsorted sequences with the default state gives each sequence's own run",
          "[nn][rnn][packed]") {
  manual_seed(11);
  nn::LSTM lstm(nn::LSTMOptions(3, 4).bidirectional(true));
  const std::vector<Tensor> sequences = {rnd({2, 3}), rnd({4, 3}), rnd({3, 3})};
  const R::PackedSequence packed = R::pack_sequence(sequences, /*enforce_sorted=*/false);
  auto [out, state] = lstm->forward_with_packed_input(packed);
  const Tensor output = std::get<0>(R::pad_packed_sequence(out));
  const Tol tol = tol_for(kFloat);
  for (size_t b = 0; b < sequences.size(); ++b) {
    INFO("sequence " << b);
    const int64_t length = sequences[b].size(0), i = static_cast<int64_t>(b);
    auto [alone, alone_state] = lstm(sequences[b].unsqueeze(1));
    require_close(output.narrow(0, 0, length).select(1, i), alone.select(1, 0), tol);
    require_close(std::get<0>(state).select(1, i), std::get<0>(alone_state).select(1, 0), tol);
    require_close(std::get<1>(state).select(1, i), std::get<1>(alone_state).select(1, 0), tol);
  }
}
