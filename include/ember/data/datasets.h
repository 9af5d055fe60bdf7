#pragma once
// torch::data::datasets: the dataset interfaces, MapDataset, TensorDataset, StatefulDataset,
// and the MNIST and CIFAR-10 readers; ImageFolder (torchvision's).
#include "ember/data/cifar10.h"
#include "ember/data/datasets/base.h"
#include "ember/data/datasets/image_folder.h"
#include "ember/data/datasets/map.h"
#include "ember/data/datasets/mnist.h"
#include "ember/data/datasets/stateful.h"
#include "ember/data/datasets/tensor.h"
