#pragma once
// Shared test machinery: the devices a test body runs on, the PyTorch fixture loader,
// tolerance-aware comparisons with a useful failure message, and a float64 finite-difference
// gradient checker.
#include <functional>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include "catch.h"
#include "ember/autograd.h"
#include "ember/cuda.h"
#include "ember/tensor.h"

namespace ember_test {

using ember::Device;
using ember::ScalarType;
using ember::Tensor;

/// The devices every per-device test body runs on: the CPU, and CUDA when a GPU is usable.
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

/// A function of several tensors returning one tensor, for check_case and gradcheck.
using TensorFn = std::function<Tensor(const std::vector<Tensor>&)>;

/// Compares autograd's gradients of fn (backward with a random upstream gradient) with central
/// differences (step eps) for every element of every floating input, all in float64 on
/// `device`. Non-floating inputs (indices, targets, conditions) are passed through unchanged.
void gradcheck(const TensorFn& fn, const std::vector<Tensor>& inputs, Device device = ember::kCPU,
               double eps = 1e-6, double atol = 1e-6, double rtol = 1e-6);
/// The same check, returning "" on agreement or a description of the first disagreement.
std::string gradcheck_report(const TensorFn& fn, const std::vector<Tensor>& inputs, Device device = ember::kCPU,
                             double eps = 1e-6, double atol = 1e-6, double rtol = 1e-6);

struct CaseOptions {
  std::string out = "out";      // which stored output fn's result is compared with
  bool grads = true;            // compare gradients with the stored NAME.gradI
  bool gradcheck = true;        // run the float64 finite-difference check
  bool float32 = true;          // also run in float32 (float64 always runs)
};
/// Runs fixture case `name` of `file` on every test device, in float64 and float32: the inputs
/// NAME.in0, NAME.in1, ... go through fn; the result must match NAME.<out> and the gradients
/// for upstream NAME.gout must match NAME.grad0, ...; then gradcheck in float64.
void check_case(const std::string& file, const std::string& name, const TensorFn& fn,
                const CaseOptions& options = CaseOptions());

/// Runs f and requires that it throws ember::Error whose message contains every one of
/// `parts` (op names, shapes, the rule broken).
void require_throws_with(const std::function<void()>& f, std::initializer_list<std::string> parts);

}  // namespace ember_test
