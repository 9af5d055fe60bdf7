// A LibTorch program using the containers (ModuleList, ModuleDict, ParameterList, ParameterDict),
// Embedding, Unflatten, Dropout2d, AlphaDropout, Identity, nn::utils (clip_grad_norm_,
// clip_grad_value_, parameters_to_vector, vector_to_parameters) and nn::init (orthogonal_, dirac_,
// eye_, calculate_gain, the seeded random initialisers). Parameters are set deterministically
// (arange under NoGradGuard) or drawn after a fixed manual_seed. Built against LibTorch and
// against ember, the printed trees, names and values must match (modules print ember:: where
// LibTorch prints torch::).
#ifdef USE_TORCH
#include <torch/torch.h>
#else
#include <ember/torch_compat.h>  // the one line a port changes
#endif
#include <cmath>
#include <iomanip>
#include <iostream>
#include <limits>
namespace F = torch::nn::functional;

// Every element, rounded to 4 decimals so the last bits of float rounding do not show.
void show(const char* what, const torch::Tensor& t) {
  auto c = t.detach().to(torch::kDouble).contiguous().reshape({-1});
  std::cout << what << " " << t.sizes() << ":";
  for (int64_t i = 0; i < c.numel(); ++i) {
    double v = c[i].item<double>();
    std::cout << " " << std::fixed << std::setprecision(4) << (std::abs(v) < 5e-5 ? 0.0 : v);
  }
  std::cout << std::defaultfloat << "\n";
}

// Sets every parameter of `m` to arange values scaled by `scale`, deterministic on both sides.
void fill_arange(torch::nn::Module& m, double scale) {
  torch::NoGradGuard no_grad;
  double start = 0;
  for (auto& p : m.parameters()) {
    p.copy_(torch::arange(start, start + double(p.numel())).reshape(p.sizes()).mul(scale).sub(0.5));
    start += double(p.numel());
  }
}

struct StackImpl : torch::nn::Module {
  StackImpl() {
    layers = register_module("layers", torch::nn::ModuleList(torch::nn::Linear(3, 4), torch::nn::Linear(4, 4)));
    layers->push_back(torch::nn::Linear(torch::nn::LinearOptions(4, 2).bias(false)));
    heads = register_module("heads", torch::nn::ModuleDict());
    std::vector<std::pair<std::string, std::shared_ptr<torch::nn::Module>>> entries = {
        {"act", torch::nn::ReLU().ptr()}, {"id", torch::nn::Identity().ptr()}};
    heads->update(entries);
    extra = register_module("extra", torch::nn::ParameterList(torch::ones({2}), torch::zeros({1, 2})));
    named = register_module("named", torch::nn::ParameterDict());
    named->insert("alpha", torch::full({3}, 0.5));
    named->insert("beta", torch::ones({2, 2}).requires_grad_(false));
  }
  torch::Tensor forward(torch::Tensor x) {
    for (size_t i = 0; i < layers->size(); ++i) {
      x = layers[i]->as<torch::nn::Linear>()->forward(x);
      if (i + 1 < layers->size()) x = heads["act"]->as<torch::nn::ReLU>()->forward(x);
    }
    return x * extra[0].sum() + named["alpha"].sum();
  }
  torch::nn::ModuleList layers{nullptr};
  torch::nn::ModuleDict heads{nullptr};
  torch::nn::ParameterList extra{nullptr};
  torch::nn::ParameterDict named{nullptr};
};
TORCH_MODULE(Stack);

int main() {
  // --- containers: trees, names, values ---
  Stack net;
  std::cout << net << "\n";
  fill_arange(*net, 0.05);
  for (const auto& p : net->named_parameters())
    std::cout << p.key() << " " << p.value().sizes() << " requires_grad=" << p.value().requires_grad() << "\n";
  std::cout << "layers " << net->layers->size() << " empty " << net->layers->is_empty() << "\n";
  std::cout << "keys:";
  for (const auto& k : net->heads->keys()) std::cout << " " << k;
  std::cout << " contains act " << net->heads->contains("act") << " contains fc " << net->heads->contains("fc") << "\n";
  std::cout << "at<Linear> " << net->layers->at<torch::nn::LinearImpl>(1).options.in_features() << "\n";
  auto x = torch::arange(0., 6.).reshape({2, 3}).mul(0.25);
  auto y = net->forward(x);
  show("forward", y);
  y.sum().backward();
  for (const auto& p : net->named_parameters())
    if (p.value().grad().defined()) show(("grad " + p.key()).c_str(), p.value().grad());

  // --- clip_grad_norm_ / clip_grad_value_ ---
  auto params = net->parameters();
  double norm2 = torch::nn::utils::clip_grad_norm_(params, 1.0);
  std::cout << "clip_grad_norm_ 2: " << norm2 << "\n";
  double norm_after = torch::nn::utils::clip_grad_norm_(params, 100.0);
  std::cout << "norm after clipping: " << norm_after << "\n";
  double norm_inf = torch::nn::utils::clip_grad_norm_(params, 0.5, std::numeric_limits<double>::infinity());
  std::cout << "clip_grad_norm_ inf: " << norm_inf << "\n";
  double norm_1 = torch::nn::utils::clip_grad_norm_(params, 0.1, 1.0);
  std::cout << "clip_grad_norm_ 1: " << norm_1 << "\n";
  show("clipped grad layers.0.weight", net->layers->ptr<torch::nn::LinearImpl>(0)->weight.grad());
  torch::nn::utils::clip_grad_value_(params, 0.001);
  show("value-clipped grad layers.2.weight", net->layers->ptr<torch::nn::LinearImpl>(2)->weight.grad());

  // --- parameters_to_vector / vector_to_parameters ---
  auto vec = torch::nn::utils::parameters_to_vector(net->layers->parameters());
  std::cout << "parameters_to_vector " << vec.sizes() << " sum " << vec.sum().item<double>() << "\n";
  torch::nn::utils::vector_to_parameters(torch::arange(0., double(vec.numel())).mul(0.01), net->layers->parameters());
  show("after vector_to_parameters layers.1.bias", net->layers->ptr<torch::nn::LinearImpl>(1)->bias);

  // --- ModuleList insert at the end, extend; ModuleDict pop ---
  torch::nn::ModuleList list;
  list->push_back(torch::nn::Identity());
  list->insert(1, torch::nn::Linear(2, 2));
  torch::nn::ModuleList more{torch::nn::ReLU(), torch::nn::Flatten()};
  list->extend(*more);
  std::cout << list << "\n";
  auto popped = net->heads->pop("id");
  std::cout << "popped " << *popped << ", left " << net->heads->size() << "\n";

  // --- Embedding ---
  torch::nn::Embedding emb(torch::nn::EmbeddingOptions(5, 3).padding_idx(-1));
  std::cout << emb << " padding_idx " << *emb->options.padding_idx() << "\n";
  fill_arange(*emb, 0.1);
  auto idx = torch::tensor({{0, 4, 2}, {4, 4, 1}}, torch::kLong);
  auto e = emb(idx);
  show("embedding", e);
  (e * torch::arange(1., 19.).reshape({2, 3, 3})).sum().backward();
  show("embedding grad", emb->weight.grad());
  auto table = torch::arange(0., 8.).reshape({4, 2});
  auto pre = torch::nn::Embedding::from_pretrained(table, torch::nn::EmbeddingFromPretrainedOptions().padding_idx(0));
  std::cout << pre << " requires_grad " << pre->weight.requires_grad() << "\n";
  show("from_pretrained", pre(torch::tensor({3, 0, 1}, torch::kLong)));
  auto renorm_table = torch::arange(0., 12.).reshape({4, 3});
  show("F::embedding max_norm",
       F::embedding(torch::tensor({1, 3}, torch::kLong), renorm_table, F::EmbeddingFuncOptions().max_norm(2.0)));
  show("renormalised table", renorm_table);
  torch::nn::Embedding normed(torch::nn::EmbeddingOptions(3, 2).max_norm(1.5).norm_type(1.0));
  std::cout << normed << "\n";

  // --- Unflatten, Identity, Dropout2d, AlphaDropout ---
  torch::nn::Unflatten unflatten(torch::nn::UnflattenOptions(1, {2, -1}));
  std::cout << unflatten << " " << unflatten(torch::zeros({3, 8})).sizes() << "\n";
  torch::nn::Sequential seq(torch::nn::Identity(), torch::nn::Dropout2d(0.25), torch::nn::AlphaDropout(0.2),
                            torch::nn::Unflatten(torch::nn::UnflattenOptions(0, {1, 2})));
  std::cout << seq << "\n";
  seq->eval();
  show("eval dropouts", seq->forward(torch::arange(0., 8.).reshape({2, 1, 2, 2})));
  show("dropout2d p=1", F::dropout2d(torch::ones({2, 2, 1, 1}), F::Dropout2dFuncOptions().p(1.0)));
  show("alpha_dropout p=1", F::alpha_dropout(torch::ones({3}), F::AlphaDropoutFuncOptions().p(1.0).training(true)));
  show("alpha_dropout eval", F::alpha_dropout(torch::ones({3}), F::AlphaDropoutFuncOptions().p(0.5)));

  // --- nn::init ---
  std::cout << "gains " << torch::nn::init::calculate_gain(torch::kTanh) << " "
            << torch::nn::init::calculate_gain(torch::kReLU) << " "
            << torch::nn::init::calculate_gain(torch::kLeakyReLU, 0.2) << " "
            << torch::nn::init::calculate_gain(torch::kConv2D) << "\n";
  auto w = torch::empty({3, 2, 3});
  show("dirac_", torch::nn::init::dirac_(w));
  show("eye_", torch::nn::init::eye_(torch::empty({2, 3})));
  torch::manual_seed(7);
  show("orthogonal_ tall", torch::nn::init::orthogonal_(torch::empty({4, 3})));
  show("orthogonal_ wide", torch::nn::init::orthogonal_(torch::empty({2, 2, 3}), 2.0));
  torch::manual_seed(8);
  show("xavier_uniform_", torch::nn::init::xavier_uniform_(torch::empty({2, 3})));
  show("xavier_normal_", torch::nn::init::xavier_normal_(torch::empty({2, 3}), 0.5));
  show("kaiming_uniform_", torch::nn::init::kaiming_uniform_(torch::empty({2, 3}), 0, torch::kFanOut, torch::kReLU));
  show("kaiming_normal_", torch::nn::init::kaiming_normal_(torch::empty({3, 2}), 0.1));
  show("sparse_", torch::nn::init::sparse_(torch::empty({4, 2}), 0.5, 1.0));
}
