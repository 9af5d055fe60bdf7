// The narrow integer dtypes (uint8, int8, int16, int32) as LibTorch: creation, conversion,
// promotion, wrapping arithmetic, reductions, accessors, printing and files. Expected values are
// PyTorch 1.13's (noted beside each).
#include <cstdint>
#include <sstream>

#include "catch.h"
#include "ember/ember.h"
#include "helpers.h"

using namespace ember;

namespace {
template <typename T>
std::vector<T> values(const Tensor& t) {
  Tensor c = t.contiguous();
  const T* p = c.data_ptr<T>();
  return std::vector<T>(p, p + c.numel());
}
}  // namespace

TEST_CASE("dtypes: the narrow integers have LibTorch's names, sizes and factories", "[dtypes]") {
  CHECK(kUInt8 == kByte);
  CHECK(kInt8 == kChar);
  CHECK(kInt16 == kShort);
  CHECK(kInt32 == kInt);
  CHECK(element_size(kByte) == 1);
  CHECK(element_size(kChar) == 1);
  CHECK(element_size(kShort) == 2);
  CHECK(element_size(kInt) == 4);
  CHECK(std::string(to_string(kByte)) == "uint8");
  CHECK(std::string(to_string(kInt)) == "int32");
  CHECK_FALSE(is_floating_point(kShort));
  CHECK(is_integral(kByte, false));
  CHECK(is_integral(kBool, true));
  CHECK_FALSE(is_integral(kBool, false));
  for (ScalarType t : {kByte, kChar, kShort, kInt}) {
    Tensor z = zeros({2, 3}, TensorOptions(t));
    CHECK(z.dtype() == t);
    CHECK(z.nbytes() == 6 * element_size(t));
    CHECK(ones({4}, TensorOptions(t)).sum().item<int64_t>() == 4);
    CHECK(full({2}, 7, TensorOptions(t)).to(kLong).equal(tensor({7, 7})));
    CHECK(arange(5, TensorOptions(t)).to(kLong).equal(tensor({0, 1, 2, 3, 4})));
  }
  // torch::tensor: int and int64_t give int64, the narrow C++ types their own dtype.
  CHECK(tensor({1, 2}).dtype() == kLong);
  CHECK(tensor(std::vector<uint8_t>{1, 2}).dtype() == kByte);
  CHECK(tensor(std::vector<int8_t>{-1, 2}).dtype() == kChar);
  CHECK(tensor(std::vector<int16_t>{-1, 2}).dtype() == kShort);
  CHECK(tensor({1, 2}, TensorOptions(kInt)).dtype() == kInt);
}

TEST_CASE("dtypes: conversions to and from the narrow integers as PyTorch's", "[dtypes]") {
  // torch.tensor([-1.0, 256.5, 3.7, -0.5]).to(torch.uint8) -> [255, 0, 3, 0] (through int64)
  CHECK(values<uint8_t>(tensor({-1.0, 256.5, 3.7, -0.5}).to(kByte)) == std::vector<uint8_t>{255, 0, 3, 0});
  // torch.tensor([-1.5, 127.9, 128.0, -129.0]).to(torch.int8) -> [-1, 127, -128, 127]
  CHECK(values<int8_t>(tensor({-1.5, 127.9, 128.0, -129.0}).to(kChar)) == std::vector<int8_t>{-1, 127, -128, 127});
  // torch.tensor([40000.0, -40000.0]).to(torch.int16) -> [-25536, 25536]
  CHECK(values<int16_t>(tensor({40000.0, -40000.0}).to(kShort)) == std::vector<int16_t>{-25536, 25536});
  CHECK(values<int32_t>(tensor({int64_t(1) << 33 | 5, int64_t(-7)}).to(kInt)) == std::vector<int32_t>{5, -7});
  CHECK(values<bool>(tensor(std::vector<uint8_t>{0, 2}).to(kBool)) == std::vector<bool>{false, true});
  Tensor u = tensor(std::vector<uint8_t>{250, 3});
  CHECK(u.to(kFloat).allclose(tensor({250.f, 3.f})));
  CHECK(u.to(kChar).to(kLong).equal(tensor({-6, 3})));
  // Strided sources convert too.
  Tensor m = arange(6, TensorOptions(kInt)).reshape({2, 3}).t();
  CHECK(m.to(kByte).to(kLong).equal(tensor({{0, 3}, {1, 4}, {2, 5}})));
}

TEST_CASE("dtypes: promotion follows LibTorch's table", "[dtypes]") {
  Tensor u = tensor(std::vector<uint8_t>{250, 3});
  Tensor i8 = tensor(std::vector<int8_t>{1, -2});
  Tensor i32 = tensor({1, 1}, TensorOptions(kInt));
  CHECK((u + i8).dtype() == kShort);  // uint8 and int8 meet in int16
  CHECK((u + i8).to(kLong).equal(tensor({251, 1})));
  CHECK((u + i32).dtype() == kInt);
  CHECK((i8 + tensor({1, 1}, TensorOptions(kShort))).dtype() == kShort);
  CHECK((u + 1).dtype() == kByte);  // an integer scalar keeps the tensor's dtype
  CHECK((u + 1.5).dtype() == kFloat);
  CHECK((tensor({true, false}) + u).dtype() == kByte);
  CHECK((u + tensor({1.f, 1.f})).dtype() == kFloat);
  CHECK((u + tensor({1, 1})).dtype() == kLong);
  // A zero-dim int64 does not widen a uint8 tensor (same category), a zero-dim float does.
  CHECK((u + tensor(int64_t(5))).dtype() == kByte);
  CHECK((u + tensor(2.5)).dtype() == kFloat);
}

TEST_CASE("dtypes: narrow integer arithmetic wraps as LibTorch's", "[dtypes]") {
  Tensor u = tensor(std::vector<uint8_t>{250, 3});
  CHECK(values<uint8_t>(u + tensor(std::vector<uint8_t>{10, 1})) == std::vector<uint8_t>{4, 4});
  CHECK(values<uint8_t>(u - tensor(std::vector<uint8_t>{5, 5})) == std::vector<uint8_t>{245, 254});
  CHECK(values<uint8_t>(u * 2) == std::vector<uint8_t>{244, 6});
  CHECK(values<uint8_t>(-u) == std::vector<uint8_t>{6, 253});
  CHECK(values<int8_t>(tensor(std::vector<int8_t>{127}) + 1) == std::vector<int8_t>{-128});
  CHECK(values<int8_t>(tensor(std::vector<int8_t>{-128}).abs()) == std::vector<int8_t>{-128});
  Tensor q = u / u;  // true division: float
  CHECK(q.dtype() == kFloat);
  CHECK(q.allclose(tensor({1.f, 1.f})));
  CHECK((tensor({true}) / tensor({true})).dtype() == kFloat);  // torch: tensor([1.])
  CHECK(values<bool>(u > tensor(std::vector<int8_t>{1, -2})) == std::vector<bool>{true, true});
  CHECK(values<bool>(u == 3) == std::vector<bool>{false, true});
  // In place keeps the dtype and wraps.
  Tensor w = u.clone();
  w += 10;
  CHECK(values<uint8_t>(w) == std::vector<uint8_t>{4, 13});
  w.mul_(tensor(std::vector<uint8_t>{2, 2}));
  CHECK(values<uint8_t>(w) == std::vector<uint8_t>{8, 26});
  // clamp and where keep the dtype.
  CHECK(u.clamp(std::nullopt, 100).dtype() == kByte);
  CHECK(values<uint8_t>(u.clamp(std::nullopt, 100)) == std::vector<uint8_t>{100, 3});
  Tensor sel = where(tensor({true, false}), u, tensor(std::vector<uint8_t>{7, 7}));
  CHECK(values<uint8_t>(sel) == std::vector<uint8_t>{250, 7});
  // Moving values: index_select, cat, stack, views.
  CHECK(values<uint8_t>(u.index_select(0, tensor({1, 0, 1}))) == std::vector<uint8_t>{3, 250, 3});
  CHECK(values<uint8_t>(cat({u, u}, 0)) == std::vector<uint8_t>{250, 3, 250, 3});
  CHECK(stack({u, u}, 0).sizes().vec() == std::vector<int64_t>{2, 2});
  CHECK(values<uint8_t>(u.flip({0})) == std::vector<uint8_t>{3, 250});
}

TEST_CASE("dtypes: reductions of the narrow integers", "[dtypes]") {
  Tensor u = tensor(std::vector<uint8_t>{200, 100});
  CHECK(u.sum().dtype() == kLong);  // torch: tensor(300)
  CHECK(u.sum().item<int64_t>() == 300);
  CHECK(u.sum(kByte).dtype() == kByte);  // torch: sum(dtype=uint8) -> 44
  CHECK(u.sum(kByte).item<uint8_t>() == 44);
  Tensor c = tensor(std::vector<int8_t>{-3, 5, 1});
  CHECK(c.max().dtype() == kChar);
  CHECK(c.max().item<int8_t>() == 5);
  CHECK(c.min().item<int8_t>() == -3);
  Tensor s = tensor({{1, 9}, {4, 2}}, TensorOptions(kShort));
  auto [v, i] = s.max(1);
  CHECK(v.dtype() == kShort);
  CHECK(v.to(kLong).equal(tensor({9, 4})));
  CHECK(i.equal(tensor({1, 0})));
  CHECK(s.argmin().item<int64_t>() == 0);
  CHECK_THROWS_WITH(u.mean(), Catch::Matchers::Contains("floating point"));
  CHECK(u.to(kDouble).mean().item<double>() == 150.0);
}

TEST_CASE("dtypes: data_ptr, item, from_blob and printing of the narrow integers", "[dtypes]") {
  uint8_t pixels[6] = {0, 51, 102, 153, 204, 255};
  Tensor img = from_blob(pixels, {2, 3}, TensorOptions(kByte));
  CHECK(img.dtype() == kByte);
  CHECK(img.data_ptr<uint8_t>() == pixels);
  CHECK_THROWS_WITH(img.data_ptr<int8_t>(), Catch::Matchers::Contains("uint8"));
  Tensor f = img.to(kFloat).div(255);
  CHECK(f.allclose(tensor({{0.f, 0.2f, 0.4f}, {0.6f, 0.8f, 1.f}})));
  CHECK(tensor({70000}, TensorOptions(kInt)).item<int32_t>() == 70000);
  CHECK(tensor({70000}, TensorOptions(kInt)).item<int>() == 70000);
  CHECK(tensor(std::vector<int16_t>{-5}).item().toLong() == -5);
  std::ostringstream os;
  os << tensor(std::vector<uint8_t>{1, 20});
  CHECK(os.str() == "  1\n 20\n[ CPUByteType{2} ]");
  CHECK(tensor({1}, TensorOptions(kInt)).toString() == "CPUIntType");
  CHECK(tensor(std::vector<int8_t>{1}).toString() == "CPUCharType");
  CHECK(tensor(std::vector<int16_t>{1}).toString() == "CPUShortType");
  // Integers cannot require gradients.
  CHECK_THROWS_WITH(zeros({2}, TensorOptions(kByte)).requires_grad_(), Catch::Matchers::Contains("floating-point"));
}

TEST_CASE("dtypes: the narrow integers round-trip through safetensors", "[dtypes]") {
  TensorMap m;
  m["u8"] = tensor(std::vector<uint8_t>{0, 255, 7});
  m["i8"] = tensor(std::vector<int8_t>{-128, 127});
  m["i16"] = tensor(std::vector<int16_t>{-32768, 12});
  m["i32"] = tensor({-5, 1 << 30}, TensorOptions(kInt));
  const std::string bytes = save_tensors_to_bytes(m);
  CHECK(bytes.find("\"U8\"") != std::string::npos);
  CHECK(bytes.find("\"I32\"") != std::string::npos);
  SafeTensors back = load_tensors_from_bytes(bytes.data(), bytes.size());
  for (const auto& [name, t] : m) {
    INFO(name);
    const Tensor& r = back.tensors.at(name);
    CHECK(r.dtype() == t.dtype());
    CHECK(r.equal(t));
  }
}

TEST_CASE("cuda: the narrow integers convert and compute on the GPU as on the CPU", "[cuda][dtypes]") {
  EMBER_REQUIRE_CUDA();
  Tensor u = tensor(std::vector<uint8_t>{250, 3, 128});
  Tensor g = u.to(kCUDA);
  CHECK(g.dtype() == kByte);
  CHECK(g.to(kCPU).equal(u));
  CHECK((g + 10).to(kCPU).equal(u + 10));
  CHECK((-g).to(kCPU).equal(-u));
  CHECK(g.to(kFloat).to(kCPU).equal(u.to(kFloat)));
  CHECK(tensor({-1.0, 256.5}).to(kCUDA).to(kByte).to(kCPU).equal(tensor({-1.0, 256.5}).to(kByte)));
  CHECK(g.sum().item<int64_t>() == 381);
  CHECK(g.max().item<uint8_t>() == 250);
}
