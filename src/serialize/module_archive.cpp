// LibTorch's archive methods of modules and optimizers: Module::save / load and
// Optimizer::save / load with torch::serialize::OutputArchive / InputArchive, for programs
// that write `model->save(archive); archive.save_to(path)` instead of torch::save(model, path).
// A module's archive holds its state_dict names; an optimizer's holds the tensors and strings of
// its checkpoint format (ember/serialize.h's optimizer_state), so both files are what
// torch::save would write.
#include "ember/nn/module.h"
#include "ember/optim/optimizer.h"
#include "ember/serialize.h"

namespace ember {
namespace nn {

void Module::save(serialize::OutputArchive& archive) const {
  for (const auto& p : named_parameters()) archive.write(p.key(), p.value());
  for (const auto& b : named_buffers()) archive.write(b.key(), b.value(), /*is_buffer=*/true);
}

void Module::load(serialize::InputArchive& archive) {
  for (auto& p : named_parameters()) archive.read(p.key(), p.value());
  for (auto& b : named_buffers()) archive.read(b.key(), b.value(), /*is_buffer=*/true);
}

}  // namespace nn

namespace optim {

void Optimizer::save(serialize::OutputArchive& archive) const {
  SafeTensors state;
  save(state);
  for (const auto& kv : state.tensors) archive.write(kv.first, kv.second);
  for (const auto& kv : state.metadata) archive.write(kv.first, IValue(kv.second));
}

void Optimizer::load(serialize::InputArchive& archive) {
  SafeTensors state;
  for (const std::string& key : archive.keys()) {
    Tensor t;
    if (archive.try_read(key, t)) {
      state.tensors[key] = t;
      continue;
    }
    IValue value;
    archive.read(key, value);
    EMBER_CHECK(value.isString(), "Optimizer::load: the archive's value \"", key,
                "\" is not a string: it was not written by Optimizer::save");
    state.metadata[key] = value.toStringRef();
  }
  load(state, "InputArchive");
}

}  // namespace optim
}  // namespace ember
