// Optimizer state in checkpoints (Optimizer::save / Optimizer::load, as LibTorch's): the files
// SGD, Adam and AdamW write are frozen in tests/fixtures/optim_*.safetensors (written by the
// serializer before the state moved into the optimizers) and must load and re-save to the same
// bytes; an optimizer defined outside the library checkpoints its own state without any change
// to the serializer; one that does not say how is refused with its type in the message.
#include "helpers.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "ember/optim.h"
#include "ember/serialize.h"

using namespace ember;
using namespace ember_test;

namespace {

std::string fixture_path(const std::string& name) {
  const char* env = std::getenv("EMBER_FIXTURES_DIR");
  return std::string(env && *env ? env : EMBER_FIXTURES_DIR) + "/" + name;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  INFO("reading " << path);
  REQUIRE(in.good());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Exact values (small integers and halves), so the fixtures do not depend on any arithmetic.
Tensor exact(IntArrayRef sizes, double start, ScalarType dtype = kFloat) {
  int64_t n = 1;
  for (int64_t s : sizes) n *= s;
  return arange(n, TensorOptions(kDouble)).mul(0.5).add(start).reshape(sizes).to(dtype);
}

// Four parameters in two groups: float32 and float64, and the last one never stepped (no state).
std::vector<Tensor> make_params() {
  return {exact({2, 3}, 1).requires_grad_(), exact({3}, -2).requires_grad_(), exact({2}, 4, kDouble).requires_grad_(),
          exact({4}, 0).requires_grad_()};
}

template <typename Options>
std::vector<optim::OptimizerParamGroup> two_groups(const std::vector<Tensor>& p, const Options& second) {
  std::vector<optim::OptimizerParamGroup> groups;
  groups.emplace_back(std::vector<Tensor>{p[0], p[1]});
  groups.emplace_back(std::vector<Tensor>{p[2], p[3]}, std::make_unique<Options>(second));
  return groups;
}

std::unique_ptr<optim::SGD> make_sgd(const std::vector<Tensor>& p) {
  return std::make_unique<optim::SGD>(two_groups(p, optim::SGDOptions(0.01).momentum(0.5).dampening(0.25)),
                                      optim::SGDOptions(0.1).momentum(0.9).weight_decay(1e-4).nesterov(true));
}

template <typename Opt, typename Options>
std::unique_ptr<Opt> make_adam(const std::vector<Tensor>& p, Options defaults) {
  return std::make_unique<Opt>(
      two_groups(p, Options(3e-4).betas(std::make_tuple(0.8, 0.99)).eps(1e-6).weight_decay(0.02)),
      defaults.amsgrad(true));
}

// The state a few steps would leave, set directly: exact values, as the fixtures hold.
void fill_sgd(optim::SGD& sgd, const std::vector<Tensor>& p) {
  for (int i = 0; i < 3; ++i) {
    auto st = std::make_unique<optim::SGDParamState>();
    st->momentum_buffer(exact(p[size_t(i)].sizes(), 10 * (i + 1), p[size_t(i)].scalar_type()));
    sgd.state()[p[size_t(i)].unsafeGetTensorImpl()] = std::move(st);
  }
}

template <typename State>
void fill_adam(optim::Optimizer& opt, const std::vector<Tensor>& p) {
  for (int i = 0; i < 3; ++i) {
    const Tensor& q = p[size_t(i)];
    auto st = std::make_unique<State>();
    st->step(7 + i);
    st->exp_avg(exact(q.sizes(), i - 1.5, q.scalar_type()));
    st->exp_avg_sq(exact(q.sizes(), i + 0.25, q.scalar_type()));
    if (i < 2) st->max_exp_avg_sq(exact(q.sizes(), i + 2, q.scalar_type()));  // amsgrad: group 0 only
    opt.state()[q.unsafeGetTensorImpl()] = std::move(st);
  }
}

std::string state_bytes(const optim::Optimizer& opt) {
  const SafeTensors s = optimizer_state(opt);
  return save_tensors_to_bytes(s.tensors, s.metadata);
}

template <typename State>
void require_same_state(const optim::Optimizer& a, const optim::Optimizer& b, const std::vector<Tensor>& pa,
                        const std::vector<Tensor>& pb) {
  for (size_t i = 0; i < pa.size(); ++i) {
    INFO("parameter " << i);
    const auto* sa = dynamic_cast<const State*>(a.state_of(pa[i]));
    const auto* sb = dynamic_cast<const State*>(b.state_of(pb[i]));
    REQUIRE((sa == nullptr) == (sb == nullptr));
    if (sa != nullptr) REQUIRE(*sa == *sb);
  }
  REQUIRE(a.state().size() == b.state().size());
}

}  // namespace

/// An Adam-family optimizer's frozen state file (tests/fixtures/NAME.safetensors) is what the
/// current code writes, loads into an optimizer with other options, and re-saves to the same bytes.
template <typename Opt, typename Options, typename State>
void check_adam_fixture(const std::string& name) {
  const auto p = make_params();
  auto written = make_adam<Opt>(p, Options(1e-3));
  fill_adam<State>(*written, p);
  const std::string golden = read_bytes(fixture_path(name + ".safetensors"));
  REQUIRE(state_bytes(*written) == golden);
  const auto q = make_params();
  Opt loaded(two_groups(q, Options(1)), Options(2));
  load(loaded, fixture_path(name + ".safetensors"));
  require_same_state<State>(*written, loaded, p, q);
  REQUIRE(static_cast<const Options&>(loaded.param_groups()[1].options()) ==
          static_cast<const Options&>(written->param_groups()[1].options()));
  REQUIRE(state_bytes(loaded) == golden);
}

/// An optimizer saved after two steps and loaded into a fresh one (on copies of the parameters)
/// takes the same third step, bit for bit, as the one that kept running; the state re-saves to
/// the same bytes.
template <typename Opt, typename Options, typename State>
void check_resume(const Options& defaults, const Options& second) {
  const auto p = make_params(), q = make_params();
  auto step = [](optim::Optimizer& opt, const std::vector<Tensor>& ps, double k) {
    for (size_t i = 0; i < 3; ++i) ps[i].mutable_grad() = exact(ps[i].sizes(), k - double(i), ps[i].scalar_type());
    opt.step();
  };
  Opt running(two_groups(p, second), defaults);
  step(running, p, 1);
  step(running, p, 2.5);
  Opt resumed(two_groups(q, second), defaults);
  {
    NoGradGuard no_grad;
    for (size_t i = 0; i < p.size(); ++i) q[i].copy_(p[i]);
  }
  load_optimizer_state(resumed, optimizer_state(running), "memory");
  require_same_state<State>(running, resumed, p, q);
  REQUIRE(state_bytes(resumed) == state_bytes(running));
  step(running, p, -1);
  step(resumed, q, -1);
  for (size_t i = 0; i < p.size(); ++i) REQUIRE(equal(p[i], q[i]));
}

TEST_CASE("optimizer state: RMSprop and Adagrad resume exactly from their saved state", "[serialize][optim]") {
  using R = optim::RMSpropOptions;
  using G = optim::AdagradOptions;
  SECTION("RMSprop") {
    check_resume<optim::RMSprop, R, optim::RMSpropParamState>(R(0.01).momentum(0.9).centered(true),
                                                              R(0.02).weight_decay(0.1));
  }
  SECTION("Adagrad") {
    check_resume<optim::Adagrad, G, optim::AdagradParamState>(G(0.1).lr_decay(0.01),
                                                              G(0.05).initial_accumulator_value(0.5));
  }
}

TEST_CASE("optimizer state: SGD, Adam and AdamW files of earlier versions load and re-save to the same bytes",
          "[serialize][optim]") {
  SECTION("SGD") {
    const auto p = make_params();
    auto sgd = make_sgd(p);
    fill_sgd(*sgd, p);
    const std::string golden = read_bytes(fixture_path("optim_sgd.safetensors"));
    REQUIRE(state_bytes(*sgd) == golden);
    const auto q = make_params();
    auto loaded = std::make_unique<optim::SGD>(two_groups(q, optim::SGDOptions(1)), optim::SGDOptions(2));
    load(*loaded, fixture_path("optim_sgd.safetensors"));
    require_same_state<optim::SGDParamState>(*sgd, *loaded, p, q);
    for (size_t g = 0; g < 2; ++g)
      REQUIRE(static_cast<const optim::SGDOptions&>(loaded->param_groups()[g].options()) ==
              static_cast<const optim::SGDOptions&>(sgd->param_groups()[g].options()));
    REQUIRE(state_bytes(*loaded) == golden);
  }
  SECTION("Adam") { check_adam_fixture<optim::Adam, optim::AdamOptions, optim::AdamParamState>("optim_adam"); }
  SECTION("AdamW") { check_adam_fixture<optim::AdamW, optim::AdamWOptions, optim::AdamWParamState>("optim_adamw"); }
}

namespace {

// An optimizer the library does not know, checkpointing its own options and state through the
// same virtual pair as SGD: plain gradient descent that also counts each parameter's steps.
struct CountingOptions : optim::OptimizerCloneableOptions<CountingOptions> {
  explicit CountingOptions(double lr) : lr(lr) {}
  double lr;
  double get_lr() const override { return lr; }
  void set_lr(double v) override { lr = v; }
};

struct CountingState : optim::OptimizerCloneableParamState<CountingState> {
  int64_t steps = 0;
};

class CountingGD : public optim::Optimizer {
 public:
  CountingGD(std::vector<Tensor> params, double lr)
      : Optimizer(std::move(params), std::make_unique<CountingOptions>(lr)) {}

  Tensor step(LossClosure closure = nullptr) override {
    Tensor loss = run_closure(closure);
    NoGradGuard no_grad;
    for (auto& group : param_groups_) {
      for (auto& p : group.params()) {
        if (!p.grad().defined()) continue;
        p.add_(p.grad(), -group.options().get_lr());
        auto& slot = state_[p.unsafeGetTensorImpl()];
        if (!slot) slot = std::make_unique<CountingState>();
        static_cast<CountingState&>(*slot).steps += 1;
      }
    }
    return loss;
  }

  void save(SafeTensors& archive) const override {
    archive.metadata["optimizer"] = "CountingGD";
    archive.metadata["lr"] = std::to_string(param_groups_.at(0).options().get_lr());
    const std::vector<Tensor> params = all_parameters();
    for (size_t i = 0; i < params.size(); ++i)
      if (const auto* st = static_cast<const CountingState*>(state_of(params[i])))
        archive.tensors["steps." + std::to_string(i)] = full(std::vector<int64_t>{}, Scalar(st->steps), kLong);
  }

  void load(const SafeTensors& archive, const std::string& source) override {
    auto kind = archive.metadata.find("optimizer");
    EMBER_CHECK(kind != archive.metadata.end() && kind->second == "CountingGD", "CountingGD::load: ", source,
                " is not a CountingGD state");
    const std::vector<Tensor> params = all_parameters();
    StateMap fresh;
    for (size_t i = 0; i < params.size(); ++i) {
      auto it = archive.tensors.find("steps." + std::to_string(i));
      if (it == archive.tensors.end()) continue;
      auto st = std::make_unique<CountingState>();
      st->steps = it->second.item<int64_t>();
      fresh[params[i].unsafeGetTensorImpl()] = std::move(st);
    }
    state_ = std::move(fresh);
    param_groups_.at(0).options().set_lr(std::stod(archive.metadata.at("lr")));
  }
};

// An optimizer that does not say how to checkpoint it.
class Unsaveable : public optim::Optimizer {
 public:
  explicit Unsaveable(std::vector<Tensor> params)
      : Optimizer(std::move(params), std::make_unique<CountingOptions>(1)) {}
  Tensor step(LossClosure closure = nullptr) override { return run_closure(closure); }
};

int64_t steps_of(const optim::Optimizer& opt, const Tensor& p) {
  const auto* st = static_cast<const CountingState*>(opt.state_of(p));
  return st == nullptr ? -1 : st->steps;
}

}  // namespace

TEST_CASE("optimizer state: an optimizer defined outside the library saves and loads its own state",
          "[serialize][optim]") {
  TempDir dir;
  Tensor a = exact({3}, 1).requires_grad_(), b = exact({2}, 0).requires_grad_();
  CountingGD opt({a, b}, 0.25);
  a.mutable_grad() = ones_like(a);
  opt.step();
  opt.step();
  opt.param_groups()[0].options().set_lr(0.5);
  save(opt, dir.file("counting.safetensors"));
  Checkpoint ck;
  ck.add_optimizer("optimizer.", opt);
  ck.save(dir.file("ck.safetensors"));
  REQUIRE(ck.metadata.at("optimizer.optimizer") == "CountingGD");
  REQUIRE(ck.tensors.count("optimizer.steps.0") == 1);
  REQUIRE(ck.tensors.count("optimizer.steps.1") == 0);  // b has no gradient: never stepped

  Tensor a2 = exact({3}, 1).requires_grad_(), b2 = exact({2}, 0).requires_grad_();
  CountingGD back({a2, b2}, 0.1);
  load(back, dir.file("counting.safetensors"));
  REQUIRE(steps_of(back, a2) == 2);
  REQUIRE(steps_of(back, b2) == -1);
  REQUIRE(back.param_groups()[0].options().get_lr() == 0.5);

  CountingGD from_ck({a2, b2}, 0.1);
  Checkpoint::load(dir.file("ck.safetensors")).load_optimizer("optimizer.", from_ck);
  REQUIRE(steps_of(from_ck, a2) == 2);
  REQUIRE(from_ck.param_groups()[0].options().get_lr() == 0.5);

  // Each side refuses the other's file with its own message.
  optim::SGD sgd({a2, b2}, optim::SGDOptions(0.1));
  require_throws_with(
      [&] { load(sgd, dir.file("counting.safetensors")); },
      {"load(optimizer): '", "counting.safetensors' holds the state of a CountingGD optimizer, not SGD"});
  save(sgd, dir.file("sgd.safetensors"));
  require_throws_with([&] { load(back, dir.file("sgd.safetensors")); },
                      {"CountingGD::load", "is not a CountingGD state"});
  REQUIRE(steps_of(back, a2) == 2);
}

TEST_CASE("optimizer state: an optimizer that does not override save and load is refused, naming its type",
          "[serialize][optim][errors]") {
  TempDir dir;
  Tensor a = exact({3}, 1).requires_grad_();
  Unsaveable opt({a});
  require_throws_with([&] { save(opt, dir.file("u.safetensors")); },
                      {"save(optimizer): an optimizer of type (anonymous namespace)::Unsaveable cannot be saved",
                       "does not override Optimizer::save and Optimizer::load"});
  REQUIRE_FALSE(std::filesystem::exists(dir.file("u.safetensors")));
  Checkpoint ck;
  require_throws_with([&] { ck.add_optimizer("optimizer.", opt); }, {"Unsaveable cannot be saved"});
  REQUIRE(ck.metadata.empty());

  optim::SGD sgd({exact({3}, 1).requires_grad_()}, optim::SGDOptions(0.1));
  save(sgd, dir.file("sgd.safetensors"));
  require_throws_with([&] { load(opt, dir.file("sgd.safetensors")); },
                      {"load(optimizer): '",
                       "sgd.safetensors': an optimizer of type (anonymous namespace)::Unsaveable "
                       "cannot be loaded"});
}

// Writes the fixtures above; run by hand (ember_tests "[.write_optim_fixtures]") only to add one
// for a new optimizer: an existing file must never change, old checkpoints have to keep loading.
TEST_CASE("write the optimizer state fixtures", "[.write_optim_fixtures]") {
  const auto p = make_params();
  auto sgd = make_sgd(p);
  fill_sgd(*sgd, p);
  save(*sgd, fixture_path("optim_sgd.safetensors"));
  auto adam = make_adam<optim::Adam>(p, optim::AdamOptions(1e-3));
  fill_adam<optim::AdamParamState>(*adam, p);
  save(*adam, fixture_path("optim_adam.safetensors"));
  auto adamw = make_adam<optim::AdamW>(p, optim::AdamWOptions(1e-3));
  fill_adam<optim::AdamWParamState>(*adamw, p);
  save(*adamw, fixture_path("optim_adamw.safetensors"));
  SUCCEED();
}
