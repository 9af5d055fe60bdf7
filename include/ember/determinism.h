#pragma once
// Deterministic mode: one process-wide switch that asks every backend for bitwise reproducible
// results (same inputs, same seed, same thread count and device -> same bits), at some cost in
// speed where the fast kernel is not reproducible. See docs/determinism.md for what each backend
// does with it. LibTorch spells it at::globalContext().setDeterministicAlgorithms(); ember has
// no global context object, hence the free functions.
#include "ember/export.h"

namespace ember {

/// Turns deterministic mode on or off for the whole process (all threads), as PyTorch's
/// torch.use_deterministic_algorithms. Off by default. Backends read it on every call, so it can
/// be switched at any time (a CUDA convolution's cached algorithm choice is kept per mode).
EMBER_API void set_deterministic(bool enabled);
/// Whether deterministic mode is on.
EMBER_API bool is_deterministic();

}  // namespace ember
