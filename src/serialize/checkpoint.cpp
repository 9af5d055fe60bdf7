// Modules, optimizers and checkpoints on top of the safetensors format (safetensors.cpp). A
// module's file is its state_dict under PyTorch's names; an optimizer's is what its own save()
// writes (its per-parameter state plus its options as metadata strings, src/optim/
// state_archive.h); a Checkpoint holds several of these under key prefixes in one file. Loads
// check everything first and then change the target in one pass, so a mismatched file leaves
// the model and optimizer as they were.
#include <vector>

#include "ember/autograd.h"
#include "ember/pt_file.h"
#include "ember/serialize.h"

namespace ember {

namespace {

std::string join(const std::vector<std::string>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
  return s + "]";
}

// Entries of `m` whose key starts with prefix, with the prefix removed.
template <typename Map>
Map under_prefix(const Map& m, const std::string& prefix) {
  Map out;
  for (auto it = m.lower_bound(prefix); it != m.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it)
    out.emplace(it->first.substr(prefix.size()), it->second);
  return out;
}

}  // namespace

// --- modules ------------------------------------------------------------------------------

TensorMap state_dict(const nn::Module& module) {
  TensorMap out;
  auto add = [&](const std::string& name, const Tensor& t, const char* kind) {
    if (!t.defined()) return;  // Linear(bias=false) registers an undefined bias
    EMBER_CHECK(out.emplace(name, t).second, "state_dict: the ", kind, " \"", name, "\" of ", module.name(),
                " has the same name as another parameter or buffer");
  };
  for (const auto& item : module.named_parameters()) add(item.key(), item.value(), "parameter");
  for (const auto& item : module.named_buffers()) add(item.key(), item.value(), "buffer");
  return out;
}

void load_state_dict(nn::Module& module, const TensorMap& tensors, const std::string& source) {
  const TensorMap own = state_dict(module);
  std::vector<std::string> missing, unexpected, mismatched;
  for (const auto& kv : own) {
    auto it = tensors.find(kv.first);
    if (it == tensors.end()) {
      missing.push_back(kv.first);
      continue;
    }
    const Tensor& src = it->second;
    const Tensor& dst = kv.second;
    EMBER_CHECK(src.defined(), "load(module): ", source, ": tensor \"", kv.first, "\" is undefined");
    if (!src.sizes().equals(dst.sizes()))
      mismatched.push_back(
          detail::str(kv.first, ": shape ", src.sizes(), " in the file, ", dst.sizes(), " in the module"));
    else if (src.dtype() != dst.dtype())
      mismatched.push_back(
          detail::str(kv.first, ": dtype ", src.dtype(), " in the file, ", dst.dtype(), " in the module"));
  }
  for (const auto& kv : tensors)
    if (own.find(kv.first) == own.end()) unexpected.push_back(kv.first);
  if (!missing.empty() || !unexpected.empty() || !mismatched.empty()) {
    std::string msg = detail::str("load(module): ", source, " does not match the module ", module.name(), ":");
    if (!missing.empty()) msg += " missing keys " + join(missing) + ";";
    if (!unexpected.empty()) msg += " unexpected keys " + join(unexpected) + ";";
    for (const auto& m : mismatched) msg += " " + m + ";";
    msg.back() = '.';
    throw Error(msg);
  }
  NoGradGuard no_grad;
  for (const auto& kv : own) kv.second.copy_(tensors.at(kv.first));
}

void save(const nn::Module& module, const std::string& path) { save_tensors(state_dict(module), path); }

void load(nn::Module& module, const std::string& path) {
  const std::string source = "'" + path + "'";
  if (!is_pt_file(path)) return load_state_dict(module, load_tensors(path).tensors, source);
  // A PyTorch file: floating-point tensors take the parameter's dtype, as Python's
  // load_state_dict (copy_) does; load_state_dict refuses any other dtype mismatch.
  TensorMap tensors = pt_tensors(load_pt(path), source);
  for (const auto& kv : state_dict(module)) {
    auto it = tensors.find(kv.first);
    if (it != tensors.end() && it->second.dtype() != kv.second.dtype() && is_floating_point(it->second.dtype()) &&
        is_floating_point(kv.second.dtype()) && it->second.sizes().equals(kv.second.sizes()))
      it->second = it->second.to(kv.second.dtype());
  }
  load_state_dict(module, tensors, source);
}

// --- tensors ------------------------------------------------------------------------------

void save(const Tensor& tensor, const std::string& path) { save_tensors({{"0", tensor}}, path); }

void save(const std::vector<Tensor>& tensors, const std::string& path) {
  TensorMap m;
  for (size_t i = 0; i < tensors.size(); ++i) m.emplace(std::to_string(i), tensors[i]);
  save_tensors(m, path);
}

namespace {

// The file's tensors by name, whichever format it is in.
TensorMap file_tensors(const std::string& path) {
  if (is_pt_file(path)) return pt_tensors(load_pt(path), "'" + path + "'");
  return load_tensors(path).tensors;
}

}  // namespace

void load(Tensor& tensor, const std::string& path) {
  const TensorMap m = file_tensors(path);
  auto it = m.find("0");
  EMBER_CHECK(it != m.end() && m.size() == 1, "load(tensor): '", path, "' holds ", m.size(),
              " tensors, not one saved as a tensor (key \"0\")");
  tensor = it->second;
}

void load(std::vector<Tensor>& tensors, const std::string& path) {
  const TensorMap m = file_tensors(path);
  std::vector<Tensor> out;
  for (size_t i = 0;; ++i) {
    auto it = m.find(std::to_string(i));
    if (it == m.end()) break;
    out.push_back(it->second);
  }
  EMBER_CHECK(out.size() == m.size(), "load(tensors): '", path, "' holds tensors that are not numbered 0, 1, ... (",
              m.size(), " tensors, ", out.size(), " numbered in order)");
  tensors = std::move(out);
}

// --- optimizers ---------------------------------------------------------------------------

SafeTensors optimizer_state(const optim::Optimizer& optimizer) {
  SafeTensors out;
  optimizer.save(out);
  return out;
}

void load_optimizer_state(optim::Optimizer& optimizer, const SafeTensors& state, const std::string& source) {
  optimizer.load(state, source);
}

void save(const optim::Optimizer& optimizer, const std::string& path) {
  const SafeTensors s = optimizer_state(optimizer);
  save_tensors(s.tensors, path, s.metadata);
}

void load(optim::Optimizer& optimizer, const std::string& path) {
  load_optimizer_state(optimizer, load_tensors(path), "'" + path + "'");
}

// --- checkpoints --------------------------------------------------------------------------

void Checkpoint::add_module(const std::string& prefix, const nn::Module& module) {
  for (const auto& kv : state_dict(module)) tensors[prefix + kv.first] = kv.second;
}

void Checkpoint::add_optimizer(const std::string& prefix, const optim::Optimizer& optimizer) {
  const SafeTensors s = optimizer_state(optimizer);
  for (const auto& kv : s.tensors) tensors[prefix + kv.first] = kv.second;
  for (const auto& kv : s.metadata) metadata[prefix + kv.first] = kv.second;
}

void Checkpoint::load_module(const std::string& prefix, nn::Module& module) const {
  load_state_dict(module, under_prefix(tensors, prefix), source + " (keys under \"" + prefix + "\")");
}

void Checkpoint::load_optimizer(const std::string& prefix, optim::Optimizer& optimizer) const {
  SafeTensors s{under_prefix(tensors, prefix), under_prefix(metadata, prefix)};
  load_optimizer_state(optimizer, s, source + " (keys under \"" + prefix + "\")");
}

const Tensor& Checkpoint::tensor(const std::string& key) const {
  auto it = tensors.find(key);
  if (it == tensors.end()) {
    std::vector<std::string> keys;
    for (const auto& kv : tensors) keys.push_back(kv.first);
    throw Error(detail::str("Checkpoint: ", source, " has no tensor \"", key, "\" (it has ", join(keys), ")"));
  }
  return it->second;
}

const std::string& Checkpoint::meta(const std::string& key) const {
  auto it = metadata.find(key);
  EMBER_CHECK(it != metadata.end(), "Checkpoint: ", source, " has no metadata \"", key, "\"");
  return it->second;
}

void Checkpoint::save(const std::string& path) const { save_tensors(tensors, path, metadata); }

Checkpoint Checkpoint::load(const std::string& path) {
  SafeTensors s = load_tensors(path);
  Checkpoint c;
  c.tensors = std::move(s.tensors);
  c.metadata = std::move(s.metadata);
  c.source = "'" + path + "'";
  return c;
}

}  // namespace ember
