#pragma once
// ember::data: LibTorch's torch::data pipeline (datasets, transforms, samplers,
// make_data_loader), ember's CIFAR-10 reader, its TensorLoader over in-memory tensors, and its
// image transforms on batched tensors (normalize, random_crop, random_horizontal_flip).
#include "ember/data/cifar10.h"
#include "ember/data/dataloader.h"
#include "ember/data/dataloader_options.h"
#include "ember/data/datasets.h"
#include "ember/data/example.h"
#include "ember/data/image.h"
#include "ember/data/labeled_images.h"
#include "ember/data/samplers.h"
#include "ember/data/tensor_loader.h"
#include "ember/data/transforms.h"
#include "ember/data/transforms/base.h"
#include "ember/data/transforms/lambda.h"
#include "ember/data/transforms/stack.h"
#include "ember/data/transforms/tensor.h"
