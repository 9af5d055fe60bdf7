#pragma once
// The CPU random generator. It reproduces PyTorch's CPU generator (mt19937 seeded as
// torch.manual_seed does, and the same transforms for uniform, normal and randint), so that
// ember::manual_seed(s); ember::randn(...) gives the same numbers as torch.manual_seed(s);
// torch.randn(...) for float32 and float64.
#include <cstdint>

namespace ember {

class CpuGenerator {
 public:
  CpuGenerator() { seed(67280421310721ULL); }  // PyTorch's default CPU seed
  void seed(uint64_t s);
  // Fill n contiguous values, as the matching torch call on a contiguous tensor would.
  void uniform(float* out, int64_t n, double low, double high);
  void uniform(double* out, int64_t n, double low, double high);
  void normal(float* out, int64_t n, double mean, double std);
  void normal(double* out, int64_t n, double mean, double std);
  void randint(int64_t* out, int64_t n, int64_t low, int64_t high);
  void randint(float* out, int64_t n, int64_t low, int64_t high);
  void randint(double* out, int64_t n, int64_t low, int64_t high);
  uint32_t random();      // next 32 bits of mt19937
  uint64_t random64();    // two draws, as PyTorch's random64()

 private:
  static constexpr int kN = 624;
  uint32_t state_[kN];
  int left_ = 1, next_ = 0;
  uint64_t seed_ = 0;
  bool have_next_normal_ = false;  // PyTorch caches the second Box-Muller value for scalar draws
  double next_normal_ = 0;
};

}  // namespace ember
