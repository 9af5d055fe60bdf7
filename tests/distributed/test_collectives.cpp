// The MPI process group's collectives against results computed by hand from each rank's
// contribution, for every dtype and every ReduceOp, synchronous and asynchronous.
#include <cstdint>
#include <vector>

#include "../catch.h"
#include "ember/distributed.h"
#include "ember/ember.h"

namespace dist = ember::distributed;
using ember::ScalarType;
using ember::Tensor;

namespace {

const ScalarType kAllDtypes[] = {ember::kFloat, ember::kDouble, ember::kLong, ember::kInt,
                                 ember::kShort, ember::kChar,   ember::kByte, ember::kBool};
const dist::ReduceOp kAllOps[] = {dist::ReduceOp::SUM, dist::ReduceOp::AVG, dist::ReduceOp::PRODUCT,
                                  dist::ReduceOp::MIN, dist::ReduceOp::MAX};

/// Rank r's element i: 1..3 (0..1 for bool), different on every rank.
int64_t value(int r, int64_t i, ScalarType dtype) { return dtype == ember::kBool ? (r + i) % 2 : (r * 2 + i) % 3 + 1; }

Tensor from_values(const std::vector<int64_t>& v, ScalarType dtype) { return ember::tensor(v, ember::kLong).to(dtype); }

Tensor contribution(int r, int64_t n, ScalarType dtype) {
  std::vector<int64_t> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = value(r, i, dtype);
  return from_values(v, dtype);
}

/// The reduction of every rank's element i, in int64 (AVG: the sum divided toward zero, exact
/// for the float types too because the sums are small integers and the world size divides
/// nothing it should not: the expectation is built in the tensor's dtype).
Tensor expected_reduction(int64_t n, ScalarType dtype, dist::ReduceOp op, int size) {
  const bool is_bool = dtype == ember::kBool;
  std::vector<double> v(n);
  for (int64_t i = 0; i < n; ++i) {
    double acc = value(0, i, dtype);
    for (int r = 1; r < size; ++r) {
      const double x = value(r, i, dtype);
      switch (op) {
        case dist::ReduceOp::SUM:
        case dist::ReduceOp::AVG: acc = is_bool ? double(acc || x) : acc + x; break;
        case dist::ReduceOp::PRODUCT: acc = is_bool ? double(acc && x) : acc * x; break;
        case dist::ReduceOp::MIN: acc = std::min(acc, x); break;
        case dist::ReduceOp::MAX: acc = std::max(acc, x); break;
      }
    }
    if (op == dist::ReduceOp::AVG) {
      acc = ember::is_floating_point(dtype) ? acc / size : double(int64_t(acc) / size);
    }
    v[i] = acc;
  }
  return ember::tensor(v, ember::kDouble).to(dtype);
}

}  // namespace

TEST_CASE("dist: rank and world size come from the launcher", "[dist]") {
  REQUIRE(dist::is_initialized());
  REQUIRE(dist::is_mpi_available());
  REQUIRE(dist::get_backend() == "mpi");
  const int size = dist::get_world_size();
  REQUIRE(size >= 2);
  REQUIRE(dist::get_rank() >= 0);
  REQUIRE(dist::get_rank() < size);
  REQUIRE(dist::default_group()->getBackendName() == "mpi");
  // mpirun sets OMPI_COMM_WORLD_LOCAL_RANK; on one machine it equals the rank.
  REQUIRE(dist::get_local_rank() == dist::get_rank());
}

TEST_CASE("dist: all_reduce of every dtype with every ReduceOp", "[dist]") {
  const int rank = dist::get_rank(), size = dist::get_world_size();
  for (ScalarType dtype : kAllDtypes) {
    for (dist::ReduceOp op : kAllOps) {
      if (dtype == ember::kBool && op == dist::ReduceOp::AVG) continue;  // an error case, below
      CAPTURE(dtype, int(op));
      Tensor t = contribution(rank, 7, dtype);
      auto work = dist::all_reduce(t, op);
      REQUIRE(work->isCompleted());
      REQUIRE(work->isSuccess());
      REQUIRE(t.equal(expected_reduction(7, dtype, op, size)));
    }
  }
}

TEST_CASE("dist: AVG of integers rounds toward zero", "[dist]") {
  const int rank = dist::get_rank(), size = dist::get_world_size();
  // Rank 0 holds -1, the others 0: the sum -1 over size >= 2 ranks is -0.5 or less in magnitude.
  Tensor t = ember::full({3}, rank == 0 ? -1 : 0, ember::kInt);
  dist::all_reduce(t, dist::ReduceOp::AVG);
  REQUIRE(t.equal(ember::zeros({3}, ember::kInt)));
  Tensor f = ember::full({2}, rank == 0 ? -1.0 : 0.0, ember::kDouble);
  dist::all_reduce(f, dist::ReduceOp::AVG);
  REQUIRE(f.equal(ember::full({2}, -1.0 / size, ember::kDouble)));
}

TEST_CASE("dist: asynchronous all_reduce completes on wait()", "[dist]") {
  const int rank = dist::get_rank(), size = dist::get_world_size();
  std::vector<Tensor> ts;
  std::vector<std::shared_ptr<dist::Work>> works;
  for (int k = 0; k < 4; ++k) {
    ts.push_back(ember::full({1000}, double(rank + k), ember::kDouble));
    works.push_back(dist::all_reduce(ts.back(), dist::ReduceOp::SUM, /*async_op=*/true));
  }
  for (int k = 0; k < 4; ++k) {
    REQUIRE(works[k]->wait());
    REQUIRE(works[k]->isCompleted());
    REQUIRE(works[k]->isSuccess());
    REQUIRE(works[k]->exception() == nullptr);
    // sum over r of (r + k) = size (size - 1) / 2 + k size
    REQUIRE(ts[k].equal(ember::full({1000}, double(size * (size - 1) / 2 + k * size), ember::kDouble)));
    REQUIRE(works[k]->result().size() == 1);
    REQUIRE(works[k]->result()[0].data_ptr() == ts[k].data_ptr());
  }
}

TEST_CASE("dist: broadcast of every dtype from every root", "[dist]") {
  const int rank = dist::get_rank(), size = dist::get_world_size();
  for (int root = 0; root < size; ++root) {
    for (ScalarType dtype : kAllDtypes) {
      CAPTURE(root, dtype);
      Tensor t = contribution(rank, 5, dtype);
      dist::broadcast(t, root);
      REQUIRE(t.equal(contribution(root, 5, dtype)));
    }
  }
}

TEST_CASE("dist: all_gather of every dtype", "[dist]") {
  const int rank = dist::get_rank(), size = dist::get_world_size();
  for (ScalarType dtype : kAllDtypes) {
    CAPTURE(dtype);
    std::vector<Tensor> outs;
    for (int r = 0; r < size; ++r) outs.push_back(ember::zeros({2, 3}, dtype));
    dist::all_gather(outs, contribution(rank, 6, dtype).reshape({2, 3}));
    for (int r = 0; r < size; ++r) REQUIRE(outs[r].equal(contribution(r, 6, dtype).reshape({2, 3})));
  }
}

TEST_CASE("dist: _allgather_base fills one flat output", "[dist]") {
  const int rank = dist::get_rank(), size = dist::get_world_size();
  Tensor in = ember::full({3}, float(rank + 1), ember::kFloat);
  Tensor out = ember::zeros({size * 3}, ember::kFloat);
  dist::default_group()->_allgather_base(out, in)->wait();
  std::vector<double> want;
  for (int r = 0; r < size; ++r)
    for (int i = 0; i < 3; ++i) want.push_back(r + 1);
  REQUIRE(out.equal(ember::tensor(want, ember::kDouble).to(ember::kFloat)));
}

TEST_CASE("dist: reduce_scatter of every dtype with every ReduceOp", "[dist]") {
  const int rank = dist::get_rank(), size = dist::get_world_size();
  for (ScalarType dtype : kAllDtypes) {
    for (dist::ReduceOp op : kAllOps) {
      if (dtype == ember::kBool && op == dist::ReduceOp::AVG) continue;
      CAPTURE(dtype, int(op));
      // Chunk c of rank r is elements [4c, 4c + 4) of r's contribution of 4 * size elements.
      Tensor all = contribution(rank, 4 * size, dtype);
      std::vector<Tensor> inputs;
      for (int c = 0; c < size; ++c) inputs.push_back(all.slice(0, 4 * c, 4 * c + 4));
      Tensor out = ember::zeros({4}, dtype);
      dist::reduce_scatter(out, inputs, op);
      REQUIRE(out.equal(expected_reduction(4 * size, dtype, op, size).slice(0, 4 * rank, 4 * rank + 4)));
    }
  }
}

TEST_CASE("dist: _reduce_scatter_base with AVG", "[dist]") {
  const int rank = dist::get_rank(), size = dist::get_world_size();
  Tensor in = ember::arange(2 * size, ember::kDouble) + double(rank);
  Tensor out = ember::zeros({2}, ember::kDouble);
  dist::ReduceScatterOptions opts;
  opts.reduceOp = dist::ReduceOp::AVG;
  dist::default_group()->_reduce_scatter_base(out, in, opts)->wait();
  // element j: mean over r of (j + r) = j + (size - 1) / 2
  const double shift = (size - 1) / 2.0;
  REQUIRE(out.equal(ember::tensor({2 * rank + shift, 2 * rank + 1 + shift}, ember::kDouble)));
}

TEST_CASE("dist: barrier, send and recv", "[dist]") {
  const int rank = dist::get_rank(), size = dist::get_world_size();
  dist::barrier();
  REQUIRE(dist::barrier(/*async_op=*/true)->wait());
  // A ring: every rank sends its rank to the next and receives from the previous.
  const int next = (rank + 1) % size, prev = (rank + size - 1) % size;
  Tensor out = ember::full({4}, int64_t(rank * 10), ember::kLong);
  Tensor in = ember::zeros({4}, ember::kLong);
  auto pg = dist::default_group();
  std::vector<Tensor> outs{out}, ins{in};
  auto s = pg->send(outs, next, 5);
  auto r = pg->recv(ins, prev, 5);
  s->wait();
  r->wait();
  REQUIRE(in.equal(ember::full({4}, int64_t(prev * 10), ember::kLong)));
  // The free functions, between ranks 0 and 1 only.
  if (rank == 0) dist::send(ember::tensor({1.5, 2.5}, ember::kDouble), 1, 9);
  if (rank == 1) {
    Tensor got = ember::zeros({2}, ember::kDouble);
    REQUIRE(dist::recv(got, 0, 9) == 0);
    REQUIRE(got.equal(ember::tensor({1.5, 2.5}, ember::kDouble)));
  }
}

TEST_CASE("dist: non-contiguous tensors are reduced and written back", "[dist]") {
  const int rank = dist::get_rank(), size = dist::get_world_size();
  Tensor base = ember::full({3, 4}, double(rank + 1), ember::kDouble);
  Tensor t = base.t();  // [4, 3], not contiguous
  REQUIRE_FALSE(t.is_contiguous());
  dist::all_reduce(t, dist::ReduceOp::SUM);
  REQUIRE(base.equal(ember::full({3, 4}, double(size * (size + 1) / 2), ember::kDouble)));
  // A strided column as broadcast target and as send/recv buffer.
  Tensor m = ember::full({4, 2}, double(rank), ember::kDouble);
  Tensor col = m.select(1, 1);
  dist::broadcast(col, size - 1);
  REQUIRE(m.select(1, 1).equal(ember::full({4}, double(size - 1), ember::kDouble)));
  REQUIRE(m.select(1, 0).equal(ember::full({4}, double(rank), ember::kDouble)));
  // all_gather into non-contiguous outputs.
  std::vector<Tensor> outs;
  std::vector<Tensor> bases;
  for (int r = 0; r < size; ++r) {
    bases.push_back(ember::zeros({2, 2}, ember::kFloat));
    outs.push_back(bases.back().t());
  }
  dist::all_gather(outs, ember::tensor({1.0, 2.0, 3.0, 4.0}, ember::kFloat).reshape({2, 2}).t() + float(rank));
  for (int r = 0; r < size; ++r)
    REQUIRE(bases[r].equal(ember::tensor({1.0, 2.0, 3.0, 4.0}, ember::kFloat).reshape({2, 2}) + float(r)));
}
