// torch::serialize::OutputArchive and InputArchive (ember/serialize.h) on top of safetensors:
// tensors under their dotted keys, values in the metadata as "ivalue.<key>" = "<Kind>:<text>".
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "ember/autograd.h"
#include "ember/pt_file.h"
#include "ember/serialize.h"

namespace ember {
namespace serialize {

namespace {

const char* const kValuePrefix = "ivalue.";
const char* const kArchiveKey = "ember.archive";

std::string encode(const IValue& v, const std::string& key) {
  if (v.isNone()) return "None:";
  if (v.isBool()) return std::string("Bool:") + (v.toBool() ? "true" : "false");
  if (v.isInt()) return "Int:" + std::to_string(v.toInt());
  if (v.isString()) return "String:" + v.toStringRef();
  EMBER_CHECK(v.isDouble(), "OutputArchive::write: value \"", key, "\" is a ", v.tagKind(), ", which is not stored");
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v.toDouble());  // round-trips every double
  return std::string("Double:") + buf;
}

IValue decode(const std::string& text, const std::string& key, const std::string& source) {
  const size_t colon = text.find(':');
  const std::string kind = text.substr(0, colon), body = colon == std::string::npos ? "" : text.substr(colon + 1);
  auto bad = [&]() -> IValue {
    throw Error(detail::str("InputArchive: ", source, ": value \"", key, "\" is malformed: '", text, "'"));
  };
  if (colon == std::string::npos) return bad();
  if (kind == "None") return IValue();
  if (kind == "String") return IValue(body);
  if (kind == "Bool") return body == "true" ? IValue(true) : body == "false" ? IValue(false) : bad();
  if (body.empty()) return bad();
  char* end = nullptr;
  errno = 0;
  if (kind == "Int") {
    const long long i = std::strtoll(body.c_str(), &end, 10);
    return *end == '\0' && errno == 0 ? IValue(int64_t(i)) : bad();
  }
  if (kind == "Double") {
    const double d = std::strtod(body.c_str(), &end);
    return *end == '\0' ? IValue(d) : bad();
  }
  return bad();
}

bool starts_with(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }

}  // namespace

void OutputArchive::write(const std::string& key, const Tensor& tensor, bool /*is_buffer*/) {
  EMBER_CHECK(tensor.defined(), "OutputArchive::write: tensor \"", key, "\" is undefined");
  tensors_[key] = tensor;
}

void OutputArchive::write(const std::string& key, const IValue& ivalue) {
  if (ivalue.isTensor()) return write(key, ivalue.toTensor());
  metadata_[kValuePrefix + key] = encode(ivalue, key);
}

void OutputArchive::write(const std::string& key, OutputArchive& nested_archive) {
  for (const auto& kv : nested_archive.tensors_) tensors_[key + "." + kv.first] = kv.second;
  for (const auto& kv : nested_archive.metadata_)
    metadata_[kValuePrefix + key + "." + kv.first.substr(std::string(kValuePrefix).size())] = kv.second;
}

std::string OutputArchive::save_to_bytes() const {
  MetadataMap m = metadata_;
  m[kArchiveKey] = "1";
  return save_tensors_to_bytes(tensors_, m);
}

void OutputArchive::save_to(const std::string& filename) {
  MetadataMap m = metadata_;
  m[kArchiveKey] = "1";
  save_tensors(tensors_, filename, m);
}

void InputArchive::load_from(const std::string& filename, std::optional<Device> device) {
  tensors_.clear();
  values_.clear();
  source_ = "'" + filename + "'";
  if (is_pt_file(filename)) {
    // A TorchScript archive (LibTorch's OutputArchive) or a torch.save'd dict: its tensors, and
    // the plain values among an object's attributes.
    const PtValue root = load_pt(filename);
    if (!root.isObject() && !root.isDict()) {
      tensors_ = pt_tensors(root, source_);
    } else {
      // Objects nest by attribute (sub-modules, sub-archives); a dict's entries are one level.
      std::vector<std::pair<const PtValue*, std::string>> todo{{&root, ""}};
      size_t visits = 0;  // shared sub-objects are walked once per path: bound the work
      while (!todo.empty()) {
        EMBER_CHECK(++visits <= (size_t(1) << 20), "InputArchive: ", source_,
                    ": too many (shared) sub-objects to walk: not an archive");
        auto [obj, prefix] = todo.back();
        todo.pop_back();
        for (const auto& e : obj->entries()) {
          EMBER_CHECK(e.first.kind() == PtValue::Kind::String, "InputArchive: ", source_, ": a key is a ",
                      e.first.kind_name(), ", not a name");
          const std::string name = prefix + e.first.toStringRef();
          switch (e.second.kind()) {
            case PtValue::Kind::Tensor: tensors_[name] = e.second.toTensor(); break;
            case PtValue::Kind::Object: todo.push_back({&e.second, name + "."}); break;
            case PtValue::Kind::Bool: values_[name] = IValue(e.second.toBool()); break;
            case PtValue::Kind::Int: values_[name] = IValue(e.second.toInt()); break;
            case PtValue::Kind::Double: values_[name] = IValue(e.second.toDouble()); break;
            case PtValue::Kind::String: values_[name] = IValue(e.second.toStringRef()); break;
            default: break;  // None, lists, ...: nothing an archive reads
          }
        }
      }
    }
  } else {
    SafeTensors s = load_tensors(filename);
    tensors_ = std::move(s.tensors);
    for (const auto& kv : s.metadata)
      if (starts_with(kv.first, kValuePrefix)) {
        const std::string key = kv.first.substr(std::string(kValuePrefix).size());
        values_[key] = decode(kv.second, key, source_);
      }
  }
  if (device)
    for (auto& kv : tensors_) kv.second = kv.second.to(*device);
}

bool InputArchive::try_read(const std::string& key, Tensor& tensor, bool /*is_buffer*/) {
  auto it = tensors_.find(key);
  if (it == tensors_.end()) return false;
  const Tensor& src = it->second;
  if (!tensor.defined()) {
    tensor = src;
    return true;
  }
  EMBER_CHECK(tensor.sizes().equals(src.sizes()), "InputArchive::read: ", source_, ": \"", key, "\" has shape ",
              src.sizes(), " but the tensor read into has shape ", tensor.sizes());
  NoGradGuard no_grad;
  tensor.copy_(src);
  return true;
}

void InputArchive::read(const std::string& key, Tensor& tensor, bool is_buffer) {
  if (try_read(key, tensor, is_buffer)) return;
  std::string present;
  for (const auto& k : keys()) present += (present.empty() ? "" : ", ") + k;
  throw Error(detail::str("InputArchive::read: ", source_, " has no tensor \"", key, "\" (it has: ", present, ")"));
}

bool InputArchive::try_read(const std::string& key, IValue& ivalue) {
  auto it = values_.find(key);
  if (it != values_.end()) {
    ivalue = it->second;
    return true;
  }
  auto t = tensors_.find(key);
  if (t == tensors_.end()) return false;
  ivalue = IValue(t->second);
  return true;
}

void InputArchive::read(const std::string& key, IValue& ivalue) {
  EMBER_CHECK(try_read(key, ivalue), "InputArchive::read: ", source_, " has no value \"", key, "\"");
}

bool InputArchive::try_read(const std::string& key, InputArchive& archive) {
  const std::string prefix = key + ".";
  InputArchive out;
  out.source_ = source_ + " (archive \"" + key + "\")";
  for (const auto& kv : tensors_)
    if (starts_with(kv.first, prefix)) out.tensors_[kv.first.substr(prefix.size())] = kv.second;
  for (const auto& kv : values_)
    if (starts_with(kv.first, prefix)) out.values_[kv.first.substr(prefix.size())] = kv.second;
  if (out.tensors_.empty() && out.values_.empty()) return false;
  archive = std::move(out);
  return true;
}

void InputArchive::read(const std::string& key, InputArchive& archive) {
  EMBER_CHECK(try_read(key, archive), "InputArchive::read: ", source_, " has no archive \"", key,
              "\" (no keys start with \"", key, ".\")");
}

std::vector<std::string> InputArchive::keys() const {
  std::vector<std::string> out;
  for (const auto& kv : tensors_) out.push_back(kv.first);
  for (const auto& kv : values_) out.push_back(kv.first);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace serialize
}  // namespace ember
