// Rows of docs/reliability.md that no other test file covered: set_num_threads(0), the parts of
// loading an optimizer's state that test_serialize.cpp leaves out (each rejection leaves the
// optimizer as it was), header rules and a folder given to the safetensors reader, non-UTF-8
// names given to the writer, and (on a GPU) an op given tensors on two devices. Each check names the text the doc
// quotes.
#include "helpers.h"

#include <functional>

#include "ember/nn.h"
#include "ember/optim.h"
#include "ember/serialize.h"

using namespace ember;
using ember_test::require_throws_with;

namespace {

// The state of an SGD with momentum after one step over two parameters: a valid file's content,
// which each case below breaks in one place.
struct TwoParams {
  Tensor w = ones({2, 3}).requires_grad_();
  Tensor b = zeros({3}).requires_grad_();
  optim::SGD sgd{std::vector<Tensor>{w, b}, optim::SGDOptions(0.1).momentum(0.9)};
  SafeTensors state;
  TwoParams() {
    w.mutable_grad() = ones_like(w);
    b.mutable_grad() = ones_like(b);
    sgd.step();
    state = optimizer_state(sgd);
  }
};

// Loads `state` into a fresh optimizer with momentum 0.5 and no state, requires the error, and
// requires that the optimizer is untouched (no state, old options).
void require_rejected(const SafeTensors& state, std::initializer_list<std::string> parts) {
  Tensor w = ones({2, 3}).requires_grad_();
  Tensor b = zeros({3}).requires_grad_();
  optim::SGD fresh(std::vector<Tensor>{w, b}, optim::SGDOptions(0.3).momentum(0.5));
  require_throws_with([&] { load_optimizer_state(fresh, state, "'o.st'"); }, parts);
  REQUIRE(fresh.state().empty());
  REQUIRE(fresh.param_groups()[0].options().get_lr() == 0.3);
}

}  // namespace

TEST_CASE("reliability: set_num_threads rejects a count below 1 and changes nothing", "[errors]") {
  const int before = get_num_threads();
  require_throws_with([] { set_num_threads(0); }, {"set_num_threads: expected a positive number of threads, got 0"});
  require_throws_with([] { set_num_threads(-2); }, {"got -2"});
  REQUIRE(get_num_threads() == before);
}

TEST_CASE("reliability: optimizer state of another kind or with bad metadata is rejected", "[serialize]") {
  TwoParams good;
  {
    // Sanity: the unbroken state loads.
    Tensor w = ones({2, 3}).requires_grad_();
    Tensor b = zeros({3}).requires_grad_();
    optim::SGD fresh(std::vector<Tensor>{w, b}, optim::SGDOptions(0.3));
    load_optimizer_state(fresh, good.state, "'o.st'");
    REQUIRE(fresh.state().size() == 2);
    REQUIRE(fresh.param_groups()[0].options().get_lr() == 0.1);
  }
  auto with_meta = [&](const std::string& key, const std::string& value) {
    SafeTensors s = good.state;
    s.metadata[key] = value;
    return s;
  };
  require_rejected(with_meta("optimizer", "Adam"),
                   {"load(optimizer): 'o.st' holds the state of a Adam optimizer, not SGD"});
  require_rejected(with_meta("param_groups", "2"), {"load(optimizer): 'o.st' has 2 parameter groups, the optimizer 1"});
  require_rejected(with_meta("param_groups", "one"),
                   {"metadata \"param_groups\" = \"one\" is not a non-negative integer"});
  require_rejected(with_meta("param_groups.0.lr", "fast"),
                   {"load(optimizer): 'o.st': metadata \"param_groups.0.lr\" = \"fast\" is not a finite number"});
  require_rejected(with_meta("param_groups.0.lr", "inf"), {"\"inf\" is not a finite number"});
  require_rejected(with_meta("param_groups.0.nesterov", "yes"),
                   {"\"param_groups.0.nesterov\" = \"yes\" is not true or false"});
  require_rejected(with_meta("param_groups.0.momentum", "-1"),
                   {"load(optimizer): 'o.st': SGD parameter group 0: invalid momentum value -1 (must be >= 0)"});
  {
    SafeTensors s = with_meta("param_groups.0.nesterov", "true");
    s.metadata["param_groups.0.momentum"] = "0";
    require_rejected(s, {"SGD parameter group 0: Nesterov momentum requires a momentum and zero dampening (got "
                         "momentum 0, dampening 0)"});
  }
  require_rejected(with_meta("epoch", "3"), {"load(optimizer): 'o.st' has unexpected metadata \"epoch\""});
  {
    SafeTensors s = good.state;
    s.metadata.erase("param_groups.0.dampening");
    require_rejected(s, {"load(optimizer): 'o.st' lacks metadata \"param_groups.0.dampening\""});
  }
}

TEST_CASE("reliability: optimizer buffers with unknown names or indices are rejected", "[serialize]") {
  TwoParams good;
  auto with_tensor = [&](const std::string& key, const Tensor& t) {
    SafeTensors s = good.state;
    s.tensors[key] = t;
    return s;
  };
  require_rejected(with_tensor("state.0.velocity", zeros({2, 3})),
                   {"'o.st' has unexpected tensor \"state.0.velocity\" (SGD state is state.<index>.momentum_buffer)"});
  require_rejected(with_tensor("state.2.momentum_buffer", zeros({3})),
                   {"'o.st': \"state.2.momentum_buffer\" names parameter 2 but the optimizer has 2"});
  require_rejected(with_tensor("state.1.momentum_buffer", zeros({3}, kDouble)),
                   {"\"state.1.momentum_buffer\" is [3] float64 cpu but parameter 1 is [3] float32 cpu"});
}

namespace {

// A safetensors file from an (unpadded) header and a data section.
std::string safetensors_bytes(const std::string& header, const std::string& data = "") {
  std::string out(8, '\0');
  const uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[size_t(i)] = char((n >> (8 * i)) & 0xFF);
  return out + header + data;
}

void parse_bytes(const std::string& bytes) { (void)load_tensors_from_bytes(bytes.data(), bytes.size(), "t.st"); }

}  // namespace

TEST_CASE("reliability: safetensors header rules that test_serialize.cpp does not reach", "[serialize]") {
  require_throws_with([] { parse_bytes(safetensors_bytes(R"({"x":1})")); },
                      {"load_tensors: 't.st': tensor \"x\" must be described by an object, got a number"});
  std::string shape = "[1";
  for (int i = 1; i < 65; ++i) shape += ",1";
  shape += "]";
  require_throws_with(
      [&] {
        parse_bytes(
            safetensors_bytes(R"({"x":{"dtype":"F32","shape":)" + shape + R"(,"data_offsets":[0,4]}})", "1234"));
      },
      {"load_tensors: 't.st': tensor \"x\" has 65 dimensions, more than the 64 allowed"});
  require_throws_with(
      [] {
        parse_bytes(
            safetensors_bytes(R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8,9]}})", std::string(8, '\0')));
      },
      {"tensor \"x\": data_offsets must be [begin, end], got 3 numbers"});
  require_throws_with([] { parse_bytes(safetensors_bytes(R"({"__metadata__":[1]})")); },
                      {"\"__metadata__\" must be an object of strings, got an array"});
  // The writer refuses what no reader could parse, before touching the file.
  require_throws_with(
      [] {
        (void)save_tensors_to_bytes({{"\xff", ones({1})}});
      },
      {"save_tensors: tensor name", "is not valid UTF-8 (bad byte at offset 0); safetensors headers are UTF-8 JSON"});
  require_throws_with(
      [] {
        (void)save_tensors_to_bytes({{"x", ones({1})}}, {{"k", "\xfe"}});
      },
      {"save_tensors: metadata value", "is not valid UTF-8"});
}

TEST_CASE("reliability: a state_dict with an undefined tensor is rejected before anything is copied", "[serialize]") {
  nn::Linear fc(2, 3);
  TensorMap state = state_dict(*fc);
  const Tensor before = fc->weight.clone();
  state["weight"] = zeros({3, 2});
  state["bias"] = Tensor();
  require_throws_with([&] { load_state_dict(*fc, state, "my state"); },
                      {"load(module): my state: tensor \"bias\" is undefined"});
  ember_test::require_equal(fc->weight, before);
}

TEST_CASE("reliability: loading a folder as a safetensors file says it is not a regular file", "[serialize]") {
  const ember_test::TempDir dir;
  require_throws_with([&] { load_tensors(dir.str()); }, {"load_tensors: '" + dir.str() + "' is not a regular file"});
}

TEST_CASE("cuda: an op given tensors on two devices names both", "[cuda]") {
  EMBER_REQUIRE_CUDA();
  const Tensor g = ones({2, 2}, kCUDA);
  const Tensor c = ones({2, 2});
  require_throws_with(
      [&] { (void)(g + c); },
      {"add: expected all tensors to be on the same device, but found [2, 2] float32 cuda", "and [2, 2] float32 cpu"});
  require_throws_with([&] { (void)c.mm(g); }, {"mm: expected all tensors to be on the same device", "cuda"});
  require_throws_with(
      [&] {
        (void)cat({g, c});
      },
      {"cat: expected all tensors on one device, but tensor 1 is [2, 2] float32 cpu"});
  require_throws_with([&] { (void)g.index_select(0, tensor({int64_t(0)})); },
                      {"index_select: expected all tensors to be on the same device"});
}
