#pragma once
// optim::LBFGS, as torch::optim::LBFGS in LibTorch 1.13: limited-memory BFGS (after minFunc), with
// PyTorch 1.13's algorithm (torch/optim/lbfgs.py) step for step, and its strong-Wolfe line search.
// One step(closure) runs up to max_iter iterations (max_eval evaluations of the closure) on all
// parameters flattened into one vector, and returns the closure's first loss.
//
// LBFGSOptions(1).max_iter(20).max_eval(max_iter * 5 / 4 when unset).tolerance_grad(1e-7)
//   .tolerance_change(1e-9).history_size(100).line_search_fn(none, or "strong_wolfe").
// The constructor refuses more than one parameter group (LibTorch's rule), a line_search_fn other
// than "strong_wolfe" (LibTorch refuses it at the step) and a history_size below 1; step() checks
// them again, and that every parameter has the first one's dtype and device.
// LBFGSParamState: the optimizer's whole state, kept (as in LibTorch and PyTorch) as the state of
// the first parameter: evaluation and iteration counts, the last step length t and loss, the
// direction d, the Hessian scale H_diag, the last flat gradient, and the history of directions,
// steps and their 1 / (y.s). Checkpoints (ember/serialize.h): kind "LBFGS"; the group's options
// (line_search_fn "none" when unset); state.0.func_evals, .n_iter, and once it has iterated .t,
// .prev_loss (0-dim float64), .d, .H_diag, .prev_flat_grad, and the history stacked as .old_dirs,
// .old_stps ([m, numel]) and .ro ([m]). `al`, scratch space for each iteration, is not saved.
#include <deque>
#include <optional>
#include <string>

#include "ember/optim/declare_optimizer.h"

namespace ember {
namespace optim {
EMBER_DECLARE_OPTIMIZER(LBFGS, = 1,
                        (EMBER_ARG(int64_t, max_iter) = 20; EMBER_ARG(std::optional<int64_t>, max_eval) = std::nullopt;
                         EMBER_ARG(double, tolerance_grad) = 1e-7; EMBER_ARG(double, tolerance_change) = 1e-9;
                         EMBER_ARG(int64_t, history_size) = 100;
                         EMBER_ARG(std::optional<std::string>, line_search_fn) = std::nullopt;),
                        (EMBER_ARG(int64_t, func_evals) = 0; EMBER_ARG(int64_t, n_iter) = 0; EMBER_ARG(double, t) = 0;
                         EMBER_ARG(double, prev_loss) = 0; EMBER_ARG(Tensor, d) = {}; EMBER_ARG(Tensor, H_diag) = {};
                         EMBER_ARG(Tensor, prev_flat_grad) = {}; EMBER_ARG(std::deque<Tensor>, old_dirs);
                         EMBER_ARG(std::deque<Tensor>, old_stps); EMBER_ARG(std::deque<Tensor>, ro);
                         EMBER_ARG(std::optional<std::vector<Tensor>>, al) = std::nullopt;))
}  // namespace optim
}  // namespace ember
