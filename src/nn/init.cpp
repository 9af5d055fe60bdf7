// nn::init: LibTorch's initialisers, each a NoGradGuard around an in-place fill.
#include "ember/nn/init.h"

#include "default_init.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "ember/autograd.h"
#include "tensor_impl.h"

namespace ember {
namespace nn {
namespace init {
namespace {

template <typename Tag, typename Variant>
bool holds(const Variant& v) {
  return std::holds_alternative<Tag>(v);
}

// gain / sqrt(fan): the standard deviation both Kaiming initialisers aim for.
double kaiming_std(const Tensor& tensor, double a, FanModeType mode, NonlinearityType nonlinearity, const char* op) {
  EMBER_CHECK(tensor.defined(), op, ": the tensor is undefined");
  EMBER_CHECK(tensor.numel() > 0, op, ": cannot initialise an empty tensor ", describe(tensor));
  int64_t fan_in = 0, fan_out = 0;
  std::tie(fan_in, fan_out) = _calculate_fan_in_and_fan_out(tensor);
  const int64_t fan = holds<enumtype::kFanIn>(mode) ? fan_in : fan_out;
  return calculate_gain(nonlinearity, a) / std::sqrt(double(fan));
}

void check_floating(const Tensor& tensor, const char* op) {
  EMBER_CHECK(tensor.defined(), op, ": the tensor is undefined");
  EMBER_CHECK(tensor.is_floating_point(), op, ": needs a floating-point tensor, got ", describe(tensor));
}

/// Glorot's standard deviation: gain * sqrt(2 / (fan_in + fan_out)).
double xavier_std(const Tensor& tensor, double gain) {
  int64_t fan_in = 0, fan_out = 0;
  std::tie(fan_in, fan_out) = _calculate_fan_in_and_fan_out(tensor);
  return gain * std::sqrt(2.0 / double(fan_in + fan_out));
}

// The reduced QR of the row-major m x n matrix `a` (m >= n) by Householder reflections, in
// float64 on the host: returns Q (m x n, row-major), its columns signed so that R's diagonal is
// non-negative (a zero diagonal entry zeroes its column, as LibTorch's q *= sign(diag(r))).
std::vector<double> householder_q(std::vector<double> a, int64_t m, int64_t n) {
  std::vector<std::vector<double>> reflectors;
  std::vector<double> r_diag(size_t(n), 0.0);
  auto at = [&](int64_t i, int64_t j) -> double& { return a[size_t(i * n + j)]; };
  for (int64_t k = 0; k < n; ++k) {
    double norm = 0;
    for (int64_t i = k; i < m; ++i) norm += at(i, k) * at(i, k);
    norm = std::sqrt(norm);
    // Reflect x onto -sign(x0) ||x|| e1, the choice that avoids cancellation in v = x - alpha e1.
    const double alpha = at(k, k) > 0 ? -norm : norm;
    std::vector<double> v(size_t(m - k));
    for (int64_t i = k; i < m; ++i) v[size_t(i - k)] = at(i, k);
    v[0] -= alpha;
    double vnorm = 0;
    for (double x : v) vnorm += x * x;
    vnorm = std::sqrt(vnorm);
    if (vnorm > 0) {
      for (double& x : v) x /= vnorm;
      for (int64_t j = k; j < n; ++j) {
        double dot = 0;
        for (int64_t i = k; i < m; ++i) dot += v[size_t(i - k)] * at(i, j);
        for (int64_t i = k; i < m; ++i) at(i, j) -= 2 * v[size_t(i - k)] * dot;
      }
    }
    r_diag[size_t(k)] = at(k, k);
    reflectors.push_back(std::move(v));
  }
  // Q = H_0 H_1 ... H_{n-1} applied to the first n columns of the identity, last reflector first.
  std::vector<double> q(size_t(m * n), 0.0);
  for (int64_t j = 0; j < n; ++j) q[size_t(j * n + j)] = 1.0;
  for (int64_t k = n - 1; k >= 0; --k) {
    const std::vector<double>& v = reflectors[size_t(k)];
    for (int64_t j = 0; j < n; ++j) {
      double dot = 0;
      for (int64_t i = k; i < m; ++i) dot += v[size_t(i - k)] * q[size_t(i * n + j)];
      for (int64_t i = k; i < m; ++i) q[size_t(i * n + j)] -= 2 * v[size_t(i - k)] * dot;
    }
  }
  for (int64_t j = 0; j < n; ++j) {
    const double d = r_diag[size_t(j)];
    const double sign = d > 0 ? 1.0 : (d < 0 ? -1.0 : 0.0);
    for (int64_t i = 0; i < m; ++i) q[size_t(i * n + j)] *= sign;
  }
  return q;
}

// erf^-1 on (-1, 1): Winitzki's closed-form guess (good to about 2e-3), polished by Newton
// steps on erf, which converge quadratically to double precision.
double erfinv(double y) {
  if (y <= -1) return -std::numeric_limits<double>::infinity();
  if (y >= 1) return std::numeric_limits<double>::infinity();
  constexpr double a = 0.147;
  const double pi = 3.14159265358979323846;
  const double ln = std::log(1 - y * y);
  const double t = 2 / (pi * a) + ln / 2;
  double x = std::copysign(std::sqrt(std::sqrt(t * t - ln / a) - t), y);
  const double two_over_sqrt_pi = 1.12837916709551257390;
  for (int i = 0; i < 4; ++i) {
    const double err = std::erf(x) - y;
    x -= err / (two_over_sqrt_pi * std::exp(-x * x));
  }
  return x;
}

// The values of t as a row-major float64 vector on the host.
std::vector<double> host_values(const Tensor& t) {
  Tensor c = t.to(kCPU).to(kDouble).contiguous();
  const double* p = c.data_ptr<double>();
  return std::vector<double>(p, p + c.numel());
}

// A CPU float64 tensor of `sizes` holding `v`.
Tensor from_host(const std::vector<double>& v, IntArrayRef sizes) {
  Tensor out = empty(sizes, kDouble);
  std::copy(v.begin(), v.end(), out.data_ptr<double>());
  return out;
}

}  // namespace

double calculate_gain(NonlinearityType nonlinearity, double param) {
  if (holds<enumtype::kTanh>(nonlinearity)) return 5.0 / 3.0;
  if (holds<enumtype::kSELU>(nonlinearity)) return 3.0 / 4.0;
  if (holds<enumtype::kReLU>(nonlinearity)) return std::sqrt(2.0);
  if (holds<enumtype::kLeakyReLU>(nonlinearity)) return std::sqrt(2.0 / (1.0 + param * param));
  return 1.0;  // linear, conv*, sigmoid
}

std::tuple<int64_t, int64_t> _calculate_fan_in_and_fan_out(const Tensor& tensor) {
  EMBER_CHECK(tensor.defined(), "_calculate_fan_in_and_fan_out: the tensor is undefined");
  EMBER_CHECK(tensor.dim() >= 2, "_calculate_fan_in_and_fan_out: fan in and fan out need a tensor of at ",
              "least 2 dimensions, got ", describe(tensor));
  int64_t receptive_field = 1;
  for (int64_t d = 2; d < tensor.dim(); ++d) receptive_field *= tensor.size(d);
  return std::make_tuple(tensor.size(1) * receptive_field, tensor.size(0) * receptive_field);
}

Tensor constant_(Tensor tensor, Scalar value) {
  EMBER_CHECK(tensor.defined(), "constant_: the tensor is undefined");
  NoGradGuard guard;
  tensor.fill_(value);
  return tensor;
}

Tensor ones_(Tensor tensor) { return constant_(std::move(tensor), 1); }

Tensor zeros_(Tensor tensor) {
  EMBER_CHECK(tensor.defined(), "zeros_: the tensor is undefined");
  NoGradGuard guard;
  tensor.zero_();
  return tensor;
}

Tensor normal_(Tensor tensor, double mean, double std) {
  check_floating(tensor, "normal_");
  NoGradGuard guard;
  tensor.normal_(mean, std);
  return tensor;
}

Tensor uniform_(Tensor tensor, double low, double high) {
  check_floating(tensor, "uniform_");
  NoGradGuard guard;
  tensor.uniform_(low, high);
  return tensor;
}

Tensor eye_(Tensor matrix) {
  EMBER_CHECK(matrix.defined(), "eye_: the tensor is undefined");
  EMBER_CHECK(matrix.dim() == 2, "eye_: only 2-D tensors are supported, got ", describe(matrix));
  NoGradGuard guard;
  matrix.copy_(eye(matrix.size(0), matrix.size(1), matrix.options().requires_grad(false)));
  return matrix;
}

Tensor kaiming_normal_(Tensor tensor, double a, FanModeType mode, NonlinearityType nonlinearity) {
  check_floating(tensor, "kaiming_normal_");
  NoGradGuard guard;
  const double std = kaiming_std(tensor, a, mode, nonlinearity, "kaiming_normal_");
  tensor.normal_(0, std);
  return tensor;
}

Tensor kaiming_uniform_(Tensor tensor, double a, FanModeType mode, NonlinearityType nonlinearity) {
  check_floating(tensor, "kaiming_uniform_");
  NoGradGuard guard;
  // U(-b, b) has standard deviation b / sqrt(3).
  const double bound = std::sqrt(3.0) * kaiming_std(tensor, a, mode, nonlinearity, "kaiming_uniform_");
  tensor.uniform_(-bound, bound);
  return tensor;
}

Tensor xavier_normal_(Tensor tensor, double gain) {
  check_floating(tensor, "xavier_normal_");
  NoGradGuard guard;
  tensor.normal_(0, xavier_std(tensor, gain));
  return tensor;
}

Tensor xavier_uniform_(Tensor tensor, double gain) {
  check_floating(tensor, "xavier_uniform_");
  NoGradGuard guard;
  // U(-b, b) has standard deviation b / sqrt(3).
  const double bound = std::sqrt(3.0) * xavier_std(tensor, gain);
  tensor.uniform_(-bound, bound);
  return tensor;
}

Tensor dirac_(Tensor tensor) {
  EMBER_CHECK(tensor.defined(), "dirac_: the tensor is undefined");
  EMBER_CHECK(tensor.dim() >= 3 && tensor.dim() <= 5, "dirac_: only tensors with 3, 4, or 5 dimensions are ",
              "supported, got ", describe(tensor));
  NoGradGuard guard;
  tensor.zero_();
  const int64_t channels = std::min(tensor.size(0), tensor.size(1));
  for (int64_t d = 0; d < channels; ++d) {
    Tensor centre = tensor.select(0, d).select(0, d);
    while (centre.dim() > 0) centre = centre.select(0, centre.size(0) / 2);
    centre.fill_(1);
  }
  return tensor;
}

Tensor orthogonal_(Tensor tensor, double gain) {
  EMBER_CHECK(tensor.defined(), "orthogonal_: the tensor is undefined");
  EMBER_CHECK(tensor.dim() >= 2, "orthogonal_: only tensors with 2 or more dimensions are supported, got ",
              describe(tensor));
  check_floating(tensor, "orthogonal_");
  if (tensor.numel() == 0) return tensor;
  NoGradGuard guard;
  const int64_t rows = tensor.size(0);
  const int64_t columns = tensor.numel() / rows;
  // LibTorch's draw: a float N(0, 1) matrix on the CPU generator, transposed when wide so that
  // the QR is of a tall matrix.
  Tensor flattened = randn({rows, columns});
  const bool wide = rows < columns;
  if (wide) flattened = flattened.t();
  const int64_t m = wide ? columns : rows, n = wide ? rows : columns;
  Tensor q = from_host(householder_q(host_values(flattened), m, n), {m, n});
  if (wide) q = q.t();
  tensor.copy_(q.reshape(tensor.sizes()).to(tensor.options().requires_grad(false)));
  tensor.mul_(gain);
  return tensor;
}

Tensor sparse_(Tensor tensor, double sparsity, double std) {
  EMBER_CHECK(tensor.defined(), "sparse_: the tensor is undefined");
  EMBER_CHECK(tensor.dim() == 2, "sparse_: only tensors with 2 dimensions are supported, got ", describe(tensor));
  check_floating(tensor, "sparse_");
  NoGradGuard guard;
  const int64_t rows = tensor.size(0), columns = tensor.size(1);
  const int64_t num_zeros = int64_t(std::ceil(sparsity * double(rows)));
  tensor.normal_(0, std);
  for (int64_t column = 0; column < columns; ++column) {
    // One permutation per column, as LibTorch, whose first num_zeros rows are zeroed.
    Tensor perm = randperm(rows).contiguous();
    const int64_t* p = perm.data_ptr<int64_t>();
    Tensor col = tensor.select(1, column);
    for (int64_t i = 0; i < std::min(num_zeros, rows); ++i) col.select(0, p[i]).fill_(0);
  }
  return tensor;
}

Tensor trunc_normal_(Tensor tensor, double mean, double std, double a, double b) {
  check_floating(tensor, "trunc_normal_");
  EMBER_CHECK(a < b, "trunc_normal_: the lower bound a (", a, ") must be below the upper bound b (", b, ")");
  NoGradGuard guard;
  // PyTorch's method: uniform values between the CDFs of the bounds, mapped through the inverse
  // normal CDF; the uniform draw is the tensor's own (same generator use as PyTorch), the
  // inverse CDF runs on the host (ember has no erfinv kernel; init sizes are small).
  auto norm_cdf = [](double x) { return (1. + std::erf(x / std::sqrt(2.))) / 2.; };
  const double l = norm_cdf((a - mean) / std), u = norm_cdf((b - mean) / std);
  tensor.uniform_(2 * l - 1, 2 * u - 1);
  std::vector<double> v = host_values(tensor);
  for (double& x : v) x = std::min(b, std::max(a, erfinv(x) * std * std::sqrt(2.) + mean));
  tensor.copy_(from_host(v, tensor.sizes()).to(tensor.options().requires_grad(false)));
  return tensor;
}

}  // namespace init

void default_reset(const Tensor& weight, const Tensor& bias) {
  if (weight.numel() == 0) return;  // nothing to draw; fan_in would be 0
  // a = sqrt(5) makes the bound gain * sqrt(3 / fan_in) = 1 / sqrt(fan_in) (LibTorch's choice).
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    int64_t fan_in = 0, fan_out = 0;
    std::tie(fan_in, fan_out) = init::_calculate_fan_in_and_fan_out(weight);
    const double bound = 1.0 / std::sqrt(double(fan_in));
    init::uniform_(bias, -bound, bound);
  }
}

}  // namespace nn
}  // namespace ember
