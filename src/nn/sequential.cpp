// nn::Sequential: the chain, indexing, printing and summary().
#include "ember/nn/sequential.h"

#include <iomanip>
#include <iostream>
#include <sstream>

#include "ember/autograd.h"
#include "tensor_impl.h"

namespace ember {
namespace nn {

void SequentialImpl::push_back_any(std::string name, AnyModule module) {
  EMBER_CHECK(!module.is_empty(), "Sequential::push_back: the module '", name, "' is empty");
  register_module(name, module.ptr());
  modules_.push_back(std::move(module));
}

void SequentialImpl::extend(const SequentialImpl& other) {
  for (const AnyModule& m : other.modules_) push_back(m);
}

Tensor SequentialImpl::forward(const Tensor& input) {
  EMBER_CHECK(!modules_.empty(), "Sequential::forward: cannot call forward() on an empty Sequential");
  // Called as seq->forward(x) the holder did not enter this module; a repeat is ignored.
  detail::ForwardScope scope(this);
  Tensor x = modules_.front().forward(input);
  for (size_t i = 1; i < modules_.size(); ++i) x = modules_[i].forward(x);
  return x;
}

void SequentialImpl::check_index(size_t index, const char* what) const {
  EMBER_CHECK(index < modules_.size(), "Sequential::", what, ": index ", index, " is out of range for a Sequential of ",
              modules_.size(), " modules");
}

std::shared_ptr<Module> SequentialImpl::ptr(size_t index) const {
  check_index(index, "ptr");
  return modules_[index].ptr();
}

void SequentialImpl::pretty_print(std::ostream& stream) const { stream << "ember::nn::Sequential"; }

// --- summary -----------------------------------------------------------------------------------
namespace {

struct SummaryRow {
  std::string name, type, shape;
  int64_t params;
};

// "ember::nn::Linear(in_features=..." -> "Linear"; "NetImpl" -> "Net".
std::string short_type(const Module& m) {
  std::ostringstream os;
  m.pretty_print(os);
  std::string s = os.str();
  s = s.substr(0, s.find('('));
  const std::string prefix = "ember::nn::";
  if (s.compare(0, prefix.size(), prefix) == 0) s = s.substr(prefix.size());
  const std::string impl = "Impl";
  if (s.size() > impl.size() && s.compare(s.size() - impl.size(), impl.size(), impl) == 0)
    s = s.substr(0, s.size() - impl.size());
  return s;
}

std::string shape_string(const Tensor& t) {
  std::ostringstream os;
  os << t.sizes();
  return os.str();
}

std::string with_commas(int64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  const int len = int(digits.size());
  for (int i = 0; i < len; ++i) {
    if (i > 0 && (len - i) % 3 == 0) out += ',';
    out += digits[size_t(i)];
  }
  return out;
}

// Runs `seq` on x entry by entry, descending into nested Sequentials, one row per leaf entry.
Tensor summarise(const SequentialImpl& seq, const Tensor& input, const std::string& prefix,
                 std::vector<SummaryRow>& rows) {
  Tensor x = input;
  auto children = seq.named_children();
  size_t i = 0;
  for (const AnyModule& entry : seq) {
    const std::string name = prefix + children[i++].key();
    auto nested = std::dynamic_pointer_cast<SequentialImpl>(entry.ptr());
    if (nested && !nested->is_empty()) {
      x = summarise(*nested, x, name + ".", rows);
      continue;
    }
    x = entry.forward(x);
    int64_t params = 0;
    for (const Tensor& p : entry.ptr()->parameters()) params += p.numel();
    rows.push_back({name, short_type(*entry.ptr()), shape_string(x), params});
  }
  return x;
}

}  // namespace

void SequentialImpl::summary(IntArrayRef input_size, std::ostream& stream) const {
  EMBER_CHECK(!modules_.empty(), "Sequential::summary: the Sequential is empty");
  TensorOptions options;
  const std::vector<Tensor> params = parameters();
  if (!params.empty()) options = options.dtype(params.front().dtype()).device(params.front().device());

  std::vector<SummaryRow> rows;
  {
    // Eval mode, so Dropout is the identity and BatchNorm leaves its running statistics alone;
    // the caller's mode is restored afterwards. const_cast: summary observes, it changes nothing
    // that outlives the call.
    auto& self = const_cast<SequentialImpl&>(*this);
    const bool was_training = is_training();
    NoGradGuard no_grad;
    self.eval();
    try {
      summarise(*this, zeros(input_size, options), "", rows);
    } catch (...) {
      self.train(was_training);
      throw;
    }
    self.train(was_training);
  }

  size_t name_w = 5, type_w = 4, shape_w = 12;
  for (const SummaryRow& r : rows) {
    name_w = std::max(name_w, r.name.size());
    type_w = std::max(type_w, r.type.size());
    shape_w = std::max(shape_w, r.shape.size());
  }
  const size_t params_w = 12;
  const size_t width = name_w + type_w + shape_w + params_w + 6;
  std::ostringstream input_shape;
  input_shape << input_size;

  stream << std::left << std::setw(int(name_w)) << "Layer"
         << "   " << std::setw(int(type_w)) << "Type"
         << "   " << std::setw(int(shape_w)) << "Output shape" << std::right << std::setw(int(params_w)) << "Params"
         << "\n"
         << std::string(width, '-') << "\n"
         << std::left << std::setw(int(name_w)) << "input"
         << "   " << std::setw(int(type_w)) << ""
         << "   " << input_shape.str() << "\n";
  for (const SummaryRow& r : rows) {
    stream << std::left << std::setw(int(name_w)) << r.name << "   " << std::setw(int(type_w)) << r.type << "   "
           << std::setw(int(shape_w)) << r.shape << std::right << std::setw(int(params_w)) << with_commas(r.params)
           << "\n";
  }
  int64_t total = 0, trainable = 0;
  for (const Tensor& p : params) {
    total += p.numel();
    if (p.requires_grad()) trainable += p.numel();
  }
  stream << std::string(width, '=') << "\n"
         << "Total params: " << with_commas(total) << "\n"
         << "Trainable params: " << with_commas(trainable) << "\n"
         << "Non-trainable params: " << with_commas(total - trainable) << "\n";
  stream << std::right;
}

void SequentialImpl::summary(IntArrayRef input_size) const { summary(input_size, std::cout); }

}  // namespace nn
}  // namespace ember
