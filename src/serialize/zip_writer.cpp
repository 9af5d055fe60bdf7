// The zip writer of .pt files (zip.h): the layout PyTorch's writer produces, which Python's
// torch.load and ember's reader both read.
#include <limits>

#include "ember/error.h"
#include "zip.h"

namespace ember {
namespace zip {

namespace {

constexpr uint64_t kAlign = 64;  // PyTorch aligns each entry's data so it can be mapped in place

void le(std::string& s, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) s += char((v >> (8 * i)) & 0xFF);
}

}  // namespace

void Writer::put(const std::string& bytes) {
  sink_(bytes.data(), bytes.size());
  pos_ += bytes.size();
}

void Writer::add(const std::string& name, const void* data, size_t n) {
  // Local header, then an "FB" extra field padding the data to the next multiple of 64.
  const uint64_t header_end = pos_ + 30 + name.size() + 4;
  const uint64_t pad = (kAlign - header_end % kAlign) % kAlign;
  const uint64_t end = header_end + pad + n;
  EMBER_CHECK(end < std::numeric_limits<uint32_t>::max(), "save_pt: the archive would exceed 4 GiB at '", name,
              "'; ember writes no ZIP64 records (save as safetensors instead)");
  const uint32_t crc = crc32(data, n);
  std::string h;
  le(h, 0x04034b50, 4);
  le(h, 20, 2);    // version needed
  le(h, 0, 2);     // flags
  le(h, 0, 2);     // stored
  le(h, 0, 2);     // time
  le(h, 0x21, 2);  // date: 1980-01-01, as PyTorch's writer
  le(h, crc, 4);
  le(h, n, 4);
  le(h, n, 4);
  le(h, name.size(), 2);
  le(h, 4 + pad, 2);
  h += name;
  le(h, 0x4246, 2);  // "FB"
  le(h, pad, 2);
  h.append(size_t(pad), 'Z');
  records_.push_back({name, crc, uint32_t(n), uint32_t(pos_)});
  put(h);
  sink_(data, n);
  pos_ += n;
}

void Writer::finish() {
  const uint64_t cd_offset = pos_;
  std::string cd;
  for (const Record& r : records_) {
    le(cd, 0x02014b50, 4);
    le(cd, 20, 2);  // made by
    le(cd, 20, 2);  // needed
    le(cd, 0, 2);
    le(cd, 0, 2);
    le(cd, 0, 2);
    le(cd, 0x21, 2);
    le(cd, r.crc, 4);
    le(cd, r.size, 4);
    le(cd, r.size, 4);
    le(cd, r.name.size(), 2);
    le(cd, 0, 2);  // extra
    le(cd, 0, 2);  // comment
    le(cd, 0, 2);  // disk
    le(cd, 0, 2);  // internal attributes
    le(cd, 0, 4);  // external attributes
    le(cd, r.offset, 4);
    cd += r.name;
  }
  EMBER_CHECK(records_.size() < 0xFFFF && cd_offset + cd.size() < std::numeric_limits<uint32_t>::max(),
              "save_pt: the archive would need ZIP64 records (", records_.size(),
              " entries), which ember does not write (save as safetensors instead)");
  const uint64_t dir_size = cd.size();
  le(cd, 0x06054b50, 4);
  le(cd, 0, 2);  // this disk
  le(cd, 0, 2);  // the directory's disk
  le(cd, records_.size(), 2);
  le(cd, records_.size(), 2);
  le(cd, dir_size, 4);
  le(cd, cd_offset, 4);
  le(cd, 0, 2);  // comment
  put(cd);
}

}  // namespace zip
}  // namespace ember
