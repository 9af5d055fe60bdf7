#pragma once
// optim::AdamW is declared beside optim::Adam, which it differs from only in decoupled weight decay.
#include "ember/optim/adam.h"
