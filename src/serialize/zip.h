#pragma once
// The zip archives of PyTorch's .pt files: a reader that trusts nothing in the file, and the
// writer of torch.save's layout. torch.save stores its entries uncompressed; deflated ones (a
// .pt re-compressed by a zip tool, TorchScript's code/ records) are inflated with zlib when ember
// is built with it (zip_inflate.cpp), and refused with a message otherwise.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace ember {
namespace zip {

/// CRC-32 (the zip and PNG polynomial) of `n` bytes, continuing from `crc` (0 to start).
uint32_t crc32(const void* data, size_t n, uint32_t crc = 0);

/// Where an archive's bytes come from (a file read piece by piece, or memory): `read` fetches
/// exactly n bytes at offset, and is only asked for bytes inside [0, size).
struct ByteSource {
  uint64_t size = 0;
  std::function<void(uint64_t offset, void* dst, size_t n)> read;
};

struct Entry {
  std::string name;
  uint64_t data_offset = 0;      // where the entry's bytes start in the archive
  uint64_t size = 0;             // of the entry's data (uncompressed): what read() writes
  uint64_t compressed_size = 0;  // of its bytes in the archive (size, for a stored entry)
  uint32_t crc32 = 0;            // of the uncompressed data
  uint16_t method = 0;           // 0 stored, 8 deflate; others are refused when read
};

class Reader {
 public:
  /// Reads and checks the whole central directory and every entry's local header: each entry
  /// unencrypted, inside the file, not overlapping the directory, names unique, a deflated
  /// one's declared size within what deflate can expand its bytes to. An entry this reader
  /// cannot decode (another method, deflate without zlib) is refused only when read.
  /// `file` and `who` name the file and the caller in error messages.
  Reader(ByteSource src, std::string file, std::string who);

  const std::vector<Entry>& entries() const { return entries_; }
  /// The entry called `name`, or nullptr.
  const Entry* find(const std::string& name) const;
  /// Throws unless read() can decode the entry (stored, or deflate with zlib).
  void check_method(const Entry& entry) const;
  /// Writes the entry's data into dst (entry.size bytes: a deflated entry that inflates to
  /// more or less is an error) and checks its CRC-32.
  void read(const Entry& entry, void* dst) const;
  /// The entry's bytes as a string (for small records).
  std::string read(const Entry& entry) const;

  /// Throws ember::Error "<who>: '<file>': <what>".
  [[noreturn]] void fail(const std::string& what) const;

 private:
  void inflate(const Entry& entry, void* dst) const;  // zip_inflate.cpp
  void check_crc(const Entry& entry, uint32_t crc) const;

  ByteSource src_;
  std::string file_, who_;
  std::vector<Entry> entries_;
  std::map<std::string, size_t> index_;
};

/// Builds an archive in torch.save's layout: stored entries whose data starts 64-byte aligned
/// (padding in an "FB" extra field, as PyTorch writes), a central directory and its end record.
/// Archives over 4 GiB are refused (ember writes no ZIP64 records).
class Writer {
 public:
  explicit Writer(std::function<void(const void*, size_t)> sink) : sink_(std::move(sink)) {}
  void add(const std::string& name, const void* data, size_t n);
  void finish();

 private:
  struct Record {
    std::string name;
    uint32_t crc, size, offset;
  };
  void put(const std::string& bytes);
  std::function<void(const void*, size_t)> sink_;
  std::vector<Record> records_;
  uint64_t pos_ = 0;
};

}  // namespace zip
}  // namespace ember
