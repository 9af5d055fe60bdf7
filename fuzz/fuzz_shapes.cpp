// libFuzzer target: shapes built from arbitrary bytes, offered to the factories, view, reshape,
// expand, from_blob and broadcasting. Each call must either succeed or throw an ember::Error
// whose message starts with the op's name, exactly as an independent __int128 computation of
// the shape rule predicts (no negative size; the product of the non-zero sizes fits in int64;
// numel * element size fits below PTRDIFF_MAX), and what succeeds must report the numel that
// computation gives. Only shapes under kMaxBytes are ever allocated.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "ember/ember.h"

namespace {

using I128 = __int128;
constexpr I128 kInt64Max = INT64_MAX;
constexpr I128 kSaturated = I128(1) << 100;  // past any int64; products stop growing here
constexpr int64_t kMaxBytes = 1 << 20;

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_shapes: invariant broken: %s\n", what);
    std::abort();
  }
}

// The fuzzer's bytes, read front to back; zeros once they run out.
struct Reader {
  const uint8_t* p;
  size_t n;
  uint8_t byte() {
    if (n == 0) return 0;
    --n;
    return *p++;
  }
  int64_t raw() {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = v << 8 | byte();
    return int64_t(v);
  }
  // One size: small values, powers of two and their neighbours (where products wrap), -1,
  // or any 64-bit value.
  int64_t size() {
    const uint8_t tag = byte();
    const int k = tag >> 2;  // 0..63
    switch (tag & 3) {
      case 0: return k;
      case 1: return int64_t(uint64_t(1) << k);  // 2^63 arrives as INT64_MIN
      case 2: return (k & 1) ? -1 : int64_t((uint64_t(1) << k) + 1);
      default: return raw();
    }
  }
  std::vector<int64_t> shape(size_t max_dims) {
    std::vector<int64_t> s(byte() % (max_dims + 1));
    for (int64_t& v : s) v = size();
    return s;
  }
};

// The product of the non-zero sizes (all >= 0), saturated at kSaturated.
I128 nonzero_product(const std::vector<int64_t>& sizes) {
  I128 p = 1;
  for (int64_t v : sizes) {
    if (v == 0) continue;
    p = p > kSaturated / v ? kSaturated : p * v;
  }
  return p;
}

// The rule's verdict for `sizes` holding elements of `item` bytes (0: count elements only), and
// the element count when it holds.
struct Verdict {
  bool ok = false;
  I128 numel = 0;
};
Verdict judge(const std::vector<int64_t>& sizes, int64_t item) {
  bool zero = false;
  for (int64_t v : sizes) {
    if (v < 0) return {};
    zero = zero || v == 0;
  }
  const I128 extent = nonzero_product(sizes);
  if (extent > kInt64Max) return {};
  const I128 numel = zero ? 0 : extent;
  if (item > 0 && numel * item > I128(PTRDIFF_MAX)) return {};
  return {true, numel};
}

bool starts_with(const ember::Error& e, const std::string& op) {
  return std::string(e.what()).compare(0, op.size() + 2, op + ": ") == 0;
}

// Runs f, which makes a tensor with `op`: it must throw an ember::Error naming op exactly when
// the verdict says no, and otherwise return a tensor of the predicted numel.
template <typename F>
void check(const char* op, const Verdict& v, F f) {
  ember::Tensor t;
  try {
    t = f();
  } catch (const ember::Error& e) {
    if (v.ok) std::fprintf(stderr, "%s\n", e.what());
    require(!v.ok, "a valid shape was refused");
    require(starts_with(e, op), "the error does not start with the op's name");
    return;
  }
  require(v.ok, "an invalid shape was accepted");
  require(I128(t.numel()) == v.numel, "numel differs from the __int128 product");
}

const ember::ScalarType kDtypes[] = {ember::kFloat, ember::kDouble, ember::kLong, ember::kBool};

void fuzz_factory(Reader& in) {
  const uint8_t pick = in.byte();
  const ember::ScalarType dt = kDtypes[pick & 3];
  const std::vector<int64_t> shape = in.shape(8);
  const Verdict v = judge(shape, int64_t(ember::element_size(dt)));
  if (v.ok && v.numel * I128(ember::element_size(dt)) >= kMaxBytes) return;  // valid but too big to allocate here
  const auto opts = ember::TensorOptions(dt);
  switch ((pick >> 2) % 4) {
    case 0: check("empty", v, [&] { return ember::empty(shape, opts); }); break;
    case 1: check("zeros", v, [&] { return ember::zeros(shape, opts); }); break;
    case 2: check("ones", v, [&] { return ember::ones(shape, opts); }); break;
    default: check("full", v, [&] { return ember::full(shape, 3, opts); }); break;
  }
}

// view/reshape of a small contiguous tensor: the verdict also infers a -1 and matches counts.
void fuzz_view(Reader& in) {
  const uint8_t pick = in.byte();
  const int64_t n = in.byte() % 65;
  const std::vector<int64_t> shape = in.shape(8);
  std::vector<int64_t> known;
  int infers = 0;
  bool negative = false;
  for (int64_t s : shape) {
    if (s == -1) ++infers;
    else if (s < 0) negative = true;
    else known.push_back(s);
  }
  Verdict v;
  const Verdict k = judge(known, 0);
  if (infers <= 1 && !negative && k.ok) {
    if (infers == 0) v = {k.numel == n, k.numel};
    else if (k.numel != 0 && n % k.numel == 0) v = {true, I128(n)};
  }
  const ember::Tensor x = ember::zeros({n});
  const char* op = pick & 1 ? "reshape" : "view";
  check(op, v, [&] { return pick & 1 ? x.reshape(shape) : x.view(shape); });
}

// expand of a one-element tensor: never allocates, so any valid shape is tried.
void fuzz_expand(Reader& in) {
  std::vector<int64_t> shape = in.shape(8);
  const size_t own = std::min<size_t>(in.byte() % 4, shape.size());  // the tensor's own dims, all 1
  std::vector<int64_t> resolved = shape;
  bool bad = false;
  for (size_t i = 0; i < shape.size(); ++i) {
    const bool leading = i < shape.size() - own;
    if (!leading && shape[i] == -1) resolved[i] = 1;
    else if (shape[i] < 0) bad = true;
  }
  const Verdict v = bad ? Verdict{} : judge(resolved, 0);
  const ember::Tensor one = ember::zeros(std::vector<int64_t>(own, 1));
  check("expand", v, [&] { return one.expand(shape); });
}

// from_blob with given strides: sizes and the span they reach must fit, and no byte is touched.
void fuzz_from_blob(Reader& in) {
  static float buffer[16];
  const std::vector<int64_t> sizes = in.shape(6);
  std::vector<int64_t> strides(sizes.size());
  for (int64_t& s : strides) s = in.size();
  Verdict v = judge(sizes, 4);
  I128 span = 0;  // elements from the first to one past the last
  if (v.ok && v.numel > 0) {
    span = 1;
    for (size_t i = 0; i < sizes.size(); ++i) {
      if (strides[i] < 0) v = {};
      else if (span < kSaturated) span += std::min(I128(sizes[i] - 1) * strides[i], kSaturated);
    }
  }
  for (int64_t s : strides)
    if (s < 0) v = {};
  if (span * 4 > I128(PTRDIFF_MAX)) v = {};
  check("from_blob", v, [&] { return ember::from_blob(buffer, sizes, strides); });
}

// a + b for two expanded one-element tensors: the broadcast shape must obey the rule too.
void fuzz_broadcast(Reader& in) {
  const std::vector<int64_t> sa = in.shape(4), sb = in.shape(4);
  if (!judge(sa, 0).ok || !judge(sb, 0).ok) return;
  const size_t n = std::max(sa.size(), sb.size());
  std::vector<int64_t> out(n);
  for (size_t i = 0; i < n; ++i) {
    const int64_t a = i < n - sa.size() ? 1 : sa[i - (n - sa.size())];
    const int64_t b = i < n - sb.size() ? 1 : sb[i - (n - sb.size())];
    if (a != b && a != 1 && b != 1) return;  // not broadcastable: another rule, another test
    out[i] = a == 1 ? b : a;
  }
  const Verdict v = judge(out, 4);
  if (v.ok && v.numel * 4 >= kMaxBytes) return;
  const ember::Tensor one = ember::zeros(std::vector<int64_t>{});  // 0-dim: expands to any shape
  const ember::Tensor a = one.expand(sa), b = one.expand(sb);
  check("add", v, [&] { return a + b; });
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ember::set_num_threads(1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Reader in{data, size};
  switch (in.byte() % 5) {
    case 0: fuzz_factory(in); break;
    case 1: fuzz_view(in); break;
    case 2: fuzz_expand(in); break;
    case 3: fuzz_from_blob(in); break;
    default: fuzz_broadcast(in); break;
  }
  return 0;
}
