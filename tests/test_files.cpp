// Files as the readers and the checkpoint writer meet them: FIFOs, sockets, devices and folders
// given where a file belongs are refused at once (never a hang); huge sparse files with garbage
// or lying headers are refused from the header, before the rest is read or memory is allocated;
// a save never writes through a planted symlink, clears what crashed saves left but not what a
// live save is writing, and two saves racing to one path leave one whole file.
#include "helpers.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <set>
#include <thread>

#include "ember/data.h"
#include "ember/serialize.h"

using namespace ember;
using namespace ember_test;
namespace fs = std::filesystem;

namespace {

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), std::streamsize(bytes.size()));
}
std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string length_field(uint64_t n) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[size_t(i)] = char((n >> (8 * i)) & 0xFF);
  return s;
}

std::string make_fifo(const TempDir& dir, const std::string& name) {
  const std::string path = dir.file(name);
  REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
  return path;
}

// Calls f, which must throw ember::Error, and returns the message. A reader that blocks in
// open() on `fifo` is released by a writer that comes and goes (so a broken reader fails this
// test instead of hanging the suite); the patience is a hang guard, not a timing check.
std::string message_without_blocking(const std::function<void()>& f, const std::string& fifo) {
  std::promise<std::string> done;
  std::future<std::string> result = done.get_future();
  std::thread reader([&] {
    try {
      f();
      done.set_value("(returned without an error)");
    } catch (const Error& e) {
      done.set_value(e.what());
    } catch (...) {
      done.set_value("(threw something other than ember::Error)");
    }
  });
  const bool returned = result.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  while (result.wait_for(std::chrono::milliseconds(50)) != std::future_status::ready) {
    const int w = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (w >= 0) ::close(w);
  }
  reader.join();
  const std::string message = result.get();
  INFO("message: " << message);
  INFO("the call blocked on the FIFO '" << fifo << "' until a writer released it");
  REQUIRE(returned);
  return message;
}

void require_contains(const std::string& message, const std::string& part) {
  INFO("message: " << message);
  INFO("should mention: " << part);
  CHECK(message.find(part) != std::string::npos);
}

// A unix socket bound at `path`, closed (the name stays) when the holder goes.
struct BoundSocket {
  int fd = -1;
  explicit BoundSocket(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(path.size() < sizeof(addr.sun_path));
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0);
  }
  ~BoundSocket() { ::close(fd); }
};

// A file of about `size` bytes of which only `head` is written: the rest is a hole, which costs
// no disk. 1 TiB is more than any test machine's memory, so a reader that buffers the whole file
// fails outright; a file system that cannot hold it gets 8 GiB. Returns the size it got.
uint64_t make_sparse(const std::string& path, const std::string& head, uint64_t size = uint64_t(1) << 40) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  REQUIRE(fd >= 0);
  if (::ftruncate(fd, off_t(size)) != 0) size = uint64_t(8) << 30;
  const bool ok =
      ::ftruncate(fd, off_t(size)) == 0 && ::pwrite(fd, head.data(), head.size(), 0) == ssize_t(head.size());
  ::close(fd);
  REQUIRE(ok);
  return size;
}

// Whether an allocation of `bytes` is sure to fail here (so a test may ask for one): the kernel
// refuses what exceeds memory plus swap unless it overcommits without limit (mode 1).
bool allocation_must_fail(uint64_t bytes) {
  std::ifstream mode_file("/proc/sys/vm/overcommit_memory");
  int mode = 1;
  if (!(mode_file >> mode) || mode == 1) return false;
  std::ifstream meminfo("/proc/meminfo");
  uint64_t total_kib = 0, value = 0;
  std::string key, unit;
  while (meminfo >> key >> value >> unit)
    if (key == "MemTotal:" || key == "SwapTotal:") total_kib += value;
  return total_kib > 0 && bytes / 1024 > 2 * total_kib;
}

std::set<std::string> folder_entries(const TempDir& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir.path)) names.insert(e.path().filename().string());
  return names;
}

}  // namespace

// --- special files ---------------------------------------------------------------------------

TEST_CASE("files: a FIFO, socket, device or folder given as a checkpoint is refused at once", "[files][serialize]") {
  TempDir dir;
  SECTION("a FIFO") {
    const std::string fifo = make_fifo(dir, "ck.safetensors");
    const std::string message = message_without_blocking([&] { load_tensors(fifo); }, fifo);
    require_contains(message, "load_tensors: '" + fifo + "' is not a regular file (it is a named pipe (FIFO))");
  }
  SECTION("a symlink to a FIFO") {
    const std::string fifo = make_fifo(dir, "pipe");
    fs::create_symlink(fifo, dir.path / "ck.safetensors");
    const std::string message = message_without_blocking([&] { load_tensors(dir.file("ck.safetensors")); }, fifo);
    require_contains(message, "'" + dir.file("ck.safetensors") + "' is not a regular file (it is a named pipe (FIFO))");
  }
  SECTION("a socket") {
    BoundSocket sock(dir.file("ck.sock"));
    require_throws_with([&] { load_tensors(dir.file("ck.sock")); },
                        {"load_tensors: '" + dir.file("ck.sock") + "' is not a regular file (it is a socket)"});
  }
  SECTION("a device") {
    require_throws_with([&] { load_tensors("/dev/null"); },
                        {"load_tensors: '/dev/null' is not a regular file (it is a character device)"});
  }
  SECTION("a folder") {
    require_throws_with([&] { load_tensors(dir.str()); },
                        {"load_tensors: '" + dir.str() + "' is not a regular file (it is a folder)"});
  }
}

TEST_CASE("files: a FIFO, socket or folder in a CIFAR-10 folder is refused at once", "[files][data][cifar10]") {
  TempDir dir;
  data::Cifar10Options one;
  one.records_per_file = 1;
  one.train_files = 1;
  SECTION("a FIFO as a training batch") {
    const std::string fifo = make_fifo(dir, "data_batch_1.bin");
    const std::string message = message_without_blocking([&] { data::load_cifar10_train(dir.str(), one); }, fifo);
    require_contains(message, "CIFAR-10: '" + fifo + "' is not a regular file (it is a named pipe (FIFO))");
  }
  SECTION("a FIFO as the test batch") {
    const std::string fifo = make_fifo(dir, "test_batch.bin");
    const std::string message = message_without_blocking([&] { data::load_cifar10_test(dir.str(), one); }, fifo);
    require_contains(message, "CIFAR-10: '" + fifo + "' is not a regular file (it is a named pipe (FIFO))");
  }
  SECTION("a FIFO as the class names") {
    const std::string fifo = make_fifo(dir, "batches.meta.txt");
    const std::string message = message_without_blocking([&] { data::load_cifar10_classes(dir.str()); }, fifo);
    require_contains(message, "CIFAR-10: '" + fifo + "' is not a regular file (it is a named pipe (FIFO))");
  }
  SECTION("a folder as the class names") {
    fs::create_directory(dir.path / "batches.meta.txt");
    require_throws_with([&] { data::load_cifar10_classes(dir.str()); },
                        {"CIFAR-10: '" + dir.file("batches.meta.txt") + "' is not a regular file (it is a folder)"});
  }
  SECTION("a folder or a socket as a batch") {
    fs::create_directory(dir.path / "data_batch_1.bin");
    require_throws_with([&] { data::load_cifar10_train(dir.str(), one); },
                        {"CIFAR-10: '" + dir.file("data_batch_1.bin") + "' is not a regular file (it is a folder)"});
    BoundSocket sock(dir.file("test_batch.bin"));
    require_throws_with([&] { data::load_cifar10_test(dir.str(), one); },
                        {"CIFAR-10: '" + dir.file("test_batch.bin") + "' is not a regular file (it is a socket)"});
  }
}

// --- bounded reads ---------------------------------------------------------------------------

TEST_CASE("files: a huge sparse checkpoint with a garbage or lying header is refused from its header",
          "[files][serialize]") {
  TempDir dir;
  const std::string path = dir.file("huge.safetensors");
  const std::string where = "load_tensors: '" + path + "': ";
  SECTION("garbage length field") {
    make_sparse(path, std::string(8, '\xff'));
    require_throws_with([&] { load_tensors(path); },
                        {where + "the header length field says 18446744073709551615 bytes, more than the "
                                 "100000000-byte limit"});
  }
  SECTION("a length within the limit over a header of zero bytes") {
    make_sparse(path, length_field(99999992));
    require_throws_with([&] { load_tensors(path); },
                        {where + "the header must be a JSON object starting with '{' right after the length field"});
  }
  SECTION("a tensor larger than the file") {
    const std::string header = R"({"x":{"dtype":"F32","shape":[1099511627776],"data_offsets":[0,4398046511104]}})";
    const uint64_t size = make_sparse(path, length_field(header.size()) + header);
    require_throws_with(
        [&] { load_tensors(path); },
        {where + "tensor \"x\": data_offsets [0, 4398046511104] run past the data section, which holds " +
         std::to_string(size - 8 - header.size()) + " bytes"});
  }
  SECTION("a small tensor in a huge file") {
    const std::string header = R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
    const uint64_t size = make_sparse(path, length_field(header.size()) + header);
    const uint64_t data = size - 8 - header.size();
    require_throws_with([&] { load_tensors(path); }, {where + std::to_string(data - 4) +
                                                      " trailing bytes after the last tensor: the data section holds " +
                                                      std::to_string(data) + " bytes but the tensors cover 4"});
  }
  SECTION("a consistent header whose tensor cannot fit in memory") {
    // BOOL: one byte an element, so any data size is a whole tensor.
    std::string header = R"({"x":{"dtype":"BOOL","shape":[N],"data_offsets":[0,N]}})";
    const uint64_t size = make_sparse(path, "");
    // The digits of N change the header length; settle it by trying each width.
    for (int digits = 1; digits <= 20; ++digits) {
      const uint64_t data = size - 8 - (header.size() - 2 + 2 * uint64_t(digits));
      if (std::to_string(data).size() != size_t(digits)) continue;
      const std::string n = std::to_string(data);
      header = R"({"x":{"dtype":"BOOL","shape":[)" + n + R"(],"data_offsets":[0,)" + n + "]}}";
      break;
    }
    REQUIRE(header.find('N') == std::string::npos);
    const uint64_t data = size - 8 - header.size();
    make_sparse(path, length_field(header.size()) + header, size);
    if (!allocation_must_fail(data)) {
      WARN("skipped: this machine might grant " << data << " bytes (overcommit), and reading them would exhaust it");
      return;
    }
    std::string message;
    try {
      load_tensors(path);
    } catch (const OutOfMemoryError& e) {
      message = e.what();
    }
    require_contains(message, where + "out of memory for tensor \"x\" ([" + std::to_string(data) + "] of BOOL, " +
                                  std::to_string(data) + " bytes): CPU: out of memory");
  }
}

TEST_CASE("files: a huge sparse CIFAR-10 file is refused from its size", "[files][data][cifar10]") {
  TempDir dir;
  const std::string path = dir.file("data_batch_1.bin");
  SECTION("not a whole number of records") {
    const uint64_t size = make_sparse(path, std::string(1, '\0'));
    require_throws_with(
        [&] { data::read_cifar10_file(path, std::nullopt); },
        {"CIFAR-10: file '" + path + "' is truncated or corrupt: its " + std::to_string(size) + " bytes"});
  }
  SECTION("whole records: more than expected, or more than memory") {
    const uint64_t records = make_sparse(path, "") / 3073;
    make_sparse(path, "", records * 3073);
    require_throws_with(
        [&] { data::read_cifar10_file(path, 10000); },
        {"CIFAR-10: file '" + path + "' is oversized: it holds " + std::to_string(records) + " records"});
    if (!allocation_must_fail(records * 3072 * 4)) {
      WARN("skipped: this machine might grant " << records * 3072 * 4 << " bytes (overcommit)");
      return;
    }
    std::string message;
    try {
      data::read_cifar10_file(path, std::nullopt);
    } catch (const OutOfMemoryError& e) {
      message = e.what();
    }
    require_contains(message, "CIFAR-10: out of memory for the " + std::to_string(records) + " images (" +
                                  std::to_string(records * 3072 * 4) + " bytes as float32) of '" + path +
                                  "': CPU: out of memory");
  }
  SECTION("a class-names file far too large") {
    make_sparse(dir.file("batches.meta.txt"), "cat\n", 100000000);
    require_throws_with(
        [&] { data::load_cifar10_classes(dir.str()); },
        {"CIFAR-10: file '" + dir.file("batches.meta.txt") +
         "' is 100000000 bytes, too large for a class-names file (at most 65536 bytes: one name per line)"});
  }
}

// --- the checkpoint's temporary file -----------------------------------------------------------

TEST_CASE("files: a save never writes through a symlink planted at a temporary's name", "[files][serialize]") {
  TempDir dir;
  const std::string path = dir.file("ck.safetensors");
  write_file(dir.file("victim"), "precious");
  // The name an older ember used: predictable from the process id.
  const std::string planted = path + ".tmp." + std::to_string(::getpid());
  fs::create_symlink(dir.file("victim"), planted);
  save_tensors({{"x", ones({3})}}, path);
  CHECK(read_file(dir.file("victim")) == "precious");
  CHECK(fs::is_symlink(planted));  // not a temporary of ours: left alone
  CHECK(fs::is_regular_file(fs::symlink_status(path)));
  CHECK(load_tensors(path).tensors.at("x").equal(ones({3})));
  // Permissions as open(..., 0644) gives them: 0644 less the umask.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == (0644 & ~mask));
}

TEST_CASE("files: saving over a symlink replaces the link, not the file it points to", "[files][serialize]") {
  TempDir dir;
  save_tensors({{"x", zeros({2})}}, dir.file("epoch1.safetensors"));
  fs::create_symlink(dir.file("epoch1.safetensors"), dir.path / "latest.safetensors");
  save_tensors({{"x", ones({2})}}, dir.file("latest.safetensors"));
  CHECK(!fs::is_symlink(dir.path / "latest.safetensors"));
  CHECK(load_tensors(dir.file("latest.safetensors")).tensors.at("x").equal(ones({2})));
  CHECK(load_tensors(dir.file("epoch1.safetensors")).tensors.at("x").equal(zeros({2})));
}

TEST_CASE("files: a save removes what crashed saves left, but not a live save's temporary", "[files][serialize]") {
  TempDir dir;
  const std::string path = dir.file("ck.safetensors");
  write_file(path + ".tmp.Ab3xY9kQ2mZ7", "left by a crash");
  write_file(path + ".tmp.12345", "left by a crash of an older ember");
  // A save in progress elsewhere: its writer holds the lock.
  const std::string live = path + ".tmp.LiveSave0001";
  const int live_fd = ::open(live.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  REQUIRE(live_fd >= 0);
  REQUIRE(::flock(live_fd, LOCK_EX) == 0);
  // Not temporaries of this path.
  write_file(path + ".tmp", "a user's file");
  write_file(path + ".tmp.a.b", "a user's file");
  write_file(dir.file("other.safetensors.tmp.Ab3xY9kQ2mZ7"), "another path's");
  write_file(dir.file("victim"), "precious");
  fs::create_symlink(dir.file("victim"), path + ".tmp.Link00000000");

  save_tensors({{"x", ones({2})}}, path);
  ::close(live_fd);
  CHECK(folder_entries(dir) == std::set<std::string>{"ck.safetensors", "ck.safetensors.tmp", "ck.safetensors.tmp.a.b",
                                                     "ck.safetensors.tmp.LiveSave0001",
                                                     "ck.safetensors.tmp.Link00000000",
                                                     "other.safetensors.tmp.Ab3xY9kQ2mZ7", "victim"});
  CHECK(read_file(dir.file("victim")) == "precious");
  CHECK(load_tensors(path).tensors.at("x").equal(ones({2})));
  // Once its writer is gone, the next save clears it too.
  save_tensors({{"x", zeros({2})}}, path);
  CHECK(folder_entries(dir).count("ck.safetensors.tmp.LiveSave0001") == 0);
}

TEST_CASE("files: two threads saving to one path leave one whole file and no temporaries", "[files][serialize]") {
  TempDir dir;
  const std::string path = dir.file("ck.safetensors");
  const TensorMap a{{"w", full({50000}, 1.0)}, {"a", ones({3})}};
  const TensorMap b{{"w", full({50000}, 2.0)}, {"b", zeros({5}, kLong)}};
  auto saver = [&](const TensorMap& m, std::string& error) {
    try {
      for (int i = 0; i < 30; ++i) save_tensors(m, path, {{"who", m.count("a") ? "a" : "b"}});
    } catch (const std::exception& e) {
      error = e.what();
    }
  };
  std::string error_a, error_b;
  std::thread ta(saver, std::cref(a), std::ref(error_a));
  std::thread tb(saver, std::cref(b), std::ref(error_b));
  ta.join();
  tb.join();
  CHECK(error_a.empty());
  CHECK(error_b.empty());
  INFO("error: " << error_a << error_b);
  const SafeTensors s = load_tensors(path);
  const TensorMap& want = s.metadata.at("who") == "a" ? a : b;
  REQUIRE(s.tensors.size() == want.size());
  for (const auto& kv : want) CHECK(s.tensors.at(kv.first).equal(kv.second));
  CHECK(folder_entries(dir) == std::set<std::string>{"ck.safetensors"});
}
