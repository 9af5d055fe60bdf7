// datasets::MNIST: reading IDX files the test writes (the official 10,000-image test-set
// layout), and the errors for missing, corrupt and truncated files.
#include <fstream>

#include "ember/data.h"
#include "helpers.h"

using namespace ember;
using data::datasets::MNIST;
using ember_test::require_throws_with;
using ember_test::TempDir;

namespace {

void put_int32(std::ofstream& out, uint32_t v) {
  const char b[4] = {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
  out.write(b, 4);
}

// Pixel k of image i is (i + k) % 256 and label i is i % 10. `count` goes in the headers;
// `images`/`labels` records are written (fewer makes a truncated file).
void write_mnist(const TempDir& dir, const std::string& prefix, uint32_t count, uint32_t images, uint32_t labels,
                 uint32_t image_magic = 2051) {
  std::ofstream img(dir.file(prefix + "-images-idx3-ubyte"), std::ios::binary);
  put_int32(img, image_magic);
  put_int32(img, count);
  put_int32(img, 28);
  put_int32(img, 28);
  std::vector<char> pixels(784);
  for (uint32_t i = 0; i < images; ++i) {
    for (uint32_t k = 0; k < 784; ++k) pixels[k] = char((i + k) % 256);
    img.write(pixels.data(), 784);
  }
  std::ofstream lab(dir.file(prefix + "-labels-idx1-ubyte"), std::ios::binary);
  put_int32(lab, 2049);
  put_int32(lab, count);
  for (uint32_t i = 0; i < labels; ++i) lab.put(char(i % 10));
}

}  // namespace

TEST_CASE("MNIST: reads the IDX test set as float images in [0, 1] and int64 targets", "[data][mnist]") {
  TempDir dir;
  write_mnist(dir, "t10k", 10000, 10000, 10000);
  MNIST test(dir.str(), MNIST::Mode::kTest);
  CHECK(*test.size() == 10000);
  CHECK_FALSE(test.is_train());
  CHECK(test.images().sizes() == std::vector<int64_t>{10000, 1, 28, 28});
  CHECK(test.images().scalar_type() == kFloat32);
  CHECK(test.targets().scalar_type() == kLong);
  // Image 300, row 1, column 2 is pixel 30: (300 + 30) % 256 = 74.
  CHECK(test.images()[300][0][1][2].item<float>() == 74.0f / 255.0f);
  CHECK(test.images()[255][0][0][1].item<float>() == 0.0f);  // (255 + 1) % 256
  CHECK(test.images()[255][0][0][0].item<float>() == 1.0f);  // 255 / 255
  data::Example<> e = test.get(1234);
  CHECK(e.target.item<int64_t>() == 4);
  ember_test::require_equal(e.data, test.images()[1234]);
  // Through a loader, stacked.
  auto loader = data::make_data_loader<data::samplers::SequentialSampler>(test.map(data::transforms::Stack<>()),
                                                                          data::DataLoaderOptions(64).workers(2));
  size_t batches = 0;
  for (auto& batch : *loader) {
    if (batches++ == 0) {
      CHECK(batch.data.sizes() == std::vector<int64_t>{64, 1, 28, 28});
      CHECK(batch.target[13].item<int64_t>() == 3);
    }
  }
  CHECK(batches == 157);  // ceil(10000 / 64)
  require_throws_with([&] { test.get(10000); }, {"MNIST::get: index 10000 is out of range for 10000 examples"});
}

TEST_CASE("MNIST: missing, corrupt and truncated files throw ember::Error naming the file", "[data][mnist][errors]") {
  TempDir dir;
  const std::string images = dir.file("t10k-images-idx3-ubyte"), labels = dir.file("t10k-labels-idx1-ubyte");
  SECTION("missing files") {
    require_throws_with([&] { MNIST(dir.str(), MNIST::Mode::kTest); },
                        {"MNIST: Error opening images file at '", images, "'"});
    write_mnist(dir, "t10k", 10000, 10000, 10000);
    std::filesystem::remove(labels);
    require_throws_with([&] { MNIST(dir.str(), MNIST::Mode::kTest); }, {"Error opening targets file at", labels});
  }
  SECTION("a wrong magic number") {
    write_mnist(dir, "t10k", 10000, 0, 0, /*image_magic=*/2049);
    require_throws_with([&] { MNIST(dir.str(), MNIST::Mode::kTest); },
                        {"Expected to read number 2051 but found 2049 instead", "magic number", images});
  }
  SECTION("a count that is not the official one") {
    write_mnist(dir, "train", 10000, 0, 0);
    require_throws_with(
        [&] { MNIST(dir.str(), MNIST::Mode::kTrain); },
        {"Expected to read number 60000 but found 10000 instead", "image count", dir.file("train-images-idx3-ubyte")});
  }
  SECTION("truncated images and labels") {
    write_mnist(dir, "t10k", 10000, 9999, 10000);
    require_throws_with([&] { MNIST(dir.str(), MNIST::Mode::kTest); },
                        {"MNIST: '", images, "' is truncated", "7840000 bytes of data", "7839232 bytes"});
    write_mnist(dir, "t10k", 10000, 10000, 17);
    require_throws_with([&] { MNIST(dir.str(), MNIST::Mode::kTest); }, {labels, "is truncated", "10000 bytes"});
    std::ofstream(images, std::ios::binary).write("\0\0\x08", 3);
    require_throws_with([&] { MNIST(dir.str(), MNIST::Mode::kTest); }, {images, "ends inside its header"});
  }
  SECTION("a folder where a file should be") {
    std::filesystem::create_directory(images);
    require_throws_with([&] { MNIST(dir.str(), MNIST::Mode::kTest); }, {"MNIST", images, "not a regular file"});
  }
}
