#pragma once
// Reading files that users name (checkpoints, datasets). A path is opened only when it names a
// regular file, and the open itself cannot block, so a FIFO, socket, device or folder given by
// mistake is refused at once instead of hanging the program or reading forever. Reads are
// positioned and exact, so a reader fetches only bytes it has already checked against size().
#include <cstddef>
#include <cstdint>
#include <string>

namespace ember {
namespace file_io {

class InputFile {
 public:
  /// Opens `path` for reading; `who` starts every error message ("load_tensors", "CIFAR-10").
  /// Throws ember::Error naming the file when it cannot be opened or is not a regular file.
  InputFile(std::string path, const char* who);
  ~InputFile();
  InputFile(InputFile&& other) noexcept;
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  InputFile& operator=(InputFile&&) = delete;

  const std::string& path() const { return path_; }
  /// The size when opened.
  uint64_t size() const { return size_; }
  /// Reads exactly `n` bytes at `offset` into `dst`; throws naming the file on a read error or
  /// when the file ends sooner (it shrank after it was opened).
  void read_at(uint64_t offset, void* dst, size_t n) const;

 private:
  std::string path_;
  const char* who_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

/// A file written in full or not at all: the bytes go to a new, uniquely named temporary
/// "<path>.tmp.<random>" beside `path` (created exclusively, so no planted file or symlink is
/// opened and concurrent saves never share one), and commit() fsyncs it and renames it over
/// `path`. Destroyed uncommitted, it removes the temporary. Temporaries a crashed save left are
/// removed when the next save to the same path starts. `op` starts every error message.
class AtomicOutputFile {
 public:
  AtomicOutputFile(const std::string& path, const char* op);
  ~AtomicOutputFile();
  AtomicOutputFile(const AtomicOutputFile&) = delete;
  AtomicOutputFile& operator=(const AtomicOutputFile&) = delete;
  void write(const void* data, size_t n);
  void commit();

 private:
  std::string path_, dir_, tmp_;
  const char* op_;
  int fd_ = -1;
  bool committed_ = false;
};

}  // namespace file_io
}  // namespace ember
