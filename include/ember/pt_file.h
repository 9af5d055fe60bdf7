#pragma once
// PyTorch's own files (.pt): what torch.save writes (the zip format of PyTorch >= 1.6) and
// TorchScript archives (torch.jit.save, LibTorch's torch::save(module)), read without
// executing anything, and torch.save's format written so that Python's torch.load reads it.
//
// A .pt file is a zip archive (entries stored, not compressed) of <name>/data.pkl, a pickle of
// the saved object whose tensors refer to storages by key, and <name>/data/<key>, each
// storage's raw little-endian bytes. ember reads the zip itself (central directory, ZIP64,
// CRC-32 of every entry) and runs a restricted unpickler: the opcodes of pickle protocols 2-5
// that torch.save emits, and only the globals a tensor file needs (collections.OrderedDict,
// torch._utils._rebuild_tensor_v2 / _rebuild_parameter, torch.<Type>Storage, torch.device,
// torch.jit._pickle.build_*list); TorchScript classes (`__torch__.*`) become plain objects
// whose attributes are what BUILD gives them. Any other global, opcode, bad offset, truncated
// or inconsistent entry, storage of the wrong size, tensor whose strides reach outside its
// storage, nesting deeper than 500 levels, or use of a container inside itself throws
// ember::Error naming the file and the rule. Storages are read once, straight into tensor
// memory; tensors that shared a storage in Python share one in ember (views, as there).
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ember/serialize.h"

namespace ember {

/// One value of an unpickled .pt file: a small tree of None, Bool, Int, Double, String, Bytes,
/// Tensor, List, Tuple, Dict (keys in file order) and Object (a TorchScript class instance:
/// its class name and attributes).
class EMBER_API PtValue {
 public:
  enum class Kind { None, Bool, Int, Double, String, Bytes, Tensor, List, Tuple, Dict, Object, Global, Storage };
  struct Node;  // a container's contents, shared (as Python's references are)

  PtValue() = default;
  static PtValue from_bool(bool b);
  static PtValue from_int(int64_t i);
  static PtValue from_double(double d);
  static PtValue from_string(std::string s, Kind kind = Kind::String);  // String, Bytes, Global
  static PtValue from_tensor(Tensor t, Kind kind = Kind::Tensor);       // Tensor, Storage
  static PtValue container(Kind kind, std::string class_name = {});     // List, Tuple, Dict, Object

  Kind kind() const { return kind_; }
  /// "None", "Bool", ..., "Object"; "Global" (an allowed global that was not called) and
  /// "Storage" (a storage not wrapped in a tensor) occur in a tree only for unusual pickles.
  const char* kind_name() const;
  bool isNone() const { return kind_ == Kind::None; }
  bool isTensor() const { return kind_ == Kind::Tensor; }
  bool isList() const { return kind_ == Kind::List || kind_ == Kind::Tuple; }
  bool isDict() const { return kind_ == Kind::Dict; }
  bool isObject() const { return kind_ == Kind::Object; }

  /// Each accessor throws ember::Error naming both kinds when the value holds another.
  bool toBool() const;
  int64_t toInt() const;
  double toDouble() const;
  const std::string& toStringRef() const;  // String, Bytes (raw bytes), Global ("module.name")
  const Tensor& toTensor() const;
  /// A List's or Tuple's elements.
  const std::vector<PtValue>& elements() const;
  /// A Dict's entries, or an Object's attributes (String keys), in file order.
  const std::vector<std::pair<PtValue, PtValue>>& entries() const;
  /// An Object's class ("__torch__.torch.nn.modules.conv.Conv2d").
  const std::string& class_name() const;
  /// The entry of a Dict or Object whose key is the string `key`; nullptr when absent.
  const PtValue* find(const std::string& key) const;

  // For the unpickler: the node behind a container (nullptr for the other kinds).
  const std::shared_ptr<Node>& node() const { return node_; }

 private:
  Kind kind_ = Kind::None;
  bool b_ = false;
  int64_t i_ = 0;
  double d_ = 0;
  std::shared_ptr<const std::string> s_;  // shared: a memo entry read again costs no copy
  Tensor t_;
  std::shared_ptr<Node> node_;
};

struct PtValue::Node {
  std::vector<PtValue> elements;                     // List, Tuple
  std::vector<std::pair<PtValue, PtValue>> entries;  // Dict, Object
  std::string class_name;                            // Object
  int height = 0;                                    // the longest chain of containers below this one
  bool frozen = false;  // inside another container: no longer changed (no cycles, exact heights)
};

/// Reads a .pt file: Python's torch.save(obj) for tensors, lists, tuples, dicts (state_dicts
/// included) and numbers and strings within them, and TorchScript archives. Tensors are on the
/// CPU. A file in the pre-1.6 format, or not a zip archive, is refused with a message saying so.
EMBER_API PtValue load_pt(const std::string& path);
/// The same from bytes in memory; `name` stands for the file in error messages.
EMBER_API PtValue load_pt_from_bytes(const void* data, size_t size, const std::string& name = "<memory>");
/// Whether `path` starts as a zip archive does (what load(...) uses to tell .pt from safetensors).
EMBER_API bool is_pt_file(const std::string& path);

/// The named tensors a .pt value holds: a Dict's String keys (a state_dict); a TorchScript
/// object's tensor attributes by dotted name through its sub-objects (its parameters and
/// buffers, the names of the module's state_dict); a Tensor as "0"; a List or Tuple of tensors
/// as "0", "1", .... A dict value or list element that is not a tensor is an error naming it
/// and `source`; a TorchScript object's other attributes (training flags, ...) are skipped.
EMBER_API TensorMap pt_tensors(const PtValue& value, const std::string& source);

/// Writes `tensors` as Python's torch.save(state_dict) does: an OrderedDict of tensors in the
/// zip format (archive name "archive"), which torch.load reads. Tensors are copied to the CPU
/// and made contiguous; the write is atomic (as save_tensors).
EMBER_API void save_pt(const TensorMap& tensors, const std::string& path);
/// The bytes save_pt writes.
EMBER_API std::string save_pt_to_bytes(const TensorMap& tensors);

}  // namespace ember
