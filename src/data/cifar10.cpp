// The CIFAR-10 binary reader (see include/ember/data/cifar10.h for the format). Every file is
// opened (regular files only, see serialize/file_io.h) and its size checked against the record
// size and count before anything is allocated; then it is read a chunk at a time, labels
// checked, and its pixels scaled to float32 straight into the output tensor.
#include "ember/data/cifar10.h"

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <system_error>

#include "../serialize/file_io.h"
#include "../tensor_impl.h"

namespace ember {
namespace data {

namespace fs = std::filesystem;
using namespace cifar10;

namespace {

std::string bytes_of(int64_t records) {
  return detail::str(records, " records of ", kRecordBytes, " bytes = ", records * kRecordBytes, " bytes");
}

void check_folder(const std::string& dir) {
  std::error_code ec;
  EMBER_CHECK(fs::exists(dir, ec), "CIFAR-10: folder '", dir,
              "' does not exist (fetch the binary release into it with data/fetch_cifar10.sh ", dir, ")");
  EMBER_CHECK(fs::is_directory(dir, ec), "CIFAR-10: '", dir,
              "' is not a folder (expected the folder holding data_batch_1.bin .. data_batch_5.bin)");
}

// A batch file, opened and checked (a whole, non-empty run of records of the expected count)
// before anything is allocated for it.
struct BatchFile {
  file_io::InputFile file;
  int64_t records;
};

BatchFile open_batch(const std::string& path, std::optional<int64_t> expected) {
  std::error_code ec;
  EMBER_CHECK(fs::exists(path, ec), "CIFAR-10: missing file '", path,
              "' (a CIFAR-10 binary folder holds data_batch_1.bin .. data_batch_5.bin, test_batch.bin "
              "and batches.meta.txt, as data/fetch_cifar10.sh extracts them)");
  file_io::InputFile file(path, "CIFAR-10");
  const uint64_t size = file.size();
  EMBER_CHECK(size > 0, "CIFAR-10: file '", path, "' is empty (expected ",
              expected ? bytes_of(*expected) : std::string("records of 3073 bytes"), ")");
  EMBER_CHECK(size % kRecordBytes == 0, "CIFAR-10: file '", path, "' is truncated or corrupt: its ", size,
              " bytes are not a whole number of ", kRecordBytes, "-byte records (1 label byte + ", kImageBytes,
              " pixel bytes); it ends ", size % kRecordBytes, " bytes into record ", size / kRecordBytes);
  const auto records = int64_t(size / kRecordBytes);
  if (expected) {
    EMBER_CHECK(records >= *expected, "CIFAR-10: file '", path, "' is truncated: it holds ", bytes_of(records),
                ", expected ", bytes_of(*expected));
    EMBER_CHECK(records <= *expected, "CIFAR-10: file '", path, "' is oversized: it holds ", bytes_of(records),
                ", expected ", bytes_of(*expected));
  }
  return {std::move(file), records};
}

// Reads a batch file's records into consecutive rows of x (float32) and y (int64), a bounded
// chunk at a time, so reading costs no second copy of the file.
void read_into(const BatchFile& batch, float* x, int64_t* y) {
  constexpr int64_t kChunkRecords = 1024;  // 3 MB
  const std::string& path = batch.file.path();
  std::vector<unsigned char> buf(size_t(std::min(batch.records, kChunkRecords) * kRecordBytes));
  for (int64_t first = 0; first < batch.records; first += kChunkRecords) {
    const int64_t count = std::min(kChunkRecords, batch.records - first);
    batch.file.read_at(uint64_t(first * kRecordBytes), buf.data(), size_t(count * kRecordBytes));
    // Labels first, so a corrupt chunk throws before its conversion work.
    for (int64_t i = 0; i < count; ++i) {
      const int64_t r = first + i;
      const unsigned char label = buf[size_t(i * kRecordBytes)];
      EMBER_CHECK(label < kNumClasses, "CIFAR-10: file '", path, "': record ", r, " (byte offset ", r * kRecordBytes,
                  ") has label ", int(label), ", outside 0..", kNumClasses - 1);
      y[r] = label;
    }
    // A record's pixels are already CHW. Divide (not multiply by 1/255) to match ToTensor bit for bit.
    for (int64_t i = 0; i < count; ++i) {
      const unsigned char* px = buf.data() + i * kRecordBytes + 1;
      float* out = x + (first + i) * kImageBytes;
      for (int64_t k = 0; k < kImageBytes; ++k) out[k] = float(px[k]) / 255.0f;
    }
  }
}

// The output tensors for `total` images; running out of memory names the files being read.
LabeledImages allocate_images(int64_t total, const std::vector<BatchFile>& batches) {
  try {
    return {empty({total, kChannels, kHeight, kWidth}, kFloat), empty({total}, kLong)};
  } catch (const OutOfMemoryError& e) {
    std::string names;
    for (const BatchFile& b : batches) names += (names.empty() ? "'" : ", '") + b.file.path() + "'";
    throw OutOfMemoryError(detail::str("CIFAR-10: out of memory for the ", total, " images (", total * kImageBytes * 4,
                                       " bytes as float32) of ", names, ": ", e.what()));
  }
}

std::string join(const std::string& dir, const std::string& name) { return (fs::path(dir) / name).string(); }

}  // namespace

const std::vector<std::string>& cifar10::default_classes() {
  static const std::vector<std::string> names{"airplane", "automobile", "bird",  "cat",  "deer",
                                              "dog",      "frog",       "horse", "ship", "truck"};
  return names;
}

LabeledImages read_cifar10_files(const std::vector<std::string>& paths, std::optional<int64_t> records_per_file) {
  EMBER_CHECK(!paths.empty(), "read_cifar10_files: no file given");
  EMBER_CHECK(!records_per_file || *records_per_file > 0, "read_cifar10_files: records_per_file must be positive, got ",
              *records_per_file);
  // Open and check every file before allocating, so a bad fifth file fails fast and cheaply.
  std::vector<BatchFile> batches;
  int64_t total = 0;
  for (const auto& p : paths) {
    batches.push_back(open_batch(p, records_per_file));
    const int64_t records = batches.back().records;
    // The images so far must make a float32 tensor that obeys the shape rule (tensor.cpp), and
    // the message names the file that broke it. The sum cannot wrap first: a file holds fewer
    // than 2^64 / 3073 records, and the total so far passed this check.
    const ScalarType f32 = kFloat;
    const std::string problem = shape_problem({total + records, kChannels, kHeight, kWidth}, &f32);
    EMBER_CHECK(problem.empty(), "CIFAR-10: file '", p, "' holds ", records,
                " records, too many for one tensor: ", problem);
    total += records;
  }
  LabeledImages out = allocate_images(total, batches);
  float* x = out.x.data_ptr<float>();
  int64_t* y = out.y.data_ptr<int64_t>();
  int64_t row = 0;
  for (const BatchFile& b : batches) {
    read_into(b, x + row * kImageBytes, y + row);
    row += b.records;
  }
  return out;
}

LabeledImages read_cifar10_file(const std::string& path, std::optional<int64_t> expected_records) {
  return read_cifar10_files({path}, expected_records);
}

LabeledImages load_cifar10_train(const std::string& dir, const Cifar10Options& options) {
  check_folder(dir);
  EMBER_CHECK(options.train_files > 0, "load_cifar10_train: train_files must be positive, got ", options.train_files);
  std::vector<std::string> paths;
  for (int i = 1; i <= options.train_files; ++i) paths.push_back(join(dir, "data_batch_" + std::to_string(i) + ".bin"));
  return read_cifar10_files(paths, options.records_per_file);
}

bool has_cifar10_test(const std::string& dir) {
  std::error_code ec;
  return fs::exists(join(dir, "test_batch.bin"), ec);
}

LabeledImages load_cifar10_test(const std::string& dir, const Cifar10Options& options) {
  check_folder(dir);
  return read_cifar10_file(join(dir, "test_batch.bin"), options.records_per_file);
}

std::vector<std::string> load_cifar10_classes(const std::string& dir) {
  check_folder(dir);
  const std::string path = join(dir, "batches.meta.txt");
  std::error_code ec;
  if (!fs::exists(path, ec)) return default_classes();
  const file_io::InputFile file(path, "CIFAR-10");
  // Ten short names; a file far larger is not a class-names file and is not read into memory.
  constexpr uint64_t kMaxBytes = 1 << 16;
  EMBER_CHECK(file.size() <= kMaxBytes, "CIFAR-10: file '", path, "' is ", file.size(),
              " bytes, too large for a class-names file (at most ", kMaxBytes, " bytes: one name per line)");
  std::string text(size_t(file.size()), '\0');
  file.read_at(0, &text[0], text.size());
  std::istringstream in(text);
  std::vector<std::string> names;
  std::string line;
  while (std::getline(in, line)) {
    // Trim (the official file has trailing blank lines; a Windows copy may add '\r').
    const auto b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos) continue;
    const auto e = line.find_last_not_of(" \t\r");
    names.push_back(line.substr(b, e - b + 1));
  }
  EMBER_CHECK(int64_t(names.size()) == kNumClasses, "CIFAR-10: file '", path, "' names ", names.size(),
              " classes (one per non-empty line), expected ", kNumClasses);
  return names;
}

Cifar10Split load_cifar10_split(const std::string& dir, const Cifar10Options& options) {
  EMBER_CHECK(options.num_train >= 0 && options.num_val >= 0, "load_cifar10_split: num_train (", options.num_train,
              ") and num_val (", options.num_val, ") must be >= 0");
  Cifar10Split split;
  split.classes = load_cifar10_classes(dir);
  LabeledImages all = load_cifar10_train(dir, options);
  EMBER_CHECK(options.num_train + options.num_val <= all.size(), "load_cifar10_split: num_train (", options.num_train,
              ") + num_val (", options.num_val, ") exceeds the ", all.size(), " training images of '", dir, "'");
  split.train = all.slice(0, options.num_train);
  split.val = all.slice(options.num_train, options.num_train + options.num_val);
  if (has_cifar10_test(dir)) split.test = load_cifar10_test(dir, options);
  return split;
}

namespace datasets {

CIFAR10::CIFAR10(const std::string& root, Mode mode, const Cifar10Options& options)
    : data_(mode == Mode::kTrain ? load_cifar10_train(root, options) : load_cifar10_test(root, options)),
      is_train_(mode == Mode::kTrain) {}

Example<> CIFAR10::get(size_t index) {
  EMBER_CHECK(index < size_t(data_.size()), "CIFAR10::get: index ", index, " is out of range for ", data_.size(),
              " examples");
  return {data_.x[int64_t(index)], data_.y[int64_t(index)]};
}

}  // namespace datasets

}  // namespace data
}  // namespace ember
