// A LibTorch program using the transposed convolutions: torch::conv_transpose1d/2d,
// F::conv_transpose1d/2d, nn::ConvTranspose1d/2d (default initialisation, forward with and
// without output_size, printouts, gradients) and F::interpolate's bicubic mode. Built against
// LibTorch and against ember, the values, gradients and printed modules must match (module names
// print with ember:: where LibTorch prints torch::).
#ifdef USE_TORCH
#include <torch/torch.h>
#else
#include <ember/torch_compat.h>  // the one line a port changes
#endif
#include <iostream>

#include "show.h"
namespace F = torch::nn::functional;

int main() {
  torch::manual_seed(7);
  // A decoder's upsampling layer: stride 2, padding 1, output_padding 1, two groups.
  torch::nn::ConvTranspose2d up(
      torch::nn::ConvTranspose2dOptions(4, 6, 3).stride(2).padding(1).output_padding(1).groups(2));
  std::cout << up << "\n";
  show("up.weight", up->weight);
  show("up.bias", up->bias);
  auto x = torch::randn({1, 4, 2, 3}, torch::requires_grad());
  auto y = up(x);
  std::cout << "y " << y.sizes() << "\n";
  show("y", y);
  y.pow(2).sum().backward();
  show("x.grad", x.grad());
  show("up.weight.grad", up->weight.grad());
  show("up.bias.grad", up->bias.grad());
  // output_size picks output_padding.
  std::cout << "output_size " << up->forward(x, at::IntArrayRef{3, 6}).sizes() << "\n";

  torch::nn::ConvTranspose1d line(torch::nn::ConvTranspose1dOptions(3, 2, 2).stride(3).bias(false));
  std::cout << line << "\n";
  auto s = torch::randn({2, 3, 4});
  show("line", line(s));

  auto w = torch::randn({3, 2, 2, 3});
  auto b = torch::randn({2});
  auto img = torch::randn({2, 3, 3, 2});
  show("conv_transpose2d", torch::conv_transpose2d(img, w, b, {1, 2}, {0, 1}, {0, 1}, 1, {2, 1}));
  show("F::conv_transpose2d", F::conv_transpose2d(img, w, F::ConvTranspose2dFuncOptions().stride(2).dilation(2)));
  show("F::conv_transpose1d",
       F::conv_transpose1d(s, torch::randn({3, 1, 3}),
                           F::ConvTranspose1dFuncOptions().padding(1).output_padding(1).stride(2)));

  auto small = torch::randn({1, 2, 3, 4}, torch::requires_grad());
  auto big = F::interpolate(
      small, F::InterpolateFuncOptions().size(std::vector<int64_t>{5, 7}).mode(torch::kBicubic).align_corners(false));
  show("bicubic", big);
  (big * big).sum().backward();
  show("bicubic.grad", small.grad());
  show("bicubic_ac", F::interpolate(small, F::InterpolateFuncOptions()
                                               .scale_factor(std::vector<double>{1.5, 0.5})
                                               .mode(torch::kBicubic)
                                               .align_corners(true)));
  return 0;
}
