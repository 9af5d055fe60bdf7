// libFuzzer target: arbitrary bytes as a PyTorch .pt file (zip archive + restricted pickle).
// Every input must either load or throw ember::Error; anything else (a crash, a sanitizer
// report, a hang, another exception) is a bug. What loads is walked completely, its tensors
// read element by element (a view reaching outside its storage would be caught by ASan), and
// offered to a small module, which must reject what does not fit with ember::Error too.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "ember/ember.h"
#include "ember/pt_file.h"

namespace {

struct TinyImpl : ember::nn::Module {
  TinyImpl() {
    fc = register_module("fc", ember::nn::Linear(2, 3));
    bn = register_module("bn", ember::nn::BatchNorm2d(3));
  }
  ember::nn::Linear fc{nullptr};
  ember::nn::BatchNorm2d bn{nullptr};
};
EMBER_MODULE(Tiny);

size_t visits = 0;

uint32_t crc32(const std::string& s) {
  uint32_t c = ~0u;
  for (unsigned char b : s) {
    c ^= b;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
  }
  return ~c;
}

void le(std::string& s, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) s += char(i < 8 ? (v >> (8 * i)) & 0xFF : 0);
}

// A stored zip archive of the given records (the CRC-32s right), so that mutated pickles get
// past the archive checks and reach the unpickler.
std::string zip_of(const std::vector<std::pair<std::string, std::string>>& records) {
  std::string out, central;
  for (const auto& r : records) {
    const uint32_t crc = crc32(r.second);
    const size_t offset = out.size();
    le(out, 0x04034b50, 4);
    le(out, 20, 2);
    le(out, 0, 8);
    le(out, crc, 4);
    le(out, r.second.size(), 4);
    le(out, r.second.size(), 4);
    le(out, r.first.size(), 2);
    le(out, 0, 2);
    out += r.first + r.second;
    le(central, 0x02014b50, 4);
    le(central, 20, 2);
    le(central, 20, 2);
    le(central, 0, 8);
    le(central, crc, 4);
    le(central, r.second.size(), 4);
    le(central, r.second.size(), 4);
    le(central, r.first.size(), 2);
    le(central, 0, 12);
    le(central, offset, 4);
    central += r.first;
  }
  const size_t cd = out.size();
  out += central;
  le(out, 0x06054b50, 4);
  le(out, 0, 4);
  le(out, records.size(), 2);
  le(out, records.size(), 2);
  le(out, central.size(), 4);
  le(out, cd, 4);
  le(out, 0, 2);
  return out;
}

// Touches every value; the unpickler's depth limit keeps the recursion shallow, the visit
// budget keeps shared sub-trees from taking exponential time.
void walk(const ember::PtValue& v) {
  if (++visits > 100000) return;
  using K = ember::PtValue::Kind;
  switch (v.kind()) {
    case K::Tensor:
    case K::Storage: {
      // A stride-0 view can be huge over a tiny storage: only small ones are copied.
      if (v.toTensor().numel() > (int64_t(1) << 20)) break;
      const ember::Tensor c = v.toTensor().contiguous();  // reads every element through the strides
      if (c.numel() > 0 && c.dtype() != ember::kBool) (void)c.sum();
      break;
    }
    case K::List:
    case K::Tuple:
      for (const auto& e : v.elements()) walk(e);
      break;
    case K::Dict:
    case K::Object:
      for (const auto& e : v.entries()) {
        walk(e.first);
        walk(e.second);
      }
      break;
    default: break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ember::set_num_threads(1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // An input that starts as a pickle does (PROTO) is a data.pkl: it is wrapped into a valid
  // archive with storages "0" to "3" (16, 8, 0 and 3 bytes), so the unpickler sees mutations
  // the archive's CRC-32 would otherwise stop. Any other input is a whole .pt file.
  std::string wrapped;
  if (size > 0 && data[0] == 0x80) {
    const std::string pkl(reinterpret_cast<const char*>(data), size);
    wrapped =
        zip_of({{"archive/data.pkl", pkl},
                {"archive/data/0", std::string("\x00\x00\x80\x3f\x00\x00\x00\x40\x00\x00\x40\x40\x00\x00\x80\x40", 16)},
                {"archive/data/1", std::string("\x05\x00\x00\x00\x00\x00\x00\x00", 8)},
                {"archive/data/2", std::string()},
                {"archive/data/3", std::string("\x01\x00\x01", 3)},
                {"archive/version", "3\n"}});
    data = reinterpret_cast<const uint8_t*>(wrapped.data());
    size = wrapped.size();
  }
  ember::PtValue root;
  try {
    root = ember::load_pt_from_bytes(data, size, "fuzz input");
  } catch (const ember::Error&) {
    return 0;
  }
  visits = 0;
  walk(root);
  try {
    const ember::TensorMap tensors = ember::pt_tensors(root, "fuzz input");
    int64_t total = 0;
    for (const auto& kv : tensors) total += std::min<int64_t>(kv.second.numel(), int64_t(1) << 40);
    if (total > (int64_t(1) << 20)) return 0;  // re-saving copies each view in full
    Tiny tiny;
    ember::load_state_dict(*tiny, tensors, "fuzz input");
    // What loads re-saves and loads back (contiguous now) with the same values.
    const std::string bytes = ember::save_pt_to_bytes(tensors);
    const ember::TensorMap again =
        ember::pt_tensors(ember::load_pt_from_bytes(bytes.data(), bytes.size(), "re-saved"), "re-saved");
    if (again.size() != tensors.size()) {
      std::fprintf(stderr, "fuzz_pt: a round trip changed the tensor count\n");
      std::abort();
    }
  } catch (const ember::Error&) {
  }
  return 0;
}
