// layer_norm, group_norm, instance_norm and normalize: values and gradients against PyTorch
// (tests/fixtures/normalization.txt) on every device in float32 and float64, float64
// finite-difference gradchecks, LibTorch's node names, the modules (nn::LayerNorm, nn::GroupNorm,
// nn::InstanceNorm1d/2d: printouts, parameters, buffers, train/eval), the errors in PyTorch's
// words, and (tagged [cuda]) the CUDA kernels against the CPU on random inputs.
#include <cmath>
#include <limits>

#include "ember/nn.h"
#include "helpers.h"

using namespace ember;
using namespace ember_test;
using V = std::vector<Tensor>;
namespace F = ember::nn::functional;

namespace {
void norm_case(const std::string& name, const TensorFn& fn, const CaseOptions& options = CaseOptions()) {
  check_case("normalization", name, fn, options);
}
/// A stored tensor that is not an input (running statistics), as a fresh copy on `like`'s device
/// and dtype.
Tensor stored(const std::string& key, const Tensor& like) {
  return fixtures("normalization")[key].to(like.device(), like.dtype()).clone();
}
}  // namespace

TEST_CASE("layer_norm: values and gradients against PyTorch", "[norm]") {
  norm_case("ln_1d", [](const V& v) { return layer_norm(v[0], {5}, v[1], v[2]); });
  norm_case("ln_1d",
            [](const V& v) { return F::layer_norm(v[0], F::LayerNormFuncOptions({5}).weight(v[1]).bias(v[2])); });
  norm_case("ln_2d", [](const V& v) { return layer_norm(v[0], {3, 4}, v[1], v[2]); });
  norm_case("ln_noaffine", [](const V& v) { return F::layer_norm(v[0], F::LayerNormFuncOptions({6})); });
  norm_case("ln_weight_only", [](const V& v) { return layer_norm(v[0], {2, 5}, v[1]); });
  norm_case("ln_eps", [](const V& v) { return layer_norm(v[0], {4}, v[1], v[2], 0.1); });
  // Values 100 + 0.1 N(0, 1), in float64 only: float32 itself resolves them to 8e-6, 1e-4 of the
  // spread. The finite differences of a spread of 0.1 around 100 are too coarse for the gradcheck.
  CaseOptions float64_only;
  float64_only.float32 = false;
  float64_only.gradcheck = false;
  norm_case(
      "ln_offset", [](const V& v) { return layer_norm(v[0], {8}, v[1], v[2]); }, float64_only);
}

TEST_CASE("group_norm: values and gradients against PyTorch", "[norm]") {
  norm_case("gn_3d", [](const V& v) { return group_norm(v[0], 3, v[1], v[2]); });
  norm_case("gn_3d",
            [](const V& v) { return F::group_norm(v[0], F::GroupNormFuncOptions(3).weight(v[1]).bias(v[2])); });
  norm_case("gn_4d", [](const V& v) { return group_norm(v[0], 2, v[1], v[2]); });
  norm_case("gn_one_group", [](const V& v) { return F::group_norm(v[0], 1); });
  norm_case("gn_group_per_channel", [](const V& v) { return group_norm(v[0], 4, v[1], v[2], 1e-3); });
  norm_case("gn_2d", [](const V& v) { return group_norm(v[0], 2, v[1], v[2]); });
}

TEST_CASE("instance_norm: values, gradients and running statistics against PyTorch", "[norm]") {
  norm_case("in_3d",
            [](const V& v) { return F::instance_norm(v[0], F::InstanceNormFuncOptions().weight(v[1]).bias(v[2])); });
  norm_case("in_4d", [](const V& v) { return F::instance_norm(v[0]); });
  // With running statistics, fresh copies each run (they are updated in place).
  norm_case("in_stats", [](const V& v) {
    return instance_norm(v[0], v[1], v[2], stored("in_stats.rm", v[0]), stored("in_stats.rv", v[0]), true, 0.2, 1e-5,
                         false);
  });
  norm_case("in_eval", [](const V& v) {
    return F::instance_norm(v[0], F::InstanceNormFuncOptions()
                                      .running_mean(stored("in_stats.rm", v[0]))
                                      .running_var(stored("in_stats.rv", v[0]))
                                      .use_input_stats(false));
  });
  const Fixtures& f = fixtures("normalization");
  for (Device d : test_devices()) {
    INFO("device " << device_name(d));
    Tensor x = f["in_stats.in0"].to(d, kDouble);
    Tensor rm = stored("in_stats.rm", x), rv = stored("in_stats.rv", x);
    F::instance_norm(x, F::InstanceNormFuncOptions()
                            .running_mean(rm)
                            .running_var(rv)
                            .weight(f["in_stats.in1"].to(d, kDouble))
                            .bias(f["in_stats.in2"].to(d, kDouble))
                            .momentum(0.2));
    require_close(rm, f["in_stats.rm_after"], 1e-10, 1e-12);
    require_close(rv, f["in_stats.rv_after"], 1e-10, 1e-12);
  }
}

TEST_CASE("normalize: p-norms along a dim, clamped at eps", "[norm]") {
  norm_case("normalize", [](const V& v) { return F::normalize(v[0]); });
  norm_case("normalize_p1_dim0", [](const V& v) { return F::normalize(v[0], F::NormalizeFuncOptions().p(1).dim(0)); });
  norm_case("normalize_p3_last", [](const V& v) { return F::normalize(v[0], F::NormalizeFuncOptions().p(3).dim(-1)); });
  norm_case("normalize_inf", [](const V& v) {
    return F::normalize(v[0], F::NormalizeFuncOptions().p(std::numeric_limits<double>::infinity()));
  });
  // The zero row's denominator is eps, so its gradient is g / eps: right at the kink of
  // max(norm, eps), where finite differences do not apply.
  CaseOptions no_gradcheck;
  no_gradcheck.gradcheck = false;
  norm_case(
      "normalize_zero_row", [](const V& v) { return F::normalize(v[0], F::NormalizeFuncOptions().eps(1e-6)); },
      no_gradcheck);
  // out receives the result.
  Tensor x = rnd({3, 4}, kDouble), out = zeros({3, 4}, kDouble);
  Tensor r = F::normalize(x, F::NormalizeFuncOptions().out(out));
  CHECK(r.is_same(out));
  require_close(out, F::normalize(x), 0, 0);
}

TEST_CASE("normalisations: LibTorch's node names, one node for layer_norm and group_norm", "[norm]") {
  Tensor x = rnd({2, 6, 3}, kDouble).requires_grad_(true);
  Tensor w = ones({6}, kDouble).requires_grad_(true), b = zeros({6}, kDouble).requires_grad_(true);
  CHECK(node_name(layer_norm(x, {3})) == "NativeLayerNormBackward0");
  CHECK(node_name(layer_norm(x, {6, 3})) == "NativeLayerNormBackward0");
  CHECK(node_name(group_norm(x, 3, w, b)) == "NativeGroupNormBackward0");
  // instance_norm is PyTorch's batch norm of a view, viewed back.
  Tensor y = F::instance_norm(x);
  CHECK(node_name(y) == "ViewBackward0");
  CHECK(y.grad_fn()->next_edges[0].fn->name() == "NativeBatchNormBackward0");
  CHECK(node_name(F::normalize(x)) == "DivBackward0");
  // The fused backward is a kernel: a create_graph backward through it is refused, naming it.
  for (const Tensor& z : {layer_norm(x, {3}), group_norm(x, 2)}) {
    Tensor loss = z.pow(2).sum();
    require_throws_with([&] { autograd::grad({loss}, {x}, {}, std::nullopt, true); },
                        {node_name(z), "double backward is not supported"});
  }
}

TEST_CASE("nn::LayerNorm and nn::GroupNorm: options, parameters, printouts, forward", "[norm][nn]") {
  nn::LayerNorm ln(nn::LayerNormOptions({2, 3}));
  CHECK(printed(ln) == "ember::nn::LayerNorm([2, 3], eps=1e-05, elementwise_affine=true)");
  REQUIRE(ln->named_parameters().keys() == std::vector<std::string>{"weight", "bias"});
  require_close(ln->weight, ones({2, 3}), 0, 0);
  require_close(ln->bias, zeros({2, 3}), 0, 0);
  CHECK(ln->weight.requires_grad());
  Tensor x = rnd({4, 2, 3});
  require_close(ln(x), layer_norm(x, {2, 3}), 0, 0);
  // LayerNormImpl(normalized_shape), as LibTorch's constructor.
  nn::LayerNorm plain(nn::LayerNormOptions({4}).eps(1e-3).elementwise_affine(false));
  CHECK(printed(plain) == "ember::nn::LayerNorm([4], eps=0.001, elementwise_affine=false)");
  CHECK(plain->parameters().empty());
  CHECK(!plain->weight.defined());
  CHECK(nn::LayerNorm(std::vector<int64_t>{5})->options.normalized_shape() == std::vector<int64_t>{5});

  nn::GroupNorm gn(2, 6);
  CHECK(printed(gn) == "ember::nn::GroupNorm(2, 6, eps=1e-05, affine=true)");
  CHECK(gn->weight.sizes().equals({6}));
  CHECK(printed(nn::GroupNorm(nn::GroupNormOptions(3, 6).eps(1e-3).affine(false))) ==
        "ember::nn::GroupNorm(3, 6, eps=0.001, affine=false)");
  Tensor y = rnd({2, 6, 4});
  {
    NoGradGuard no_grad;
    gn->weight.copy_(rand({6}) + 0.5);
    gn->bias.copy_(rnd({6}));
  }
  require_close(gn(y), group_norm(y, 2, gn->weight, gn->bias), 0, 0);
  gn->reset_parameters();
  require_close(gn->weight, ones({6}), 0, 0);
  // Training reaches the parameters.
  gn(y).pow(2).sum().backward();
  CHECK(gn->weight.grad().defined());
  CHECK(gn->bias.grad().defined());
  // As LibTorch, an indivisible GroupNorm is built and refused by its forward.
  nn::GroupNorm bad(4, 6);
  require_throws_with([&] { bad(y); }, {"group_norm: Expected number of channels in input to be divisible by "
                                        "num_groups, but got input of shape [2, 6, 4] and num_groups=4"});
}

TEST_CASE("nn::InstanceNorm1d/2d: options, buffers, train and eval, unbatched input", "[norm][nn]") {
  nn::InstanceNorm1d in1(3);
  CHECK(printed(in1) ==
        "ember::nn::InstanceNorm1d(3, eps=1e-05, momentum=0.1, affine=false, track_running_stats=false)");
  CHECK(in1->parameters().empty());
  CHECK(in1->buffers().empty());
  Tensor x = rnd({2, 3, 5});
  require_close(in1(x), F::instance_norm(x), 0, 0);
  // Unbatched (C, L) is one sample.
  require_close(in1(x[0]), F::instance_norm(x.narrow(0, 0, 1)).squeeze(0), 0, 0);
  require_throws_with(
      [&] {
        in1(rnd({2, 3, 4, 5}));
      },
      {"InstanceNorm1d: expected 2D or 3D input (got 4D input of shape [2, 3, 4, 5])"});

  nn::InstanceNorm2d in2(nn::InstanceNorm2dOptions(4).affine(true).track_running_stats(true).momentum(0.2));
  CHECK(printed(in2) == "ember::nn::InstanceNorm2d(4, eps=1e-05, momentum=0.2, affine=true, track_running_stats=true)");
  CHECK(in2->named_parameters().keys() == std::vector<std::string>{"weight", "bias"});
  CHECK(in2->named_buffers().keys() == std::vector<std::string>{"running_mean", "running_var", "num_batches_tracked"});
  require_throws_with([&] { in2(rnd({4, 3})); }, {"InstanceNorm2d: expected 3D or 4D input (got 2D input"});
  // Training updates the running statistics as F::instance_norm does; eval normalises with them.
  Tensor y = rnd({2, 4, 3, 3}, kFloat) * 2 + 1;
  Tensor rm = zeros({4}), rv = ones({4});
  Tensor expected = F::instance_norm(
      y,
      F::InstanceNormFuncOptions().running_mean(rm).running_var(rv).weight(in2->weight).bias(in2->bias).momentum(0.2));
  require_close(in2(y), expected, 0, 0);
  require_close(in2->running_mean, rm, 0, 0);
  require_close(in2->running_var, rv, 0, 0);
  in2->eval();
  require_close(
      in2(y), F::instance_norm(y, F::InstanceNormFuncOptions().running_mean(rm).running_var(rv).use_input_stats(false)),
      1e-6, 1e-6);
  in2->reset_running_stats();
  require_close(in2->running_mean, zeros({4}), 0, 0);
}

TEST_CASE("normalisations: bad inputs throw PyTorch's errors, naming the op", "[norm][errors]") {
  Tensor x = rnd({2, 3});
  require_throws_with([&] { layer_norm(x, IntArrayRef()); },
                      {"layer_norm: Expected normalized_shape to be at least 1-dimensional, i.e., containing at least "
                       "one element, but got normalized_shape = []"});
  require_throws_with([&] { layer_norm(x, {4}); }, {"layer_norm: Given normalized_shape=[4], expected input with shape "
                                                    "[*, 4], but got input of size[2, 3]"});
  require_throws_with(
      [&] {
        layer_norm(x, {2, 4});
      },
      {"expected input with shape [*, 2, 4], but got input of size[2, 3]"});
  require_throws_with([&] { layer_norm(x, {3}, ones({4})); },
                      {"layer_norm: Expected weight to be of same shape as normalized_shape, but got weight of shape "
                       "[4] and normalized_shape = [3]"});
  require_throws_with([&] { layer_norm(x, {3}, Tensor(), ones({2})); },
                      {"layer_norm: Expected bias to be of same shape as normalized_shape, but got bias of shape [2] "
                       "and normalized_shape = [3]"});
  require_throws_with([&] { layer_norm(x.to(kLong), {3}); }, {"layer_norm", "int64"});
  require_throws_with([&] { layer_norm(x, {3}, ones({3}, kDouble)); }, {"layer_norm", "dtype"});

  Tensor y = rnd({2, 6, 3});
  require_throws_with([&] { group_norm(y, 4); },
                      {"group_norm: Expected number of channels in input to be divisible by num_groups, but got input "
                       "of shape [2, 6, 3] and num_groups=4"});
  require_throws_with([&] { group_norm(y, 0); }, {"group_norm: Expected num groups to be greater than 0, got 0"});
  require_throws_with([&] { group_norm(y, 3, ones({4})); },
                      {"group_norm: Expected weight to be a vector of size equal to the number of channels in input, "
                       "but got weight of shape [4] and input of shape [2, 6, 3]"});
  require_throws_with(
      [&] {
        group_norm(y, 3, Tensor(), ones({2, 3}));
      },
      {"group_norm: Expected bias to be a vector of size equal to the number of channels in input, "
       "but got bias of shape [2, 3] and input of shape [2, 6, 3]"});
  require_throws_with([&] { group_norm(rnd({6}), 3); }, {"group_norm", "(N, C, *)", "[6]"});

  require_throws_with([&] { F::instance_norm(y, F::InstanceNormFuncOptions().use_input_stats(false)); },
                      {"instance_norm: Expected running_mean and running_var to be defined when use_input_stats is "
                       "false"});
  require_throws_with([&] { F::instance_norm(y, F::InstanceNormFuncOptions().weight(ones({4}))); },
                      {"instance_norm", "6 elements", "[4]"});
  require_throws_with([&] { F::normalize(x, F::NormalizeFuncOptions().p(0)); }, {"normalize", "p = 0"});
  require_throws_with([&] { F::normalize(x, F::NormalizeFuncOptions().dim(2)); }, {"2"});
  require_throws_with([&] { F::normalize(x, F::NormalizeFuncOptions().out(zeros({3}))); },
                      {"normalize: out", "must have the input's shape [2, 3]"});
}

TEST_CASE("normalisations: float64 gradchecks on larger shapes, empty batches", "[norm]") {
  // Group norm with 2x2 planes and layer norm over two dims, through weight and bias.
  gradcheck([](const V& v) { return group_norm(v[0], 2, v[1], v[2]); },
            {rnd({3, 4, 2, 2}, kDouble), rand({4}, kDouble) + 0.5, rnd({4}, kDouble)});
  gradcheck(
      [](const V& v) {
        return layer_norm(v[0], {3, 2}, v[1], v[2]);
      },
      {rnd({2, 2, 3, 2}, kDouble), rand({3, 2}, kDouble) + 0.5, rnd({3, 2}, kDouble)});
  // No rows: empty outputs, and zero parameter gradients (sums over nothing).
  for (Device d : test_devices()) {
    INFO("device " << device_name(d));
    Tensor e = zeros({0, 4, 3}, TensorOptions(kDouble).device(d)).requires_grad_(true);
    Tensor w = ones({4}, TensorOptions(kDouble).device(d)).requires_grad_(true);
    Tensor out = group_norm(e, 2, w, w * 0);
    CHECK(out.sizes().equals({0, 4, 3}));
    out.sum().backward();
    require_close(w.grad(), zeros({4}, kDouble), 0, 0);
    CHECK(layer_norm(e, {3}).sizes().equals({0, 4, 3}));
  }
}

namespace {
/// Layer norm of x's rows written with ember's differentiable ops: the definition the fused
/// kernels must agree with.
Tensor composed_row_norm(const Tensor& rows, double eps) {
  Tensor mean = rows.mean({1}, true);
  Tensor centred = rows - mean;
  return centred / ((centred * centred).mean({1}, true) + eps).sqrt();
}
}  // namespace

TEST_CASE("layer_norm and group_norm on inputs large enough for threads match their composed definition", "[norm]") {
  // 64 x 1024 and 8 x 16 x 32 x 16 values: past the threshold where the CPU kernels use threads.
  const Tensor x = rnd({64, 1024}, kDouble) * 3 + 2, w = rand({1024}, kDouble) + 0.5, b = rnd({1024}, kDouble);
  const Tensor up = rnd({64, 1024}, kDouble);
  V fused = copies_on({x, w, b}, kCPU, true), ref = copies_on({x, w, b}, kCPU, true);
  Tensor yf = layer_norm(fused[0], {1024}, fused[1], fused[2]);
  Tensor yr = composed_row_norm(ref[0], 1e-5) * ref[1] + ref[2];
  require_close(yf, yr, 1e-10, 1e-10);
  yf.backward(up);
  yr.backward(up);
  for (size_t i = 0; i < 3; ++i) require_close_scaled(fused[i].grad(), ref[i].grad(), {1e-9, 1e-9});

  const Tensor g = rnd({8, 16, 32, 16}, kDouble) - 1, gw = rand({16}, kDouble) + 0.5, gb = rnd({16}, kDouble);
  const Tensor gup = rnd({8, 16, 32, 16}, kDouble);
  V gf = copies_on({g, gw, gb}, kCPU, true), gr = copies_on({g, gw, gb}, kCPU, true);
  Tensor zf = group_norm(gf[0], 4, gf[1], gf[2]);
  Tensor zr = composed_row_norm(gr[0].reshape({32, 2048}), 1e-5).reshape({8, 16, 32, 16}) * gr[1].view({1, 16, 1, 1}) +
              gr[2].view({1, 16, 1, 1});
  require_close(zf, zr, 1e-10, 1e-10);
  zf.backward(gup);
  zr.backward(gup);
  for (size_t i = 0; i < 3; ++i) require_close_scaled(gf[i].grad(), gr[i].grad(), {1e-9, 1e-9});
}

TEST_CASE("cuda layer_norm, group_norm and instance_norm on random inputs agree with the CPU", "[cuda][norm]") {
  EMBER_REQUIRE_CUDA();
  manual_seed(31);
  struct Case {
    const char* name;
    std::vector<int64_t> shape;
    TensorFn fn;  // input, weight, bias
    int64_t params;
  };
  const std::vector<Case> cases = {
      {"layer_norm rows of 1000", {7, 1000}, [](const V& v) { return layer_norm(v[0], {1000}, v[1], v[2]); }, 1000},
      {"layer_norm 2-D shape",
       {37, 5, 6},
       [](const V& v) {
         return layer_norm(v[0], {5, 6}, v[1], v[2]);
       },
       30},
      {"group_norm 4-D", {3, 8, 9, 7}, [](const V& v) { return group_norm(v[0], 4, v[1], v[2]); }, 8},
      {"group_norm one group", {5, 6, 33}, [](const V& v) { return group_norm(v[0], 1, v[1], v[2]); }, 6},
      {"group_norm (N, C)", {9, 12}, [](const V& v) { return group_norm(v[0], 3, v[1], v[2]); }, 12},
      {"instance_norm",
       {4, 5, 17},
       [](const V& v) { return F::instance_norm(v[0], F::InstanceNormFuncOptions().weight(v[1]).bias(v[2])); },
       5},
  };
  for (ScalarType dt : {kFloat, kDouble}) {
    for (const Case& c : cases) {
      INFO(c.name << " in " << dt);
      const V cpu = {rnd(c.shape, dt) * 3 + 1, rand({c.params}, TensorOptions(dt)) + 0.5, rnd({c.params}, dt)};
      V host = copies_on(cpu, kCPU, true), device = copies_on(cpu, Device(kCUDA), true);
      Tensor yc = c.fn(host), yg = c.fn(device);
      REQUIRE(yg.is_cuda());
      const Tol tol = dt == kFloat ? Tol{1e-5, 1e-5} : Tol{1e-12, 1e-12};
      require_close(yg, yc, tol);
      const Tensor up = rnd(c.shape, dt);
      yc.backward(up);
      yg.backward(up.to(kCUDA));
      for (size_t i = 0; i < 3; ++i) {
        INFO("gradient of input " << i);
        require_close_scaled(device[i].grad(), host[i].grad(), tol);
      }
    }
  }
}
