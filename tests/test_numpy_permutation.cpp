// tools/numpy_permutation.h against numpy 1.24's own output (python3: numpy.random.default_rng(s)
// .permutation(n)), the order train_cifar --data-format images gives an image folder.
#include <cstdint>
#include <vector>

#include "../tools/numpy_permutation.h"
#include "catch.h"

TEST_CASE("numpy_permutation: numpy's default_rng(seed).permutation(n), bit for bit", "[data]") {
  // np.random.default_rng(20261127).permutation(10)
  CHECK(cifar::numpy_permutation(20261127, 10) == std::vector<int64_t>{3, 6, 2, 0, 5, 9, 1, 8, 7, 4});
  // np.random.default_rng(20261127).permutation(50000)[:8], and a hash of all of it:
  // h = 0; for v in p: h = (h * 1000003 + v) % 2**64
  const std::vector<int64_t> p = cifar::numpy_permutation(20261127, 50000);
  CHECK(std::vector<int64_t>(p.begin(), p.begin() + 8) ==
        std::vector<int64_t>{122, 48979, 21947, 14874, 34932, 15121, 6555, 11705});
  uint64_t h = 0;
  for (int64_t v : p) h = h * 1000003ull + uint64_t(v);
  CHECK(h == 7791414331201706112ull);
  CHECK(cifar::numpy_permutation(7, 1) == std::vector<int64_t>{0});
  CHECK(cifar::numpy_permutation(7, 0).empty());
}
