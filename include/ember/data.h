#pragma once
// ember::data: the CIFAR-10 reader, the DataLoader over in-memory tensors, and transforms.
#include "ember/data/cifar10.h"
#include "ember/data/dataloader.h"
#include "ember/data/labeled_images.h"
#include "ember/data/transforms.h"
