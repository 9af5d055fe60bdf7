#pragma once
// The argument rules of c10d's collectives that do not depend on the backend (PyTorch's words):
// one list per process, a root inside the group, one tensor per rank in gather/scatter lists,
// and the sizes the flat (_base) forms need. Each backend checks its own device and layout of
// every tensor through `check_tensor` before these rules compare them.
#include <cstdint>
#include <vector>

#include "../check.h"
#include "ember/distributed.h"

namespace ember {
namespace distributed {

inline void check_root(const char* op, const BroadcastOptions& opts, int size) {
  EMBER_CHECK(opts.rootRank >= 0 && opts.rootRank < size, op, ": rootRank ", opts.rootRank,
              " is out of range for a group of ", size, " processes (expected 0 <= rootRank < ", size, ")");
  EMBER_CHECK(opts.rootTensor == 0, op, ": rootTensor ", opts.rootTensor,
              " is out of range: the backend takes one tensor per process");
}

/// lists holds one list (`what`: "output" or "input") of `size` tensors, each of `like`'s sizes
/// and dtype; returns it.
template <typename CheckTensor>
const std::vector<Tensor>& check_rank_list(const char* op, const char* what,
                                           const std::vector<std::vector<Tensor>>& lists, const Tensor& like, int size,
                                           CheckTensor check_tensor) {
  EMBER_CHECK(lists.size() == 1, op, ": process groups do not support multi-GPU collectives (expected one list of ",
              what, " tensors, got ", lists.size(), ")");
  const std::vector<Tensor>& list = lists[0];
  EMBER_CHECK(int64_t(list.size()) == size, op, ": number of ", what, " tensors should equal to the world size (got ",
              list.size(), " ", what, " tensors for a group of ", size, " processes)");
  for (size_t i = 0; i < list.size(); ++i) {
    check_tensor(op, list[i]);
    EMBER_CHECK(list[i].sizes() == like.sizes() && list[i].dtype() == like.dtype(), op,
                ": Tensors are not equal in size or data type: ", what, " tensor ", i, " is ", describe(list[i]),
                ", the ", what[0] == 'o' ? "input" : "output", " is ", describe(like));
  }
  return list;
}

/// _allgather_base: output holds size x input's elements, of input's dtype.
inline void check_allgather_base(const char* op, const Tensor& output, const Tensor& input, int size) {
  EMBER_CHECK(output.dtype() == input.dtype(), op, ": output tensor must have the same type as input tensor (output ",
              describe(output), ", input ", describe(input), ")");
  EMBER_CHECK(output.numel() == input.numel() * size, op,
              ": output tensor size must be equal to world_size times input tensor size (output ", describe(output),
              ", input ", describe(input), ", world size ", size, ")");
}

/// _reduce_scatter_base: input holds size x output's elements, of output's dtype.
inline void check_reduce_scatter_base(const char* op, const Tensor& output, const Tensor& input, int size) {
  EMBER_CHECK(output.dtype() == input.dtype(), op, ": input tensor must be the same type as the output tensor (",
              describe(input), " vs ", describe(output), ")");
  EMBER_CHECK(input.numel() == output.numel() * size, op,
              ": input tensor must be the same size as output size times world size (input ", describe(input),
              ", output ", describe(output), ", world size ", size, ")");
}

}  // namespace distributed
}  // namespace ember
