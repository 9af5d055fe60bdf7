// The tutorial's barebones training loop (hand-written SGD) on a synthetic 10-class problem:
// each class is a Gaussian blob around its own random centre in a 3x8x8 "image" space, so a
// two-layer net separates them well. Prints the tutorial's lines; exits non-zero if it did not learn.
#include <cstdio>
#include <iostream>

#include "barebones.h"

using ember::Tensor;

static double accuracy(const Tensor& x, const Tensor& y, const std::vector<Tensor>& params) {
  ember::NoGradGuard no_grad;
  Tensor pred = barebones::two_layer_fc(x, params).argmax(1);
  int64_t correct = (pred == y).sum().item<int64_t>();
  std::printf("Got %lld / %lld correct (%.2f)\n", (long long)correct, (long long)y.size(0),
              100.0 * double(correct) / double(y.size(0)));
  return double(correct) / double(y.size(0));
}

int main() {
  namespace F = ember::nn::functional;
  ember::manual_seed(0);
  const int64_t n = 2048, classes = 10;
  Tensor centres = ember::randn({classes, 3, 8, 8});
  Tensor y = ember::randint(0, classes, {n});
  Tensor x = centres.index_select(0, y) + 0.8 * ember::randn({n, 3, 8, 8});

  std::vector<Tensor> params = {barebones::random_weight({3 * 8 * 8, 100}), barebones::random_weight({100, classes})};
  const double lr = 1e-2;
  for (int epoch = 0; epoch < 2; ++epoch) {
    for (int64_t t = 0; t * 64 < n; ++t) {
      Tensor xb = x.narrow(0, t * 64, 64), yb = y.narrow(0, t * 64, 64);
      Tensor loss = F::cross_entropy(barebones::two_layer_fc(xb, params), yb);
      loss.backward();
      barebones::sgd_step(params, lr);
      if (t % 10 == 0) std::printf("Iteration %lld, loss = %.4f\n", (long long)t, loss.item<double>());
    }
  }
  return accuracy(x, y, params) > 0.9 ? 0 : 1;
}
