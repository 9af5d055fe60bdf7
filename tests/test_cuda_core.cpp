// The CUDA backend's generic kernels and infrastructure against the CPU backend, on fresh random
// inputs: pointwise ops (contiguous, strided, broadcast, more dims than one launch decodes),
// comparisons, where, reductions with indices, index_select / index_add, copies with casts and
// strides, fill; and the caching allocator (reuse, statistics, out of memory) and the Philox
// generator (reproducibility, moments). Every case skips with the reason when no GPU is usable.
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "helpers.h"

using namespace ember;
using namespace ember_test;

namespace {

const Device kGpu(kCUDA);

/// The GPU result matches the CPU one: exactly for integers and bools, within tolerances for
/// floating point (the kernels use the same functors; only libm vs CUDA math and the order of
/// additions differ).
void same(const Tensor& gpu, const Tensor& cpu, double rtol = -1, double atol = -1) {
  REQUIRE(gpu.is_cuda());
  REQUIRE(cpu.is_cpu());
  REQUIRE(gpu.dtype() == cpu.dtype());
  if (!cpu.is_floating_point()) {
    require_equal(gpu.cpu(), cpu);
    return;
  }
  const bool f32 = cpu.dtype() == kFloat;
  if (rtol < 0) rtol = f32 ? 2e-5 : 1e-12;
  if (atol < 0) atol = f32 ? 1e-6 : 1e-12;
  require_close(gpu, cpu, rtol, atol);
}

/// The same view built on a CPU tensor and on its GPU copy, so the kernels see strided operands.
using ViewFn = std::function<Tensor(const Tensor&)>;
const std::vector<std::pair<std::string, ViewFn>>& views_3d() {
  static const std::vector<std::pair<std::string, ViewFn>> v = {
      {"contiguous", [](const Tensor& t) { return t; }},
      {"transposed", [](const Tensor& t) { return t.transpose(0, 2); }},
      {"stepped slice", [](const Tensor& t) { return t.slice(1, 1, 9, 3); }},
      {"select", [](const Tensor& t) { return t.select(2, 3); }},
      {"expanded",
       [](const Tensor& t) {
         return t.select(1, 2).unsqueeze(1).expand({6, 5, 8});
       }},
  };
  return v;
}

}  // namespace

TEST_CASE("cuda: availability is reported without throwing", "[cuda]") {
  const bool available = cuda::is_available();
  REQUIRE(available == cuda::is_available());  // cached, stable
  if (!available) {
    REQUIRE_FALSE(cuda::unavailable_reason().empty());
    REQUIRE(cuda::device_count() == 0);
    REQUIRE(cuda::memory_allocated() == 0);
    cuda::synchronize();
    cuda::empty_cache();
    REQUIRE_THROWS_AS(zeros({2}, kGpu), Error);
    return;
  }
  REQUIRE(cuda::unavailable_reason().empty());
  REQUIRE(cuda::device_count() >= 1);
  cuda::synchronize();
}

TEST_CASE("cuda: host <-> device transfers round-trip exactly", "[cuda]") {
  EMBER_REQUIRE_CUDA();
  // 3M floats = 12 MB: several staging chunks and a partial last one.
  for (int64_t n : {int64_t(1), int64_t(1000), int64_t(3000001)}) {
    Tensor x = randn({n}, kFloat);
    Tensor g = x.cuda();
    REQUIRE(g.is_cuda());
    require_equal(g.cpu(), x);
  }
  Tensor l = randint(-1000, 1000, {123, 7});
  require_equal(l.cuda().cpu(), l);
  Tensor e = empty({0, 3}, kFloat).cuda();
  REQUIRE(e.numel() == 0);
  REQUIRE(e.cpu().numel() == 0);
  REQUIRE(full({1}, 3.5).cuda().item<float>() == 3.5f);
}

TEST_CASE("cuda: unary ops match the CPU, contiguous and strided", "[cuda]") {
  EMBER_REQUIRE_CUDA();
  for (ScalarType dt : {kFloat, kDouble}) {
    const Tensor base = rnd({6, 10, 8}, dt);
    const Tensor gbase = base.cuda();
    for (const auto& view : views_3d()) {
      INFO("dtype " << dt << ", " << view.first);
      const Tensor x = view.second(base), g = view.second(gbase);
      same(g.neg(), x.neg());
      same(g.exp(), x.exp());
      same(g.abs().add(0.1).log(), x.abs().add(0.1).log());
      same(g.abs().sqrt(), x.abs().sqrt());
      same(g.abs(), x.abs());
      same(g.relu(), x.relu());
      same(g.sigmoid(), x.sigmoid());
      same(g.tanh(), x.tanh());
      same(g.erf(), x.erf());
      same(g.pow(2), x.pow(2));
      same(g.abs().pow(2.5), x.abs().pow(2.5));
      same(g.clamp(-0.5, 0.75), x.clamp(-0.5, 0.75));
      same(g.clamp_min(0.2), x.clamp_min(0.2));
    }
  }
  const Tensor li = randint(-50, 50, {9, 11});
  same(li.cuda().neg(), li.neg());
  same(li.cuda().abs(), li.abs());
  same(li.cuda().t().clamp(-10, 20), li.t().clamp(-10, 20));
  // Large enough for many blocks of the grid-stride loop.
  const Tensor big = randn({1 << 20});
  same(big.cuda().sigmoid(), big.sigmoid());
}

TEST_CASE("cuda: more dims than one launch decodes", "[cuda]") {
  EMBER_REQUIRE_CUDA();
  // Ten dims, reversed: no two neighbours merge, so the host walks the outermost ones.
  const Tensor x = randn({2, 2, 2, 2, 2, 2, 2, 2, 2, 3});
  const std::vector<int64_t> rev = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0};
  const Tensor g = x.cuda().permute(rev), c = x.permute(rev);
  same(g.exp(), c.exp());
  same(g.contiguous(), c.contiguous());
  same(g + g.pow(2), c + c.pow(2));
}

TEST_CASE("cuda: binary ops, broadcasting and scalars match the CPU", "[cuda]") {
  EMBER_REQUIRE_CUDA();
  for (ScalarType dt : {kFloat, kDouble}) {
    INFO("dtype " << dt);
    const Tensor a = rnd({37, 1, 5}, dt), b = rnd({1, 4, 5}, dt);
    const Tensor ga = a.cuda(), gb = b.cuda();
    same(ga + gb, a + b);
    same(ga.add(gb, 2.5), a.add(b, 2.5));
    same(ga - gb, a - b);
    same(ga.sub(gb, 0.5), a.sub(b, 0.5));
    same(ga * gb, a * b);
    same(ga / gb, a / b);
    same(ga.abs().pow(gb), a.abs().pow(b));
    // Strided operands (transposed) against contiguous ones of the same shape.
    const Tensor m = rnd({20, 30}, dt), n = rnd({30, 20}, dt);
    same(m.cuda() * n.cuda().t(), m * n.t());
    same(m.cuda().t() - n.cuda(), m.t() - n);
    // Scalars on either side.
    same(ga + 2.5, a + 2.5);
    same(2.5 - ga, 2.5 - a);
    same(ga / 3.0, a / 3.0);
    same(3.0 / ga, 3.0 / a);
    same(ga * -1.5, a * -1.5);
    // In place, through a strided view.
    Tensor cm = m.clone(), gm = m.cuda();
    cm.t().mul_(2.0);
    gm.t().mul_(2.0);
    same(gm, cm);
  }
  const Tensor i = randint(-20, 20, {15, 16}), j = randint(1, 20, {16});
  same(i.cuda() + j.cuda(), i + j);
  same(i.cuda() * j.cuda(), i * j);
  same(i.cuda() - 7, i - 7);
  same(i.cuda() / j.cuda(), i / j);  // true division: float
}

TEST_CASE("cuda: comparisons and where match the CPU", "[cuda]") {
  EMBER_REQUIRE_CUDA();
  for (ScalarType dt : {kFloat, kDouble, kLong}) {
    INFO("dtype " << dt);
    // Small integers make ties common.
    const Tensor a = randint(-3, 3, {8, 9}).to(dt), b = randint(-3, 3, {9}).to(dt);
    const Tensor ga = a.cuda(), gb = b.cuda();
    same(ga == gb, a == b);
    same(ga != gb, a != b);
    same(ga < gb, a < b);
    same(ga <= gb, a <= b);
    same(ga > gb, a > b);
    same(ga >= gb, a >= b);
    same(ga.t() > 0, a.t() > 0);
    same(ga.eq(1), a.eq(1));
    const Tensor cond = a > b;
    same(where(cond.cuda(), ga, gb), where(cond, a, b));
    same(where(cond.cuda().t(), ga.t(), gb.unsqueeze(1)), where(cond.t(), a.t(), b.unsqueeze(1)));
  }
  const Tensor p = randn({5, 6}) > 0, q = randn({6}) > 0;
  same(p.cuda() == q.cuda(), p == q);
}

TEST_CASE("cuda: sum and mean along several dims match the CPU", "[cuda]") {
  EMBER_REQUIRE_CUDA();
  for (ScalarType dt : {kFloat, kDouble}) {
    INFO("dtype " << dt);
    const Tensor x = rnd({7, 300, 9}, dt);
    const Tensor g = x.cuda();
    same(g.sum(), x.sum(), 1e-5, 2e-3);
    same(g.mean(), x.mean(), 1e-5, 1e-6);
    for (int64_t d = 0; d < 3; ++d) {
      INFO("dim " << d);
      same(g.sum({d}), x.sum({d}), 1e-5, 1e-5);
      same(g.mean({d}, true), x.mean({d}, true), 1e-5, 1e-6);
    }
    same(g.sum({0, 2}), x.sum({0, 2}), 1e-5, 1e-5);
    same(g.mean({-1, 0}), x.mean({-1, 0}), 1e-5, 1e-6);
    same(g.transpose(0, 2).sum({1}), x.transpose(0, 2).sum({1}), 1e-5, 1e-5);  // strided input
  }
  // A full reduction long enough to be split across blocks, and a long column reduction.
  const Tensor big = randn({(1 << 22) + 3});
  same(big.cuda().sum(), big.sum(), 1e-4, 2e-2);
  same(big.cuda().mean(), big.mean(), 1e-4, 1e-6);
  const Tensor cols = randn({2, 50000, 3}, kDouble);
  same(cols.cuda().sum({1}), cols.sum({1}), 1e-10, 1e-9);
  const Tensor li = randint(-100, 100, {50, 70});
  same(li.cuda().sum({1}), li.sum({1}));
  same(li.cuda().sum({0}), li.sum({0}));
  same(li.cuda().sum(), li.sum());
}

TEST_CASE("cuda: max and min with indices match the CPU (ties, NaN, long rows)", "[cuda]") {
  EMBER_REQUIRE_CUDA();
  for (ScalarType dt : {kFloat, kDouble, kLong}) {
    INFO("dtype " << dt);
    // Few distinct values: ties everywhere, so the first-occurrence rule is exercised.
    const Tensor x = randint(0, 5, {7, 300, 9}).to(dt);
    const Tensor g = x.cuda();
    same(g.max(), x.max());
    same(g.min(), x.min());
    same(g.argmax(), x.argmax());
    for (int64_t d = 0; d < 3; ++d) {
      INFO("dim " << d);
      auto gm = g.max(d), cm = x.max(d);
      same(std::get<0>(gm), std::get<0>(cm));
      same(std::get<1>(gm), std::get<1>(cm));
      auto gn = g.min(d, true), cn = x.min(d, true);
      same(std::get<0>(gn), std::get<0>(cn));
      same(std::get<1>(gn), std::get<1>(cn));
      same(g.argmin(d), x.argmin(d));
    }
  }
  // NaN is the extreme and the first NaN's index is reported.
  Tensor f = randn({4, 1000});
  f.select(0, 1).select(0, 700).fill_(std::numeric_limits<double>::quiet_NaN());
  f.select(0, 1).select(0, 900).fill_(std::numeric_limits<double>::quiet_NaN());
  f.select(0, 2).select(0, 10).fill_(std::numeric_limits<double>::quiet_NaN());
  const Tensor gf = f.cuda();
  for (int64_t d = 0; d < 2; ++d) {
    auto gm = gf.max(d), cm = f.max(d);
    same(std::get<0>(gm), std::get<0>(cm));
    same(std::get<1>(gm), std::get<1>(cm));
    auto gn = gf.min(d), cn = f.min(d);
    same(std::get<1>(gn), std::get<1>(cn));
  }
  // A long row (split across blocks) with its maximum planted late.
  Tensor row = randn({1 << 21});
  row.select(0, (1 << 21) - 5).fill_(100.0);
  same(row.cuda().argmax(), row.argmax());
  same(row.cuda().max(), row.max());
  const Tensor cols = randn({3, 40000, 2});
  same(std::get<1>(cols.cuda().max(1)), std::get<1>(cols.max(1)));
}

TEST_CASE("cuda: index_select and index_add match the CPU", "[cuda]") {
  EMBER_REQUIRE_CUDA();
  for (ScalarType dt : {kFloat, kDouble, kLong}) {
    INFO("dtype " << dt);
    const Tensor x = (randn({5, 7, 3}) * 10).to(dt);
    const Tensor g = x.cuda();
    for (int64_t d = 0; d < 3; ++d) {
      INFO("dim " << d);
      const Tensor idx = randint(0, x.size(d), {9});  // repeats are likely
      same(g.index_select(d, idx.cuda()), x.index_select(d, idx));
      same(g.transpose(0, 2).index_select(2 - d, idx.cuda()), x.transpose(0, 2).index_select(2 - d, idx));
    }
  }
  const Tensor b = randn({6, 4}) > 0;
  const Tensor bi = randint(0, 6, {10});
  same(b.cuda().index_select(0, bi.cuda()), b.index_select(0, bi));

  // index_add is index_select's backward; repeated indices must accumulate.
  for (ScalarType dt : {kFloat, kDouble}) {
    for (int64_t d = 0; d < 3; ++d) {
      INFO("dtype " << dt << ", dim " << d);
      const Tensor x = rnd({5, 7, 3}, dt);
      const Tensor idx = tensor({1, 1, 0, 2, 1, 0});
      const Tensor xc = x.clone().requires_grad_();
      const Tensor xg = x.cuda().detach().requires_grad_();
      const Tensor yc = xc.index_select(d, idx), yg = xg.index_select(d, idx.cuda());
      const Tensor up = randn_like(yc);
      yc.backward(up);
      yg.backward(up.cuda());
      same(xg.grad(), xc.grad(), 1e-5, 1e-6);
    }
  }
}

TEST_CASE("cuda: copies with casts and strides, and fill, match the CPU", "[cuda]") {
  EMBER_REQUIRE_CUDA();
  const std::vector<Tensor> sources = {
      randn({12, 10}) * 10,
      randn({12, 10}, kDouble) * 10,
      randint(-100, 100, {12, 10}),
      randn({12, 10}) > 0,
  };
  for (const Tensor& src : sources) {
    for (ScalarType to : {kFloat, kDouble, kLong, kBool}) {
      INFO(src.dtype() << " -> " << to);
      const Tensor g = src.cuda();
      same(g.to(to), src.to(to));          // contiguous cast
      same(g.t().to(to), src.t().to(to));  // strided cast
      same(g.slice(1, 1, 10, 2).to(to), src.slice(1, 1, 10, 2).to(to));
    }
    same(src.cuda().t().contiguous(), src.t().contiguous());  // strided, same dtype
  }
  // copy_ into a strided destination, with a cast and a broadcast source.
  Tensor dc = zeros({10, 12}), dg = zeros({10, 12}, kGpu);
  const Tensor part = randn({10, 6}, kDouble);
  dc.slice(1, 2, 8).copy_(part);
  dg.slice(1, 2, 8).copy_(part.cuda());
  same(dg, dc);
  const Tensor rowv = randn({12});
  dc.t().slice(1, 3, 5).copy_(rowv.unsqueeze(1));
  dg.t().slice(1, 3, 5).copy_(rowv.cuda().unsqueeze(1));
  same(dg, dc);
  // cat copies into narrowed slices.
  const Tensor p = randn({3, 4}), q = randn({3, 2});
  same(cat({p.cuda(), q.cuda()}, 1), cat({p, q}, 1));

  // fill: every dtype, contiguous and strided, zero (memset) and non-zero.
  for (ScalarType dt : {kFloat, kDouble, kLong, kBool}) {
    INFO("fill " << dt);
    same(full({3, 5}, 2.5, TensorOptions(dt).device(kGpu)), full({3, 5}, 2.5, dt));
    same(zeros({4, 3}, TensorOptions(dt).device(kGpu)), zeros({4, 3}, dt));
    same(ones({4, 3}, TensorOptions(dt).device(kGpu)), ones({4, 3}, dt));
    Tensor fc = zeros({6, 7}, dt), fg = zeros({6, 7}, TensorOptions(dt).device(kGpu));
    fc.t().slice(0, 1, 6, 2).fill_(7);
    fg.t().slice(0, 1, 6, 2).fill_(7);
    same(fg, fc);
  }
}

TEST_CASE("cuda: the caching allocator reuses blocks and keeps statistics", "[cuda]") {
  EMBER_REQUIRE_CUDA();
  cuda::synchronize();
  cuda::empty_cache();
  const int64_t a0 = cuda::memory_allocated();
  REQUIRE(cuda::memory_reserved() == a0);  // nothing cached right after empty_cache
  const int64_t mib4 = int64_t(4) << 20;
  int64_t r1 = 0;
  {
    const Tensor t = empty({1 << 20}, TensorOptions(kFloat).device(kGpu));  // exactly 4 MiB
    REQUIRE(cuda::memory_allocated() == a0 + mib4);
    r1 = cuda::memory_reserved();
    REQUIRE(r1 >= a0 + mib4);
    REQUIRE(cuda::max_memory_allocated() >= a0 + mib4);
  }
  REQUIRE(cuda::memory_allocated() == a0);
  REQUIRE(cuda::memory_reserved() == r1);  // the block stays cached
  {
    const Tensor t = empty({1 << 20}, TensorOptions(kFloat).device(kGpu));
    REQUIRE(cuda::memory_reserved() == r1);  // ... and is reused: no new device memory
    REQUIRE(cuda::memory_allocated() == a0 + mib4);
  }
  {
    const Tensor tiny = empty({1}, TensorOptions(kFloat).device(kGpu));  // rounded to 512 bytes
    REQUIRE(cuda::memory_allocated() == a0 + 512);
  }
  cuda::reset_peak_memory_stats();
  REQUIRE(cuda::max_memory_allocated() == cuda::memory_allocated());
  cuda::empty_cache();
  REQUIRE(cuda::memory_reserved() == cuda::memory_allocated());
  REQUIRE(cuda::memory_allocated() == a0);
}

TEST_CASE("cuda: out of memory throws OutOfMemoryError with the numbers, and ember stays usable", "[cuda][oom]") {
  EMBER_REQUIRE_CUDA();
  const Tensor keep = ones({1000}, kGpu);  // something cached and something live
  std::string message;
  try {
    const Tensor huge = empty({int64_t(1) << 48}, TensorOptions(kFloat).device(kGpu));  // 1 PiB
    FAIL("allocating 1 PiB on the GPU did not throw");
  } catch (const OutOfMemoryError& e) {
    message = e.what();
  }
  INFO(message);
  REQUIRE(contains(message, "1125899906842624 bytes"));  // requested
  REQUIRE(contains(message, "free"));
  REQUIRE(contains(message, "total"));
  REQUIRE(contains(message, "cached"));
  // No stale error surfaces at the next launch, and memory still works.
  const Tensor y = ones({1000}, kGpu) * 2 + keep;
  REQUIRE(y.sum().item<float>() == 3000.0f);
  cuda::synchronize();
}

TEST_CASE("cuda: Philox random numbers repeat per seed and have the right moments", "[cuda]") {
  EMBER_REQUIRE_CUDA();
  for (ScalarType dt : {kFloat, kDouble}) {
    INFO("dtype " << dt);
    const TensorOptions o = TensorOptions(dt).device(kGpu);
    manual_seed(1234);
    const Tensor a = randn({1001}, o), ua = rand({77}, o);
    manual_seed(1234);
    const Tensor b = randn({1001}, o), ub = rand({77}, o);
    require_equal(b.cpu(), a.cpu());
    require_equal(ub.cpu(), ua.cpu());
    const Tensor c = randn({1001}, o);  // the next call continues the stream
    REQUIRE_FALSE(c.cpu().equal(a.cpu()));
    manual_seed(4321);
    REQUIRE_FALSE(randn({1001}, o).cpu().equal(a.cpu()));

    const Tensor n = randn({1000000}, o).to(kDouble);
    const double mean = n.mean().item<double>();
    const double sd = (n - mean).pow(2).mean().sqrt().item<double>();
    REQUIRE(std::abs(mean) < 5e-3);
    REQUIRE(std::abs(sd - 1.0) < 5e-3);

    const Tensor u = rand({1000000}, o).to(kDouble);
    REQUIRE(u.min().item<double>() >= 0.0);
    REQUIRE(u.max().item<double>() < 1.0);
    REQUIRE(std::abs(u.mean().item<double>() - 0.5) < 3e-3);

    // A strided destination (filled through a scratch tensor) keeps the bounds.
    Tensor s = zeros({40, 30}, o);
    s.t().uniform_(2.0, 3.0);
    REQUIRE(s.min().item<double>() >= 2.0);
    REQUIRE(s.max().item<double>() < 3.0);
    Tensor sn = zeros({64, 32}, o);
    sn.t().normal_(5.0, 0.5);
    REQUIRE(std::abs(sn.mean().item<double>() - 5.0) < 0.1);
  }
  const Tensor r = randint(-5, 5, {100000}, TensorOptions(kLong).device(kGpu));
  REQUIRE(r.min().item<int64_t>() == -5);
  REQUIRE(r.max().item<int64_t>() == 4);
  const Tensor wide = randint(0, int64_t(1) << 40, {1000}, TensorOptions(kLong).device(kGpu));
  REQUIRE(wide.min().item<int64_t>() >= 0);
  REQUIRE(wide.max().item<int64_t>() > (int64_t(1) << 32));  // 64-bit draws reach past 32 bits
}
