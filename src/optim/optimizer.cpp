// optim::Optimizer: parameter groups, per-parameter state and zero_grad, shared by every
// optimizer. The update rules live in one file per optimizer (sgd.cpp, ...).
#include "ember/optim/optimizer.h"

#include <cxxabi.h>

#include <cstdlib>
#include <typeinfo>
#include <unordered_set>

#include "autograd/function.h"
#include "tensor_impl.h"

namespace ember {
namespace optim {

// --- options and state --------------------------------------------------------------------------

std::unique_ptr<OptimizerParamState> OptimizerParamState::clone() const {
  EMBER_CHECK(false,
              "OptimizerParamState::clone: not implemented by this state type (derive it "
              "from OptimizerCloneableParamState<Derived>)");
  return nullptr;
}

std::unique_ptr<OptimizerOptions> OptimizerOptions::clone() const {
  EMBER_CHECK(false,
              "OptimizerOptions::clone: not implemented by this options type (derive it "
              "from OptimizerCloneableOptions<Derived>)");
  return nullptr;
}

double OptimizerOptions::get_lr() const {
  EMBER_CHECK(false, "OptimizerOptions::get_lr: this optimizer's options have no learning rate");
  return 0;
}

void OptimizerOptions::set_lr(double) {
  EMBER_CHECK(false, "OptimizerOptions::set_lr: this optimizer's options have no learning rate");
}

// --- parameter groups ---------------------------------------------------------------------------

OptimizerParamGroup::OptimizerParamGroup(const OptimizerParamGroup& other)
    : params_(other.params_), options_(other.has_options() ? other.options().clone() : nullptr) {}

OptimizerParamGroup& OptimizerParamGroup::operator=(const OptimizerParamGroup& other) {
  if (this != &other) {
    params_ = other.params_;
    options_ = other.has_options() ? other.options().clone() : nullptr;
  }
  return *this;
}

OptimizerOptions& OptimizerParamGroup::options() {
  EMBER_CHECK(options_ != nullptr,
              "OptimizerParamGroup::options: this group has no options (it "
              "gets the optimizer's defaults when added to an optimizer)");
  return *options_;
}

const OptimizerOptions& OptimizerParamGroup::options() const {
  EMBER_CHECK(options_ != nullptr,
              "OptimizerParamGroup::options: this group has no options (it "
              "gets the optimizer's defaults when added to an optimizer)");
  return *options_;
}

// --- optimizer ----------------------------------------------------------------------------------

Optimizer::Optimizer(std::vector<OptimizerParamGroup> param_groups, std::unique_ptr<OptimizerOptions> defaults)
    : defaults_(std::move(defaults)) {
  EMBER_CHECK(defaults_ != nullptr, "Optimizer: the default options must not be null");
  for (const auto& group : param_groups) add_param_group(group);
}

Optimizer::Optimizer(std::vector<Tensor> parameters, std::unique_ptr<OptimizerOptions> defaults)
    : Optimizer(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(parameters))}, std::move(defaults)) {}

namespace {

// Every new parameter must be a defined leaf that no group holds yet: a parameter in two groups
// would be updated twice per step with two sets of options. PyTorch refuses it; LibTorch 1.13
// only notices once the parameter has state.
void check_new_params(const std::vector<OptimizerParamGroup>& groups, const std::vector<Tensor>& params,
                      const char* op) {
  std::unordered_set<const TensorImpl*> seen;
  for (const auto& group : groups)
    for (const auto& p : group.params()) seen.insert(p.unsafeGetTensorImpl());
  for (size_t i = 0; i < params.size(); ++i) {
    const Tensor& p = params[i];
    EMBER_CHECK(p.defined(), op, ": parameter ", i, " is an undefined tensor");
    EMBER_CHECK(p.is_leaf(), op, ": can't optimize a non-leaf tensor (parameter ", i, ", ", describe(p),
                "); pass a leaf, e.g. its .detach().requires_grad_()");
    EMBER_CHECK(seen.insert(p.unsafeGetTensorImpl()).second, op, ": parameter ", i, " (", describe(p),
                ") appears more than once among this optimizer's parameter groups");
  }
}

}  // namespace

void Optimizer::add_param_group(const OptimizerParamGroup& param_group) {
  check_new_params(param_groups_, param_group.params(), "Optimizer::add_param_group");
  param_groups_.emplace_back(param_group.params(),
                             param_group.has_options() ? param_group.options().clone() : defaults_->clone());
}

void Optimizer::add_parameters(const std::vector<Tensor>& parameters) {
  if (param_groups_.empty()) {
    add_param_group(OptimizerParamGroup(parameters));
    return;
  }
  check_new_params(param_groups_, parameters, "Optimizer::add_parameters");
  auto& first = param_groups_.front().params();
  first.insert(first.end(), parameters.begin(), parameters.end());
}

void Optimizer::zero_grad(bool set_to_none) {
  for (auto& group : param_groups_)
    for (auto& p : group.params()) autograd::clear_grad(p, set_to_none);
}

const std::vector<Tensor>& Optimizer::parameters() const {
  EMBER_CHECK(!param_groups_.empty(), "Optimizer::parameters: the optimizer has no parameter group");
  return param_groups_.front().params();
}

std::vector<Tensor>& Optimizer::parameters() {
  EMBER_CHECK(!param_groups_.empty(), "Optimizer::parameters: the optimizer has no parameter group");
  return param_groups_.front().params();
}

std::vector<Tensor> Optimizer::all_parameters() const {
  std::vector<Tensor> all;
  for (const auto& group : param_groups_) all.insert(all.end(), group.params().begin(), group.params().end());
  return all;
}

size_t Optimizer::size() const noexcept {
  size_t n = 0;
  for (const auto& group : param_groups_) n += group.params().size();
  return n;
}

OptimizerParamState* Optimizer::state_of(const Tensor& param) {
  auto it = state_.find(param.unsafeGetTensorImpl());
  return it == state_.end() ? nullptr : it->second.get();
}

const OptimizerParamState* Optimizer::state_of(const Tensor& param) const {
  auto it = state_.find(param.unsafeGetTensorImpl());
  return it == state_.end() ? nullptr : it->second.get();
}

namespace {
// The optimizer's C++ type as a reader would write it ("MyOptimizer", not "N5ember11MyOptE").
std::string type_name(const Optimizer& optimizer) {
  const char* mangled = typeid(optimizer).name();
  int status = 0;
  char* out = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
  std::string name = status == 0 && out != nullptr ? out : mangled;
  std::free(out);
  return name;
}
}  // namespace

void Optimizer::save(SafeTensors&) const {
  EMBER_CHECK(false, "save(optimizer): an optimizer of type ", type_name(*this),
              " cannot be saved: it does not override Optimizer::save and Optimizer::load with its options and state");
}

void Optimizer::load(const SafeTensors&, const std::string& source) {
  EMBER_CHECK(false, "load(optimizer): ", source, ": an optimizer of type ", type_name(*this),
              " cannot be loaded: it does not override Optimizer::save and Optimizer::load with its options and state");
}

Tensor Optimizer::run_closure(const LossClosure& closure) {
  if (!closure) return Tensor();
  AutoGradMode enable_grad(true);
  return closure();
}

}  // namespace optim
}  // namespace ember
