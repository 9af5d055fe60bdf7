// threshold, hardshrink, softshrink, softsign, tanhshrink, prelu, cosine_similarity,
// pairwise_distance and one_hot against PyTorch (tests/fixtures/activation_distance.txt, written
// by tools/gen_port_fixtures.py) on every test device with float64 gradchecks;
// their modules (LibTorch's printouts, PReLU's parameter), the padding layers, and the errors.
#include "ember/nn.h"
#include "helpers.h"

using namespace ember;
using ember_test::CaseOptions;
using ember_test::check_case;
using ember_test::printed;
using ember_test::require_equal;
using ember_test::require_throws_with;
using V = std::vector<Tensor>;
namespace F = ember::nn::functional;

namespace {
const char* kFile = "activation_distance";
CaseOptions no_gradcheck() {  // inputs on a kink: finite differences straddle it
  CaseOptions o;
  o.gradcheck = false;
  return o;
}
}  // namespace

TEST_CASE("threshold, hardshrink, softshrink, softsign, tanhshrink against PyTorch", "[activation]") {
  check_case(kFile, "threshold", [](const V& v) { return F::threshold(v[0], F::ThresholdFuncOptions(0.25, 20.0)); });
  check_case(kFile, "hardshrink", [](const V& v) { return F::hardshrink(v[0], F::HardshrinkFuncOptions(0.5)); });
  check_case(kFile, "softshrink", [](const V& v) { return nn::Softshrink(0.5)(v[0]); });
  check_case(kFile, "softsign", [](const V& v) { return nn::Softsign()(v[0]); });
  check_case(kFile, "tanhshrink", [](const V& v) { return F::tanhshrink(v[0]); });
  check_case(
      kFile, "threshold_edge", [](const V& v) { return threshold(v[0], 0.25, 20.0); }, no_gradcheck());
  check_case(
      kFile, "hardshrink_edge", [](const V& v) { return nn::Hardshrink()(v[0]); }, no_gradcheck());
  check_case(
      kFile, "softshrink_edge", [](const V& v) { return softshrink(v[0]); }, no_gradcheck());
}

TEST_CASE("prelu: one slope or one per channel, against PyTorch", "[activation]") {
  check_case(kFile, "prelu_channels", [](const V& v) { return F::prelu(v[0], v[1]); });
  check_case(kFile, "prelu_one", [](const V& v) { return prelu(v[0], v[1]); });
  check_case(kFile, "prelu_1d", [](const V& v) { return F::prelu(v[0], v[1]); });

  nn::PReLU layer(nn::PReLUOptions().num_parameters(3).init(0.1));
  CHECK(printed(layer) == "ember::nn::PReLU(num_parameters=3)");
  REQUIRE(layer->named_parameters().size() == 1);
  CHECK(layer->named_parameters()[0].key() == "weight");
  require_equal(layer->weight.detach(), full({3}, 0.1));
  Tensor x = -ones({2, 3, 2});
  layer(x).sum().backward();
  require_equal(layer->weight.grad(), full({3}, -4.0));  // 2 x 2 elements of -1 per channel

  require_throws_with(
      [] {
        prelu(ones({2, 4}), ones({3}));
      },
      {"Mismatch of parameter numbers and input channel size. Found parameter numbers = 3 and "
       "channel size = 4."});
  require_throws_with([] { prelu(ones({2, 4}), ones({2, 2})); }, {"prelu", "scalar or 1D", "ndim = 2"});
}

TEST_CASE("cosine_similarity and pairwise_distance against PyTorch", "[distance]") {
  check_case(kFile, "cosine_similarity", [](const V& v) { return F::cosine_similarity(v[0], v[1]); });
  check_case(kFile, "cosine_similarity_broadcast", [](const V& v) {
    return nn::CosineSimilarity(nn::CosineSimilarityOptions().dim(-1).eps(1e-6))(v[0], v[1]);
  });
  check_case(kFile, "pairwise_distance", [](const V& v) { return nn::PairwiseDistance()(v[0], v[1]); });
  check_case(kFile, "pairwise_distance_p1_keepdim", [](const V& v) {
    return F::pairwise_distance(v[0], v[1], F::PairwiseDistanceFuncOptions().p(1).keepdim(true));
  });
  check_case(kFile, "pairwise_distance_p3", [](const V& v) { return pairwise_distance(v[0], v[1], 3, 1e-3); });
  CHECK(printed(nn::CosineSimilarity()) == "ember::nn::CosineSimilarity(dim=1, eps=1e-08)");
  CHECK(printed(nn::PairwiseDistance()) == "ember::nn::PairwiseDistance(p=2, eps=1e-06, keepdim=false)");
  require_throws_with([] { cosine_similarity(ones({2, 3}), ones({2, 4})); }, {"cosine_similarity", "[2, 3]", "[2, 4]"});
}

TEST_CASE("one_hot: LibTorch's codes, inferred class count and errors", "[indexing]") {
  const Tensor t = tensor({2, 0, 1, 2}, kLong).reshape({2, 2});
  const Tensor codes = F::one_hot(t);
  require_equal(codes, tensor({0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1}, kLong).reshape({2, 2, 3}));
  CHECK(one_hot(t, 5).sizes() == IntArrayRef({2, 2, 5}));
  CHECK(one_hot(empty({0}, kLong), 4).sizes() == IntArrayRef({0, 4}));
  require_throws_with([] { one_hot(empty({0}, kLong)); }, {"Can not infer total number of classes from empty tensor."});
  require_throws_with([&] { one_hot(t, 2); }, {"Class values must be smaller than num_classes."});
  require_throws_with([] { one_hot(tensor({-1, 0}, kLong)); }, {"Class values must be non-negative."});
  require_throws_with([] { one_hot(tensor({1.0, 0.0})); }, {"one_hot is only applicable to index tensor."});
}

TEST_CASE("the padding layers are F::pad with their mode, printed as LibTorch's", "[pad]") {
  const Tensor x = arange(24, kDouble).reshape({1, 2, 3, 4});
  require_equal(nn::ReflectionPad2d(1)(x), F::pad(x, F::PadFuncOptions({1, 1, 1, 1}).mode(kReflect)));
  require_equal(nn::ReplicationPad2d(nn::ReplicationPad2dOptions({1, 0, 2, 1}))(x),
                F::pad(x, F::PadFuncOptions({1, 0, 2, 1}).mode(kReplicate)));
  require_equal(nn::ZeroPad2d(nn::ZeroPad2dOptions({0, 1, 1, 0}))(x), F::pad(x, F::PadFuncOptions({0, 1, 1, 0})));
  require_equal(nn::ConstantPad2d(2, 3.5)(x), F::pad(x, F::PadFuncOptions({2, 2, 2, 2}).value(3.5)));
  const Tensor x1 = arange(10, kDouble).reshape({1, 2, 5});
  require_equal(nn::ReflectionPad1d(nn::ReflectionPad1dOptions({3, 1}))(x1),
                F::pad(x1, F::PadFuncOptions({3, 1}).mode(kReflect)));
  require_equal(nn::ReplicationPad1d(2)(x1), F::pad(x1, F::PadFuncOptions({2, 2}).mode(kReplicate)));
  require_equal(nn::ConstantPad1d(nn::ConstantPad1dOptions({1, 2}, -1))(x1),
                F::pad(x1, F::PadFuncOptions({1, 2}).value(-1)));
  const Tensor x3 = arange(24, kDouble).reshape({1, 1, 2, 3, 4});
  require_equal(nn::ReplicationPad3d(1)(x3), F::pad(x3, F::PadFuncOptions({1, 1, 1, 1, 1, 1}).mode(kReplicate)));
  require_equal(nn::ReflectionPad3d(1)(x3), F::pad(x3, F::PadFuncOptions({1, 1, 1, 1, 1, 1}).mode(kReflect)));
  require_equal(nn::ConstantPad3d(1, 2)(x3), F::pad(x3, F::PadFuncOptions({1, 1, 1, 1, 1, 1}).value(2)));

  CHECK(printed(nn::ReflectionPad2d(1)) == "ember::nn::ReflectionPad2d(padding=[1, 1, 1, 1])");
  CHECK(printed(nn::ConstantPad1d(nn::ConstantPad1dOptions({1, 2}, 3.5))) ==
        "ember::nn::ConstantPad1d(padding=[1, 2], value=3.5)");
  CHECK(printed(nn::Threshold(nn::ThresholdOptions(0.1, 20))) == "ember::nn::Threshold(threshold=0.1, value=20)");
  CHECK(printed(nn::Hardshrink(0.3)) == "ember::nn::Hardshrink(0.3)");
  CHECK(printed(nn::Tanhshrink()) == "ember::nn::Tanhshrink()");
  require_throws_with([] { nn::Softshrink(-0.5); }, {"lambda must be greater or equal to 0, but found to be -0.5."});
  require_throws_with([&] { nn::ReflectionPad2d(3)(x); },
                      {"Padding size should be less than the corresponding input dimension"});
}
