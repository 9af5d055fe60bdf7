#pragma once
// DistributedDataParallel's checks, written once for any process group: test_ddp_threads.cpp runs
// them on threads of one process (a fake group), tests/distributed/test_ddp.cpp on MPI ranks. Each
// returns what the test asserts on, so that the Catch2 assertions stay on the main thread.
#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "../../tools/cifar_models.h"
#include "ember/ember.h"
#include "ember/nn/parallel/distributed.h"
#include "ember/nn/sync_batch_norm.h"

namespace ddp_checks {

using ember::Tensor;
namespace nn = ember::nn;
namespace F = ember::nn::functional;
using Group = std::shared_ptr<ember::distributed::ProcessGroup>;

constexpr int64_t kGlobalBatch = 8;  // divisible by 1, 2 and 4 ranks
constexpr int kSteps = 20;

/// Rows [begin, begin + count) of step `step`'s global batch: images from a formula (no RNG, so
/// threads and processes agree without sharing a generator), labels cycling through the classes.
inline Tensor images(int64_t step, int64_t begin, int64_t count) {
  std::vector<float> v;
  for (int64_t n = begin; n < begin + count; ++n)
    for (int64_t k = 0; k < 3 * 32 * 32; ++k)
      v.push_back(float(std::sin(0.37 * double(k) + 1.3 * double(n) + 0.71 * double(step))));
  return ember::tensor(v).view({count, 3, 32, 32});
}
inline Tensor labels(int64_t step, int64_t begin, int64_t count) {
  std::vector<int64_t> v;
  for (int64_t n = begin; n < begin + count; ++n) v.push_back((3 * n + 7 * step) % 10);
  return ember::tensor(v);
}

/// The tutorial's three-layer conv net, initialised from `seed`.
inline cifar::ThreeLayerConvNet make_net(uint64_t seed) {
  ember::manual_seed(seed);
  return cifar::ThreeLayerConvNet(3, 6, 4, 10);
}

inline std::vector<Tensor> snapshot(const std::vector<Tensor>& params) {
  std::vector<Tensor> out;
  for (const Tensor& p : params) out.push_back(p.detach().clone());
  return out;
}

/// Largest over the tensors of max|a - b| / max|b|.
inline double max_rel_diff(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  if (a.size() != b.size()) return INFINITY;
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!a[i].sizes().equals(b[i].sizes())) return INFINITY;
    const double scale = std::max(b[i].abs().max().item<double>(), 1e-30);
    worst = std::max(worst, (a[i] - b[i]).abs().max().item<double>() / scale);
  }
  return worst;
}

/// One process, the whole batch: the reference.
inline std::vector<Tensor> train_single(cifar::ThreeLayerConvNet net, int steps = kSteps) {
  ember::optim::SGD opt(net->parameters(), ember::optim::SGDOptions(0.01).momentum(0.9));
  for (int s = 0; s < steps; ++s) {
    opt.zero_grad();
    F::cross_entropy(net->forward(images(s, 0, kGlobalBatch)), labels(s, 0, kGlobalBatch)).backward();
    opt.step();
  }
  return snapshot(net->parameters());
}

/// This rank's share of every batch, through DDP.
inline std::vector<Tensor> train_ddp(cifar::ThreeLayerConvNet net, const Group& group,
                                     nn::parallel::DistributedDataParallelOptions options, int steps = kSteps) {
  auto ddp = nn::parallel::DistributedDataParallel(net, options.process_group(group));
  ember::optim::SGD opt(ddp->parameters(), ember::optim::SGDOptions(0.01).momentum(0.9));
  const int64_t share = kGlobalBatch / group->getSize();
  const int64_t begin = share * group->getRank();
  for (int s = 0; s < steps; ++s) {
    opt.zero_grad();
    F::cross_entropy(ddp->forward(images(s, begin, share)), labels(s, begin, share)).backward();
    opt.step();
  }
  return snapshot(ddp->module()->parameters());
}

/// no_sync: gradients of two micro-batches accumulated (the first under no_sync, the second
/// synchronised). Returns {the gradients after the no_sync backward, those after the second}.
struct NoSyncResult {
  std::vector<Tensor> local, synced;
};
inline NoSyncResult no_sync_grads(cifar::ThreeLayerConvNet net, const Group& group) {
  auto ddp =
      nn::parallel::DistributedDataParallel(net, nn::parallel::DistributedDataParallelOptions().process_group(group));
  const int64_t share = kGlobalBatch / group->getSize();
  const int64_t begin = share * group->getRank();
  NoSyncResult r;
  {
    auto guard = ddp->no_sync();
    F::cross_entropy(ddp->forward(images(0, begin, share)), labels(0, begin, share)).backward();
  }
  for (const Tensor& p : ddp->parameters()) r.local.push_back(p.grad().clone());
  F::cross_entropy(ddp->forward(images(1, begin, share)), labels(1, begin, share)).backward();
  for (const Tensor& p : ddp->parameters()) r.synced.push_back(p.grad().clone());
  return r;
}
/// The same in one process: {this rank's shard's gradients of micro-batch 0, the gradients of
/// both global micro-batches summed}.
inline NoSyncResult no_sync_reference(cifar::ThreeLayerConvNet net, int rank, int world) {
  const int64_t share = kGlobalBatch / world;
  NoSyncResult r;
  F::cross_entropy(net->forward(images(0, share * rank, share)), labels(0, share * rank, share)).backward();
  for (const Tensor& p : net->parameters()) r.local.push_back(p.grad().clone());
  net->zero_grad();
  F::cross_entropy(net->forward(images(0, 0, kGlobalBatch)), labels(0, 0, kGlobalBatch)).backward();
  F::cross_entropy(net->forward(images(1, 0, kGlobalBatch)), labels(1, 0, kGlobalBatch)).backward();
  for (const Tensor& p : net->parameters()) r.synced.push_back(p.grad().clone());
  return r;
}

/// A model whose forward uses one of its two heads.
struct TwoHeadsImpl : nn::Module {
  TwoHeadsImpl()
      : body(register_module("body", nn::Linear(4, 3))),
        used(register_module("used", nn::Linear(3, 2))),
        unused(register_module("unused", nn::Linear(3, 2))) {
    // Fixed values, not the generator's: the ranks may be threads sharing one generator.
    ember::NoGradGuard no_grad;
    double k = 1;
    for (Tensor& p : parameters()) {
      for (int64_t i = 0; i < p.numel(); ++i) p.view({-1})[i].fill_(std::sin(k++));
    }
  }
  Tensor forward(const Tensor& x) { return used(F::relu(body(x))); }
  nn::Linear body, used, unused;
};
EMBER_MODULE(TwoHeads);

inline Tensor two_heads_input(int rank) {
  return ember::arange(8, ember::TensorOptions().dtype(ember::kFloat)).view({2, 4}).mul(0.25).add(double(rank));
}

/// With find_unused_parameters: {body.weight's averaged gradient, whether unused.weight's gradient
/// is still undefined}, over two iterations.
struct UnusedResult {
  Tensor body_grad;
  bool unused_grad_undefined = false;
};
inline UnusedResult find_unused(const Group& group) {
  TwoHeads net;
  auto ddp = nn::parallel::DistributedDataParallel(
      net, nn::parallel::DistributedDataParallelOptions().process_group(group).find_unused_parameters(true));
  for (int it = 0; it < 2; ++it) {
    ddp->zero_grad();
    ddp->forward(two_heads_input(group->getRank())).sum().backward();
  }
  return {net->body->weight.grad().clone(), !net->unused->weight.grad().defined()};
}
/// The reference: body.weight's gradient of the average over the ranks' inputs.
inline Tensor find_unused_reference(int world) {
  TwoHeads net;
  Tensor total;
  for (int r = 0; r < world; ++r) {
    net->zero_grad();
    net->forward(two_heads_input(r)).sum().backward();
    total = total.defined() ? total + net->body->weight.grad() : net->body->weight.grad().clone();
  }
  return total / double(world);
}
/// Without find_unused_parameters: the error message of the backward ("" if none).
inline std::string unused_error(const Group& group) {
  TwoHeads net;
  auto ddp =
      nn::parallel::DistributedDataParallel(net, nn::parallel::DistributedDataParallelOptions().process_group(group));
  try {
    ddp->forward(two_heads_input(group->getRank())).sum().backward();
  } catch (const ember::Error& e) {
    return e.what();
  }
  return "";
}

/// Rank 1 builds a different model: the message every rank's DDP constructor throws.
inline std::string mismatch_error(const Group& group) {
  nn::Sequential net(nn::Linear(4, 3), nn::Linear(3, group->getRank() == 1 ? 5 : 2));
  try {
    auto ddp = nn::parallel::DistributedDataParallel(
        net.ptr(), nn::parallel::DistributedDataParallelOptions().process_group(group));
  } catch (const ember::Error& e) {
    return e.what();
  }
  return "";
}

/// Buffers: each rank's BatchNorm starts with running_mean = its rank. Returns
/// {running_mean after construction, after an eval-mode forward}, with broadcast_buffers as given
/// (construction always copies rank 0's; each forward does only with broadcast_buffers).
struct BufferResult {
  Tensor after_construction, after_forward;
};
inline BufferResult buffers(const Group& group, bool broadcast) {
  nn::BatchNorm2d bn(2);
  bn->running_mean.fill_(double(group->getRank()));
  auto ddp = nn::parallel::DistributedDataParallel(
      bn, nn::parallel::DistributedDataParallelOptions().process_group(group).broadcast_buffers(broadcast));
  BufferResult r;
  r.after_construction = bn->running_mean.clone();
  // Rank-dependent buffers again (as a model whose buffers drifted), then a forward.
  bn->running_mean.fill_(double(group->getRank()));
  ddp->eval();
  ddp->forward(ember::ones({1, 2, 2, 2}));
  r.after_forward = bn->running_mean.clone();
  return r;
}

}  // namespace ddp_checks

namespace ddp_checks {

/// SyncBatchNorm on this rank's shard of a global (8, 3, 2, 2) float64 batch, against BatchNorm2d
/// on the whole batch: {output rows, input gradient rows, weight and bias gradients, running
/// statistics}. The loss weights the outputs by a fixed tensor, so every gradient is non-trivial.
struct NormResult {
  Tensor out, grad_input, grad_weight, grad_bias, running_mean, running_var;
};
inline Tensor norm_input() {
  return ember::arange(96, ember::TensorOptions().dtype(ember::kDouble))
      .view({8, 3, 2, 2})
      .mul(0.37)
      .sin()
      .mul(3)
      .add(1);
}
inline Tensor norm_upstream() {
  return ember::arange(96, ember::TensorOptions().dtype(ember::kDouble)).view({8, 3, 2, 2}).mul(0.11).cos();
}
/// `norm` on rows [begin, begin + count) of norm_input(), through `forward` when given (the
/// module holding it) or norm's own forward.
template <typename Norm>
NormResult run_norm(Norm norm, int64_t begin, int64_t count, std::function<Tensor(const Tensor&)> forward = nullptr) {
  norm->to(ember::kDouble);
  {
    ember::NoGradGuard no_grad;
    norm->weight.copy_(ember::tensor(std::vector<double>{0.5, 1.5, -2.0}));
    norm->bias.copy_(ember::tensor(std::vector<double>{0.1, -0.2, 0.3}));
  }
  Tensor x = norm_input().narrow(0, begin, count).clone().requires_grad_();
  Tensor y = forward ? forward(x) : norm->forward(x);
  (y * norm_upstream().narrow(0, begin, count)).sum().backward();
  return {y.detach(),
          x.grad(),
          norm->weight.grad(),
          norm->bias.grad(),
          norm->running_mean.clone(),
          norm->running_var.clone()};
}
inline NormResult sync_batch_norm(const Group& group) {
  const int64_t share = 8 / group->getSize();
  return run_norm(nn::SyncBatchNorm(nn::BatchNormOptions(3), group), share * group->getRank(), share);
}
/// The same through SyncBatchNorm::convert_sync_batchnorm of a BatchNorm2d in an nn::Sequential,
/// run by the Sequential's forward (whose own list must hold the new layer).
inline NormResult converted_batch_norm(const Group& group) {
  const int64_t share = 8 / group->getSize();
  nn::Sequential seq(nn::BatchNorm2d(3));
  nn::SyncBatchNormImpl::convert_sync_batchnorm(seq.ptr(), group);
  return run_norm(seq->ptr<nn::SyncBatchNormImpl>(0), share * group->getRank(), share,
                  [seq](const Tensor& x) mutable { return seq->forward(x); });
}
inline NormResult batch_norm_reference() { return run_norm(nn::BatchNorm2d(3), 0, 8); }

}  // namespace ddp_checks
