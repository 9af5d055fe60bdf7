// Shapes whose element count or byte size does not fit in 64 bits are refused with an
// ember::Error naming the op and the shape, wherever a shape is made: factories, views,
// from_blob, broadcasting and the file readers. Before, the product wrapped around and the
// tensor got a buffer far smaller than its shape (empty({1 << 32, 1 << 32}) had 0 bytes).
#include "helpers.h"

#include <cstdint>
#include <fstream>
#include <string>
#include <tuple>
#include <vector>

#include "ember/nn.h"
#include "ember/serialize.h"

using namespace ember;
using ember_test::require_throws_with;

namespace {
constexpr int64_t k32 = int64_t(1) << 32;
constexpr int64_t k62 = int64_t(1) << 62;
// 3 * kThird is 2^64 + 2: wrapped, the shape [3, kThird] claimed to hold 2 elements.
constexpr int64_t kThird = 6148914691236517206;
}  // namespace

TEST_CASE("shapes: factories refuse an element count past 64 bits", "[errors][shapes]") {
  require_throws_with(
      [] {
        empty({k32, k32});
      },
      {"empty: shape [4294967296, 4294967296] has more elements than fit in 64 bits"});
  require_throws_with(
      [] {
        zeros({3, kThird});
      },
      {"zeros: shape [3, 6148914691236517206] has more elements than fit in 64 bits"});
  require_throws_with([] { ones({3, kThird}); }, {"ones: shape [3, 6148914691236517206]", "64 bits"});
  require_throws_with([] { full({3, kThird}, 2.5); }, {"full: shape [3, 6148914691236517206]", "64 bits"});
  require_throws_with([] { rand({k32, k32}); }, {"rand: shape [4294967296, 4294967296]", "64 bits"});
  require_throws_with([] { randn({k32, k32}); }, {"randn: shape [4294967296, 4294967296]", "64 bits"});
  require_throws_with([] { randint(5, {k32, k32}); }, {"randint: shape [4294967296, 4294967296]", "64 bits"});
  require_throws_with([] { eye(k32, k32); }, {"eye: shape [4294967296, 4294967296] has more elements"});
  require_throws_with([] { arange(0.0, 1e300); }, {"arange:", "has more elements than fit in 64 bits"});
}

TEST_CASE("shapes: factories refuse a byte size past 64 bits", "[errors][shapes]") {
  // 2^62 elements fit; 2^62 float32 values are 2^64 bytes, which wrapped to a 0-byte buffer.
  require_throws_with([] { empty({k62}); },
                      {"empty: shape [4611686018427387904] of float32 has more bytes than fit in 64 bits"});
  require_throws_with([] { empty({k62 / 2}, kDouble); },
                      {"empty: shape [2305843009213693952] of float64", "has more bytes than fit in 64 bits"});
  // 2^63 elements do not fit at all.
  require_throws_with([] { empty({2, k62}, kLong); }, {"empty: shape [2, 4611686018427387904] has more elements"});
}

TEST_CASE("shapes: a zero size makes an empty tensor whatever the other sizes", "[shapes]") {
  // As in LibTorch (torch.empty(0, 2**62) is fine): no elements, no bytes, strides that fit.
  Tensor a = empty({0, k62});
  CHECK(a.numel() == 0);
  CHECK(a.sizes() == IntArrayRef({0, k62}));
  CHECK(a.strides() == IntArrayRef({k62, 1}));
  CHECK(zeros({k62, 0}).numel() == 0);
  CHECK(empty({0, k32, k32 / 4}).numel() == 0);  // 2^62: the non-zero sizes fit
  // But contiguous strides are products of the other sizes, and must fit too.
  require_throws_with(
      [] {
        empty({0, k32, k32});
      },
      {"empty: shape [0, 4294967296, 4294967296]: the product of its non-zero sizes does not fit "
       "in 64 bits"});
  require_throws_with([] { empty({k32, 0, k32}); }, {"empty: shape [4294967296, 0, 4294967296]"});
}

TEST_CASE("shapes: view, reshape and expand refuse an element count past 64 bits", "[errors][shapes]") {
  Tensor two = zeros({2});
  // Wrapped, [3, kThird] held 2 elements, so this view of 2 floats "succeeded".
  require_throws_with(
      [&] {
        two.view({3, kThird});
      },
      {"view: shape [3, 6148914691236517206] has more elements than fit in 64 bits"});
  require_throws_with(
      [&] {
        two.reshape({3, kThird});
      },
      {"reshape: shape [3, 6148914691236517206] has more elements than fit in 64 bits"});
  require_throws_with(
      [&] {
        two.view({-1, k32, k32});
      },
      {"view: shape [-1, 4294967296, 4294967296] has more elements than fit in 64 bits"});
  require_throws_with(
      [&] {
        zeros({1, 1}).expand({k32, k32});
      },
      {"expand: shape [4294967296, 4294967296] has more elements than fit in 64 bits"});
  require_throws_with([&] { zeros({1}).expand({3, kThird}); }, {"expand: shape [3, 6148914691236517206]"});
  // A large but fitting expand is a view of one element.
  Tensor big = zeros({1, 1}).expand({k32, k32 / 4});
  CHECK(big.numel() == k32 * (k32 / 4));
  CHECK(big.stride(0) == 0);
}

TEST_CASE("shapes: broadcasting refuses a result shape past 64 bits", "[errors][shapes]") {
  Tensor col = zeros({1, 1}).expand({k32, 1});
  Tensor row = zeros({1, 1}).expand({1, k32});
  require_throws_with([&] { col + row; },
                      {"add: shape [4294967296, 4294967296] has more elements than fit in 64 bits"});
  require_throws_with([&] { col* row; }, {"mul: shape [4294967296, 4294967296]"});
}

TEST_CASE("shapes: cat refuses a result past 64 bits", "[errors][shapes]") {
  // Views of one element each; joined, their sizes add past int64.
  Tensor half = zeros({1}).expand({k62});
  require_throws_with(
      [&] {
        cat({half, half});
      },
      {"cat: the sizes in dimension 0 add up to more than fit in 64 bits (at tensor 1 "
       "[4611686018427387904] float32 cpu)"});
}

TEST_CASE("shapes: from_blob refuses a shape or a span past 64 bits", "[errors][shapes]") {
  float buf[4] = {1, 2, 3, 4};
  require_throws_with(
      [&] {
        from_blob(buf, {k32, k32});
      },
      {"from_blob: shape [4294967296, 4294967296] has more elements than fit in 64 bits"});
  require_throws_with([&] { from_blob(buf, {3, kThird}); }, {"from_blob: shape [3, 6148914691236517206]"});
  require_throws_with([&] { from_blob(buf, {k62}); },
                      {"from_blob: shape [4611686018427387904] of float32 has more bytes"});
  // Four elements, but strides that reach 2^63 elements past the start.
  require_throws_with(
      [&] {
        from_blob(buf, {2, 2}, {k62, k62});
      },
      {"from_blob: shape [2, 2] with strides [4611686018427387904, 4611686018427387904] of float32 "
       "spans more bytes than fit in 64 bits"});
  Tensor ok = from_blob(buf, {2, 2}, {1, 2});
  CHECK(ok[1][1].item<float>() == 4);
  // Bytes 2^62 + 1: fits. unsqueeze(0) multiplies size 2 by stride 2^62, which does not, but the
  // new dim has size 1 and its stride is never used to step.
  bool flags[1] = {true};
  Tensor far = from_blob(flags, {2}, {k62}, kBool);
  CHECK(far.unsqueeze(0).sizes() == IntArrayRef({1, 2}));
  CHECK(far.unsqueeze(0).stride(1) == k62);
}

TEST_CASE("shapes: a safetensors file declaring a shape past 64 bits is refused, naming the file", "[errors][shapes]") {
  ember_test::TempDir dir;
  auto write = [&](const std::string& name, const std::string& header) {
    std::string bytes(8, '\0');
    for (int i = 0; i < 8; ++i) bytes[size_t(i)] = char((uint64_t(header.size()) >> (8 * i)) & 0xFF);
    bytes += header;
    std::ofstream(dir.file(name), std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
    return dir.file(name);
  };
  // Each header is refused with the file, the tensor, its shape and the rule it breaks.
  const std::vector<std::tuple<const char*, const char*, const char*>> cases = {
      {"elems.safetensors", "[4294967296,4294967296]",
       "shape [4294967296, 4294967296] has more elements than fit in 64 bits"},
      {"bytes.safetensors", "[4611686018427387904]",
       "shape [4611686018427387904] of float32 has more bytes than fit in 64 bits"},
      {"zero.safetensors", "[0,4294967296,4294967296]",
       "shape [0, 4294967296, 4294967296]: the product of its non-zero sizes does not fit in 64 bits"},
  };
  for (const auto& [name, shape, rule] : cases) {
    const std::string path =
        write(name, std::string(R"({"w":{"dtype":"F32","shape":)") + shape + R"(,"data_offsets":[0,0]}})");
    require_throws_with([&] { load_tensors(path); }, {"load_tensors: '" + path + "': tensor \"w\": " + rule});
  }
  const std::string elems = dir.file("elems.safetensors");
  // A checkpoint is read by the same reader: a module load names the file too.
  nn::Linear lin(2, 3);
  require_throws_with([&] { load(*lin, elems); }, {elems, "has more elements than fit in 64 bits"});
}
