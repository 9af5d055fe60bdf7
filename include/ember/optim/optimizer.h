#pragma once
// optim::Optimizer: the base of every optimizer, as torch::optim::Optimizer in LibTorch 1.13.
// An optimizer holds parameter groups (tensors plus their own copy of the options) and a
// per-parameter state (SGD's momentum buffer, Adam's moments) created lazily by step().
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "ember/tensor.h"

namespace ember {

struct SafeTensors;  // ember/serialize.h
namespace serialize {
class OutputArchive;
class InputArchive;
}  // namespace serialize

namespace optim {

/// Per-parameter state of an optimizer (SGD's momentum buffer, ...). Subclasses derive from
/// OptimizerCloneableParamState<Derived> to get clone() for free.
class EMBER_API OptimizerParamState {
 public:
  virtual ~OptimizerParamState() = default;
  virtual std::unique_ptr<OptimizerParamState> clone() const;
};

namespace detail {
/// Base with clone() returning a copy of Derived: what OptimizerCloneableParamState and
/// OptimizerCloneableOptions give the state and options types derived from them.
template <typename Derived, typename Base>
class Cloneable : public Base {
 public:
  std::unique_ptr<Base> clone() const override { return std::make_unique<Derived>(static_cast<const Derived&>(*this)); }
};
}  // namespace detail

template <typename Derived>
using OptimizerCloneableParamState = detail::Cloneable<Derived, OptimizerParamState>;

/// The hyper-parameters of an optimizer (lr, momentum, ...). Every parameter group owns a copy,
/// so groups can differ (a smaller lr for a pretrained trunk) and schedulers can set_lr per group.
class EMBER_API OptimizerOptions {
 public:
  virtual ~OptimizerOptions() = default;
  virtual std::unique_ptr<OptimizerOptions> clone() const;
  /// The learning rate; the base class has none and throws, as LibTorch's.
  virtual double get_lr() const;
  virtual void set_lr(double lr);
};

namespace detail {
template <typename T, typename = void>
struct has_lr : std::false_type {};
template <typename T>
struct has_lr<T, std::void_t<decltype(std::declval<const T&>().lr())>> : std::true_type {};
}  // namespace detail

/// Options derived from this get clone(), and get_lr/set_lr reading and writing their lr() when
/// they have one (every optimizer's options in LibTorch do; others keep the base's refusal).
template <typename Derived>
class OptimizerCloneableOptions : public detail::Cloneable<Derived, OptimizerOptions> {
 public:
  double get_lr() const override {
    if constexpr (detail::has_lr<Derived>::value) return static_cast<const Derived&>(*this).lr();
    return OptimizerOptions::get_lr();
  }
  void set_lr(double lr) override {
    if constexpr (detail::has_lr<Derived>::value) static_cast<Derived&>(*this).lr(lr);
    else OptimizerOptions::set_lr(lr);
  }
};

/// Parameters optimized together with one set of options. A group built without options
/// takes the optimizer's defaults when it is added.
class EMBER_API OptimizerParamGroup {
 public:
  OptimizerParamGroup(const OptimizerParamGroup& other);
  OptimizerParamGroup& operator=(const OptimizerParamGroup& other);
  OptimizerParamGroup(OptimizerParamGroup&&) = default;
  OptimizerParamGroup& operator=(OptimizerParamGroup&&) = default;
  OptimizerParamGroup(std::vector<Tensor> params)  // NOLINT (implicit, as LibTorch)
      : params_(std::move(params)) {}
  OptimizerParamGroup(std::vector<Tensor> params, std::unique_ptr<OptimizerOptions> options)
      : params_(std::move(params)), options_(std::move(options)) {}

  bool has_options() const { return options_ != nullptr; }
  /// The group's options; throws when it has none.
  OptimizerOptions& options();
  const OptimizerOptions& options() const;
  void set_options(std::unique_ptr<OptimizerOptions> options) { options_ = std::move(options); }
  std::vector<Tensor>& params() { return params_; }
  const std::vector<Tensor>& params() const { return params_; }

 protected:
  std::vector<Tensor> params_;
  std::unique_ptr<OptimizerOptions> options_;
};

/// The base optimizer. Subclasses implement step(); everything else lives here.
class EMBER_API Optimizer {
 public:
  /// A function that re-evaluates the model and returns the loss (after calling backward);
  /// step() runs it with grad mode on and returns its result.
  using LossClosure = std::function<Tensor()>;
  /// Per-parameter state, keyed by the parameter's TensorImpl (stable across Module::to, which
  /// converts parameters in place). For a deterministic order (checkpoints), walk
  /// param_groups() and ask state_of(param).
  using StateMap = std::unordered_map<const TensorImpl*, std::unique_ptr<OptimizerParamState>>;

  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;
  Optimizer(Optimizer&&) = default;
  Optimizer& operator=(Optimizer&&) = default;
  virtual ~Optimizer() = default;

  Optimizer(std::vector<OptimizerParamGroup> param_groups, std::unique_ptr<OptimizerOptions> defaults);
  Optimizer(std::vector<Tensor> parameters, std::unique_ptr<OptimizerOptions> defaults);

  /// Adds a group; one without options gets a copy of the defaults. Every parameter must be a
  /// defined leaf tensor and must not already belong to a group of this optimizer.
  void add_param_group(const OptimizerParamGroup& param_group);
  /// Appends parameters to the first group (as LibTorch; creates it if there is none).
  void add_parameters(const std::vector<Tensor>& parameters);

  /// One optimization step over every parameter with a defined gradient. Returns the loss of
  /// the closure (an undefined tensor without one).
  virtual Tensor step(LossClosure closure = nullptr) = 0;

  /// Zeroes every parameter's gradient in place, or with set_to_none makes it undefined (then
  /// step() skips that parameter). The default is LibTorch 1.13's: zero in place.
  void zero_grad(bool set_to_none = false);

  /// The parameters of the FIRST group, as LibTorch 1.13's (which predates groups); throws
  /// when there is no group. all_parameters() gives every group's, in group order.
  const std::vector<Tensor>& parameters() const;
  std::vector<Tensor>& parameters();
  std::vector<Tensor> all_parameters() const;
  /// The number of parameters in all groups.
  size_t size() const noexcept;

  OptimizerOptions& defaults() noexcept { return *defaults_; }
  const OptimizerOptions& defaults() const noexcept { return *defaults_; }
  std::vector<OptimizerParamGroup>& param_groups() noexcept { return param_groups_; }
  const std::vector<OptimizerParamGroup>& param_groups() const noexcept { return param_groups_; }
  StateMap& state() noexcept { return state_; }
  const StateMap& state() const noexcept { return state_; }
  /// The state of one parameter, or nullptr before the first step that gave it one.
  OptimizerParamState* state_of(const Tensor& param);
  const OptimizerParamState* state_of(const Tensor& param) const;

  /// Writes the state (each group's options, each parameter's state) into `archive` in the
  /// checkpoint format that ember/serialize.h's optimizer_state describes, as LibTorch's
  /// Optimizer::save(OutputArchive&); save(optimizer, path) and Checkpoint call it. Every
  /// optimizer writes its own; this base, which knows no options or state, throws naming the
  /// type rather than write a checkpoint that would resume without them.
  virtual void save(SafeTensors& archive) const;
  /// Replaces the per-parameter state and every group's options with those in `archive`, as
  /// LibTorch's Optimizer::load(InputArchive&), after checking all of it against this optimizer
  /// (its kind, the groups and their sizes, every tensor's name, shape and dtype): a mismatch
  /// throws naming `source` and changes nothing. The base throws, as save() does.
  virtual void load(const SafeTensors& archive, const std::string& source);
  /// The same state through LibTorch's archives: `optimizer.save(archive); archive.save_to(f)`
  /// and `archive.load_from(f); optimizer.load(archive)`.
  void save(serialize::OutputArchive& archive) const;
  void load(serialize::InputArchive& archive);

 protected:
  /// Runs a step's closure, if any, with grad mode on (it runs forward and backward, so it
  /// needs the graph even when step() is called inside a NoGradGuard); returns its loss.
  static Tensor run_closure(const LossClosure& closure);

  std::vector<OptimizerParamGroup> param_groups_;
  StateMap state_;
  std::unique_ptr<OptimizerOptions> defaults_;
};

}  // namespace optim
}  // namespace ember
