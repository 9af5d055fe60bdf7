// optim::SGD against PyTorch: tools/gen_optim_fixtures.py records torch.optim.SGD's trajectory
// on a tiny linear regression for several configs (tests/fixtures/optim.txt); each is replayed
// here on every test device, in float64 (tight) and float32. Plus the Optimizer plumbing:
// param groups, zero_grad, state, closures and the option checks.
#include "helpers.h"

#include "ember/optim.h"
#include "ember/serialize.h"

using namespace ember;
using namespace ember_test;

namespace {

constexpr int kSteps = 5;

// The regression problem of gen_optim_fixtures.py, on `device` in `dtype`.
struct Problem {
  Tensor X, Y, W, b, z;
  Problem(Device device, ScalarType dtype) {
    const auto& f = fixtures("optim");
    auto load = [&](const char* name) { return f[std::string("optim.") + name].to(device, dtype).clone(); };
    X = load("X");
    Y = load("Y");
    W = load("W").requires_grad_();
    b = load("b").requires_grad_();
    z = load("z").requires_grad_();  // in the optimizer, never in the loss: its grad stays undefined
  }
  Tensor loss() const { return (X.mm(W.t()) + b - Y).pow(2).mean(); }
  Tensor step(optim::Optimizer& opt) const {
    return closure_step(opt, [this] { return loss(); });
  }
};

struct Config {
  const char* name;
  optim::SGDOptions defaults;
  bool groups = false;  // the "groups" config: {W, z} with the defaults, {b} with its own options
};

std::vector<Config> configs() {
  using O = optim::SGDOptions;
  return {
      {"plain", O(0.1)},
      {"momentum", O(0.1).momentum(0.9)},
      {"dampening", O(0.1).momentum(0.9).dampening(0.3)},
      {"weight_decay", O(0.1).weight_decay(0.05)},
      {"momentum_wd", O(0.1).momentum(0.8).dampening(0.1).weight_decay(0.05)},
      {"nesterov", O(0.1).momentum(0.9).nesterov(true)},
      {"nesterov_wd", O(0.05).momentum(0.9).nesterov(true).weight_decay(0.02)},
      {"groups", O(0.1).momentum(0.5), true},
  };
}

std::unique_ptr<optim::SGD> make_sgd(const Config& c, Problem& pr) {
  if (!c.groups) return std::make_unique<optim::SGD>(std::vector<Tensor>{pr.W, pr.b, pr.z}, c.defaults);
  std::vector<optim::OptimizerParamGroup> groups;
  groups.emplace_back(std::vector<Tensor>{pr.W, pr.z});
  groups.emplace_back(
      std::vector<Tensor>{pr.b},
      std::make_unique<optim::SGDOptions>(optim::SGDOptions(0.02).momentum(0.9).nesterov(true).weight_decay(0.1)));
  return std::make_unique<optim::SGD>(std::move(groups), c.defaults);
}

/// Runs kSteps closure-form steps of `opt` on `pr` and compares the loss and the parameters
/// after every step with PyTorch's trajectory `name` in fixtures/optim.txt.
void replay_trajectory(optim::Optimizer& opt, Problem& pr, const std::string& name, ScalarType dtype,
                       ember_test::Tol tol) {
  const auto& f = fixtures("optim");
  const Tensor& losses = f[name + ".loss"];
  for (int k = 1; k <= kSteps; ++k) {
    INFO("step " << k);
    Tensor loss = pr.step(opt);
    REQUIRE(loss.defined());
    require_close(loss, losses[k - 1], tol);
    require_close(pr.W, f[name + ".W." + std::to_string(k)], tol);
    require_close(pr.b, f[name + ".b." + std::to_string(k)], tol);
    require_close(pr.z, f[name + ".z." + std::to_string(k)], tol);
    CHECK_FALSE(pr.z.grad().defined());
    CHECK(pr.W.dtype() == dtype);
  }
}

/// Replays every config's trajectory (make(config, problem) builds its optimizer) on every
/// device, in float64 and float32. float64 differs from PyTorch only by summation order and the
/// regrouped update terms.
template <typename ConfigT, typename Make>
void replay_all(const std::vector<ConfigT>& all, const Make& make) {
  for (const Device& device : ember_test::test_devices()) {
    for (ScalarType dtype : {kDouble, kFloat}) {
      ember_test::Tol tol = dtype == kDouble ? ember_test::Tol{1e-10, 1e-12} : ember_test::Tol{1e-4, 1e-5};
      for (const ConfigT& c : all) {
        INFO("config " << c.name << " on " << ember_test::device_name(device) << " in " << dtype);
        Problem pr(device, dtype);
        auto opt = make(c, pr);
        replay_trajectory(*opt, pr, c.name, dtype, tol);
      }
    }
  }
}

// What every optimizer's step() checks again, on a parameter of 2 elements: a gradient that does
// not fit it, and options that `spoil` made invalid after construction (the error names `rule`).
template <typename Opt, typename Options, typename Spoil>
void require_step_rechecks(Options options, Spoil spoil, const std::string& op, const std::string& rule) {
  Tensor w = ones({2}, kDouble).requires_grad_();
  Opt opt({w}, options);
  w.mutable_grad() = ones({3}, kDouble);
  require_throws_with([&] { opt.step(); }, {op, "parameter 0 of group 0", "[2]", "[3]"});
  w.mutable_grad() = ones({2}, kDouble);
  spoil(static_cast<Options&>(opt.param_groups()[0].options()));
  require_throws_with([&] { opt.step(); }, {op + " (parameter group 0)", rule});
}

}  // namespace

TEST_CASE("SGD: trajectories match torch.optim.SGD (closure form)", "[optim]") {
  replay_all(configs(), [](const Config& c, Problem& pr) { return make_sgd(c, pr); });
}

TEST_CASE("SGD: the tutorial's loop (zero_grad, backward, step) gives the same trajectory", "[optim]") {
  const auto& f = fixtures("optim");
  Problem pr(kCPU, kDouble);
  optim::SGD opt({pr.W, pr.b, pr.z}, optim::SGDOptions(0.1).momentum(0.8).dampening(0.1).weight_decay(0.05));
  for (int k = 1; k <= kSteps; ++k) {
    opt.zero_grad();
    pr.loss().backward();
    Tensor none = opt.step();
    CHECK_FALSE(none.defined());
    require_close(pr.W, f["momentum_wd.W." + std::to_string(k)], 1e-10, 1e-12);
    require_close(pr.b, f["momentum_wd.b." + std::to_string(k)], 1e-10, 1e-12);
  }
}

TEST_CASE("SGD: a step inside NoGradGuard still runs the closure with grad on", "[optim]") {
  Problem pr(kCPU, kDouble);
  optim::SGD opt({pr.W, pr.b}, 0.1);  // implicit SGDOptions(lr), as LibTorch
  NoGradGuard outer;
  Tensor loss = pr.step(opt);
  CHECK(loss.defined());
  CHECK(pr.W.grad().defined());
  CHECK_FALSE(GradMode::is_enabled());
  require_close(pr.W, fixtures("optim")["plain.W.1"], 1e-10, 1e-12);
}

TEST_CASE("SGD: momentum buffers are per-parameter state, in parameter order", "[optim]") {
  Problem pr(kCPU, kDouble);
  optim::SGD opt({pr.W, pr.b, pr.z}, optim::SGDOptions(0.1).momentum(0.9));
  CHECK(opt.state().empty());
  opt.zero_grad();
  pr.loss().backward();
  Tensor gW = pr.W.grad().clone();
  opt.step();
  // W and b have a buffer (the first step's is the gradient itself); z, never stepped, has none.
  CHECK(opt.state().size() == 2);
  auto* sW = dynamic_cast<optim::SGDParamState*>(opt.state_of(pr.W));
  REQUIRE(sW != nullptr);
  require_close(sW->momentum_buffer(), gW, 0, 0);
  CHECK_FALSE(sW->momentum_buffer().is_same(pr.W.grad()));  // a copy, not the gradient itself
  CHECK(opt.state_of(pr.b) != nullptr);
  CHECK(opt.state_of(pr.z) == nullptr);
  // Enumerating in parameter order, as a checkpoint writer would.
  std::vector<bool> has;
  for (const auto& group : opt.param_groups())
    for (const auto& p : group.params()) has.push_back(opt.state_of(p) != nullptr);
  CHECK(has == std::vector<bool>{true, true, false});
  // Plain SGD keeps no state at all.
  Problem pr2(kCPU, kDouble);
  optim::SGD plain({pr2.W}, optim::SGDOptions(0.1));
  pr2.loss().backward();
  plain.step();
  CHECK(plain.state().empty());
}

TEST_CASE("Optimizer: zero_grad keeps zeroed gradients by default (LibTorch 1.13), or sets them to none", "[optim]") {
  Problem pr(kCPU, kDouble);
  optim::SGD opt({pr.W, pr.b, pr.z}, optim::SGDOptions(0.1));
  pr.loss().backward();
  REQUIRE(pr.W.grad().defined());
  Tensor w_before = pr.W.clone();
  opt.zero_grad();
  REQUIRE(pr.W.grad().defined());
  CHECK(pr.W.grad().abs().sum().item<double>() == 0);
  CHECK_FALSE(pr.z.grad().defined());  // never had one: stays undefined
  opt.step();                          // zero gradients: the parameters do not move
  require_close(pr.W, w_before, 0, 0);
  pr.loss().backward();
  opt.zero_grad(/*set_to_none=*/true);
  CHECK_FALSE(pr.W.grad().defined());
  CHECK_FALSE(pr.b.grad().defined());
  opt.step();  // no gradient at all: skipped
  require_close(pr.W, w_before, 0, 0);
}

TEST_CASE("Optimizer: param groups own their options; defaults, set_lr, add_param_group", "[optim]") {
  Tensor a = ones({2}, kDouble).requires_grad_();
  Tensor b = ones({3}, kDouble).requires_grad_();
  Tensor c = ones({1}, kDouble).requires_grad_();
  optim::SGD opt({a}, optim::SGDOptions(0.5).momentum(0.1));
  REQUIRE(opt.param_groups().size() == 1);
  CHECK(opt.param_groups()[0].options().get_lr() == 0.5);
  // A group without options copies the defaults; one with options keeps its own.
  opt.add_param_group(optim::OptimizerParamGroup({b}));
  opt.add_param_group(optim::OptimizerParamGroup({c}, std::make_unique<optim::SGDOptions>(0.25)));
  REQUIRE(opt.param_groups().size() == 3);
  CHECK(static_cast<const optim::SGDOptions&>(opt.param_groups()[1].options()).momentum() == 0.1);
  CHECK(opt.param_groups()[2].options().get_lr() == 0.25);
  CHECK(opt.size() == 3);
  CHECK(opt.parameters().size() == 1);  // LibTorch: the first group's
  CHECK(opt.all_parameters().size() == 3);
  // A scheduler sets each group's lr; the defaults are separate objects.
  for (auto& g : opt.param_groups()) g.options().set_lr(0.125);
  CHECK(opt.defaults().get_lr() == 0.5);
  a.mutable_grad() = ones({2}, kDouble);
  b.mutable_grad() = ones({3}, kDouble);
  c.mutable_grad() = ones({1}, kDouble);
  opt.step();
  CHECK(a.sum().item<double>() == Approx(2 * (1 - 0.125)));
  CHECK(c.item<double>() == Approx(1 - 0.125));
  // add_parameters appends to the first group.
  Tensor d = zeros({4}, kDouble).requires_grad_();
  opt.add_parameters({d});
  CHECK(opt.parameters().size() == 2);
  CHECK(opt.size() == 4);
}

TEST_CASE("SGD: bad options and parameters throw ember::Error explaining the rule", "[optim][errors]") {
  Tensor w = ones({2}, kDouble).requires_grad_();
  using O = optim::SGDOptions;
  require_throws_with([&] { optim::SGD({w}, O(0.1).nesterov(true)); }, {"Nesterov", "momentum", "dampening"});
  require_throws_with([&] { optim::SGD({w}, O(0.1).momentum(0.9).dampening(0.1).nesterov(true)); },
                      {"Nesterov", "dampening 0.1"});
  require_throws_with([&] { optim::SGD({w}, O(-1)); }, {"SGD", "learning rate", "-1"});
  require_throws_with([&] { optim::SGD({w}, O(0.1).momentum(-0.5)); }, {"momentum", "-0.5"});
  require_throws_with([&] { optim::SGD({w}, O(0.1).weight_decay(-1)); }, {"weight_decay"});
  require_throws_with([&] { optim::SGD({w, w}, O(0.1)); }, {"add_param_group", "more than once"});
  require_throws_with([&] { optim::SGD({w * 2}, O(0.1)); }, {"non-leaf"});
  require_throws_with([&] { optim::SGD({Tensor()}, O(0.1)); }, {"undefined"});
  {
    optim::SGD opt({w}, O(0.1));
    require_throws_with([&] { opt.add_param_group(optim::OptimizerParamGroup({w})); }, {"more than once"});
  }
  require_step_rechecks<optim::SGD>(
      O(0.1), [](O& o) { o.nesterov(true); }, "SGD::step", "Nesterov");
  require_throws_with([] { optim::OptimizerOptions().get_lr(); }, {"learning rate"});
  require_throws_with([] { optim::OptimizerParamGroup(std::vector<Tensor>{}).options(); }, {"no options"});
}

TEST_CASE("SGD: float32 parameters stay float32 and are updated in place", "[optim]") {
  for (const Device& device : ember_test::test_devices()) {
    Tensor p = ones({4}, TensorOptions(kFloat).device(device)).requires_grad_();
    Tensor alias = p;  // the handle a module holds
    auto* data = p.data_ptr();
    optim::SGD opt({p}, optim::SGDOptions(0.5).momentum(0.9).weight_decay(0.1));
    for (int k = 0; k < 3; ++k) {
      p.mutable_grad() = full({4}, 0.25, TensorOptions(kFloat).device(device));
      opt.step();
    }
    CHECK(p.data_ptr() == data);
    CHECK(alias.is_same(p));
    CHECK(p.dtype() == kFloat);
    CHECK(p.requires_grad());
    CHECK(p.is_leaf());
    // By hand: g = 0.25 + 0.1 p; buf = g, then 0.9 buf + g; p -= 0.5 buf.
    double x = 1, buf = 0;
    for (int k = 0; k < 3; ++k) {
      double g = 0.25 + 0.1 * x;
      buf = k == 0 ? g : 0.9 * buf + g;
      x -= 0.5 * buf;
    }
    require_close(p, full({4}, x, kDouble), 1e-6, 1e-6);
  }
}

// --- Adam and AdamW ----------------------------------------------------------------------------

namespace {

// One Adam/AdamW config of gen_optim_fixtures.py: builds the optimizer over the problem's
// parameters, as the script does.
struct AdamConfig {
  const char* name;
  std::function<std::unique_ptr<optim::Optimizer>(Problem&)> make;
};

template <typename Opt, typename Options>
std::function<std::unique_ptr<optim::Optimizer>(Problem&)> one_group(Options o) {
  return [o](Problem& pr) { return std::make_unique<Opt>(std::vector<Tensor>{pr.W, pr.b, pr.z}, o); };
}

// {W, z} with the defaults, {b} with its own options.
template <typename Opt, typename Options>
std::function<std::unique_ptr<optim::Optimizer>(Problem&)> two_groups(Options defaults, Options b_options) {
  return [defaults, b_options](Problem& pr) {
    std::vector<optim::OptimizerParamGroup> groups;
    groups.emplace_back(std::vector<Tensor>{pr.W, pr.z});
    groups.emplace_back(std::vector<Tensor>{pr.b}, std::make_unique<Options>(b_options));
    return std::make_unique<Opt>(std::move(groups), defaults);
  };
}

std::vector<AdamConfig> adam_configs() {
  using A = optim::AdamOptions;
  using W = optim::AdamWOptions;
  using optim::Adam;
  using optim::AdamW;
  return {
      {"adam_plain", one_group<Adam>(A(0.05))},
      {"adam_weight_decay", one_group<Adam>(A(0.05).weight_decay(0.1))},
      {"adam_amsgrad", one_group<Adam>(A(0.05).betas(std::make_tuple(0.8, 0.9)).eps(1e-6).amsgrad(true))},
      {"adam_amsgrad_wd", one_group<Adam>(A(0.05).betas(std::make_tuple(0.5, 0.6)).weight_decay(0.2).amsgrad(true))},
      {"adamw_default", one_group<AdamW>(W(0.05))},
      {"adamw_amsgrad", one_group<AdamW>(W(0.05).betas(std::make_tuple(0.5, 0.6)).weight_decay(0.2).amsgrad(true))},
      {"adam_groups",
       two_groups<Adam>(A(0.05), A(0.02).betas(std::make_tuple(0.5, 0.8)).weight_decay(0.1).amsgrad(true))},
      // PyTorch fills the b group's missing options from the defaults: weight_decay 0.3 too.
      {"adamw_groups",
       two_groups<AdamW>(W(0.05).weight_decay(0.3),
                         W(0.02).betas(std::make_tuple(0.5, 0.8)).eps(1e-4).amsgrad(true).weight_decay(0.3))},
  };
}

}  // namespace

TEST_CASE("Adam, AdamW: trajectories match torch.optim.Adam / AdamW (closure form)", "[optim]") {
  replay_all(adam_configs(), [](const AdamConfig& c, Problem& pr) { return c.make(pr); });
}

TEST_CASE("RMSprop, Adagrad: trajectories match torch.optim.RMSprop / Adagrad (closure form)", "[optim]") {
  using R = optim::RMSpropOptions;
  using G = optim::AdagradOptions;
  using optim::Adagrad;
  using optim::RMSprop;
  const std::vector<AdamConfig> configs = {
      {"rmsprop_plain", one_group<RMSprop>(R(0.01))},
      {"rmsprop_centered_momentum",
       one_group<RMSprop>(R(0.01).alpha(0.9).eps(1e-6).weight_decay(0.1).momentum(0.5).centered(true))},
      // PyTorch fills the b group's missing options from the defaults: momentum 0.9 too.
      {"rmsprop_groups",
       two_groups<RMSprop>(R(0.01).momentum(0.9), R(0.02).centered(true).weight_decay(0.05).momentum(0.9))},
      {"adagrad_plain", one_group<Adagrad>(G(0.1))},
      {"adagrad_decay",
       one_group<Adagrad>(G(0.1).lr_decay(0.1).weight_decay(0.05).initial_accumulator_value(0.5).eps(1e-6))},
      {"adagrad_groups", two_groups<Adagrad>(G(0.1), G(0.05).lr_decay(0.2).initial_accumulator_value(0.1))},
  };
  replay_all(configs, [](const AdamConfig& c, Problem& pr) { return c.make(pr); });
}

TEST_CASE("RMSprop, Adagrad: LibTorch's defaults and refusals", "[optim]") {
  const optim::RMSpropOptions r;
  CHECK(r.lr() == 1e-2);
  CHECK(r.alpha() == 0.99);
  CHECK(r.eps() == 1e-8);
  CHECK(r.weight_decay() == 0);
  CHECK(r.momentum() == 0);
  CHECK(!r.centered());
  const optim::AdagradOptions g;
  CHECK(g.lr() == 1e-2);
  CHECK(g.lr_decay() == 0);
  CHECK(g.weight_decay() == 0);
  CHECK(g.initial_accumulator_value() == 0);
  CHECK(g.eps() == 1e-10);
  Tensor w = ones({2}, kDouble).requires_grad_();
  require_throws_with([&] { optim::RMSprop({w}, optim::RMSpropOptions(-1)); }, {"RMSprop", "learning rate", "-1"});
  require_throws_with([&] { optim::RMSprop({w}, optim::RMSpropOptions().alpha(-0.5)); }, {"RMSprop", "alpha", "-0.5"});
  require_throws_with([&] { optim::Adagrad({w}, optim::AdagradOptions().lr_decay(-1)); }, {"Adagrad", "lr_decay"});
  require_throws_with([&] { optim::Adagrad({w}, optim::AdagradOptions().initial_accumulator_value(-1)); },
                      {"Adagrad", "initial_accumulator_value"});
  require_step_rechecks<optim::RMSprop>(
      optim::RMSpropOptions(), [](optim::RMSpropOptions& o) { o.momentum(-1); }, "RMSprop::step",
      "invalid momentum value -1");
  require_step_rechecks<optim::Adagrad>(
      optim::AdagradOptions(), [](optim::AdagradOptions& o) { o.lr(-0.5); }, "Adagrad::step",
      "invalid learning rate -0.5");
  // Adagrad's state exists from construction, as LibTorch's: sum = initial_accumulator_value.
  optim::Adagrad ada({w}, optim::AdagradOptions().initial_accumulator_value(0.25));
  const auto* st = dynamic_cast<const optim::AdagradParamState*>(ada.state_of(w));
  REQUIRE(st != nullptr);
  CHECK(st->step() == 0);
  CHECK(equal(st->sum(), full({2}, 0.25, kDouble)));
}

TEST_CASE("Adam: defaults as LibTorch; state holds step and moments, max_exp_avg_sq only with amsgrad", "[optim]") {
  optim::AdamOptions a;
  CHECK(a.lr() == 1e-3);
  CHECK(a.betas() == std::make_tuple(0.9, 0.999));
  CHECK(a.eps() == 1e-8);
  CHECK(a.weight_decay() == 0);
  CHECK_FALSE(a.amsgrad());
  CHECK(optim::AdamWOptions().weight_decay() == 1e-2);
  CHECK(optim::AdamWOptions(0.5).lr() == 0.5);
  CHECK(optim::AdamOptions(0.1) == optim::AdamOptions(0.1));
  CHECK_FALSE(optim::AdamOptions(0.1) == optim::AdamOptions(0.1).amsgrad(true));

  for (bool amsgrad : {false, true}) {
    Problem pr(kCPU, kDouble);
    optim::Adam opt({pr.W, pr.b, pr.z}, optim::AdamOptions(0.05).amsgrad(amsgrad));
    Tensor data = pr.W;
    for (int k = 0; k < 2; ++k) {
      opt.zero_grad();
      pr.loss().backward();
      opt.step();
    }
    CHECK(data.is_same(pr.W));  // updated in place
    CHECK(pr.W.is_leaf());
    CHECK(opt.state().size() == 2);  // z never had a gradient
    CHECK(opt.state_of(pr.z) == nullptr);
    auto* s = dynamic_cast<optim::AdamParamState*>(opt.state_of(pr.W));
    REQUIRE(s != nullptr);
    CHECK(s->step() == 2);
    CHECK(s->exp_avg().sizes().equals(pr.W.sizes()));
    CHECK(s->exp_avg_sq().sizes().equals(pr.W.sizes()));
    CHECK(s->max_exp_avg_sq().defined() == amsgrad);
    auto copy = s->clone();
    CHECK(*dynamic_cast<optim::AdamParamState*>(copy.get()) == *s);
  }
}

TEST_CASE("AdamW with zero weight decay is Adam; lr changes through set_lr apply", "[optim]") {
  Problem p1(kCPU, kDouble), p2(kCPU, kDouble);
  optim::Adam adam({p1.W, p1.b}, optim::AdamOptions(0.05).amsgrad(true));
  optim::AdamW adamw({p2.W, p2.b}, optim::AdamWOptions(0.05).amsgrad(true).weight_decay(0));
  for (int k = 0; k < 3; ++k) {
    if (k == 2) {
      for (auto& g : adam.param_groups()) g.options().set_lr(0.01);
      for (auto& g : adamw.param_groups()) g.options().set_lr(0.01);
    }
    adam.zero_grad();
    p1.loss().backward();
    adam.step();
    adamw.zero_grad();
    p2.loss().backward();
    adamw.step();
  }
  require_close(p1.W, p2.W, 0, 0);
  require_close(p1.b, p2.b, 0, 0);
}

TEST_CASE("Adam, AdamW: bad options throw ember::Error explaining the rule", "[optim][errors]") {
  Tensor w = ones({2}, kDouble).requires_grad_();
  using A = optim::AdamOptions;
  using W = optim::AdamWOptions;
  require_throws_with([&] { optim::Adam({w}, A(-1)); }, {"Adam", "learning rate", "-1"});
  require_throws_with([&] { optim::Adam({w}, A(0.1).eps(-1e-8)); }, {"Adam", "epsilon"});
  require_throws_with([&] { optim::Adam({w}, A(0.1).betas(std::make_tuple(1.0, 0.999))); },
                      {"beta parameter at index 0", "[0, 1)"});
  require_throws_with([&] { optim::Adam({w}, A(0.1).betas(std::make_tuple(0.9, -0.1))); },
                      {"beta parameter at index 1", "-0.1"});
  require_throws_with([&] { optim::Adam({w}, A(0.1).weight_decay(-0.5)); }, {"weight_decay", "-0.5"});
  require_throws_with([&] { optim::AdamW({w}, W(-2)); }, {"AdamW", "learning rate"});
  require_throws_with([&] { optim::AdamW({w}, W(0.1).weight_decay(-1)); }, {"AdamW", "weight_decay"});
  require_throws_with([&] { optim::AdamW({w}, W(0.1).betas(std::make_tuple(0.9, 1.0))); }, {"index 1"});
  {
    // A group with options of another optimizer.
    std::vector<optim::OptimizerParamGroup> groups;
    groups.emplace_back(std::vector<Tensor>{w}, std::make_unique<optim::SGDOptions>(0.1));
    require_throws_with([&] { optim::Adam(std::move(groups), A(0.1)); }, {"Adam", "not AdamOptions"});
  }
  require_step_rechecks<optim::Adam>(
      A(0.1), [](A& o) { o.eps(-1); }, "Adam::step", "invalid epsilon value -1");
  require_step_rechecks<optim::AdamW>(
      W(0.1), [](W& o) { o.betas(std::make_tuple(0.9, 1.0)); }, "AdamW::step", "beta parameter at index 1");
}

TEST_CASE("Adam, AdamW: state round-trips through save/load and resumes bitwise identically", "[optim][serialize]") {
  ember_test::TempDir dir;
  // Two groups (the second amsgrad, with its own betas) so every option and max_exp_avg_sq travel.
  auto make = [](Problem& pr, bool decoupled) -> std::unique_ptr<optim::Optimizer> {
    std::vector<optim::OptimizerParamGroup> groups;
    groups.emplace_back(std::vector<Tensor>{pr.W, pr.z});
    if (decoupled) {
      groups.emplace_back(std::vector<Tensor>{pr.b},
                          std::make_unique<optim::AdamWOptions>(
                              optim::AdamWOptions(0.02).betas(std::make_tuple(0.5, 0.8)).amsgrad(true)));
      return std::make_unique<optim::AdamW>(std::move(groups), optim::AdamWOptions(0.05).weight_decay(0.3));
    }
    groups.emplace_back(std::vector<Tensor>{pr.b},
                        std::make_unique<optim::AdamOptions>(
                            optim::AdamOptions(0.02).betas(std::make_tuple(0.5, 0.8)).eps(1e-6).amsgrad(true)));
    return std::make_unique<optim::Adam>(std::move(groups), optim::AdamOptions(0.05).weight_decay(0.1).amsgrad(true));
  };
  for (const bool decoupled : {false, true}) {
    INFO((decoupled ? "AdamW" : "Adam"));
    Problem a(kCPU, kDouble), b(kCPU, kDouble);
    auto opt_a = make(a, decoupled);
    auto step = [](Problem& pr, optim::Optimizer& opt) {
      opt.zero_grad();
      pr.loss().backward();
      opt.step();
    };
    for (int k = 0; k < 3; ++k) step(a, *opt_a);
    const std::string path = dir.file(decoupled ? "adamw.safetensors" : "adam.safetensors");
    save(*opt_a, path);
    const SafeTensors raw = load_tensors(path);
    CHECK(raw.metadata.at("optimizer") == (decoupled ? "AdamW" : "Adam"));
    CHECK(raw.metadata.at("param_groups.1.betas.0") == "0.5");
    CHECK(raw.metadata.at("param_groups.1.amsgrad") == "true");
    REQUIRE(raw.tensors.count("state.0.step") == 1);
    CHECK(raw.tensors.at("state.0.step").dim() == 0);
    CHECK(raw.tensors.at("state.0.step").dtype() == kLong);
    CHECK(raw.tensors.at("state.0.step").item<int64_t>() == 3);
    CHECK(raw.tensors.count("state.1.exp_avg") == 0);  // z never had a gradient: no state
    CHECK(raw.tensors.count("state.2.max_exp_avg_sq") == 1);
    CHECK(raw.tensors.count("state.0.max_exp_avg_sq") == (decoupled ? 0u : 1u));

    // A fresh optimizer on identical parameters: copy the trained values, then load the state.
    {
      NoGradGuard no_grad;
      b.W.copy_(a.W);
      b.b.copy_(a.b);
      b.z.copy_(a.z);
    }
    auto opt_b = make(b, decoupled);
    opt_b->param_groups()[0].options().set_lr(0.7);  // overwritten by the file
    load(*opt_b, path);
    CHECK(opt_b->param_groups()[0].options().get_lr() == 0.05);
    step(a, *opt_a);
    step(b, *opt_b);
    CHECK(a.W.equal(b.W));
    CHECK(a.b.equal(b.b));
    CHECK(a.z.equal(b.z));
  }
}

TEST_CASE("Adam, AdamW: a file of another optimizer type is rejected and changes nothing",
          "[optim][serialize][errors]") {
  ember_test::TempDir dir;
  Problem pr(kCPU, kDouble);
  optim::SGD sgd({pr.W, pr.b}, optim::SGDOptions(0.1).momentum(0.9));
  optim::Adam adam({pr.W, pr.b}, optim::AdamOptions(0.05));
  optim::AdamW adamw({pr.W, pr.b}, optim::AdamWOptions(0.05));
  pr.loss().backward();
  sgd.step();
  adam.step();
  adamw.step();
  save(sgd, dir.file("sgd.safetensors"));
  save(adam, dir.file("adam.safetensors"));
  save(adamw, dir.file("adamw.safetensors"));
  optim::Adam fresh_adam({pr.W, pr.b}, optim::AdamOptions(0.3));
  optim::SGD fresh_sgd({pr.W, pr.b}, optim::SGDOptions(0.3));
  require_throws_with([&] { load(fresh_adam, dir.file("sgd.safetensors")); },
                      {"load(optimizer)", "sgd.safetensors", "SGD optimizer, not Adam"});
  require_throws_with([&] { load(fresh_sgd, dir.file("adam.safetensors")); }, {"Adam optimizer, not SGD"});
  require_throws_with([&] { load(fresh_adam, dir.file("adamw.safetensors")); }, {"AdamW optimizer, not Adam"});
  CHECK(fresh_adam.state().empty());
  CHECK(fresh_sgd.state().empty());
  CHECK(fresh_adam.param_groups()[0].options().get_lr() == 0.3);

  // Bad option values and a wrong-shaped moment are refused too, before anything changes.
  SafeTensors s = optimizer_state(adam);
  SafeTensors bad = s;
  bad.metadata["param_groups.0.betas.1"] = "1";
  require_throws_with([&] { load_optimizer_state(fresh_adam, bad, "x"); }, {"x", "beta parameter at index 1"});
  bad = s;
  bad.tensors["state.1.exp_avg"] = zeros({7, 7}, kDouble);
  require_throws_with([&] { load_optimizer_state(fresh_adam, bad, "x"); }, {"state.1.exp_avg", "[7, 7]"});
  bad = s;
  bad.tensors.erase("state.0.step");
  require_throws_with([&] { load_optimizer_state(fresh_adam, bad, "x"); }, {"parameter 0", "incomplete"});
  bad = s;
  bad.tensors["state.0.momentum_buffer"] = s.tensors.at("state.0.exp_avg");
  require_throws_with([&] { load_optimizer_state(fresh_adam, bad, "x"); }, {"unexpected tensor", "momentum_buffer"});
  bad = s;
  bad.metadata["param_groups.0.momentum"] = "0.9";
  require_throws_with([&] { load_optimizer_state(fresh_adam, bad, "x"); }, {"unexpected metadata", "momentum"});
  CHECK(fresh_adam.state().empty());
  CHECK(fresh_adam.param_groups()[0].options().get_lr() == 0.3);
  load_optimizer_state(fresh_adam, s, "x");
  CHECK(fresh_adam.state().size() == 2);
}
