// train_cifar: the tutorial's six CIFAR-10 trainings on the CPU or a GPU.
//
//   train_cifar --model MODEL --data DIR [--device cpu|cuda] [--epochs N] [--batch-size 64]
//               [--lr X] [--momentum X] [--nesterov] [--print-every 100] [--seed S]
//               [--threads T] [--log FILE] [--no-cuda-graph] [--no-tf32]
//               [--max-steps N] [--save FILE] [--resume FILE]
//
// Prints the tutorial's "Iteration t, loss = x" and "Got n / m correct (p%)" lines, a progress
// line on stderr while an epoch runs, and last one JSON line with the run's figures.
//
// On a GPU the training step is captured once in a CUDA graph and replayed (docs/cuda_graphs.md):
// a step is ~40 small kernels, and launching them one by one from the host costs more than
// running them. The first kWarmupSteps batches train eagerly (they create the gradients and
// momentum buffers the captured step updates in place, and pick the cuDNN algorithms); the next
// full batch is copied into static input tensors, the step is captured and replayed, and every
// later full batch is copied into the same tensors and replayed. A final partial batch has
// another shape and trains eagerly. --no-cuda-graph trains every batch eagerly.
//
// Timing (train_seconds, images_per_second) covers the training steps only, as PyTorch's
// seed_models_torch.py does: not the evaluations, and on a GPU not a warm-up step on a throwaway
// copy of the model, which loads the kernels and picks the cuDNN algorithms before the clock
// starts (PyTorch's script runs one warm-up step the same way, then rebuilds its model).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "cifar_models.h"
#include "training_state.h"
#include "ember/data.h"

using ember::Tensor;

namespace {

/// True while the progress line on stderr has no newline yet (an error then starts a new line).
bool g_progress_open = false;

struct Args {
  std::string model, data, device, log;
  int epochs = 1, print_every = 100;
  int64_t batch_size = 64;
  uint64_t seed = 0;
  int threads = 0;
  std::optional<double> lr, momentum;
  bool nesterov = false;
  bool cuda_graph = true;
  bool tf32 = true;
  std::optional<int64_t> max_steps;
  std::string save, resume;
};

const char* kUsage =
    "usage: train_cifar --model MODEL --data DIR [--device cpu|cuda] [--epochs N] [--batch-size 64]\n"
    "                   [--lr X] [--momentum X] [--nesterov] [--print-every 100] [--seed S]\n"
    "                   [--threads T] [--log FILE] [--no-cuda-graph] [--no-tf32]\n"
    "                   [--max-steps N] [--save FILE] [--resume FILE]\n"
    "MODEL: barebones_fc, barebones_conv, module_fc, module_conv, sequential_fc, sequential_conv\n"
    "DIR: a folder with CIFAR-10's binary batches (data_batch_1.bin .. data_batch_5.bin,\n"
    "     optionally test_batch.bin); data/fetch_cifar10.sh DIR downloads them.\n"
    "--no-cuda-graph: on a GPU, launch every step's kernels one by one instead of capturing the\n"
    "     step once in a CUDA graph and replaying it (the default; same results, less host time).\n"
    "--no-tf32: on a GPU, full FP32 convolutions; by default cuDNN may use TF32 tensor cores, as\n"
    "     PyTorch's torch.backends.cudnn.allow_tf32 = True.\n"
    "--max-steps N: stop after N optimizer steps in all, counting those before a --resume.\n"
    "--save FILE: at the end, write a checkpoint (model, optimizer, generator, position).\n"
    "--resume FILE: continue from a checkpoint saved with the same --model, --seed, --batch-size;\n"
    "     with the same flags a resumed run ends in the same state as an uninterrupted one.\n";

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

template <typename T>
T parse_number(const std::string& flag, const std::string& text) {
  std::istringstream in(text);
  T v;
  if (!(in >> v) || !in.eof()) throw UsageError("bad value '" + text + "' for " + flag);
  return v;
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string f = argv[i];
    if (f == "--help" || f == "-h") {
      std::cout << kUsage;
      std::exit(0);
    }
    if (f == "--nesterov") {
      a.nesterov = true;
      continue;
    }
    if (f == "--no-cuda-graph") {
      a.cuda_graph = false;
      continue;
    }
    if (f == "--no-tf32") {
      a.tf32 = false;
      continue;
    }
    if (i + 1 >= argc) throw UsageError("missing value for " + f);
    std::string v = argv[++i];
    if (f == "--model") a.model = v;
    else if (f == "--data") a.data = v;
    else if (f == "--device") a.device = v;
    else if (f == "--log") a.log = v;
    else if (f == "--epochs") a.epochs = parse_number<int>(f, v);
    else if (f == "--batch-size") a.batch_size = parse_number<int64_t>(f, v);
    else if (f == "--print-every") a.print_every = parse_number<int>(f, v);
    else if (f == "--seed") a.seed = parse_number<uint64_t>(f, v);
    else if (f == "--threads") a.threads = parse_number<int>(f, v);
    else if (f == "--lr") a.lr = parse_number<double>(f, v);
    else if (f == "--momentum") a.momentum = parse_number<double>(f, v);
    else if (f == "--max-steps") a.max_steps = parse_number<int64_t>(f, v);
    else if (f == "--save") a.save = v;
    else if (f == "--resume") a.resume = v;
    else throw UsageError("unknown flag " + f);
  }
  if (a.model.empty()) throw UsageError("--model is required");
  if (a.data.empty()) throw UsageError("--data is required");
  if (a.epochs < 1) throw UsageError("--epochs must be at least 1");
  if (a.batch_size < 1) throw UsageError("--batch-size must be at least 1");
  if (a.print_every < 1) throw UsageError("--print-every must be at least 1");
  if (a.max_steps && *a.max_steps < 0) throw UsageError("--max-steps must be at least 0");
  if (a.threads < 0) throw UsageError("--threads must be 0 (all cores) or more");
  if (a.lr && !(*a.lr > 0 && std::isfinite(*a.lr))) throw UsageError("--lr must be a positive number");
  if (a.momentum && !(*a.momentum >= 0 && *a.momentum < 1)) throw UsageError("--momentum must be in [0, 1)");
  if (!a.device.empty() && a.device != "cpu" && a.device.rfind("cuda", 0) != 0)
    throw UsageError("--device must be cpu or cuda");
  return a;
}

/// Top-1 accuracy over (x, y) in chunks of 1000, printed as the tutorial does.
double check_accuracy(const cifar::Training& t, const Tensor& x, const Tensor& y) {
  ember::NoGradGuard no_grad;
  int64_t correct = 0, n = x.size(0);
  for (int64_t i = 0; i < n; i += 1000) {
    int64_t len = std::min<int64_t>(1000, n - i);
    Tensor pred = t.infer(x.narrow(0, i, len)).argmax(1);
    correct += (pred == y.narrow(0, i, len)).sum().item<int64_t>();
  }
  double acc = n ? double(correct) / double(n) : 0.0;
  std::printf("Got %lld / %lld correct (%.2f%%)\n", (long long)correct, (long long)n, 100 * acc);
  return acc;
}

/// Eager steps before the step is captured: the first creates the gradients (and momentum
/// buffers) that later steps update in place, so the captured step must come after it.
constexpr int64_t kWarmupSteps = 3;

/// The training step as a CUDA graph: static inputs of the full batch shape, the captured step,
/// and the loss tensor the replays write.
class GraphStep {
 public:
  explicit GraphStep(const cifar::Training& t) : t_(t) {}
  bool ready() const { return graph_.is_captured(); }

  /// Copies the batch into the static inputs, captures the step on them, and replays it once
  /// (a capture records the step without running it).
  Tensor capture(const Tensor& x, const Tensor& y) {
    x_ = x.clone();
    y_ = y.clone();
    try {
      graph_.capture([&] { loss_ = t_.step(x_, y_); });
    } catch (const std::exception& e) {
      throw ember::Error(std::string("capturing the training step in a CUDA graph failed (") +
                         e.what() + "); rerun with --no-cuda-graph to train without graphs");
    }
    graph_.replay();
    return loss_;
  }

  /// One step on a batch of the captured shape: new inputs into the static tensors, replay.
  Tensor step(const Tensor& x, const Tensor& y) {
    x_.copy_(x);
    y_.copy_(y);
    graph_.replay();
    return loss_;
  }

 private:
  const cifar::Training& t_;
  ember::cuda::CUDAGraph graph_;
  Tensor x_, y_, loss_;
};

/// One untimed step on a throwaway copy of the model for each batch size an epoch has (the full
/// batch and a final partial one): loads the GPU kernels the step uses, asks cuDNN for its
/// algorithms and fills the caching allocator, so the timed epoch measures training alone. The
/// caller seeds the generator afterwards, so the real model is the same as without a warm-up.
void warm_up(const std::string& model, const cifar::Hyper& h, ember::Device device, const Tensor& x,
             const Tensor& y, int64_t batch_size) {
  cifar::Training t = cifar::build(model, h, device);
  const int64_t n = x.size(0);
  for (int64_t size : {std::min(batch_size, n), n % batch_size}) {
    if (size > 0) t.step(x.narrow(0, 0, size), y.narrow(0, 0, size));
  }
  ember::cuda::synchronize();
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int run(const Args& a) {
  ember::set_num_threads(a.threads > 0 ? a.threads : int(std::max(1u, std::thread::hardware_concurrency())));
  std::string dev_name = a.device.empty() ? (ember::cuda::is_available() ? "cuda" : "cpu") : a.device;
  ember::Device device(dev_name);
  if (device.is_cuda() && !ember::cuda::is_available())
    throw ember::Error("--device cuda, but no GPU is usable: " + ember::cuda::unavailable_reason());

  cifar::Hyper h = cifar::defaults(a.model);
  if (a.lr) h.lr = *a.lr;
  if (a.momentum) h.momentum = *a.momentum;
  if (a.nesterov) h.nesterov = true;
  if (h.nesterov && h.momentum <= 0)
    throw UsageError("--nesterov needs a positive --momentum");

  // Data: the tutorial's split and per-channel normalisation, kept on the training device.
  ember::data::Cifar10Split split = ember::data::load_cifar10_split(a.data);
  auto prepare = [&](const ember::data::LabeledImages& d) {
    return std::make_pair(ember::data::normalize(d.x).to(device), d.y.to(device));
  };
  auto [xtr, ytr] = prepare(split.train);
  auto [xva, yva] = prepare(split.val);
  std::optional<std::pair<Tensor, Tensor>> test;
  if (split.has_test()) test = prepare(split.test);

  if (device.is_cuda()) {
    ember::cuda::set_cudnn_allow_tf32(a.tf32);
    warm_up(a.model, h, device, xtr, ytr, a.batch_size);
  }
  ember::manual_seed(a.seed);
  cifar::Training t = cifar::build(a.model, h, device);
  ember::data::DataLoader loader(xtr, ytr, ember::data::DataLoaderOptions(a.batch_size).shuffle(true).seed(a.seed));

  std::ofstream log;
  if (!a.log.empty()) {
    log.open(a.log);
    if (!log) throw ember::Error("cannot open --log file '" + a.log + "' for writing");
    log << "kind,epoch,step,value\n";
  }

  const cifar::RunKey key{a.model, a.seed, a.batch_size};
  cifar::Position pos;
  if (!a.resume.empty()) {
    pos = cifar::load_state(a.resume, t, key);
    std::printf("Resumed from %s: epoch %lld, batch %lld, %lld steps\n", a.resume.c_str(),
                (long long)pos.epoch + 1, (long long)pos.batch, (long long)pos.steps);
  }
  auto reached_max = [&] { return a.max_steps && pos.steps >= *a.max_steps; };

  double train_seconds = 0;
  int64_t run_steps = 0, run_images = 0;  // this run's share, for images/s
  const size_t batches = loader.size();
  const bool use_graph = device.is_cuda() && a.cuda_graph;
  GraphStep graph(t);
  for (int64_t epoch = pos.epoch; epoch < a.epochs && !reached_max(); ++epoch) {
    loader.set_epoch(epoch);
    auto it = loader.begin();
    for (int64_t skip = 0; skip < pos.batch && it != loader.end(); ++skip) ++it;  // resumed mid-epoch
    auto t0 = std::chrono::steady_clock::now();
    for (; it != loader.end() && !reached_max(); ++it) {
      const ember::data::Batch& batch = *it;
      const int64_t i = pos.batch;  // the tutorial's iteration number within the epoch
      // The loss tensor of a replay is the graph's: read it (below) before the next replay.
      Tensor loss;
      const bool full = batch.size() == a.batch_size;
      if (use_graph && graph.ready() && full) {
        loss = graph.step(batch.x, batch.y);
      } else if (use_graph && !graph.ready() && full && run_steps >= kWarmupSteps) {
        loss = graph.capture(batch.x, batch.y);
        std::fprintf(stderr, "\n  captured the training step in a CUDA graph after %lld eager steps\n",
                     (long long)run_steps);
      } else {
        loss = t.step(batch.x, batch.y);
      }
      ++pos.steps;
      ++pos.batch;
      ++run_steps;
      pos.images += batch.size();
      run_images += batch.size();
      const bool report = i % a.print_every == 0;
      // The loss is read every step on the CPU (free), on a GPU only when printed or logged (a
      // read waits for the device) and at the end of the epoch.
      if (report || log.is_open() || !device.is_cuda()) {
        double l = loss.item<double>();
        if (!std::isfinite(l)) {
          throw ember::Error("the loss became " + std::to_string(l) + " at epoch " +
                             std::to_string(epoch + 1) + ", iteration " + std::to_string(i) +
                             "; lower --lr (now " + ember::detail::str(h.lr) + ")");
        }
        if (log.is_open()) log << "loss," << epoch + 1 << "," << pos.steps << "," << l << "\n";
        if (report) {
          train_seconds += seconds_since(t0);
          std::printf("Iteration %lld, loss = %.4f\n", (long long)i, l);
          check_accuracy(t, xva, yva);
          std::printf("\n");
          std::fflush(stdout);
          t0 = std::chrono::steady_clock::now();
        }
      } else if (size_t(pos.batch) == batches) {
        double l = loss.item<double>();
        if (!std::isfinite(l))
          throw ember::Error("the loss became " + std::to_string(l) + " in epoch " +
                             std::to_string(epoch + 1) + " (checked at its end); lower --lr (now " +
                             ember::detail::str(h.lr) + ")");
      }
      if (i % 50 == 0) {
        std::fprintf(stderr, "\r  epoch %lld/%d: %lld/%zu batches, %.0f images/s   ", (long long)epoch + 1,
                     a.epochs, (long long)i + 1, batches,
                     double(run_images) / std::max(1e-9, train_seconds + seconds_since(t0)));
        g_progress_open = true;
      }
    }
    if (device.is_cuda()) ember::cuda::synchronize();
    train_seconds += seconds_since(t0);
    std::fprintf(stderr, "\n");
    g_progress_open = false;
    if (size_t(pos.batch) < batches) break;  // stopped by --max-steps inside the epoch
    pos.epoch = epoch + 1;
    pos.batch = 0;
    std::printf("Epoch %lld done: ", (long long)epoch + 1);
    double va = check_accuracy(t, xva, yva);
    if (log.is_open()) log << "val_accuracy," << epoch + 1 << "," << pos.steps << "," << va << "\n";
  }
  if (!a.save.empty()) {
    cifar::save_state(a.save, t, key, pos);
    std::printf("Saved %s: epoch %lld, batch %lld, %lld steps\n", a.save.c_str(), (long long)pos.epoch + 1,
                (long long)pos.batch, (long long)pos.steps);
  }

  std::printf("Validation: ");
  double val_acc = check_accuracy(t, xva, yva);
  std::string test_acc = "null";
  if (test) {
    std::printf("Test: ");
    test_acc = std::to_string(check_accuracy(t, test->first, test->second));
  }
  std::printf("{\"model\": \"%s\", \"device\": \"%s\", \"epochs\": %d, \"steps\": %lld, \"train_seconds\": %.3f, "
              "\"images_per_second\": %.1f, \"val_accuracy\": %.4f, \"test_accuracy\": %s}\n",
              a.model.c_str(), device.str().c_str(), a.epochs, (long long)pos.steps, train_seconds,
              double(run_images) / std::max(train_seconds, 1e-9), val_acc, test_acc.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse(argc, argv));
  } catch (const UsageError& e) {
    std::fprintf(stderr, "train_cifar: %s\n%s", e.what(), kUsage);
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%strain_cifar: error: %s\n", g_progress_open ? "\n" : "", e.what());
    return 1;
  }
}
