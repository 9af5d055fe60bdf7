// TEMPORARY (branch ddp): the base-class definitions of distributed.h until branch `dist` (which
// owns them) is merged; this file is deleted by that merge.
#include "../../check.h"
#include "ember/distributed.h"

namespace ember {
namespace distributed {
Work::~Work() = default;
void Work::synchronize() { wait(); }
std::vector<Tensor> Work::result() { return {}; }
ProcessGroup::ProcessGroup(int rank, int size) : rank_(rank), size_(size) {}
ProcessGroup::~ProcessGroup() = default;
std::shared_ptr<ProcessGroup> default_group() {
  EMBER_CHECK(false, "default_group: the default process group has not been initialized (init_process_group)");
  return nullptr;
}
}  // namespace distributed
}  // namespace ember
