#pragma once
// The tutorial's six CIFAR-10 trainings, each as a step function (one SGD step on a batch,
// returning the loss) and an inference function, built the way the PyTorch tutorial builds them:
// barebones (functional API, hand-written updates), Module subclasses, and Sequential.
#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "barebones.h"
#include "ember/ember.h"
#include "ember/optim.h"

namespace cifar {

namespace nn = ember::nn;
namespace F = ember::nn::functional;
using ember::Tensor;

// --- level 2: Module subclasses ----------------------------------------------------------------------
struct TwoLayerFCImpl : nn::Module {
  TwoLayerFCImpl(int64_t input_size, int64_t hidden_size, int64_t num_classes)
      : fc1(register_module("fc1", nn::Linear(input_size, hidden_size))),
        fc2(register_module("fc2", nn::Linear(hidden_size, num_classes))) {
    nn::init::kaiming_normal_(fc1->weight);
    nn::init::kaiming_normal_(fc2->weight);
  }
  Tensor forward(const Tensor& x) { return fc2(F::relu(fc1(x.flatten(1)))); }
  nn::Linear fc1, fc2;
};
EMBER_MODULE(TwoLayerFC);

struct ThreeLayerConvNetImpl : nn::Module {
  ThreeLayerConvNetImpl(int64_t in_channel, int64_t channel_1, int64_t channel_2, int64_t num_classes)
      : conv1(register_module("conv1", nn::Conv2d(nn::Conv2dOptions(in_channel, channel_1, 5).padding(2)))),
        conv2(register_module("conv2", nn::Conv2d(nn::Conv2dOptions(channel_1, channel_2, 3).padding(1)))),
        fc(register_module("fc", nn::Linear(channel_2 * 32 * 32, num_classes))) {
    nn::init::kaiming_normal_(conv1->weight);
    nn::init::kaiming_normal_(conv2->weight);
    nn::init::kaiming_normal_(fc->weight);
  }
  Tensor forward(const Tensor& x) {
    return fc(F::relu(conv2(F::relu(conv1(x)))).flatten(1));
  }
  nn::Conv2d conv1, conv2;
  nn::Linear fc;
};
EMBER_MODULE(ThreeLayerConvNet);

// --- a training: step and inference ------------------------------------------------------------------
struct Hyper {
  double lr = 0, momentum = 0;
  bool nesterov = false;
};

struct Training {
  std::function<Tensor(const Tensor& x, const Tensor& y)> step;  // returns the loss
  std::function<Tensor(const Tensor& x)> infer;                  // scores, eval mode
  std::shared_ptr<nn::Module> module;                            // null for barebones
  std::shared_ptr<ember::optim::Optimizer> optimizer;            // null for barebones
  std::vector<Tensor> params;                                    // barebones: the weights
  std::function<void(const Hyper&)> set_hyper;                   // new lr (momentum, nesterov) for later steps
};

/// The trainings' names, in the order --help lists them.
inline const std::vector<std::string>& model_names() {
  static const std::vector<std::string> names{"barebones_fc", "barebones_conv", "module_fc",
                                              "module_conv",  "sequential_fc",  "sequential_conv"};
  return names;
}

/// Empty for one of model_names(), else the message that lists them.
inline std::string unknown_model(const std::string& model) {
  const auto& names = model_names();
  if (std::find(names.begin(), names.end(), model) != names.end()) return "";
  std::string list;
  for (size_t i = 0; i < names.size(); ++i) list += (i == 0 ? "" : i + 1 < names.size() ? ", " : " or ") + names[i];
  return "unknown model '" + model + "' (expected " + list + ")";
}

/// The tutorial's defaults for each training (lr, momentum, nesterov).
inline Hyper defaults(const std::string& model) {
  if (model == "barebones_fc" || model == "module_fc") return {1e-2, 0, false};
  if (model == "barebones_conv" || model == "module_conv") return {3e-3, 0, false};
  if (model == "sequential_fc" || model == "sequential_conv") return {1e-2, 0.9, true};
  throw ember::Error(unknown_model(model));
}

/// Why `lr`, named `name` ("--lr", or "lr" in a checkpoint), cannot train; empty when it can.
/// The parameters are float32, so a rate that rounds to 0 or to inf there does nothing or
/// destroys them at the first step.
inline std::string lr_problem(const std::string& name, double lr) {
  if (!(lr > 0) || !std::isfinite(lr)) return name + " must be a positive number";
  if (static_cast<float>(lr) == 0)
    return name + " " + ember::detail::str(lr) + " rounds to 0 in float32, the parameters' type";
  if (std::isinf(static_cast<float>(lr)))
    return name + " " + ember::detail::str(lr) + " overflows float32, the parameters' type, to inf";
  return "";
}

/// Why `momentum` cannot train; empty when it can.
inline std::string momentum_problem(const std::string& name, double momentum) {
  if (!(momentum >= 0 && momentum < 1)) return name + " must be in [0, 1)";
  return "";
}

inline Training barebones_training(std::function<Tensor(const Tensor&, const std::vector<Tensor>&)> model,
                                   std::vector<Tensor> params, double lr) {
  Training t;
  // Shared with set_hyper, so a resumed run can take the checkpoint's rate or a new --lr.
  auto rate = std::make_shared<double>(lr);
  t.step = [model, params, rate](const Tensor& x, const Tensor& y) {
    Tensor loss = F::cross_entropy(model(x, params), y);
    loss.backward();
    barebones::sgd_step(params, *rate);
    return loss;
  };
  t.infer = [model, params](const Tensor& x) { return model(x, params); };
  t.params = params;
  t.set_hyper = [rate](const Hyper& h) { *rate = h.lr; };
  return t;
}

template <typename Net>
Training module_training(Net net, const Hyper& h) {
  Training t;
  t.module = net.ptr();
  auto opt = std::make_shared<ember::optim::SGD>(
      net->parameters(), ember::optim::SGDOptions(h.lr).momentum(h.momentum).nesterov(h.nesterov));
  t.optimizer = opt;
  t.step = [net, opt](const Tensor& x, const Tensor& y) mutable {
    net->train();
    Tensor loss = F::cross_entropy(net->forward(x), y);
    opt->zero_grad();
    loss.backward();
    opt->step();
    return loss;
  };
  t.infer = [net](const Tensor& x) mutable {
    net->eval();
    return net->forward(x);
  };
  t.set_hyper = [opt](const Hyper& h) {
    for (auto& group : opt->param_groups()) {
      auto& o = static_cast<ember::optim::SGDOptions&>(group.options());
      o.lr(h.lr).momentum(h.momentum).nesterov(h.nesterov);
    }
  };
  return t;
}

/// Builds a training on `device`; the caller seeds the generator first.
inline Training build(const std::string& model, const Hyper& h, ember::Device device) {
  using barebones::random_weight;
  using barebones::zero_weight;
  if (model == "barebones_fc") {
    return barebones_training(barebones::two_layer_fc,
                              {random_weight({3072, 4000}, device), random_weight({4000, 10}, device)}, h.lr);
  }
  if (model == "barebones_conv") {
    return barebones_training(barebones::three_layer_convnet,
                              {random_weight({32, 3, 5, 5}, device), zero_weight({32}, device),
                               random_weight({16, 32, 3, 3}, device), zero_weight({16}, device),
                               random_weight({16 * 32 * 32, 10}, device), zero_weight({10}, device)},
                              h.lr);
  }
  if (model == "module_fc") {
    TwoLayerFC net(3072, 4000, 10);
    net->to(device);
    return module_training(net, h);
  }
  if (model == "module_conv") {
    ThreeLayerConvNet net(3, 32, 16, 10);
    net->to(device);
    return module_training(net, h);
  }
  if (model == "sequential_fc") {
    nn::Sequential net(nn::Flatten(), nn::Linear(3072, 4000), nn::ReLU(), nn::Linear(4000, 10));
    net->to(device);
    return module_training(net, h);
  }
  if (model == "sequential_conv") {
    nn::Sequential net(nn::Conv2d(nn::Conv2dOptions(3, 32, 5).padding(2)), nn::ReLU(),
                       nn::Conv2d(nn::Conv2dOptions(32, 16, 3).padding(1)), nn::ReLU(), nn::Flatten(),
                       nn::Linear(16 * 32 * 32, 10));
    net->to(device);
    return module_training(net, h);
  }
  defaults(model);  // throws the unknown-model error
  return {};
}

}  // namespace cifar
