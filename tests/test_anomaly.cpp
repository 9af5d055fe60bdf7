// Anomaly detection (DetectAnomalyGuard) and deterministic mode.
#include <cmath>
#include <limits>
#include <string>
#include <thread>

#include "ember/determinism.h"
#include "ember/ember.h"
#include "helpers.h"

using namespace ember;
using namespace ember_test;

namespace {

namespace nn = ember::nn;

/// Linear(2, 2) with every weight -1 and bias 0: positive inputs give negative outputs.
nn::Linear negating_linear() {
  nn::Linear fc(2, 2);
  NoGradGuard no_grad;
  fc->weight.fill_(-1.0);
  fc->bias.zero_();
  return fc;
}

nn::Functional log_layer() {
  return nn::Functional([](Tensor t) { return t.log(); });
}

struct NetImpl : nn::Module {
  NetImpl() { fc = register_module("fc", nn::Linear(2, 2)); }
  Tensor forward(const Tensor& x) { return fc(x).log(); }
  nn::Linear fc{nullptr};
};
EMBER_MODULE(Net);

}  // namespace

TEST_CASE("anomaly: the guard turns the mode on, nests and restores the previous state", "[anomaly]") {
  using autograd::AnomalyMode;
  using autograd::DetectAnomalyGuard;
  REQUIRE_FALSE(AnomalyMode::is_enabled());
  {
    DetectAnomalyGuard outer;
    CHECK(AnomalyMode::is_enabled());
    CHECK(AnomalyMode::should_check_nan());
    {
      DetectAnomalyGuard inner(/*check_nan=*/false);
      CHECK(AnomalyMode::is_enabled());
      CHECK_FALSE(AnomalyMode::should_check_nan());
    }
    CHECK(AnomalyMode::is_enabled());
    CHECK(AnomalyMode::should_check_nan());
    // The mode is per thread, as grad mode is.
    bool other_thread_sees = true;
    std::thread([&] { other_thread_sees = AnomalyMode::is_enabled(); }).join();
    CHECK_FALSE(other_thread_sees);
  }
  CHECK_FALSE(AnomalyMode::is_enabled());
  CHECK(AnomalyMode::should_check_nan());
}

TEST_CASE("anomaly: a NaN in the forward names the op and the module path", "[anomaly]") {
  const Tensor x = ones({3, 2});
  nn::Sequential seq(negating_linear(), log_layer());
  autograd::DetectAnomalyGuard guard;

  SECTION("called through the holder") {
    require_throws_with([&] { seq(x); },
                        {"anomaly: 'log' produced NaN in its forward output [3, 2] float32 cpu",
                         "(in Sequential/1/Functional)", "6 of 6 values are not finite: 6 NaN, 0 Inf"});
  }
  SECTION("called as seq->forward") {
    require_throws_with([&] { seq->forward(x); }, {"'log'", "(in Sequential/1/Functional)"});
  }
  SECTION("nested Sequential") {
    nn::Sequential outer(nn::Identity(), nn::Sequential(negating_linear(), log_layer()));
    require_throws_with([&] { outer(x); }, {"'log'", "(in Sequential/1/Sequential/1/Functional)"});
  }
  SECTION("a user module: ops in its own forward, and in its children") {
    Net net;
    {
      NoGradGuard no_grad;
      net->fc->weight.fill_(-1.0);
      net->fc->bias.zero_();
    }
    require_throws_with([&] { net(x); }, {"'log'", "(in Net)"});
    {
      NoGradGuard no_grad;
      net->fc->weight.fill_(std::numeric_limits<float>::infinity());
    }
    const std::string msg = error_message([&] { net(x); });
    CHECK(msg.find("produced Inf") != std::string::npos);
    CHECK(msg.find("(in Net/fc/Linear)") != std::string::npos);
  }
  SECTION("the path stack unwinds after the error") {
    CHECK_THROWS_AS(seq(x), Error);
    const Tensor w = full({2}, -1.0).requires_grad_();
    const std::string msg = error_message([&] { w.log(); });
    CHECK(msg.find("'log' produced NaN") != std::string::npos);
    CHECK(msg.find("(in ") == std::string::npos);
  }
}

TEST_CASE("anomaly: a non-finite gradient in backward names the node, input and path", "[anomaly]") {
  SECTION("plain ops") {
    autograd::DetectAnomalyGuard guard;
    const Tensor x = zeros({3}).requires_grad_();
    const Tensor loss = x.sqrt().sum();  // finite forward: sqrt(0) = 0
    require_throws_with([&] { loss.backward(); },
                        {"anomaly: the backward of 'sqrt'", "Inf in its gradient for input 0, [3] float32 cpu",
                         "3 of 3 values are not finite"});
  }
  SECTION("inside a Sequential: the path recorded at forward time") {
    autograd::DetectAnomalyGuard guard;
    nn::Sequential seq(nn::Linear(2, 2), nn::Functional([](Tensor t) { return (t * 0.0).sqrt(); }));
    const Tensor loss = seq(ones({1, 2})).sum();
    require_throws_with([&] { loss.backward(); }, {"'sqrt'", "(recorded in Sequential/1/Functional)"});
  }
  SECTION("finite values pass, and the gradients match a run without the guard") {
    manual_seed(3);
    nn::Sequential seq(nn::Linear(4, 3), nn::ReLU(), nn::Linear(3, 2));
    const Tensor x = randn({5, 4});
    seq(x).pow(2).sum().backward();
    std::vector<Tensor> plain;
    for (const Tensor& p : seq->parameters()) plain.push_back(p.grad().clone());
    seq->zero_grad();
    {
      autograd::DetectAnomalyGuard guard;
      seq(x).pow(2).sum().backward();
    }
    const std::vector<Tensor> params = seq->parameters();
    for (size_t i = 0; i < params.size(); ++i) ember_test::require_equal(params[i].grad(), plain[i]);
  }
}

TEST_CASE("anomaly: without the guard (or with check_nan off) NaN flows silently", "[anomaly]") {
  auto run = [] {
    const Tensor x = ones({3, 2});
    nn::Sequential seq(negating_linear(), log_layer());
    const Tensor out = seq(x);
    CHECK(std::isnan(out.sum().item<double>()));
    const Tensor z = zeros({3}).requires_grad_();
    z.sqrt().sum().backward();
    CHECK(std::isinf(z.grad().sum().item<double>()));
  };
  run();
  autograd::DetectAnomalyGuard guard(/*check_nan=*/false);
  run();
}

// --- deterministic mode ---------------------------------------------------------------------------

namespace {

/// A tiny conv net trained for 5 SGD steps from seed 0; returns its parameters.
std::vector<Tensor> train_tiny_convnet() {
  manual_seed(0);
  nn::Sequential net(nn::Conv2d(nn::Conv2dOptions(3, 8, 3).padding(1)), nn::ReLU(), nn::MaxPool2d(2), nn::Dropout(0.25),
                     nn::Flatten(), nn::Linear(8 * 8 * 8, 10));
  optim::SGD opt(net->parameters(), optim::SGDOptions(0.05).momentum(0.9));
  // Big enough that the convolution is split across threads when there are several.
  const Tensor x = randn({16, 3, 16, 16});
  const Tensor y = randint(0, 10, {16}, kLong);
  for (int step = 0; step < 5; ++step) {
    opt.zero_grad();
    Tensor loss = nn::functional::cross_entropy(net(x), y);
    loss.backward();
    opt.step();
  }
  std::vector<Tensor> params;
  for (const Tensor& p : net->parameters()) params.push_back(p.detach().clone());
  return params;
}

}  // namespace

TEST_CASE("determinism: the switch is process-wide and off by default", "[determinism]") {
  REQUIRE_FALSE(is_deterministic());
  set_deterministic(true);
  CHECK(is_deterministic());
  bool other_thread_sees = false;
  std::thread([&] { other_thread_sees = is_deterministic(); }).join();
  CHECK(other_thread_sees);
  set_deterministic(false);
  CHECK_FALSE(is_deterministic());
}

TEST_CASE("determinism: two identical CPU trainings give bitwise identical parameters", "[determinism]") {
  const std::vector<Tensor> first = train_tiny_convnet();
  const std::vector<Tensor> second = train_tiny_convnet();
  REQUIRE(first.size() == second.size());
  for (size_t i = 0; i < first.size(); ++i) ember_test::require_equal(first[i], second[i]);
  // On the CPU every kernel is already deterministic: the switch changes nothing.
  std::vector<Tensor> third;
  {
    ember_test::DeterministicScope deterministic;
    third = train_tiny_convnet();
  }
  for (size_t i = 0; i < first.size(); ++i) ember_test::require_equal(first[i], third[i]);
}
