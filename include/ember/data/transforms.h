#pragma once
// Transforms of in-memory image tensors, in the style of torchvision.transforms.
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

}  // namespace data
}  // namespace ember
