// ember::data: the CIFAR-10 reader on small files written here (values, labels, the split, and
// every malformed case), normalisation against hand-computed values, augmentation (flips and
// crops checked against mirrored images and brute-force window searches), and the TensorLoader
// (batch counts, drop_last, ranges, reproducible shuffles that cover every example once).
#include "helpers.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "ember/data.h"

using namespace ember;
using namespace ember_test;
namespace fs = std::filesystem;

namespace {

// The pixel byte i of record r of file f: distinct enough to catch any misplaced plane or row.
unsigned char pixel(int f, int64_t r, int64_t i) {
  return static_cast<unsigned char>((f * 101 + r * 37 + i * 7) % 256);
}

// Writes `labels.size()` CIFAR records (label byte + 3072 pixels) to path.
void write_records(const std::string& path, int f, const std::vector<int>& labels) {
  std::ofstream out(path, std::ios::binary);
  for (size_t r = 0; r < labels.size(); ++r) {
    out.put(char(labels[r]));
    for (int64_t i = 0; i < data::cifar10::kImageBytes; ++i) out.put(char(pixel(f, int64_t(r), i)));
  }
}

void write_bytes(const std::string& path, size_t n) {
  std::ofstream out(path, std::ios::binary);
  for (size_t i = 0; i < n; ++i) out.put(0);
}

// Two training files of 3 records each, plus (optionally) a test file of 3.
data::Cifar10Options small_options() {
  data::Cifar10Options o;
  o.records_per_file = 3;
  o.train_files = 2;
  o.num_train = 4;
  o.num_val = 2;
  return o;
}
const std::vector<int> kLabels1{3, 0, 9}, kLabels2{1, 7, 2}, kTestLabels{5, 5, 4};

void write_small_folder(const TempDir& dir, bool with_test) {
  write_records(dir.file("data_batch_1.bin"), 1, kLabels1);
  write_records(dir.file("data_batch_2.bin"), 2, kLabels2);
  if (with_test) write_records(dir.file("test_batch.bin"), 9, kTestLabels);
}

// The expected float image of record r of file f.
Tensor expected_image(int f, int64_t r) {
  std::vector<float> v(data::cifar10::kImageBytes);
  for (int64_t i = 0; i < data::cifar10::kImageBytes; ++i) v[size_t(i)] = float(pixel(f, r, i)) / 255.0f;
  return from_blob(v.data(), {3, 32, 32}, kFloat).clone();
}

std::vector<int64_t> as_longs(const Tensor& t) {
  Tensor c = t.to(Device(kCPU)).contiguous();
  return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

}  // namespace

// --- CIFAR-10 reader ------------------------------------------------------------------------------

TEST_CASE("CIFAR-10: pixels become float32 CHW in [0, 1], labels int64", "[data][cifar10]") {
  TempDir dir;
  write_small_folder(dir, false);
  data::LabeledImages all = data::load_cifar10_train(dir.str(), small_options());
  REQUIRE(all.x.sizes().equals({6, 3, 32, 32}));
  CHECK(all.x.dtype() == kFloat);
  CHECK(all.y.dtype() == kLong);
  CHECK(as_longs(all.y) == std::vector<int64_t>{3, 0, 9, 1, 7, 2});
  for (int64_t r = 0; r < 3; ++r) {
    ember_test::require_equal(all.x[r], expected_image(1, r));
    ember_test::require_equal(all.x[3 + r], expected_image(2, r));
  }
  // Plane layout: byte 1024 of a record is the first green pixel, i.e. x[r][1][0][0].
  CHECK(all.x[1][1][0][0].item<float>() == float(pixel(1, 1, 1024)) / 255.0f);
  CHECK(all.x[1][2][31][31].item<float>() == float(pixel(1, 1, 3071)) / 255.0f);
  CHECK(all.x.min().item<float>() >= 0);
  CHECK(all.x.max().item<float>() <= 1);
  // One file, any number of records when none is expected.
  data::LabeledImages one = data::read_cifar10_file(dir.file("data_batch_2.bin"), std::nullopt);
  CHECK(one.size() == 3);
  CHECK(as_longs(one.y) == std::vector<int64_t>{1, 7, 2});
}

TEST_CASE("CIFAR-10: the tutorial split, the test batch and the class names", "[data][cifar10]") {
  TempDir dir;
  write_small_folder(dir, false);
  data::Cifar10Split s = data::load_cifar10_split(dir.str(), small_options());
  CHECK(s.train.size() == 4);
  CHECK(s.val.size() == 2);
  CHECK_FALSE(s.has_test());
  CHECK(as_longs(s.train.y) == std::vector<int64_t>{3, 0, 9, 1});
  CHECK(as_longs(s.val.y) == std::vector<int64_t>{7, 2});
  ember_test::require_equal(s.val.x[0], expected_image(2, 1));
  CHECK(s.classes == data::cifar10::default_classes());
  CHECK(s.classes.size() == 10);
  CHECK(s.classes[0] == "airplane");

  write_records(dir.file("test_batch.bin"), 9, kTestLabels);
  {
    std::ofstream meta(dir.file("batches.meta.txt"));
    for (int i = 0; i < 10; ++i) meta << "class" << i << "\r\n";
    meta << "\n\n";  // the official file ends with blank lines
  }
  s = data::load_cifar10_split(dir.str(), small_options());
  REQUIRE(s.has_test());
  CHECK(s.test.size() == 3);
  CHECK(as_longs(s.test.y) == std::vector<int64_t>{5, 5, 4});
  ember_test::require_equal(s.test.x[2], expected_image(9, 2));
  CHECK(s.classes[3] == "class3");

  // The LibTorch MNIST-style class.
  data::CIFAR10 train(dir.str(), data::CIFAR10::Mode::kTrain, small_options());
  data::CIFAR10 test(dir.str(), data::CIFAR10::Mode::kTest, small_options());
  CHECK(*train.size() == 6);
  CHECK(train.is_train());
  CHECK(*test.size() == 3);
  CHECK(test.images().sizes().equals({3, 3, 32, 32}));
  CHECK(as_longs(test.targets()) == std::vector<int64_t>{5, 5, 4});
  // ... and a torch::data dataset.
  data::Example<> third = test.get(2);
  ember_test::require_equal(third.data, expected_image(9, 2));
  CHECK(third.target.item<int64_t>() == 4);
  auto loader = data::make_data_loader<data::samplers::SequentialSampler>(train.map(data::transforms::Stack<>()),
                                                                          data::DataLoaderOptions(4));
  std::vector<int64_t> batch_sizes;
  for (auto& batch : *loader) batch_sizes.push_back(batch.data.size(0));
  CHECK(batch_sizes == std::vector<int64_t>{4, 2});
  require_throws_with([&] { test.get(3); }, {"CIFAR10::get", "index 3", "3 examples"});
}

TEST_CASE("CIFAR-10: every malformed folder or file throws ember::Error naming the file and the rule",
          "[data][cifar10][errors]") {
  const auto opts = small_options();
  SECTION("missing folder") {
    TempDir dir;
    const std::string gone = dir.file("no_such_folder");
    require_throws_with([&] { data::load_cifar10_split(gone, opts); }, {gone, "does not exist", "fetch_cifar10.sh"});
  }
  SECTION("a file where the folder should be") {
    TempDir dir;
    write_bytes(dir.file("plain_file"), 10);
    require_throws_with([&] { data::load_cifar10_train(dir.file("plain_file"), opts); },
                        {"plain_file", "not a folder"});
  }
  SECTION("missing batch file") {
    TempDir dir;
    write_records(dir.file("data_batch_1.bin"), 1, kLabels1);
    require_throws_with([&] { data::load_cifar10_split(dir.str(), opts); }, {"data_batch_2.bin", "missing file"});
    require_throws_with([&] { data::load_cifar10_test(dir.str(), opts); }, {"test_batch.bin", "missing file"});
  }
  SECTION("empty file") {
    TempDir dir;
    write_small_folder(dir, false);
    write_bytes(dir.file("data_batch_2.bin"), 0);
    require_throws_with([&] { data::load_cifar10_train(dir.str(), opts); }, {"data_batch_2.bin", "is empty", "3073"});
  }
  SECTION("truncated mid-record") {
    TempDir dir;
    write_small_folder(dir, false);
    fs::resize_file(dir.file("data_batch_1.bin"), 3 * 3073 - 5);
    require_throws_with([&] { data::load_cifar10_train(dir.str(), opts); },
                        {"data_batch_1.bin", "truncated", "3073-byte records", "record 2"});
  }
  SECTION("too few records") {
    TempDir dir;
    write_small_folder(dir, false);
    write_records(dir.file("data_batch_2.bin"), 2, {1, 2});
    require_throws_with([&] { data::load_cifar10_train(dir.str(), opts); },
                        {"data_batch_2.bin", "truncated", "holds 2 records", "expected 3 records"});
  }
  SECTION("oversized file") {
    TempDir dir;
    write_small_folder(dir, false);
    write_records(dir.file("data_batch_1.bin"), 1, {1, 2, 3, 4});
    require_throws_with([&] { data::load_cifar10_train(dir.str(), opts); },
                        {"data_batch_1.bin", "oversized", "holds 4 records", "expected 3 records"});
  }
  SECTION("label out of range") {
    TempDir dir;
    write_small_folder(dir, false);
    write_records(dir.file("data_batch_2.bin"), 2, {1, 10, 2});
    require_throws_with([&] { data::load_cifar10_train(dir.str(), opts); },
                        {"data_batch_2.bin", "record 1", "label 10", "0..9"});
  }
  SECTION("corrupt test batch present") {
    TempDir dir;
    write_small_folder(dir, false);
    write_bytes(dir.file("test_batch.bin"), 100);
    require_throws_with([&] { data::load_cifar10_split(dir.str(), opts); }, {"test_batch.bin", "truncated"});
  }
  SECTION("class names file with the wrong count") {
    TempDir dir;
    write_small_folder(dir, false);
    std::ofstream(dir.file("batches.meta.txt")) << "cat\ndog\n";
    require_throws_with([&] { data::load_cifar10_split(dir.str(), opts); }, {"batches.meta.txt", "names 2 classes"});
  }
  SECTION("split larger than the data") {
    TempDir dir;
    write_small_folder(dir, false);
    auto big = opts;
    big.num_train = 5;
    require_throws_with([&] { data::load_cifar10_split(dir.str(), big); },
                        {"num_train (5)", "num_val (2)", "6 training images"});
  }
  SECTION("the official layout expects 10000 records per file") {
    TempDir dir;
    write_small_folder(dir, false);
    require_throws_with([&] { data::load_cifar10_train(dir.str()); },
                        {"data_batch_1.bin", "truncated", "expected 10000 records of 3073 bytes = 30730000 bytes"});
  }
}

// --- normalisation --------------------------------------------------------------------------------

TEST_CASE("normalize: per-channel (x - mean) / std, as T.Normalize", "[data][transforms]") {
  for (const Device& device : ember_test::test_devices()) {
    INFO(ember_test::device_name(device));
    manual_seed(3);
    Tensor x = rand({2, 3, 4, 5}).to(device);
    Tensor y = data::normalize(x);
    REQUIRE(y.sizes().equals(x.sizes()));
    CHECK(y.dtype() == kFloat);
    Tensor xc = x.cpu();
    Tensor yc = y.cpu();
    const double mean[3] = {0.4914, 0.4822, 0.4465}, sd[3] = {0.2023, 0.1994, 0.2010};
    for (int64_t n = 0; n < 2; ++n)
      for (int64_t c = 0; c < 3; ++c) {
        // float32 arithmetic on float32 constants, as torchvision does.
        Tensor want = (xc[n][c] - float(mean[c])) / float(sd[c]);
        require_close(yc[n][c], want, 1e-6, 1e-6);
      }
    // C x H x W, custom constants, float64, and the in-place form.
    Tensor img = rand({2, 3, 3}, kDouble).to(device);
    Tensor z = data::normalize(img, {0.5, 0.25}, {2.0, 0.5});
    require_close(z.cpu()[1], (img.cpu()[1] - 0.25) / 0.5, 1e-12, 1e-12);
    Tensor w = x.clone();
    const Tensor& r = data::normalize_(w);
    CHECK(r.is_same(w));
    require_close(w, y, 0, 0);
  }
  require_throws_with([] { data::normalize(zeros({2, 4, 5, 5})); }, {"normalize", "4 channels", "mean has 3"});
  require_throws_with([] { data::normalize(zeros({5, 5})); }, {"normalize", "[5, 5]"});
  require_throws_with([] { data::normalize(zeros({3, 2, 2}, kLong)); }, {"normalize", "floating"});
  require_throws_with([] { data::normalize(zeros({3, 2, 2}), {0, 0, 0}, {1, 0, 1}); }, {"std of channel 1 is 0"});
}

// --- augmentation ---------------------------------------------------------------------------------

namespace {
// x mirrored left-right: the reference the flip is checked against.
Tensor mirror(const Tensor& x) { return x.index_select(3, arange(x.size(3) - 1, -1, -1, kLong).to(x.device())); }

// x zero-padded by p on each side of H and W (CPU), to search for crop windows in.
Tensor zero_padded(const Tensor& x, int64_t p) {
  Tensor out = zeros({x.size(0), x.size(1), x.size(2) + 2 * p, x.size(3) + 2 * p}, x.dtype());
  out.narrow(2, p, x.size(2)).narrow(3, p, x.size(3)).copy_(x.cpu());
  return out;
}

// The (top, left) offsets of every size x size window of padded[b] equal to crop (CPU tensors).
std::vector<std::pair<int64_t, int64_t>> windows_matching(const Tensor& padded, const Tensor& crop, int64_t size) {
  std::vector<std::pair<int64_t, int64_t>> found;
  for (int64_t t = 0; t + size <= padded.size(1); ++t)
    for (int64_t l = 0; l + size <= padded.size(2); ++l)
      if (padded.narrow(1, t, size).narrow(2, l, size).equal(crop)) found.emplace_back(t, l);
  return found;
}
}  // namespace

TEST_CASE("random_horizontal_flip: p = 1 mirrors, p = 0 keeps, p = 0.5 mirrors about half", "[data][transforms]") {
  for (const Device& device : ember_test::test_devices()) {
    INFO(ember_test::device_name(device));
    manual_seed(5);
    Tensor x = rand({6, 3, 4, 5}).to(device);
    ember_test::require_equal(data::random_horizontal_flip(x, 1.0).cpu(), mirror(x).cpu());
    ember_test::require_equal(data::random_horizontal_flip(x, 0.0).cpu(), x.cpu());

    Tensor many = rand({2000, 1, 2, 3}).to(device);
    manual_seed(11);
    Tensor y = data::random_horizontal_flip(many).cpu();
    REQUIRE(y.sizes().equals(many.sizes()));
    Tensor xc = many.cpu(), mc = mirror(many).cpu();
    int64_t flipped = 0;
    for (int64_t b = 0; b < 2000; ++b) {
      const bool same = y[b].equal(xc[b]), mirrored = y[b].equal(mc[b]);
      REQUIRE(same != mirrored);  // random images are never symmetric
      flipped += mirrored;
    }
    CHECK(flipped > 850);  // Binomial(2000, 0.5): mean 1000, sd 22
    CHECK(flipped < 1150);
    manual_seed(11);
    ember_test::require_equal(data::random_horizontal_flip(many).cpu(), y);

    // Integer images, and inputs that require grad (the flip stays differentiable).
    Tensor ints = arange(24, kLong).view({2, 1, 3, 4}).to(device);
    ember_test::require_equal(data::random_horizontal_flip(ints, 1).cpu(), mirror(ints).cpu());
    Tensor leaf = rand({2, 1, 2, 2}).to(device).requires_grad_();
    data::random_horizontal_flip(leaf).sum().backward();
    ember_test::require_equal(leaf.grad().cpu(), ones({2, 1, 2, 2}));
  }
  require_throws_with(
      [] {
        data::random_horizontal_flip(zeros({3, 4, 4}));
      },
      {"random_horizontal_flip", "N x C x H x W", "[3, 4, 4]"});
  require_throws_with(
      [] {
        data::random_horizontal_flip(zeros({1, 3, 4, 4}), 1.5);
      },
      {"random_horizontal_flip", "p must be in [0, 1]", "1.5"});
  require_throws_with([] { data::random_horizontal_flip(zeros({1, 3, 4, 4}), -0.1); }, {"p must be in [0, 1]"});
}

TEST_CASE("random_crop: random windows of the zero-padded images, as T.RandomCrop(size, padding)",
          "[data][transforms]") {
  for (const Device& device : ember_test::test_devices()) {
    INFO(ember_test::device_name(device));
    manual_seed(7);
    Tensor x = (rand({20, 3, 8, 8}) + 0.5).to(device);  // no pixel is 0, so padding is recognisable
    ember_test::require_equal(data::random_crop(x, 8).cpu(), x.cpu());

    manual_seed(3);
    Tensor y = data::random_crop(x, 8, 4);
    REQUIRE(y.sizes().equals({20, 3, 8, 8}));
    CHECK(y.dtype() == kFloat);
    CHECK(y.device() == device);
    Tensor yc = y.cpu(), padded = zero_padded(x, 4);
    std::set<std::pair<int64_t, int64_t>> offsets;
    for (int64_t b = 0; b < 20; ++b) {
      auto found = windows_matching(padded[b], yc[b], 8);
      REQUIRE(found.size() == 1);
      offsets.insert(found[0]);
    }
    CHECK(offsets.size() > 5);  // 20 draws from 81 offsets
    manual_seed(3);
    ember_test::require_equal(data::random_crop(x, 8, 4).cpu(), yc);

    // Non-square images, a window smaller than the image, integer pixels.
    Tensor r = (arange(5 * 2 * 6 * 7, kLong).view({5, 2, 6, 7}) + 1).to(device);
    Tensor small = data::random_crop(r, 5, 1).cpu();
    REQUIRE(small.sizes().equals({5, 2, 5, 5}));
    Tensor rp = zero_padded(r, 1);
    for (int64_t b = 0; b < 5; ++b) CHECK(windows_matching(rp[b], small[b], 5).size() == 1);

    Tensor leaf = rand({2, 1, 4, 4}).to(device).requires_grad_();
    CHECK(data::random_crop(leaf, 4, 2).sizes().equals({2, 1, 4, 4}));
  }
  require_throws_with([] { data::random_crop(zeros({3, 4, 4}), 4); }, {"random_crop", "N x C x H x W", "[3, 4, 4]"});
  require_throws_with(
      [] {
        data::random_crop(zeros({1, 3, 4, 4}), 9, 2);
      },
      {"random_crop", "9 x 9 window", "[1, 3, 4, 4]", "padded by 2", "8 x 8"});
  require_throws_with(
      [] {
        data::random_crop(zeros({1, 3, 4, 4}), 4, -1);
      },
      {"random_crop", "padding must be non-negative", "-1"});
  require_throws_with([] { data::random_crop(zeros({1, 3, 4, 4}), 0); }, {"random_crop", "size must be positive"});
}

// --- TensorLoader ---------------------------------------------------------------------------------

namespace {
// x[i] = [i, -i] and y[i] = i, so a batch shows which examples it holds.
data::LabeledImages indexed(int64_t n, Device device) {
  Tensor y = arange(n, kLong);
  Tensor x = stack({y.to(kFloat), -y.to(kFloat)}, 1);
  return data::LabeledImages{x, y}.to(device);
}

std::vector<int64_t> epoch_indices(data::TensorLoader& loader) {
  std::vector<int64_t> seen;
  for (auto& batch : loader) {
    auto ys = as_longs(batch.y);
    // x and y rows stay paired through the gather.
    auto xs = as_longs(batch.x.select(1, 0).to(kLong));
    REQUIRE(xs == ys);
    seen.insert(seen.end(), ys.begin(), ys.end());
  }
  return seen;
}
}  // namespace

TEST_CASE("TensorLoader: batch counts, drop_last and the last partial batch", "[data][dataloader]") {
  auto d = indexed(10, kCPU);
  data::TensorLoader keep(d, data::TensorLoaderOptions(4));
  CHECK(keep.size() == 3);
  std::vector<int64_t> sizes;
  for (auto& b : keep) sizes.push_back(b.size());
  CHECK(sizes == std::vector<int64_t>{4, 4, 2});
  data::TensorLoader drop(d, data::TensorLoaderOptions(4).drop_last(true));
  CHECK(drop.size() == 2);
  CHECK(epoch_indices(drop) == std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7});
  data::TensorLoader exact(d, data::TensorLoaderOptions(5).drop_last(true));
  CHECK(exact.size() == 2);
  // Unshuffled batches are views of the data, not copies.
  data::TensorLoader views(d, data::TensorLoaderOptions(3));
  auto it = views.begin();
  CHECK(it->x.data_ptr() == d.x.data_ptr());
  ++it;
  CHECK(static_cast<char*>(it->x.data_ptr()) == static_cast<char*>(d.x.data_ptr()) + 3 * 2 * sizeof(float));
  // An empty range has no batches.
  data::TensorLoader none(d, data::TensorLoaderOptions(4).start(5).end(5));
  CHECK(none.size() == 0);
  CHECK(epoch_indices(none).empty());
}

TEST_CASE("TensorLoader: index ranges, as the tutorial's 0..49000 / 49000..50000", "[data][dataloader]") {
  auto d = indexed(20, kCPU);
  data::TensorLoader train(d, data::TensorLoaderOptions(4).end(15));
  data::TensorLoader val(d, data::TensorLoaderOptions(4).start(15));
  CHECK(train.num_examples() == 15);
  CHECK(train.size() == 4);
  CHECK(val.size() == 2);
  CHECK(epoch_indices(val) == std::vector<int64_t>{15, 16, 17, 18, 19});
  data::TensorLoader shuffled(d, data::TensorLoaderOptions(4).start(3).end(11).shuffle(true).seed(5));
  auto seen = epoch_indices(shuffled);
  CHECK(std::set<int64_t>(seen.begin(), seen.end()) == std::set<int64_t>{3, 4, 5, 6, 7, 8, 9, 10});
  CHECK(seen.size() == 8);
}

TEST_CASE("TensorLoader: shuffles are reproducible, cover every example once, and change each epoch",
          "[data][dataloader]") {
  for (const Device& device : ember_test::test_devices()) {
    INFO(ember_test::device_name(device));
    auto d = indexed(103, device);
    auto opts = data::TensorLoaderOptions(10).shuffle(true).seed(42);
    data::TensorLoader a(d, opts), b(d, opts), other(d, data::TensorLoaderOptions(10).shuffle(true).seed(43));
    std::vector<std::vector<int64_t>> epochs;
    for (int e = 0; e < 3; ++e) {
      auto ea = epoch_indices(a);
      CHECK(a.epoch() == e);
      // Every index exactly once.
      std::vector<int64_t> sorted = ea;
      std::sort(sorted.begin(), sorted.end());
      std::vector<int64_t> all(103);
      for (int64_t i = 0; i < 103; ++i) all[size_t(i)] = i;
      CHECK(sorted == all);
      // Same seed, same order; another seed, another order; and not the identity.
      CHECK(epoch_indices(b) == ea);
      CHECK(epoch_indices(other) != ea);
      CHECK(ea != all);
      epochs.push_back(ea);
    }
    CHECK(epochs[0] != epochs[1]);
    CHECK(epochs[1] != epochs[2]);
    // set_epoch replays an epoch; the global seed plays no part.
    manual_seed(999);
    a.set_epoch(1);
    CHECK(epoch_indices(a) == epochs[1]);
    CHECK(a.epoch() == 1);
    CHECK(as_longs(a.order(2)) == epochs[2]);
    // The batches live on the data's device.
    for (auto& batch : a) {
      CHECK(batch.x.device() == device);
      CHECK(batch.y.device() == device);
      break;
    }
  }
}

TEST_CASE("TensorLoader: unlabelled data and argument checks", "[data][dataloader][errors]") {
  Tensor x = zeros({7, 3});
  data::TensorLoader unlabelled(x, Tensor(), data::TensorLoaderOptions(3).shuffle(true));
  int64_t n = 0;
  for (auto& b : unlabelled) {
    CHECK_FALSE(b.y.defined());
    n += b.size();
  }
  CHECK(n == 7);
  require_throws_with([&] { data::TensorLoader(x, zeros({6}, kLong), data::TensorLoaderOptions(2)); },
                      {"TensorLoader", "[7, 3]", "[6]", "same number of examples"});
  require_throws_with([&] { data::TensorLoader(x, Tensor(), data::TensorLoaderOptions(0)); }, {"batch_size", "0"});
  require_throws_with([&] { data::TensorLoader(x, Tensor(), data::TensorLoaderOptions(2).start(5).end(3)); },
                      {"[5, 3)", "start <= end"});
  require_throws_with([&] { data::TensorLoader(x, Tensor(), data::TensorLoaderOptions(2).end(8)); },
                      {"[0, 8)", "<= 7"});
  require_throws_with([&] { data::TensorLoader(Tensor(), Tensor(), data::TensorLoaderOptions(2)); }, {"undefined"});
  require_throws_with([&] { *unlabelled.end(); }, {"end"});
}
