// nn::Module, holders, Sequential, the layers' bookkeeping and default initialisation, and
// nn::init. The numerical ops inside the layers are tested with the functional ops; here the
// questions are names, order, identity of handles, modes and the statistics of initialisers.
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "catch.h"
#include "ember/ember.h"
#include "helpers.h"

using namespace ember;
namespace F = ember::nn::functional;

namespace {

// The tutorial's two-layer network, written against the LibTorch API.
struct TwoLayerFCImpl : nn::Module {
  TwoLayerFCImpl(int64_t in, int64_t hidden, int64_t classes) {
    fc1 = register_module("fc1", nn::Linear(in, hidden));
    fc2 = register_module("fc2", nn::Linear(nn::LinearOptions(hidden, classes).bias(false)));
  }
  Tensor forward(Tensor x) { return fc2(F::relu(fc1(x.flatten(1)))); }
  nn::Linear fc1{nullptr}, fc2{nullptr};
};
EMBER_MODULE(TwoLayerFC);

// A module with its own parameter and buffer, and a nested child, for the name walks.
struct BlockImpl : nn::Module {
  BlockImpl() {
    scale = register_parameter("scale", ones({3}));
    steps = register_buffer("steps", zeros({1}));
    body = register_module("body", TwoLayerFC(4, 3, 2));
  }
  Tensor forward(const Tensor& x) { return body(x) * 2; }
  Tensor scale, steps;
  TwoLayerFC body{nullptr};
};
EMBER_MODULE(Block);

double std_of(const Tensor& t) {
  std::vector<double> v = ember_test::values(t);
  double mean = 0;
  for (double x : v) mean += x;
  mean /= double(v.size());
  double var = 0;
  for (double x : v) var += (x - mean) * (x - mean);
  return std::sqrt(var / double(v.size()));
}

double max_abs(const Tensor& t) { return t.abs().max().item<double>(); }

}  // namespace

TEST_CASE("module: registration gives dotted names in registration order", "[nn]") {
  Block block;
  auto params = block->named_parameters();
  REQUIRE(params.keys() == std::vector<std::string>({"scale", "body.fc1.weight", "body.fc1.bias", "body.fc2.weight"}));
  REQUIRE(params.size() == 4);  // fc2 has no bias: registered undefined, and skipped
  REQUIRE(params.contains("body.fc1.bias"));
  REQUIRE(!params.contains("body.fc2.bias"));
  REQUIRE(params["body.fc1.weight"].is_same(block->body->fc1->weight));
  REQUIRE(params[0].key() == "scale");
  REQUIRE(params[0].value().is_same(block->scale));
  REQUIRE(params.values().size() == 4);
  REQUIRE_THROWS_AS(params["nope"], Error);

  REQUIRE(block->parameters().size() == 4);
  REQUIRE(block->parameters(/*recurse=*/false).size() == 1);
  REQUIRE(block->named_parameters(false).keys() == std::vector<std::string>({"scale"}));
  for (const Tensor& p : block->parameters()) REQUIRE(p.requires_grad());

  REQUIRE(block->named_buffers().keys() == std::vector<std::string>({"steps"}));
  REQUIRE(block->buffers().size() == 1);
  REQUIRE(!block->buffers()[0].requires_grad());

  REQUIRE(block->named_children().keys() == std::vector<std::string>({"body"}));
  REQUIRE(block->children().size() == 1);
  auto mods = block->named_modules();
  REQUIRE(mods.keys() == std::vector<std::string>({"", "body", "body.fc1", "body.fc2"}));
  REQUIRE(mods[""].get() == block.get());  // self first
  REQUIRE(block->modules().size() == 4);
  REQUIRE(block->modules(/*include_self=*/false).size() == 3);
  REQUIRE(block->named_modules("net").keys() ==
          std::vector<std::string>({"net", "net.body", "net.body.fc1", "net.body.fc2"}));

  // as<>() reaches the concrete type through a Module pointer.
  REQUIRE(mods["body.fc1"]->as<nn::Linear>() == block->body->fc1.get());
  REQUIRE(mods["body.fc1"]->as<nn::Conv2dImpl>() == nullptr);
}

TEST_CASE("module: register_parameter rules", "[nn]") {
  nn::Module m;
  Tensor& w = m.register_parameter("w", zeros({2}), /*requires_grad=*/false);
  REQUIRE(!w.requires_grad());
  REQUIRE(m.parameters().size() == 1);
  REQUIRE_THROWS_AS(m.register_parameter("w", zeros({2})), Error);    // duplicate
  REQUIRE_THROWS_AS(m.register_parameter("a.b", zeros({2})), Error);  // dots join names
  REQUIRE_THROWS_AS(m.register_parameter("", zeros({2})), Error);
  REQUIRE_THROWS_AS(m.register_module("x", nn::Linear(nullptr)), Error);
  REQUIRE(m.name() == "ember::nn::Module");
  REQUIRE(nn::Module("custom").name() == "custom");
  // Listing itself needs a shared_ptr owner; the children alone do not.
  REQUIRE_THROWS_AS(m.modules(), Error);
  REQUIRE(m.modules(/*include_self=*/false).empty());
}

TEST_CASE("holders: empty, ->, *, call, shared identity", "[nn]") {
  nn::Linear empty{nullptr};
  REQUIRE(empty.is_empty());
  REQUIRE(!empty);
  REQUIRE_THROWS_AS(empty->weight, Error);
  REQUIRE_THROWS_AS(empty.ptr(), Error);

  nn::Linear fc(3, 2);
  REQUIRE(!fc.is_empty());
  REQUIRE(fc->weight.sizes() == IntArrayRef({2, 3}));
  REQUIRE((*fc).bias.sizes() == IntArrayRef({2}));
  REQUIRE(fc.get() == fc.ptr().get());
  empty = fc;  // copying a holder shares the module
  REQUIRE(empty.get() == fc.get());

  Tensor x = randn({4, 3});
  Tensor expected = F::linear(x, fc->weight, fc->bias);
  ember_test::require_close(fc(x), expected, 0, 0);
  ember_test::require_close(fc->forward(x), expected, 0, 0);

  nn::Linear no_bias(nn::LinearOptions(3, 2).bias(false));
  REQUIRE(!no_bias->bias.defined());
  REQUIRE(no_bias->parameters().size() == 1);
  REQUIRE(no_bias->options.in_features() == 3);

  TwoLayerFC net(12, 5, 3);
  REQUIRE(net(randn({2, 3, 4})).sizes() == IntArrayRef({2, 3}));
  // register_module returned the same object the parent holds.
  REQUIRE(net->named_children()["fc1"].get() == net->fc1.get());
}

TEST_CASE("sequential: construction, indexing, push_back, forward", "[nn]") {
  nn::Sequential seq(nn::Flatten(), nn::Linear(12, 4), nn::ReLU(), nn::Linear(4, 2));
  REQUIRE(seq->size() == 4);
  REQUIRE(seq->named_parameters().keys() == std::vector<std::string>({"1.weight", "1.bias", "3.weight", "3.bias"}));
  REQUIRE(seq[1]->as<nn::LinearImpl>() != nullptr);
  REQUIRE(seq->ptr(1).get() == seq[1].get());
  REQUIRE(seq->ptr<nn::LinearImpl>(3)->options.out_features() == 2);
  REQUIRE(seq->at<nn::LinearImpl>(1).options.in_features() == 12);
  REQUIRE_THROWS_AS(seq->at<nn::Conv2dImpl>(1), Error);
  REQUIRE_THROWS_AS(seq->ptr(4), Error);

  Tensor x = randn({5, 3, 4});
  auto& fc1 = seq->at<nn::LinearImpl>(1);
  auto& fc2 = seq->at<nn::LinearImpl>(3);
  Tensor expected = F::linear(F::relu(F::linear(x.flatten(1), fc1.weight, fc1.bias)), fc2.weight, fc2.bias);
  ember_test::require_close(seq->forward(x), expected, 1e-6, 1e-6);
  ember_test::require_close(seq(x), expected, 1e-6, 1e-6);

  // Impl shared_ptrs, Impl values, named entries; an unnamed entry is named by its position.
  nn::Sequential built;
  built->push_back(std::make_shared<nn::LinearImpl>(2, 2));
  built->push_back("act", nn::ReLU());
  built->push_back(nn::IdentityImpl());
  REQUIRE(built->named_children().keys() == std::vector<std::string>({"0", "act", "2"}));
  size_t count = 0;
  for (const nn::AnyModule& m : *built) {
    REQUIRE(!m.is_empty());
    ++count;
  }
  REQUIRE(count == 3);

  // The braced named form.
  nn::Sequential named({{"fc", nn::Linear(3, 4)}, {"act", nn::ReLU()}});
  REQUIRE(named->named_parameters().keys() == std::vector<std::string>({"fc.weight", "fc.bias"}));
  REQUIRE(named(randn({2, 3})).sizes() == IntArrayRef({2, 4}));

  nn::Sequential empty;
  REQUIRE(empty->is_empty());
  REQUIRE_THROWS_AS(empty->forward(x), Error);
}

TEST_CASE("sequential: a Sequential nests inside a Sequential", "[nn]") {
  nn::Sequential inner(nn::Linear(4, 3), nn::ReLU());
  nn::Sequential outer(nn::Linear(6, 4), inner, nn::Linear(3, 2));
  REQUIRE(outer->named_parameters().keys() ==
          std::vector<std::string>({"0.weight", "0.bias", "1.0.weight", "1.0.bias", "2.weight", "2.bias"}));
  REQUIRE(outer->named_modules().keys() == std::vector<std::string>({"", "0", "1", "1.0", "1.1", "2"}));
  // The inner Sequential is the same object, not a copy.
  REQUIRE(outer[1].get() == inner.get());

  Tensor x = randn({3, 6});
  Tensor expected = outer->at<nn::LinearImpl>(2).forward(inner(outer->at<nn::LinearImpl>(0).forward(x)));
  ember_test::require_close(outer(x), expected, 1e-6, 1e-6);

  std::ostringstream os;
  os << outer;
  REQUIRE(os.str() ==
          "ember::nn::Sequential(\n"
          "  (0): ember::nn::Linear(in_features=6, out_features=4, bias=true)\n"
          "  (1): ember::nn::Sequential(\n"
          "    (0): ember::nn::Linear(in_features=4, out_features=3, bias=true)\n"
          "    (1): ember::nn::ReLU()\n"
          "  )\n"
          "  (2): ember::nn::Linear(in_features=3, out_features=2, bias=true)\n"
          ")");
}

TEST_CASE("printing: LibTorch's format with ember:: names", "[nn]") {
  nn::Sequential seq(nn::Conv2d(nn::Conv2dOptions(3, 32, 5).padding(2)),
                     nn::Conv2d(nn::Conv2dOptions(3, 8, {3, 5}).stride(2).dilation(2).bias(false)),
                     nn::MaxPool2d(nn::MaxPool2dOptions(2)), nn::Dropout(0.2), nn::BatchNorm2d(16),
                     nn::ReLU(nn::ReLUOptions().inplace(true)), nn::GELU(), nn::Functional(ember::relu),
                     nn::Flatten(nn::FlattenOptions().start_dim(2)));
  std::ostringstream os;
  os << seq;
  REQUIRE(os.str() ==
          "ember::nn::Sequential(\n"
          "  (0): ember::nn::Conv2d(3, 32, kernel_size=[5, 5], stride=[1, 1], padding=[2, 2])\n"
          "  (1): ember::nn::Conv2d(3, 8, kernel_size=[3, 5], stride=[2, 2], dilation=[2, 2], bias=false)\n"
          "  (2): ember::nn::MaxPool2d(kernel_size=[2, 2], stride=[2, 2], padding=[0, 0], dilation=[1, 1], "
          "ceil_mode=false)\n"
          "  (3): ember::nn::Dropout(p=0.2, inplace=false)\n"
          "  (4): ember::nn::BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=true, track_running_stats=true)\n"
          "  (5): ember::nn::ReLU(inplace=true)\n"
          "  (6): ember::nn::GELU()\n"
          "  (7): ember::nn::Functional()\n"
          "  (8): ember::nn::Flatten(start_dim=2, end_dim=-1)\n"
          ")");

  // A user module prints under its type's name, as in LibTorch.
  TwoLayerFC net(4, 3, 2);
  std::ostringstream os2;
  os2 << net;
  REQUIRE(os2.str().find("TwoLayerFCImpl(\n  (fc1): ember::nn::Linear(in_features=4, out_features=3, bias=true)") !=
          std::string::npos);
}

TEST_CASE("summary: one row per layer, nested layers expanded, totals", "[nn]") {
  nn::Sequential seq(nn::Flatten(), nn::Linear(12, 4), nn::Sequential(nn::Linear(4, 3), nn::ReLU()), nn::Dropout());
  std::ostringstream os;
  seq->summary({2, 3, 4}, os);
  const std::string s = os.str();
  REQUIRE(s.find("2.0") != std::string::npos);
  REQUIRE(s.find("[2, 3]") != std::string::npos);
  REQUIRE(s.find("Total params: 67") != std::string::npos);
  REQUIRE(seq->is_training());  // summary runs in eval mode and restores the caller's mode
}

TEST_CASE("train/eval reach every descendant; Dropout follows them", "[nn]") {
  nn::Sequential seq(nn::Linear(8, 8), nn::Sequential(nn::Dropout(0.5)));
  REQUIRE(seq->is_training());
  seq->eval();
  for (const auto& m : seq->modules()) REQUIRE(!m->is_training());
  Tensor x = ones({64, 8});
  nn::Dropout drop(0.5);
  drop->eval();
  ember_test::require_close(drop(x), x, 0, 0);
  seq->train();
  for (const auto& m : seq->modules()) REQUIRE(m->is_training());
  drop->train();
  Tensor y = drop(x);
  const double zeros_frac = (y == 0).sum().item<double>() / double(y.numel());
  REQUIRE(zeros_frac > 0.3);
  REQUIRE(zeros_frac < 0.7);
  REQUIRE_THROWS_AS(nn::Dropout(1.5), Error);
}

TEST_CASE("zero_grad: zeros by default (LibTorch 1.13), resets with set_to_none", "[nn]") {
  TwoLayerFC net(6, 4, 2);
  net(randn({3, 6})).sum().backward();
  for (const Tensor& p : net->parameters()) REQUIRE(p.grad().defined());
  net->zero_grad();
  for (const Tensor& p : net->parameters()) {
    REQUIRE(p.grad().defined());
    REQUIRE(p.grad().abs().sum().item<double>() == 0.0);
  }
  net(randn({3, 6})).sum().backward();
  net->zero_grad(/*set_to_none=*/true);
  for (const Tensor& p : net->parameters()) REQUIRE(!p.grad().defined());
}

TEST_CASE("to(dtype) and to(device) keep the parameter handles", "[nn]") {
  nn::Sequential seq(nn::Conv2d(nn::Conv2dOptions(3, 4, 3).padding(1)), nn::BatchNorm2d(4), nn::Flatten(),
                     nn::Linear(4 * 5 * 5, 2));
  Tensor w = seq->at<nn::Conv2dImpl>(0).weight;  // held by the user, as an optimizer would
  Tensor rm = seq->at<nn::BatchNorm2dImpl>(1).running_mean;
  seq(randn({2, 3, 5, 5})).sum().backward();
  const Tensor before = w.detach().clone();

  seq->to(kDouble);
  REQUIRE(w.is_same(seq->at<nn::Conv2dImpl>(0).weight));
  REQUIRE(w.dtype() == kDouble);
  REQUIRE(w.requires_grad());
  REQUIRE(w.is_leaf());
  REQUIRE(w.grad().dtype() == kDouble);
  REQUIRE(rm.dtype() == kDouble);
  // Integer buffers keep their type, as PyTorch's module.to (LibTorch 1.13 would make it double).
  REQUIRE(seq->at<nn::BatchNorm2dImpl>(1).num_batches_tracked.dtype() == kLong);
  ember_test::require_close(w, before.to(kDouble), 0, 0);
  Tensor y = seq(randn({2, 3, 5, 5}, kDouble));
  REQUIRE(y.dtype() == kDouble);
  y.sum().backward();  // gradients accumulate into the converted grads

  for (Device d : ember_test::test_devices()) {
    seq->to(d);
    REQUIRE(w.is_same(seq->at<nn::Conv2dImpl>(0).weight));
    REQUIRE(w.device() == d);
    REQUIRE(rm.device() == d);
    REQUIRE(seq(randn({2, 3, 5, 5}, TensorOptions().dtype(kDouble).device(d))).device() == d);
  }
  seq->to(Device(kCPU), kFloat);
  REQUIRE(w.dtype() == kFloat);
  REQUIRE(w.is_cpu());
}

TEST_CASE("batch norm: parameters, buffers, running statistics", "[nn]") {
  nn::BatchNorm2d bn(3);
  REQUIRE(bn->named_parameters().keys() == std::vector<std::string>({"weight", "bias"}));
  REQUIRE(bn->named_buffers().keys() ==
          std::vector<std::string>({"running_mean", "running_var", "num_batches_tracked"}));
  ember_test::require_close(bn->weight, ones({3}), 0, 0);
  ember_test::require_close(bn->bias, zeros({3}), 0, 0);

  Tensor x = randn({8, 3, 4, 4}) * 2 + 5;
  Tensor y = bn(x);
  REQUIRE(bn->num_batches_tracked.item<int64_t>() == 1);
  // running_mean moved a tenth of the way from 0 toward the batch mean (about 5).
  const double rm = bn->running_mean.mean().item<double>();
  REQUIRE(rm > 0.35);
  REQUIRE(rm < 0.65);
  // In training the output is normalised per channel.
  REQUIRE(std::abs(y.mean().item<double>()) < 1e-4);
  bn->eval();
  bn(x);
  REQUIRE(bn->num_batches_tracked.item<int64_t>() == 1);

  nn::BatchNorm2d plain(nn::BatchNorm2dOptions(3).affine(false));
  REQUIRE(plain->parameters().empty());
  REQUIRE_THROWS_AS(bn(randn({2, 3})), Error);
}

TEST_CASE("functional: a function as a module", "[nn]") {
  Tensor x = randn({3, 4});
  nn::Functional relu_fn(ember::relu);
  ember_test::require_close(relu_fn(x), ember::relu(x), 0, 0);
  nn::Functional twice([](Tensor t) { return t * 2; });
  ember_test::require_close(twice(x), x * 2, 0, 0);
  nn::Functional lsm(ember::log_softmax, 1, std::nullopt);  // extra arguments follow the input
  ember_test::require_close(lsm(x), ember::log_softmax(x, 1), 0, 0);
  nn::Sequential seq(nn::Functional(ember::relu), twice);
  ember_test::require_close(seq(x), ember::relu(x) * 2, 0, 0);
}

TEST_CASE("default init: Linear and Conv2d as LibTorch (bound 1/sqrt(fan_in))", "[nn][init]") {
  manual_seed(1);
  nn::Linear fc(100, 50);
  const double bound = 1.0 / std::sqrt(100.0);
  REQUIRE(max_abs(fc->weight) <= bound);
  REQUIRE(max_abs(fc->bias) <= bound);
  // U(-b, b) has std b / sqrt(3) = 1 / sqrt(3 * fan_in).
  REQUIRE(std::abs(std_of(fc->weight) - 1.0 / std::sqrt(300.0)) < 0.05 / std::sqrt(300.0));
  REQUIRE(fc->weight.is_leaf());
  REQUIRE(fc->weight.requires_grad());

  nn::Conv2d conv(nn::Conv2dOptions(16, 32, 3));
  REQUIRE(conv->weight.sizes() == IntArrayRef({32, 16, 3, 3}));
  const double cbound = 1.0 / std::sqrt(16.0 * 9.0);
  REQUIRE(max_abs(conv->weight) <= cbound);
  REQUIRE(max_abs(conv->bias) <= cbound);
  REQUIRE(max_abs(conv->weight) > 0.9 * cbound);
}

TEST_CASE("nn::init: gains, fans and the initialisers' statistics", "[nn][init]") {
  REQUIRE(std::abs(nn::init::calculate_gain(kReLU) - (std::sqrt(2.0))) < 1e-12);
  REQUIRE(std::abs(nn::init::calculate_gain(kTanh) - (5.0 / 3.0)) < 1e-12);
  REQUIRE(nn::init::calculate_gain(kLinear) == 1.0);
  REQUIRE(nn::init::calculate_gain(kConv2D) == 1.0);
  REQUIRE(std::abs(nn::init::calculate_gain(kLeakyReLU) - (std::sqrt(2.0 / (1 + 0.01 * 0.01)))) < 1e-12);
  REQUIRE(std::abs(nn::init::calculate_gain(kLeakyReLU, 0.2) - (std::sqrt(2.0 / 1.04))) < 1e-12);

  int64_t fan_in = 0, fan_out = 0;
  std::tie(fan_in, fan_out) = nn::init::_calculate_fan_in_and_fan_out(empty({32, 16, 3, 5}));
  REQUIRE(fan_in == 16 * 15);
  REQUIRE(fan_out == 32 * 15);
  REQUIRE_THROWS_AS(nn::init::_calculate_fan_in_and_fan_out(empty({5})), Error);

  manual_seed(2);
  // A parameter that requires grad is filled without recording a graph.
  Tensor w = empty({1000, 500}).requires_grad_();
  Tensor r = nn::init::kaiming_normal_(w);
  REQUIRE(r.is_same(w));
  REQUIRE(w.is_leaf());
  REQUIRE(std::abs(std_of(w) - std::sqrt(2.0 / 500)) < 0.02 * std::sqrt(2.0 / 500));
  nn::init::kaiming_normal_(w, 0.0, kFanOut, kReLU);
  REQUIRE(std::abs(std_of(w) - std::sqrt(2.0 / 1000)) < 0.02 * std::sqrt(2.0 / 1000));
  nn::init::kaiming_uniform_(w, 0.0, kFanIn, kReLU);
  REQUIRE(max_abs(w) <= std::sqrt(6.0 / 500));
  REQUIRE(max_abs(w) > 0.99 * std::sqrt(6.0 / 500));

  Tensor c = empty({64, 32, 3, 3});
  nn::init::kaiming_normal_(c);  // fan_in = 32 * 3 * 3
  REQUIRE(std::abs(std_of(c) - std::sqrt(2.0 / 288)) < 0.03 * std::sqrt(2.0 / 288));

  nn::init::xavier_uniform_(w);
  const double xb = std::sqrt(6.0 / 1500);
  REQUIRE(max_abs(w) <= xb);
  REQUIRE(max_abs(w) > 0.99 * xb);
  nn::init::xavier_normal_(w, 2.0);
  REQUIRE(std::abs(std_of(w) - 2.0 * std::sqrt(2.0 / 1500)) < 0.02 * 2.0 * std::sqrt(2.0 / 1500));

  nn::init::normal_(w, 3.0, 0.5);
  REQUIRE(std::abs(w.mean().item<double>() - 3.0) < 0.01);
  REQUIRE(std::abs(std_of(w) - 0.5) < 0.01);
  nn::init::uniform_(w, -2.0, -1.0);
  REQUIRE(w.max().item<double>() <= -1.0);
  REQUIRE(w.min().item<double>() >= -2.0);

  Tensor s = empty({3, 2});
  ember_test::require_close(nn::init::zeros_(s), zeros({3, 2}), 0, 0);
  ember_test::require_close(nn::init::ones_(s), ones({3, 2}), 0, 0);
  ember_test::require_close(nn::init::constant_(s, 0.25), full({3, 2}, 0.25), 0, 0);
  ember_test::require_close(nn::init::eye_(s), eye(3, 2), 0, 0);
  REQUIRE_THROWS_AS(nn::init::kaiming_normal_(empty({0, 4})), Error);
}
