// Writing .pt files (ember/pt_file.h, save_pt): what Python's torch.save(state_dict) writes,
// an OrderedDict of tensors pickled with protocol 2, each tensor a _rebuild_tensor_v2 of its
// own storage record archive/data/<i>, in the zip layout of zip_writer.cpp. Python's torch.load
// reads it (tests/pt/check_pt_roundtrip.py checks this with python3-torch).
#include "ember/pt_file.h"
#include "file_io.h"
#include "zip.h"

namespace ember {

namespace {

const char* storage_name(ScalarType t) {
  switch (t) {
    case ScalarType::Float: return "FloatStorage";
    case ScalarType::Double: return "DoubleStorage";
    case ScalarType::Long: return "LongStorage";
    case ScalarType::Bool: return "BoolStorage";
    default: return nullptr;
  }
}

// The few pickle opcodes the writer needs.
struct Pickler {
  std::string out = "\x80\x02";  // PROTO 2
  void global(const char* module, const char* name) { out += std::string("c") + module + "\n" + name + "\n"; }
  void str(const std::string& s) {
    out += 'X';
    for (int i = 0; i < 4; ++i) out += char((s.size() >> (8 * i)) & 0xFF);
    out += s;
  }
  void integer(int64_t v) {
    if (v >= 0 && v < 256) {
      out += 'K';
      out += char(v);
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
      out += 'J';
      for (int i = 0; i < 4; ++i) out += char((uint64_t(v) >> (8 * i)) & 0xFF);
    } else {
      out += "\x8a\x08";  // LONG1, 8 bytes
      for (int i = 0; i < 8; ++i) out += char((uint64_t(v) >> (8 * i)) & 0xFF);
    }
  }
  void int_tuple(IntArrayRef v) {
    out += '(';
    for (int64_t x : v) integer(x);
    out += 't';
  }
  void ordered_dict() {
    global("collections", "OrderedDict");
    out += ")R";  // OrderedDict()
  }
};

struct Prepared {
  std::string pickle;
  std::vector<Tensor> storages;  // contiguous CPU tensors, record i = storages[i]
};

Prepared prepare(const TensorMap& tensors) {
  Prepared p;
  Pickler pk;
  pk.ordered_dict();
  pk.out += '(';  // MARK for SETITEMS
  for (const auto& kv : tensors) {
    const Tensor& t = kv.second;
    EMBER_CHECK(t.defined(), "save_pt: tensor '", kv.first, "' is undefined");
    const char* storage = storage_name(t.dtype());
    EMBER_CHECK(storage != nullptr, "save_pt: tensor '", kv.first, "' has dtype ", t.dtype(),
                ", which ember cannot write (supported: float32, float64, int64, bool)");
    Tensor c = t.detach();
    if (!c.device().is_cpu()) c = c.to(Device(kCPU));
    c = c.contiguous();
    const std::string key = std::to_string(p.storages.size());
    pk.str(kv.first);
    pk.global("torch._utils", "_rebuild_tensor_v2");
    pk.out += "((";  // the arguments' tuple, then the persistent id's
    pk.str("storage");
    pk.global("torch", storage);
    pk.str(key);
    pk.str("cpu");
    pk.integer(c.numel());
    pk.out += "tQ";  // TUPLE, BINPERSID
    pk.integer(0);   // storage offset
    pk.int_tuple(c.sizes());
    pk.int_tuple(c.strides());
    pk.out += '\x89';   // requires_grad = False
    pk.ordered_dict();  // backward hooks
    pk.out += "tR";
    p.storages.push_back(c);
  }
  pk.out += "u.";  // SETITEMS, STOP
  p.pickle = std::move(pk.out);
  return p;
}

void write(const Prepared& p, zip::Writer& w) {
  w.add("archive/data.pkl", p.pickle.data(), p.pickle.size());
  for (size_t i = 0; i < p.storages.size(); ++i)
    w.add("archive/data/" + std::to_string(i), p.storages[i].nbytes() ? p.storages[i].data_ptr() : nullptr,
          p.storages[i].nbytes());
  w.add("archive/version", "3\n", 2);
  w.finish();
}

}  // namespace

std::string save_pt_to_bytes(const TensorMap& tensors) {
  const Prepared p = prepare(tensors);
  std::string out;
  zip::Writer w([&out](const void* d, size_t n) { out.append(static_cast<const char*>(d), n); });
  write(p, w);
  return out;
}

void save_pt(const TensorMap& tensors, const std::string& path) {
  const Prepared p = prepare(tensors);  // every check before the file is touched
  file_io::AtomicOutputFile out(path, "save_pt");
  zip::Writer w([&out](const void* d, size_t n) { out.write(d, n); });
  write(p, w);
  out.commit();
}

}  // namespace ember
