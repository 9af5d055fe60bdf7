// ImageFolder's scan (sorted, as torchvision's find_classes and make_dataset) and decoding.
#include "ember/data/datasets/image_folder.h"

#include <omp.h>

#include <algorithm>
#include <cctype>
#include <exception>
#include <filesystem>
#include <system_error>

namespace ember {
namespace data {
namespace datasets {
namespace {

namespace fs = std::filesystem;

bool is_image_file(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png";
}

}  // namespace

ImageFolder::ImageFolder(const std::string& root, ImageReadMode mode) : root_(root), mode_(mode) {
  std::error_code ec;
  EMBER_CHECK(fs::is_directory(root, ec), "ImageFolder: '", root, "' is not a folder",
              ec ? " (" + ec.message() + ")" : std::string());
  for (const fs::directory_entry& e : fs::directory_iterator(root, ec))
    if (e.is_directory()) classes_.push_back(e.path().filename().string());
  EMBER_CHECK(!ec, "ImageFolder: cannot list '", root, "': ", ec.message());
  std::sort(classes_.begin(), classes_.end());
  EMBER_CHECK(!classes_.empty(), "ImageFolder: '", root, "' has no class subfolders (expected root/<class>/<image>)");
  for (size_t label = 0; label < classes_.size(); ++label) {
    const fs::path dir = fs::path(root) / classes_[label];
    std::vector<std::string> files;
    for (fs::recursive_directory_iterator it(dir, fs::directory_options::follow_directory_symlink, ec), end;
         !ec && it != end; it.increment(ec))
      if (it->is_regular_file() && is_image_file(it->path())) files.push_back(it->path().string());
    EMBER_CHECK(!ec, "ImageFolder: cannot list '", dir.string(), "': ", ec.message());
    EMBER_CHECK(!files.empty(), "ImageFolder: class '", classes_[label], "' (", dir.string(),
                ") has no .jpg, .jpeg or .png file");
    std::sort(files.begin(), files.end());
    for (std::string& f : files) samples_.emplace_back(std::move(f), int64_t(label));
  }
}

Example<> ImageFolder::get(size_t index) {
  EMBER_CHECK(index < samples_.size(), "ImageFolder: index ", index, " is out of range for ", samples_.size(),
              " images");
  const auto& [path, label] = samples_[index];
  return {read_image(path, mode_).to(kFloat).div_(255), tensor(label)};
}

LabeledImages ImageFolder::load_all() const {
  const int64_t n = int64_t(samples_.size());
  Tensor first = read_image(samples_[0].first, mode_);
  std::vector<int64_t> shape = first.sizes().vec();
  shape.insert(shape.begin(), n);
  Tensor x = empty(shape, TensorOptions(kByte));
  Tensor y = empty({n}, TensorOptions(kLong));
  const int64_t per_image = first.numel();
  uint8_t* xp = x.data_ptr<uint8_t>();
  int64_t* yp = y.data_ptr<int64_t>();
  // Decoding is independent per file; the first error (a corrupt file, a size that differs) is
  // rethrown after the loop (an exception may not leave an OpenMP region).
  std::exception_ptr failure;
#pragma omp parallel for num_threads(get_num_threads()) schedule(dynamic, 64)
  for (int64_t i = 0; i < n; ++i) {
    try {
      const auto& [path, label] = samples_[size_t(i)];
      Tensor img = i == 0 ? first : read_image(path, mode_);
      EMBER_CHECK(img.sizes().equals(first.sizes()), "ImageFolder::load_all: '", path, "' is ", img.sizes(), " but '",
                  samples_[0].first, "' is ", first.sizes(), " (load_all needs one size; use get() and resize)");
      std::copy_n(img.data_ptr<uint8_t>(), per_image, xp + i * per_image);
      yp[i] = label;
    } catch (...) {
#pragma omp critical(ember_image_folder)
      if (!failure) failure = std::current_exception();
    }
  }
  if (failure) std::rethrow_exception(failure);
  return {x, y};
}

}  // namespace datasets
}  // namespace data
}  // namespace ember
