// Reading .pt files (ember/pt_file.h): the zip archive (zip_reader.cpp), the restricted
// unpickler (pickle.cpp), and here what torch.save's pickles mean: the allowed globals, the
// tensors rebuilt from storages (each storage read once, straight into tensor memory; views
// of one storage share it), and the named tensors a state_dict or TorchScript module holds.
#include <cstring>
#include <limits>
#include <new>

#include "../tensor_impl.h"
#include "ember/pt_file.h"
#include "file_io.h"
#include "pickle.h"
#include "zip.h"

namespace ember {

namespace {

using Kind = PtValue::Kind;
constexpr size_t kMaxPtDims = 64;
// The newest record format torch.save (PyTorch 1.6 to 2.x) and TorchScript write.
constexpr int64_t kMaxVersion = 10;
// A walk of a value's tree visits at most this many values (shared sub-trees count each time).
constexpr size_t kMaxVisits = size_t(1) << 22;

const char* const kAllowed =
    "collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch._utils._rebuild_tensor, "
    "torch._utils._rebuild_parameter, torch.<Type>Storage, torch.device, torch.jit._pickle.build_*list, __torch__.*";

std::optional<ScalarType> storage_dtype(const std::string& name) {
  if (name == "torch.FloatStorage") return kFloat;
  if (name == "torch.DoubleStorage") return kDouble;
  if (name == "torch.LongStorage") return kLong;
  if (name == "torch.BoolStorage") return kBool;
  return std::nullopt;
}

bool is_storage_type(const std::string& name) {
  static const char* const kTypes[] = {"Float", "Double", "Long", "Bool", "Half",         "BFloat16",
                                       "Int",   "Short",  "Char", "Byte", "ComplexFloat", "ComplexDouble"};
  for (const char* t : kTypes)
    if (name == std::string("torch.") + t + "Storage") return true;
  return false;
}

class PtReader {
 public:
  PtReader(zip::ByteSource src, std::string file) : file_(std::move(file)), zip_(std::move(src), file_, "load_pt") {}

  PtValue read() {
    if (zip_.entries().empty()) fail("the zip archive is empty (a .pt file holds data.pkl)");
    const std::string& first = zip_.entries().front().name;
    const size_t slash = first.find('/');
    if (slash == std::string::npos || slash == 0)
      fail("its first entry '" + first + "' is not inside a folder (a .pt archive holds <name>/data.pkl)");
    prefix_ = first.substr(0, slash + 1);
    const zip::Entry* version = zip_.find(prefix_ + "version");
    if (!version) version = zip_.find(prefix_ + ".data/version");
    if (!version) fail("it has no '" + prefix_ + "version' record: not a file torch.save or TorchScript wrote");
    if (version->size > 32) fail("its version record is " + std::to_string(version->size) + " bytes, not a number");
    const std::string v = zip_.read(*version);
    int64_t n = 0;
    size_t i = 0;
    for (; i < v.size() && v[i] >= '0' && v[i] <= '9'; ++i) n = n * 10 + (v[i] - '0');
    if (i == 0 || (i < v.size() && v.substr(i) != "\n")) fail("its version record '" + v + "' is not a number");
    if (n < 1 || n > kMaxVersion)
      fail(detail::str("its format version is ", n, "; ember reads versions 1 to ", kMaxVersion));

    const zip::Entry* pkl = zip_.find(prefix_ + "data.pkl");
    if (!pkl) fail("it has no '" + prefix_ + "data.pkl' record");
    const std::string pickle_bytes = zip_.read(*pkl);
    pickle::Hooks hooks;
    hooks.fail = [this](const std::string& what) { fail("data.pkl: " + what); };
    hooks.global = [this](const std::string& m, const std::string& n) { return global(m, n); };
    hooks.call = [this](const PtValue& f, const PtValue& args) { return call(f, args); };
    hooks.persistent_load = [this](const PtValue& pid) { return persistent_load(pid); };
    return pickle::unpickle(pickle_bytes, hooks);
  }

 private:
  std::string file_;
  zip::Reader zip_;
  std::string prefix_;
  std::map<std::string, PtValue> storages_;

  [[noreturn]] void fail(const std::string& what) const { throw Error(detail::str("load_pt: '", file_, "': ", what)); }

  PtValue global(const std::string& module, const std::string& name) {
    const std::string full = module + "." + name;
    const bool ok = full == "collections.OrderedDict" || full == "torch._utils._rebuild_tensor_v2" ||
                    full == "torch._utils._rebuild_tensor" || full == "torch._utils._rebuild_parameter" ||
                    full == "torch.device" || is_storage_type(full) ||
                    (module == "torch.jit._pickle" && name.rfind("build_", 0) == 0 && name.size() > 10 &&
                     name.compare(name.size() - 4, 4, "list") == 0) ||
                    module == "__torch__" || module.rfind("__torch__.", 0) == 0;
    if (!ok)
      fail("data.pkl: global '" + full +
           "' is not allowed: ember's unpickler builds tensors and containers and runs no other code (allowed: " +
           kAllowed + ")");
    return PtValue::from_string(full, Kind::Global);
  }

  static int64_t int_arg(const PtValue& v, const char* what, const PtReader& r) {
    if (v.kind() != Kind::Int) r.fail(detail::str("data.pkl: ", what, " is a ", v.kind_name(), ", not an Int"));
    return v.toInt();
  }
  std::vector<int64_t> int_tuple(const PtValue& v, const char* what) const {
    if (v.kind() != Kind::Tuple && v.kind() != Kind::List)
      fail(detail::str("data.pkl: a tensor's ", what, " is a ", v.kind_name(), ", not a tuple"));
    if (v.elements().size() > kMaxPtDims)
      fail(detail::str("data.pkl: a tensor has ", v.elements().size(), " dimensions, more than ", kMaxPtDims));
    std::vector<int64_t> out;
    for (const PtValue& e : v.elements()) out.push_back(int_arg(e, what, *this));
    return out;
  }

  // torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, ...): a view of the
  // storage, after checking that every element it can reach lies inside the storage.
  PtValue rebuild(const std::vector<PtValue>& a) {
    if (a[0].kind() != Kind::Storage) fail(detail::str("data.pkl: a tensor is rebuilt from a ", a[0].kind_name()));
    const Tensor& storage = a[0].toTensor();
    const int64_t offset = int_arg(a[1], "storage offset", *this);
    const std::vector<int64_t> sizes = int_tuple(a[2], "size"), strides = int_tuple(a[3], "stride");
    if (sizes.size() != strides.size())
      fail(detail::str("data.pkl: a tensor has ", sizes.size(), " sizes but ", strides.size(), " strides"));
    const ScalarType dtype = storage.dtype();
    int64_t numel = 0;
    const std::string problem = shape_problem(sizes, &dtype, &numel);
    if (!problem.empty()) fail("data.pkl: a tensor's " + problem);
    const int64_t available = storage.numel();
    if (offset < 0 || offset > available)
      fail(detail::str("data.pkl: a tensor starts at element ", offset, " of a storage of ", available, " elements"));
    if (numel > 0) {
      // The last element reachable: offset + sum (size - 1) * stride, which must be inside.
      int64_t last = offset;
      for (size_t d = 0; d < sizes.size(); ++d) {
        int64_t step = 0;
        if (strides[d] < 0) fail(detail::str("data.pkl: a tensor has negative stride ", strides[d]));
        if (__builtin_mul_overflow(sizes[d] - 1, strides[d], &step) || __builtin_add_overflow(last, step, &last))
          last = std::numeric_limits<int64_t>::max();
      }
      if (last >= available)
        fail(detail::str("data.pkl: a tensor of size ", IntArrayRef(sizes), ", stride ", IntArrayRef(strides),
                         " and offset ", offset, " reaches element ", last, " of a storage of ", available,
                         " elements"));
    }
    return PtValue::from_tensor(make_view(storage, sizes, strides, offset));
  }

  PtValue call(const PtValue& f, const PtValue& args) {
    const std::string& name = f.toStringRef();
    const std::vector<PtValue>& a = args.elements();
    auto need = [&](size_t lo, size_t hi) {
      if (a.size() < lo || a.size() > hi)
        fail(detail::str("data.pkl: ", name, " is called with ", a.size(), " arguments"));
    };
    if (name == "collections.OrderedDict") {
      need(0, 0);
      return PtValue::container(Kind::Dict);
    }
    if (name == "torch._utils._rebuild_tensor_v2") {
      need(6, 7);
      return rebuild(a);
    }
    if (name == "torch._utils._rebuild_tensor") {
      need(4, 4);
      return rebuild(a);
    }
    if (name == "torch._utils._rebuild_parameter") {
      need(3, 3);
      if (a[0].kind() != Kind::Tensor) fail(detail::str("data.pkl: a Parameter wraps a ", a[0].kind_name()));
      if (a[1].kind() != Kind::Bool) fail("data.pkl: a Parameter's requires_grad is not a Bool");
      if (a[1].toBool() && is_floating_point(a[0].toTensor().dtype())) a[0].toTensor().requires_grad_(true);
      return a[0];
    }
    if (name == "torch.device") {
      need(1, 2);
      if (a[0].kind() != Kind::String) fail("data.pkl: torch.device of a " + std::string(a[0].kind_name()));
      return a.size() == 2 && a[1].kind() == Kind::Int
                 ? PtValue::from_string(a[0].toStringRef() + ":" + std::to_string(a[1].toInt()))
                 : a[0];
    }
    if (name.rfind("torch.jit._pickle.build_", 0) == 0) {
      need(1, 1);
      if (!a[0].isList()) fail("data.pkl: " + name + " of a " + a[0].kind_name());
      return a[0];
    }
    fail("data.pkl: " + name + " is called (REDUCE); ember builds it only as a TorchScript object or storage type");
  }

  // BINPERSID ('storage', torch.<Type>Storage, key, location, numel): the bytes of
  // <name>/data/<key>, read once into a tensor of numel elements.
  PtValue persistent_load(const PtValue& pid) {
    if (pid.kind() != Kind::Tuple || pid.elements().size() != 5 || pid.elements()[0].kind() != Kind::String ||
        pid.elements()[0].toStringRef() != "storage")
      fail("data.pkl: a persistent id is not ('storage', type, key, location, numel)");
    const auto& e = pid.elements();
    if (e[1].kind() != Kind::Global || e[2].kind() != Kind::String || e[3].kind() != Kind::String)
      fail("data.pkl: a storage's type, key or location has the wrong kind");
    const std::string& type = e[1].toStringRef();
    const std::string& key = e[2].toStringRef();
    const int64_t numel = int_arg(e[4], "a storage's size", *this);
    const auto dtype = storage_dtype(type);
    if (!dtype)
      fail("data.pkl: storage '" + key + "' is a " + type +
           "; ember holds float32, float64, int64 and bool tensors (convert in Python first, e.g. t.float())");
    auto it = storages_.find(key);
    if (it != storages_.end()) {
      if (it->second.toTensor().dtype() != *dtype || it->second.toTensor().numel() != numel)
        fail("data.pkl: storage '" + key + "' is described twice differently");
      return it->second;
    }
    const zip::Entry* entry = zip_.find(prefix_ + "data/" + key);
    if (!entry) fail("storage '" + key + "' has no record '" + prefix_ + "data/" + key + "'");
    zip_.check_method(*entry);  // before allocating for a record that cannot be read
    const uint64_t item = element_size(*dtype);
    if (numel < 0 || entry->size % item != 0 || entry->size / item != uint64_t(numel))
      fail(detail::str("storage '", key, "' should hold ", numel, " elements of ", *dtype, " but its record is ",
                       entry->size, " bytes"));
    Tensor t;
    try {
      t = empty({numel}, *dtype);
    } catch (const OutOfMemoryError& err) {
      throw OutOfMemoryError(detail::str("load_pt: '", file_, "': out of memory for storage '", key, "' (", entry->size,
                                         " bytes): ", err.what()));
    }
    if (numel > 0) zip_.read(*entry, t.data_ptr());
    if (*dtype == kBool) {
      const auto* b = static_cast<const unsigned char*>(t.data_ptr());
      for (int64_t i = 0; i < numel; ++i)
        if (b[i] > 1) fail(detail::str("storage '", key, "' is bool but element ", i, " is byte ", int(b[i])));
    }
    PtValue v = PtValue::from_tensor(t, Kind::Storage);
    storages_.emplace(key, v);
    return v;
  }
};

// The first bytes of the file: a zip archive, the legacy format, or something else.
void check_magic(const unsigned char* p, uint64_t size, const std::string& file) {
  if (size >= 4 && p[0] == 'P' && p[1] == 'K' && ((p[2] == 3 && p[3] == 4) || (p[2] == 5 && p[3] == 6))) return;
  if (size >= 2 && p[0] == 0x80 && p[1] <= 5)
    throw Error(detail::str("load_pt: '", file,
                            "' is in the legacy format of PyTorch < 1.6 (a bare pickle), which ember does not read: "
                            "re-save it with a newer PyTorch (torch.save(obj, path, "
                            "_use_new_zipfile_serialization=True))"));
  throw Error(detail::str("load_pt: '", file, "' is not a PyTorch file (it does not start as a zip archive)"));
}

PtValue decode(const zip::ByteSource& src, const std::string& name) {
  unsigned char magic[4] = {0, 0, 0, 0};
  src.read(0, magic, size_t(std::min<uint64_t>(4, src.size)));
  check_magic(magic, src.size, name);
  try {
    return PtReader(src, name).read();
  } catch (const std::bad_alloc&) {
    throw OutOfMemoryError(detail::str("load_pt: '", name, "': out of memory while decoding"));
  }
}

void add_tensor(TensorMap& out, const std::string& key, const PtValue& v, const std::string& source) {
  EMBER_CHECK(v.isTensor(), "load: ", source, ": \"", key, "\" is a ", v.kind_name(), ", not a tensor");
  EMBER_CHECK(out.emplace(key, v.toTensor()).second, "load: ", source, ": \"", key, "\" occurs twice");
}

void object_tensors(TensorMap& out, const PtValue& obj, const std::string& prefix, const std::string& source,
                    size_t& visits) {
  for (const auto& e : obj.entries()) {
    EMBER_CHECK(++visits <= kMaxVisits, "load: ", source, ": more than ", kMaxVisits,
                " values to visit (shared sub-objects repeated): not a module's state");
    const std::string name = prefix + e.first.toStringRef();
    if (e.second.isTensor()) add_tensor(out, name, e.second, source);
    else if (e.second.isObject()) object_tensors(out, e.second, name + ".", source, visits);
  }
}

}  // namespace

PtValue load_pt(const std::string& path) {
  const file_io::InputFile file(path, "load_pt");
  return decode({file.size(), [&file](uint64_t o, void* dst, size_t n) { file.read_at(o, dst, n); }}, path);
}

PtValue load_pt_from_bytes(const void* data, size_t size, const std::string& name) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  return decode({size, [bytes](uint64_t o, void* dst, size_t n) { std::memcpy(dst, bytes + o, n); }}, name);
}

bool is_pt_file(const std::string& path) {
  const file_io::InputFile file(path, "load");
  unsigned char p[4] = {0, 0, 0, 0};
  if (file.size() < 4) return false;
  file.read_at(0, p, 4);
  return p[0] == 'P' && p[1] == 'K' && ((p[2] == 3 && p[3] == 4) || (p[2] == 5 && p[3] == 6));
}

TensorMap pt_tensors(const PtValue& value, const std::string& source) {
  TensorMap out;
  switch (value.kind()) {
    case Kind::Tensor: out.emplace("0", value.toTensor()); break;
    case Kind::List:
    case Kind::Tuple:
      for (size_t i = 0; i < value.elements().size(); ++i)
        add_tensor(out, std::to_string(i), value.elements()[i], source);
      break;
    case Kind::Dict:
      for (const auto& e : value.entries()) {
        EMBER_CHECK(e.first.kind() == Kind::String, "load: ", source, ": a dict key is a ", e.first.kind_name(),
                    ", not a name (a state_dict maps names to tensors)");
        add_tensor(out, e.first.toStringRef(), e.second, source);
      }
      break;
    case Kind::Object: {
      size_t visits = 0;
      object_tensors(out, value, "", source, visits);
      break;
    }
    default:
      throw Error(detail::str("load: ", source, " holds a ", value.kind_name(),
                              ", not tensors (a tensor, a list of tensors, a state_dict or a TorchScript module)"));
  }
  return out;
}

}  // namespace ember
