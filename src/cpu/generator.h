#pragma once
// The CPU random generator. It reproduces PyTorch's CPU generator (mt19937 seeded as
// torch.manual_seed does, and the same transforms for uniform, normal and randint), so that
// ember::manual_seed(s); ember::randn(...) gives the same numbers as torch.manual_seed(s);
// torch.randn(...) for float32 and float64.
//
// The reference is PyTorch 1.13 running its AVX2 kernels (what an x86-64 build picks on any
// CPU with AVX2). Those kernels are compiled with -mfma, so GCC fuses a multiply feeding an add;
// generator.cpp writes those fusions as explicit std::fma so the numbers do not depend on how
// ember itself is compiled.
#include <cstdint>

namespace ember {

class CpuGenerator {
 public:
  static constexpr uint64_t kDefaultSeed = 67280421310721ULL;  // PyTorch's default CPU seed

  CpuGenerator() { seed(kDefaultSeed); }
  void seed(uint64_t s);
  uint64_t initial_seed() const { return seed_; }

  // Fill n contiguous values, as the matching torch call on a contiguous tensor would.
  void uniform(float* out, int64_t n, double low, double high);
  void uniform(double* out, int64_t n, double low, double high);
  void normal(float* out, int64_t n, double mean, double std);
  void normal(double* out, int64_t n, double mean, double std);
  // normal_ on a non-contiguous tensor: PyTorch then draws every element on its own (two
  // doubles per Box-Muller pair, second value cached), in memory order. out is that order.
  void normal_serial(float* out, int64_t n, double mean, double std);
  void normal_serial(double* out, int64_t n, double mean, double std);
  // Values in [low, high); needs low < high.
  void randint(int64_t* out, int64_t n, int64_t low, int64_t high);
  void randint(float* out, int64_t n, int64_t low, int64_t high);
  void randint(double* out, int64_t n, int64_t low, int64_t high);
  // torch.randperm(n) for n below 2^24 on the CPU (Fisher-Yates with random() % (n - i)).
  void randperm(int64_t* out, int64_t n);

  // The whole state as kStateSize int64 words, the layout of ember::get_rng_state():
  //   [0, 624)  the mt19937 state words (each in [0, 2^32))
  //   [624]     left: draws until the next twist (1..624)
  //   [625]     next: index of the next state word to temper (0..624)
  //   [626]     the seed given to seed(), as its uint64 bit pattern
  //   [627]     1 when a second Box-Muller value is cached for normal_double(), else 0
  //   [628]     that cached value, as its IEEE-754 double bit pattern
  static constexpr int kStateSize = 629;
  void get_state(int64_t* out) const;
  // Restores a state from get_state(); throws ember::Error (naming `what`) when the words
  // could not have come from a generator, leaving this one unchanged.
  void set_state(const int64_t* in, const char* what);

  uint32_t random();       // next 32 bits of mt19937
  uint64_t random64();     // two draws, first one high, as PyTorch's random64()
  double normal_double();  // one standard normal, PyTorch's at::normal_distribution<double>

 private:
  static constexpr int kN = 624;
  static constexpr int kM = 397;
  void twist();
  template <typename T>
  void uniform_impl(T* out, int64_t n, double low, double high);
  template <typename T>
  void randint_impl(T* out, int64_t n, int64_t low, int64_t high);
  template <typename T>
  void normal_serial_impl(T* out, int64_t n, double mean, double std);

  uint32_t state_[kN];
  int left_ = 1, next_ = 0;
  uint64_t seed_ = 0;
  bool have_next_normal_ = false;  // PyTorch caches the second Box-Muller value for scalar draws
  double next_normal_ = 0;
};

}  // namespace ember
