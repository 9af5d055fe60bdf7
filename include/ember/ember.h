#pragma once
// The one header a program needs, as <torch/torch.h>: a LibTorch program that uses ember's
// subset builds after its include becomes <ember/ember.h> and `namespace torch = ember;`.
#include "ember/types.h"
#include "ember/tensor.h"
#include "ember/autograd.h"
#include "ember/cuda.h"
#include "ember/functional.h"
#include "ember/nn.h"
// To come: "ember/optim.h" (Optimizer, SGD, Adam) and "ember/data.h" (CIFAR-10, DataLoader).
