// optim::LRScheduler and StepLR against LibTorch 1.13's behaviour (checked by running LibTorch's
// StepLR: with step_size 2 and gamma 0.5 the learning rates before each of 7 step() calls are
// 1, 1, 1, 0.5, 0.5, 0.25, 0.25, and 0.125 after), per parameter group, with any optimizer,
// and a scheduler of one's own.
#include <cmath>

#include "helpers.h"

#include "ember/optim.h"

using namespace ember;
using ember_test::require_throws_with;

namespace {

double lr_of(const optim::Optimizer& opt, size_t group = 0) { return opt.param_groups()[group].options().get_lr(); }

/// A scheduler of one's own, through the protected interface: lr = initial * 0.9^steps.
class Exponential : public optim::LRScheduler {
 public:
  explicit Exponential(optim::Optimizer& opt) : optim::LRScheduler(opt) {}

 private:
  std::vector<double> get_lrs() override {
    std::vector<double> lrs = get_current_lrs();
    if (step_count_ > 0)
      for (double& lr : lrs) lr *= 0.9;
    return lrs;
  }
};

/// Gives one learning rate whatever the number of groups.
class OneRate : public optim::LRScheduler {
 public:
  using optim::LRScheduler::LRScheduler;

 private:
  std::vector<double> get_lrs() override { return {0.5}; }
};

}  // namespace

TEST_CASE("StepLR: LibTorch's counting (first decay on the call after step_size calls)", "[optim][scheduler]") {
  Tensor w = zeros({2}).requires_grad_();
  optim::SGD opt({w}, optim::SGDOptions(1.0));
  optim::StepLR sched(opt, 2, 0.5);
  const std::vector<double> expected = {1, 1, 1, 0.5, 0.5, 0.25, 0.25};
  for (size_t i = 0; i < expected.size(); ++i) {
    INFO("before step() call " << i);
    CHECK(lr_of(opt) == expected[i]);
    sched.step();
  }
  CHECK(lr_of(opt) == 0.125);
}

TEST_CASE("StepLR: every parameter group decays from its own rate; default gamma 0.1", "[optim][scheduler]") {
  Tensor a = zeros({2}).requires_grad_(), b = zeros({3}).requires_grad_();
  std::vector<optim::OptimizerParamGroup> groups;
  groups.emplace_back(std::vector<Tensor>{a});
  groups.emplace_back(std::vector<Tensor>{b}, std::make_unique<optim::AdamOptions>(0.01));
  optim::Adam opt(std::move(groups), optim::AdamOptions(0.1));
  optim::StepLR sched(opt, 1);  // step_size 1: every call after the first
  sched.step();
  CHECK(lr_of(opt, 0) == 0.1);
  CHECK(lr_of(opt, 1) == 0.01);
  sched.step();
  CHECK(std::abs(lr_of(opt, 0) - 0.01) < 1e-15);
  CHECK(std::abs(lr_of(opt, 1) - 0.001) < 1e-15);
}

TEST_CASE("StepLR: the optimizer's steps use the scheduled rate", "[optim][scheduler]") {
  // One SGD step on loss = sum(w) moves w by -lr: the scheduled lr is the one applied.
  Tensor w = zeros({1}, kDouble).requires_grad_();
  optim::SGD opt({w}, optim::SGDOptions(1.0));
  optim::StepLR sched(opt, 1, 0.5);
  double expected = 0, lr = 1.0;
  for (int epoch = 0; epoch < 4; ++epoch) {
    opt.zero_grad();
    w.sum().backward();
    opt.step();
    expected -= lr;
    sched.step();
    if (epoch >= 1) lr *= 0.5;  // the decay applied by this call (counts 1, 2, ...)
    CHECK(w.item<double>() == expected);
    CHECK(lr_of(opt) == (epoch >= 1 ? lr : 1.0));
  }
}

TEST_CASE("LRScheduler: a subclass sees step_count_ and the current rates", "[optim][scheduler]") {
  Tensor w = zeros({2}).requires_grad_();
  optim::SGD opt({w}, optim::SGDOptions(2.0));
  Exponential sched(opt);
  for (int i = 0; i < 4; ++i) sched.step();
  CHECK(std::abs(lr_of(opt) - 2.0 * std::pow(0.9, 3)) < 1e-12);
}

TEST_CASE("schedulers: bad settings throw ember::Error and change nothing", "[optim][scheduler][errors]") {
  Tensor a = zeros({2}).requires_grad_(), b = zeros({2}).requires_grad_();
  std::vector<optim::OptimizerParamGroup> groups;
  groups.emplace_back(std::vector<Tensor>{a});
  groups.emplace_back(std::vector<Tensor>{b});
  optim::SGD opt(std::move(groups), optim::SGDOptions(0.1));
  require_throws_with([&] { optim::StepLR(opt, 0); }, {"StepLR", "step_size must be positive"});
  OneRate one(opt);
  require_throws_with([&] { one.step(); }, {"LRScheduler", "1 learning rates", "2 parameter groups"});
  CHECK(lr_of(opt, 0) == 0.1);
  CHECK(lr_of(opt, 1) == 0.1);
}
