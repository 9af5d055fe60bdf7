#pragma once
// Shared test machinery: the devices a test body runs on, the PyTorch fixture loader,
// tolerance-aware comparisons with a useful failure message, a float64 finite-difference
// gradient checker, and the small helpers several test files need (skipping without a GPU,
// random inputs and their per-device copies, temporary folders, deterministic mode, error text).
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include "catch.h"
#include "ember/autograd.h"
#include "ember/cuda.h"
#include "ember/nn/module.h"
#include "ember/optim/optimizer.h"
#include "ember/tensor.h"

// The functional API (F::...): test files guard their functional cases with
// EMBER_TEST_HAVE_FUNCTIONAL, and test_loss.cpp fails loudly when the header is missing.
#if __has_include("ember/functional.h")
#include "ember/functional.h"
#define EMBER_TEST_HAVE_FUNCTIONAL 1
#endif

/// Skips the rest of the test case, with the reason, unless a GPU is usable (see skip_cuda). Use
/// it directly in a TEST_CASE body: with Catch2 v2 the skip is recorded and the body returns.
#define EMBER_REQUIRE_CUDA()                                                                        \
  do {                                                                                              \
    if (ember_test::skip_cuda()) EMBER_SKIP("no usable GPU: " + ember::cuda::unavailable_reason()); \
  } while (0)

namespace ember_test {

using ember::Device;
using ember::ScalarType;
using ember::Tensor;

/// cuda::cudnn_allow_tf32() as the library set it, before the suite switched TF32 off.
extern const bool kCudnnTf32Default;

/// Whether a test must leave out what needs a GPU: true when none is usable. On a machine that
/// has one, set EMBER_TEST_REQUIRE_GPU=1: then a GPU the library cannot use fails the test
/// (naming the reason) instead of skipping it, so a broken driver cannot pass as "no GPU".
bool skip_cuda();
/// Whether EMBER_TEST_REQUIRE_GPU is "1".
bool gpu_required();

/// The devices every per-device test body runs on: the CPU, and CUDA when a GPU is usable.
/// Without one the test case covers the CPU only and counts as run: its CPU part is real work
/// (the [cuda] test cases, which have no CPU part, are the ones ctest reports as skipped).
std::vector<Device> test_devices();
/// Readable "cpu"/"cuda" for INFO messages.
std::string device_name(const Device& d);

/// Named tensors from one tests/fixtures/<file>.txt (written by tools/gen_fixtures.py).
class Fixtures {
 public:
  explicit Fixtures(const std::string& file);
  bool has(const std::string& name) const { return tensors_.count(name) != 0; }
  /// The stored tensor (CPU); throws std::runtime_error naming the file if it is missing.
  /// Do not modify it: clone first.
  const Tensor& operator[](const std::string& name) const;

 private:
  std::string path_;
  std::map<std::string, Tensor> tensors_;
};
/// Loads (once) and returns the fixtures of tests/fixtures/<file>.txt.
const Fixtures& fixtures(const std::string& file);

/// Comparison tolerances: |actual - expected| <= atol + rtol * |expected|.
struct Tol {
  double rtol;
  double atol;
};
/// Tolerances for comparing an ember result in `dtype` with a float64 PyTorch reference.
Tol tol_for(ScalarType dtype);

/// The values of any tensor (any device, dtype, layout) as float64, row-major.
std::vector<double> values(const Tensor& t);
/// "" when actual matches expected (same shape; values within tolerance; NaN matches NaN),
/// else a message with the shapes, the count of bad elements, and the worst one with its index.
std::string close_report(const Tensor& actual, const Tensor& expected, double rtol, double atol);
/// Fails the current test (with close_report's message) unless actual is close to expected.
void require_close(const Tensor& actual, const Tensor& expected, double rtol, double atol);
void require_close(const Tensor& actual, const Tensor& expected, Tol tol);
/// Same dtype, shape and values exactly.
void require_equal(const Tensor& actual, const Tensor& expected);
/// Flips every third byte of the .pt file `bytes`, one at a time: each copy must be refused with
/// an error naming it ("flipped.pt") or load the original tensors. Returns how many were refused.
size_t flip_sweep_pt(const std::string& bytes);

/// A function of several tensors returning one tensor, for check_case and gradcheck.
using TensorFn = std::function<Tensor(const std::vector<Tensor>&)>;

/// Compares autograd's gradients of fn (backward with a random upstream gradient) with central
/// differences (step eps) for every element of every floating input, all in float64 on
/// `device`. Non-floating inputs (indices, targets, conditions) are passed through unchanged.
void gradcheck(const TensorFn& fn, const std::vector<Tensor>& inputs, Device device = ember::kCPU, double eps = 1e-6,
               double atol = 1e-6, double rtol = 1e-6);
/// The same check, returning "" on agreement or a description of the first disagreement.
std::string gradcheck_report(const TensorFn& fn, const std::vector<Tensor>& inputs, Device device = ember::kCPU,
                             double eps = 1e-6, double atol = 1e-6, double rtol = 1e-6);

struct CaseOptions {
  std::string out = "out";  // which stored output fn's result is compared with
  bool grads = true;        // compare gradients with the stored NAME.gradI
  bool gradcheck = true;    // run the float64 finite-difference check
  bool float32 = true;      // also run in float32 (float64 always runs)
};
/// Options for a case compared by value only (output `out`, e.g. the indices "out1"): no
/// gradients, no gradcheck.
inline CaseOptions values_only(const std::string& out = "out") {
  CaseOptions o;
  o.out = out;
  o.grads = false;
  o.gradcheck = false;
  return o;
}
/// Runs fixture case `name` of `file` on every test device, in float64 and float32: the inputs
/// NAME.in0, NAME.in1, ... go through fn; the result must match NAME.<out> and the gradients
/// for upstream NAME.gout must match NAME.grad0, ...; then gradcheck in float64.
void check_case(const std::string& file, const std::string& name, const TensorFn& fn,
                const CaseOptions& options = CaseOptions());

/// One step of `opt` in the closure form that tools/gen_optim_fixtures.py uses: the closure zeroes
/// the gradients, computes loss() and runs backward; returns what the step returns.
Tensor closure_step(ember::optim::Optimizer& opt, const std::function<Tensor()>& loss);

/// Runs f and requires that it throws ember::Error whose message contains every one of
/// `parts` (op names, shapes, the rule broken).
void require_throws_with(const std::function<void()>& f, std::initializer_list<std::string> parts);

/// Whether `part` occurs in `s`.
bool contains(const std::string& s, const std::string& part);
/// The message of the ember::Error f throws ("" when it throws nothing).
std::string error_message(const std::function<void()>& f);

/// What a module (or the module of a holder) prints: its line, or its tree for a container.
std::string printed(const ember::nn::Module& module);
template <typename M>
std::string printed(const ember::nn::ModuleHolder<M>& holder) {
  return printed(*holder);
}

/// The name of the autograd node that made `t` ("SiluBackward0"), or "null" for a leaf.
std::string node_name(const Tensor& t);

/// Standard-normal random values of `sizes` in `dtype`, from ember's global generator.
Tensor rnd(ember::IntArrayRef sizes, ScalarType dtype = ember::kFloat);
/// A float64 leaf that requires grad, holding `values`, on device d.
Tensor leaf(std::initializer_list<double> values, Device d);
/// A fresh copy of each of `inputs` on `device` (a clone first: to() onto the device a tensor is
/// already on returns the tensor itself, which a backward or an SGD step would then touch); with
/// `requires_grad`, the floating copies are autograd leaves.
std::vector<Tensor> copies_on(const std::vector<Tensor>& inputs, Device device, bool requires_grad);

/// The largest finite |value| of t (0 when it has none).
double max_abs(const Tensor& t);
/// require_close with the absolute tolerance scaled by max(1, max_abs(expected)): for sums whose
/// terms cancel, an element that is small keeps the rounding error of the whole sum.
void require_close_scaled(const Tensor& actual, const Tensor& expected, Tol tol);

/// The bytes of the fixture file at `path`, or, when it is kept as hex text (the JPEGs: the
/// project tracks no .jpg), of `path`.hex decoded.
std::string fixture_bytes(const std::string& path);

/// A fresh folder under the system temp dir, removed with its contents at scope exit.
struct TempDir {
  std::filesystem::path path;
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string str() const { return path.string(); }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

/// Deterministic mode (ember::set_deterministic) set for one scope and restored on every way
/// out (a failed REQUIRE throws), so one failing case cannot leave it set for the rest of the
/// suite.
struct DeterministicScope {
  explicit DeterministicScope(bool on = true);
  ~DeterministicScope();
  const bool was;  // the mode to restore
};

}  // namespace ember_test
