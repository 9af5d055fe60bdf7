// A program outside the ember tree: it must build against an installed ember.
#include <ember/ember.h>
#include <iostream>

int main() {
  ember::Tensor w = ember::ones({2, 2}, ember::requires_grad());
  ember::Tensor y = (w * 3).sum();
  y.backward();
  std::cout << w.grad().sum().item<float>() << std::endl;  // 12
  return w.grad().sum().item<float>() == 12.0f ? 0 : 1;
}
