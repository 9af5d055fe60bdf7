#include "file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "ember/error.h"

namespace ember {
namespace file_io {

namespace {

const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISFIFO(mode)) return "a named pipe (FIFO)";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  return "not a plain file";
}

void check_regular(const struct stat& st, const std::string& path, const char* who) {
  EMBER_CHECK(S_ISREG(st.st_mode), who, ": '", path, "' is not a regular file (it is ", kind_of(st.st_mode), ")");
}

}  // namespace

InputFile::InputFile(std::string path, const char* who) : path_(std::move(path)), who_(who) {
  // Look before opening: opening a device can have effects of its own (a tape rewinds).
  struct stat st {};
  EMBER_CHECK(::stat(path_.c_str(), &st) == 0, who_, ": cannot open '", path_, "': ", std::strerror(errno));
  check_regular(st, path_, who_);
  // O_NONBLOCK: should a FIFO take the file's place after the stat, the open still returns.
  fd_ = ::open(path_.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  EMBER_CHECK(fd_ >= 0, who_, ": cannot open '", path_, "': ", std::strerror(errno));
  try {
    EMBER_CHECK(::fstat(fd_, &st) == 0, who_, ": cannot stat '", path_, "': ", std::strerror(errno));
    check_regular(st, path_, who_);
    // A regular file: reads should wait for the disk as usual (some network file systems honour the flag).
    const int flags = ::fcntl(fd_, F_GETFL);
    EMBER_CHECK(flags >= 0 && ::fcntl(fd_, F_SETFL, flags & ~O_NONBLOCK) == 0, who_, ": cannot set up '", path_,
                "' for reading: ", std::strerror(errno));
  } catch (...) {
    ::close(fd_);
    throw;
  }
  size_ = uint64_t(st.st_size);
}

InputFile::InputFile(InputFile&& other) noexcept
    : path_(std::move(other.path_)), who_(other.who_), fd_(std::exchange(other.fd_, -1)), size_(other.size_) {}

InputFile::~InputFile() {
  if (fd_ >= 0) ::close(fd_);
}

void InputFile::read_at(uint64_t offset, void* dst, size_t n) const {
  char* p = static_cast<char*>(dst);
  while (n > 0) {
    const ssize_t r = ::pread(fd_, p, n, off_t(offset));
    if (r < 0 && errno == EINTR) continue;
    EMBER_CHECK(r >= 0, who_, ": reading '", path_, "' failed at byte ", offset, ": ", std::strerror(errno));
    EMBER_CHECK(r > 0, who_, ": '", path_, "' shrank while being read: it ends at byte ", offset, " but had ", size_,
                " bytes when opened");
    p += r;
    offset += uint64_t(r);
    n -= size_t(r);
  }
}

}  // namespace file_io
}  // namespace ember
