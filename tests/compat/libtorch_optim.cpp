// Optimizers and schedules as a LibTorch program writes them: Adam (amsgrad), AdamW, SGD with
// parameter groups and per-group options, LBFGS with strong-Wolfe line search, StepLR over
// groups, an optimizer's state saved and restored through torch::save / torch::load, and
// torch::save / torch::load of tensors, tensor lists and modules. Built against LibTorch and
// against ember, it must print the same text: tools/check_libtorch_compat.sh (values to 4
// decimals).
#ifdef USE_TORCH
#include <torch/torch.h>
#else
#include <ember/torch_compat.h>  // the one line a port changes
#endif
#include "show.h"

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>
namespace F = torch::nn::functional;
namespace nn = torch::nn;

struct NetImpl : nn::Module {
  NetImpl() : fc1(register_module("fc1", nn::Linear(4, 5))), fc2(register_module("fc2", nn::Linear(5, 3))) {}
  torch::Tensor forward(torch::Tensor x) { return fc2(torch::tanh(fc1(x))); }
  nn::Linear fc1, fc2;
};
TORCH_MODULE(Net);

static torch::Tensor loss_of(Net& net, const torch::Tensor& x, const torch::Tensor& y) {
  return F::cross_entropy(net(x), y);
}

static void report(const char* what, Net& net) {
  for (auto& p : net->named_parameters()) std::printf("%s %s %.4f\n", what, p.key().c_str(), p.value().sum().item<double>());
}

int main() {
  torch::manual_seed(7);
  auto x = torch::randn({6, 4});
  auto y = torch::tensor({0, 1, 2, 1, 0, 2}, torch::kLong);

  {
    torch::manual_seed(1);
    Net net;
    torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(0.01).betas({0.8, 0.9}).weight_decay(0.1).amsgrad(true));
    for (int i = 0; i < 5; ++i) {
      opt.zero_grad();
      auto l = loss_of(net, x, y);
      l.backward();
      opt.step();
      std::printf("Adam %d %.4f\n", i, l.item<double>());
    }
    report("Adam", net);
  }
  {
    torch::manual_seed(1);
    Net net;
    torch::optim::AdamW opt(net->parameters(), torch::optim::AdamWOptions(0.02).weight_decay(0.05));
    for (int i = 0; i < 5; ++i) {
      opt.zero_grad();
      auto l = loss_of(net, x, y);
      l.backward();
      opt.step();
    }
    report("AdamW", net);
  }
  {
    // Parameter groups: fc1 at the default options, fc2 with its own lr and momentum.
    torch::manual_seed(1);
    Net net;
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(net->fc1->parameters());
    groups.emplace_back(net->fc2->parameters(), std::make_unique<torch::optim::SGDOptions>(
                                                    torch::optim::SGDOptions(0.5).momentum(0.9).nesterov(true)));
    torch::optim::SGD opt(groups, torch::optim::SGDOptions(0.1));
    torch::optim::StepLR sched(opt, /*step_size=*/2, /*gamma=*/0.5);
    for (int i = 0; i < 5; ++i) {
      opt.zero_grad();
      loss_of(net, x, y).backward();
      opt.step();
      sched.step();
      for (auto& g : opt.param_groups())
        std::printf("SGD groups %d lr %.4f\n", i, static_cast<torch::optim::SGDOptions&>(g.options()).lr());
    }
    report("SGD groups", net);
    std::printf("groups %zu, params %zu %zu\n", opt.param_groups().size(), opt.param_groups()[0].params().size(),
                opt.param_groups()[1].params().size());

    // The optimizer's state through a file, into a fresh optimizer of the same shape.
    torch::save(opt, "compat_optim_sgd.pt");
    Net net2;
    {
      torch::NoGradGuard ng;
      for (size_t i = 0; i < net->parameters().size(); ++i) net2->parameters()[i].copy_(net->parameters()[i]);
    }
    std::vector<torch::optim::OptimizerParamGroup> groups2;
    groups2.emplace_back(net2->fc1->parameters());
    groups2.emplace_back(net2->fc2->parameters(), std::make_unique<torch::optim::SGDOptions>(
                                                      torch::optim::SGDOptions(0.5).momentum(0.9).nesterov(true)));
    torch::optim::SGD opt2(groups2, torch::optim::SGDOptions(0.1));
    torch::load(opt2, "compat_optim_sgd.pt");
    // The momentum buffers came back: one more step of each optimizer moves both nets alike. (The
    // groups' lr is set here because LibTorch 1.13's load restores the state but not the groups'
    // options; ember restores both, as PyTorch's load_state_dict does.)
    for (size_t g = 0; g < 2; ++g)
      static_cast<torch::optim::SGDOptions&>(opt2.param_groups()[g].options())
          .lr(static_cast<torch::optim::SGDOptions&>(opt.param_groups()[g].options()).lr());
    opt.zero_grad();
    loss_of(net, x, y).backward();
    opt.step();
    opt2.zero_grad();
    loss_of(net2, x, y).backward();
    opt2.step();
    report("after load, original", net);
    report("after load, restored", net2);
  }
  {
    torch::manual_seed(1);
    Net net;
    net->to(torch::kDouble);  // float64: LBFGS near convergence amplifies float32 rounding
    auto xd = x.to(torch::kDouble);
    torch::optim::LBFGS opt(net->parameters(),
                            torch::optim::LBFGSOptions(0.5).max_iter(6).history_size(4).line_search_fn("strong_wolfe"));
    for (int i = 0; i < 3; ++i) {
      auto closure = [&] {
        opt.zero_grad();
        auto l = loss_of(net, xd, y);
        l.backward();
        return l;
      };
      auto l = opt.step(closure);
      std::printf("LBFGS %d %.4f\n", i, l.item<double>());
    }
    report("LBFGS", net);
  }
  {
    // torch::save / torch::load of a tensor, a list of tensors and a module.
    auto t = torch::arange(6, torch::kDouble).reshape({2, 3}) / 7;
    torch::save(t, "compat_tensor.pt");
    torch::Tensor t2;
    torch::load(t2, "compat_tensor.pt");
    show("tensor back", t2);
    std::vector<torch::Tensor> list{t, t.to(torch::kLong), torch::ones({1}, torch::kFloat)};
    torch::save(list, "compat_list.pt");
    std::vector<torch::Tensor> list2;
    torch::load(list2, "compat_list.pt");
    std::printf("list back %zu\n", list2.size());
    for (auto& e : list2) show("  entry", e);
    torch::manual_seed(3);
    Net a;
    torch::save(a, "compat_net.pt");
    torch::manual_seed(4);
    Net b;
    torch::load(b, "compat_net.pt");
    report("module back", b);
  }
  return 0;
}
