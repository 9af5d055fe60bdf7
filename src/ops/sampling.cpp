// Random sampling front halves: argument checks in LibTorch 1.13's words, then the backend's
// sampling entries (src/cpu/sampling.cpp, kernels/random.cu, kernels/sampling.cu).
#include "ember/sampling.h"

#include <cmath>
#include <limits>

#include "../check.h"
#include "common.h"

namespace ember {
namespace {

/// The integer dtypes the kernels do not hold (they draw into int64, then narrow).
bool narrow_integer(ScalarType t) { return t == kByte || t == kChar || t == kShort || t == kInt; }

/// The in-place sampler frame: checks, fill (through int64 for narrow integer dtypes: the same
/// words are drawn), and the history of an overwritten tensor.
template <typename F>
const Tensor& sample_into(const Tensor& self, const char* op, F&& fill) {
  check_defined(op, self);
  autograd::check_inplace(self, op);
  check_no_overlap(op, self);
  if (narrow_integer(self.dtype())) {
    Tensor wide = make_empty(self.sizes(), kLong, self.device(), op);
    fill(wide);
    backend(self).copy(self, wide);
  } else {
    fill(self);
  }
  autograd::overwrite_history(self, op);
  return self;
}

/// torch's "not implemented for" refusal of the samplers that need a floating tensor.
void check_floating_sampler(const char* op, const Tensor& self) {
  EMBER_CHECK(is_floating_point(self.dtype()), op, ": \"", op, "_cpu\" not implemented for '", toString(self.dtype()),
              "' (", describe(self), ")");
}

/// The mantissa digits of a floating dtype (the largest integers random_ draws are 2^digits).
int digits(ScalarType t) {
  switch (t) {
    case kDouble: return 53;
    case kHalf: return 11;
    case kBFloat16: return 8;
    default: return 24;
  }
}

/// [min, max] of an integer dtype (bool: [0, 1]).
std::pair<int64_t, int64_t> integer_bounds(ScalarType t) {
  switch (t) {
    case kBool: return {0, 1};
    case kByte: return {0, 255};
    case kChar: return {-128, 127};
    case kShort: return {-32768, 32767};
    case kInt: return {std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()};
    default: return {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()};
  }
}

/// torch's check_from_to_in_range for integer dtypes (floating ones only warn there).
void check_in_range(const Tensor& self, int64_t from, int64_t to_inc) {
  if (is_floating_point(self.dtype())) return;
  const auto [lo, hi] = integer_bounds(self.dtype());
  EMBER_CHECK(from >= lo && from <= hi, "random_: from is out of bounds for ", self.dtype(), " (from=", from,
              ", the dtype holds [", lo, ", ", hi, "])");
  EMBER_CHECK(to_inc >= lo && to_inc <= hi, "random_: to - 1 is out of bounds for ", self.dtype(), " (to - 1=", to_inc,
              ", the dtype holds [", lo, ", ", hi, "])");
}

/// Every probability in [0, 1] (bernoulli's tensor form), read on the host.
void check_probabilities(const char* op, const Tensor& p) {
  check_floating(op, p);
  const Tensor h = p.to(Device(kCPU), kDouble).contiguous();
  const double* v = h.data_ptr<double>();
  for (int64_t i = 0; i < h.numel(); ++i)
    EMBER_CHECK(v[i] >= 0 && v[i] <= 1, op, ": Expected p_in >= 0 && p_in <= 1 to be true, but got false (p[", i,
                "] = ", v[i], " in ", describe(p), ")");
}

/// LibTorch's gradient of a sampler's tensor arguments: zero (the draws do not depend on them
/// differentiably), so the result requires grad when an argument does.
void record_zero_grad(const char* op, const Tensor& out, const std::vector<Tensor>& inputs) {
  if (!autograd::needs_grad(inputs)) return;
  autograd::record(op, out, inputs, [n = inputs.size()](const Tensor& g, const std::vector<bool>& needed) {
    variable_list grads(n);
    for (size_t i = 0; i < n; ++i)
      if (needed[i]) grads[i] = zeros_like(g);
    return grads;
  });
}

}  // namespace

// --- in-place samplers ------------------------------------------------------------------------------

const Tensor& Tensor::random_(int64_t from, std::optional<int64_t> to) const {
  uint64_t range = 0;
  if (to) {
    EMBER_CHECK(from < *to, "random_: random_ expects 'from' to be less than 'to', but got from=", from, " >= to=", *to,
                " for ", describe(*this));
    check_in_range(*this, from, *to - 1);
    range = uint64_t(*to) - uint64_t(from);
  } else {
    // [from, 2^digits] for floating dtypes, [from, max] for integer ones.
    const int64_t to_inc =
        ember::is_floating_point(dtype()) ? int64_t(1) << digits(dtype()) : integer_bounds(dtype()).second;
    EMBER_CHECK(from <= to_inc,
                "random_: random_ expects 'from' casted to dtype to be less than or equal to 'to_inc' "
                "casted to dtype, but got from=",
                from, " > to_inc=", to_inc);
    check_in_range(*this, from, to_inc);
    range = uint64_t(to_inc) - uint64_t(from) + 1;
  }
  return sample_into(*this, "random_", [&](const Tensor& t) { backend(t).random_bits(t, from, range); });
}
const Tensor& Tensor::random_(int64_t to) const { return random_(0, to); }
const Tensor& Tensor::random_() const {
  // torch's uniform_int: [0, 2^digits] for floating dtypes, [0, max] for integer ones.
  check_defined("random_", *this);
  return random_(0, std::nullopt);
}

const Tensor& Tensor::exponential_(double lambd) const {
  check_defined("exponential_", *this);
  check_floating_sampler("exponential", *this);
  EMBER_CHECK(lambd >= 0, "exponential_: exponential_ expects lambda >= 0.0, but found lambda=", lambd);
  return sample_into(*this, "exponential_",
                     [&](const Tensor& t) { backend(t).sample(Sampler::Exponential, t, lambd, 0); });
}

const Tensor& Tensor::geometric_(double p) const {
  check_defined("geometric_", *this);
  EMBER_CHECK(p > 0 && p < 1, "geometric_: geometric_ expects p to be in (0, 1), but got p=", p);
  return sample_into(*this, "geometric_", [&](const Tensor& t) { backend(t).sample(Sampler::Geometric, t, p, 0); });
}

const Tensor& Tensor::log_normal_(double mean, double std) const {
  check_defined("log_normal_", *this);
  check_floating_sampler("log_normal", *this);
  EMBER_CHECK(std > 0, "log_normal_: log_normal_ expects std > 0.0, but found std=", std);
  return sample_into(*this, "log_normal_",
                     [&](const Tensor& t) { backend(t).sample(Sampler::LogNormal, t, mean, std); });
}

const Tensor& Tensor::cauchy_(double median, double sigma) const {
  check_defined("cauchy_", *this);
  check_floating_sampler("cauchy", *this);
  return sample_into(*this, "cauchy_", [&](const Tensor& t) { backend(t).sample(Sampler::Cauchy, t, median, sigma); });
}

const Tensor& Tensor::bernoulli_(double p) const {
  check_defined("bernoulli_", *this);
  EMBER_CHECK(p >= 0 && p <= 1, "bernoulli_: bernoulli_ expects p to be in [0, 1], but got p=", p);
  return sample_into(*this, "bernoulli_", [&](const Tensor& t) { backend(t).sample(Sampler::Bernoulli, t, p, 0); });
}

const Tensor& Tensor::bernoulli_(const Tensor& p) const {
  check_defined("bernoulli_", *this);
  check_defined("bernoulli_", p);
  check_same_device("bernoulli_", {*this, p});
  check_probabilities("bernoulli_", p);
  const std::vector<int64_t> shape = broadcast_shapes(sizes(), p.sizes(), "bernoulli_");
  EMBER_CHECK(IntArrayRef(shape) == sizes(), "bernoulli_: p of shape ", p.sizes(),
              " cannot be broadcast to the tensor's shape ", sizes());
  const Tensor probs = broadcast_view(p, sizes());
  return sample_into(*this, "bernoulli_", [&](const Tensor& t) { backend(t).bernoulli(t, probs); });
}

// --- out-of-place forms -----------------------------------------------------------------------------

Tensor bernoulli(const Tensor& self) {
  check_defined("bernoulli", self);
  EMBER_CHECK(is_floating_point(self.dtype()), "bernoulli: \"bernoulli_tensor_cpu_p_\" not implemented for '",
              toString(self.dtype()), "' (", describe(self), ")");
  check_probabilities("bernoulli", self);
  Tensor out = make_empty(self.sizes(), self.dtype(), self.device(), "bernoulli");
  backend(out).bernoulli(out, self);
  record_zero_grad("bernoulli", out, {self});
  return out;
}
Tensor bernoulli(const Tensor& self, double p) {
  check_defined("bernoulli", self);
  Tensor out = make_empty(self.sizes(), self.dtype(), self.device(), "bernoulli");
  NoGradGuard no_grad;
  out.bernoulli_(p);
  return out;
}
Tensor Tensor::bernoulli() const { return ember::bernoulli(*this); }
Tensor Tensor::bernoulli(double p) const { return ember::bernoulli(*this, p); }

// torch: normal_ fills the result with N(0, std) or N(0, 1), then it is scaled by std and
// shifted by mean with separate (rounded) multiply and add.
Tensor normal(const Tensor& mean, double std) {
  check_defined("normal", mean);
  check_floating("normal", mean);
  EMBER_CHECK(std >= 0, "normal: normal expects std >= 0.0, but found std ", std);
  Tensor out = make_empty(mean.sizes(), mean.dtype(), mean.device(), "normal");
  {
    NoGradGuard no_grad;
    out.normal_(0, std);
    out.add_(mean);
  }
  record_zero_grad("normal", out, {mean});
  return out;
}

namespace {
void check_std_tensor(const Tensor& std) {
  check_floating("normal", std);
  const Tensor h = std.to(Device(kCPU), kDouble).contiguous();
  const double* v = h.data_ptr<double>();
  for (int64_t i = 0; i < h.numel(); ++i)
    EMBER_CHECK(v[i] >= 0, "normal: normal expects all elements of std >= 0.0 (std[", i, "] = ", v[i], " in ",
                describe(std), ")");
}
}  // namespace

Tensor normal(double mean, const Tensor& std) {
  check_defined("normal", std);
  check_std_tensor(std);
  Tensor out = make_empty(std.sizes(), std.dtype(), std.device(), "normal");
  {
    NoGradGuard no_grad;
    out.normal_(0, 1);
    out.mul_(std).add_(mean);
  }
  record_zero_grad("normal", out, {std});
  return out;
}

Tensor normal(const Tensor& mean, const Tensor& std) {
  check_defined("normal", mean);
  check_defined("normal", std);
  check_same_device("normal", {mean, std});
  check_floating("normal", mean);
  check_std_tensor(std);
  const std::vector<int64_t> shape = broadcast_shapes(mean.sizes(), std.sizes(), "normal");
  Tensor out = make_empty(shape, mean.dtype(), mean.device(), "normal");
  {
    NoGradGuard no_grad;
    out.normal_(0, 1);
    out.mul_(std).add_(mean);
  }
  record_zero_grad("normal", out, {mean, std});
  return out;
}

Tensor normal(double mean, double std, IntArrayRef size, const TensorOptions& options) {
  EMBER_CHECK(std >= 0, "normal: normal expects std >= 0.0, but found std ", std);
  Tensor out = empty(size, options.requires_grad(false));
  out.normal_(mean, std);
  if (options.requires_grad()) out.requires_grad_(true);
  return out;
}

Tensor randint_like(const Tensor& self, int64_t high, const TensorOptions& options) {
  return randint_like(self, 0, high, options);
}
Tensor randint_like(const Tensor& self, int64_t low, int64_t high, const TensorOptions& options) {
  check_defined("randint_like", self);
  EMBER_CHECK(low < high, "randint_like: random_ expects 'from' to be less than 'to', but got from=", low,
              " >= to=", high);
  Tensor out = empty_like(self, options.requires_grad(false));
  out.random_(low, high);
  if (options.requires_grad()) out.requires_grad_(true);
  return out;
}

// --- multinomial ------------------------------------------------------------------------------------

Tensor multinomial(const Tensor& self, int64_t n, bool replacement) {
  check_defined("multinomial", self);
  EMBER_CHECK(self.dim() > 0 && self.dim() <= 2, "multinomial: prob_dist must be 1 or 2 dim, got ", describe(self));
  EMBER_CHECK(is_floating_point(self.dtype()),
              "multinomial: multinomial only supports floating-point dtypes for input, got: ", toString(self.dtype()));
  EMBER_CHECK(n > 0, "multinomial: cannot sample n_sample <= 0 samples (n_sample=", n, ")");
  const int64_t cats = self.size(-1);
  EMBER_CHECK(replacement || n <= cats,
              "multinomial: cannot sample n_sample > prob_dist.size(-1) samples without "
              "replacement (n_sample=",
              n, ", prob_dist ", describe(self), ")");
  EMBER_CHECK(cats <= (int64_t(1) << 24), "multinomial: number of categories cannot exceed 2^24 (got ", cats, ")");
  const Tensor probs = self.dim() == 1 ? self.unsqueeze(0) : self;
  const int64_t rows = probs.size(0);
  // torch's checks, in the words of the path it takes: the exponential trick (no replacement)
  // checks the whole tensor first; the CDF path each row as it goes.
  const Tensor h = probs.to(Device(kCPU), kDouble).contiguous();
  const double* v = h.data_ptr<double>();
  const bool trick = !replacement;
  for (int64_t r = 0; r < rows; ++r) {
    double sum = 0;
    for (int64_t j = 0; j < cats; ++j) {
      const double x = v[r * cats + j];
      if (trick) {
        EMBER_CHECK(x < INFINITY && x >= 0,
                    "multinomial: probability tensor contains either `inf`, `nan` or element < 0 (", describe(self),
                    ")");
      } else {
        EMBER_CHECK(x >= 0, "multinomial: invalid multinomial distribution (encountering probability entry < 0) (",
                    describe(self), ", row ", r, ")");
        EMBER_CHECK(std::isfinite(x),
                    "multinomial: invalid multinomial distribution (encountering probability entry = "
                    "infinity or NaN) (",
                    describe(self), ", row ", r, ")");
      }
      sum += x;
    }
    EMBER_CHECK(sum > 0, "multinomial: invalid multinomial distribution (sum of probabilities <= 0) (", describe(self),
                ", row ", r, ")");
  }
  Tensor out = make_empty({rows, n}, kLong, self.device(), "multinomial");
  if (rows > 0) backend(out).multinomial(out, probs, n, replacement);
  return self.dim() == 1 ? out.squeeze(0) : out;
}
Tensor Tensor::multinomial(int64_t num_samples, bool replacement) const {
  return ember::multinomial(*this, num_samples, replacement);
}

}  // namespace ember
