// The Tensor handle: factories, dtypes, views and aliasing, strides, contiguous, item,
// data_ptr, printing, nested tensor({...}), from_blob, and the seeded CPU generator that must
// reproduce PyTorch's (tests/fixtures/tensor.txt).
#include <sstream>

#include "../src/cpu/allocator.h"
#include "helpers.h"

using namespace ember;
using namespace ember_test;

TEST_CASE("factories: zeros ones full empty eye arange with dtypes", "[tensor]") {
  for (Device d : ember_test::test_devices()) {
    INFO("device " << d);
    TensorOptions o = TensorOptions().device(d);
    Tensor z = zeros({2, 3}, o);
    CHECK(z.sizes() == IntArrayRef({2, 3}));
    CHECK(z.dtype() == kFloat);  // LibTorch's default dtype
    CHECK(z.device() == d);
    CHECK(z.numel() == 6);
    CHECK(z.dim() == 2);
    require_close(z, from_blob(std::vector<float>(6, 0.f).data(), {2, 3}, kFloat).clone(), 0, 0);
    require_equal(ones({2}, o.dtype(kLong)), tensor({1, 1}, kLong));
    require_equal(full({2, 2}, 7, o.dtype(kLong)), tensor({{7, 7}, {7, 7}}, kLong));
    require_close(full({3}, 2.5, o.dtype(kDouble)), tensor({2.5, 2.5, 2.5}, kDouble), 0, 0);
    CHECK(zeros({2}, kInt64).dtype() == kLong);
    CHECK(empty({4, 0, 2}, o).numel() == 0);
    require_close(eye(3, o), tensor({{1.f, 0.f, 0.f}, {0.f, 1.f, 0.f}, {0.f, 0.f, 1.f}}), 0, 0);
    require_close(eye(2, 3, o.dtype(kDouble)), tensor({{1., 0., 0.}, {0., 1., 0.}}, kDouble), 0, 0);
    // arange: integer arguments give int64; a floating argument gives the default float dtype.
    require_equal(arange(5, o), tensor({0, 1, 2, 3, 4}, kLong));
    require_equal(arange(2, 8, 3, o), tensor({2, 5}, kLong));
    Tensor af = arange(0.0, 1.0, 0.25, o);
    CHECK(af.dtype() == kFloat);
    require_close(af, tensor({0.f, 0.25f, 0.5f, 0.75f}), 0, 0);
    Tensor like = ones_like(z);
    CHECK(like.sizes() == z.sizes());
    CHECK(like.dtype() == z.dtype());
    CHECK(like.device() == d);
    require_close(zeros_like(like), z, 0, 0);
    require_close(full_like(z, 3.0), full({2, 3}, 3.0), 0, 0);
    CHECK(empty_like(z, kDouble).dtype() == kDouble);
  }
}

TEST_CASE("tensor({...}) infers dtype and shape from nested lists", "[tensor]") {
  Tensor f = tensor({{1., 2., 3.}, {4., 5., 6.}});
  CHECK(f.dtype() == kFloat);
  CHECK(f.sizes() == IntArrayRef({2, 3}));
  CHECK(f[1][2].item<float>() == 6.f);
  Tensor i = tensor({3, 0, 2}, kInt64);
  CHECK(i.dtype() == kLong);
  CHECK(i.sizes() == IntArrayRef({3}));
  CHECK(tensor({1, 2}).dtype() == kLong);
  CHECK(tensor({true, false}).dtype() == kBool);
  Tensor d = tensor({{{1.5}, {2.5}}}, kDouble);
  CHECK(d.sizes() == IntArrayRef({1, 2, 1}));
  CHECK(d[0][1][0].item<double>() == 2.5);
  CHECK(tensor(3.5).dim() == 0);
  CHECK(tensor(std::vector<double>{1, 2, 3}).sizes() == IntArrayRef({3}));
  // Ragged lists are an error.
  CHECK_THROWS_AS(tensor({{1., 2.}, {3.}}), ember::Error);
}

TEST_CASE("views alias their base: writes through a view are visible", "[tensor][views]") {
  for (Device d : ember_test::test_devices()) {
    INFO("device " << d);
    Tensor base = arange(12, TensorOptions(kDouble).device(d)).view({3, 4});
    CHECK(base.is_contiguous());
    CHECK(base.strides() == IntArrayRef({4, 1}));

    Tensor row = base[1];
    row.fill_(-1.0);
    require_close(base.select(0, 1), full({4}, -1.0, kDouble), 0, 0);

    Tensor col = base.select(1, 2);
    CHECK(col.strides() == IntArrayRef({4}));
    CHECK(!col.is_contiguous());
    col.mul_(10.0);
    CHECK(base[2][2].item<double>() == 100.0);

    Tensor tr = base.t();
    CHECK(tr.sizes() == IntArrayRef({4, 3}));
    CHECK(tr.strides() == IntArrayRef({1, 4}));
    CHECK(!tr.is_contiguous());
    tr[0][2].fill_(42.0);
    CHECK(base[2][0].item<double>() == 42.0);

    Tensor nar = base.narrow(1, 1, 2);
    CHECK(nar.storage_offset() == 1);
    nar.zero_();
    require_close(base.select(1, 1), zeros({3}, kDouble), 0, 0);

    Tensor sl = base.slice(1, 0, 4, 2);
    CHECK(sl.sizes() == IntArrayRef({3, 2}));
    CHECK(sl.strides() == IntArrayRef({4, 2}));
    sl.add_(0.5);
    CHECK(base[0][0].item<double>() == 0.5);

    Tensor flat = base.view({12});
    flat[11].fill_(-7.0);
    CHECK(base[2][3].item<double>() == -7.0);
    Tensor un = base.unsqueeze(0);
    CHECK(un.sizes() == IntArrayRef({1, 3, 4}));
    CHECK(un.squeeze(0).sizes() == IntArrayRef({3, 4}));
    CHECK(ones({1, 3, 1}).squeeze().sizes() == IntArrayRef({3}));
    Tensor p = base.permute({1, 0});
    CHECK(p.strides() == IntArrayRef({1, 4}));
    Tensor ex = tensor({1., 2.}, kDouble).to(d).view({2, 1}).expand({2, 3});
    CHECK(ex.strides() == IntArrayRef({1, 0}));
    require_close(ex, tensor({{1., 1., 1.}, {2., 2., 2.}}, kDouble), 0, 0);
  }
}

TEST_CASE("contiguous, clone and reshape copy only when needed", "[tensor][views]") {
  for (Device d : ember_test::test_devices()) {
    INFO("device " << d);
    Tensor a = arange(6, TensorOptions(kFloat).device(d)).view({2, 3});
    Tensor c = a.contiguous();
    CHECK(c.data_ptr() == a.data_ptr());  // already contiguous: same data
    Tensor t = a.t();
    Tensor tc = t.contiguous();
    CHECK(tc.is_contiguous());
    CHECK(tc.data_ptr() != a.data_ptr());
    require_close(tc, tensor({{0.f, 3.f}, {1.f, 4.f}, {2.f, 5.f}}), 0, 0);
    // reshape of a non-contiguous tensor copies; view of it is an error.
    require_close(t.reshape({6}), tensor({0.f, 3.f, 1.f, 4.f, 2.f, 5.f}), 0, 0);
    CHECK_THROWS_AS(t.view({6}), ember::Error);
    Tensor r = a.reshape({3, 2});
    CHECK(r.data_ptr() == a.data_ptr());
    require_close(a.view({-1}), arange(6, kFloat), 0, 0);
    Tensor cl = a.clone();
    cl.fill_(1.f);
    CHECK(a[0][0].item<float>() == 0.f);
    CHECK(a.flatten().sizes() == IntArrayRef({6}));
  }
}

TEST_CASE("item, data_ptr and dtype conversion", "[tensor]") {
  Tensor x = tensor({1.5, -2.25}, kDouble);
  CHECK(x[1].item<double>() == -2.25);
  CHECK(x[0].item().toDouble() == 1.5);
  CHECK(x.sum().item<double>() == -0.75);
  double* p = x.data_ptr<double>();
  p[0] = 4.0;
  CHECK(x[0].item<double>() == 4.0);
  CHECK_THROWS_AS(x.data_ptr<float>(), ember::Error);
  Tensor xf = x.to(kFloat);
  CHECK(xf.dtype() == kFloat);
  CHECK(xf.data_ptr<float>()[1] == -2.25f);
  Tensor xi = tensor({1.7, -1.7}, kDouble).to(kLong);
  require_equal(xi, tensor({1, -1}, kLong));  // truncation toward zero, as a C cast
  require_equal(tensor({0.0, 2.0}).to(kBool), tensor({false, true}));
  CHECK(x.to(kDouble).dtype() == kDouble);
  CHECK(x.element_size() == 8);
  CHECK(x.nbytes() == 16);
}

TEST_CASE("from_blob wraps caller memory without copying", "[tensor]") {
  std::vector<float> buf{1, 2, 3, 4, 5, 6};
  Tensor t = from_blob(buf.data(), {2, 3});
  CHECK(t.dtype() == kFloat);
  CHECK(t.data_ptr<float>() == buf.data());
  buf[4] = 50;
  CHECK(t[1][1].item<float>() == 50.f);
  t[0][0].fill_(-1.f);
  CHECK(buf[0] == -1.f);
  // With strides: a transposed view of the same buffer.
  Tensor s = from_blob(buf.data(), {3, 2}, {1, 3});
  CHECK(s[2][1].item<float>() == 6.f);
  std::vector<int64_t> ibuf{7, 8};
  require_equal(from_blob(ibuf.data(), {2}, kLong), tensor({7, 8}, kLong));
}

TEST_CASE("printing works for each dtype and for views", "[tensor]") {
  std::ostringstream os;
  os << tensor({{1.5, 2.0}, {3.0, 4.0}}) << tensor({1, 2}, kLong) << tensor({true, false})
     << arange(6, kDouble).view({2, 3}).t() << zeros({0}) << tensor(2.0);
  std::string s = os.str();
  CHECK(s.find("1.5") != std::string::npos);
  CHECK(s.find("CPUFloatType{2,2}") != std::string::npos);  // LibTorch's footer
  CHECK(s.find("CPULongType{2}") != std::string::npos);
  CHECK(!s.empty());
}

TEST_CASE("manual_seed + randn/rand/randint reproduce PyTorch's CPU generator", "[tensor][random]") {
  const auto& f = ember_test::fixtures("tensor");
  for (int n : {5, 40}) {
    std::string sn = std::to_string(n);
    INFO("size " << n);
    manual_seed(0);
    require_equal(randn({n}), f["randn_seed0_f32_" + sn]);
    manual_seed(0);
    require_equal(randn({n}, kDouble), f["randn_seed0_f64_" + sn]);
    manual_seed(0);
    require_equal(rand({n}), f["rand_seed0_f32_" + sn]);
    manual_seed(0);
    require_equal(rand({n}, kDouble), f["rand_seed0_f64_" + sn]);
    manual_seed(0);
    require_equal(randint(0, 10, {n}), f["randint_seed0_0_10_" + sn]);
  }
  manual_seed(42);
  require_equal(randn({3, 4}), f["randn_seed42_f32_3x4"]);
}

TEST_CASE("random factories repeat after manual_seed and differ without it", "[tensor][random]") {
  for (Device d : ember_test::test_devices()) {
    INFO("device " << d);
    TensorOptions o = TensorOptions().device(d);
    manual_seed(5);
    Tensor a = randn({100}, o);
    Tensor b = randn({100}, o);
    manual_seed(5);
    Tensor a2 = randn({100}, o);
    require_equal(a2, a);
    CHECK(!a.equal(b));
    // Moments of a large sample: mean 0 +- 5 sigma/sqrt(n), variance 1 +- 5%.
    manual_seed(6);
    std::vector<double> v = ember_test::values(randn({100000}, o.dtype(kDouble)));
    double m = 0, s2 = 0;
    for (double x : v) m += x;
    m /= double(v.size());
    for (double x : v) s2 += (x - m) * (x - m);
    s2 /= double(v.size());
    CHECK(std::abs(m) < 5.0 / std::sqrt(1e5));
    CHECK(std::abs(s2 - 1.0) < 0.05);
    std::vector<double> u = ember_test::values(rand({10000}, o));
    for (double x : u) {
      if (!(x >= 0.0 && x < 1.0)) FAIL("rand value outside [0, 1): " << x);
    }
    std::vector<double> r = ember_test::values(randint(3, 7, {1000}, o.dtype(kLong)));
    for (double x : r) {
      if (!(x >= 3 && x < 7)) FAIL("randint value outside [3, 7): " << x);
    }
  }
}

TEST_CASE("Device parsing and TensorOptions", "[tensor]") {
  CHECK(Device("cpu").is_cpu());
  CHECK(Device("cuda:1").index() == 1);
  CHECK(Device("cuda").is_cuda());
  CHECK_THROWS_AS(Device("tpu"), ember::Error);
  TensorOptions o = TensorOptions(kDouble).requires_grad(true);
  Tensor t = zeros({2}, o);
  CHECK(t.dtype() == kDouble);
  CHECK(t.requires_grad());
  CHECK(t.is_leaf());
  CHECK(ember::dtype(kLong).dtype() == kLong);
}

TEST_CASE("cuda: to(kCUDA) and back round-trips values and dtypes", "[cuda]") {
  EMBER_REQUIRE_CUDA();
  manual_seed(11);
  Tensor x = randn({7, 5}, kDouble);
  Tensor g = x.cuda();
  CHECK(g.is_cuda());
  CHECK(g.dtype() == kDouble);
  require_equal(g.cpu(), x);
  Tensor gf = x.to(Device(kCUDA), kFloat);
  CHECK(gf.dtype() == kFloat);
  require_close(gf.cpu(), x, 1e-7, 1e-7);
  require_equal(g.t().contiguous().cpu(), x.t().contiguous());
}

TEST_CASE("cuda: ops on random inputs agree with the CPU backend", "[cuda]") {
  EMBER_REQUIRE_CUDA();
  manual_seed(12);
  Tensor a = randn({64, 48}), b = randn({48, 40}), x = randn({4, 3, 17, 15}), w = randn({8, 3, 3, 3});
  Tensor c = randn({64, 40});
  auto both = [](const Tensor& cpu, const Tensor& gpu, double tol) {
    REQUIRE(gpu.is_cuda());
    ember_test::require_close(gpu.cpu(), cpu, tol, tol);
  };
  both(mm(a, b), mm(a.cuda(), b.cuda()), 1e-4);
  both((a * 2.0 + 1.0).exp().log(), (a.cuda() * 2.0 + 1.0).exp().log(), 1e-5);
  both(conv2d(x, w, Tensor(), 2, 1), conv2d(x.cuda(), w.cuda(), Tensor(), 2, 1), 1e-4);
  both(max_pool2d(x, 3, 2, 1), max_pool2d(x.cuda(), 3, 2, 1), 0);
  both(c.sum({1}), c.cuda().sum({1}), 1e-5);
  both(log_softmax(c, 1), log_softmax(c.cuda(), 1), 1e-5);
  both(softmax(c, 0), softmax(c.cuda(), 0), 1e-5);
  both(std::get<0>(c.max(1)), std::get<0>(c.cuda().max(1)), 0);
  ember_test::require_equal(argmax(c, 1), argmax(c.cuda(), 1).cpu());
  both(c.t().contiguous(), c.cuda().t().contiguous(), 0);
}

TEST_CASE("CPU memory: large blocks are reused, and a reused block holds the new tensor's values", "[tensor][memory]") {
  const int64_t n = (int64_t(3) << 20) + 5;  // 12 MB of float: past the cache's 1 MiB floor
  const void* first = nullptr;
  {
    Tensor a = full({n}, 7.f);
    first = a.data_ptr<float>();
    CHECK(reinterpret_cast<uintptr_t>(first) % 64 == 0);
  }
  Tensor b = zeros({n});
  if (cpu::kCachesLargeBlocks) CHECK(b.data_ptr<float>() == first);  // same rounded size: the freed block
  CHECK(b.sum().item<double>() == 0.0);                              // zeros() wrote over the old 7s
  Tensor c = ones({n + (int64_t(1) << 16)});                         // a larger size: another block
  CHECK(c.data_ptr<float>() != b.data_ptr<float>());
  CHECK(c.sum().item<double>() == double(n + (int64_t(1) << 16)));
  if (cpu::kCachesLargeBlocks) {
    const size_t held = size_t(c.numel()) * sizeof(float);
    c = Tensor();
    CHECK(cpu::cached_bytes() >= held);  // the newest idle block is never the one pushed out
    // Idle blocks past the cap push out the longest-idle ones (untouched memory: cheap).
    for (int64_t i = 0; i < 6; ++i) {
      Tensor t = empty({(int64_t(75) << 20) + i * (int64_t(1) << 16)});  // 300 MB, each size new
    }
    CHECK(cpu::cached_bytes() <= cpu::kMaxCachedBytes);
    CHECK(cpu::cached_bytes() >= size_t(3) * (size_t(300) << 20));
  }
  // Small tensors (heap blocks) are aligned too.
  for (int64_t k : {1, 3, 17, 1000}) CHECK(reinterpret_cast<uintptr_t>(empty({k}).data_ptr<float>()) % 64 == 0);
}

TEST_CASE("CPU memory: an impossible allocation throws OutOfMemoryError and loses nothing",
          "[tensor][memory][errors]") {
  Tensor keep = full({int64_t(1) << 20}, 3.f);                   // a cached-size block that must survive
  CHECK_THROWS_AS(empty({int64_t(1) << 60}), OutOfMemoryError);  // 4 EiB
  ember_test::require_throws_with([] { empty({int64_t(1) << 60}); },
                                  {"CPU: out of memory: tried to allocate 4611686018427387904 bytes"});
  if (cpu::kCachesLargeBlocks) CHECK(cpu::cached_bytes() == 0);  // emptied before giving up
  CHECK(keep.sum().item<double>() == 3.0 * double(int64_t(1) << 20));
  Tensor after = ones({int64_t(1) << 20});  // allocation still works
  CHECK(after.sum().item<double>() == double(int64_t(1) << 20));
}
