#pragma once
// train_cifar's command line: the flags (Args), their defaults, --help's text and the parser,
// which refuses a bad flag or value with a UsageError naming it (tools/train_cifar.cpp).
#include <algorithm>
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "cifar_models.h"
#include "training_state.h"

namespace {

int hardware_threads() { return int(std::max(1u, std::thread::hardware_concurrency())); }

struct Args {
  std::string model, data, device, log;
  std::string data_format = "binary";
  int epochs = 1, print_every = 100;
  int64_t batch_size = 0;
  bool batch_size_given = false;  // else the model's (cifar::recipe)
  uint64_t seed = 0;
  int threads = 0;
  std::optional<double> lr, momentum;
  bool nesterov = false;
  bool cuda_graph = true;
  bool tf32 = true;
  std::optional<int64_t> max_steps;
  int64_t save_every = 0;
  std::string save, resume;
  bool strict_resume = false;
  bool distributed = false;
  int dist_timeout = 300;  // seconds
};

/// The synopsis, printed after a usage error.
const char* kSynopsis =
    "usage: train_cifar --model MODEL --data DIR [--data-format binary|images] [--device cpu|cuda]\n"
    "                   [--epochs N] [--batch-size N]\n"
    "                   [--lr X] [--momentum X] [--nesterov] [--print-every 100] [--seed S]\n"
    "                   [--threads T] [--log FILE] [--no-cuda-graph] [--no-tf32] [--max-steps N]\n"
    "                   [--save FILE] [--save-every N] [--resume FILE] [--strict-resume]\n"
    "                   [--distributed [--dist-timeout SECONDS]]\n";

/// The whole usage text (--help), with every default (the models' own from cifar::defaults).
std::string usage() {
  std::string models;
  for (const std::string& m : cifar::model_names()) {
    const cifar::Hyper h = cifar::defaults(m);
    const cifar::Recipe r = cifar::recipe(m);
    models += "  " + m + std::string(17 - m.size(), ' ') + "lr " + ember::detail::str(h.lr) +
              (h.momentum > 0 ? ", momentum " + ember::detail::str(h.momentum) : std::string()) +
              (h.nesterov ? ", nesterov" : "") + (r.batch_size != 64 ? ", batch " + std::to_string(r.batch_size) : "") +
              "\n";
  }
  const std::string hw = std::to_string(hardware_threads());
  return std::string(kSynopsis) + "MODEL, with the tutorial's lr, momentum and nesterov as its defaults:\n" + models +
         "                 resnet20 is He et al.'s CIFAR ResNet-20 with the recipe of resnet20_torch.py: weight\n"
         "                 decay 5e-4 (not on BatchNorm parameters or biases), random crop 32 with 4-pixel\n"
         "                 padding and horizontal flip, lr decayed per step to 0 over the run (cosine), which\n"
         "                 --max-steps does not shorten. On a GPU it trains without a CUDA graph (the lr\n"
         "                 changes every step).\n" +
         "--data DIR       a folder with CIFAR-10's binary batches (data_batch_1.bin .. data_batch_5.bin,\n"
         "                 optionally test_batch.bin); data/fetch_cifar10.sh DIR downloads them.\n"
         "--data-format F  binary (the default): --data holds the binary batches above; images: --data is a\n"
         "                 folder of 32x32 JPEG or PNG images, one subfolder per class (CIFAR-10's training\n"
         "                 images unpacked: DIR/train), all decoded at the start and put in the binary batches'\n"
         "                 order (cifar10_to_bin.py's shuffle): the first 49,000 train, the next 1,000 validate.\n"
         "--device D       cpu or cuda; default cuda when a GPU is usable, else cpu.\n"
         "--epochs N       default 1.\n"
         "--batch-size N   default 64 (resnet20: 128).\n"
         "--lr X           default the model's (above); a positive number that float32 holds.\n"
         "--momentum X     in [0, 1); default the model's.\n"
         "--nesterov       Nesterov momentum; default the model's.\n"
         "--print-every N  print the loss and the validation accuracy every N iterations; default 100.\n"
         "--seed S         in [0, 2^63); seeds the weights and the shuffle; default 0.\n"
         "--threads T      CPU threads, at most 4 x the hardware threads; default 0 = all " +
         hw +
         " here.\n"
         "--log FILE       write each step's loss and each epoch's validation accuracy as CSV; default none.\n"
         "--no-cuda-graph  on a GPU, launch every step's kernels one by one instead of capturing the\n"
         "                 step once in a CUDA graph and replaying it (the default; same results, less host time).\n"
         "--no-tf32        on a GPU, full FP32 convolutions; by default cuDNN may use TF32 tensor cores, as\n"
         "                 PyTorch's torch.backends.cudnn.allow_tf32 = True.\n"
         "--max-steps N    stop after N optimizer steps in all, counting those before a --resume; default none.\n"
         "--save FILE      write a checkpoint (model, optimizer, generator, position) at the end, and when\n"
         "                 SIGINT or SIGTERM stops the run; default none. Never written with non-finite weights.\n"
         "--save-every N   with --save, also write it every N steps; default 0 (only at the end).\n"
         "--resume FILE    continue from a checkpoint saved with the same --model, --seed, --batch-size; with\n"
         "                 the same flags a resumed run ends in the same state as an uninterrupted one. It\n"
         "                 takes the checkpoint's lr, momentum and nesterov; --lr, --momentum, --nesterov\n"
         "                 given here override them (a line says so) and the next checkpoint records them.\n"
         "--strict-resume  refuse a --resume saved on another device type, with other --threads (on the\n"
         "                 CPU) or other data files; by default a line warns that the results will differ.\n"
         "--distributed    data-parallel training over the processes of an MPI launch (mpirun -np N\n"
         "                 train_cifar --distributed ...; docs/distributed.md): backend nccl for --device\n"
         "                 cuda (LOCAL_RANK picks the GPU), mpi for cpu; --batch-size and --threads are per\n"
         "                 process (global batch N x it), each global batch split among the ranks, so a run on\n"
         "                 N ranks follows a one-process run with N x the batch; a last partial global batch\n"
         "                 is dropped. Rank 0 prints and writes --save and --log; every rank reads --resume.\n"
         "                 Default off.\n"
         "--dist-timeout S with --distributed, how long a collective waits for a lost or hung rank before\n"
         "                 every remaining rank stops with a message naming it; default 300.\n"
         "Exit status: 0 done; 1 an error (data, checkpoint, files, a diverged training); 2 a bad command\n"
         "line; 128 + N stopped by signal N (130 SIGINT, 143 SIGTERM), after writing --save.\n";
}

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
      std::fputs(usage().c_str(), stdout);
      std::exit(std::fflush(stdout) == 0 && !std::ferror(stdout) ? 0 : 1);
    }
    // The flags that take no value: each sets one field.
    const struct {
      const char* flag;
      bool* field;
      bool value;
    } switches[] = {{"--nesterov", &a.nesterov, true},
                    {"--no-cuda-graph", &a.cuda_graph, false},
                    {"--no-tf32", &a.tf32, false},
                    {"--strict-resume", &a.strict_resume, true},
                    {"--distributed", &a.distributed, true}};
    const auto sw = std::find_if(std::begin(switches), std::end(switches), [&](const auto& s) { return f == s.flag; });
    if (sw != std::end(switches)) {
      *sw->field = sw->value;
      continue;
    }
    if (i + 1 >= argc) throw UsageError("missing value for " + f);
    std::string v = argv[++i];
    if (f == "--model") a.model = v;
    else if (f == "--data") a.data = v;
    else if (f == "--data-format") {
      if (v != "binary" && v != "images")
        throw UsageError("bad value '" + v + "' for --data-format (binary or images)");
      a.data_format = v;
    } else if (f == "--device") a.device = v;
    else if (f == "--log") a.log = v;
    else if (f == "--epochs") a.epochs = parse_number<int>(f, v);
    else if (f == "--batch-size") {
      a.batch_size = parse_number<int64_t>(f, v);
      a.batch_size_given = true;
    } else if (f == "--print-every") a.print_every = parse_number<int>(f, v);
    else if (f == "--seed") {
      // Parsed as signed: an unsigned parse would wrap "-1" to 2^64 - 1.
      std::istringstream in(v);
      int64_t s = -1;
      if (!(in >> s) || !in.eof() || s < 0)
        throw UsageError("bad value '" + v + "' for --seed (expected an integer in [0, 2^63))");
      a.seed = uint64_t(s);
    } else if (f == "--threads") a.threads = parse_number<int>(f, v);
    else if (f == "--lr") a.lr = parse_number<double>(f, v);
    else if (f == "--momentum") a.momentum = parse_number<double>(f, v);
    else if (f == "--max-steps") a.max_steps = parse_number<int64_t>(f, v);
    else if (f == "--save") a.save = v;
    else if (f == "--save-every") a.save_every = parse_number<int64_t>(f, v);
    else if (f == "--resume") a.resume = v;
    else if (f == "--dist-timeout") a.dist_timeout = parse_number<int>(f, v);
    else throw UsageError("unknown flag " + f);
  }
  if (a.model.empty()) throw UsageError("--model is required");
  if (a.data.empty()) throw UsageError("--data is required");
  if (std::string m = cifar::unknown_model(a.model); !m.empty()) throw UsageError(m);
  if (a.epochs < 1) throw UsageError("--epochs must be at least 1");
  if (!a.batch_size_given) a.batch_size = cifar::recipe(a.model).batch_size;
  if (a.batch_size < 1) throw UsageError("--batch-size must be at least 1");
  if (a.print_every < 1) throw UsageError("--print-every must be at least 1");
  if (a.max_steps && *a.max_steps < 0) throw UsageError("--max-steps must be at least 0");
  if (a.save_every < 0) throw UsageError("--save-every must be at least 0");
  if (a.save_every > 0 && a.save.empty()) throw UsageError("--save-every needs --save FILE");
  if (a.threads < 0) throw UsageError("--threads must be 0 (all cores) or more");
  if (a.dist_timeout < 1) throw UsageError("--dist-timeout must be at least 1 (seconds)");
  // More threads than this only time-slice the cores (and take memory); a typo, most likely.
  if (a.threads > 4 * hardware_threads())
    throw UsageError("--threads " + std::to_string(a.threads) + " is more than 4 x the " +
                     std::to_string(hardware_threads()) + " hardware threads of this machine");
  if (a.lr) {
    if (std::string p = cifar::lr_problem("--lr", *a.lr); !p.empty()) throw UsageError(p);
  }
  if (a.momentum) {
    if (std::string p = cifar::momentum_problem("--momentum", *a.momentum); !p.empty()) throw UsageError(p);
  }
  if (!a.device.empty() && a.device != "cpu" && a.device.rfind("cuda", 0) != 0)
    throw UsageError("--device must be cpu or cuda");
  return a;
}

}  // namespace
