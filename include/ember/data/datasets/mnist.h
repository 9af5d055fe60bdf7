#pragma once
// MNIST: the MNIST digits from the four IDX files of the official release in `root`, as
// LibTorch's torch::data::datasets::MNIST. kTrain reads train-images-idx3-ubyte and
// train-labels-idx1-ubyte (60,000 examples), kTest t10k-images-idx3-ubyte and
// t10k-labels-idx1-ubyte (10,000). Images are float32 N x 1 x 28 x 28 in [0, 1] (byte / 255),
// targets int64. A missing file, a wrong magic number, count or image size, or a file shorter
// than its header promises throws ember::Error naming the file.
#include <string>

#include "ember/data/datasets/base.h"
#include "ember/export.h"

namespace ember {
namespace data {
namespace datasets {

class EMBER_API MNIST : public Dataset<MNIST> {
 public:
  enum class Mode { kTrain, kTest };

  explicit MNIST(const std::string& root, Mode mode = Mode::kTrain);

  /// {image index (1 x 28 x 28), its label}.
  Example<> get(size_t index) override;
  std::optional<size_t> size() const override;
  /// Whether this is the training set (60,000 examples).
  bool is_train() const noexcept;
  /// All images (N x 1 x 28 x 28) and targets (N).
  const Tensor& images() const;
  const Tensor& targets() const;

 private:
  Tensor images_, targets_;
};

}  // namespace datasets
}  // namespace data
}  // namespace ember
