// The MPI process group's argument checks (raised on the calling rank, before anything is
// queued) and the cross-rank checks (every rank gets the same ember::Error naming each rank's
// call, and the group stays usable).
#include <string>
#include <vector>

#include "../catch.h"
#include "ember/cuda.h"
#include "ember/distributed.h"
#include "ember/ember.h"

namespace dist = ember::distributed;
using ember::Tensor;

namespace {

/// Runs f, which must throw ember::Error whose message contains every part.
template <typename F>
void require_error(F&& f, std::initializer_list<std::string> parts) {
  try {
    f();
  } catch (const ember::Error& e) {
    const std::string what = e.what();
    for (const std::string& p : parts) {
      INFO("message: " << what);
      REQUIRE(what.find(p) != std::string::npos);
    }
    return;
  }
  FAIL("no ember::Error was thrown");
}

}  // namespace

TEST_CASE("dist errors: bad arguments name the op and the rule", "[dist]") {
  const int size = dist::get_world_size();
  auto pg = dist::default_group();
  Tensor t = ember::ones({2}, ember::kFloat);
  require_error([&] { dist::broadcast(t, size); }, {"broadcast", "rootRank " + std::to_string(size), "out of range"});
  require_error([&] { dist::broadcast(t, -1); }, {"broadcast", "rootRank -1"});
  std::vector<Tensor> two{t, t.clone()};
  require_error([&] { pg->allreduce(two); }, {"allreduce", "does not support multi-GPU collectives", "got 2"});
  std::vector<Tensor> short_list(size - 1, ember::zeros({2}, ember::kFloat));
  require_error(
      [&] { dist::all_gather(short_list, t); },
      {"allgather", "number of output tensors should equal to the world size", "got " + std::to_string(size - 1)});
  std::vector<Tensor> wrong_shape(size, ember::zeros({3}, ember::kFloat));
  require_error([&] { dist::all_gather(wrong_shape, t); }, {"allgather", "output tensor 0 is [3] float32 cpu"});
  Tensor out = ember::zeros({2}, ember::kFloat);
  require_error([&] { dist::reduce_scatter(out, short_list); },
                {"reduce_scatter", "number of input tensors should equal to the world size"});
  Tensor b = ember::ones({2}, ember::kBool);
  require_error([&] { dist::all_reduce(b, dist::ReduceOp::AVG); },
                {"allreduce", "Cannot use ReduceOp.AVG with boolean"});
  Tensor undefined;
  require_error([&] { dist::all_reduce(undefined); }, {"allreduce", "undefined tensor"});
  require_error([&] { dist::send(t, dist::get_rank()); }, {"send", "own rank"});
  require_error([&] { dist::send(t, size); }, {"send", "dstRank " + std::to_string(size), "out of range"});
  require_error([&] { dist::recv(t, 0 == dist::get_rank() ? 1 : 0, -3); }, {"recv", "tag -3"});
  Tensor flat = ember::zeros({2 * size + 1}, ember::kFloat);
  require_error([&] { pg->_allgather_base(flat, t); }, {"_allgather_base", "world_size times input tensor size"});
  require_error([&] { dist::init_process_group("mpi"); }, {"init_process_group", "twice"});
  if (ember::cuda::is_available()) {  // CUDA tensors belong to the NCCL backend
    Tensor g = ember::ones({2}, ember::TensorOptions().device(ember::kCUDA));
    require_error([&] { dist::all_reduce(g); }, {"allreduce", "CPU tensors", "cuda"});
  }
  // Nothing was queued: the group still works, and agrees.
  Tensor one = ember::ones({1}, ember::kLong);
  dist::all_reduce(one);
  REQUIRE(one.item<int64_t>() == size);
}

TEST_CASE("dist errors: ranks that disagree on shape, dtype or op all get the same error", "[dist]") {
  const int rank = dist::get_rank(), size = dist::get_world_size();
  Tensor t = ember::ones({rank == 1 ? 3 : 2}, ember::kFloat);
  require_error([&] { dist::all_reduce(t); },
                {"allreduce #", "every rank must make the same call", "rank 0 called allreduce of [2] float32 SUM",
                 "rank 1 called allreduce of [3] float32 SUM"});
  Tensor d = ember::ones({2}, rank == 1 ? ember::kDouble : ember::kFloat);
  require_error([&] { dist::broadcast(d, 0); }, {"broadcast #", "rank 1 called broadcast of [2] float64 from root 0"});
  Tensor o = ember::ones({2}, ember::kFloat);
  require_error([&] { dist::all_reduce(o, rank == 1 ? dist::ReduceOp::MAX : dist::ReduceOp::SUM); },
                {"rank 1 called allreduce of [2] float32 MAX"});
  // The group is still usable: nothing moved.
  Tensor one = ember::ones({1}, ember::kLong);
  dist::all_reduce(one);
  REQUIRE(one.item<int64_t>() == size);
}

TEST_CASE("dist errors: recv of a shorter message names both sizes", "[dist]") {
  const int rank = dist::get_rank();
  if (rank == 0) dist::send(ember::ones({3}, ember::kFloat), 1, 4);
  if (rank == 1) {
    Tensor t = ember::zeros({4}, ember::kFloat);
    require_error([&] { dist::recv(t, 0, 4); }, {"recv from rank 0 (tag 4)", "sent 3 elements", "holds 4"});
  }
  dist::barrier();
}
