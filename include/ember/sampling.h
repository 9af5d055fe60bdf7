#pragma once
// Random sampling as LibTorch 1.13 spells it: torch::multinomial, torch::bernoulli,
// torch::normal with tensor arguments, torch::randint_like (the in-place samplers random_,
// exponential_, geometric_, log_normal_, cauchy_, bernoulli_ are Tensor methods). On the CPU each
// draws the same numbers as PyTorch 1.13's CPU kernels after the same manual_seed; on CUDA they
// come from ember's Philox streams (src/sampling_rules.h holds the rules both share).
//
// ember has no Generator objects: every op draws from the default generator of its device.
#include <cstdint>

#include "ember/tensor.h"

namespace ember {

/// num_samples category indices (int64) per row of a 1-D or 2-D tensor of non-negative weights
/// (rows need not sum to 1). Without replacement each category is drawn at most once.
EMBER_API Tensor multinomial(const Tensor& self, int64_t num_samples, bool replacement = false);

/// 0/1 draws with self as the probabilities (result: self's dtype and shape). Not
/// differentiable: as in LibTorch, the result requires grad when self does, with a zero gradient.
EMBER_API Tensor bernoulli(const Tensor& self);
/// 0/1 draws of probability p, shaped and typed like self.
EMBER_API Tensor bernoulli(const Tensor& self, double p);

/// One normal draw per element of mean (broadcast with std). Gradients are zero, as LibTorch's.
EMBER_API Tensor normal(const Tensor& mean, double std = 1);
EMBER_API Tensor normal(double mean, const Tensor& std);
EMBER_API Tensor normal(const Tensor& mean, const Tensor& std);
EMBER_API Tensor normal(double mean, double std, IntArrayRef size, const TensorOptions& options = {});

/// Integers in [0, high) or [low, high), shaped like self (its dtype and device unless options say).
EMBER_API Tensor randint_like(const Tensor& self, int64_t high, const TensorOptions& options = {});
EMBER_API Tensor randint_like(const Tensor& self, int64_t low, int64_t high, const TensorOptions& options = {});

}  // namespace ember
