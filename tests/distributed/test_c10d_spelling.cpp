// Programs written against c10d (pytorch/examples' dist-mnist) port through torch_compat.h:
// c10d::ProcessGroupMPI::createProcessGroupMPI(), ProcessGroup::Work, pg->allreduce(tensors).
#include <memory>
#include <vector>

#include <ember/torch_compat.h>

#include "../catch.h"

TEST_CASE("dist: c10d's ProcessGroupMPI spelling averages gradients as dist-mnist does", "[dist]") {
  std::shared_ptr<c10d::ProcessGroupMPI> pg = c10d::ProcessGroupMPI::createProcessGroupMPI();
  const int rank = pg->getRank(), size = pg->getSize();
  REQUIRE(pg->getBackendName() == "mpi");
  torch::Tensor grad = torch::full({3}, double(rank + 1), torch::kFloat);
  std::vector<std::shared_ptr<c10d::ProcessGroup::Work>> works;
  std::vector<torch::Tensor> tmp = {grad};
  works.push_back(pg->allreduce(tmp));
  for (auto& work : works) work->wait();
  // 1 + 2 + ... + size on every rank.
  REQUIRE(grad[0].item<float>() == float(size * (size + 1) / 2));

  // The ranks listed must be the whole job: ember has no sub-groups.
  std::vector<int> all(size_t(size), 0);
  for (int r = 0; r < size; ++r) all[size_t(r)] = size - 1 - r;
  REQUIRE(c10d::ProcessGroupMPI::createProcessGroupMPI(all)->getSize() == size);
  std::vector<int> one = {0};
  if (size > 1)
    REQUIRE_THROWS_WITH(c10d::ProcessGroupMPI::createProcessGroupMPI(one),
                        Catch::Matchers::Contains("a sub-group of 1 ranks is not supported"));
}
