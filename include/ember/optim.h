#pragma once
// ember::optim: optimizers and learning-rate schedulers with LibTorch's names (torch::optim::...).
#include "ember/optim/adagrad.h"
#include "ember/optim/adam.h"
#include "ember/optim/adamw.h"
#include "ember/optim/extra_schedulers.h"
#include "ember/optim/lbfgs.h"
#include "ember/optim/optimizer.h"
#include "ember/optim/reduce_on_plateau_scheduler.h"
#include "ember/optim/rmsprop.h"
#include "ember/optim/schedulers.h"
#include "ember/optim/sgd.h"
