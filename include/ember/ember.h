#pragma once
// The one header a program needs, as <torch/torch.h>: a LibTorch program that uses ember's
// subset builds after its include becomes <ember/ember.h> and `namespace torch = ember;`.
#include "ember/autograd.h"
#include "ember/cuda.h"
#include "ember/data.h"
#include "ember/distributed.h"
#include "ember/functional.h"
#include "ember/indexing.h"
#include "ember/loss_ops.h"
#include "ember/nn.h"
#include "ember/optim.h"
#include "ember/random.h"
#include "ember/sampling.h"
#include "ember/serialize.h"
#include "ember/string_util.h"
#include "ember/tensor.h"
#include "ember/tensor_ops.h"
#include "ember/types.h"
