#pragma once
// The checkpoint format of optimizer state (ember/serialize.h, optimizer_state), as two small
// archives that an optimizer's save() writes to and its load() reads from: metadata "optimizer"
// (its kind) and "param_groups", each group's "num_params" and options (round-trip decimal
// strings, "true"/"false"), and per-parameter tensors "state.<i>.<field>", i counting parameters
// over all groups in order. Each optimizer names its own options and fields in its own .cpp; the
// rules every optimizer's file obeys, and their error messages, live here once.
#include <string>
#include <unordered_map>
#include <vector>

#include "ember/optim/optimizer.h"
#include "ember/serialize.h"

namespace ember {
namespace optim {
namespace detail {

/// Writes an optimizer's state into a SafeTensors.
class StateWriter {
 public:
  /// Writes the kind, the number of groups and each group's number of parameters.
  StateWriter(const Optimizer& optimizer, const std::string& kind, SafeTensors& out);
  /// Option `name` of parameter group `group`.
  void number(size_t group, const std::string& name, double value);
  void flag(size_t group, const std::string& name, bool value);
  /// An option written as it reads (an integer, "strong_wolfe", "none").
  void text(size_t group, const std::string& name, const std::string& value);
  /// State tensor `field` of `param` (one of the optimizer's parameters).
  void tensor(const Tensor& param, const std::string& field, const Tensor& value);

 private:
  SafeTensors& out_;
  std::unordered_map<const TensorImpl*, size_t> index_;  // parameter -> i over all groups
};

/// Reads an optimizer's state back, checking everything before the optimizer changes anything;
/// every error starts "load(optimizer): <source>" and names the key and the rule broken.
class StateReader {
 public:
  /// Checks that `in` holds the state of a `kind` optimizer with as many groups as `optimizer`.
  StateReader(const Optimizer& optimizer, const std::string& kind, const SafeTensors& in, std::string source);

  /// Checks that group `group` of the file has as many parameters as the optimizer's. Call it
  /// before reading the group's options.
  void begin_group(size_t group);
  /// Option `name` of parameter group `group`: a finite number; "true" or "false".
  double number(size_t group, const std::string& name);
  bool flag(size_t group, const std::string& name);
  /// An integer (an optional sign, then digits); any text.
  int64_t integer(size_t group, const std::string& name);
  const std::string& text(size_t group, const std::string& name);

  /// What a state tensor must be: shaped like its parameter (same sizes and dtype), a 0-dim
  /// int64 count >= 0 (Adam's step), or any defined tensor that the optimizer checks itself.
  enum class Kind { kLikeParam, kCount, kOwn };
  struct Field {
    std::string name;
    Kind kind;
  };
  /// Once every option is read (any other metadata is refused): the state tensors, by parameter
  /// index and then by position in `fields` (undefined where the file has none). Refuses
  /// tensors of another name, of a parameter the optimizer lacks, or that break their Kind.
  std::vector<std::vector<Tensor>> state(const std::vector<Field>& fields);

  /// The optimizer's parameters over all groups, in the file's order.
  const std::vector<Tensor>& params() const { return params_; }
  /// "load(optimizer): <source>", for an optimizer's own checks of what it read.
  std::string where() const;
  const std::string& source() const { return source_; }

  /// The optimizer's own copy of a loaded state tensor, on its parameter's device, as a step
  /// would have made it.
  static Tensor own_copy(const Tensor& loaded, const Tensor& param);

 private:
  const std::string& get(const std::string& key);
  int64_t count(const std::string& key);

  const Optimizer& optimizer_;
  const SafeTensors& in_;
  std::string source_;
  std::string kind_;
  std::vector<Tensor> params_;
  std::vector<std::string> used_;  // metadata keys read so far
};

/// What load() does once everything is read and checked: the optimizer takes the fresh state and
/// each group its options.
template <typename Options>
void install(Optimizer& optimizer, Optimizer::StateMap fresh, const std::vector<Options>& options) {
  optimizer.state() = std::move(fresh);
  for (size_t g = 0; g < options.size(); ++g) optimizer.param_groups()[g].set_options(options[g].clone());
}

}  // namespace detail
}  // namespace optim
}  // namespace ember
