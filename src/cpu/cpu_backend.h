#pragma once
// The CPU backend: OpenBLAS for GEMM, own loops (OpenMP) for everything else. Each group of
// entries lives in the file named beside it.
#include "../backend.h"
#include "generator.h"

namespace ember {

class CpuBackend final : public Backend {
 public:
  const char* name() const override { return "cpu"; }
  // memory.cpp
  std::shared_ptr<void> allocate(size_t nbytes) override;
  void copy(const Tensor& dst, const Tensor& src) override;
  void copy_from_host(void* dst, const void* src, size_t nbytes) override;
  void copy_to_host(void* dst, const void* src, size_t nbytes) override;
  void fill(const Tensor& out, const Scalar& value) override;
  // random.cpp (PyTorch-compatible mt19937 streams, see generator.h)
  void manual_seed(uint64_t seed) override;
  void uniform(const Tensor& out, double low, double high) override;
  void normal(const Tensor& out, double mean, double std) override;
  void randint(const Tensor& out, int64_t low, int64_t high) override;
  /// torch.randperm(n) on the CPU generator (no other backend needs it: randperm is made here).
  void randperm(int64_t* out, int64_t n);
  /// The generator itself (get/set_rng_state in random.cpp; lock generator_mutex there).
  CpuGenerator& generator() { return gen_; }
  // pointwise.cpp
  void unary(UnaryOp op, const Tensor& out, const Tensor& in, const PointwiseParams& p) override;
  void binary(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b,
              const PointwiseParams& p) override;
  void binary_scalar(BinaryOp op, const Tensor& out, const Tensor& a, double s, bool reversed,
                     const PointwiseParams& p) override;
  void where(const Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b) override;
  // reduce.cpp
  void reduce(ReduceOp op, const Tensor& out, const Tensor& indices, const Tensor& in, int64_t outer,
              int64_t k, int64_t inner) override;
  // gemm.cpp
  void gemm(const Tensor& a, const Tensor& b, const Tensor& c, double alpha, double beta) override;
  // conv.cpp
  void conv2d_forward(const Tensor& out, const Tensor& in, const Tensor& weight, const Tensor& bias,
                      const ConvGeometry& g) override;
  void conv2d_backward_input(const Tensor& grad_in, const Tensor& grad_out, const Tensor& weight,
                             const ConvGeometry& g) override;
  void conv2d_backward_weight(const Tensor& grad_weight, const Tensor& grad_out, const Tensor& in,
                              const ConvGeometry& g) override;
  // pool.cpp
  void max_pool2d_forward(const Tensor& out, const Tensor& indices, const Tensor& in,
                          const PoolParams& p) override;
  void max_pool2d_backward(const Tensor& grad_in, const Tensor& grad_out, const Tensor& indices,
                           const PoolParams& p) override;
  // softmax.cpp
  void softmax_forward(const Tensor& out, const Tensor& in, int64_t outer, int64_t c, int64_t inner,
                       bool log) override;
  void softmax_backward(const Tensor& grad_in, const Tensor& grad_out, const Tensor& out, int64_t outer,
                        int64_t c, int64_t inner, bool log) override;
  void nll_forward(const Tensor& losses, const Tensor& logp, const Tensor& target, int64_t ignore_index,
                   double label_smoothing) override;
  void cross_entropy_backward(const Tensor& grad_logits, const Tensor& logp, const Tensor& target,
                              int64_t ignore_index, double label_smoothing, double scale) override;
  // sgd.cpp
  void sgd_step(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                const std::vector<Tensor>& bufs, const std::vector<bool>& first, const SgdParams& p) override;
  // index.cpp
  void index_select(const Tensor& out, const Tensor& in, int64_t dim, const Tensor& index) override;
  void index_add(const Tensor& out, int64_t dim, const Tensor& index, const Tensor& src) override;

 private:
  CpuGenerator gen_;
};

}  // namespace ember
