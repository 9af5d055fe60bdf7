#pragma once
// The backend interface: one pure-virtual entry per kernel. The CPU backend (src/cpu/) and the
// CUDA backend implement every entry, so a missing kernel is a compile error. Op front halves
// (src/ops/) validate everything before calling in: kernels may assume valid shapes, dtypes and
// devices, and that outputs are freshly allocated and contiguous unless an entry says otherwise.
#include <memory>

#include "conv_geometry.h"
#include "functors.h"
#include "pad_geometry.h"
#include "row_norm.h"
#include "sampling_rules.h"
#include "scatter_geometry.h"
#include "sort_rules.h"
#include "tensor_impl.h"

namespace ember {

struct PoolParams {
  int64_t kernel[2] = {1, 1}, stride[2] = {1, 1}, padding[2] = {0, 0}, dilation[2] = {1, 1};
};
enum class ReduceOp { Sum, Mean, Max, Min };
/// Hyper-parameters of one SGD step (PyTorch's rule, see Backend::sgd_step).
struct SgdParams {
  double lr = 0, momentum = 0, dampening = 0, weight_decay = 0;
  bool nesterov = false;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char* name() const = 0;

  // --- memory -----------------------------------------------------------------------------
  /// nbytes of device memory; the deleter returns it to the backend's allocator.
  virtual std::shared_ptr<void> allocate(size_t nbytes) = 0;
  /// dst and src have the same shape; either may be strided and of any dtype (cast on copy).
  /// Both live on this backend's device.
  virtual void copy(const Tensor& dst, const Tensor& src) = 0;
  /// Contiguous bytes between host memory and this device (either direction).
  virtual void copy_from_host(void* dst_device, const void* src_host, size_t nbytes) = 0;
  virtual void copy_to_host(void* dst_host, const void* src_device, size_t nbytes) = 0;
  /// Fills a (possibly strided) tensor with one value.
  virtual void fill(const Tensor& out, const Scalar& value) = 0;
  virtual void synchronize() {}

  // --- random (the backend owns its generator; manual_seed reseeds it) -----------------------
  virtual void manual_seed(uint64_t seed) = 0;
  virtual void uniform(const Tensor& out, double low, double high) = 0;
  virtual void normal(const Tensor& out, double mean, double std) = 0;
  /// Integers in [low, high).
  virtual void randint(const Tensor& out, int64_t low, int64_t high) = 0;
  // Sampling (the per-element rules and multinomial's selection are in src/sampling_rules.h, for
  // both backends). Each fills `out` (possibly strided) in the order torch's CPU kernels draw.
  /// low + bits % range, bits 32 random bits or 64 when range needs more (range up to 2^63):
  /// random_ of every dtype, whose full ranges do not fit randint's int64 high.
  virtual void random_bits(const Tensor& out, int64_t low, uint64_t range) = 0;
  /// One draw per element turned into a value by `kind`'s rule with parameters a, b.
  virtual void sample(Sampler kind, const Tensor& out, double a, double b) = 0;
  /// out[i] = 1 with probability p[i]; p is floating, of out's shape (may be an expanded view).
  virtual void bernoulli(const Tensor& out, const Tensor& p) = 0;
  /// out (rows, n) int64 contiguous; probs (rows, categories) floating, already validated.
  virtual void multinomial(const Tensor& out, const Tensor& probs, int64_t n, bool replacement) = 0;

  // --- pointwise (out contiguous; inputs strided views already broadcast to out's shape,
  //     of one common dtype; comparisons write bool) --------------------------------------------
  virtual void unary(UnaryOp op, const Tensor& out, const Tensor& in, const PointwiseParams& p) = 0;
  virtual void binary(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b, const PointwiseParams& p) = 0;
  /// out = op(a, s), or op(s, a) when `reversed`.
  virtual void binary_scalar(BinaryOp op, const Tensor& out, const Tensor& a, double s, bool reversed,
                             const PointwiseParams& p) = 0;
  /// out = cond ? a : b; cond is bool, all three broadcast to out's shape.
  virtual void where(const Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b) = 0;

  // --- reductions: `in` is contiguous, viewed as (outer, k, inner), reduced over k into out
  //     (outer * inner, contiguous). indices (int64, same shape) is filled for Max/Min when defined.
  virtual void reduce(ReduceOp op, const Tensor& out, const Tensor& indices, const Tensor& in, int64_t outer, int64_t k,
                      int64_t inner) = 0;

  // --- linear algebra: c = alpha * op(a) @ op(b) + beta * c for 2-D a, b, c of one dtype.
  //     Each of a and b has unit stride in one of its dims; c is contiguous.
  virtual void gemm(const Tensor& a, const Tensor& b, const Tensor& c, double alpha, double beta) = 0;

  // --- convolution (NCHW, contiguous input/weight; groups = 1). g is the front half's geometry
  //     (src/conv_geometry.h): every shape and parameter a kernel needs, computed once. --------
  virtual void conv2d_forward(const Tensor& out, const Tensor& in, const Tensor& weight, const Tensor& bias,
                              const ConvGeometry& g) = 0;
  virtual void conv2d_backward_input(const Tensor& grad_in, const Tensor& grad_out, const Tensor& weight,
                                     const ConvGeometry& g) = 0;
  virtual void conv2d_backward_weight(const Tensor& grad_weight, const Tensor& grad_out, const Tensor& in,
                                      const ConvGeometry& g) = 0;

  // --- pooling (NCHW contiguous; indices are flat h*W+w positions within each plane) ----------
  virtual void max_pool2d_forward(const Tensor& out, const Tensor& indices, const Tensor& in, const PoolParams& p) = 0;
  /// grad_in is written whole (the kernel zeroes what no window routes a gradient to). p is the
  /// forward's: it lets a backend gather each input's gradient from the windows that contain it
  /// instead of scattering with atomics (CUDA's deterministic mode, docs/determinism.md).
  virtual void max_pool2d_backward(const Tensor& grad_in, const Tensor& grad_out, const Tensor& indices,
                                   const PoolParams& p) = 0;

  /// Average pooling (no dilation: p.dilation is 1). A window's divisor is divisor_override when
  /// positive, else its size clipped to input + padding (count_include_pad) or to the input alone,
  /// PyTorch's rule. Backward writes grad_in whole.
  virtual void avg_pool2d_forward(const Tensor& out, const Tensor& in, const PoolParams& p, bool count_include_pad,
                                  int64_t divisor_override) = 0;
  virtual void avg_pool2d_backward(const Tensor& grad_in, const Tensor& grad_out, const PoolParams& p,
                                   bool count_include_pad, int64_t divisor_override) = 0;
  /// Adaptive pooling: output cell o of an axis of length I into O covers [floor(o*I/O),
  /// ceil((o+1)*I/O)). The output sizes are out's (grad_out's). Backwards write grad_in whole;
  /// adaptive max's indices are flat h*W+w positions, as max_pool2d's.
  virtual void adaptive_avg_pool2d_forward(const Tensor& out, const Tensor& in) = 0;
  virtual void adaptive_avg_pool2d_backward(const Tensor& grad_in, const Tensor& grad_out) = 0;
  virtual void adaptive_max_pool2d_forward(const Tensor& out, const Tensor& indices, const Tensor& in) = 0;
  virtual void adaptive_max_pool2d_backward(const Tensor& grad_in, const Tensor& grad_out, const Tensor& indices) = 0;

  // --- padding (F::pad; g from src/pad_geometry.h; contiguous tensors of one dtype) -----------
  /// out (planes, D', H', W') gets in (planes, D, H, W) at each element's pad_source_in_plane,
  /// or `value` where that is -1 (constant mode).
  virtual void pad_forward(const Tensor& out, const Tensor& in, const PadGeometry& g, double value) = 0;
  /// grad_in (floating) is written whole: each element the sum of the grad_out elements that
  /// copied it (reflect, replicate and circular copy one input element into several outputs).
  virtual void pad_backward(const Tensor& grad_in, const Tensor& grad_out, const PadGeometry& g) = 0;

  // --- batch norm over a contiguous (N, C, inner) input of one floating dtype; every per-channel
  //     tensor (C) is contiguous, of the input's dtype, on this device. --------------------------
  /// Training: save_mean / save_invstd get the batch's mean and 1/sqrt(biased var + eps), and the
  /// running statistics (when defined) become (1 - momentum) * running + momentum * batch value,
  /// with the unbiased variance. Eval: save_mean / save_invstd get the running statistics' (mean,
  /// 1/sqrt(var + eps)), which normalise. out = (in - mean) * invstd * weight + bias, weight and
  /// bias optional (undefined: 1 and 0).
  virtual void batch_norm_forward(const Tensor& out, const Tensor& save_mean, const Tensor& save_invstd,
                                  const Tensor& in, const Tensor& weight, const Tensor& bias,
                                  const Tensor& running_mean, const Tensor& running_var, bool training, double momentum,
                                  double eps) = 0;
  /// From the forward's save_mean / save_invstd: grad_in (when defined) with the batch statistics'
  /// own gradient when `training`, else as a fixed affine map; grad_weight and grad_bias (C) when
  /// defined. Each is written whole.
  virtual void batch_norm_backward(const Tensor& grad_in, const Tensor& grad_weight, const Tensor& grad_bias,
                                   const Tensor& grad_out, const Tensor& in, const Tensor& weight,
                                   const Tensor& save_mean, const Tensor& save_invstd, bool training) = 0;

  // --- layer norm and group norm: a contiguous input of g.rows rows of g.row_size values
  //     (src/row_norm.h); mean and rstd (rows) are contiguous, of the input's dtype, and weight
  //     and bias (g.params()) contiguous or undefined (1 and 0). ------------------------------
  /// mean / rstd get each row's mean and 1/sqrt(biased var + eps); out = (in - mean) * rstd *
  /// weight[p] + bias[p], p = g.param(row, j).
  virtual void row_norm_forward(const Tensor& out, const Tensor& mean, const Tensor& rstd, const Tensor& in,
                                const Tensor& weight, const Tensor& bias, const RowNormGeometry& g, double eps) = 0;
  /// From the forward's mean / rstd: grad_in (the statistics' own gradient included), grad_weight
  /// and grad_bias (g.params()), each when defined and written whole.
  virtual void row_norm_backward(const Tensor& grad_in, const Tensor& grad_weight, const Tensor& grad_bias,
                                 const Tensor& grad_out, const Tensor& in, const Tensor& weight, const Tensor& mean,
                                 const Tensor& rstd, const RowNormGeometry& g) = 0;

  // --- softmax family over the middle dim of a contiguous (outer, c, inner) tensor -------------
  virtual void softmax_forward(const Tensor& out, const Tensor& in, int64_t outer, int64_t c, int64_t inner,
                               bool log) = 0;
  /// grad_in from grad_out and the forward output `out`.
  virtual void softmax_backward(const Tensor& grad_in, const Tensor& grad_out, const Tensor& out, int64_t outer,
                                int64_t c, int64_t inner, bool log) = 0;
  /// Per-sample loss of a fused cross entropy: logp (N, C) log-probabilities, target (N) int64.
  /// losses (N) gets -(1-eps) logp[target] - eps/C sum(logp); 0 where target == ignore_index.
  virtual void nll_forward(const Tensor& losses, const Tensor& logp, const Tensor& target, int64_t ignore_index,
                           double label_smoothing) = 0;
  /// grad_logits (N, C) = scale * (softmax - smoothed one-hot), 0 on ignored rows.
  virtual void cross_entropy_backward(const Tensor& grad_logits, const Tensor& logp, const Tensor& target,
                                      int64_t ignore_index, double label_smoothing, double scale) = 0;

  // --- optimizer: one fused SGD step over many parameters (PyTorch's rule, per element):
  //       d_p = g + weight_decay * p
  //       buf = first[i] ? d_p : momentum * buf + (1 - dampening) * d_p   (when momentum != 0)
  //       d_p = nesterov ? d_p + momentum * buf : buf                      (when momentum != 0)
  //       p  -= lr * d_p
  //     All tensors contiguous, of one floating dtype, on this device; bufs (and first) are
  //     empty without momentum; a buffer flagged first need not be initialised.
  virtual void sgd_step(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                        const std::vector<Tensor>& bufs, const std::vector<bool>& first, const SgdParams& p) = 0;

  // --- indexing (out/in contiguous; index int64 1-D, validated) ------------------------------
  virtual void index_select(const Tensor& out, const Tensor& in, int64_t dim, const Tensor& index) = 0;
  /// out.index_select(dim, index) += src; out and src are contiguous.
  virtual void index_add(const Tensor& out, int64_t dim, const Tensor& index, const Tensor& src) = 0;

  // --- gather / scatter (src/scatter_geometry.h; any strides; index values already checked
  //     to lie in [0, self.size(dim)); self and other of one dtype) -----------------------------
  /// other[c] = self[c with dim := index[c]] for every index element c.
  virtual void gather(const Tensor& other, const Tensor& self, const Tensor& index, const ScatterGeometry& g) = 0;
  /// self[c with dim := index[c]] (op)= other[c]; repeated destinations combine in index order
  /// on the CPU (Assign: the last one wins), in any order on CUDA.
  virtual void scatter(const Tensor& self, const Tensor& index, const Tensor& other, const ScatterGeometry& g,
                       ScatterReduce op) = 0;
  /// out (n, k) int64 gets the coordinates (in mask's k dims; k = 0 is allowed) of the n
  /// non-zero elements of the contiguous bool `mask`, in row-major order; n was counted first.
  virtual void nonzero(const Tensor& out, const Tensor& mask) = 0;

  // --- sorting and selection (src/sort_rules.h's order: NaN largest, ties by position). `in`
  //     is contiguous (rows, n) of any dtype; outputs are contiguous, values of in's dtype,
  //     indices int64 positions within the row. ---------------------------------------------------
  /// values / indices (rows, n): each row in stable ascending (descending) order.
  virtual void sort(const Tensor& values, const Tensor& indices, const Tensor& in, int64_t rows, int64_t n,
                    bool descending) = 0;
  /// values / indices (rows, k), 0 <= k <= n: the first k of each row's order, largest first when
  /// `largest`; in that order when `sorted`, else in any order.
  virtual void topk(const Tensor& values, const Tensor& indices, const Tensor& in, int64_t rows, int64_t n, int64_t k,
                    bool largest, bool sorted) = 0;
  /// values / indices (rows), n >= 1: the element at ascending position kth_position(rule, k, n,
  /// NaNs in the row) of each row.
  virtual void kthvalue(const Tensor& values, const Tensor& indices, const Tensor& in, int64_t rows, int64_t n,
                        int64_t k, sort_rules::KthRule rule) = 0;
  /// values / indices (rows), n >= 1: each row's most frequent value (the smallest of equally
  /// frequent ones; NaNs are all distinct) and the last position holding it.
  virtual void mode(const Tensor& values, const Tensor& indices, const Tensor& in, int64_t rows, int64_t n) = 0;
  /// out (rows, m), int64 or int32: search_position of values[r, j] in seq[r, 0..n); seq and
  /// values contiguous, of one dtype.
  virtual void searchsorted(const Tensor& out, const Tensor& seq, const Tensor& values, int64_t rows, int64_t n,
                            int64_t m, bool right) = 0;
  /// out (n, int64) = the number of true values in flags[0..j] (an inclusive count), both
  /// contiguous 1-D: the group ids unique gives runs of equal values.
  virtual void cumulative_count(const Tensor& out, const Tensor& flags) = 0;
};

/// The entries of Backend as a backend class declares them: each backend's class body says
/// EMBER_BACKEND_ENTRIES("its name") once, so the entries' signatures are written in this file
/// only (a backend whose definitions miss a change here fails to compile or link, never
/// silently). Keep it in step with the pure virtuals above: `override` makes a mismatch a compile
/// error.
#define EMBER_BACKEND_ENTRIES(backend_name)                                                                            \
  const char* name() const override { return backend_name; }                                                           \
  std::shared_ptr<void> allocate(size_t nbytes) override;                                                              \
  void copy(const Tensor& dst, const Tensor& src) override;                                                            \
  void copy_from_host(void* dst, const void* src, size_t nbytes) override;                                             \
  void copy_to_host(void* dst, const void* src, size_t nbytes) override;                                               \
  void fill(const Tensor& out, const Scalar& value) override;                                                          \
  void manual_seed(uint64_t seed) override;                                                                            \
  void uniform(const Tensor& out, double low, double high) override;                                                   \
  void normal(const Tensor& out, double mean, double std) override;                                                    \
  void randint(const Tensor& out, int64_t low, int64_t high) override;                                                 \
  void random_bits(const Tensor& out, int64_t low, uint64_t range) override;                                          \
  void sample(Sampler kind, const Tensor& out, double a, double b) override;                                           \
  void bernoulli(const Tensor& out, const Tensor& p) override;                                                         \
  void multinomial(const Tensor& out, const Tensor& probs, int64_t n, bool replacement) override;                      \
  void unary(UnaryOp op, const Tensor& out, const Tensor& in, const PointwiseParams& p) override;                      \
  void binary(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b, const PointwiseParams& p) override;    \
  void binary_scalar(BinaryOp op, const Tensor& out, const Tensor& a, double s, bool reversed,                         \
                     const PointwiseParams& p) override;                                                               \
  void where(const Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b) override;                        \
  void reduce(ReduceOp op, const Tensor& out, const Tensor& indices, const Tensor& in, int64_t outer, int64_t k,       \
              int64_t inner) override;                                                                                 \
  void gemm(const Tensor& a, const Tensor& b, const Tensor& c, double alpha, double beta) override;                    \
  void conv2d_forward(const Tensor& out, const Tensor& in, const Tensor& weight, const Tensor& bias,                   \
                      const ConvGeometry& g) override;                                                                 \
  void conv2d_backward_input(const Tensor& grad_in, const Tensor& grad_out, const Tensor& weight,                      \
                             const ConvGeometry& g) override;                                                          \
  void conv2d_backward_weight(const Tensor& grad_weight, const Tensor& grad_out, const Tensor& in,                     \
                              const ConvGeometry& g) override;                                                         \
  void max_pool2d_forward(const Tensor& out, const Tensor& indices, const Tensor& in, const PoolParams& p) override;   \
  void max_pool2d_backward(const Tensor& grad_in, const Tensor& grad_out, const Tensor& indices, const PoolParams& p)  \
      override;                                                                                                        \
  void avg_pool2d_forward(const Tensor& out, const Tensor& in, const PoolParams& p, bool count_include_pad,            \
                          int64_t divisor_override) override;                                                          \
  void avg_pool2d_backward(const Tensor& grad_in, const Tensor& grad_out, const PoolParams& p, bool count_include_pad, \
                           int64_t divisor_override) override;                                                         \
  void adaptive_avg_pool2d_forward(const Tensor& out, const Tensor& in) override;                                      \
  void adaptive_avg_pool2d_backward(const Tensor& grad_in, const Tensor& grad_out) override;                           \
  void adaptive_max_pool2d_forward(const Tensor& out, const Tensor& indices, const Tensor& in) override;               \
  void adaptive_max_pool2d_backward(const Tensor& grad_in, const Tensor& grad_out, const Tensor& indices) override;    \
  void pad_forward(const Tensor& out, const Tensor& in, const PadGeometry& g, double value) override;                  \
  void pad_backward(const Tensor& grad_in, const Tensor& grad_out, const PadGeometry& g) override;                     \
  void batch_norm_forward(const Tensor& out, const Tensor& save_mean, const Tensor& save_invstd, const Tensor& in,     \
                          const Tensor& weight, const Tensor& bias, const Tensor& running_mean,                        \
                          const Tensor& running_var, bool training, double momentum, double eps) override;             \
  void batch_norm_backward(const Tensor& grad_in, const Tensor& grad_weight, const Tensor& grad_bias,                  \
                           const Tensor& grad_out, const Tensor& in, const Tensor& weight, const Tensor& save_mean,    \
                           const Tensor& save_invstd, bool training) override;                                         \
  void row_norm_forward(const Tensor& out, const Tensor& mean, const Tensor& rstd, const Tensor& in,                   \
                        const Tensor& weight, const Tensor& bias, const RowNormGeometry& g, double eps) override;      \
  void row_norm_backward(const Tensor& grad_in, const Tensor& grad_weight, const Tensor& grad_bias,                    \
                         const Tensor& grad_out, const Tensor& in, const Tensor& weight, const Tensor& mean,           \
                         const Tensor& rstd, const RowNormGeometry& g) override;                                       \
  void softmax_forward(const Tensor& out, const Tensor& in, int64_t outer, int64_t c, int64_t inner, bool log)         \
      override;                                                                                                        \
  void softmax_backward(const Tensor& grad_in, const Tensor& grad_out, const Tensor& out, int64_t outer, int64_t c,    \
                        int64_t inner, bool log) override;                                                             \
  void nll_forward(const Tensor& losses, const Tensor& logp, const Tensor& target, int64_t ignore_index,               \
                   double label_smoothing) override;                                                                   \
  void cross_entropy_backward(const Tensor& grad_logits, const Tensor& logp, const Tensor& target,                     \
                              int64_t ignore_index, double label_smoothing, double scale) override;                    \
  void sgd_step(const std::vector<Tensor>& params, const std::vector<Tensor>& grads, const std::vector<Tensor>& bufs,  \
                const std::vector<bool>& first, const SgdParams& p) override;                                          \
  void index_select(const Tensor& out, const Tensor& in, int64_t dim, const Tensor& index) override;                   \
  void index_add(const Tensor& out, int64_t dim, const Tensor& index, const Tensor& src) override;                     \
  void gather(const Tensor& other, const Tensor& self, const Tensor& index, const ScatterGeometry& g) override;        \
  void scatter(const Tensor& self, const Tensor& index, const Tensor& other, const ScatterGeometry& g,                 \
               ScatterReduce op) override;                                                                             \
  void nonzero(const Tensor& out, const Tensor& mask) override;                                                        \
  void sort(const Tensor& values, const Tensor& indices, const Tensor& in, int64_t rows, int64_t n, bool descending)   \
      override;                                                                                                        \
  void topk(const Tensor& values, const Tensor& indices, const Tensor& in, int64_t rows, int64_t n, int64_t k,         \
            bool largest, bool sorted) override;                                                                       \
  void kthvalue(const Tensor& values, const Tensor& indices, const Tensor& in, int64_t rows, int64_t n, int64_t k,     \
                sort_rules::KthRule rule) override;                                                                    \
  void mode(const Tensor& values, const Tensor& indices, const Tensor& in, int64_t rows, int64_t n) override;          \
  void searchsorted(const Tensor& out, const Tensor& seq, const Tensor& values, int64_t rows, int64_t n, int64_t m,    \
                    bool right) override;                                                                              \
  void cumulative_count(const Tensor& out, const Tensor& flags) override;

/// The backend for a device; throws a clear Error for CUDA in a build without CUDA.
Backend& backend(Device device);
inline Backend& backend(const Tensor& t) { return backend(t.device()); }
Backend& cpu_backend();
/// Defined by the CUDA backend, or by the stub in builds without CUDA.
Backend& cuda_backend();
bool cuda_backend_available(std::string* why);

}  // namespace ember
