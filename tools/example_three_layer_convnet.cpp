// The tutorial's three_layer_convnet_test: prints the scores' shape, [64, 10].
#include <iostream>

#include "barebones.h"

int main() {
  ember::Tensor x = ember::zeros({64, 3, 32, 32});
  std::vector<ember::Tensor> params = {ember::zeros({6, 3, 5, 5}),      ember::zeros({6}),    // conv 1: 6 filters 5x5
                                       ember::zeros({9, 6, 3, 3}),      ember::zeros({9}),    // conv 2: 9 filters 3x3
                                       ember::zeros({9 * 32 * 32, 10}), ember::zeros({10})};  // fully connected
  ember::Tensor scores = barebones::three_layer_convnet(x, params);
  std::cout << scores.sizes() << std::endl;  // [64, 10]
  return 0;
}
