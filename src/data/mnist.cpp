// The MNIST IDX reader. An IDX file is a big-endian header (a magic number, the example count
// and, for images, the row and column counts) followed by one unsigned byte per pixel or
// label. Like LibTorch's reader it requires the official counts (60,000 / 10,000) and 28 x 28
// images; unlike it, it checks the file holds every byte it promises before reading, so a
// truncated download is an error rather than uninitialised pixels.
#include "ember/data/datasets/mnist.h"

#include <cstdint>
#include <filesystem>
#include <system_error>
#include <vector>

#include "../serialize/file_io.h"

namespace ember {
namespace data {
namespace datasets {

namespace {

constexpr uint32_t kTrainSize = 60000;
constexpr uint32_t kTestSize = 10000;
constexpr uint32_t kImageMagicNumber = 2051;
constexpr uint32_t kTargetMagicNumber = 2049;
constexpr uint32_t kImageRows = 28;
constexpr uint32_t kImageColumns = 28;

std::string join_paths(std::string head, const std::string& tail) {
  if (head.empty() || head.back() != '/') head.push_back('/');
  return head + tail;
}

// An IDX file: its header fields are read in order, each checked against what it must be.
class IdxFile {
 public:
  IdxFile(const std::string& path, const char* what) : file_(open(path, what)) {}

  void expect_int32(uint32_t expected, const char* field) {
    EMBER_CHECK(file_.size() >= offset_ + 4, "MNIST: '", file_.path(), "' is truncated: it ends inside its header (",
                file_.size(), " bytes)");
    unsigned char b[4];
    file_.read_at(offset_, b, 4);
    offset_ += 4;
    const uint32_t value = uint32_t(b[0]) << 24 | uint32_t(b[1]) << 16 | uint32_t(b[2]) << 8 | uint32_t(b[3]);
    EMBER_CHECK(value == expected, "MNIST: Expected to read number ", expected, " but found ", value, " instead (the ",
                field, " of '", file_.path(), "')");
  }

  /// The n bytes after the header.
  std::vector<unsigned char> read_body(uint64_t n) {
    EMBER_CHECK(file_.size() >= offset_ + n, "MNIST: '", file_.path(), "' is truncated: its header promises ", n,
                " bytes of data after its ", offset_, "-byte header, but the file holds ", file_.size(), " bytes");
    std::vector<unsigned char> bytes(n);
    if (n > 0) file_.read_at(offset_, bytes.data(), n);
    return bytes;
  }

 private:
  static file_io::InputFile open(const std::string& path, const char* what) {
    std::error_code ec;
    EMBER_CHECK(std::filesystem::exists(path, ec), "MNIST: Error opening ", what, " file at '", path,
                "' (no such file)");
    return file_io::InputFile(path, "MNIST");
  }
  file_io::InputFile file_;
  uint64_t offset_ = 0;
};

Tensor read_images(const std::string& root, bool train) {
  IdxFile file(join_paths(root, train ? "train-images-idx3-ubyte" : "t10k-images-idx3-ubyte"), "images");
  const uint32_t count = train ? kTrainSize : kTestSize;
  file.expect_int32(kImageMagicNumber, "magic number");
  file.expect_int32(count, "image count");
  file.expect_int32(kImageRows, "row count");
  file.expect_int32(kImageColumns, "column count");
  const auto bytes = file.read_body(uint64_t(count) * kImageRows * kImageColumns);
  Tensor images = empty({int64_t(count), 1, kImageRows, kImageColumns}, kFloat32);
  float* p = images.data_ptr<float>();
  for (size_t i = 0; i < bytes.size(); ++i) p[i] = float(bytes[i]) / 255.0f;  // as LibTorch's div_(255)
  return images;
}

Tensor read_targets(const std::string& root, bool train) {
  IdxFile file(join_paths(root, train ? "train-labels-idx1-ubyte" : "t10k-labels-idx1-ubyte"), "targets");
  const uint32_t count = train ? kTrainSize : kTestSize;
  file.expect_int32(kTargetMagicNumber, "magic number");
  file.expect_int32(count, "label count");
  const auto bytes = file.read_body(count);
  Tensor targets = empty({int64_t(count)}, kLong);
  int64_t* p = targets.data_ptr<int64_t>();
  for (size_t i = 0; i < bytes.size(); ++i) p[i] = bytes[i];
  return targets;
}

}  // namespace

MNIST::MNIST(const std::string& root, Mode mode)
    : images_(read_images(root, mode == Mode::kTrain)), targets_(read_targets(root, mode == Mode::kTrain)) {}

Example<> MNIST::get(size_t index) {
  EMBER_CHECK(index < size_t(images_.size(0)), "MNIST::get: index ", index, " is out of range for ", images_.size(0),
              " examples");
  return {images_[int64_t(index)], targets_[int64_t(index)]};
}

std::optional<size_t> MNIST::size() const { return size_t(images_.size(0)); }

bool MNIST::is_train() const noexcept { return images_.size(0) == kTrainSize; }

const Tensor& MNIST::images() const { return images_; }

const Tensor& MNIST::targets() const { return targets_; }

}  // namespace datasets
}  // namespace data
}  // namespace ember
