#pragma once
// What every factory does last with its TensorOptions (src/factories.cpp, factories_extra.cpp).
#include "ember/tensor.h"

namespace ember {

/// Applies `o`'s requires_grad to a freshly made tensor.
inline Tensor finish_factory(Tensor t, const TensorOptions& o) {
  if (o.requires_grad()) t.requires_grad_(true);
  return t;
}

}  // namespace ember
