// LibTorch API surface that ported programs call (found by probing public programs): the in-place
// view ops, ArrayRef's slicing, Scalar's narrow conversions, broadcast_tensors, layouts,
// TensorOptions::device(type, index), data<T>(), toString(ScalarType).
#include <array>

#include "ember/ember.h"
#include "helpers.h"

using namespace ember;
using ember_test::node_name;
using ember_test::require_equal;
using ember_test::require_throws_with;

TEST_CASE("unsqueeze_, squeeze_, transpose_, t_ rewrite the tensor's geometry in place", "[api]") {
  for (Device d : ember_test::test_devices()) {
    Tensor x = ember::arange(6, TensorOptions(kFloat).device(d)).view({2, 3});
    const void* data = x.data_ptr();
    const Tensor& r = x.unsqueeze_(0);
    CHECK(r.is_same(x));
    CHECK(x.sizes() == IntArrayRef({1, 2, 3}));
    CHECK(x.data_ptr() == data);
    x.squeeze_(0);
    CHECK(x.sizes() == IntArrayRef({2, 3}));
    x.t_();
    CHECK(x.sizes() == IntArrayRef({3, 2}));
    CHECK(x.strides() == IntArrayRef({1, 3}));
    require_equal(x.cpu(), ember::arange(6, kFloat).view({2, 3}).t());
    x.transpose_(0, 1).unsqueeze_(2).unsqueeze_(0);
    CHECK(x.sizes() == IntArrayRef({1, 2, 3, 1}));
    x.squeeze_();
    CHECK(x.sizes() == IntArrayRef({2, 3}));
    x.swapaxes_(0, 1);
    CHECK(x.sizes() == IntArrayRef({3, 2}));
    require_throws_with([&] { x.unsqueeze_(5); }, {"unsqueeze", "dimension out of range"});
    require_throws_with([&] { ember::zeros({2, 2, 2}).t_(); }, {"t", "<= 2 dimensions"});
  }
}

TEST_CASE("in-place view ops under autograd: the view's node, LibTorch's refusals", "[api]") {
  Tensor w = ember::tensor({1.0, 2.0, 3.0}, TensorOptions(kDouble).requires_grad(true));
  Tensor y = w * 2;
  y.unsqueeze_(0);
  CHECK(y.sizes() == IntArrayRef({1, 3}));
  CHECK(node_name(y) == "UnsqueezeBackward0");
  y.t_();
  CHECK(node_name(y) == "TBackward0");
  (y * ember::tensor({{1.0}, {10.0}, {100.0}}, kDouble)).sum().backward();
  require_equal(w.grad(), ember::tensor({2.0, 20.0, 200.0}, kDouble));
  // A leaf that requires grad is refused, as LibTorch; under no_grad the geometry changes alone.
  require_throws_with([&] { w.unsqueeze_(0); }, {"unsqueeze_", "leaf"});
  {
    NoGradGuard no_grad;
    w.unsqueeze_(0);
  }
  CHECK(w.sizes() == IntArrayRef({1, 3}));
  CHECK(w.is_leaf());
}

TEST_CASE("ArrayRef slice, at, drop and take as c10::ArrayRef", "[api]") {
  Tensor x = ember::zeros({2, 3, 4, 5});
  IntArrayRef s = x.sizes();
  CHECK(s.slice(1) == IntArrayRef({3, 4, 5}));
  CHECK(s.slice(1, 2) == IntArrayRef({3, 4}));
  CHECK(s.drop_front() == IntArrayRef({3, 4, 5}));
  CHECK(s.drop_back(2) == IntArrayRef({2, 3}));
  CHECK(s.take_front(2) == IntArrayRef({2, 3}));
  CHECK(s.take_back() == IntArrayRef({5}));
  CHECK(s.take_back(9) == s);
  CHECK(s.at(3) == 5);
  require_throws_with([&] { s.at(4); }, {"ArrayRef", "invalid index 4"});
  require_throws_with([&] { s.slice(3, 2); }, {"ArrayRef: invalid slice, N = 3; M = 2; size = 4"});
  const std::array<int64_t, 2> shape = {6, 4};
  CHECK(ember::zeros(shape).sizes() == IntArrayRef({6, 4}));
}

TEST_CASE("Scalar to<narrow>, broadcast_tensors, layouts, device(type, index), data<T>, toString", "[api]") {
  Scalar big(int64_t(70000)), neg(-3.75);
  CHECK(big.toInt() == 70000);
  CHECK(neg.toInt() == -3);
  CHECK(Scalar(300).toByte() == uint8_t(44));  // modulo 2^8, as c10's unchecked conversion
  CHECK(Scalar(-2).toChar() == int8_t(-2));
  CHECK(Scalar(40000).toShort() == int16_t(40000 - 65536));
  CHECK(ember::tensor({7}).item().toInt() == 7);

  auto b = ember::broadcast_tensors({ember::ones({2, 1}), ember::arange(3), ember::tensor(5.0)});
  REQUIRE(b.size() == 3);
  for (const Tensor& t : b) CHECK(t.sizes() == IntArrayRef({2, 3}));
  require_equal(b[1], ember::arange(3).expand({2, 3}));
  require_throws_with(
      [&] {
        ember::broadcast_tensors({ember::ones({2}), ember::ones({3})});
      },
      {"broadcast_tensors", "[2]", "[3]"});

  CHECK(ember::zeros({2}).layout() == kStrided);
  Tensor s = ember::zeros({2}, TensorOptions().dtype(kInt).layout(kStrided));
  CHECK(s.dtype() == kInt);
  require_throws_with([&] { TensorOptions().layout(kSparse); }, {"strided"});
  CHECK(TensorOptions().device(kCUDA, 1).device() == Device(kCUDA, 1));
  CHECK(ember::layout(kStrided).layout() == kStrided);

  Tensor f = ember::tensor({1.5f, 2.5f});
  CHECK(f.data<float>() == f.data_ptr<float>());
  CHECK(f.data<float>()[1] == 2.5f);
  CHECK(std::string(toString(kFloat)) == "Float");
  CHECK(std::string(toString(kLong)) == "Long");
  CHECK(std::string(toString(kByte)) == "Byte");
  CHECK(f.toString() == "CPUFloatType");
}

TEST_CASE("get_device, is_sparse, itemsize, is_nonzero, clip as LibTorch's", "[api]") {
  Tensor x = ember::tensor({-2.0, 0.5, 3.0}, kDouble);
  CHECK(x.get_device() == -1);
  CHECK(!x.is_sparse());
  CHECK(x.itemsize() == 8);
  CHECK(ember::tensor({1}, kInt).itemsize() == 4);
  CHECK(ember::tensor({2.5}).is_nonzero());
  CHECK(!ember::tensor({0}).is_nonzero());
  CHECK(ember::tensor({std::nan("")}).is_nonzero());
  require_throws_with([&] { x.is_nonzero(); }, {"Boolean value of Tensor with more than one value is ambiguous"});
  require_throws_with([&] { ember::zeros({0}).is_nonzero(); }, {"Boolean value of Tensor with no values is ambiguous"});
  require_equal(x.clip(-1, 1), ember::tensor({-1.0, 0.5, 1.0}, kDouble));
  Tensor y = x.clone();
  y.clip_(std::nullopt, 0);
  require_equal(y, ember::tensor({-2.0, 0.0, 0.0}, kDouble));
  for (Device d : ember_test::test_devices()) {
    if (!d.is_cuda()) continue;
    CHECK(x.to(d).get_device() >= 0);
  }
}
