// Modules, optimizers and checkpoints on top of the safetensors format (safetensors.cpp). A
// module's file is its state_dict under PyTorch's names; an optimizer's is its per-parameter
// state plus its options as metadata strings; a Checkpoint holds several of these under key
// prefixes in one file. Loads check everything first and then change the target in one pass,
// so a mismatched file leaves the model and optimizer as they were.
#include <cxxabi.h>

#include <array>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <typeinfo>
#include <vector>

#include "../optim/adam_common.h"  // check_adam_options
#include "../tensor_impl.h"
#include "ember/autograd.h"
#include "ember/optim/adam.h"
#include "ember/optim/adamw.h"
#include "ember/optim/sgd.h"
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

// A double as the shortest decimal that reads back to the same bits.
std::string format_double(double v) {
  char buf[32];
  for (int precision = 15; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

// --- optimizer metadata readers, each naming the source and key on failure -----------------

struct MetaReader {
  const MetadataMap& meta;
  const std::string& source;
  std::vector<std::string> used;

  const std::string& get(const std::string& key) {
    auto it = meta.find(key);
    EMBER_CHECK(it != meta.end(), "load(optimizer): ", source, " lacks metadata \"", key, "\"");
    used.push_back(key);
    return it->second;
  }
  double number(const std::string& key) {
    const std::string& s = get(key);
    errno = 0;
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    EMBER_CHECK(!s.empty() && end == s.c_str() + s.size() && errno == 0 && std::isfinite(v), "load(optimizer): ",
                source, ": metadata \"", key, "\" = \"", s, "\" is not a finite number");
    return v;
  }
  int64_t count(const std::string& key) {
    const std::string& s = get(key);
    int64_t v = 0;
    bool ok = !s.empty() && s.size() <= 18;
    for (const char c : s) {
      ok = ok && c >= '0' && c <= '9';
      if (ok) v = v * 10 + (c - '0');
    }
    EMBER_CHECK(ok, "load(optimizer): ", source, ": metadata \"", key, "\" = \"", s, "\" is not a non-negative integer");
    return v;
  }
  bool boolean(const std::string& key) {
    const std::string& s = get(key);
    EMBER_CHECK(s == "true" || s == "false", "load(optimizer): ", source, ": metadata \"", key, "\" = \"", s,
                "\" is not true or false");
    return s == "true";
  }
};

// "state.<i>.momentum_buffer" -> i, or -1 when the key has another form.
int64_t state_index(const std::string& key, const std::string& field) {
  const std::string head = "state.", tail = "." + field;
  if (key.size() <= head.size() + tail.size() || key.compare(0, head.size(), head) != 0 ||
      key.compare(key.size() - tail.size(), tail.size(), tail) != 0)
    return -1;
  const std::string digits = key.substr(head.size(), key.size() - head.size() - tail.size());
  if (digits.empty() || digits.size() > 18 || (digits.size() > 1 && digits[0] == '0')) return -1;
  int64_t v = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}


// The optimizer's C++ type as a reader would write it ("MyOptimizer", not "N5ember11MyOptE").
std::string type_name(const optim::Optimizer& optimizer) {
  const char* mangled = typeid(optimizer).name();
  int status = 0;
  char* out = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
  std::string name = status == 0 && out != nullptr ? out : mangled;
  std::free(out);
  return name;
}

// The name an optimizer's file records in "optimizer", or "" for an unsupported type.
std::string kind_of(const optim::Optimizer& optimizer) {
  if (dynamic_cast<const optim::SGD*>(&optimizer) != nullptr) return "SGD";
  if (dynamic_cast<const optim::Adam*>(&optimizer) != nullptr) return "Adam";
  if (dynamic_cast<const optim::AdamW*>(&optimizer) != nullptr) return "AdamW";
  return "";
}

void check_supported(const optim::Optimizer& optimizer, const char* op) {
  EMBER_CHECK(!kind_of(optimizer).empty(), op, ": only optim::SGD, optim::Adam and optim::AdamW can be ",
              op[0] == 's' ? "saved" : "loaded", " so far (got an optimizer of type ", type_name(optimizer), ")");
}

void check_known_metadata(const MetaReader& meta, const MetadataMap& metadata, const std::string& source) {
  for (const auto& kv : metadata) {
    bool known = false;
    for (const auto& u : meta.used) known = known || u == kv.first;
    EMBER_CHECK(known, "load(optimizer): ", source, " has unexpected metadata \"", kv.first, "\"");
  }
}

// --- SGD ----------------------------------------------------------------------------------

void sgd_state(const optim::Optimizer& optimizer, SafeTensors& out) {
  const auto& groups = optimizer.param_groups();
  int64_t index = 0;
  for (size_t g = 0; g < groups.size(); ++g) {
    const std::string key = "param_groups." + std::to_string(g) + ".";
    const auto* o = dynamic_cast<const optim::SGDOptions*>(&groups[g].options());
    EMBER_CHECK(o != nullptr, "save(optimizer): parameter group ", g, " of the SGD optimizer has options of another type");
    out.metadata[key + "num_params"] = std::to_string(groups[g].params().size());
    out.metadata[key + "lr"] = format_double(o->lr());
    out.metadata[key + "momentum"] = format_double(o->momentum());
    out.metadata[key + "dampening"] = format_double(o->dampening());
    out.metadata[key + "weight_decay"] = format_double(o->weight_decay());
    out.metadata[key + "nesterov"] = o->nesterov() ? "true" : "false";
    for (const Tensor& p : groups[g].params()) {
      const auto* st = dynamic_cast<const optim::SGDParamState*>(optimizer.state_of(p));
      if (st != nullptr && st->momentum_buffer().defined())
        out.tensors["state." + std::to_string(index) + ".momentum_buffer"] = st->momentum_buffer();
      ++index;
    }
  }
}

/// Throws unless parameter group g of the file has as many parameters as the optimizer's.
void check_group_size(MetaReader& meta, const std::string& key, const optim::OptimizerParamGroup& group, size_t g,
                      const std::string& source) {
  const int64_t n = meta.count(key + "num_params");
  EMBER_CHECK(n == int64_t(group.params().size()), "load(optimizer): ", source, ": parameter group ", g, " has ",
              n, " parameters, the optimizer's ", group.params().size());
}

void load_sgd_state(optim::Optimizer& optimizer, const SafeTensors& state, MetaReader& meta,
                    const std::string& source) {
  auto& groups = optimizer.param_groups();
  // Read and check everything before changing anything.
  std::vector<optim::SGDOptions> options;
  std::vector<Tensor> params;
  for (size_t g = 0; g < groups.size(); ++g) {
    const std::string key = "param_groups." + std::to_string(g) + ".";
    check_group_size(meta, key, groups[g], g, source);
    optim::SGDOptions o(meta.number(key + "lr"));
    o.momentum(meta.number(key + "momentum"));
    o.dampening(meta.number(key + "dampening"));
    o.weight_decay(meta.number(key + "weight_decay"));
    o.nesterov(meta.boolean(key + "nesterov"));
    EMBER_CHECK(o.lr() >= 0 && o.momentum() >= 0 && o.weight_decay() >= 0, "load(optimizer): ", source,
                ": parameter group ", g, " has a negative lr, momentum or weight_decay");
    EMBER_CHECK(!o.nesterov() || (o.momentum() > 0 && o.dampening() == 0), "load(optimizer): ", source,
                ": parameter group ", g, " has nesterov with momentum ", o.momentum(), " and dampening ",
                o.dampening(), " (nesterov needs momentum > 0 and dampening 0)");
    options.push_back(o);
    for (const Tensor& p : groups[g].params()) params.push_back(p);
  }
  check_known_metadata(meta, state.metadata, source);
  std::vector<Tensor> buffers(params.size());
  for (const auto& kv : state.tensors) {
    const int64_t i = state_index(kv.first, "momentum_buffer");
    EMBER_CHECK(i >= 0, "load(optimizer): ", source, " has unexpected tensor \"", kv.first,
                "\" (SGD state is state.<index>.momentum_buffer)");
    EMBER_CHECK(i < int64_t(params.size()), "load(optimizer): ", source, ": \"", kv.first, "\" names parameter ", i,
                " but the optimizer has ", params.size());
    const Tensor& p = params[size_t(i)];
    const Tensor& b = kv.second;
    EMBER_CHECK(b.defined() && b.sizes().equals(p.sizes()) && b.dtype() == p.dtype(), "load(optimizer): ", source,
                ": \"", kv.first, "\" is ", b.defined() ? describe(b) : std::string("undefined"), " but parameter ", i,
                " is ", describe(p));
    buffers[size_t(i)] = b;
  }

  optim::Optimizer::StateMap fresh;
  {
    NoGradGuard no_grad;
    for (size_t i = 0; i < params.size(); ++i) {
      if (!buffers[i].defined()) continue;
      auto st = std::make_unique<optim::SGDParamState>();
      // A private copy on the parameter's device, as SGD::step would have made it.
      st->momentum_buffer(buffers[i].detach().to(params[i].device(), std::nullopt, false, /*copy=*/true));
      fresh[params[i].unsafeGetTensorImpl()] = std::move(st);
    }
  }
  optimizer.state() = std::move(fresh);
  for (size_t g = 0; g < groups.size(); ++g) groups[g].set_options(options[g].clone());
}

// --- Adam and AdamW (same options and state, different types) ------------------------------

template <typename Options, typename State>
void adam_state(const optim::Optimizer& optimizer, const char* kind, SafeTensors& out) {
  const auto& groups = optimizer.param_groups();
  int64_t index = 0;
  for (size_t g = 0; g < groups.size(); ++g) {
    const std::string key = "param_groups." + std::to_string(g) + ".";
    const auto* o = dynamic_cast<const Options*>(&groups[g].options());
    EMBER_CHECK(o != nullptr, "save(optimizer): parameter group ", g, " of the ", kind,
                " optimizer has options of another type");
    out.metadata[key + "num_params"] = std::to_string(groups[g].params().size());
    out.metadata[key + "lr"] = format_double(o->lr());
    out.metadata[key + "betas.0"] = format_double(std::get<0>(o->betas()));
    out.metadata[key + "betas.1"] = format_double(std::get<1>(o->betas()));
    out.metadata[key + "eps"] = format_double(o->eps());
    out.metadata[key + "weight_decay"] = format_double(o->weight_decay());
    out.metadata[key + "amsgrad"] = o->amsgrad() ? "true" : "false";
    for (const Tensor& p : groups[g].params()) {
      const auto* st = dynamic_cast<const State*>(optimizer.state_of(p));
      if (st != nullptr && st->exp_avg().defined() && st->exp_avg_sq().defined()) {
        const std::string s = "state." + std::to_string(index) + ".";
        // PyTorch 1.13 keeps step as a 0-dim tensor too; int64 holds it exactly.
        out.tensors[s + "step"] = full(std::vector<int64_t>{}, Scalar(st->step()), kLong);
        out.tensors[s + "exp_avg"] = st->exp_avg();
        out.tensors[s + "exp_avg_sq"] = st->exp_avg_sq();
        if (st->max_exp_avg_sq().defined()) out.tensors[s + "max_exp_avg_sq"] = st->max_exp_avg_sq();
      }
      ++index;
    }
  }
}

template <typename Options, typename State>
void load_adam_state(optim::Optimizer& optimizer, const SafeTensors& state, MetaReader& meta,
                     const std::string& source, const char* kind) {
  auto& groups = optimizer.param_groups();
  std::vector<Options> options;
  std::vector<Tensor> params;
  for (size_t g = 0; g < groups.size(); ++g) {
    const std::string key = "param_groups." + std::to_string(g) + ".";
    check_group_size(meta, key, groups[g], g, source);
    Options o(meta.number(key + "lr"));
    const double beta1 = meta.number(key + "betas.0");
    o.betas(std::make_tuple(beta1, meta.number(key + "betas.1")));
    o.eps(meta.number(key + "eps"));
    o.weight_decay(meta.number(key + "weight_decay"));
    o.amsgrad(meta.boolean(key + "amsgrad"));
    // The constructor's rules, so a loaded optimizer is one that could have been built.
    optim::detail::check_adam_options(
        o, detail::str("load(optimizer): ", source, ": ", kind, " parameter group ", g));
    options.push_back(o);
    for (const Tensor& p : groups[g].params()) params.push_back(p);
  }
  check_known_metadata(meta, state.metadata, source);

  enum Field { kStep, kExpAvg, kExpAvgSq, kMaxExpAvgSq, kFields };
  static const char* const field_names[kFields] = {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"};
  std::vector<std::array<Tensor, kFields>> found(params.size());
  for (const auto& kv : state.tensors) {
    int64_t i = -1;
    int f = 0;
    for (; f < kFields && i < 0; ++f) i = state_index(kv.first, field_names[f]);
    --f;
    EMBER_CHECK(i >= 0, "load(optimizer): ", source, " has unexpected tensor \"", kv.first, "\" (", kind,
                " state is state.<index>.step, .exp_avg, .exp_avg_sq and .max_exp_avg_sq)");
    EMBER_CHECK(i < int64_t(params.size()), "load(optimizer): ", source, ": \"", kv.first, "\" names parameter ", i,
                " but the optimizer has ", params.size());
    const Tensor& p = params[size_t(i)];
    const Tensor& t = kv.second;
    if (f == kStep) {
      EMBER_CHECK(t.defined() && t.dim() == 0 && t.dtype() == kLong, "load(optimizer): ", source, ": \"", kv.first,
                  "\" is ", t.defined() ? describe(t) : std::string("undefined"), ", not a 0-dim int64 tensor");
      EMBER_CHECK(t.item<int64_t>() >= 0, "load(optimizer): ", source, ": \"", kv.first, "\" is ",
                  t.item<int64_t>(), ", a step count must be >= 0");
    } else {
      EMBER_CHECK(t.defined() && t.sizes().equals(p.sizes()) && t.dtype() == p.dtype(), "load(optimizer): ", source,
                  ": \"", kv.first, "\" is ", t.defined() ? describe(t) : std::string("undefined"), " but parameter ",
                  i, " is ", describe(p));
    }
    found[size_t(i)][size_t(f)] = t;
  }
  // A parameter has either no state (never stepped) or step and both moments.
  for (size_t i = 0; i < params.size(); ++i) {
    const std::array<Tensor, kFields>& fs = found[i];
    const bool any = fs[kStep].defined() || fs[kExpAvg].defined() || fs[kExpAvgSq].defined() ||
                     fs[kMaxExpAvgSq].defined();
    const bool core = fs[kStep].defined() && fs[kExpAvg].defined() && fs[kExpAvgSq].defined();
    EMBER_CHECK(!any || core, "load(optimizer): ", source, ": the state of parameter ", i,
                " is incomplete (state.", i, ".step, .exp_avg and .exp_avg_sq go together)");
  }

  optim::Optimizer::StateMap fresh;
  {
    NoGradGuard no_grad;
    for (size_t i = 0; i < params.size(); ++i) {
      const std::array<Tensor, kFields>& fs = found[i];
      if (!fs[kStep].defined()) continue;
      // Private copies on the parameter's device, as the step would have made them.
      auto own = [&](const Tensor& t) { return t.detach().to(params[i].device(), std::nullopt, false, /*copy=*/true); };
      auto st = std::make_unique<State>();
      st->step(fs[kStep].template item<int64_t>());
      st->exp_avg(own(fs[kExpAvg]));
      st->exp_avg_sq(own(fs[kExpAvgSq]));
      if (fs[kMaxExpAvgSq].defined()) st->max_exp_avg_sq(own(fs[kMaxExpAvgSq]));
      fresh[params[i].unsafeGetTensorImpl()] = std::move(st);
    }
  }
  optimizer.state() = std::move(fresh);
  for (size_t g = 0; g < groups.size(); ++g) groups[g].set_options(options[g].clone());
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
      mismatched.push_back(detail::str(kv.first, ": shape ", src.sizes(), " in the file, ", dst.sizes(),
                                       " in the module"));
    else if (src.dtype() != dst.dtype())
      mismatched.push_back(detail::str(kv.first, ": dtype ", src.dtype(), " in the file, ", dst.dtype(),
                                       " in the module"));
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
  load_state_dict(module, load_tensors(path).tensors, "'" + path + "'");
}

// --- optimizers ---------------------------------------------------------------------------

SafeTensors optimizer_state(const optim::Optimizer& optimizer) {
  check_supported(optimizer, "save(optimizer)");
  const std::string kind = kind_of(optimizer);
  SafeTensors out;
  out.metadata["optimizer"] = kind;
  out.metadata["param_groups"] = std::to_string(optimizer.param_groups().size());
  if (kind == "SGD")
    sgd_state(optimizer, out);
  else if (kind == "Adam")
    adam_state<optim::AdamOptions, optim::AdamParamState>(optimizer, "Adam", out);
  else
    adam_state<optim::AdamWOptions, optim::AdamWParamState>(optimizer, "AdamW", out);
  return out;
}

void load_optimizer_state(optim::Optimizer& optimizer, const SafeTensors& state, const std::string& source) {
  check_supported(optimizer, "load(optimizer)");
  const std::string own = kind_of(optimizer);
  MetaReader meta{state.metadata, source, {}};
  const std::string& kind = meta.get("optimizer");
  EMBER_CHECK(kind == own, "load(optimizer): ", source, " holds the state of a ", kind, " optimizer, not ", own);
  const int64_t num_groups = meta.count("param_groups");
  EMBER_CHECK(num_groups == int64_t(optimizer.param_groups().size()), "load(optimizer): ", source, " has ",
              num_groups, " parameter groups, the optimizer ", optimizer.param_groups().size());
  if (own == "SGD")
    load_sgd_state(optimizer, state, meta, source);
  else if (own == "Adam")
    load_adam_state<optim::AdamOptions, optim::AdamParamState>(optimizer, state, meta, source, "Adam");
  else
    load_adam_state<optim::AdamWOptions, optim::AdamWParamState>(optimizer, state, meta, source, "AdamW");
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
