// DistributedDataParallel on MPI ranks (ember_dist_tests, run with 2 and 4 processes): the checks
// of ddp_checks.h, which test_ddp_threads.cpp also runs on threads. Each rank computes the
// one-process reference itself.
#include "ddp_checks.h"
#include "helpers.h"

namespace dist = ember::distributed;
using ember::Tensor;
using ember_test::contains;
using Options = ember::nn::parallel::DistributedDataParallelOptions;

TEST_CASE("DDP (MPI): N ranks with batch B/N end where one process with batch B ends", "[ddp]") {
  auto group = dist::default_group();
  const auto reference = ddp_checks::train_single(ddp_checks::make_net(1));
  for (bool as_view : {false, true}) {
    INFO("gradient_as_bucket_view " << as_view);
    // Every rank starts from its own seed: the constructor's broadcast must make rank 0's the start.
    auto final_params = ddp_checks::train_ddp(ddp_checks::make_net(1 + group->getRank()), group,
                                              Options().gradient_as_bucket_view(as_view));
    REQUIRE(ddp_checks::max_rel_diff(final_params, reference) < 1e-5);
  }
}

TEST_CASE("DDP (MPI): no_sync accumulates locally; the next backward averages the sum", "[ddp]") {
  auto group = dist::default_group();
  auto result = ddp_checks::no_sync_grads(ddp_checks::make_net(3 + group->getRank()), group);
  auto expected = ddp_checks::no_sync_reference(ddp_checks::make_net(3), group->getRank(), group->getSize());
  REQUIRE(ddp_checks::max_rel_diff(result.local, expected.local) < 1e-5);
  REQUIRE(ddp_checks::max_rel_diff(result.synced, expected.synced) < 1e-5);
}

TEST_CASE("DDP (MPI): find_unused_parameters; without it, the unused parameters are named", "[ddp]") {
  auto group = dist::default_group();
  auto result = ddp_checks::find_unused(group);
  REQUIRE(result.unused_grad_undefined);
  ember_test::require_close(result.body_grad, ddp_checks::find_unused_reference(group->getSize()), 1e-6, 1e-7);
  const std::string m = ddp_checks::unused_error(group);
  INFO(m);
  REQUIRE(contains(m, "Expected to have finished reduction in the prior iteration"));
  REQUIRE(contains(m, "unused.weight"));
}

TEST_CASE("DDP (MPI): ranks whose models differ are an error naming the parameter and the ranks", "[ddp]") {
  const std::string m = ddp_checks::mismatch_error(dist::default_group());
  INFO(m);
  REQUIRE(contains(m, "differ at parameter 2"));
  REQUIRE(contains(m, "rank 0 has 1.weight float32 [2, 3]"));
  REQUIRE(contains(m, "rank 1 has 1.weight float32 [5, 3]"));
}

TEST_CASE("DDP (MPI): buffers come from rank 0 at construction and, with broadcast_buffers, each forward", "[ddp]") {
  auto group = dist::default_group();
  for (bool broadcast : {true, false}) {
    INFO("broadcast_buffers " << broadcast);
    auto r = ddp_checks::buffers(group, broadcast);
    ember_test::require_close(r.after_construction, ember::zeros({2}), 0, 0);
    ember_test::require_close(r.after_forward, ember::full({2}, broadcast ? 0.0 : double(group->getRank())), 0, 0);
  }
}

TEST_CASE("SyncBatchNorm (MPI): the global batch's statistics and gradients, as BatchNorm2d on it", "[ddp]") {
  auto group = dist::default_group();
  const auto expected = ddp_checks::batch_norm_reference();
  for (bool converted : {false, true}) {
    INFO((converted ? "convert_sync_batchnorm of a BatchNorm2d in a Sequential" : "SyncBatchNorm"));
    const auto r = converted ? ddp_checks::converted_batch_norm(group) : ddp_checks::sync_batch_norm(group);
    const int64_t share = 8 / group->getSize();
    const int64_t begin = share * group->getRank();
    ember_test::require_close(r.out, expected.out.narrow(0, begin, share), 1e-12, 1e-12);
    ember_test::require_close(r.grad_input, expected.grad_input.narrow(0, begin, share), 1e-10, 1e-12);
    ember_test::require_close(r.running_mean, expected.running_mean, 1e-12, 1e-12);
    ember_test::require_close(r.running_var, expected.running_var, 1e-12, 1e-12);
    // Each rank's weight and bias gradients are its shard's: their sum over the ranks is BatchNorm's.
    Tensor grads = ember::cat({r.grad_weight, r.grad_bias});
    dist::all_reduce(grads);
    ember_test::require_close(grads, ember::cat({expected.grad_weight, expected.grad_bias}), 1e-10, 1e-12);
  }
}
