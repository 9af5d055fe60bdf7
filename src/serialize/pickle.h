#pragma once
// ember's restricted unpickler: a pickle machine that builds PtValue trees and never executes
// anything. It knows the opcodes of protocols 2-5 that torch.save and TorchScript emit; what a
// GLOBAL names and what calling it means (REDUCE) is up to the caller (pt_file.cpp allows a
// short list of torch functions), as is the persistent load of storages.
#include <functional>
#include <string>

#include "ember/pt_file.h"

namespace ember {
namespace pickle {

/// No nesting deeper than this (a recursion bomb): PyTorch's files nest a few levels.
constexpr int kMaxDepth = 500;

struct Hooks {
  /// The value GLOBAL / STACK_GLOBAL push for module.name (a Kind::Global), or a throw.
  std::function<PtValue(const std::string& module, const std::string& name)> global;
  /// REDUCE: calls `callable` (a Global) with the Tuple `args`.
  std::function<PtValue(const PtValue& callable, const PtValue& args)> call;
  /// BINPERSID: the value a persistent id stands for (a storage).
  std::function<PtValue(const PtValue& pid)> persistent_load;
  /// Throws ember::Error naming the file and the record, with `what` (the rule broken).
  std::function<void(const std::string& what)> fail;
};

/// Runs the pickle in `data` and returns the value STOP leaves.
PtValue unpickle(const std::string& data, const Hooks& hooks);

}  // namespace pickle
}  // namespace ember
