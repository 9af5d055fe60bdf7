// set_num_threads is process-wide: a count set on one thread is the count ember's kernels use
// on every thread, so work moved to a std::thread gives the same bits as on the caller.
#include "helpers.h"

#include <cstring>
#include <thread>

using namespace ember;
namespace F = ember::nn::functional;

namespace {

// The weight gradient of a convolution: each thread sums its share of the batch into its own
// partial and the partials are added at the end, so its last bits follow the thread count
// (docs/determinism.md). Large enough to run on more than one thread.
Tensor conv_weight_grad() {
  manual_seed(7);
  Tensor x = randn({64, 3, 32, 32});
  Tensor w = randn({16, 3, 3, 3}).requires_grad_();
  F::conv2d(x, w, F::Conv2dFuncOptions().padding(1)).sum().backward();
  return w.grad();
}

}  // namespace

TEST_CASE("threads: set_num_threads applies to ember work on other std::threads", "[threads]") {
  const int before = get_num_threads();
  // A count different from the default, so a thread still on the default would show it.
  const int want = before == 1 ? 2 : 1;
  set_num_threads(want);
  const Tensor here = conv_weight_grad();

  int seen = 0;
  Tensor there;
  std::thread worker([&] {
    seen = get_num_threads();
    there = conv_weight_grad();
  });
  worker.join();
  set_num_threads(before);

  CHECK(seen == want);
  REQUIRE(here.sizes() == there.sizes());
  CHECK(std::memcmp(here.data_ptr<float>(), there.data_ptr<float>(), size_t(here.numel()) * sizeof(float)) == 0);
  CHECK(get_num_threads() == before);
}
