// ModuleList, ModuleDict, ParameterList, ParameterDict: registration under LibTorch's names and
// LibTorch's printing.
#include "ember/nn/containers.h"

#include <ostream>

namespace ember {
namespace nn {

// --- ModuleList ------------------------------------------------------------------------------------

void ModuleListImpl::pretty_print(std::ostream& stream) const { stream << "ember::nn::ModuleList"; }

void ModuleListImpl::push_back(std::shared_ptr<Module> module) {
  EMBER_CHECK(module != nullptr, "ModuleList::push_back: the module is null");
  modules_.push_back(std::move(module));
  register_module(std::to_string(modules_.size() - 1), modules_.back());
}

void ModuleListImpl::insert(size_t index, std::shared_ptr<Module> module) {
  EMBER_CHECK(index <= modules_.size(), "ModuleList::insert: index ", index, " is out of range for a ModuleList of ",
              modules_.size(), " modules (at most ", modules_.size(), ")");
  EMBER_CHECK(module != nullptr, "ModuleList::insert: the module is null");
  if (index == modules_.size()) {
    push_back(std::move(module));
    return;
  }
  modules_.insert(modules_.begin() + std::ptrdiff_t(index), std::move(module));
  // The children keep positional names, so every entry from `index` on takes its new name
  // (as PyTorch's ModuleList.insert; LibTorch 1.13 re-registers only position `index`, leaving
  // the later names pointing at the wrong modules).
  for (size_t i = index; i + 1 < modules_.size(); ++i) replace_module(std::to_string(i), modules_[i]);
  register_module(std::to_string(modules_.size() - 1), modules_.back());
}

std::shared_ptr<Module> ModuleListImpl::ptr(size_t index) const {
  EMBER_CHECK(index < modules_.size(), "ModuleList: index ", index, " is out of range for a ModuleList of ",
              modules_.size(), " modules");
  return modules_[index];
}

// --- ModuleDict -----------------------------------------------------------------------------------

void ModuleDictImpl::pretty_print(std::ostream& stream) const { stream << "ember::nn::ModuleDict"; }

std::shared_ptr<Module> ModuleDictImpl::pop(const std::string& key) {
  std::shared_ptr<Module> module = modules_[key];
  modules_.erase(key);
  return module;
}

void ModuleDictImpl::insert(const std::string& key, std::shared_ptr<Module> module) {
  EMBER_CHECK(module != nullptr, "ModuleDict::update: the module for key '", key, "' is null");
  if (contains(key)) {
    modules_[key] = module;
    replace_module(key, std::move(module));
  } else {
    modules_.insert(key, module);
    // A key popped earlier is still registered as a child: its new module takes the name.
    if (named_children().contains(key)) replace_module(key, std::move(module));
    else register_module(key, std::move(module));
  }
}

// --- ParameterList / ParameterDict ---------------------------------------------------------------------

namespace {

// LibTorch prints each parameter's dtype by name and its sizes.
void print_parameters(std::ostream& stream, const char* type, const OrderedDict<std::string, Tensor>& params) {
  stream << type << "(" << std::endl;
  for (const auto& item : params)
    stream << "(" << item.key() << "): Parameter containing: [" << toString(item.value().dtype()) << " of size "
           << item.value().sizes() << "]" << std::endl;
  stream << ")";
}
}  // namespace

void ParameterListImpl::pretty_print(std::ostream& stream) const {
  print_parameters(stream, "ember::nn::ParameterList", parameters_);
}

void ParameterListImpl::append(const Tensor& param) {
  register_parameter(std::to_string(parameters_.size()), param, param.defined() && param.requires_grad());
}

Tensor& ParameterListImpl::at(size_t idx) {
  EMBER_CHECK(idx < size(), "ParameterList: index ", idx, " is out of range for a ParameterList of ", size(),
              " parameters");
  return parameters_[std::to_string(idx)];
}

const Tensor& ParameterListImpl::at(size_t idx) const {
  EMBER_CHECK(idx < size(), "ParameterList: index ", idx, " is out of range for a ParameterList of ", size(),
              " parameters");
  return parameters_[std::to_string(idx)];
}

ParameterDictImpl::ParameterDictImpl(const OrderedDict<std::string, Tensor>& params) {
  for (const auto& item : params) insert(item.key(), item.value());
}

void ParameterDictImpl::pretty_print(std::ostream& stream) const {
  print_parameters(stream, "ember::nn::ParameterDict", parameters_);
}

Tensor& ParameterDictImpl::insert(std::string key, Tensor param) {
  const bool requires_grad = param.defined() && param.requires_grad();
  return register_parameter(std::move(key), std::move(param), requires_grad);
}

Tensor ParameterDictImpl::pop(const std::string& key) {
  Tensor v = parameters_[key];
  parameters_.erase(key);
  return v;
}

void ParameterDictImpl::set(const std::string& key, const Tensor& value) {
  if (Tensor* existing = parameters_.find(key)) *existing = value;
  else insert(key, value);
}

}  // namespace nn
}  // namespace ember
