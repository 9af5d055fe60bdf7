#pragma once
// The options of the recurrent layers and cells, as LibTorch's torch/nn/options/rnn.h:
//   LSTM(LSTMOptions(128, 64).num_layers(2).batch_first(true).bidirectional(true))
//   RNN(RNNOptions(10, 20).nonlinearity(ember::kReLU))
//   GRUCell(GRUCellOptions(10, 20).bias(false))
#include <cstdint>
#include <variant>

#include "ember/arg.h"
#include "ember/enum.h"
#include "ember/export.h"

namespace ember {
namespace enumtype {
// LibTorch's tags of the recurrent modes (RNNOptionsBase::mode). They are kept here rather
// than in ember/enum.h's list because only the recurrent layers take them.
#define EMBER_RNN_MODE_TAG(Name)                               \
  struct k##Name {                                             \
    constexpr bool operator==(k##Name) const { return true; }  \
    constexpr bool operator!=(k##Name) const { return false; } \
    static constexpr const char* name() { return #Name; }      \
  };
EMBER_RNN_MODE_TAG(LSTM)
EMBER_RNN_MODE_TAG(GRU)
EMBER_RNN_MODE_TAG(RNN_TANH)
EMBER_RNN_MODE_TAG(RNN_RELU)
#undef EMBER_RNN_MODE_TAG
}  // namespace enumtype

constexpr enumtype::kLSTM kLSTM{};
constexpr enumtype::kGRU kGRU{};
constexpr enumtype::kRNN_TANH kRNN_TANH{};
constexpr enumtype::kRNN_RELU kRNN_RELU{};

namespace nn {
namespace detail {

/// What RNN, LSTM and GRU share (the layers keep it as `options_base`); mode says which.
struct EMBER_API RNNOptionsBase {
  using rnn_options_base_mode_t =
      std::variant<enumtype::kLSTM, enumtype::kGRU, enumtype::kRNN_TANH, enumtype::kRNN_RELU>;
  RNNOptionsBase(rnn_options_base_mode_t mode, int64_t input_size, int64_t hidden_size)
      : mode_(mode), input_size_(input_size), hidden_size_(hidden_size) {}
  EMBER_ARG(rnn_options_base_mode_t, mode);
  EMBER_ARG(int64_t, input_size);
  EMBER_ARG(int64_t, hidden_size);
  EMBER_ARG(int64_t, num_layers) = 1;
  EMBER_ARG(bool, bias) = true;
  /// Input and output as (batch, seq, feature) instead of (seq, batch, feature); the hidden
  /// states stay (num_layers * directions, batch, hidden) either way.
  EMBER_ARG(bool, batch_first) = false;
  /// The probability of dropout on the outputs of every layer but the last, in training.
  EMBER_ARG(double, dropout) = 0.0;
  EMBER_ARG(bool, bidirectional) = false;
  /// LSTM only: projects h to this size (weight_hr) when > 0.
  EMBER_ARG(int64_t, proj_size) = 0;
};

}  // namespace detail

/// RNN(input_size, hidden_size): h' = nonlinearity(W_ih x + b_ih + W_hh h + b_hh), kTanh or kReLU.
struct EMBER_API RNNOptions {
  using nonlinearity_t = std::variant<enumtype::kTanh, enumtype::kReLU>;
  RNNOptions(int64_t input_size, int64_t hidden_size) : input_size_(input_size), hidden_size_(hidden_size) {}
  EMBER_ARG(int64_t, input_size);
  EMBER_ARG(int64_t, hidden_size);
  EMBER_ARG(int64_t, num_layers) = 1;
  EMBER_ARG(nonlinearity_t, nonlinearity) = kTanh;
  EMBER_ARG(bool, bias) = true;
  EMBER_ARG(bool, batch_first) = false;
  EMBER_ARG(double, dropout) = 0.0;
  EMBER_ARG(bool, bidirectional) = false;
};

/// LSTM(input_size, hidden_size), with an optional projection of h (proj_size < hidden_size).
struct EMBER_API LSTMOptions {
  LSTMOptions(int64_t input_size, int64_t hidden_size) : input_size_(input_size), hidden_size_(hidden_size) {}
  EMBER_ARG(int64_t, input_size);
  EMBER_ARG(int64_t, hidden_size);
  EMBER_ARG(int64_t, num_layers) = 1;
  EMBER_ARG(bool, bias) = true;
  EMBER_ARG(bool, batch_first) = false;
  EMBER_ARG(double, dropout) = 0.0;
  EMBER_ARG(bool, bidirectional) = false;
  EMBER_ARG(int64_t, proj_size) = 0;
};

/// GRU(input_size, hidden_size).
struct EMBER_API GRUOptions {
  GRUOptions(int64_t input_size, int64_t hidden_size) : input_size_(input_size), hidden_size_(hidden_size) {}
  EMBER_ARG(int64_t, input_size);
  EMBER_ARG(int64_t, hidden_size);
  EMBER_ARG(int64_t, num_layers) = 1;
  EMBER_ARG(bool, bias) = true;
  EMBER_ARG(bool, batch_first) = false;
  EMBER_ARG(double, dropout) = 0.0;
  EMBER_ARG(bool, bidirectional) = false;
};

namespace detail {

/// What the cells share (kept as `options_base`): num_chunks is the number of gates (1, 4, 3).
struct EMBER_API RNNCellOptionsBase {
  RNNCellOptionsBase(int64_t input_size, int64_t hidden_size, bool bias, int64_t num_chunks)
      : input_size_(input_size), hidden_size_(hidden_size), bias_(bias), num_chunks_(num_chunks) {}
  virtual ~RNNCellOptionsBase() = default;
  EMBER_ARG(int64_t, input_size);
  EMBER_ARG(int64_t, hidden_size);
  EMBER_ARG(bool, bias);
  EMBER_ARG(int64_t, num_chunks);
};

}  // namespace detail

/// RNNCell(input_size, hidden_size): one step of RNN.
struct EMBER_API RNNCellOptions {
  using nonlinearity_t = std::variant<enumtype::kTanh, enumtype::kReLU>;
  RNNCellOptions(int64_t input_size, int64_t hidden_size) : input_size_(input_size), hidden_size_(hidden_size) {}
  EMBER_ARG(int64_t, input_size);
  EMBER_ARG(int64_t, hidden_size);
  EMBER_ARG(bool, bias) = true;
  EMBER_ARG(nonlinearity_t, nonlinearity) = kTanh;
};

/// LSTMCell(input_size, hidden_size): one step of LSTM.
struct EMBER_API LSTMCellOptions {
  LSTMCellOptions(int64_t input_size, int64_t hidden_size) : input_size_(input_size), hidden_size_(hidden_size) {}
  EMBER_ARG(int64_t, input_size);
  EMBER_ARG(int64_t, hidden_size);
  EMBER_ARG(bool, bias) = true;
};

/// GRUCell(input_size, hidden_size): one step of GRU.
struct EMBER_API GRUCellOptions {
  GRUCellOptions(int64_t input_size, int64_t hidden_size) : input_size_(input_size), hidden_size_(hidden_size) {}
  EMBER_ARG(int64_t, input_size);
  EMBER_ARG(int64_t, hidden_size);
  EMBER_ARG(bool, bias) = true;
};

}  // namespace nn
}  // namespace ember
