// Writes the LibTorch-made fixtures of tests/test_pt_files.cpp (tools/gen_pt_fixtures.py builds
// and runs it when libtorch-dev is installed): what LibTorch's torch::save writes for a module,
// a tensor and a vector of tensors (TorchScript archives).
//   libtorch_save_fixture OUT_DIR
#include <torch/torch.h>

#include <string>
#include <vector>

struct Net : torch::nn::Module {
  Net() {
    fc = register_module("fc", torch::nn::Linear(3, 2));
    bn = register_module("bn", torch::nn::BatchNorm1d(2));
  }
  torch::nn::Linear fc{nullptr};
  torch::nn::BatchNorm1d bn{nullptr};
};

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const std::string out = argv[1];
  torch::manual_seed(0);
  auto net = std::make_shared<Net>();
  net->train();
  net->bn->forward(torch::randn({4, 2}));  // moves the running statistics and the counter
  torch::save(net, out + "/libtorch_module.pt");
  torch::save(torch::arange(6, torch::kFloat).reshape({2, 3}).t(), out + "/libtorch_tensor.pt");
  torch::save(std::vector<torch::Tensor>{torch::ones(2), torch::arange(3, torch::kLong)}, out + "/libtorch_vector.pt");
  return 0;
}
