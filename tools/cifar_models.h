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
#include "ember/distributed.h"
#include "ember/ember.h"
#include "ember/nn/parallel/distributed.h"
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
  Tensor forward(const Tensor& x) { return fc(F::relu(conv2(F::relu(conv1(x)))).flatten(1)); }
  nn::Conv2d conv1, conv2;
  nn::Linear fc;
};
EMBER_MODULE(ThreeLayerConvNet);

// --- ResNet-20 (He et al. 2016, the CIFAR-10 ResNet) ----------------------------------------------------
// As the reference recipe (../shared/bench/resnet20_torch.py) builds it: 3 stages of 3 basic
// blocks (16, 32, 64 channels), a 1x1 conv + BN projection where a block changes the shape (option B), global
// average pool, Linear; Kaiming-normal (fan_out) conv weights, BatchNorm weight 1 / bias 0.
struct BasicBlockImpl : nn::Module {
  BasicBlockImpl(int64_t cin, int64_t cout, int64_t stride)
      : conv1(register_module("conv1",
                              nn::Conv2d(nn::Conv2dOptions(cin, cout, 3).stride(stride).padding(1).bias(false)))),
        bn1(register_module("bn1", nn::BatchNorm2d(cout))),
        conv2(register_module("conv2", nn::Conv2d(nn::Conv2dOptions(cout, cout, 3).padding(1).bias(false)))),
        bn2(register_module("bn2", nn::BatchNorm2d(cout))) {
    if (stride != 1 || cin != cout)
      shortcut = register_module("short",
                                 nn::Sequential(nn::Conv2d(nn::Conv2dOptions(cin, cout, 1).stride(stride).bias(false)),
                                                nn::BatchNorm2d(cout)));
  }
  Tensor forward(const Tensor& x) {
    // The ReLUs and the residual sum in place: batch norm's backward reads its input, not its
    // output, and the sum's backward reads neither, so each saves an activation's memory.
    const F::ReLUFuncOptions inplace(true);
    Tensor y = F::relu(bn1(conv1(x)), inplace);
    y = bn2(conv2(y));
    y.add_(shortcut ? shortcut->forward(x) : x);
    return F::relu(y, inplace);
  }
  nn::Conv2d conv1;
  nn::BatchNorm2d bn1;
  nn::Conv2d conv2;
  nn::BatchNorm2d bn2;
  nn::Sequential shortcut{nullptr};
};
EMBER_MODULE(BasicBlock);

struct ResNet20Impl : nn::Module {
  explicit ResNet20Impl(int64_t classes = 10)
      : conv(register_module("conv", nn::Conv2d(nn::Conv2dOptions(3, 16, 3).padding(1).bias(false)))),
        bn(register_module("bn", nn::BatchNorm2d(16))),
        fc(register_module("fc", nn::Linear(64, classes))) {
    nn::Sequential blocks;
    int64_t cin = 16;
    for (int64_t cout : {16, 32, 64}) {
      for (int i = 0; i < 3; ++i) {
        blocks->push_back(BasicBlock(cin, cout, i == 0 && cout != 16 ? 2 : 1));
        cin = cout;
      }
    }
    layers = register_module("layers", blocks);
    for (auto& m : modules(/*include_self=*/false)) {
      if (auto* c = dynamic_cast<nn::Conv2dImpl*>(m.get()))
        nn::init::kaiming_normal_(c->weight, 0.0, ember::kFanOut, ember::kReLU);
    }
  }
  Tensor forward(const Tensor& x) {
    Tensor y = layers->forward(F::relu(bn(conv(x)), F::ReLUFuncOptions(true)));
    return fc(F::adaptive_avg_pool2d(y, F::AdaptiveAvgPool2dFuncOptions(1)).flatten(1));
  }
  nn::Conv2d conv;
  nn::BatchNorm2d bn;
  nn::Sequential layers{nullptr};
  nn::Linear fc;
};
EMBER_MODULE(ResNet20);

// --- a training: step and inference ------------------------------------------------------------------
struct Hyper {
  double lr = 0, momentum = 0;
  bool nesterov = false;
};

/// What else a model's recipe fixes besides Hyper: the batch size, augmentation and the lr
/// schedule (the tutorial's trainings: 64, none, constant; ResNet-20: resnet20_torch.py's).
struct Recipe {
  int64_t batch_size = 64;
  bool augment = false;  // random crop 32 with 4-pixel zero padding + horizontal flip, per image
  // resnet20_torch.py's per-step cosine decay to 0 over the whole run: before each step the lr
  // of optim::CosineAnnealingLR::closed_form_lr(lr, 0, total_steps, step), lr * (1 + cos(pi *
  // step / total_steps)) / 2, from the step count (so a resumed run continues the schedule).
  bool cosine = false;
};

/// The model's recipe (model one of model_names()).
inline Recipe recipe(const std::string& model) {
  if (model == "resnet20") return {128, true, true};
  return {};
}

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
  static const std::vector<std::string> names{"barebones_fc",  "barebones_conv",  "module_fc", "module_conv",
                                              "sequential_fc", "sequential_conv", "resnet20"};
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
  if (model == "resnet20") return {0.1, 0.9, true};
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

/// Data-parallel training's group (train_cifar --distributed), or null for one process.
using Group = std::shared_ptr<ember::distributed::ProcessGroup>;

inline Training barebones_training(std::function<Tensor(const Tensor&, const std::vector<Tensor>&)> model,
                                   std::vector<Tensor> params, double lr, Group group = nullptr) {
  Training t;
  // Shared with set_hyper, so a resumed run can take the checkpoint's rate or a new --lr.
  auto rate = std::make_shared<double>(lr);
  t.step = [model, params, rate, group](const Tensor& x, const Tensor& y) {
    Tensor loss = F::cross_entropy(model(x, params), y);
    loss.backward();
    // No module for DistributedDataParallel to wrap: the gradients are averaged after backward.
    if (group) {
      std::vector<Tensor> grads;
      for (const Tensor& p : params) grads.push_back(p.grad().div_(group->getSize()));
      std::vector<std::shared_ptr<ember::distributed::Work>> works;
      for (Tensor& g : grads) {
        std::vector<Tensor> one{g};
        works.push_back(group->allreduce(one));
      }
      for (auto& w : works) w->wait();
    }
    barebones::sgd_step(params, *rate);
    return loss;
  };
  t.infer = [model, params](const Tensor& x) { return model(x, params); };
  t.params = params;
  t.set_hyper = [rate](const Hyper& h) { *rate = h.lr; };
  return t;
}

/// One SGD over all of `params`, or (weight_decay > 0) over two groups as resnet20_torch.py: the
/// weights of more than one dim with weight_decay, the BatchNorm parameters and biases without.
inline std::shared_ptr<ember::optim::SGD> make_sgd(const std::vector<Tensor>& params, const Hyper& h,
                                                   double weight_decay) {
  const auto options = ember::optim::SGDOptions(h.lr).momentum(h.momentum).nesterov(h.nesterov);
  if (weight_decay == 0) return std::make_shared<ember::optim::SGD>(params, options);
  std::vector<Tensor> decay, no_decay;
  for (const Tensor& p : params) (p.dim() > 1 ? decay : no_decay).push_back(p);
  std::vector<ember::optim::OptimizerParamGroup> groups;
  groups.emplace_back(
      decay, std::make_unique<ember::optim::SGDOptions>(ember::optim::SGDOptions(options).weight_decay(weight_decay)));
  groups.emplace_back(no_decay, std::make_unique<ember::optim::SGDOptions>(options));
  return std::make_shared<ember::optim::SGD>(std::move(groups), options);
}

/// With a group, the step runs the model through DistributedDataParallel; the checkpoint and the
/// evaluations see the model itself.
template <typename Net>
Training module_training(Net net, const Hyper& h, double weight_decay = 0, Group group = nullptr) {
  Training t;
  t.module = net.ptr();
  auto opt = make_sgd(net->parameters(), h, weight_decay);
  t.optimizer = opt;
  using DDP = ember::nn::parallel::DistributedDataParallel<typename Net::ContainedType>;
  DDP ddp = group ? DDP(net, ember::nn::parallel::DistributedDataParallelOptions().process_group(group)) : DDP(nullptr);
  t.step = [net, opt, ddp](const Tensor& x, const Tensor& y) mutable {
    net->train();
    Tensor loss = F::cross_entropy(ddp ? ddp->forward(x) : net->forward(x), y);
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

/// Builds a training on `device`; the caller seeds the generator first. With a group, every rank
/// of it must call build at the same point (DistributedDataParallel's constructor is collective).
inline Training build(const std::string& model, const Hyper& h, ember::Device device, Group group = nullptr) {
  using barebones::random_weight;
  using barebones::zero_weight;
  if (model == "barebones_fc") {
    return barebones_training(barebones::two_layer_fc,
                              {random_weight({3072, 4000}, device), random_weight({4000, 10}, device)}, h.lr, group);
  }
  if (model == "barebones_conv") {
    return barebones_training(
        barebones::three_layer_convnet,
        {random_weight({32, 3, 5, 5}, device), zero_weight({32}, device), random_weight({16, 32, 3, 3}, device),
         zero_weight({16}, device), random_weight({16 * 32 * 32, 10}, device), zero_weight({10}, device)},
        h.lr, group);
  }
  if (model == "module_fc") {
    TwoLayerFC net(3072, 4000, 10);
    net->to(device);
    return module_training(net, h, 0, group);
  }
  if (model == "module_conv") {
    ThreeLayerConvNet net(3, 32, 16, 10);
    net->to(device);
    return module_training(net, h, 0, group);
  }
  if (model == "sequential_fc") {
    nn::Sequential net(nn::Flatten(), nn::Linear(3072, 4000), nn::ReLU(), nn::Linear(4000, 10));
    net->to(device);
    return module_training(net, h, 0, group);
  }
  if (model == "sequential_conv") {
    nn::Sequential net(nn::Conv2d(nn::Conv2dOptions(3, 32, 5).padding(2)), nn::ReLU(),
                       nn::Conv2d(nn::Conv2dOptions(32, 16, 3).padding(1)), nn::ReLU(), nn::Flatten(),
                       nn::Linear(16 * 32 * 32, 10));
    net->to(device);
    return module_training(net, h, 0, group);
  }
  if (model == "resnet20") {
    ResNet20 net(10);
    net->to(device);
    return module_training(net, h, /*weight_decay=*/5e-4, group);
  }
  defaults(model);  // throws the unknown-model error
  return {};
}

}  // namespace cifar
