// Test machinery shared by the test files: see helpers.h.
#include "helpers.h"

#include "ember/pt_file.h"

#include <cstdlib>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include <unistd.h>

#include "ember/determinism.h"

#ifndef EMBER_FIXTURES_DIR
#error "tests/CMakeLists.txt must define EMBER_FIXTURES_DIR"
#endif

namespace ember_test {

using namespace ember;

bool gpu_required() {
  const char* required = std::getenv("EMBER_TEST_REQUIRE_GPU");
  return required != nullptr && std::string(required) == "1";
}

bool skip_cuda() {
  if (cuda::is_available()) return false;
  if (gpu_required()) FAIL("EMBER_TEST_REQUIRE_GPU=1 but no GPU is usable: " << cuda::unavailable_reason());
  return true;
}

std::vector<Device> test_devices() {
  // Without a GPU the test case runs (and passes or fails) on the CPU alone; only the [cuda]
  // test cases, which have nothing else to run, are reported to ctest as skipped.
  if (!skip_cuda()) return {Device(kCPU), Device(kCUDA)};
  return {Device(kCPU)};
}

std::string device_name(const Device& d) { return d.str(); }

// The suite compares CUDA with the CPU and with PyTorch at FP32 tolerances, so cuDNN's TF32
// (on by default, as in PyTorch) is switched off for the whole run before any test starts; the
// library's default is kept for the test of the switch, and the TF32 test turns it on locally.
const bool kCudnnTf32Default = [] {
  const bool library_default = ember::cuda::cudnn_allow_tf32();
  ember::cuda::set_cudnn_allow_tf32(false);
  return library_default;
}();

// --- fixtures -----------------------------------------------------------------------------------

namespace {

template <typename T>
Tensor make_tensor(std::vector<T>& data, const std::vector<int64_t>& sizes, ScalarType dtype) {
  // from_blob wraps our buffer; clone gives the tensor its own storage before the buffer dies.
  return from_blob(data.data(), sizes, dtype).clone();
}

Tensor parse_tensor(std::istringstream& in, const std::string& dtype, const std::vector<int64_t>& sizes, int64_t numel,
                    const std::string& where) {
  std::vector<std::string> tokens;
  std::string tok;
  while (in >> tok) tokens.push_back(tok);
  if (int64_t(tokens.size()) != numel)
    throw std::runtime_error(where + ": expected " + std::to_string(numel) + " values, found " +
                             std::to_string(tokens.size()));
  if (dtype == "float32") {
    std::vector<float> v;
    for (auto& s : tokens) v.push_back(std::strtof(s.c_str(), nullptr));
    return make_tensor(v, sizes, kFloat);
  }
  if (dtype == "float64") {
    std::vector<double> v;
    for (auto& s : tokens) v.push_back(std::strtod(s.c_str(), nullptr));
    return make_tensor(v, sizes, kDouble);
  }
  if (dtype == "int64") {
    std::vector<int64_t> v;
    for (auto& s : tokens) v.push_back(std::stoll(s));
    return make_tensor(v, sizes, kLong);
  }
  if (dtype == "bool") {
    std::vector<bool> b;
    for (auto& s : tokens) b.push_back(std::stoi(s) != 0);
    // std::vector<bool> is packed; ember's bool is one byte per element.
    std::unique_ptr<bool[]> bytes(new bool[b.size() + 1]);
    for (size_t i = 0; i < b.size(); ++i) bytes[i] = b[i];
    return from_blob(bytes.get(), sizes, kBool).clone();
  }
  throw std::runtime_error(where + ": unknown dtype " + dtype);
}

}  // namespace

namespace {
/// The fixture folder: $EMBER_FIXTURES_DIR when set (a test binary run from a copy of the tree,
/// as on the GPU machine), else the source tree it was built from.
std::string fixtures_dir() {
  const char* env = std::getenv("EMBER_FIXTURES_DIR");
  return env && *env ? env : EMBER_FIXTURES_DIR;
}
}  // namespace

Fixtures::Fixtures(const std::string& file) : path_(fixtures_dir() + "/" + file + ".txt") {
  std::ifstream f(path_);
  if (!f) throw std::runtime_error("cannot open fixture file " + path_ + " (run tools/gen_fixtures.py)");
  std::string line;
  int lineno = 0;
  while (std::getline(f, line)) {
    ++lineno;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream in(line);
    std::string name, dtype, colon;
    int64_t ndim = 0;
    in >> name >> dtype >> ndim;
    std::vector<int64_t> sizes(size_t(std::max<int64_t>(ndim, 0)));
    int64_t numel = 1;
    for (auto& s : sizes) {
      in >> s;
      numel *= s;
    }
    in >> colon;
    std::string where = path_ + ":" + std::to_string(lineno) + " (" + name + ")";
    if (!in || colon != ":") throw std::runtime_error(where + ": malformed header");
    tensors_[name] = parse_tensor(in, dtype, sizes, numel, where);
  }
}

const Tensor& Fixtures::operator[](const std::string& name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) throw std::runtime_error("fixture " + name + " not found in " + path_);
  return it->second;
}

const Fixtures& fixtures(const std::string& file) {
  static std::map<std::string, std::unique_ptr<Fixtures>> cache;
  auto& slot = cache[file];
  if (!slot) slot = std::make_unique<Fixtures>(file);
  return *slot;
}

// --- comparisons --------------------------------------------------------------------------------

Tol tol_for(ScalarType dtype) {
  // float64 results differ from PyTorch's only by summation order: ~1e-15 relative. float32
  // results carry float32 rounding of sums of up to ~100 terms of size ~1.
  if (dtype == kDouble) return {1e-10, 1e-12};
  return {1e-5, 1e-5};
}

std::vector<double> values(const Tensor& t) {
  Tensor c = t.detach().to(Device(kCPU)).to(kDouble).contiguous();
  const double* p = c.data_ptr<double>();
  return std::vector<double>(p, p + c.numel());
}

namespace {
std::string index_of(int64_t flat, IntArrayRef sizes) {
  std::vector<int64_t> idx(sizes.size());
  for (size_t d = sizes.size(); d-- > 0;) {
    int64_t s = std::max<int64_t>(sizes[d], 1);
    idx[d] = flat % s;
    flat /= s;
  }
  std::ostringstream os;
  os << IntArrayRef(idx);
  return os.str();
}
}  // namespace

std::string close_report(const Tensor& actual, const Tensor& expected, double rtol, double atol) {
  std::ostringstream os;
  if (!actual.defined() || !expected.defined()) {
    os << "undefined tensor (actual defined: " << actual.defined() << ", expected defined: " << expected.defined()
       << ")";
    return os.str();
  }
  if (!actual.sizes().equals(expected.sizes())) {
    os << "shape mismatch: actual " << actual.sizes() << ", expected " << expected.sizes();
    return os.str();
  }
  std::vector<double> a = values(actual), e = values(expected);
  int64_t bad = 0, worst = -1;
  double worst_excess = -1;
  for (size_t i = 0; i < a.size(); ++i) {
    bool both_nan = std::isnan(a[i]) && std::isnan(e[i]);
    if (both_nan || a[i] == e[i]) continue;  // also matches equal infinities
    double err = std::fabs(a[i] - e[i]);
    double allowed = atol + rtol * std::fabs(e[i]);
    if (err <= allowed) continue;
    ++bad;
    double excess = std::isnan(err) ? INFINITY : err / allowed;
    if (excess > worst_excess) {
      worst_excess = excess;
      worst = int64_t(i);
    }
  }
  if (bad == 0) return "";
  os.precision(17);
  os << bad << " of " << a.size() << " elements of " << actual.sizes() << " differ beyond rtol " << rtol << ", atol "
     << atol << "; worst at " << index_of(worst, actual.sizes()) << ": actual " << a[size_t(worst)] << ", expected "
     << e[size_t(worst)] << " (abs error " << std::fabs(a[size_t(worst)] - e[size_t(worst)]) << ")";
  if (a.size() <= 64) {
    os << "\n  actual:   " << actual.to(Device(kCPU)) << "\n  expected: " << expected.to(Device(kCPU));
  }
  return os.str();
}

void require_close(const Tensor& actual, const Tensor& expected, double rtol, double atol) {
  std::string report = close_report(actual, expected, rtol, atol);
  if (!report.empty()) FAIL(report);
  SUCCEED();
}

void require_close(const Tensor& actual, const Tensor& expected, Tol tol) {
  require_close(actual, expected, tol.rtol, tol.atol);
}

void require_equal(const Tensor& actual, const Tensor& expected) {
  REQUIRE(actual.defined());
  INFO("actual dtype " << actual.dtype() << ", expected dtype " << expected.dtype());
  REQUIRE(actual.dtype() == expected.dtype());
  require_close(actual, expected, 0.0, 0.0);
}

// --- gradient check -----------------------------------------------------------------------------

namespace {
Tensor host_to_tensor(std::vector<double> v, IntArrayRef sizes, Device device) {
  return from_blob(v.data(), sizes, kDouble).clone().to(device);
}
}  // namespace

std::string gradcheck_report(const TensorFn& fn, const std::vector<Tensor>& inputs, Device device, double eps,
                             double atol, double rtol) {
  // float64 copies of the floating inputs on `device`; everything else as given.
  std::vector<Tensor> base;
  for (const Tensor& x : inputs) {
    if (x.is_floating_point()) base.push_back(x.detach().to(device, kDouble).contiguous().clone());
    else base.push_back(x.to(device));
  }

  // Analytic gradients, for a random upstream gradient (own generator: leaves ember's seed alone).
  std::vector<Tensor> leaves;
  for (const Tensor& b : base) leaves.push_back(b.is_floating_point() ? b.clone().requires_grad_(true) : b);
  Tensor out = fn(leaves);
  if (out.dtype() != kDouble) return "gradcheck: fn returned " + std::string(to_string(out.dtype())) + ", not float64";
  std::mt19937_64 rng(2024);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<double> g(size_t(out.numel()));
  for (double& v : g) v = normal(rng);
  out.backward(host_to_tensor(g, out.sizes(), device));

  // f(x) = sum(fn(x) * g), by central differences on each element of each floating input.
  auto objective = [&](const std::vector<Tensor>& xs) {
    ember::NoGradGuard no_grad;
    std::vector<double> o = values(fn(xs));
    double s = 0;
    for (size_t i = 0; i < o.size(); ++i) s += o[i] * g[i];
    return s;
  };
  for (size_t k = 0; k < base.size(); ++k) {
    if (!base[k].is_floating_point()) continue;
    std::vector<double> analytic =
        leaves[k].grad().defined() ? values(leaves[k].grad()) : std::vector<double>(size_t(base[k].numel()), 0.0);
    if (int64_t(analytic.size()) != base[k].numel())
      return "gradcheck: gradient of input " + std::to_string(k) + " has the wrong size";
    std::vector<double> x0 = values(base[k]);
    std::vector<Tensor> xs = base;
    int64_t bad = 0;
    std::ostringstream first;
    for (size_t j = 0; j < x0.size(); ++j) {
      std::vector<double> xp = x0, xm = x0;
      xp[j] += eps;
      xm[j] -= eps;
      xs[k] = host_to_tensor(xp, base[k].sizes(), device);
      double fp = objective(xs);
      xs[k] = host_to_tensor(xm, base[k].sizes(), device);
      double fm = objective(xs);
      double numeric = (fp - fm) / (2 * eps);
      double err = std::fabs(analytic[j] - numeric);
      if (!(err <= atol + rtol * std::fabs(numeric))) {
        if (bad++ == 0) {
          first.precision(12);
          first << "input " << k << " element " << index_of(int64_t(j), base[k].sizes()) << ": autograd " << analytic[j]
                << ", finite difference " << numeric;
        }
      }
    }
    if (bad > 0) {
      std::ostringstream os;
      os << "gradcheck on " << device_name(device) << ": " << bad << " of " << x0.size()
         << " gradient elements of input " << k << " " << base[k].sizes() << " disagree; first: " << first.str();
      return os.str();
    }
  }
  return "";
}

void gradcheck(const TensorFn& fn, const std::vector<Tensor>& inputs, Device device, double eps, double atol,
               double rtol) {
  std::string report = gradcheck_report(fn, inputs, device, eps, atol, rtol);
  if (!report.empty()) FAIL(report);
  SUCCEED();
}

// --- fixture cases ------------------------------------------------------------------------------

void check_case(const std::string& file, const std::string& name, const TensorFn& fn, const CaseOptions& options) {
  const Fixtures& f = fixtures(file);
  std::vector<Tensor> stored;
  for (int i = 0; f.has(name + ".in" + std::to_string(i)); ++i) stored.push_back(f[name + ".in" + std::to_string(i)]);
  REQUIRE(!stored.empty());
  const Tensor& expected = f[name + "." + options.out];
  bool differentiable = options.grads && options.out == "out" && f.has(name + ".gout");

  std::vector<ScalarType> dtypes{kDouble};
  if (options.float32) dtypes.push_back(kFloat);
  for (Device device : test_devices()) {
    for (ScalarType dtype : dtypes) {
      INFO("case " << file << "/" << name << " on " << device_name(device) << " in " << dtype);
      std::vector<Tensor> ins;
      for (const Tensor& s : stored) {
        if (s.is_floating_point()) {
          Tensor x = s.to(device, dtype).clone();
          if (differentiable) x.requires_grad_(true);
          ins.push_back(x);
        } else {
          ins.push_back(s.to(device));
        }
      }
      Tensor out = fn(ins);
      REQUIRE(out.defined());
      CHECK(out.device() == device);
      if (expected.is_floating_point()) {
        INFO("result dtype " << out.dtype());
        REQUIRE(out.dtype() == dtype);
        require_close(out, expected, tol_for(dtype));
      } else {
        require_equal(out, expected);
      }
      if (!differentiable) continue;
      out.backward(f[name + ".gout"].to(device, dtype));
      for (size_t i = 0; i < ins.size(); ++i) {
        std::string key = name + ".grad" + std::to_string(i);
        if (!f.has(key)) continue;
        INFO("gradient of input " << i);
        REQUIRE(ins[i].grad().defined());
        CHECK(ins[i].grad().dtype() == dtype);
        require_close(ins[i].grad(), f[key], tol_for(dtype));
      }
    }
    if (options.gradcheck && expected.is_floating_point()) {
      INFO("gradcheck of case " << file << "/" << name);
      gradcheck(fn, stored, device);
    }
  }
}

Tensor closure_step(ember::optim::Optimizer& opt, const std::function<Tensor()>& loss) {
  return opt.step([&] {
    opt.zero_grad();
    Tensor l = loss();
    l.backward();
    return l;
  });
}

void require_throws_with(const std::function<void()>& f, std::initializer_list<std::string> parts) {
  std::string message;
  bool threw = false;
  try {
    f();
  } catch (const ember::Error& e) {
    threw = true;
    message = e.what();
  }
  INFO("expected an ember::Error");
  REQUIRE(threw);
  INFO("message: " << message);
  for (const std::string& p : parts) {
    INFO("should mention: " << p);
    CHECK(message.find(p) != std::string::npos);
  }
}

// --- small shared helpers -----------------------------------------------------------------------

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

std::string printed(const ember::nn::Module& module) {
  std::ostringstream s;
  s << module;
  return s.str();
}

std::string node_name(const Tensor& t) { return t.grad_fn() ? t.grad_fn()->name() : "null"; }

std::string error_message(const std::function<void()>& f) {
  try {
    f();
  } catch (const ember::Error& e) {
    return e.what();
  }
  return "";
}

Tensor rnd(IntArrayRef sizes, ScalarType dtype) { return randn(sizes, TensorOptions(dtype)); }

Tensor leaf(std::initializer_list<double> values, Device d) {
  return tensor(std::vector<double>(values), kDouble).to(d).requires_grad_(true);
}

std::vector<Tensor> copies_on(const std::vector<Tensor>& inputs, Device device, bool requires_grad) {
  std::vector<Tensor> copies;
  for (const Tensor& t : inputs) {
    Tensor c = t.clone().to(device);
    if (requires_grad && t.is_floating_point()) c.requires_grad_();
    copies.push_back(c);
  }
  return copies;
}

double max_abs(const Tensor& t) {
  double m = 0;
  for (double v : values(t))
    if (std::isfinite(v)) m = std::max(m, std::abs(v));
  return m;
}

void require_close_scaled(const Tensor& actual, const Tensor& expected, Tol tol) {
  require_close(actual, expected, tol.rtol, tol.atol * std::max(1.0, max_abs(expected)));
}

TempDir::TempDir() {
  // The process id and a counter keep folders apart across concurrent test processes (ctest -j)
  // and within one.
  static std::atomic<int> counter{0};
  path = std::filesystem::temp_directory_path() /
         ("ember_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  std::filesystem::remove_all(path);
  std::filesystem::create_directories(path);
}

TempDir::~TempDir() {
  std::error_code ec;  // never throw from a destructor: a leftover folder is harmless
  std::filesystem::remove_all(path, ec);
}

std::string fixture_bytes(const std::string& path) {
  std::ifstream raw(path, std::ios::binary);
  if (raw) return std::string((std::istreambuf_iterator<char>(raw)), std::istreambuf_iterator<char>());
  std::ifstream hex(path + ".hex");
  if (!hex) throw std::runtime_error("fixture_bytes: neither '" + path + "' nor its .hex twin exists");
  std::string bytes, line;
  while (std::getline(hex, line))
    for (size_t i = 0; i + 1 < line.size(); i += 2) bytes.push_back(char(std::stoi(line.substr(i, 2), nullptr, 16)));
  return bytes;
}

DeterministicScope::DeterministicScope(bool on) : was(is_deterministic()) { set_deterministic(on); }
DeterministicScope::~DeterministicScope() { set_deterministic(was); }

}  // namespace ember_test

namespace ember_test {
size_t flip_sweep_pt(const std::string& bytes) {
  using namespace ember;
  const TensorMap original = pt_tensors(load_pt_from_bytes(bytes.data(), bytes.size(), "x"), "x");
  size_t refused = 0;
  for (size_t i = 0; i < bytes.size(); i += 3) {
    std::string b = bytes;
    b[i] = char(b[i] ^ 0x5A);
    TensorMap got;
    try {
      got = pt_tensors(load_pt_from_bytes(b.data(), b.size(), "flipped.pt"), "flipped.pt");
    } catch (const Error& e) {
      REQUIRE(std::string(e.what()).find("flipped.pt") != std::string::npos);
      ++refused;
      continue;
    }
    INFO("byte " << i << " flipped");
    REQUIRE(got.size() == original.size());
    for (const auto& kv : original) require_equal(got.at(kv.first), kv.second);
  }
  return refused;
}
}  // namespace ember_test
