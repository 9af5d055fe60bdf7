// The optimizer state archives: see state_archive.h.
#include "optim/state_archive.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "ember/autograd.h"
#include "tensor_impl.h"  // describe

namespace ember {
namespace optim {
namespace detail {

namespace {

std::string group_key(size_t group, const std::string& name) {
  return "param_groups." + std::to_string(group) + "." + name;
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

// "state.<i>.<field>" -> i, or -1 when the key has another form.
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

// "state.<index>.a, .b and .c": the names a file of this kind may hold, for error messages.
std::string field_list(const std::vector<StateReader::Field>& fields) {
  std::string s = "state.<index>";
  for (size_t f = 0; f < fields.size(); ++f) {
    s += f == 0 ? "." : f + 1 == fields.size() ? " and ." : ", .";
    s += fields[f].name;
  }
  return s;
}

}  // namespace

// --- writer ---------------------------------------------------------------------------------

StateWriter::StateWriter(const Optimizer& optimizer, const std::string& kind, SafeTensors& out) : out_(out) {
  const auto& groups = optimizer.param_groups();
  out_.metadata["optimizer"] = kind;
  out_.metadata["param_groups"] = std::to_string(groups.size());
  for (size_t g = 0; g < groups.size(); ++g) {
    out_.metadata[group_key(g, "num_params")] = std::to_string(groups[g].params().size());
    for (const Tensor& p : groups[g].params()) index_.emplace(p.unsafeGetTensorImpl(), index_.size());
  }
}

void StateWriter::number(size_t group, const std::string& name, double value) {
  out_.metadata[group_key(group, name)] = format_double(value);
}

void StateWriter::flag(size_t group, const std::string& name, bool value) {
  out_.metadata[group_key(group, name)] = value ? "true" : "false";
}

void StateWriter::text(size_t group, const std::string& name, const std::string& value) {
  out_.metadata[group_key(group, name)] = value;
}

void StateWriter::tensor(const Tensor& param, const std::string& field, const Tensor& value) {
  auto it = index_.find(param.unsafeGetTensorImpl());
  EMBER_CHECK(it != index_.end(), "save(optimizer): the state \"", field, "\" belongs to a tensor (", describe(param),
              ") that is not a parameter of the optimizer");
  out_.tensors["state." + std::to_string(it->second) + "." + field] = value;
}

// --- reader ---------------------------------------------------------------------------------

StateReader::StateReader(const Optimizer& optimizer, const std::string& kind, const SafeTensors& in, std::string source)
    : optimizer_(optimizer), in_(in), source_(std::move(source)), kind_(kind), params_(optimizer.all_parameters()) {
  const std::string& file_kind = get("optimizer");
  EMBER_CHECK(file_kind == kind, where(), " holds the state of a ", file_kind, " optimizer, not ", kind);
  const int64_t num_groups = count("param_groups");
  EMBER_CHECK(num_groups == int64_t(optimizer.param_groups().size()), where(), " has ", num_groups,
              " parameter groups, the optimizer ", optimizer.param_groups().size());
}

std::string StateReader::where() const { return "load(optimizer): " + source_; }

const std::string& StateReader::get(const std::string& key) {
  auto it = in_.metadata.find(key);
  EMBER_CHECK(it != in_.metadata.end(), where(), " lacks metadata \"", key, "\"");
  used_.push_back(key);
  return it->second;
}

int64_t StateReader::count(const std::string& key) {
  const std::string& s = get(key);
  int64_t v = 0;
  bool ok = !s.empty() && s.size() <= 18;
  for (const char c : s) {
    ok = ok && c >= '0' && c <= '9';
    if (ok) v = v * 10 + (c - '0');
  }
  EMBER_CHECK(ok, where(), ": metadata \"", key, "\" = \"", s, "\" is not a non-negative integer");
  return v;
}

void StateReader::begin_group(size_t group) {
  const auto& g = optimizer_.param_groups().at(group);
  const int64_t n = count(group_key(group, "num_params"));
  EMBER_CHECK(n == int64_t(g.params().size()), where(), ": parameter group ", group, " has ", n,
              " parameters, the optimizer's ", g.params().size());
}

double StateReader::number(size_t group, const std::string& name) {
  const std::string key = group_key(group, name);
  const std::string& s = get(key);
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  EMBER_CHECK(!s.empty() && end == s.c_str() + s.size() && errno == 0 && std::isfinite(v), where(), ": metadata \"",
              key, "\" = \"", s, "\" is not a finite number");
  return v;
}

bool StateReader::flag(size_t group, const std::string& name) {
  const std::string key = group_key(group, name);
  const std::string& s = get(key);
  EMBER_CHECK(s == "true" || s == "false", where(), ": metadata \"", key, "\" = \"", s, "\" is not true or false");
  return s == "true";
}

int64_t StateReader::integer(size_t group, const std::string& name) {
  const std::string key = group_key(group, name);
  const std::string& s = get(key);
  const size_t digits = s.size() - (!s.empty() && s[0] == '-');
  bool ok = digits >= 1 && digits <= 18;
  int64_t v = 0;
  for (size_t i = s.size() - digits; i < s.size(); ++i) {
    ok = ok && s[i] >= '0' && s[i] <= '9';
    if (ok) v = v * 10 + (s[i] - '0');
  }
  EMBER_CHECK(ok, where(), ": metadata \"", key, "\" = \"", s, "\" is not an integer");
  return s[0] == '-' ? -v : v;
}

const std::string& StateReader::text(size_t group, const std::string& name) { return get(group_key(group, name)); }

std::vector<std::vector<Tensor>> StateReader::state(const std::vector<Field>& fields) {
  for (const auto& kv : in_.metadata) {
    bool known = false;
    for (const auto& u : used_) known = known || u == kv.first;
    EMBER_CHECK(known, where(), " has unexpected metadata \"", kv.first, "\"");
  }
  std::vector<std::vector<Tensor>> found(params_.size(), std::vector<Tensor>(fields.size()));
  for (const auto& kv : in_.tensors) {
    int64_t i = -1;
    size_t f = 0;
    for (; f < fields.size(); ++f)
      if ((i = state_index(kv.first, fields[f].name)) >= 0) break;
    EMBER_CHECK(i >= 0, where(), " has unexpected tensor \"", kv.first, "\" (", kind_, " state is ", field_list(fields),
                ")");
    EMBER_CHECK(i < int64_t(params_.size()), where(), ": \"", kv.first, "\" names parameter ", i,
                " but the optimizer has ", params_.size());
    const Tensor& p = params_[size_t(i)];
    const Tensor& t = kv.second;
    const std::string what = t.defined() ? describe(t) : std::string("undefined");
    if (fields[f].kind == Kind::kCount) {
      EMBER_CHECK(t.defined() && t.dim() == 0 && t.dtype() == kLong, where(), ": \"", kv.first, "\" is ", what,
                  ", not a 0-dim int64 tensor");
      EMBER_CHECK(t.item<int64_t>() >= 0, where(), ": \"", kv.first, "\" is ", t.item<int64_t>(),
                  ", a step count must be >= 0");
    } else if (fields[f].kind == Kind::kOwn) {
      EMBER_CHECK(t.defined(), where(), ": \"", kv.first, "\" is undefined");
    } else {
      EMBER_CHECK(t.defined() && t.sizes().equals(p.sizes()) && t.dtype() == p.dtype(), where(), ": \"", kv.first,
                  "\" is ", what, " but parameter ", i, " is ", describe(p));
    }
    found[size_t(i)][f] = t;
  }
  return found;
}

Tensor StateReader::own_copy(const Tensor& loaded, const Tensor& param) {
  NoGradGuard no_grad;
  return loaded.detach().to(param.device(), std::nullopt, false, /*copy=*/true);
}

}  // namespace detail
}  // namespace optim
}  // namespace ember
