#include "file_io.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>
#include <utility>
#include <vector>

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

// --- the atomic write ---------------------------------------------------------------------

namespace {

// A save writes "<path>.tmp.<random letters and digits>" and renames it over <path>. The name is
// new for every save and created exclusively, so a file or symlink planted at a guessable name
// is never opened and two saves to one path never share a temporary. The writer holds
// flock(LOCK_EX) on it until the rename, which tells other saves' clean-up that it is alive.
const char* const kTempInfix = ".tmp.";
constexpr size_t kTempSuffixLength = 12;  // 62^12 names: a collision is a retry, never a failure
constexpr int kTempAttempts = 100;

bool is_temp_suffix_char(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

std::string random_temp_suffix() {
  static const char kChars[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  std::random_device rd;  // the OS's entropy: ember's own generator must not move when a file is saved
  std::string s;
  for (size_t i = 0; i < kTempSuffixLength; ++i) s += kChars[rd() % (sizeof(kChars) - 1)];
  return s;
}

// Whether `fd` is the file that `path` names now (not a symlink, not another file put there).
bool names_file(const std::string& path, int fd) {
  struct stat a {
  }, b{};
  return ::fstat(fd, &a) == 0 && ::lstat(path.c_str(), &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// Removes the temporaries of `base` in `dir` that a crashed save left behind: regular files named
// "<base>.tmp.<letters and digits>" that no live save holds locked. Best effort: whatever cannot
// be opened, locked or removed (symlinks, other users' files) is left alone.
void remove_stale_temporaries(const std::string& dir, const std::string& base) {
  const std::string prefix = base + kTempInfix;
  std::vector<std::string> candidates;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (const dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0 &&
          std::all_of(name.begin() + std::ptrdiff_t(prefix.size()), name.end(), is_temp_suffix_char))
        candidates.push_back(dir + "/" + name);
    }
    ::closedir(d);
  }
  for (const std::string& p : candidates) {
    const int fd = ::open(p.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) continue;
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && ::flock(fd, LOCK_EX | LOCK_NB) == 0 && names_file(p, fd))
      (void)::unlink(p.c_str());
    ::close(fd);
  }
}

}  // namespace

AtomicOutputFile::AtomicOutputFile(const std::string& path, const char* op) : path_(path), op_(op) {
  const auto slash = path_.find_last_of('/');
  dir_ = slash == std::string::npos ? "." : (slash == 0 ? "/" : path_.substr(0, slash));
  const std::string base = slash == std::string::npos ? path_ : path_.substr(slash + 1);
  if (!base.empty()) remove_stale_temporaries(dir_, base);
  for (int attempt = 1;; ++attempt) {
    tmp_ = path_ + kTempInfix + random_temp_suffix();
    fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd_ < 0) {
      EMBER_CHECK(errno == EEXIST && attempt < kTempAttempts, op_, ": cannot create '", tmp_, "' (to be renamed to '",
                  path_, "'): ", std::strerror(errno));
      continue;
    }
    int rc;
    while ((rc = ::flock(fd_, LOCK_EX)) != 0 && errno == EINTR) {
    }
    // Where flock is unsupported the file stays unlocked; clean-up then cannot lock it either
    // and leaves it alone. A clean-up that locked the file between our open and our lock has
    // removed its name: start again with a new one.
    if (rc != 0 || names_file(tmp_, fd_)) break;
    ::close(fd_);
    fd_ = -1;
    EMBER_CHECK(attempt < kTempAttempts, op_, ": cannot keep a temporary file beside '", path_,
                "': another process keeps removing them");
  }
}
AtomicOutputFile::~AtomicOutputFile() {
  if (!committed_) ::unlink(tmp_.c_str());
  if (fd_ >= 0) ::close(fd_);
}
void AtomicOutputFile::write(const void* data, size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = ::write(fd_, p, n);
    if (w < 0 && errno == EINTR) continue;
    EMBER_CHECK(w > 0, op_, ": writing '", tmp_, "' failed: ", w < 0 ? std::strerror(errno) : "no progress");
    p += w;
    n -= size_t(w);
  }
}
void AtomicOutputFile::commit() {
  EMBER_CHECK(::fsync(fd_) == 0, op_, ": fsync of '", tmp_, "' failed: ", std::strerror(errno));
  // Renamed while still locked, so no clean-up can take it first. rename() replaces a symlink
  // at path_ itself: the file the link points to is never written.
  EMBER_CHECK(::rename(tmp_.c_str(), path_.c_str()) == 0, op_, ": renaming '", tmp_, "' to '", path_,
              "' failed: ", std::strerror(errno));
  committed_ = true;
  const int rc = ::close(fd_);
  fd_ = -1;
  EMBER_CHECK(rc == 0, op_, ": closing '", path_, "' failed: ", std::strerror(errno));
  // Make the rename itself durable; a failure here loses nothing already written, so ignore it.
  const int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace file_io
}  // namespace ember
