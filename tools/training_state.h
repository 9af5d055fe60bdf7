#pragma once
// train_cifar's checkpoints (--save / --resume), one safetensors file holding everything a run
// needs to continue exactly where it stopped: the model (a Module's state_dict, or the barebones
// parameter list as model.params.0, ...), the optimizer's state (momentum buffers), the CPU
// generator, and the position (epoch, batch within the epoch, steps, images). Only values that
// the training itself determines go in (no times), so the same state gives the same bytes.
#include <string>

#include "cifar_models.h"
#include "ember/random.h"
#include "ember/serialize.h"

namespace cifar {

struct Position {
  int64_t epoch = 0;   // the epoch being trained (0-based)
  int64_t batch = 0;   // batches of that epoch already trained
  int64_t steps = 0;   // optimizer steps since the start of the run, across resumes
  int64_t images = 0;  // images trained on, likewise
};

/// What must match between the run that saved and the run that resumes.
struct RunKey {
  std::string model;
  uint64_t seed = 0;
  int64_t batch_size = 0;
};

inline void save_state(const std::string& path, const Training& t, const RunKey& key, const Position& pos) {
  ember::Checkpoint ck;
  if (t.module) {
    ck.add_module("model.", *t.module);
  } else {
    for (size_t i = 0; i < t.params.size(); ++i) ck.tensors["model.params." + std::to_string(i)] = t.params[i];
  }
  if (t.optimizer) ck.add_optimizer("optimizer.", *t.optimizer);
  ck.tensors["rng_state"] = ember::get_rng_state();
  ck.metadata["model"] = key.model;
  ck.metadata["seed"] = std::to_string(key.seed);
  ck.metadata["batch_size"] = std::to_string(key.batch_size);
  ck.metadata["epoch"] = std::to_string(pos.epoch);
  ck.metadata["batch"] = std::to_string(pos.batch);
  ck.metadata["steps"] = std::to_string(pos.steps);
  ck.metadata["images"] = std::to_string(pos.images);
  ck.save(path);
}

namespace detail {
inline int64_t meta_int(const ember::Checkpoint& ck, const std::string& key) {
  const std::string& v = ck.meta(key);
  size_t used = 0;
  int64_t x = -1;
  try {
    x = std::stoll(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != v.size() || v.empty() || x < 0)
    throw ember::Error("checkpoint " + ck.source + ": metadata \"" + key + "\" is '" + v +
                       "', expected a non-negative integer");
  return x;
}
}  // namespace detail

/// Loads `path` into the training built for the same run; returns where to continue.
inline Position load_state(const std::string& path, Training& t, const RunKey& key) {
  ember::Checkpoint ck = ember::Checkpoint::load(path);
  auto expect = [&](const std::string& name, const std::string& want) {
    const std::string& got = ck.meta(name);
    if (got != want)
      throw ember::Error("--resume '" + path + "' was saved by a run with " + name + " " + got +
                         ", but this run has " + name + " " + want + "; resume with the same flags");
  };
  expect("model", key.model);
  expect("seed", std::to_string(key.seed));
  expect("batch_size", std::to_string(key.batch_size));
  if (t.module) {
    ck.load_module("model.", *t.module);
  } else {
    ember::NoGradGuard no_grad;
    for (size_t i = 0; i < t.params.size(); ++i) {
      const ember::Tensor& saved = ck.tensor("model.params." + std::to_string(i));
      if (!saved.sizes().equals(t.params[i].sizes()) || saved.dtype() != t.params[i].dtype())
        throw ember::Error("checkpoint '" + path + "': model.params." + std::to_string(i) +
                           " does not match the model's parameter " + std::to_string(i));
      t.params[i].copy_(saved);
    }
  }
  if (t.optimizer) ck.load_optimizer("optimizer.", *t.optimizer);
  ember::set_rng_state(ck.tensor("rng_state"));
  Position pos;
  pos.epoch = detail::meta_int(ck, "epoch");
  pos.batch = detail::meta_int(ck, "batch");
  pos.steps = detail::meta_int(ck, "steps");
  pos.images = detail::meta_int(ck, "images");
  return pos;
}

}  // namespace cifar
