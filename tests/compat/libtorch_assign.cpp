// Assignment into views, as a LibTorch program writes it: `t[1] = row` copies into t, `a = b`
// on a named tensor rebinds it, autograd sees the writes (CopySlices), and LibTorch's refusals
// (a view of a leaf that requires grad, overlapping copies). Built against LibTorch and against
// ember (ember/torch_compat.h), it must print the same text: tools/check_libtorch_compat.sh.
#ifdef USE_TORCH
#include <torch/torch.h>
#else
#include <ember/torch_compat.h>  // the one line a port changes
#endif
#include <functional>
#include <iostream>
#include <string>

// Prints whether f was refused with an error containing `phrase` (the messages' shared words).
static void refused(const std::function<void()>& f, const std::string& phrase) {
  try {
    f();
    std::cout << "allowed\n";
  } catch (const std::exception& e) {
    std::cout << (std::string(e.what()).find(phrase) != std::string::npos ? "refused: " + phrase
                                                                          : std::string("refused otherwise"))
              << "\n";
  }
}

static std::string name(const torch::Tensor& t) { return t.grad_fn() ? t.grad_fn()->name() : "null"; }

int main() {
  // Rows, elements, columns, slabs, broadcasting.
  auto t = torch::zeros({3, 4});
  t[1] = torch::arange(4, torch::kFloat) + 1;
  t[0][1] = 5;
  t.select(1, 3) = torch::tensor({-1.f, -2.f, -3.f});
  t.narrow(0, 2, 1) = 7.5;
  std::cout << t << "\n";
  t[1] = torch::tensor({2.5f});
  t.narrow(0, 0, 2) = torch::arange(4, torch::kFloat) * 10;
  t.t()[0] = torch::tensor(0.5);
  std::cout << t << "\n";

  // dtype conversion on the way in.
  auto i = torch::zeros({2, 3}, torch::kLong);
  i[0] = torch::tensor({1.7, -2.7, 3.5}, torch::kDouble);
  i[1][0] = 2.9;
  i[1][2] = true;
  auto b = torch::zeros({3}, torch::kBool);
  b[0] = 2.5;
  b.narrow(0, 1, 2) = torch::tensor({0.0, -1.0});
  auto f = torch::zeros({3});
  f.narrow(0, 0, 2) = torch::tensor({1.0 / 3.0, 0.1}, torch::kDouble);
  f[2] = torch::tensor(true);
  std::cout << i << "\n" << b << "\n" << f << "\n";

  // A view of a non-leaf inside a graph: the base takes the history.
  auto x = torch::arange(6, torch::kFloat).view({2, 3}).detach().requires_grad_();
  auto z = torch::tensor({1.f, 2.f, 3.f}).requires_grad_();
  auto y = x * 2;
  y[0] = z * 3;
  std::cout << name(y) << " " << name(y[0]) << "\n";
  (y * torch::arange(6, torch::kFloat).view({2, 3})).sum().backward();
  std::cout << x.grad() << "\n" << z.grad() << "\n" << y << "\n";

  auto x2 = torch::ones({2, 3}, torch::requires_grad());
  auto y2 = x2 * 2;
  auto v = y2[0];
  v.mul_(2);
  y2[1][2] = 0;
  std::cout << name(v) << " " << name(y2) << " " << v.requires_grad() << v.is_leaf() << "\n";
  (y2.sum() + v.sum()).backward();
  std::cout << x2.grad() << "\n";

  auto base = torch::zeros({2, 3});
  auto other = base[1];
  auto w = torch::tensor({1.f, 2.f, 3.f}).requires_grad_();
  base[0] = w * w;
  std::cout << base.requires_grad() << base.is_leaf() << other.requires_grad() << " " << name(other) << "\n";
  (base * 2).sum().backward();
  std::cout << w.grad() << "\n";

  auto x3 = torch::ones({3}, torch::requires_grad());
  auto y3 = x3 * 2;
  y3.fill_(1);
  std::cout << name(y3) << " " << y3.requires_grad() << "\n";
  y3.sum().backward();
  std::cout << x3.grad() << "\n";

  // The errors LibTorch raises.
  auto leaf = torch::ones({2, 3}, torch::requires_grad());
  const std::string in_place = "is being used in an in-place operation";
  refused([&] { leaf[0] = 5; }, "a view of a leaf Variable that requires grad " + in_place);
  refused([&] { leaf[1] = torch::zeros({3}); }, "a view of a leaf Variable that requires grad " + in_place);
  refused([&] { leaf.add_(1); }, in_place);
  {
    torch::NoGradGuard no_grad;
    leaf[0] = 5;
  }
  std::cout << leaf << "\n" << leaf.is_leaf() << leaf.requires_grad() << "\n";
  torch::Tensor made_without_grad;
  {
    torch::NoGradGuard no_grad;
    made_without_grad = torch::zeros({2, 3})[0];
  }
  refused([&] { made_without_grad.copy_(w); },
          "A view was created in no_grad mode and is being modified inplace with grad mode enabled");

  // Overlap: disjoint rows are fine, overlapping narrows and repeated destinations are refused.
  auto s = torch::arange(6, torch::kFloat).view({2, 3});
  s[0] = s[1];
  s[1] = s[1];
  std::cout << s << "\n";
  auto r = torch::arange(5, torch::kFloat);
  refused([&] { r.narrow(0, 0, 3) = r.narrow(0, 1, 3); }, "refer to a single memory location");
  refused([&] { r.narrow(0, 1, 3) = r.narrow(0, 0, 3); }, "refer to a single memory location");
  refused([&] { r.narrow(0, 1, 4).add_(r.narrow(0, 0, 4)); }, "refer to a single memory location");
  auto sq = torch::arange(4, torch::kFloat).view({2, 2});
  refused([&] { sq.copy_(sq.t()); }, "refer to a single memory location");
  sq[0] = sq.select(1, 0);
  auto e = torch::zeros({3});
  refused([&] { e.expand({2, 3}) = torch::ones({2, 3}); }, "more than one element of the written-to tensor");
  e.expand({2, 3}) = 1.5;
  std::cout << r << "\n" << sq << "\n" << e << "\n";

  // A named tensor rebinds.
  auto g = torch::arange(8, torch::kFloat).view({2, 4});
  torch::Tensor a = g[0];
  a = torch::ones({4}) * 9;
  torch::Tensor c = g[1];
  c = torch::zeros({2, 2});
  c += 1;
  torch::Tensor row = g[1];
  row += 100;
  std::cout << g << "\n" << a << "\n" << c << "\n";
}
