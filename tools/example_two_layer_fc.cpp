// The tutorial's two_layer_fc_test: a forward pass on zeros prints the scores' shape, [64, 10].
#include <iostream>

#include "barebones.h"

int main() {
  const int64_t hidden = 42;
  ember::Tensor x = ember::zeros({64, 50});
  ember::Tensor w1 = ember::zeros({50, hidden});
  ember::Tensor w2 = ember::zeros({hidden, 10});
  ember::Tensor scores = barebones::two_layer_fc(x, {w1, w2});
  std::cout << scores.sizes() << std::endl;  // [64, 10]
  return 0;
}
