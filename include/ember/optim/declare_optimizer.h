#pragma once
// EMBER_DECLARE_OPTIMIZER: the three types LibTorch 1.13 declares for each optimizer, written once for
// all of ember's (sgd.h, adam.h, rmsprop.h, adagrad.h, lbfgs.h name only their fields):
//   <Name>Options     the hyper-parameters: lr first, then OptionFields (EMBER_ARG lines with their
//                     defaults); clone(), get_lr/set_lr and ==. Implicit from the lr, as LibTorch's,
//                     so that Name(params, 0.1) works.
//   <Name>ParamState  the per-parameter state: StateFields (EMBER_ARG lines); clone() and ==.
//   <Name>            the optimizer: LibTorch's two constructors (parameter groups, or one group of
//                     tensors), step(closure), and save/load of its checkpoint (ember/serialize.h).
// LrDefault is the default learning rate as `= value`, or nothing where LibTorch has none (SGD).
// The optimizer's default options are then those of that rate (Name(params) works), as LibTorch's
// `Options defaults = {}`.
#include <memory>
#include <string>
#include <vector>

#include "ember/arg.h"  // EMBER_ARG
#include "ember/optim/optimizer.h"

// Strips the parentheses around a list of fields.
#define EMBER_OPTIMIZER_FIELDS(...) __VA_ARGS__

#define EMBER_DECLARE_OPTIMIZER(Name, LrDefault, OptionFields, StateFields)                         \
  struct EMBER_API Name##Options : public OptimizerCloneableOptions<Name##Options> {                \
    Name##Options(double lr LrDefault); /* NOLINT (implicit, as LibTorch) */                        \
    friend EMBER_API bool operator==(const Name##Options& a, const Name##Options& b);               \
    EMBER_ARG(double, lr) LrDefault;                                                                \
    EMBER_OPTIMIZER_FIELDS OptionFields                                                             \
  };                                                                                                \
                                                                                                    \
  struct EMBER_API Name##ParamState : public OptimizerCloneableParamState<Name##ParamState> {       \
    friend EMBER_API bool operator==(const Name##ParamState& a, const Name##ParamState& b);         \
    EMBER_OPTIMIZER_FIELDS StateFields                                                              \
  };                                                                                                \
                                                                                                    \
  class EMBER_API Name : public Optimizer {                                                         \
   public:                                                                                          \
    explicit Name(std::vector<OptimizerParamGroup> param_groups, Name##Options defaults LrDefault); \
    explicit Name(std::vector<Tensor> params, Name##Options defaults LrDefault);                    \
    Tensor step(LossClosure closure = nullptr) override;                                            \
    void save(SafeTensors& archive) const override;                                                 \
    void load(const SafeTensors& archive, const std::string& source) override;                      \
    using Optimizer::load; /* the archive forms */                                                   \
    using Optimizer::save;                                                                          \
  };
