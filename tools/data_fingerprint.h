#pragma once
// A cheap fingerprint of a data file, recorded in train_cifar's checkpoints so that a resume on
// other data is noticed: the file's size and a 64-bit FNV-1a hash of a sample of it. The sample
// is the size (8 bytes, little-endian), then 16 blocks of 64 KiB spread evenly from the file's
// first byte to its last (the whole file when it holds at most 1 MiB). It reads at most 1 MiB of
// a file, so it sees a replaced, truncated, extended or reshuffled file (CIFAR-10's records are
// 3 KiB, so every block covers 21 of them), but not every single changed byte.
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "ember/error.h"

namespace cifar {

/// "30730000 bytes, fnv1a64 sample 0123456789abcdef" for the file at `path`.
inline std::string data_fingerprint(const std::string& path) {
  constexpr int64_t kBlock = 64 * 1024;
  constexpr int64_t kBlocks = 16;
  auto fail = [&](const char* what) {
    return ember::Error("data fingerprint: cannot " + std::string(what) + " '" + path + "': " + std::strerror(errno));
  };
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) throw fail("open");
  int64_t size = -1;
  if (std::fseek(f, 0, SEEK_END) == 0) size = std::ftell(f);
  if (size < 0) {
    std::fclose(f);
    throw fail("measure");
  }
  uint64_t h = 14695981039346656037ull;  // FNV-1a 64's offset basis and prime
  auto mix = [&h](const unsigned char* p, size_t n) {
    for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  };
  unsigned char size_bytes[8];
  for (int i = 0; i < 8; ++i) size_bytes[i] = static_cast<unsigned char>(uint64_t(size) >> (8 * i));
  mix(size_bytes, 8);
  std::vector<unsigned char> buf(kBlock);
  const bool whole = size <= kBlock * kBlocks;
  const int64_t block = whole ? size : kBlock;
  for (int64_t k = 0; k < (whole ? 1 : kBlocks); ++k) {
    const int64_t offset = whole ? 0 : (size - kBlock) * k / (kBlocks - 1);
    buf.resize(size_t(block));
    if (std::fseek(f, long(offset), SEEK_SET) != 0 || std::fread(buf.data(), 1, buf.size(), f) != buf.size()) {
      std::fclose(f);
      throw fail("read");
    }
    mix(buf.data(), buf.size());
  }
  std::fclose(f);
  char text[80];
  std::snprintf(text, sizeof text, "%lld bytes, fnv1a64 sample %016llx", (long long)size, (unsigned long long)h);
  return text;
}

/// "150000000 bytes, fnv1a64 ..." of a tensor's bytes (the decoded images of --data-format
/// images: the same pictures in the same order give the same text, whatever the files' bytes).
inline std::string bytes_fingerprint(const void* data, int64_t size) {
  uint64_t h = 14695981039346656037ull;
  const auto* p = static_cast<const unsigned char*>(data);
  for (int64_t i = 0; i < size; ++i) h = (h ^ p[i]) * 1099511628211ull;
  char text[80];
  std::snprintf(text, sizeof text, "%lld bytes, fnv1a64 %016llx", (long long)size, (unsigned long long)h);
  return text;
}

}  // namespace cifar
