// The CIFAR-10 binary reader (see include/ember/data/cifar10.h for the format). A file is read
// whole, validated (size, record count, labels) before anything is converted, then its pixels
// are scaled to float32 straight into the output tensor.
#include "ember/data/cifar10.h"

#include <filesystem>
#include <fstream>
#include <system_error>

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

// The size of `path` in records, after checking the file exists and is a whole, non-empty run
// of records of the expected count.
int64_t checked_records(const std::string& path, std::optional<int64_t> expected) {
  std::error_code ec;
  EMBER_CHECK(fs::exists(path, ec), "CIFAR-10: missing file '", path,
              "' (a CIFAR-10 binary folder holds data_batch_1.bin .. data_batch_5.bin, test_batch.bin "
              "and batches.meta.txt, as data/fetch_cifar10.sh extracts them)");
  EMBER_CHECK(fs::is_regular_file(path, ec), "CIFAR-10: '", path, "' is not a regular file");
  const auto size = int64_t(fs::file_size(path, ec));
  EMBER_CHECK(!ec, "CIFAR-10: cannot read the size of '", path, "': ", ec.message());
  EMBER_CHECK(size > 0, "CIFAR-10: file '", path, "' is empty (expected ",
              expected ? bytes_of(*expected) : std::string("records of 3073 bytes"), ")");
  EMBER_CHECK(size % kRecordBytes == 0, "CIFAR-10: file '", path, "' is truncated or corrupt: its ", size,
              " bytes are not a whole number of ", kRecordBytes, "-byte records (1 label byte + ", kImageBytes,
              " pixel bytes); it ends ", size % kRecordBytes, " bytes into record ", size / kRecordBytes);
  const int64_t records = size / kRecordBytes;
  if (expected) {
    EMBER_CHECK(records >= *expected, "CIFAR-10: file '", path, "' is truncated: it holds ", bytes_of(records),
                ", expected ", bytes_of(*expected));
    EMBER_CHECK(records <= *expected, "CIFAR-10: file '", path, "' is oversized: it holds ", bytes_of(records),
                ", expected ", bytes_of(*expected));
  }
  return records;
}

// Reads `records` records of `path` into rows [row, row + records) of x (float32) and y (int64).
void read_into(const std::string& path, int64_t records, float* x, int64_t* y) {
  std::vector<unsigned char> buf(size_t(records * kRecordBytes));
  std::ifstream in(path, std::ios::binary);
  EMBER_CHECK(in.good(), "CIFAR-10: cannot open '", path, "' for reading");
  in.read(reinterpret_cast<char*>(buf.data()), std::streamsize(buf.size()));
  EMBER_CHECK(in.gcount() == std::streamsize(buf.size()), "CIFAR-10: file '", path, "' could only be read to byte ",
              in.gcount(), " of ", buf.size());
  // Labels first, so a corrupt file throws before any conversion work.
  for (int64_t r = 0; r < records; ++r) {
    const unsigned char label = buf[size_t(r * kRecordBytes)];
    EMBER_CHECK(label < kNumClasses, "CIFAR-10: file '", path, "': record ", r, " (byte offset ", r * kRecordBytes,
                ") has label ", int(label), ", outside 0..", kNumClasses - 1);
    y[r] = label;
  }
  // A record's pixels are already CHW. Divide (not multiply by 1/255) to match ToTensor bit for bit.
  for (int64_t r = 0; r < records; ++r) {
    const unsigned char* px = buf.data() + r * kRecordBytes + 1;
    float* out = x + r * kImageBytes;
    for (int64_t i = 0; i < kImageBytes; ++i) out[i] = float(px[i]) / 255.0f;
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
  // Validate every file before allocating, so a bad fifth file fails fast and cheaply.
  std::vector<int64_t> counts;
  int64_t total = 0;
  for (const auto& p : paths) {
    counts.push_back(checked_records(p, records_per_file));
    total += counts.back();
  }
  LabeledImages out{empty({total, kChannels, kHeight, kWidth}, kFloat), empty({total}, kLong)};
  float* x = out.x.data_ptr<float>();
  int64_t* y = out.y.data_ptr<int64_t>();
  int64_t row = 0;
  for (size_t i = 0; i < paths.size(); ++i) {
    read_into(paths[i], counts[i], x + row * kImageBytes, y + row);
    row += counts[i];
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
  std::ifstream in(path);
  EMBER_CHECK(in.good(), "CIFAR-10: cannot open '", path, "' for reading");
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

CIFAR10::CIFAR10(const std::string& root, Mode mode, const Cifar10Options& options)
    : data_(mode == Mode::kTrain ? load_cifar10_train(root, options) : load_cifar10_test(root, options)),
      is_train_(mode == Mode::kTrain) {}

}  // namespace data
}  // namespace ember
