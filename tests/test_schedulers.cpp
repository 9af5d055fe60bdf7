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

// --- ember's extras and ReduceLROnPlateauScheduler against torch.optim.lr_scheduler -----------------

namespace {

/// SGD over two groups, lr 0.1 and 0.05, as tools/gen_optim_fixtures.py's write_lr_schedulers.
struct TwoGroups {
  Tensor a = zeros({2}).requires_grad_(), b = zeros({2}).requires_grad_();
  optim::SGD opt;
  TwoGroups() : opt(groups(a, b), optim::SGDOptions(0.1)) {}
  static std::vector<optim::OptimizerParamGroup> groups(const Tensor& a, const Tensor& b) {
    std::vector<optim::OptimizerParamGroup> g;
    g.emplace_back(std::vector<Tensor>{a});
    g.emplace_back(std::vector<Tensor>{b}, std::make_unique<optim::SGDOptions>(0.05));
    return g;
  }
};

/// Compares both groups' rates after the constructor (row 0) and after each step (row k) with
/// PyTorch's, bit for bit: the rules compute in Python's order.
template <typename Step>
void replay_rates(const std::string& name, optim::Optimizer& opt, const Step& step) {
  const Tensor& rows = ember_test::fixtures("lr_scheduler")[name + ".lr"];
  for (int64_t k = 0; k < rows.size(0); ++k) {
    INFO(name << ": after " << k << " step() calls");
    if (k > 0) step(k - 1);
    CHECK(lr_of(opt, 0) == rows[k][0].item<double>());
    CHECK(lr_of(opt, 1) == rows[k][1].item<double>());
  }
}

}  // namespace

TEST_CASE("CosineAnnealingLR, LinearLR, OneCycleLR: rates match torch.optim.lr_scheduler bit for bit",
          "[optim][scheduler]") {
  using optim::OneCycleLR;
  const std::vector<std::pair<std::string, std::function<std::unique_ptr<optim::LRScheduler>(optim::Optimizer&)>>>
      configs = {
          {"cosine", [](auto& o) { return std::make_unique<optim::CosineAnnealingLR>(o, 10, 0.001); }},
          {"cosine_zero", [](auto& o) { return std::make_unique<optim::CosineAnnealingLR>(o, 7); }},
          {"linear", [](auto& o) { return std::make_unique<optim::LinearLR>(o, 0.25, 1.0, 4); }},
          {"linear_down", [](auto& o) { return std::make_unique<optim::LinearLR>(o, 1.0, 0.1, 5); }},
          {"onecycle_cos",
           [](auto& o) {
             return std::make_unique<OneCycleLR>(o, std::vector<double>{0.5, 0.2}, 20);
           }},
          {"onecycle_linear",
           [](auto& o) { return std::make_unique<OneCycleLR>(o, 0.3, 16, 0.25, OneCycleLR::linear, 10.0, 100.0); }},
          {"onecycle_three",
           [](auto& o) { return std::make_unique<OneCycleLR>(o, 0.4, 15, 0.3, OneCycleLR::cos, 25, 1e4, true); }},
      };
  for (const auto& [name, make] : configs) {
    TwoGroups g;
    auto sched = make(g.opt);
    replay_rates(name, g.opt, [&](int64_t) { sched->step(); });
  }
}

TEST_CASE("ReduceLROnPlateauScheduler: rates match torch.optim.lr_scheduler.ReduceLROnPlateau", "[optim][scheduler]") {
  using R = optim::ReduceLROnPlateauScheduler;
  const std::vector<std::pair<std::string, std::function<std::unique_ptr<R>(optim::Optimizer&)>>> configs = {
      {"plateau_min", [](auto& o) { return std::make_unique<R>(o, R::min, 0.5f, 2); }},
      {"plateau_max_abs",
       [](auto& o) {
         return std::make_unique<R>(o, R::max, 0.25f, 1, 0.1, R::abs, 2, std::vector<float>{0.00390625f, 0.001953125f});
       }},
      {"plateau_eps",
       [](auto& o) {
         return std::make_unique<R>(o, R::min, 0.5f, 0, 1e-4, R::rel, 0, std::vector<float>{0.03125f, 0}, 0.005);
       }},
  };
  for (const auto& [name, make] : configs) {
    TwoGroups g;
    auto sched = make(g.opt);
    const Tensor& metrics = ember_test::fixtures("lr_scheduler")[name + ".metric"];
    replay_rates(name, g.opt, [&](int64_t k) { sched->step(metrics[k].item<float>()); });
  }
}

TEST_CASE("CosineAnnealingLR::closed_form_lr is Python's closed form, and train_cifar's schedule",
          "[optim][scheduler]") {
  const double pi = 3.14159265358979323846;
  CHECK(optim::CosineAnnealingLR::closed_form_lr(0.1, 0, 391, 0) == 0.1);
  CHECK(std::abs(optim::CosineAnnealingLR::closed_form_lr(0.1, 0, 391, 391)) < 1e-17);
  // train_cifar's formula before it used this one, to the bit.
  for (int64_t step : {1, 100, 200, 390})
    CHECK(optim::CosineAnnealingLR::closed_form_lr(0.1, 0, 391, step) == 0.1 * 0.5 * (1 + std::cos(pi * step / 391)));
  CHECK(optim::CosineAnnealingLR::closed_form_lr(0.1, 0.01, 10, 5) ==
        0.01 + (0.1 - 0.01) * (1 + std::cos(pi * 5 / 10)) / 2);
}

TEST_CASE("extra schedulers: bad settings throw ember::Error naming the rule", "[optim][scheduler][errors]") {
  TwoGroups g;
  using optim::OneCycleLR;
  require_throws_with([&] { optim::CosineAnnealingLR(g.opt, 0); },
                      {"CosineAnnealingLR: T_max must be positive, got 0"});
  require_throws_with([&] { optim::LinearLR(g.opt, 0.0); }, {"LinearLR: start_factor must be in (0, 1], got 0"});
  require_throws_with([&] { optim::LinearLR(g.opt, 1.5); }, {"start_factor", "1.5"});
  require_throws_with([&] { optim::LinearLR(g.opt, 0.5, -0.1); }, {"LinearLR: end_factor must be in [0, 1], got -0.1"});
  require_throws_with([&] { optim::LinearLR(g.opt, 0.5, 1.0, 0); }, {"LinearLR: total_iters must be positive"});
  require_throws_with([&] { OneCycleLR(g.opt, 0.1, 0); }, {"OneCycleLR: expected a positive total_steps, got 0"});
  require_throws_with([&] { OneCycleLR(g.opt, 0.1, 10, 1.5); }, {"OneCycleLR: expected pct_start between 0 and 1"});
  require_throws_with([&] { OneCycleLR(g.opt, std::vector<double>{0.1}, 10); },
                      {"OneCycleLR: expected 2 values for max_lr (one per parameter group), got 1"});
  require_throws_with([&] { OneCycleLR(g.opt, 0.1, 10, 0.1); }, {"OneCycleLR: phase 1 of 2 has zero length"});
  require_throws_with([&] { OneCycleLR(g.opt, 0.1, 10, 0.55, OneCycleLR::cos, 25, 1e4, true); },
                      {"OneCycleLR: phase 3 of 3 has zero length"});
  require_throws_with([&] { OneCycleLR(g.opt, 0.1, 10, 0.3, OneCycleLR::cos, 0); },
                      {"div_factor and final_div_factor must be positive"});
  {
    OneCycleLR one(g.opt, 0.1, 3);
    for (int k = 0; k < 3; ++k) one.step();
    const double last = lr_of(g.opt);
    require_throws_with([&] { one.step(); },
                        {"OneCycleLR: tried to step 5 times; the specified number of total steps is 3"});
    CHECK(lr_of(g.opt) == last);
  }
  using R = optim::ReduceLROnPlateauScheduler;
  require_throws_with([&] { R(g.opt, R::min, 1.0f); }, {"ReduceLROnPlateauScheduler: Factor should be < 1.0"});
  require_throws_with(
      [&] { R(g.opt, R::min, 0.1f, 10, 1e-4, R::rel, 0, std::vector<float>{0.1f}); },
      {"number of learning rates not equal to the number of param groups", "1 min_lr values", "2 parameter groups"});
}
