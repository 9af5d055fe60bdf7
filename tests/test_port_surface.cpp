// The 1-D pools built on the 2-D ones (F::adaptive_avg_pool1d / adaptive_max_pool1d,
// max_pool1d_with_indices, the modules' forward_with_indices, ATen's torch::max_pool1d /
// avg_pool1d / adaptive_*_pool1d) against PyTorch (tests/fixtures/pool1d.txt, written by
// tools/gen_port_fixtures.py) with float64 gradchecks and their errors; then the LibTorch
// surface a port needs: Tensor::accessor / packed accessors, is_inference, c10::Error's
// accessors, F::pixel_shuffle's option struct, nn::detail::conv_padding_mode_t, and the archive
// forms of Module::save / load and Optimizer::save / load.
#include <type_traits>

#include "ember/nn.h"
#include "ember/optim.h"
#include "ember/serialize.h"
#include "ember/torch_compat.h"
#include "helpers.h"

using namespace ember;
using ember_test::CaseOptions;
using ember_test::check_case;
using ember_test::require_throws_with;
using V = std::vector<Tensor>;
namespace F = ember::nn::functional;

TEST_CASE("adaptive 1-D pools against PyTorch: values, gradients, indices", "[pool]") {
  check_case("pool1d", "adaptive_avg_pool1d_4",
             [](const V& v) { return F::adaptive_avg_pool1d(v[0], F::AdaptiveAvgPool1dFuncOptions(4)); });
  check_case("pool1d", "adaptive_avg_pool1d_up", [](const V& v) { return nn::AdaptiveAvgPool1d(11)(v[0]); });
  check_case("pool1d", "adaptive_avg_pool1d_unbatched",
             [](const V& v) { return torch::adaptive_avg_pool1d(v[0], {3}); });
  check_case("pool1d", "adaptive_max_pool1d_4",
             [](const V& v) { return F::adaptive_max_pool1d(v[0], F::AdaptiveMaxPool1dFuncOptions(4)); });
  check_case(
      "pool1d", "adaptive_max_pool1d_4",
      [](const V& v) {
        return std::get<1>(F::adaptive_max_pool1d_with_indices(v[0], F::AdaptiveMaxPool1dFuncOptions(4)));
      },
      ember_test::values_only("out1"));
  check_case("pool1d", "adaptive_max_pool1d_unbatched",
             [](const V& v) { return std::get<0>(torch::adaptive_max_pool1d(v[0], {5})); });
  check_case(
      "pool1d", "adaptive_max_pool1d_unbatched",
      [](const V& v) { return std::get<1>(nn::AdaptiveMaxPool1d(5)->forward_with_indices(v[0])); },
      ember_test::values_only("out1"));
}

TEST_CASE("max_pool1d_with_indices and ATen's free 1-D pools against PyTorch", "[pool]") {
  const auto opts = F::MaxPool1dFuncOptions(3).stride(2).padding(1);
  check_case("pool1d", "max_pool1d_indices",
             [&](const V& v) { return std::get<0>(F::max_pool1d_with_indices(v[0], opts)); });
  check_case(
      "pool1d", "max_pool1d_indices",
      [&](const V& v) { return std::get<1>(nn::MaxPool1d(opts)->forward_with_indices(v[0])); },
      ember_test::values_only("out1"));
  check_case(
      "pool1d", "max_pool1d_indices_dil_ceil",
      [](const V& v) { return std::get<1>(torch::max_pool1d_with_indices(v[0], {2}, {3}, {0}, {2}, true)); },
      ember_test::values_only("out1"));
  check_case("pool1d", "aten_max_pool1d", [](const V& v) { return torch::max_pool1d(v[0], {3}, {}, {1}); });
  check_case("pool1d", "aten_avg_pool1d",
             [](const V& v) { return torch::avg_pool1d(v[0], {4}, {2}, {2}, true, false); });
}

TEST_CASE("the 1-D pools: PyTorch's errors for ranks and argument lengths", "[pool][errors]") {
  const Tensor x = ember_test::rnd({2, 3, 4, 5});
  const Tensor ok = ember_test::rnd({2, 3, 8});
  require_throws_with([&] { torch::adaptive_avg_pool1d(x, {2}); },
                      {"adaptive_avg_pool1d", "3-D (N, C, L)", "[2, 3, 4, 5]"});
  require_throws_with(
      [&] {
        torch::adaptive_max_pool1d(ok, {2, 2});
      },
      {"adaptive_max_pool1d() argument 'output_size' should contain one int (got 2)"});
  require_throws_with(
      [&] {
        torch::max_pool1d(ok, {2, 2});
      },
      {"max_pool1d() argument 'kernel_size' should contain one int (got 2)"});
  require_throws_with(
      [&] {
        torch::avg_pool1d(ok, {2}, {1, 1});
      },
      {"avg_pool1d() argument 'stride' should contain one int (got 2)"});
  require_throws_with([&] { F::max_pool1d_with_indices(x, F::MaxPool1dFuncOptions(2)); },
                      {"max_pool1d_with_indices", "[2, 3, 4, 5]"});
  CHECK(ember_test::printed(nn::AdaptiveAvgPool1d(4)) == "ember::nn::AdaptiveAvgPool1d(output_size=4)");
  CHECK(ember_test::printed(nn::AdaptiveMaxPool1d(2)) == "ember::nn::AdaptiveMaxPool1d(output_size=2)");
}

TEST_CASE("Tensor::accessor and the packed accessors index through sizes and strides", "[tensor]") {
  Tensor t = torch::arange(24, torch::kDouble).reshape({2, 3, 4});
  auto a = t.accessor<double, 3>();
  CHECK(a[1][2][3] == 23.0);
  CHECK(a[0][1][2] == 6.0);
  CHECK(a.size(1) == 3);
  CHECK(a.stride(0) == 12);
  CHECK(a[1].size(0) == 3);
  CHECK(a[1][2].data() == t.data_ptr<double>() + 23 - 3);
  a[0][0][1] = -5.0;  // writes through
  CHECK(t[0][0][1].item<double>() == -5.0);

  // A transposed view: strides, not positions.
  Tensor tt = t.select(0, 1).t();  // (4, 3), strides (1, 4)
  auto b = tt.accessor<double, 2>();
  CHECK(b[3][2] == 23.0);
  CHECK(b[1][0] == 13.0);
  CHECK(b.strides()[0] == 1);

  const Tensor c = t;
  auto ca = c.accessor<const double, 3>();
  static_assert(std::is_same<decltype(ca[0][0][0]), const double&>::value, "const elements");
  CHECK(ca[1][0][0] == 12.0);

  auto p = t.packed_accessor32<double, 3>();
  CHECK(p[1][1][1] == 17.0);
  CHECK(p.size(2) == 4);

  require_throws_with([&] { t.accessor<double, 2>(); }, {"TensorAccessor expected 2 dims but tensor has 3"});
  require_throws_with([&] { t.accessor<float, 3>(); }, {"data_ptr", "float64"});
  Tensor huge = torch::zeros({1}).expand({int64_t(1) << 32});
  require_throws_with([&] { huge.packed_accessor32<float, 1>(); },
                      {"numel needs to be smaller than int32_t max; otherwise, please use packed_accessor64"});
  CHECK(huge.packed_accessor64<float, 1>().size(0) == (int64_t(1) << 32));
}

TEST_CASE("is_inference: storage allocated under InferenceMode, and views of it", "[autograd]") {
  Tensor normal = torch::ones({3});
  Tensor made, view_of_normal;
  {
    c10::InferenceMode guard;
    made = normal * 2;
    view_of_normal = normal.narrow(0, 0, 2);
  }
  CHECK_FALSE(normal.is_inference());
  CHECK(made.is_inference());
  CHECK(made.narrow(0, 1, 1).is_inference());
  CHECK_FALSE(view_of_normal.is_inference());  // shares a normal tensor's storage, as LibTorch
  {
    c10::InferenceMode off(false);
    CHECK_FALSE((normal * 2).is_inference());
  }
}

TEST_CASE("LibTorch spellings a port needs: c10::Error accessors, pixel shuffle options, padding-mode type",
          "[libtorch]") {
  try {
    TORCH_CHECK(false, "the rule, ", 3);
    FAIL("TORCH_CHECK(false) did not throw");
  } catch (const c10::Error& e) {
    CHECK(std::string(e.what_without_backtrace()) == e.what());
    CHECK(ember_test::contains(e.msg(), "the rule, 3"));
  }
  Tensor x = torch::arange(16, torch::kFloat).reshape({1, 4, 2, 2});
  Tensor y = F::pixel_shuffle(x, F::PixelShuffleFuncOptions(2));
  CHECK(y.sizes() == IntArrayRef({1, 1, 4, 4}));
  ember_test::require_equal(F::pixel_unshuffle(y, F::PixelUnshuffleFuncOptions(2)), x);
  ember_test::require_equal(F::pixel_shuffle(x, 2), y);
  nn::detail::conv_padding_mode_t mode = torch::kCircular;
  CHECK(std::holds_alternative<enumtype::kCircular>(mode));
}

TEST_CASE("Module::save / load and Optimizer::save / load through archives", "[serialize]") {
  ember_test::TempDir tmp;
  const std::string dir = tmp.str();
  torch::manual_seed(3);
  nn::Sequential a(nn::Linear(3, 4), nn::BatchNorm1d(4), nn::Linear(4, 2));
  optim::SGD opt(a->parameters(), optim::SGDOptions(0.1).momentum(0.9));
  a->train();
  a->forward(ember_test::rnd({5, 3})).sum().backward();
  opt.step();

  serialize::OutputArchive out;
  a->save(out);
  out.save_to(dir + "/model.pt");
  serialize::OutputArchive opt_out;
  opt.save(opt_out);
  opt_out.save_to(dir + "/opt.pt");

  torch::manual_seed(4);
  nn::Sequential b(nn::Linear(3, 4), nn::BatchNorm1d(4), nn::Linear(4, 2));
  serialize::InputArchive in;
  in.load_from(dir + "/model.pt");
  b->load(in);
  const auto pa = a->named_parameters(), pb = b->named_parameters();
  for (size_t i = 0; i < pa.size(); ++i) ember_test::require_equal(pb[i].value().detach(), pa[i].value().detach());
  ember_test::require_equal(b->named_buffers()["1.running_mean"], a->named_buffers()["1.running_mean"]);

  // The restored optimizer carries the momentum: a step of each moves both models alike.
  optim::SGD opt_b(b->parameters(), optim::SGDOptions(0.5));
  serialize::InputArchive opt_in;
  opt_in.load_from(dir + "/opt.pt");
  opt_b.load(opt_in);
  CHECK(static_cast<optim::SGDOptions&>(opt_b.param_groups()[0].options()).momentum() == 0.9);
  const Tensor x = ember_test::rnd({5, 3});
  opt.zero_grad();
  opt_b.zero_grad();
  a->forward(x).sum().backward();
  b->forward(x).sum().backward();
  opt.step();
  opt_b.step();
  for (size_t i = 0; i < pa.size(); ++i) ember_test::require_equal(pb[i].value().detach(), pa[i].value().detach());

  nn::Sequential other(nn::Linear(3, 4));
  serialize::InputArchive wrong;
  wrong.load_from(dir + "/opt.pt");
  require_throws_with([&] { other->load(wrong); }, {"InputArchive", "0.weight"});
}
