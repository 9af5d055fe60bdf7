#pragma once
// WorkerException: what a DataLoader rethrows in the main thread when a worker thread's
// get_batch threw, as LibTorch's: the message names the worker and quotes the original, which
// stays available (original_exception) to rethrow as its own type.
#include <exception>
#include <string>

namespace ember {
namespace data {

struct WorkerException : public std::exception {
  explicit WorkerException(std::exception_ptr original)
      : original_exception(std::move(original)), message("Caught exception in DataLoader worker thread.") {
    try {
      std::rethrow_exception(original_exception);
    } catch (const std::exception& e) {
      message += " Original message: ";
      message += e.what();
    } catch (...) {
      // A non-std exception has no message to quote.
    }
  }
  const char* what() const noexcept override { return message.c_str(); }

  std::exception_ptr original_exception;
  std::string message;
};

}  // namespace data
}  // namespace ember
