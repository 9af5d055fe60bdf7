#pragma once
// torch::data::samplers: sequential, random, distributed and stream samplers.
#include "ember/data/samplers/base.h"
#include "ember/data/samplers/distributed.h"
#include "ember/data/samplers/random.h"
#include "ember/data/samplers/sequential.h"
#include "ember/data/samplers/stream.h"
