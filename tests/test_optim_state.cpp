// Optimizer state in checkpoints (Optimizer::save / Optimizer::load, as LibTorch's): the files
// SGD, Adam and AdamW write are frozen in tests/fixtures/optim_*.safetensors (written by the
// serializer before the state moved into the optimizers) and must load and re-save to the same
// bytes; an optimizer defined outside the library checkpoints its own state without any change
// to the serializer; one that does not say how is refused with its type in the message.
#include "helpers.h"

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "ember/optim.h"
#include "ember/serialize.h"

using namespace ember;
using ember_test::require_equal;
using ember_test::require_throws_with;
using ember_test::TempDir;

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
  return {exact({2, 3}, 1).requires_grad_(), exact({3}, -2).requires_grad_(),
          exact({2}, 4, kDouble).requires_grad_(), exact({4}, 0).requires_grad_()};
}

template <typename Options>
std::vector<optim::OptimizerParamGroup> two_groups(const std::vector<Tensor>& p, const Options& second) {
  std::vector<optim::OptimizerParamGroup> groups;
  groups.emplace_back(std::vector<Tensor>{p[0], p[1]});
  groups.emplace_back(std::vector<Tensor>{p[2], p[3]}, std::make_unique<Options>(second));
  return groups;
}

std::unique_ptr<optim::SGD> make_sgd(const std::vector<Tensor>& p) {
  return std::make_unique<optim::SGD>(
      two_groups(p, optim::SGDOptions(0.01).momentum(0.5).dampening(0.25)),
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
  SECTION("Adam") {
    const auto p = make_params();
    auto adam = make_adam<optim::Adam>(p, optim::AdamOptions(1e-3));
    fill_adam<optim::AdamParamState>(*adam, p);
    const std::string golden = read_bytes(fixture_path("optim_adam.safetensors"));
    REQUIRE(state_bytes(*adam) == golden);
    const auto q = make_params();
    optim::Adam loaded(two_groups(q, optim::AdamOptions(1)), optim::AdamOptions(2));
    load(loaded, fixture_path("optim_adam.safetensors"));
    require_same_state<optim::AdamParamState>(*adam, loaded, p, q);
    REQUIRE(static_cast<const optim::AdamOptions&>(loaded.param_groups()[1].options()) ==
            static_cast<const optim::AdamOptions&>(adam->param_groups()[1].options()));
    REQUIRE(state_bytes(loaded) == golden);
  }
  SECTION("AdamW") {
    const auto p = make_params();
    auto adamw = make_adam<optim::AdamW>(p, optim::AdamWOptions(1e-3));
    fill_adam<optim::AdamWParamState>(*adamw, p);
    const std::string golden = read_bytes(fixture_path("optim_adamw.safetensors"));
    REQUIRE(state_bytes(*adamw) == golden);
    const auto q = make_params();
    optim::AdamW loaded(two_groups(q, optim::AdamWOptions(1)), optim::AdamWOptions(2));
    load(loaded, fixture_path("optim_adamw.safetensors"));
    require_same_state<optim::AdamWParamState>(*adamw, loaded, p, q);
    REQUIRE(state_bytes(loaded) == golden);
  }
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
