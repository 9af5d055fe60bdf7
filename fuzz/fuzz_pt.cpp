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
