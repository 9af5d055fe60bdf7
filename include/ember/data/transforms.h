#pragma once
// Transforms of in-memory image tensors, in the style of torchvision.transforms: normalisation,
// and augmentation of N x C x H x W batches on whatever device they live.
#include <vector>

#include "ember/tensor.h"

namespace ember {
namespace data {

/// The per-channel mean and standard deviation that the tutorial normalises CIFAR-10 with.
EMBER_API const std::vector<double>& cifar10_mean();  // {0.4914, 0.4822, 0.4465}
EMBER_API const std::vector<double>& cifar10_std();   // {0.2023, 0.1994, 0.2010}

/// (x - mean[c]) / stddev[c] for every channel c, as torchvision's T.Normalize: x is C x H x W or
/// N x C x H x W (any floating dtype, any device) with C == mean.size() == stddev.size(). The
/// defaults are the tutorial's CIFAR-10 values.
EMBER_API Tensor normalize(const Tensor& x, const std::vector<double>& mean = cifar10_mean(),
                           const std::vector<double>& stddev = cifar10_std());
/// The same, in place (no second copy of a 600 MB training set).
EMBER_API const Tensor& normalize_(const Tensor& x, const std::vector<double>& mean = cifar10_mean(),
                                   const std::vector<double>& stddev = cifar10_std());

/// Flips each image of an N x C x H x W batch left-right with probability p (in [0, 1]), as
/// torchvision's T.RandomHorizontalFlip applied image by image. Runs on x's device and dtype; the
/// N coin tosses come from ember's default CPU generator, so manual_seed makes them repeat.
EMBER_API Tensor random_horizontal_flip(const Tensor& x, double p = 0.5);

/// Zero-pads each image of an N x C x H x W batch by `padding` on every side, then cuts a
/// size x size window at a random position per image, as torchvision's
/// T.RandomCrop(size, padding) (the tutorial's RandomCrop(32, padding=4) on CIFAR-10). Runs on
/// x's device and dtype; the offsets come from ember's default CPU generator (manual_seed).
EMBER_API Tensor random_crop(const Tensor& x, int64_t size, int64_t padding = 0);

/// Randomly changes the brightness, contrast, saturation and hue of each image of an
/// N x 3 x H x W batch of RGB values in [0, 1], as torchvision's T.ColorJitter(brightness,
/// contrast, saturation, hue) applied image by image: each image draws its own factors, uniform
/// in [max(0, 1 - b), 1 + b] (the hue shift in [-hue, hue], hue <= 0.5), and the four
/// adjustments run in a random order drawn once per call (torchvision draws one per image).
/// A 0 leaves that property alone. Runs on x's device and dtype; the draws come from ember's
/// default CPU generator (manual_seed).
EMBER_API Tensor color_jitter(const Tensor& x, double brightness = 0, double contrast = 0, double saturation = 0,
                              double hue = 0);

/// Resizes a C x H x W image or an N x C x H x W batch to height x width by bilinear
/// interpolation (align_corners false, no antialiasing), as torchvision's T.Resize([h, w]) on
/// tensors.
EMBER_API Tensor resize(const Tensor& x, int64_t height, int64_t width);

}  // namespace data
}  // namespace ember
