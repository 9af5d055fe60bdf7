#pragma once
// ImageFolder: a folder of images sorted into one subfolder per class, as torchvision's
// datasets.ImageFolder (LibTorch has none): root/<class>/<file>. The classes are the
// subfolders' names in sorted order and a class's label is its position there; the examples
// are the .jpg, .jpeg and .png files (any case) of each class, sorted by path, found
// recursively. get(i) decodes example i (data::read_image) into float32 C x H x W in [0, 1]
// (RGB by default, as torchvision's loader converts every image to RGB) with its int64 label;
// in a data loader with workers, the decoding runs on the worker threads.
//
//   auto loader = make_data_loader(ImageFolder("train").map(Stack<>()), DataLoaderOptions(64).workers(2));
//
// load_all() decodes every image at once on ember's threads, for sets as small as CIFAR-10's
// that fit in memory as one N x C x H x W tensor (all images must then share one size).
#include <string>
#include <utility>
#include <vector>

#include "ember/data/datasets/base.h"
#include "ember/data/image.h"
#include "ember/data/labeled_images.h"
#include "ember/export.h"

namespace ember {
namespace data {
namespace datasets {

class EMBER_API ImageFolder : public Dataset<ImageFolder> {
 public:
  /// Scans root (no image is read yet). Throws when root is not a folder, has no class
  /// subfolder, or a class has no image.
  explicit ImageFolder(const std::string& root, ImageReadMode mode = ImageReadMode::kRGB);

  /// {image i as float32 C x H x W in [0, 1], its label (int64, 0-dim)}.
  Example<> get(size_t index) override;
  std::optional<size_t> size() const override { return samples_.size(); }

  /// The class names (subfolder names, sorted); a label indexes this list.
  const std::vector<std::string>& classes() const noexcept { return classes_; }
  /// (path, label) of every example, in example order.
  const std::vector<std::pair<std::string, int64_t>>& samples() const noexcept { return samples_; }
  /// Every image decoded (in parallel): x is uint8 N x C x H x W, y int64 N.
  LabeledImages load_all() const;

 private:
  std::string root_;
  ImageReadMode mode_;
  std::vector<std::string> classes_;
  std::vector<std::pair<std::string, int64_t>> samples_;
};

}  // namespace datasets
}  // namespace data
}  // namespace ember
