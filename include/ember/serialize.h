#pragma once
// Saving and loading tensors, modules, optimizers and whole training checkpoints in the
// safetensors format (https://github.com/huggingface/safetensors), which Python reads with
// safetensors.torch.load_file or a few lines of numpy (tools/check_safetensors_interop.py).
//
// A file is: 8 bytes, little-endian, giving the header length N; N bytes of JSON
//   {"__metadata__": {"key": "value", ...},
//    "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...}
// padded with spaces to a multiple of 8; then the raw little-endian data of every tensor,
// packed back to back (offsets are relative to the end of the header). ember writes F32, F64,
// I64 and BOOL tensors, keys in sorted order and data in that order, so the same state always
// gives the same bytes. Writes are atomic: a new, uniquely named temporary in the same folder
// (created exclusively, so no planted file or symlink is opened and concurrent saves never
// share one), fsync, rename. A symlink at `path` is replaced by the new file; the file it
// pointed to is left as it was. Temporaries a crashed save left are removed by the next save.
//
// Every load checks the whole header before building any tensor (sizes against the file size,
// JSON syntax, dtypes, shapes against offsets, regions that tile the data section exactly,
// duplicate keys), then reads each tensor's bytes straight into its storage, and throws
// ember::Error naming the file and the rule broken (ember::OutOfMemoryError when a tensor
// does not fit in memory). Only regular files are opened: a FIFO or device is refused, never
// waited on. Loading into a module or optimizer
// checks every name, shape and dtype first and changes nothing unless all agree.
//
// PyTorch's own files (.pt: torch.save's zip format, and TorchScript archives such as
// LibTorch's torch::save(module) writes) are read as well: every load(...) below that is given
// one reads it with ember's restricted unpickler (ember/pt_file.h, docs/files.md).
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ember/ivalue.h"

#include "ember/nn/module.h"
#include "ember/optim/optimizer.h"
#include "ember/tensor.h"

namespace ember {

using TensorMap = std::map<std::string, Tensor>;
using MetadataMap = std::map<std::string, std::string>;

/// What a safetensors file holds.
struct SafeTensors {
  TensorMap tensors;     // CPU tensors, contiguous
  MetadataMap metadata;  // the "__metadata__" strings (empty when absent)
};

/// Writes tensors (any device or layout; copied to the CPU) and metadata to `path`.
EMBER_API void save_tensors(const TensorMap& tensors, const std::string& path, const MetadataMap& metadata = {});
/// Reads and validates a whole safetensors file.
EMBER_API SafeTensors load_tensors(const std::string& path);
/// The same from bytes in memory; `name` stands for the file in error messages.
EMBER_API SafeTensors load_tensors_from_bytes(const void* data, size_t size, const std::string& name = "<memory>");
/// The bytes save_tensors would write.
EMBER_API std::string save_tensors_to_bytes(const TensorMap& tensors, const MetadataMap& metadata = {});

// --- modules ------------------------------------------------------------------------------

/// A module's parameters and buffers by dotted name ("fc1.weight", "bn.running_mean"): the
/// keys of PyTorch's state_dict(). The tensors are the module's own (not copies).
EMBER_API TensorMap state_dict(const nn::Module& module);
/// Copies `tensors` into the module's parameters and buffers in place (under NoGradGuard, onto
/// each tensor's own device). Names, shapes and dtypes must match exactly; every problem
/// (missing keys, unexpected keys, shape or dtype mismatches) is reported at once, naming
/// `source`, and nothing is copied unless all match.
EMBER_API void load_state_dict(nn::Module& module, const TensorMap& tensors, const std::string& source = "state_dict");

/// torch::save(module, path) / torch::load(module, path), in safetensors. load also reads
/// PyTorch's torch.save(model.state_dict()) files and TorchScript module archives (.pt), where
/// a floating-point tensor whose dtype differs from its parameter's is converted (as
/// Module.load_state_dict's copy_ does) and any other dtype mismatch is refused.
EMBER_API void save(const nn::Module& module, const std::string& path);
EMBER_API void load(nn::Module& module, const std::string& path);
template <typename M>
void save(const std::shared_ptr<M>& module, const std::string& path) {
  EMBER_CHECK(module != nullptr, "save: module is null (writing '", path, "')");
  save(static_cast<const nn::Module&>(*module), path);
}
template <typename M>
void load(const std::shared_ptr<M>& module, const std::string& path) {
  EMBER_CHECK(module != nullptr, "load: module is null (reading '", path, "')");
  load(static_cast<nn::Module&>(*module), path);
}
template <typename M>
void save(const nn::ModuleHolder<M>& module, const std::string& path) {
  save(module.ptr(), path);
}
template <typename M>
void load(nn::ModuleHolder<M>& module, const std::string& path) {
  load(module.ptr(), path);
}

// --- tensors ------------------------------------------------------------------------------

/// torch::save(tensor, path): a safetensors file holding the tensor as "0", LibTorch's archive key.
EMBER_API void save(const Tensor& tensor, const std::string& path);
/// torch::save(tensors, path): the tensors as "0", "1", ...
EMBER_API void save(const std::vector<Tensor>& tensors, const std::string& path);
/// torch::load(tensor, path): the tensor save(tensor, path) wrote, or the one a .pt file holds
/// (Python's torch.save(t), or LibTorch's archive key "0"). The loaded tensor replaces `tensor`.
EMBER_API void load(Tensor& tensor, const std::string& path);
/// torch::load(tensors, path): keys "0", "1", ... in order, or a .pt file's list or tuple of tensors.
EMBER_API void load(std::vector<Tensor>& tensors, const std::string& path);

// --- optimizers ---------------------------------------------------------------------------

/// An optimizer's state as tensors plus metadata, with PyTorch's state_dict names (i counts
/// parameters over all groups, in order). Metadata: "optimizer" = "SGD" / "Adam" / "AdamW",
/// "param_groups" = G, "param_groups.<g>.num_params", and each group's options as round-trip
/// decimal strings and "true"/"false":
///   SGD:   lr, momentum, dampening, weight_decay, nesterov; tensors state.<i>.momentum_buffer.
///   Adam, AdamW: lr, betas.0, betas.1, eps, weight_decay, amsgrad; tensors state.<i>.step
///          (0-dim int64), state.<i>.exp_avg, state.<i>.exp_avg_sq, and
///          state.<i>.max_exp_avg_sq with amsgrad.
/// A parameter that has not stepped has no entries. Each optimizer writes its own part
/// (Optimizer::save, src/optim/state_archive.h holds the common rules); an optimizer that does
/// not override save and load throws, naming its type.
EMBER_API SafeTensors optimizer_state(const optim::Optimizer& optimizer);
/// Replaces the optimizer's per-parameter state and each group's options with `state`, after
/// checking the optimizer type, group count and sizes, and every buffer's shape and dtype
/// against its parameter (Optimizer::load). Buffers are copied onto the parameter's device.
EMBER_API void load_optimizer_state(optim::Optimizer& optimizer, const SafeTensors& state,
                                    const std::string& source = "optimizer state");
EMBER_API void save(const optim::Optimizer& optimizer, const std::string& path);
EMBER_API void load(optim::Optimizer& optimizer, const std::string& path);

// --- checkpoints --------------------------------------------------------------------------

/// Everything needed to resume training, in one safetensors file: modules and optimizers
/// under key prefixes ("model.", "optimizer."), free tensors (get_rng_state(), ...) and
/// metadata strings (epoch, ...).
///   Checkpoint ck;
///   ck.add_module("model.", *net);
///   ck.add_optimizer("optimizer.", sgd);
///   ck.tensors["rng_state"] = ember::get_rng_state();
///   ck.metadata["epoch"] = std::to_string(epoch);
///   ck.save(path);
///   ...
///   Checkpoint ck = Checkpoint::load(path);
///   ck.load_module("model.", *net);
///   ck.load_optimizer("optimizer.", sgd);
struct EMBER_API Checkpoint {
  TensorMap tensors;
  MetadataMap metadata;
  std::string source = "checkpoint";  // the file name once loaded, for error messages

  /// Adds the module's state_dict under `prefix` (tensors are referenced, copied at save()).
  void add_module(const std::string& prefix, const nn::Module& module);
  /// Adds the optimizer's state; its metadata keys get the prefix too.
  void add_optimizer(const std::string& prefix, const optim::Optimizer& optimizer);
  /// Loads the tensors under `prefix` into the module; keys under the prefix must match it exactly.
  void load_module(const std::string& prefix, nn::Module& module) const;
  void load_optimizer(const std::string& prefix, optim::Optimizer& optimizer) const;
  /// The tensor stored as `key`; throws naming the file and the keys present when absent.
  const Tensor& tensor(const std::string& key) const;
  /// The metadata value of `key`; throws when absent.
  const std::string& meta(const std::string& key) const;

  void save(const std::string& path) const;
  static Checkpoint load(const std::string& path);
};

// --- archives -----------------------------------------------------------------------------

namespace serialize {

/// LibTorch's torch::serialize::OutputArchive: named tensors, values and nested archives,
/// saved as one safetensors file. A nested archive's keys get its key and a dot in front
/// ("sub.w"), as a sub-module's names in a state_dict. Values (IValue: None, Int, Double,
/// Bool, String; a Tensor value is stored as a tensor) go into the metadata as
/// "ivalue.<key>" = "<Kind>:<text>"; "ember.archive" = "1" marks the file as an archive.
class EMBER_API OutputArchive {
 public:
  void write(const std::string& key, const Tensor& tensor, bool is_buffer = false);
  void write(const std::string& key, const IValue& ivalue);
  void write(const std::string& key, OutputArchive& nested_archive);
  /// Writes the file (atomically, as save_tensors).
  void save_to(const std::string& filename);
  /// The file's contents, as save_tensors_to_bytes.
  std::string save_to_bytes() const;

 private:
  TensorMap tensors_;
  MetadataMap metadata_;
};

/// LibTorch's torch::serialize::InputArchive: reads what OutputArchive wrote, and .pt files
/// (a TorchScript archive's tensors by dotted attribute name and its Int, Double, Bool and
/// String attributes as values; a torch.save'd dict's entries).
class EMBER_API InputArchive {
 public:
  /// Reads `filename`; with a device, tensors are moved there.
  void load_from(const std::string& filename, std::optional<Device> device = std::nullopt);
  /// read(key, tensor): an undefined `tensor` becomes the stored one; a defined one (a
  /// parameter) keeps its identity and gets the stored values copied in (NoGradGuard), which
  /// needs the same shape. Throws naming the key and the keys present when absent.
  void read(const std::string& key, Tensor& tensor, bool is_buffer = false);
  bool try_read(const std::string& key, Tensor& tensor, bool is_buffer = false);
  void read(const std::string& key, IValue& ivalue);
  bool try_read(const std::string& key, IValue& ivalue);
  /// The archive nested under `key` (the keys that start with "<key>.").
  void read(const std::string& key, InputArchive& archive);
  bool try_read(const std::string& key, InputArchive& archive);
  /// The keys of the tensors and values, in sorted order.
  std::vector<std::string> keys() const;

 private:
  TensorMap tensors_;
  std::map<std::string, IValue> values_;
  std::string source_ = "InputArchive";
};

}  // namespace serialize

}  // namespace ember
