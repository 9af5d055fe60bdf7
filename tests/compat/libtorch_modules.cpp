// A LibTorch program using the Module API: TwoLayerFC and ThreeLayerConvNet through TORCH_MODULE,
// a Sequential, kaiming_normal_, LibTorch's default initialisation and SGD with momentum, weight
// decay, dampening and Nesterov, then StepLR, RMSprop (centered, momentum) and Adagrad. Built
// against LibTorch and against ember, the losses, parameters, learning rates and printed modules
// must match (module names print with ember:: where LibTorch prints torch::).
#ifdef USE_TORCH
#include <torch/torch.h>
#else
#include <ember/torch_compat.h>  // the one line a port changes
#endif
#include <iostream>
namespace F = torch::nn::functional;

struct TwoLayerFCImpl : torch::nn::Module {
  TwoLayerFCImpl(int64_t in, int64_t hidden, int64_t classes)
      : fc1(register_module("fc1", torch::nn::Linear(in, hidden))),
        fc2(register_module("fc2", torch::nn::Linear(hidden, classes))) {
    torch::nn::init::kaiming_normal_(fc1->weight);
    torch::nn::init::kaiming_normal_(fc2->weight);
  }
  torch::Tensor forward(torch::Tensor x) { return fc2(F::relu(fc1(x.flatten(1)))); }
  torch::nn::Linear fc1, fc2;
};
TORCH_MODULE(TwoLayerFC);

struct ThreeLayerConvNetImpl : torch::nn::Module {
  ThreeLayerConvNetImpl(int64_t cin, int64_t c1, int64_t c2, int64_t classes)
      : conv1(register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(cin, c1, 5).padding(2)))),
        conv2(register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(c1, c2, 3).padding(1)))),
        fc(register_module("fc", torch::nn::Linear(c2 * 8 * 8, classes))) {
    torch::nn::init::kaiming_normal_(conv1->weight);
    torch::nn::init::kaiming_normal_(conv2->weight);
    torch::nn::init::kaiming_normal_(fc->weight);
  }
  torch::Tensor forward(torch::Tensor x) {
    x = F::relu(conv1(x));
    x = F::relu(conv2(x));
    return fc(x.flatten(1));
  }
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::Linear fc{nullptr};
};
TORCH_MODULE(ThreeLayerConvNet);

template <typename Net>
void train(Net& net, torch::optim::Optimizer& opt, const char* name) {
  torch::manual_seed(123);
  for (int step = 0; step < 4; ++step) {
    auto x = torch::randn({8, 3, 8, 8});
    auto y = torch::randint(0, 10, {8});
    net->train();
    auto loss = F::cross_entropy(net->forward(x), y);
    opt.zero_grad();
    loss.backward();
    opt.step();
    std::cout << name << " step " << step << " loss " << loss.template item<float>() << "\n";
  }
  for (auto& p : net->named_parameters())
    std::cout << p.key() << " " << p.value().sum().template item<float>() << " " << p.value().sizes() << "\n";
}

int main() {
  torch::manual_seed(0);
  TwoLayerFC fc(3 * 8 * 8, 32, 10);
  torch::optim::SGD opt1(fc->parameters(), torch::optim::SGDOptions(1e-2).momentum(0.9).weight_decay(1e-3));
  train(fc, opt1, "fc");
  torch::manual_seed(1);
  ThreeLayerConvNet conv(3, 6, 4, 10);
  torch::optim::SGD opt2(conv->parameters(), torch::optim::SGDOptions(3e-3).momentum(0.9).nesterov(true));
  train(conv, opt2, "conv");
  torch::manual_seed(2);
  torch::nn::Sequential seq(torch::nn::Flatten(), torch::nn::Linear(3 * 8 * 8, 20), torch::nn::ReLU(),
                            torch::nn::Linear(20, 10));
  torch::optim::SGD opt3(seq->parameters(), torch::optim::SGDOptions(1e-2).momentum(0.5).dampening(0.1));
  train(seq, opt3, "seq");
  torch::optim::StepLR sched(opt3, 2, 0.5);
  for (int i = 0; i < 6; ++i) {
    sched.step();
    std::cout << "StepLR step " << i << " lr " << opt3.param_groups()[0].options().get_lr() << "\n";
  }
  std::cout << seq << "\n";
  std::cout << conv << "\n";
  torch::manual_seed(3);
  TwoLayerFC fc2(3 * 8 * 8, 32, 10);
  torch::optim::RMSprop opt4(fc2->parameters(),
                             torch::optim::RMSpropOptions(1e-3).momentum(0.5).centered(true).weight_decay(1e-2));
  train(fc2, opt4, "rmsprop");
  torch::manual_seed(4);
  TwoLayerFC fc3(3 * 8 * 8, 32, 10);
  torch::optim::Adagrad opt5(fc3->parameters(),
                             torch::optim::AdagradOptions(1e-2).lr_decay(0.1).initial_accumulator_value(0.1));
  train(fc3, opt5, "adagrad");
}
