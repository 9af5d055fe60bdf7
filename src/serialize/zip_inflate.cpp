// Reading a deflated zip entry (method 8, raw deflate) with zlib, as carefully as the stored
// ones (zip_reader.cpp): the compressed bytes are read piece by piece from within the entry's
// extent, the output may never exceed the size the archive declares (that buffer is all a
// caller allocated: a zip bomb stops at its first byte too many), the stream must end exactly
// at the entry's end and fill the declared size, and the CRC-32 of the output must match.
#include <algorithm>
#include <vector>

#include "ember/error.h"
#include "zip.h"

#ifdef EMBER_HAVE_ZLIB
#include <zlib.h>
#endif

namespace ember {
namespace zip {

#ifdef EMBER_HAVE_ZLIB

namespace {
/// A raw-deflate zlib stream, ended however the reading ends.
struct Inflater {
  z_stream zs{};
  bool ok = false;
  Inflater() { ok = inflateInit2(&zs, -MAX_WBITS) == Z_OK; }  // negative window bits: no zlib header
  ~Inflater() {
    if (ok) inflateEnd(&zs);
  }
};
}  // namespace

void Reader::inflate(const Entry& entry, void* dst) const {
  const std::string what =
      detail::str("entry '", entry.name, "' (deflate, ", entry.compressed_size, " bytes to ", entry.size, ")");
  Inflater inf;
  if (!inf.ok) fail(what + ": zlib could not start a decoder (out of memory?)");
  z_stream& zs = inf.zs;
  constexpr uint64_t kPiece = uint64_t(1) << 20;
  constexpr uint64_t kMaxOut = uint64_t(1) << 30;  // zlib counts in 32-bit uInt
  std::vector<unsigned char> in(size_t(std::min(kPiece, entry.compressed_size)));
  auto* out = static_cast<unsigned char*>(dst);
  unsigned char spill;  // one byte past the declared size: any output there means too much
  uint64_t in_done = 0, out_done = 0;
  uint32_t crc = 0;
  int ret = Z_OK;
  while (ret != Z_STREAM_END) {
    if (zs.avail_in == 0) {
      if (in_done == entry.compressed_size)
        fail(what + " is corrupt: its deflate stream is cut short (it ends after " + std::to_string(out_done) +
             " bytes of output without its final block)");
      const size_t n = size_t(std::min(kPiece, entry.compressed_size - in_done));
      src_.read(entry.data_offset + in_done, in.data(), n);
      in_done += n;
      zs.next_in = in.data();
      zs.avail_in = uInt(n);
    }
    const bool full = out_done == entry.size;
    zs.next_out = full ? &spill : out + out_done;
    zs.avail_out = full ? 1 : uInt(std::min(kMaxOut, entry.size - out_done));
    const uInt room = zs.avail_out;
    ret = ::inflate(&zs, Z_NO_FLUSH);
    if (ret == Z_DATA_ERROR || ret == Z_NEED_DICT || ret == Z_STREAM_ERROR)
      fail(what + " is corrupt: zlib says '" + (zs.msg ? zs.msg : "invalid deflate data") + "'");
    if (ret == Z_MEM_ERROR) fail(what + ": zlib ran out of memory");
    const uInt produced = room - zs.avail_out;
    if (full && produced > 0)
      fail(what + " inflates to more than the " + std::to_string(entry.size) +
           " bytes the archive declares (corrupt, or a zip bomb)");
    if (!full) {
      crc = crc32(out + out_done, produced, crc);
      out_done += produced;
    }
  }
  if (out_done != entry.size)
    fail(what + " inflates to only " + std::to_string(out_done) + " bytes, not the " + std::to_string(entry.size) +
         " the archive declares");
  if (zs.avail_in != 0 || in_done != entry.compressed_size)
    fail(what + " has " + std::to_string(entry.compressed_size - (in_done - zs.avail_in)) +
         " bytes after the end of its deflate stream");
  check_crc(entry, crc);
}

#else

void Reader::inflate(const Entry& entry, void*) const { check_method(entry); }  // refuses: no zlib

#endif

}  // namespace zip
}  // namespace ember
