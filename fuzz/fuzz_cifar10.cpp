// libFuzzer target: arbitrary bytes as a CIFAR-10 binary batch file, read both as a file of any
// record count and as an official 10,000-record file. Every input must load or throw
// ember::Error; what loads must have the documented shapes, labels in 0..9 and pixels in [0, 1].
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "ember/ember.h"

namespace {

std::string& input_path() {
  static std::string path = "/tmp/ember_fuzz_cifar10_" + std::to_string(::getpid()) + ".bin";
  return path;
}

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_cifar10: invariant broken: %s\n", what);
    std::abort();
  }
}

void check(const ember::data::LabeledImages& d, int64_t records) {
  require(d.x.dim() == 4 && d.x.size(0) == records && d.x.size(1) == 3 && d.x.size(2) == 32 && d.x.size(3) == 32,
          "images are not N x 3 x 32 x 32");
  require(d.y.dim() == 1 && d.y.size(0) == records, "labels are not N");
  require(d.y.min().item<int64_t>() >= 0 && d.y.max().item<int64_t>() <= 9, "a label is outside 0..9");
  require(d.x.min().item<float>() >= 0.0f && d.x.max().item<float>() <= 1.0f, "a pixel is outside [0, 1]");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ember::set_num_threads(1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FILE* f = std::fopen(input_path().c_str(), "wb");
  if (f == nullptr) return 0;
  const bool written = std::fwrite(data, 1, size, f) == size;
  std::fclose(f);
  if (!written) return 0;
  try {
    check(ember::data::read_cifar10_file(input_path(), std::nullopt), int64_t(size) / 3073);
  } catch (const ember::Error&) {
  }
  try {
    check(ember::data::read_cifar10_file(input_path(), 10000), 10000);
  } catch (const ember::Error&) {
  }
  std::remove(input_path().c_str());  // libFuzzer exits without running atexit handlers
  return 0;
}
