#pragma once
// The CIFAR-10 binary format reader. A folder (as data/fetch_cifar10.sh extracts it) holds
// data_batch_1.bin .. data_batch_5.bin (the 50,000 training images), test_batch.bin (10,000
// test images) and batches.meta.txt (the class names). Each .bin file is a run of 3073-byte
// records: one label byte (0..9), then 3072 pixel bytes: the 1024 red, 1024 green and 1024 blue
// values of a 32x32 image, each plane row-major (so a record is already CHW).
//
// Images come back as float32 N x 3 x 32 x 32 in [0, 1] (byte / 255, as torchvision's
// ToTensor) and labels as int64. Every malformed input throws ember::Error naming the file and
// the rule it breaks.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ember/data/datasets/base.h"
#include "ember/data/labeled_images.h"

namespace ember {
namespace data {

namespace cifar10 {
constexpr int64_t kChannels = 3;
constexpr int64_t kHeight = 32;
constexpr int64_t kWidth = 32;
constexpr int64_t kImageBytes = kChannels * kHeight * kWidth;  // 3072
constexpr int64_t kRecordBytes = 1 + kImageBytes;              // 3073
constexpr int64_t kNumClasses = 10;
constexpr int64_t kRecordsPerFile = 10000;
constexpr int kTrainFiles = 5;
/// The class names of the official release, used when batches.meta.txt is absent.
EMBER_API const std::vector<std::string>& default_classes();
}  // namespace cifar10

/// Reads one binary batch file. It must hold exactly `expected_records` records when given
/// (the official files hold 10,000), else any positive whole number of records.
EMBER_API LabeledImages read_cifar10_file(const std::string& path,
                                          std::optional<int64_t> expected_records = cifar10::kRecordsPerFile);

/// Reads several batch files into one set, in order, each holding `records_per_file`
/// (or any whole number of records when nullopt).
EMBER_API LabeledImages read_cifar10_files(const std::vector<std::string>& paths,
                                           std::optional<int64_t> records_per_file = cifar10::kRecordsPerFile);

/// What a CIFAR-10 folder is expected to hold, and the tutorial's train/val split. The
/// defaults are the official layout; tests use small files by lowering records_per_file.
struct Cifar10Options {
  int64_t records_per_file = cifar10::kRecordsPerFile;
  int train_files = cifar10::kTrainFiles;
  /// The first num_train training images train; the next num_val validate (the tutorial's
  /// 0..48999 and 49000..49999). Their sum may not exceed the training images.
  int64_t num_train = 49000;
  int64_t num_val = 1000;
};

/// The training images of `dir`: data_batch_1.bin .. data_batch_<train_files>.bin.
EMBER_API LabeledImages load_cifar10_train(const std::string& dir, const Cifar10Options& options = {});
/// The test images of `dir` (test_batch.bin, records_per_file records); throws when missing.
EMBER_API LabeledImages load_cifar10_test(const std::string& dir, const Cifar10Options& options = {});
/// Whether `dir` holds test_batch.bin.
EMBER_API bool has_cifar10_test(const std::string& dir);
/// The class names: the non-empty lines of batches.meta.txt, or cifar10::default_classes()
/// when the file is absent. A present file must name exactly 10 classes.
EMBER_API std::vector<std::string> load_cifar10_classes(const std::string& dir);

/// The tutorial's split of a CIFAR-10 folder. train and val are views of one training tensor;
/// test is empty when the folder has no test_batch.bin.
struct Cifar10Split {
  LabeledImages train;
  LabeledImages val;
  LabeledImages test;
  std::vector<std::string> classes;
  bool has_test() const { return !test.empty(); }
};
EMBER_API Cifar10Split load_cifar10_split(const std::string& dir, const Cifar10Options& options = {});

namespace datasets {
/// CIFAR-10 as a torch::data dataset, in the shape of LibTorch's datasets::MNIST: the whole
/// training set (kTrain) or the test set (kTest) of a folder; get(i) is {image i, its label}.
class EMBER_API CIFAR10 : public Dataset<CIFAR10> {
 public:
  enum class Mode { kTrain, kTest };
  explicit CIFAR10(const std::string& root, Mode mode = Mode::kTrain, const Cifar10Options& options = {});
  Example<> get(size_t index) override;
  std::optional<size_t> size() const override { return size_t(data_.size()); }
  bool is_train() const noexcept { return is_train_; }
  const Tensor& images() const { return data_.x; }
  const Tensor& targets() const { return data_.y; }
  const LabeledImages& data() const { return data_; }

 private:
  LabeledImages data_;
  bool is_train_;
};
}  // namespace datasets

using datasets::CIFAR10;

}  // namespace data
}  // namespace ember
