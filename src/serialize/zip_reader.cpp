// The zip reader of .pt files (zip.h). Every number the archive gives (offsets, sizes, counts)
// is checked against the file size and the central directory's extent before it is used, so a
// truncated, corrupt or hostile archive is an ember::Error naming the file and the rule broken.
// Layout (PKWARE APPNOTE): entries, each a local header then its data; the central directory
// (one record per entry); for ZIP64 archives a ZIP64 end record and its locator; the end of
// central directory record (EOCD), possibly followed by a comment.
#include <algorithm>
#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "ember/error.h"
#include "zip.h"

namespace ember {
namespace zip {

namespace {

constexpr uint32_t kLocalSig = 0x04034b50, kCentralSig = 0x02014b50, kEocdSig = 0x06054b50;
constexpr uint32_t kZip64EocdSig = 0x06064b50, kZip64LocatorSig = 0x07064b50;
constexpr size_t kEocdSize = 22, kCentralSize = 46, kLocalSize = 30, kZip64LocatorSize = 20, kZip64EocdSize = 56;
constexpr size_t kMaxComment = 0xFFFF;
constexpr uint64_t kMaxDeflateRatio = 1032;

uint16_t u16(const unsigned char* p) { return uint16_t(p[0] | (p[1] << 8)); }
uint32_t u32(const unsigned char* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
uint64_t u64(const unsigned char* p) { return uint64_t(u32(p)) | uint64_t(u32(p + 4)) << 32; }

// Slicing-by-8 tables: the CRC of a 100 MB checkpoint costs well under a read of it.
struct CrcTables {
  std::array<std::array<uint32_t, 256>, 8> t{};
  CrcTables() {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; ++i)
      for (size_t s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
  }
};

uint32_t crc32_table(const unsigned char* p, size_t n, uint32_t crc) {
  static const CrcTables tables;
  const auto& t = tables.t;
  crc = ~crc;
  while (n >= 8) {
    const uint32_t lo = crc ^ u32(p), hi = u32(p + 4);
    crc = t[7][lo & 0xFF] ^ t[6][(lo >> 8) & 0xFF] ^ t[5][(lo >> 16) & 0xFF] ^ t[4][lo >> 24] ^ t[3][hi & 0xFF] ^
          t[2][(hi >> 8) & 0xFF] ^ t[1][(hi >> 16) & 0xFF] ^ t[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n--) crc = t[0][(crc ^ *p++) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

#if defined(__x86_64__)
// Carry-less multiplication folding (PCLMULQDQ), several times faster than the tables: the
// checksum of a 100 MB checkpoint would otherwise cost more than reading it.
//
// The math, in the bit order zip uses (bit i of a 16-byte block, loaded little-endian, is the
// coefficient of x^(127-i)): a block A, D bits before the end of the data, contributes
// A(x) x^D mod P. Split A into its register halves L (bits 0-63, the high-degree half) and H:
// A x^D = L x^(D+64) + H x^D. A carry-less multiply of two such 64-bit halves yields their
// product times x (the bit order shifts it by one), so L * K(D+63) + H * K(D-1), with
// K(n) = x^n mod P written in the same bit order, is congruent to A x^D and 96 bits wide: it
// can be added (xor) to the block D bits later. Folding everything down to one 16-byte block
// leaves the same remainder, which the tables finish.
uint64_t fold_constant(int n) {
  uint64_t r = 1;  // x^n mod P, bit d = coefficient of x^d
  for (int i = 0; i < n; ++i) {
    r <<= 1;
    if (r & (uint64_t(1) << 32)) r ^= 0x104C11DB7;
  }
  uint64_t k = 0;  // the same polynomial with bit 63-d = coefficient of x^d
  for (int d = 0; d < 32; ++d)
    if (r >> d & 1) k |= uint64_t(1) << (63 - d);
  return k;
}

__attribute__((target("pclmul,sse4.1"))) __m128i fold(__m128i x, __m128i k) {
  return _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11));
}

// Needs n >= 64; returns the CRC of the first n rounded down to 16 bytes and leaves the rest.
__attribute__((target("pclmul,sse4.1"))) uint32_t crc32_clmul(const unsigned char*& p, size_t& n, uint32_t crc) {
  static const uint64_t k512_lo = fold_constant(512 + 63), k512_hi = fold_constant(512 - 1);
  static const uint64_t k128_lo = fold_constant(128 + 63), k128_hi = fold_constant(128 - 1);
  const __m128i k512 = _mm_set_epi64x(int64_t(k512_hi), int64_t(k512_lo));
  const __m128i k128 = _mm_set_epi64x(int64_t(k128_hi), int64_t(k128_lo));
  auto load = [](const unsigned char* q) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(q)); };
  // The running CRC enters as the first four bytes xor its complement (what the tables do).
  __m128i x1 = _mm_xor_si128(load(p), _mm_cvtsi32_si128(int(~crc))), x2 = load(p + 16), x3 = load(p + 32),
          x4 = load(p + 48);
  p += 64;
  n -= 64;
  for (; n >= 64; p += 64, n -= 64) {
    x1 = _mm_xor_si128(fold(x1, k512), load(p));
    x2 = _mm_xor_si128(fold(x2, k512), load(p + 16));
    x3 = _mm_xor_si128(fold(x3, k512), load(p + 32));
    x4 = _mm_xor_si128(fold(x4, k512), load(p + 48));
  }
  x1 = _mm_xor_si128(fold(x1, k128), x2);
  x1 = _mm_xor_si128(fold(x1, k128), x3);
  x1 = _mm_xor_si128(fold(x1, k128), x4);
  for (; n >= 16; p += 16, n -= 16) x1 = _mm_xor_si128(fold(x1, k128), load(p));
  // x1 is a 16-byte message with the same remainder: its plain CRC (no initial or final
  // complement) is the state after all the bytes folded so far.
  unsigned char last[16];
  _mm_storeu_si128(reinterpret_cast<__m128i*>(last), x1);
  return crc32_table(last, 16, ~0u);
}
#endif

}  // namespace

uint32_t crc32(const void* data, size_t n, uint32_t crc) {
  const auto* p = static_cast<const unsigned char*>(data);
#if defined(__x86_64__)
  static const bool clmul = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
  if (clmul && n >= 64) crc = crc32_clmul(p, n, crc);
#endif
  return crc32_table(p, n, crc);
}

void Reader::fail(const std::string& what) const { throw Error(detail::str(who_, ": '", file_, "': ", what)); }

Reader::Reader(ByteSource src, std::string file, std::string who)
    : src_(std::move(src)), file_(std::move(file)), who_(std::move(who)) {
  const uint64_t size = src_.size;
  if (size < kEocdSize)
    fail(detail::str("the file is ", size, " bytes, too short for a zip archive (a .pt file is one)"));

  // The EOCD is the last 22 bytes unless a comment follows it: search back at most 64 KiB.
  const uint64_t tail_len = std::min<uint64_t>(size, kEocdSize + kMaxComment);
  std::vector<unsigned char> tail(static_cast<size_t>(tail_len));
  src_.read(size - tail_len, tail.data(), tail.size());
  int64_t at = -1;
  for (int64_t i = int64_t(tail_len) - int64_t(kEocdSize); i >= 0; --i) {
    const unsigned char* p = &tail[size_t(i)];
    if (u32(p) == kEocdSig && uint64_t(i) + kEocdSize + u16(p + 20) == tail_len) {
      at = i;
      break;
    }
  }
  if (at < 0) fail("no end of central directory record: not a zip archive, or a truncated one");
  const unsigned char* e = &tail[size_t(at)];
  const uint64_t eocd_pos = size - tail_len + uint64_t(at);
  if (u16(e + 4) != 0 || u16(e + 6) != 0 || u16(e + 8) != u16(e + 10))
    fail("the archive spans several disks, which .pt files never do");
  uint64_t count = u16(e + 10), cd_size = u32(e + 12), cd_offset = u32(e + 16);
  uint64_t cd_end_limit = eocd_pos;  // the directory must end before the records that follow it

  // ZIP64: an EOCD field at its maximum means "see the ZIP64 end record", found via the locator.
  if (count == 0xFFFF || cd_size == 0xFFFFFFFF || cd_offset == 0xFFFFFFFF) {
    if (eocd_pos < kZip64LocatorSize) fail("the end record points to ZIP64 records that are missing");
    unsigned char loc[kZip64LocatorSize];
    src_.read(eocd_pos - kZip64LocatorSize, loc, sizeof loc);
    if (u32(loc) != kZip64LocatorSig) fail("the end record points to a ZIP64 locator that is missing");
    const uint64_t z64 = u64(loc + 8);
    if (z64 > eocd_pos - kZip64LocatorSize || eocd_pos - kZip64LocatorSize - z64 < kZip64EocdSize)
      fail(detail::str("the ZIP64 end record's offset ", z64, " is outside the file"));
    unsigned char r[kZip64EocdSize];
    src_.read(z64, r, sizeof r);
    if (u32(r) != kZip64EocdSig) fail(detail::str("no ZIP64 end record at offset ", z64));
    if (u64(r + 24) != u64(r + 32)) fail("the archive spans several disks, which .pt files never do");
    count = u64(r + 32);
    cd_size = u64(r + 40);
    cd_offset = u64(r + 48);
    cd_end_limit = z64;
  }
  if (cd_offset > cd_end_limit || cd_size > cd_end_limit - cd_offset)
    fail(detail::str("the central directory (", cd_size, " bytes at offset ", cd_offset,
                     ") runs past the end records at offset ", cd_end_limit, " (truncated or corrupt archive)"));
  if (count > cd_size / kCentralSize)
    fail(detail::str("the end record counts ", count, " entries, more than a ", cd_size,
                     "-byte central directory can hold"));

  std::vector<unsigned char> cd(static_cast<size_t>(cd_size));
  if (!cd.empty()) src_.read(cd_offset, cd.data(), cd.size());
  size_t pos = 0;
  entries_.reserve(size_t(count));
  for (uint64_t k = 0; k < count; ++k) {
    if (cd.size() - pos < kCentralSize) fail(detail::str("central directory record ", k, " is truncated"));
    const unsigned char* c = &cd[pos];
    if (u32(c) != kCentralSig) fail(detail::str("central directory record ", k, " has a bad signature"));
    const uint16_t flags = u16(c + 8), method = u16(c + 10);
    const size_t name_len = u16(c + 28), extra_len = u16(c + 30), comment_len = u16(c + 32);
    if (cd.size() - pos - kCentralSize < name_len + extra_len + comment_len)
      fail(detail::str("central directory record ", k, " runs past the directory"));
    Entry en;
    en.name.assign(reinterpret_cast<const char*>(c + kCentralSize), name_len);
    en.crc32 = u32(c + 16);
    uint64_t csize = u32(c + 20), usize = u32(c + 24), local = u32(c + 42);
    // The ZIP64 extra field holds, in this order, those of the three that are at their maximum.
    const unsigned char* x = c + kCentralSize + name_len;
    for (size_t xp = 0; xp + 4 <= extra_len;) {
      const uint16_t id = u16(x + xp), len = u16(x + xp + 2);
      if (xp + 4 + len > extra_len) fail(detail::str("entry '", en.name, "' has a truncated extra field"));
      if (id == 0x0001) {
        const unsigned char* f = x + xp + 4;
        size_t fp = 0;
        auto take = [&](uint64_t& v) {
          if (v != 0xFFFFFFFF) return;
          if (fp + 8 > len) fail(detail::str("entry '", en.name, "' has a truncated ZIP64 extra field"));
          v = u64(f + fp);
          fp += 8;
        };
        take(usize);
        take(csize);
        take(local);
      }
      xp += 4 + len;
    }
    pos += kCentralSize + name_len + extra_len + comment_len;

    if (flags & 1) fail(detail::str("entry '", en.name, "' is encrypted"));
    if (method == 0 && csize != usize)
      fail(detail::str("entry '", en.name, "' is stored but its sizes differ (", csize, " and ", usize, " bytes)"));
    // Deflate expands at most 1032 to 1 (a 258-byte match per 2 bits, plus block headers), so a
    // larger declared size is a lie, and a reader that allocated it would be a zip bomb's prey.
    if (method == 8 && usize / kMaxDeflateRatio > csize)
      fail(detail::str("entry '", en.name, "' declares ", usize, " bytes inflated from ", csize,
                       " compressed bytes, more than deflate can produce (at most ", kMaxDeflateRatio, " to 1)"));
    en.method = method;
    en.size = usize;
    en.compressed_size = csize;

    // The local header repeats the name; its own sizes may be zero (a data descriptor follows).
    if (local > cd_offset || cd_offset - local < kLocalSize)
      fail(detail::str("entry '", en.name, "': its local header offset ", local, " is outside the entries' area"));
    unsigned char lh[kLocalSize];
    src_.read(local, lh, sizeof lh);
    if (u32(lh) != kLocalSig) fail(detail::str("entry '", en.name, "': no local header at offset ", local));
    if (u16(lh + 26) != name_len) fail(detail::str("entry '", en.name, "': its local header names another file"));
    const uint64_t data = local + kLocalSize + u16(lh + 26) + u16(lh + 28);
    if (data > cd_offset || en.compressed_size > cd_offset - data)
      fail(detail::str("entry '", en.name, "' (", en.compressed_size, " bytes at offset ", data,
                       ") runs into the central directory or past the end of the file"));
    std::string local_name(name_len, '\0');
    if (name_len) src_.read(local + kLocalSize, &local_name[0], name_len);
    if (local_name != en.name) fail(detail::str("entry '", en.name, "': its local header names '", local_name, "'"));
    en.data_offset = data;
    if (!index_.emplace(en.name, entries_.size()).second) fail(detail::str("entry '", en.name, "' occurs twice"));
    entries_.push_back(std::move(en));
  }
}

const Entry* Reader::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &entries_[it->second];
}

void Reader::check_method(const Entry& entry) const {
  if (entry.method != 0 && entry.method != 8)
    fail(detail::str("entry '", entry.name, "' uses compression method ", entry.method,
                     " (only stored, 0, and deflate, 8, are read)"));
#ifndef EMBER_HAVE_ZLIB
  if (entry.method == 8)
    fail(detail::str("entry '", entry.name,
                     "' is deflate-compressed; this ember was built without zlib (install zlib's development files "
                     "and rebuild, or re-save the file with torch.save, which stores entries uncompressed)"));
#endif
}

void Reader::read(const Entry& entry, void* dst) const {
  check_method(entry);
  if (entry.method == 8) return inflate(entry, dst);
  // Read and checksum in pieces, each while it is still in the cache: one pass over memory.
  constexpr size_t kPiece = size_t(1) << 20;
  auto* p = static_cast<char*>(dst);
  uint32_t crc = 0;
  for (uint64_t done = 0; done < entry.size;) {
    const size_t n = size_t(std::min<uint64_t>(kPiece, entry.size - done));
    src_.read(entry.data_offset + done, p + done, n);
    crc = crc32(p + done, n, crc);
    done += n;
  }
  check_crc(entry, crc);
}

void Reader::check_crc(const Entry& entry, uint32_t crc) const {
  if (crc != entry.crc32)
    fail(detail::str("entry '", entry.name, "' is corrupt: its CRC-32 is ", crc, " but the archive records ",
                     entry.crc32));
}

std::string Reader::read(const Entry& entry) const {
  std::string s(size_t(entry.size), '\0');
  read(entry, s.empty() ? nullptr : &s[0]);
  return s;
}

}  // namespace zip
}  // namespace ember
