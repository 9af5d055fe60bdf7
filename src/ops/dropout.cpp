// dropout: zeroes each element with probability p during training and scales the survivors by
// 1 / (1 - p), so the expected value is unchanged and evaluation needs no rescaling (PyTorch's
// "inverted dropout"). Backward comes from the multiplication by the saved mask.
#include "common.h"

namespace ember {

Tensor dropout(const Tensor& input, double p, bool train) {
  EMBER_CHECK(input.defined(), "dropout: undefined input");
  EMBER_CHECK(p >= 0.0 && p <= 1.0, "dropout: probability has to be between 0 and 1, but got ", p);
  if (!train || p == 0.0) return input;
  check_floating("dropout", input);
  // p == 1 keeps the graph (a zero gradient) and lets NaN through, as PyTorch's input * 0.
  if (p == 1.0) return input * 0.0;
  Tensor mask;
  {
    NoGradGuard no_grad;
    // Kept with probability 1 - p; the scale is folded into the mask so the graph has one multiply.
    mask = (rand_like(input) >= p).to(input.dtype());
    mask.mul_(1.0 / (1.0 - p));
  }
  return input * mask;
}

}  // namespace ember
