// bench_image_loader: images per second that a data loader delivers from a folder of JPEGs
// (datasets::ImageFolder: decode in the workers, Stack<>), with the CIFAR recipe's augmentation
// (random crop 32 with padding 4, horizontal flip) applied to each batch, and no training.
// tools/bench_image_loader.py runs it beside PyTorch's DataLoader over the same folder.
//
//   bench_image_loader ROOT [workers=2] [batch=128] [batches=100] [threads=1]
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "ember/ember.h"

namespace data = ember::data;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_image_loader ROOT [workers=2] [batch=128] [batches=100] [threads=1]\n");
    return 2;
  }
  const size_t workers = argc > 2 ? size_t(std::atoi(argv[2])) : 2;
  const size_t batch = argc > 3 ? size_t(std::atoi(argv[3])) : 128;
  const size_t batches = argc > 4 ? size_t(std::atoi(argv[4])) : 100;
  ember::set_num_threads(argc > 5 ? std::atoi(argv[5]) : 1);
  ember::manual_seed(0);
  auto loader = data::make_data_loader(data::datasets::ImageFolder(argv[1]).map(data::transforms::Stack<>()),
                                       data::DataLoaderOptions(batch).workers(workers));
  size_t seen = 0, n = 0;
  double checksum = 0;
  auto start = std::chrono::steady_clock::now();
  for (auto& b : *loader) {
    ember::Tensor x = data::random_horizontal_flip(data::random_crop(b.data, 32, 4));
    checksum += x.sum().item<double>();
    if (n == 0) start = std::chrono::steady_clock::now();  // the first batch waits for the workers to start
    else seen += size_t(x.size(0));
    if (++n > batches) break;
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("ember images/s %.1f (%zu images after the first batch, %zu workers, batch %zu; checksum %.1f)\n",
              double(seen) / s, seen, workers, batch, checksum);
  return 0;
}
