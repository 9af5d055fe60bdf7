#pragma once
// Saving and restoring the default CPU generator, as torch.get_rng_state()/set_rng_state(), so
// a resumed training run draws the same dropout masks, shuffles and initialisations as an
// uninterrupted one (store the state in a Checkpoint).
//
// ember has no uint8 dtype, so unlike torch's 5056-byte ByteTensor the state is a 1-D int64
// CPU tensor of 629 words:
//   [0, 624)  the mt19937 state words (each in [0, 2^32))
//   [624]     draws left before the next twist (1..624)
//   [625]     index of the next state word (0..624)
//   [626]     the seed of the last manual_seed (its uint64 bit pattern)
//   [627]     1 when a second Box-Muller normal is cached, else 0
//   [628]     that cached normal, as the bit pattern of an IEEE-754 double
#include "ember/tensor.h"

namespace ember {

/// The number of int64 words in get_rng_state().
constexpr int64_t kRngStateSize = 629;

/// A copy of the default CPU generator's state.
EMBER_API Tensor get_rng_state();
/// Restores a state from get_rng_state(): a 1-D int64 tensor of kRngStateSize words (any
/// device). Throws ember::Error, leaving the generator as it was, when the size, dtype or
/// contents could not be a generator state. CUDA generators are not affected.
EMBER_API void set_rng_state(const Tensor& state);

}  // namespace ember
