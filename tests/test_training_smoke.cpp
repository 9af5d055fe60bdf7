// End to end: each of the tutorial's six trainings (tools/cifar_models.h, the code train_cifar
// runs) learns a small synthetic 10-class problem through the CIFAR-10 reader and TensorLoader:
// the loss falls. Data is written to a temporary folder in the official binary format.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include <unistd.h>

#include "../tools/cifar_models.h"
#include "ember/data.h"
#include "helpers.h"

using namespace ember;

namespace {

/// Writes `n` CIFAR-format records whose class decides the mean colour of each channel plane.
std::string write_synthetic_cifar(int64_t n) {
  auto dir = std::filesystem::temp_directory_path() / ("ember_smoke_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::mt19937 rng(7);
  std::normal_distribution<double> noise(0, 30);
  std::ofstream f(dir / "data_batch_1.bin", std::ios::binary);
  for (int64_t i = 0; i < n; ++i) {
    unsigned char label = static_cast<unsigned char>(i % 10);
    f.put(char(label));
    for (int c = 0; c < 3; ++c) {
      double mean = 40 + 20 * ((label + 3 * c) % 10);
      for (int p = 0; p < 1024; ++p) {
        double v = mean + noise(rng);
        f.put(char(static_cast<unsigned char>(std::min(255.0, std::max(0.0, v)))));
      }
    }
  }
  return dir.string();
}

}  // namespace

TEST_CASE("each of the six trainings lowers the loss on synthetic CIFAR-format data", "[train]") {
  const std::string dir = write_synthetic_cifar(320);
  data::LabeledImages all = data::read_cifar10_file(dir + "/data_batch_1.bin", std::nullopt);
  std::filesystem::remove_all(dir);
  REQUIRE(all.x.sizes() == IntArrayRef({320, 3, 32, 32}));
  Tensor x = data::normalize(all.x);

  for (const char* model :
       {"barebones_fc", "barebones_conv", "module_fc", "module_conv", "sequential_fc", "sequential_conv"}) {
    INFO(model);
    manual_seed(0);
    cifar::Hyper h = cifar::defaults(model);
    cifar::Training t = cifar::build(model, h, Device(kCPU));
    data::TensorLoader loader(x, all.y, data::TensorLoaderOptions(32).shuffle(true).seed(1));
    std::vector<double> losses;
    for (int epoch = 0; epoch < 2; ++epoch)
      for (auto& batch : loader) losses.push_back(t.step(batch.x, batch.y).item<double>());
    REQUIRE(losses.size() == 20);
    double first = (losses[0] + losses[1] + losses[2]) / 3;
    double last = (losses[17] + losses[18] + losses[19]) / 3;
    CHECK(std::isfinite(last));
    CHECK(last < 0.5 * first);
  }
}

TEST_CASE("resnet20: resnet20_torch.py's model, optimizer groups and cosine schedule", "[train]") {
  manual_seed(0);
  cifar::ResNet20 net(10);
  // 0.27M parameters: ResNet-20 with option-B projections (resnet20_torch.py's 272,474).
  int64_t count = 0;
  for (const Tensor& p : net->parameters()) count += p.numel();
  CHECK(count == 272474);
  // Kaiming-normal fan_out: std sqrt(2 / (16 * 9)) for the 16-channel 3x3 convolutions.
  const Tensor w = net->named_parameters()["layers.0.conv1.weight"];
  const double sd = (w - w.mean()).pow(2).mean().sqrt().item<double>();
  CHECK(std::abs(sd - std::sqrt(2.0 / (16 * 9))) < 0.01);
  cifar::Training t = cifar::build("resnet20", cifar::defaults("resnet20"), Device(kCPU));
  auto& groups = t.optimizer->param_groups();
  REQUIRE(groups.size() == 2);
  CHECK(static_cast<optim::SGDOptions&>(groups[0].options()).weight_decay() == 5e-4);
  CHECK(static_cast<optim::SGDOptions&>(groups[1].options()).weight_decay() == 0);
  for (const Tensor& p : groups[1].params()) CHECK(p.dim() == 1);
  // Its cosine schedule (CosineAnnealingLR::closed_form_lr) is checked in test_schedulers.cpp.
  CHECK(cifar::recipe("resnet20").cosine);
  // One step on a random batch: finite loss near ln(10).
  Tensor x = ember_test::rnd({8, 3, 32, 32});
  Tensor y = randint(0, 10, {8});
  const double loss = t.step(x, y).item<double>();
  CHECK(std::isfinite(loss));
  CHECK(loss > 1.5);
  CHECK(loss < 4.0);
}
