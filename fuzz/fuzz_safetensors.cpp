// libFuzzer target: arbitrary bytes as a safetensors file. Every input must either load or throw
// ember::Error; anything else (a crash, a sanitizer report, another exception) is a bug. What
// loads must survive a save/load round trip unchanged and be safe to offer to a small module,
// an SGD optimizer and set_rng_state, which must reject what does not fit with ember::Error too.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "ember/ember.h"
#include "ember/random.h"
#include "ember/serialize.h"

namespace {

struct TinyImpl : ember::nn::Module {
  TinyImpl() {
    fc = register_module("fc", ember::nn::Linear(2, 3));
    bn = register_module("bn", ember::nn::BatchNorm2d(3));
  }
  ember::Tensor forward(const ember::Tensor& x) { return fc(x); }
  ember::nn::Linear fc{nullptr};
  ember::nn::BatchNorm2d bn{nullptr};
};
EMBER_MODULE(Tiny);

// Aborting makes libFuzzer keep the input as a crash.
void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_safetensors: invariant broken: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ember::set_num_threads(1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ember::SafeTensors file;
  try {
    file = ember::load_tensors_from_bytes(data, size, "fuzz input");
  } catch (const ember::Error&) {
    return 0;
  }

  // What loads must save and load back identically.
  const std::string bytes = ember::save_tensors_to_bytes(file.tensors, file.metadata);
  const ember::SafeTensors again = ember::load_tensors_from_bytes(bytes.data(), bytes.size(), "re-saved fuzz input");
  require(again.metadata == file.metadata, "metadata changed in a round trip");
  require(again.tensors.size() == file.tensors.size(), "tensor count changed in a round trip");
  for (const auto& kv : file.tensors) {
    auto it = again.tensors.find(kv.first);
    require(it != again.tensors.end(), "a tensor vanished in a round trip");
    const ember::Tensor& a = kv.second;
    const ember::Tensor& b = it->second;
    require(a.dtype() == b.dtype() && a.sizes() == b.sizes(), "a tensor changed shape or dtype in a round trip");
    require(a.nbytes() == 0 || std::memcmp(a.data_ptr(), b.data_ptr(), a.nbytes()) == 0,
            "a tensor changed bytes in a round trip");
  }
  // A canonical file is a fixed point.
  require(ember::save_tensors_to_bytes(again.tensors, again.metadata) == bytes, "re-saving is not deterministic");

  Tiny tiny;
  try {
    ember::load_state_dict(*tiny, file.tensors, "fuzz input");
  } catch (const ember::Error&) {
  }
  ember::optim::SGD sgd(tiny->parameters(), ember::optim::SGDOptions(0.1).momentum(0.9));
  try {
    ember::load_optimizer_state(sgd, file, "fuzz input");
  } catch (const ember::Error&) {
  }
  auto rng = file.tensors.find("rng");
  if (rng != file.tensors.end()) {
    const ember::Tensor saved = ember::get_rng_state();
    try {
      ember::set_rng_state(rng->second);
      (void)ember::randn({20});
    } catch (const ember::Error&) {
    }
    ember::set_rng_state(saved);
  }
  return 0;
}
