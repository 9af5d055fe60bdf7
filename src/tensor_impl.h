#pragma once
// The internals behind a Tensor handle. Not installed: ops and backends include it.
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "check.h"
#include "ember/autograd.h"
#include "ember/tensor.h"

namespace ember {

/// A block of memory on one device. Views share it; its version counter is shared by all of
/// them, so an in-place change through any view is seen by autograd's saved-tensor checks.
struct Storage {
  std::shared_ptr<void> data;  // owns the memory (deleter returns it to its allocator)
  size_t nbytes = 0;
  Device device = Device(kCPU);
  std::atomic<uint32_t> version{0};
  /// Allocated under c10::InferenceMode: its tensors and their views answer is_inference().
  bool inference = InferenceMode::is_enabled();
};

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  std::vector<int64_t> sizes;
  std::vector<int64_t> strides;
  int64_t offset = 0;  // in elements
  ScalarType dtype = kFloat;

  // Autograd state.
  bool requires_grad = false;  // meaningful for leaves; non-leaves have grad_fn
  bool retains_grad = false;
  Tensor grad;
  std::shared_ptr<autograd::Node> grad_fn;
  uint32_t output_nr = 0;
  std::weak_ptr<autograd::Node> grad_accumulator;
  /// Every hook registered on this tensor, by position (register_hook's return value). A leaf's
  /// run before accumulation; a non-leaf's were also handed to its grad_fn at registration.
  std::vector<std::shared_ptr<autograd::TensorHook>> hooks;

  // View tracking (LibTorch's DifferentiableViewMeta), set by the view ops: an in-place change
  // through a view rewrites its base's history (autograd/views.cpp). Undefined for non-views.
  Tensor view_base;           // the root base, never itself a view
  uint32_t view_version = 0;  // storage version when grad_fn was last set for this view
  bool view_made_in_no_grad = false;

  char* data() const { return static_cast<char*>(storage->data.get()) + offset * int64_t(element_size(dtype)); }
  int64_t numel() const {
    int64_t n = 1;
    for (int64_t s : sizes) n *= s;
    return n;
  }
};

/// Row-major strides for a shape that passed shape_numel (so every product fits).
std::vector<int64_t> contiguous_strides(IntArrayRef sizes);

// The shape rule, checked in one place (tensor.cpp) by everything that makes a shape: no size is
// negative, the product of the non-zero sizes fits in int64 (so numel, every contiguous stride
// and every product of some of the sizes fit), and numel * element size fits below PTRDIFF_MAX.
// A zero size makes an empty tensor however large the others are, as in LibTorch.

/// "shape [a, b] has more elements than fit in 64 bits": the one wording, after "<op>: ".
std::string too_many_elements(IntArrayRef sizes);
/// "" when `sizes` obeys the shape rule (its bytes too, when `dtype` is given), else why not,
/// worded to follow "<op>: "; sets *numel when it does. For callers that report errors their
/// own way (the file readers); the others use shape_numel and shape_nbytes.
std::string shape_problem(IntArrayRef sizes, const ScalarType* dtype = nullptr, int64_t* numel = nullptr);
/// The element count of `sizes`; an ember::Error "<op>: ..." if they break the shape rule.
int64_t shape_numel(IntArrayRef sizes, const char* op);
/// The bytes of a contiguous tensor of `sizes` and `dtype`; an ember::Error "<op>: ..." if they
/// break the shape rule.
size_t shape_nbytes(IntArrayRef sizes, ScalarType dtype, const char* op);
/// A new tensor of `sizes` on `device` with fresh (uninitialised) storage; `op` names the caller
/// in the error for a shape that breaks the shape rule.
Tensor make_empty(IntArrayRef sizes, ScalarType dtype, Device device, const char* op = "empty");
/// A view of `base`'s storage with the given geometry (no autograd recording).
Tensor make_view(const Tensor& base, std::vector<int64_t> sizes, std::vector<int64_t> strides, int64_t offset);
/// LibTorch's memory-overlap rules for an op that writes `out`: refuses an `out` some of whose
/// elements share memory (an expand()ed tensor) and an input that shares part of out's memory
/// laid out otherwise. An input holding exactly out's elements is fine; layouts too irregular
/// to judge cheaply pass, as in LibTorch.
void check_no_overlap(const char* op, const Tensor& out, std::initializer_list<Tensor> inputs = {});
/// Whether two tensors are views of one storage.
inline bool same_storage(const Tensor& a, const Tensor& b) { return a.impl()->storage == b.impl()->storage; }
/// Marks an in-place change of the storage (autograd's version counter).
inline void bump_version(const Tensor& t) { t.impl()->storage->version++; }

}  // namespace ember
