#pragma once
// ember::nn: modules, holders, containers, layers and initialisers (LibTorch's torch/nn.h).
#include "ember/functional.h"
#include "ember/nn/init.h"
#include "ember/nn/module.h"
#include "ember/nn/modules.h"
#include "ember/nn/normalization.h"
#include "ember/nn/options.h"
#include "ember/nn/ordered_dict.h"
#include "ember/nn/pimpl.h"
#include "ember/nn/pooling.h"
#include "ember/nn/sequential.h"
