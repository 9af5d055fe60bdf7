// SyncBatchNorm::convert_sync_batchnorm. A C++ parent may call a child through a typed member
// (`nn::BatchNorm2d bn1;`) that replacing the registered child does not reach: its forward would
// keep running the BatchNorm while parameters() returned the SyncBatchNorm's. So every BatchNorm
// is first checked to be held by nothing but its parent's children and, for the containers whose
// forward runs their own list (Sequential, ModuleList, ModuleDict), that list; only when all pass
// is any replaced, so a refused conversion leaves the model as it was.
#include <string>
#include <vector>

#include "../check.h"
#include "ember/nn/containers.h"
#include "ember/nn/sequential.h"
#include "ember/nn/sync_batch_norm.h"

namespace ember {
namespace nn {
namespace {

bool is_plain_batch_norm(const Module& m) {
  return dynamic_cast<const BatchNormImplBase*>(&m) != nullptr && dynamic_cast<const SyncBatchNormImpl*>(&m) == nullptr;
}

/// How many entries of `parent`'s own list (when it is a container) are `child`.
long container_entries(Module& parent, const std::shared_ptr<Module>& child) {
  long n = 0;
  if (auto* seq = parent.as<SequentialImpl>()) {
    for (const AnyModule& any : *seq) n += any.ptr() == child;
  } else if (auto* list = parent.as<ModuleListImpl>()) {
    for (const std::shared_ptr<Module>& m : *list) n += m == child;
  } else if (auto* dict = parent.as<ModuleDictImpl>()) {
    for (const auto& item : *dict) n += item.value() == child;
  }
  return n;
}

/// Points `parent`'s own list's entries that are `from` at `to`.
void replace_entries(Module& parent, const std::shared_ptr<Module>& from,
                     const std::shared_ptr<SyncBatchNormImpl>& to) {
  if (auto* seq = parent.as<SequentialImpl>()) {
    for (AnyModule& any : *seq)
      if (any.ptr() == from) any = AnyModule(to);
  } else if (auto* list = parent.as<ModuleListImpl>()) {
    for (std::shared_ptr<Module>& m : *list)
      if (m == from) m = to;
  } else if (auto* dict = parent.as<ModuleDictImpl>()) {
    for (auto& item : *dict)
      if (item.value() == from) item.value() = to;
  }
}

struct Site {
  std::shared_ptr<Module> parent;
  std::string name;
};

/// The BatchNorms below `parent` (not below a BatchNorm), each checked to be replaceable.
void collect(const std::shared_ptr<Module>& parent, const std::string& prefix, std::vector<Site>& sites) {
  const OrderedDict<std::string, std::shared_ptr<Module>> children = parent->named_children();
  for (const auto& item : children) {
    const std::shared_ptr<Module>& child = item.value();
    const std::string path = prefix + item.key();
    if (!is_plain_batch_norm(*child)) {
      collect(child, path + ".", sites);
      continue;
    }
    // Holders we know of: the parent's children, `children` (our copy) and the container's list.
    const long known = 2 + container_entries(*parent, child);
    EMBER_CHECK(child.use_count() <= known, "SyncBatchNorm::convert_sync_batchnorm: '", path, "' (", child->name(),
                ") is also held outside the module tree (a typed member of ", parent->name(),
                " such as `nn::BatchNorm2d ", item.key(),
                ";`, or another handle to it), which its forward may call: replacing the registered child would "
                "not reach it. Nothing was converted; build this model with nn::SyncBatchNorm instead.");
    sites.push_back({parent, item.key()});
  }
}

}  // namespace

SyncBatchNormImpl::SyncBatchNormImpl(const BatchNormImplBase& source, std::shared_ptr<distributed::ProcessGroup> group)
    : BatchNormImplBase("SyncBatchNorm", source.options), process_group(std::move(group)) {
  // The source's tensors themselves (handles share them), as PyTorch's conversion assigns its
  // Parameters and buffers; requires_grad stays what it was (a frozen layer stays frozen).
  auto keep_grad = [](const Tensor& t) { return t.defined() && t.requires_grad(); };
  weight = register_parameter("weight", source.weight, keep_grad(source.weight));
  bias = register_parameter("bias", source.bias, keep_grad(source.bias));
  running_mean = register_buffer("running_mean", source.running_mean);
  running_var = register_buffer("running_var", source.running_var);
  num_batches_tracked = register_buffer("num_batches_tracked", source.num_batches_tracked);
  train(source.is_training());
}

std::shared_ptr<Module> SyncBatchNormImpl::convert_sync_batchnorm(
    const std::shared_ptr<Module>& module, std::shared_ptr<distributed::ProcessGroup> process_group) {
  EMBER_CHECK(module != nullptr, "SyncBatchNorm::convert_sync_batchnorm: the module is empty (a null module holder)");
  auto convert = [&](const Module& bn) {
    return std::shared_ptr<SyncBatchNormImpl>(
        new SyncBatchNormImpl(dynamic_cast<const BatchNormImplBase&>(bn), process_group));
  };
  if (is_plain_batch_norm(*module)) return convert(*module);
  std::vector<Site> sites;
  collect(module, "", sites);
  for (const Site& s : sites) {
    const std::shared_ptr<Module> old = s.parent->named_children()[s.name];
    const std::shared_ptr<SyncBatchNormImpl> sync = convert(*old);
    replace_entries(*s.parent, old, sync);
    s.parent->replace_module(s.name, sync);
  }
  return module;
}

}  // namespace nn
}  // namespace ember
