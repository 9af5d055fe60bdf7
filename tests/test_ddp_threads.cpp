// DistributedDataParallel on 2 and 4 threads of one process (ThreadProcessGroup, a fake group), so
// the bucket logic is tested in every build; tests/distributed/test_ddp.cpp runs the same checks
// on MPI ranks.
#include "distributed/ddp_checks.h"
#include "helpers.h"
#include "thread_process_group.h"

using namespace ember;
using ember_test::contains;
using ember_test::run_ranks;
using ember_test::ThreadProcessGroup;
using Options = nn::parallel::DistributedDataParallelOptions;

namespace {
using GroupPtr = std::shared_ptr<ThreadProcessGroup>;

/// One model per rank, rank r's from seed `seed + r` (built here: the generator is global).
std::vector<cifar::ThreeLayerConvNet> nets_for(int world, uint64_t seed) {
  std::vector<cifar::ThreeLayerConvNet> nets;
  for (int r = 0; r < world; ++r) nets.push_back(ddp_checks::make_net(seed + r));
  return nets;
}
}  // namespace

TEST_CASE("DDP (threads): N ranks with batch B/N end where one process with batch B ends", "[ddp]") {
  const auto reference = ddp_checks::train_single(ddp_checks::make_net(1));
  for (int world : {2, 4}) {
    for (bool as_view : {false, true}) {
      // Rank r starts from seed 1 + r: the constructor's broadcast must make rank 0's the start.
      auto nets = nets_for(world, 1);
      auto finals = run_ranks<std::vector<Tensor>>(world, [&](const GroupPtr& g) {
        return ddp_checks::train_ddp(nets[g->getRank()], g, Options().gradient_as_bucket_view(as_view));
      });
      for (int r = 0; r < world; ++r) {
        INFO("world " << world << " rank " << r << " gradient_as_bucket_view " << as_view);
        REQUIRE(ddp_checks::max_rel_diff(finals[r], reference) < 1e-5);
      }
    }
  }
}

TEST_CASE("DDP (threads): no_sync accumulates locally; the next backward averages the sum", "[ddp]") {
  const int world = 2;
  auto nets = nets_for(world, 3);
  auto results = run_ranks<ddp_checks::NoSyncResult>(
      world, [&](const GroupPtr& g) { return ddp_checks::no_sync_grads(nets[g->getRank()], g); });
  for (int r = 0; r < world; ++r) {
    auto expected = ddp_checks::no_sync_reference(ddp_checks::make_net(3), r, world);
    INFO("rank " << r);
    REQUIRE(ddp_checks::max_rel_diff(results[r].local, expected.local) < 1e-5);
    REQUIRE(ddp_checks::max_rel_diff(results[r].synced, expected.synced) < 1e-5);
  }
}

TEST_CASE("DDP (threads): find_unused_parameters averages the used gradients, leaves unused ones", "[ddp]") {
  for (int world : {2, 4}) {
    auto results =
        run_ranks<ddp_checks::UnusedResult>(world, [](const GroupPtr& g) { return ddp_checks::find_unused(g); });
    const Tensor expected = ddp_checks::find_unused_reference(world);
    for (int r = 0; r < world; ++r) {
      INFO("world " << world << " rank " << r);
      REQUIRE(results[r].unused_grad_undefined);
      ember_test::require_close(results[r].body_grad, expected, 1e-6, 1e-7);
    }
  }
}

TEST_CASE("DDP (threads): an unused parameter without find_unused_parameters is an error naming it", "[ddp]") {
  auto messages = run_ranks<std::string>(2, [](const GroupPtr& g) { return ddp_checks::unused_error(g); });
  for (const std::string& m : messages) {
    INFO(m);
    REQUIRE(contains(m, "Expected to have finished reduction in the prior iteration"));
    REQUIRE(contains(m, "find_unused_parameters"));
    REQUIRE(contains(m, "unused.weight"));
    REQUIRE(contains(m, "unused.bias"));
  }
}

TEST_CASE("DDP (threads): ranks whose models differ are an error naming the parameter and the ranks", "[ddp]") {
  auto messages = run_ranks<std::string>(2, [](const GroupPtr& g) { return ddp_checks::mismatch_error(g); });
  for (const std::string& m : messages) {
    INFO(m);
    REQUIRE(contains(m, "DistributedDataParallel: the ranks' modules differ at parameter 2"));
    REQUIRE(contains(m, "rank 0 has 1.weight float32 [2, 3]"));
    REQUIRE(contains(m, "rank 1 has 1.weight float32 [5, 3]"));
  }
}

TEST_CASE("DDP (threads): buffers come from rank 0 at construction and, with broadcast_buffers, each forward",
          "[ddp]") {
  for (bool broadcast : {true, false}) {
    auto results =
        run_ranks<ddp_checks::BufferResult>(2, [&](const GroupPtr& g) { return ddp_checks::buffers(g, broadcast); });
    for (int r = 0; r < 2; ++r) {
      INFO("broadcast_buffers " << broadcast << " rank " << r);
      ember_test::require_close(results[r].after_construction, zeros({2}), 0, 0);
      ember_test::require_close(results[r].after_forward, full({2}, broadcast ? 0.0 : double(r)), 0, 0);
    }
  }
}

TEST_CASE("DDP (threads): the buffers travel in one broadcast per dtype, each forward", "[ddp]") {
  auto results = run_ranks<std::vector<Tensor>>(2, [](const GroupPtr& g) {
    nn::Sequential net(nn::BatchNorm2d(2), nn::BatchNorm2d(2));
    auto ddp = nn::parallel::DistributedDataParallel(net, Options().process_group(g));
    // Rank-dependent float and int64 buffers, then one forward (eval: BatchNorm makes no collective).
    for (const Tensor& b : net->buffers()) b.fill_(double(10 * g->getRank() + b.dim() + 1));
    ddp->eval();
    const int64_t before = g->collectives();
    ddp->forward(ones({1, 2, 2, 2}));
    std::vector<Tensor> seen{full({1}, double(g->collectives() - before))};
    for (const Tensor& b : net->buffers()) seen.push_back(b.to(kDouble));
    return seen;
  });
  for (int r = 0; r < 2; ++r) {
    INFO("rank " << r);
    REQUIRE(results[r][0].item<double>() == 2);  // float32 (4 buffers) and int64 (2)
    // Rank 0's values everywhere: running_mean/var (1-D) 2, num_batches_tracked (0-D) 1.
    for (size_t k = 1; k < results[r].size(); ++k) {
      const double expected = results[r][k].dim() == 1 ? 2 : 1;
      ember_test::require_close(results[r][k], full(results[r][k].sizes(), expected, kDouble), 0, 0);
    }
  }
}

TEST_CASE("DDP (threads): buckets in reverse parameter order, 1 MiB first, bucket_cap_mb after", "[ddp]") {
  // Parameters of 1 MiB / 2, 1 MiB and 2 MiB (float): reversed, 2 MiB fills the 1 MiB first
  // bucket alone; with a 1.5 MiB cap the next two share one.
  struct Net : nn::Module {
    Net() {
      register_parameter("a", zeros({128 * 1024}));
      register_parameter("b", zeros({256 * 1024}));
      register_parameter("c", zeros({512 * 1024}));
    }
    Tensor forward(const Tensor& x) { return x; }
  };
  auto result = run_ranks<std::vector<int64_t>>(2, [](const GroupPtr& g) {
    auto ddp =
        nn::parallel::DistributedDataParallel(std::make_shared<Net>(), Options().process_group(g).bucket_cap_mb(1.5));
    return ddp->bucket_indices();
  });
  REQUIRE(result[0] == std::vector<int64_t>{1, 1, 0});
  REQUIRE(result[1] == result[0]);
}

TEST_CASE("DDP (threads): every bucket is one all-reduce per backward; none under no_sync", "[ddp]") {
  auto counts = run_ranks<std::vector<int64_t>>(2, [](const GroupPtr& g) {
    auto net = ddp_checks::TwoHeads();
    auto ddp = nn::parallel::DistributedDataParallel(net, Options().process_group(g).find_unused_parameters(true));
    std::vector<int64_t> seen;
    ddp->forward(ddp_checks::two_heads_input(0));  // a synchronised forward that no backward follows
    {
      auto guard = ddp->no_sync();
      ddp->forward(ddp_checks::two_heads_input(0)).sum().backward();
    }
    seen.push_back(int64_t(g->allreduce_sizes.size()));
    ddp->forward(ddp_checks::two_heads_input(0)).sum().backward();
    for (int64_t n : g->allreduce_sizes) seen.push_back(n);
    return seen;
  });
  // No all-reduce under no_sync; then one bucket of all 31 gradient values (they fit in 1 MiB),
  // and find_unused_parameters' all-reduce of the 6 parameters' "used" flags.
  REQUIRE(counts[0] == std::vector<int64_t>{0, 31, 6});
}

TEST_CASE("SyncBatchNorm (threads): the global batch's statistics and gradients, as BatchNorm2d on it", "[ddp]") {
  const auto expected = ddp_checks::batch_norm_reference();
  for (auto [world, converted] : {std::pair{2, false}, {4, false}, {2, true}, {4, true}}) {
    INFO((converted ? "convert_sync_batchnorm of a BatchNorm2d in a Sequential" : "SyncBatchNorm"));
    auto results = run_ranks<ddp_checks::NormResult>(world, [converted = converted](const GroupPtr& g) {
      return converted ? ddp_checks::converted_batch_norm(g) : ddp_checks::sync_batch_norm(g);
    });
    const int64_t share = 8 / world;
    Tensor grad_weight = zeros({3}, kDouble), grad_bias = zeros({3}, kDouble);
    for (int r = 0; r < world; ++r) {
      INFO("world " << world << " rank " << r);
      ember_test::require_close(results[r].out, expected.out.narrow(0, share * r, share), 1e-12, 1e-12);
      ember_test::require_close(results[r].grad_input, expected.grad_input.narrow(0, share * r, share), 1e-10, 1e-12);
      ember_test::require_close(results[r].running_mean, expected.running_mean, 1e-12, 1e-12);
      ember_test::require_close(results[r].running_var, expected.running_var, 1e-12, 1e-12);
      grad_weight += results[r].grad_weight;
      grad_bias += results[r].grad_bias;
    }
    // Each rank's weight and bias gradients are its shard's (DDP sums them, over the ranks).
    ember_test::require_close(grad_weight, expected.grad_weight, 1e-10, 1e-12);
    ember_test::require_close(grad_bias, expected.grad_bias, 1e-10, 1e-12);
  }
}

TEST_CASE("SyncBatchNorm: bad input is an error naming the layer and the shape", "[ddp][errors]") {
  nn::SyncBatchNorm bn(nn::BatchNormOptions(3));
  ember_test::require_throws_with(
      [&] {
        bn->forward(zeros({4, 2, 3}));
      },
      {"SyncBatchNorm", "the input has 2 channels", "[4, 2, 3]", "built for 3"});
  ember_test::require_throws_with([&] { bn->forward(zeros({4})); }, {"SyncBatchNorm", "expected 2D or 5D"});
  REQUIRE(ember_test::printed(*bn) ==
          "ember::nn::SyncBatchNorm(3, eps=1e-05, momentum=0.1, affine=true, track_running_stats=true)");
}

namespace {
// A parent that calls its BatchNorm through a typed member, as tools/cifar_models.h's blocks do.
struct Block : nn::Module {
  Block() : bn(register_module("bn", nn::BatchNorm2d(2))) {}
  Tensor forward(const Tensor& x) { return bn->forward(x); }
  nn::BatchNorm2d bn;
};
}  // namespace

TEST_CASE("SyncBatchNorm::convert_sync_batchnorm: every container's BatchNorms, sharing their tensors", "[ddp]") {
  auto group = std::make_shared<ThreadProcessGroup>(std::make_shared<ember_test::ThreadWorld>(1), 0);
  nn::ModuleList list(nn::BatchNorm1d(nn::BatchNormOptions(4).eps(1e-3).momentum(0.25).affine(false)), nn::ReLU());
  nn::ModuleDict dict(std::vector<std::pair<std::string, std::shared_ptr<nn::Module>>>{
      {"norm", nn::BatchNorm2d(nn::BatchNormOptions(3).momentum(std::nullopt)).ptr()}});
  nn::Sequential seq(nn::Conv2d(3, 3, 1), nn::BatchNorm2d(3));
  auto root = std::make_shared<nn::Module>();
  root->register_module("seq", seq);
  root->register_module("list", list);
  root->register_module("dict", dict);
  auto before = root->named_parameters();
  auto buffers_before = root->named_buffers();
  seq->ptr(1)->eval();

  REQUIRE(nn::SyncBatchNormImpl::convert_sync_batchnorm(root, group) == root);
  // Sequential's entry (what its forward runs), ModuleList's and ModuleDict's, and the children.
  auto in_seq = seq->ptr<nn::SyncBatchNormImpl>(1);
  auto in_list = list->ptr<nn::SyncBatchNormImpl>(0);
  auto in_dict = std::dynamic_pointer_cast<nn::SyncBatchNormImpl>(dict["norm"]);
  REQUIRE(in_dict != nullptr);
  REQUIRE(seq->named_children()["1"] == in_seq);
  REQUIRE(list->named_children()["0"] == in_list);
  REQUIRE(dict->named_children()["norm"] == in_dict);
  REQUIRE(list->ptr(1)->as<nn::ReLU>() != nullptr);
  for (const auto& layer : {in_seq, in_list, in_dict}) REQUIRE(layer->process_group == group);
  // Options and training mode carried over.
  REQUIRE(!in_seq->is_training());
  REQUIRE(in_list->is_training());
  REQUIRE(in_list->options.eps() == 1e-3);
  REQUIRE(in_list->options.momentum() == 0.25);
  REQUIRE(!in_list->options.affine());
  REQUIRE(!in_dict->options.momentum().has_value());
  REQUIRE(ember_test::printed(*in_list) ==
          "ember::nn::SyncBatchNorm(4, eps=0.001, momentum=0.25, affine=false, track_running_stats=true)");
  // The same tensors under the same names (an optimizer built before still holds them).
  auto after = root->named_parameters();
  auto buffers_after = root->named_buffers();
  REQUIRE(after.keys() == before.keys());
  REQUIRE(buffers_after.keys() == buffers_before.keys());
  for (const auto& item : before)
    REQUIRE(after[item.key()].unsafeGetTensorImpl() == item.value().unsafeGetTensorImpl());
  for (const auto& item : buffers_before)
    REQUIRE(buffers_after[item.key()].unsafeGetTensorImpl() == item.value().unsafeGetTensorImpl());
  REQUIRE(!in_list->weight.defined());
}

TEST_CASE("SyncBatchNorm::convert_sync_batchnorm: a BatchNorm itself becomes one; a typed member is refused", "[ddp]") {
  nn::BatchNorm2d bn(5);
  auto converted = nn::SyncBatchNormImpl::convert_sync_batchnorm(bn.ptr());
  auto sync = std::dynamic_pointer_cast<nn::SyncBatchNormImpl>(converted);
  REQUIRE(sync != nullptr);
  REQUIRE(sync->weight.unsafeGetTensorImpl() == bn->weight.unsafeGetTensorImpl());
  REQUIRE(sync->num_batches_tracked.unsafeGetTensorImpl() == bn->num_batches_tracked.unsafeGetTensorImpl());
  REQUIRE(sync->process_group == nullptr);  // the default group, looked up at each forward

  // Its forward calls the member, which replacing the child would not reach: refused, unchanged.
  nn::Sequential net(nn::BatchNorm2d(2));
  net->push_back("block", std::make_shared<Block>());
  ember_test::require_throws_with(
      [&] { nn::SyncBatchNormImpl::convert_sync_batchnorm(net.ptr()); },
      {"convert_sync_batchnorm", "'block.bn'", "typed member", "nn::BatchNorm2d bn;", "Nothing was converted"});
  REQUIRE(net->ptr(0)->as<nn::BatchNorm2d>() != nullptr);
  REQUIRE(net->named_modules()["block.bn"]->as<nn::BatchNorm2d>() != nullptr);
  ember_test::require_throws_with([] { nn::SyncBatchNormImpl::convert_sync_batchnorm(nullptr); },
                                  {"convert_sync_batchnorm", "empty"});
}
