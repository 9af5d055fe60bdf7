#pragma once
// train_cifar's checkpoints (--save / --resume), one safetensors file holding everything a run
// needs to continue exactly where it stopped: the model (a Module's state_dict, or the barebones
// parameter list as model.params.0, ...), the optimizer's state (momentum buffers and its lr,
// momentum, nesterov; a barebones run stores its lr as metadata "lr"), the CPU generator, the
// position (epoch, batch within the epoch, steps, images), and what else decides the run's bytes
// (device type, threads, a fingerprint of each training file). Only values that the training
// itself determines go in (no times), so the same state gives the same bytes.
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

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

/// What else a byte-exact resume needs. A resume that differs in any of it still trains (with a
/// warning, or not at all with --strict-resume), but does not end as an uninterrupted run would.
/// Every entry is a metadata key and its value.
struct RunRecord {
  std::vector<std::pair<std::string, std::string>> entries;
};

/// The shape of this run's epochs, against which a checkpoint's position must make sense.
struct Layout {
  int64_t batches = 0;  // batches per epoch
  int64_t images = 0;   // training images per epoch
  int64_t batch_size = 0;
  int64_t epochs = 0;  // --epochs
};

/// The values the checkpoint holds for lr, momentum and nesterov (a barebones run: lr only;
/// nothing in a barebones checkpoint written before the lr was recorded).
struct StoredHyper {
  std::optional<double> lr, momentum;
  std::optional<bool> nesterov;
};

struct Loaded {
  Position pos;
  StoredHyper hyper;
  ember::MetadataMap metadata;
};

/// The training's parameters under their checkpoint names: "model." and the state_dict name for
/// a Module, "model.params.<i>" for a barebones parameter list.
inline std::vector<std::pair<std::string, Tensor>> named_parameters(const Training& t) {
  std::vector<std::pair<std::string, Tensor>> out;
  if (t.module) {
    for (const auto& kv : t.module->named_parameters()) out.emplace_back("model." + kv.key(), kv.value());
  } else {
    for (size_t i = 0; i < t.params.size(); ++i) out.emplace_back("model.params." + std::to_string(i), t.params[i]);
  }
  return out;
}

/// The checkpoint name of the first parameter that holds a NaN or an infinity; empty when all are
/// finite. One pass and one read: (p * 0).sum() is NaN exactly when p has a non-finite element
/// (inf * 0 and NaN * 0 are NaN, any finite value gives 0, so large values cannot overflow into a
/// false alarm), and the per-parameter sums are stacked and copied to the host once.
inline std::string first_nonfinite(const Training& t) {
  ember::NoGradGuard no_grad;
  const auto params = named_parameters(t);
  std::vector<Tensor> sums;
  for (const auto& kv : params) sums.push_back((kv.second * 0).sum());
  const Tensor flags = ember::stack(sums).cpu().to(ember::kFloat64);
  const double* v = flags.data_ptr<double>();
  for (size_t i = 0; i < params.size(); ++i) {
    if (v[i] != v[i]) return params[i].first;
  }
  return "";
}

/// The shortest decimal text that reads back as exactly `x` (so a resumed run steps with the
/// very same rate).
inline std::string round_trip(double x) {
  char text[32];
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(text, sizeof text, "%.*g", digits, x);
    if (std::strtod(text, nullptr) == x) break;
  }
  return text;
}

inline void save_state(const std::string& path, const Training& t, const RunKey& key, const RunRecord& record,
                       const Hyper& h, const Position& pos) {
  ember::Checkpoint ck;
  if (t.module) {
    ck.add_module("model.", *t.module);
  } else {
    for (const auto& kv : named_parameters(t)) ck.tensors[kv.first] = kv.second;
    ck.metadata["lr"] = round_trip(h.lr);  // a Module's optimizer records its own
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
  for (const auto& kv : record.entries) ck.metadata[kv.first] = kv.second;
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

inline double meta_double(const ember::Checkpoint& ck, const std::string& key) {
  const std::string& v = ck.meta(key);
  size_t used = 0;
  double x = 0;
  try {
    x = std::stod(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != v.size() || v.empty())
    throw ember::Error("checkpoint " + ck.source + ": metadata \"" + key + "\" is '" + v + "', expected a number");
  return x;
}

/// Throws unless the position is one a run with this layout can have written.
inline void check_position(const std::string& path, const Position& p, const Layout& l) {
  auto refuse = [&](const std::string& why) {
    throw ember::Error("--resume '" + path + "' holds an impossible position for this run: " + why);
  };
  if (p.batch >= l.batches)
    refuse("batch " + std::to_string(p.batch) + " is not below the " + std::to_string(l.batches) +
           " batches of an epoch");
  if (p.epoch > l.epochs || (p.epoch == l.epochs && p.batch > 0))
    refuse("epoch " + std::to_string(p.epoch + 1) + ", batch " + std::to_string(p.batch) + " is beyond --epochs " +
           std::to_string(l.epochs));
  const int64_t steps = p.epoch * l.batches + p.batch;
  if (p.steps != steps)
    refuse("steps " + std::to_string(p.steps) + ", but epoch " + std::to_string(p.epoch + 1) + ", batch " +
           std::to_string(p.batch) + " make " + std::to_string(steps) + " at " + std::to_string(l.batches) +
           " batches per epoch");
  const int64_t images = p.epoch * l.images + p.batch * l.batch_size;
  if (p.images != images)
    refuse("images " + std::to_string(p.images) + ", but epoch " + std::to_string(p.epoch + 1) + ", batch " +
           std::to_string(p.batch) + " make " + std::to_string(images) + " at " + std::to_string(l.images) +
           " images per epoch");
}
}  // namespace detail

/// Loads `path` into the training built for the same run; returns where to continue, the stored
/// hyper-parameters and the metadata. Refuses values the command line would refuse (lr, momentum,
/// a position this run cannot have written) and parameters that are not finite.
inline Loaded load_state(const std::string& path, Training& t, const RunKey& key, const Layout& layout) {
  ember::Checkpoint ck = ember::Checkpoint::load(path);
  auto expect = [&](const std::string& name, const std::string& want) {
    const std::string& got = ck.meta(name);
    if (got != want)
      throw ember::Error("--resume '" + path + "' was saved by a run with " + name + " " + got + ", but this run has " +
                         name + " " + want + "; resume with the same flags");
  };
  expect("model", key.model);
  expect("seed", std::to_string(key.seed));
  expect("batch_size", std::to_string(key.batch_size));
  Loaded out;
  out.pos.epoch = detail::meta_int(ck, "epoch");
  out.pos.batch = detail::meta_int(ck, "batch");
  out.pos.steps = detail::meta_int(ck, "steps");
  out.pos.images = detail::meta_int(ck, "images");
  detail::check_position(path, out.pos, layout);
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
  if (t.optimizer) {
    ck.load_optimizer("optimizer.", *t.optimizer);
    const auto& o = static_cast<const ember::optim::SGDOptions&>(t.optimizer->param_groups().at(0).options());
    out.hyper.lr = o.lr();
    out.hyper.momentum = o.momentum();
    out.hyper.nesterov = o.nesterov();
  } else if (ck.metadata.count("lr")) {
    out.hyper.lr = detail::meta_double(ck, "lr");
  }
  auto refuse = [&](const std::string& problem) {
    if (!problem.empty())
      throw ember::Error("--resume '" + path + "' holds a value the command line refuses: " + problem);
  };
  if (out.hyper.lr) refuse(lr_problem("lr", *out.hyper.lr));
  if (out.hyper.momentum) refuse(momentum_problem("momentum", *out.hyper.momentum));
  const std::string bad = first_nonfinite(t);
  if (!bad.empty())
    throw ember::Error("--resume '" + path + "' holds non-finite parameters (" + bad +
                       " has a NaN or an infinity); resume from an earlier checkpoint");
  ember::set_rng_state(ck.tensor("rng_state"));
  out.metadata = ck.metadata;
  return out;
}

/// The entries of `record` that the checkpoint's metadata holds otherwise (or not at all), as
/// "threads (saved 4, now 1)" joined by ", "; empty when all agree.
inline std::string record_differences(const ember::MetadataMap& saved, const RunRecord& record) {
  std::string out;
  for (const auto& kv : record.entries) {
    auto it = saved.find(kv.first);
    const std::string was = it == saved.end() ? "not recorded" : it->second;
    if (was == kv.second) continue;
    out += (out.empty() ? "" : ", ") + kv.first + " (saved " + was + ", now " + kv.second + ")";
  }
  return out;
}

}  // namespace cifar
