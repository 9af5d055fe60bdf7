#pragma once
// numpy's np.random.default_rng(seed).permutation(n), bit for bit: SeedSequence's entropy pool
// and state words, PCG64 (XSL-RR 128/64) seeded from them, and Generator.shuffle's
// Fisher-Yates with masked rejection sampling (random_interval, 32-bit draws from a buffered
// 64-bit output while the bound fits). train_cifar --data-format images uses it to put an image
// folder in the order in which ../shared/data/cifar10_to_bin.py wrote CIFAR-10's binary batches
// (default_rng(20261127).permutation of the sorted file list), so both formats train and
// validate on the same images in the same order.
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace cifar {

inline std::vector<int64_t> numpy_permutation(uint64_t seed, int64_t n) {
  // SeedSequence(seed): the seed's 32-bit words hashed into a pool of 4, mixed, then 8 state words.
  constexpr uint32_t kInitA = 0x43b0d7e5, kMultA = 0x931e8875, kInitB = 0x8b51f9dd, kMultB = 0x58f38ded;
  constexpr uint32_t kMixL = 0xca01f9dd, kMixR = 0x4973f715;
  std::vector<uint32_t> entropy;
  for (uint64_t s = seed; s != 0 || entropy.empty(); s >>= 32) entropy.push_back(uint32_t(s));
  uint32_t hash_const = kInitA;
  auto hashmix = [&](uint32_t value) {
    value ^= hash_const;
    hash_const *= kMultA;
    value *= hash_const;
    return value ^ (value >> 16);
  };
  auto mix = [](uint32_t x, uint32_t y) {
    uint32_t r = kMixL * x - kMixR * y;
    return r ^ (r >> 16);
  };
  uint32_t pool[4];
  for (size_t i = 0; i < 4; ++i) pool[i] = hashmix(i < entropy.size() ? entropy[i] : 0);
  for (size_t src = 0; src < 4; ++src)
    for (size_t dst = 0; dst < 4; ++dst)
      if (src != dst) pool[dst] = mix(pool[dst], hashmix(pool[src]));
  for (size_t src = 4; src < entropy.size(); ++src)
    for (size_t dst = 0; dst < 4; ++dst) pool[dst] = mix(pool[dst], hashmix(entropy[src]));
  uint32_t words[8];
  uint32_t hash_b = kInitB;
  for (size_t i = 0; i < 8; ++i) {
    uint32_t v = pool[i % 4] ^ hash_b;
    hash_b *= kMultB;
    v *= hash_b;
    words[i] = v ^ (v >> 16);
  }
  uint64_t s64[4];
  for (size_t i = 0; i < 4; ++i) s64[i] = uint64_t(words[2 * i]) | uint64_t(words[2 * i + 1]) << 32;

  // PCG64: state and increment from (s64[0]:s64[1]) and (s64[2]:s64[3]), high word first.
  using u128 = unsigned __int128;
  const u128 mult = (u128(0x2360ED051FC65DA4ull) << 64) | 0x4385DF649FCCF645ull;
  u128 state = 0;
  const u128 inc = (((u128(s64[2]) << 64) | s64[3]) << 1) | 1;
  auto step = [&] { state = state * mult + inc; };
  step();
  state += (u128(s64[0]) << 64) | s64[1];
  step();
  auto next64 = [&] {
    step();
    const uint64_t x = uint64_t(state >> 64) ^ uint64_t(state);
    const unsigned rot = unsigned(state >> 122);
    return (x >> rot) | (x << ((64 - rot) & 63));
  };
  bool has32 = false;
  uint32_t buffered = 0;
  auto next32 = [&]() -> uint32_t {
    if (has32) {
      has32 = false;
      return buffered;
    }
    const uint64_t v = next64();
    has32 = true;
    buffered = uint32_t(v >> 32);
    return uint32_t(v);
  };
  auto interval = [&](uint64_t max) -> uint64_t {
    if (max == 0) return 0;
    uint64_t mask = max;
    for (int s : {1, 2, 4, 8, 16, 32}) mask |= mask >> s;
    uint64_t v;
    if (max <= 0xffffffffull) {
      while ((v = (next32() & mask)) > max) {
      }
    } else {
      while ((v = (next64() & mask)) > max) {
      }
    }
    return v;
  };
  std::vector<int64_t> p(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) p[size_t(i)] = i;
  for (int64_t i = n - 1; i >= 1; --i) std::swap(p[size_t(i)], p[size_t(interval(uint64_t(i)))]);
  return p;
}

}  // namespace cifar
