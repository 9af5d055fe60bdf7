// train_cifar: the tutorial's six CIFAR-10 trainings on the CPU or a GPU (train_cifar --help).
//
// Prints a first line naming the model, device, threads, steps per epoch and data folder; the
// tutorial's "Iteration t, loss = x" and "Got n / m correct (p%)" lines; a progress line on
// stderr while an epoch runs (elapsed time, images/s, ETA); and last one JSON line with the
// run's figures.
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
//
// OpenMP waits passively when the machine is busy at start (choose_openmp_wait below) unless
// OMP_WAIT_POLICY or GOMP_SPINCOUNT is set.
//
// Work is kept: --save and --log are checked before the data loads, --save-every N writes the
// checkpoint every N steps, SIGINT and SIGTERM (a scheduler's time limit) end the current step,
// write the checkpoint and exit with 128 + the signal, and parameters that stopped being finite
// are never saved (the run stops with exit 1 instead).
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "cifar_models.h"
#include "data_fingerprint.h"
#include "distributed_run.h"
#include "ember/data.h"
#include "numpy_permutation.h"
#include "train_cifar_args.h"
#include "training_state.h"

using ember::Tensor;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// "1h02m03s", "2m05s", "12s".
std::string duration(double seconds) {
  const long long s = std::llround(std::max(0.0, seconds));
  char text[48];
  if (s >= 3600) std::snprintf(text, sizeof text, "%lldh%02lldm%02llds", s / 3600, s / 60 % 60, s % 60);
  else if (s >= 60) std::snprintf(text, sizeof text, "%lldm%02llds", s / 60, s % 60);
  else std::snprintf(text, sizeof text, "%llds", s);
  return text;
}

/// --distributed: only rank 0 prints (stdout, the progress line, warnings); the others are quiet.
bool g_quiet = false;

/// The progress line on stderr. On a terminal it is redrawn in place ("\r") a few times a second,
/// and erased before anything goes to stdout on the same terminal, so it never shares a line with
/// the Iteration lines. Elsewhere (a log file, a pipe) it is a full line after the first step, then
/// once a minute and at the end of each epoch, with no "\r".
class Progress {
 public:
  Progress() : tty_(isatty(STDERR_FILENO) == 1), shares_stdout_(tty_ && same_file(STDOUT_FILENO, STDERR_FILENO)) {}

  /// Whether an update is due (the caller then builds the text).
  bool due() const { return seconds_since(last_) >= (tty_ ? 0.25 : 60.0); }

  void show(const std::string& text) {
    if (g_quiet || (!tty_ && text == last_text_)) return;  // a log file gets no repeated line
    last_text_ = text;
    if (tty_) {
      const size_t pad = width_ > text.size() ? width_ - text.size() : 0;
      std::fprintf(stderr, "\r%s%*s", text.c_str(), int(pad), "");
      width_ = text.size();
      open_ = true;
    } else {
      std::fprintf(stderr, "%s\n", text.c_str());
    }
    std::fflush(stderr);
    last_ = std::chrono::steady_clock::now();
  }

  /// The line at the end of an epoch, kept.
  void finish(const std::string& text) {
    show(text);
    end_line();
  }

  /// Before a line on stdout: erase an open progress line when stdout is the same terminal.
  void before_stdout() {
    if (open_ && shares_stdout_) {
      std::fprintf(stderr, "\r%*s\r", int(width_), "");
      std::fflush(stderr);
      open_ = false;
      width_ = 0;
    }
  }

  /// Before a message on stderr: end an open progress line, so the message starts its own.
  void end_line() {
    if (open_) std::fputc('\n', stderr);
    open_ = false;
    width_ = 0;
  }

 private:
  static bool same_file(int a, int b) {
    struct stat sa, sb;
    return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
  }
  bool tty_, shares_stdout_;
  bool open_ = false;
  size_t width_ = 0;
  std::chrono::steady_clock::time_point last_{};
  std::string last_text_;
};

Progress g_progress;

/// --distributed: "rank R: " before this rank's error messages.
std::string g_rank_prefix;

/// Every line train_cifar prints to stdout goes through here: the progress line makes way first,
/// and a failed write (a full disk, /dev/full) stops the run instead of passing unnoticed. The
/// flush also makes each line reach a log file as it is printed.
__attribute__((format(printf, 1, 2))) void out(const char* format, ...) {
  if (g_quiet) return;
  g_progress.before_stdout();
  va_list args;
  va_start(args, format);
  std::vfprintf(stdout, format, args);
  va_end(args);
  if (std::fflush(stdout) != 0 || std::ferror(stdout))
    throw ember::Error(std::string("writing to stdout failed: ") + std::strerror(errno));
}

/// The signal that asked the run to stop (SIGINT, SIGTERM), 0 while none has. The step in flight
/// finishes, the checkpoint is written, and the run exits with 128 + the signal; a second signal
/// exits at once (the last checkpoint written stays whole: writes are atomic).
volatile std::sig_atomic_t g_signal = 0;

extern "C" void on_stop_signal(int sig) {
  if (g_signal != 0) _exit(128 + sig);
  g_signal = sig;
}

void install_stop_handlers() {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;  // reads and writes in flight carry on; the flag is checked after each step
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

/// Throws unless `path` (the value of `flag`) can be written: not a folder, in a folder that
/// exists, and writable: the folder when the file is new or is replaced (`replaced`: --save
/// writes a temporary file beside it and renames it), else the file itself. Creates nothing.
void check_writable(const std::string& flag, const std::string& path, bool replaced) {
  if (path.empty()) return;
  auto refuse = [&](const std::string& why) {
    throw ember::Error("cannot open " + flag + " file '" + path + "' for writing: " + why);
  };
  struct stat st;
  const bool exists = stat(path.c_str(), &st) == 0;
  if (path.back() == '/' || (exists && S_ISDIR(st.st_mode))) refuse("it is a folder");
  const size_t slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  if (stat(dir.c_str(), &st) != 0) refuse("the folder '" + dir + "' does not exist");
  if (!S_ISDIR(st.st_mode)) refuse("'" + dir + "' is not a folder");
  if (exists && !replaced) {
    if (access(path.c_str(), W_OK) != 0) refuse(std::string("the file is not writable (") + std::strerror(errno) + ")");
  } else if (access(dir.c_str(), W_OK | X_OK) != 0) {
    refuse("the folder '" + dir + "' is not writable (" + std::strerror(errno) + ")");
  }
}

/// The --log file: CSV rows, each write checked, so a full disk is an error rather than a
/// silently short log.
class CsvLog {
 public:
  ~CsvLog() {
    if (f_ != nullptr) std::fclose(f_);
  }
  void open(const std::string& path) {
    path_ = path;
    f_ = std::fopen(path.c_str(), "w");
    if (f_ == nullptr) throw ember::Error("cannot open --log file '" + path + "' for writing: " + std::strerror(errno));
    std::fputs("kind,epoch,step,value\n", f_);
    check();
  }
  bool is_open() const { return f_ != nullptr; }
  void row(const char* kind, int64_t epoch, int64_t step, double value) {
    std::fprintf(f_, "%s,%lld,%lld,%g\n", kind, (long long)epoch, (long long)step, value);
    check();
  }
  /// Pushes the rows out (and so finds a full disk early).
  void flush() {
    if (f_ != nullptr && std::fflush(f_) != 0) fail();
  }
  void close() {
    if (f_ == nullptr) return;
    flush();
    std::FILE* f = f_;
    f_ = nullptr;
    if (std::fclose(f) != 0) fail();
  }

 private:
  void check() {
    if (std::ferror(f_)) fail();
  }
  [[noreturn]] void fail() { throw ember::Error("writing --log file '" + path_ + "' failed: " + std::strerror(errno)); }
  std::FILE* f_ = nullptr;
  std::string path_;
};

/// Top-1 accuracy over (x, y) in chunks of 1000, printed as the tutorial does.
double check_accuracy(const cifar::Training& t, const Tensor& x, const Tensor& y) {
  if (g_quiet) return 0;  // --distributed: rank 0 evaluates and prints; the others need no figure
  ember::NoGradGuard no_grad;
  int64_t correct = 0, n = x.size(0);
  for (int64_t i = 0; i < n; i += 1000) {
    int64_t len = std::min<int64_t>(1000, n - i);
    Tensor pred = t.infer(x.narrow(0, i, len)).argmax(1);
    correct += (pred == y.narrow(0, i, len)).sum().item<int64_t>();
  }
  double acc = n ? double(correct) / double(n) : 0.0;
  out("Got %lld / %lld correct (%.2f%%)\n", (long long)correct, (long long)n, 100 * acc);
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
      throw ember::Error(std::string("capturing the training step in a CUDA graph failed (") + e.what() +
                         "); rerun with --no-cuda-graph to train without graphs");
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
void warm_up(const std::string& model, const cifar::Hyper& h, ember::Device device, const Tensor& x, const Tensor& y,
             int64_t batch_size) {
  cifar::Training t = cifar::build(model, h, device);
  const int64_t n = x.size(0);
  for (int64_t size : {std::min(batch_size, n), n % batch_size}) {
    if (size > 0) t.step(x.narrow(0, 0, size), y.narrow(0, 0, size));
  }
  ember::cuda::synchronize();
}

/// Throws when a parameter stopped being finite: the training diverged, and nothing it holds now
/// is worth reporting or saving.
void check_finite(const cifar::Training& t, int64_t steps, double lr) {
  const std::string bad = cifar::first_nonfinite(t);
  if (!bad.empty())
    throw ember::Error("the training diverged: after step " + std::to_string(steps) + ", " + bad +
                       " holds a NaN or an infinity (nothing saved); lower --lr (now " + ember::detail::str(lr) +
                       ") or resume from an earlier checkpoint");
}

/// Takes the checkpoint's lr, momentum and nesterov where the command line gives none; a flag
/// that is given wins, and a line says which value it replaces.
void merge_hyper(const Args& a, const cifar::StoredHyper& s, cifar::Hyper& h) {
  using ember::detail::str;
  if (s.lr) {
    if (!a.lr) h.lr = *s.lr;
    else if (*a.lr != *s.lr) out("--lr %s overrides the checkpoint's lr %s\n", str(*a.lr).c_str(), str(*s.lr).c_str());
  }
  if (s.momentum) {
    if (!a.momentum) h.momentum = *s.momentum;
    else if (*a.momentum != *s.momentum)
      out("--momentum %s overrides the checkpoint's momentum %s\n", str(*a.momentum).c_str(), str(*s.momentum).c_str());
  }
  if (s.nesterov) {
    if (!a.nesterov) h.nesterov = *s.nesterov;
    else if (!*s.nesterov) out("--nesterov overrides the checkpoint's nesterov false\n");
  }
}

const char* signal_name(int sig) { return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal"; }

/// The tutorial's split of an image folder (--data-format images): every image decoded, put in
/// the order in which ../shared/data/cifar10_to_bin.py writes the binary batches (numpy's
/// default_rng(20261127).permutation of the sorted files: for CIFAR-10's folder, the binary
/// batches' images in their order, so both formats train and validate alike), then the first
/// num_train train and the next num_val validate, as float32 in [0, 1] like the binary reader's.
/// `fingerprint` receives the decoded pixels' fingerprint for the checkpoint.
ember::data::Cifar10Split load_image_split(const std::string& dir, const ember::data::Cifar10Options& o,
                                           std::string& fingerprint) {
  ember::data::datasets::ImageFolder folder(dir);
  const int64_t n = int64_t(folder.samples().size());
  if (n < o.num_train + o.num_val)
    throw ember::Error(ember::detail::str("--data-format images: '", dir, "' holds ", n, " images; the split needs ",
                                          o.num_train, " to train and ", o.num_val, " to validate"));
  ember::data::LabeledImages all = folder.load_all();
  if (all.x.size(1) != 3 || all.x.size(2) != 32 || all.x.size(3) != 32)
    throw ember::Error(ember::detail::str("--data-format images: the images of '", dir, "' are ", all.x.sizes(),
                                          " (N x C x H x W); the CIFAR-10 models take 3 x 32 x 32"));
  const std::vector<int64_t> permutation = cifar::numpy_permutation(20261127, n);
  Tensor order = ember::tensor(permutation);
  Tensor x = all.x.to(ember::kFloat).index_select(0, order).div_(255);
  Tensor y = all.y.index_select(0, order);
  fingerprint = cifar::bytes_fingerprint(all.x.data_ptr(), int64_t(all.x.nbytes()));  // in file order
  ember::data::Cifar10Split split;
  split.train = {x.slice(0, 0, o.num_train), y.slice(0, 0, o.num_train)};
  split.val = {x.slice(0, o.num_train, o.num_train + o.num_val), y.slice(0, o.num_train, o.num_train + o.num_val)};
  split.classes = folder.classes();
  return split;
}

int run(const Args& a) {
  install_stop_handlers();
  ember::set_num_threads(a.threads > 0 ? a.threads : hardware_threads());
  std::string dev_name = a.device, why = "--device " + a.device;
  if (a.device.empty()) {
    const bool gpu = ember::cuda::is_available();
    dev_name = gpu ? "cuda" : "cpu";
    why = gpu ? "a GPU is usable" : "no usable GPU: " + ember::cuda::unavailable_reason();
  }
  ember::Device device(dev_name);
  if (device.is_cuda() && !ember::cuda::is_available())
    throw ember::Error("--device cuda, but no GPU is usable: " + ember::cuda::unavailable_reason());

  // --distributed: one process per rank (GPU), all with the same flags.
  int rank = 0, world = 1;
  cifar::Group group;
  if (a.distributed) {
    namespace dist = ember::distributed;
    dist::init_process_group(device.is_cuda() ? "nccl" : "mpi", std::chrono::seconds(a.dist_timeout));
    rank = dist::get_rank();
    world = dist::get_world_size();
    group = dist::default_group();
    g_quiet = rank != 0;
    g_rank_prefix = "rank " + std::to_string(rank) + ": ";
    if (device.is_cuda()) device = ember::Device(ember::kCUDA, dist::get_local_rank());
    std::ostringstream flags;
    flags << a.model << '|' << a.data_format << '|' << device.is_cuda() << '|' << a.epochs << '|' << a.batch_size << '|'
          << a.seed << '|' << a.threads << '|' << a.lr.value_or(-1) << '|' << a.momentum.value_or(-1) << '|'
          << a.nesterov << '|' << a.cuda_graph << '|' << a.tf32 << '|' << a.max_steps.value_or(-1) << '|' << a.resume
          << '|' << a.strict_resume << '|' << a.dist_timeout;
    cifar::check_same_flags(flags.str());
  }
  const int64_t global_batch = a.batch_size * world;

  cifar::Hyper h = cifar::defaults(a.model);
  if (a.lr) h.lr = *a.lr;
  if (a.momentum) h.momentum = *a.momentum;
  if (a.nesterov) h.nesterov = true;
  if (h.nesterov && h.momentum <= 0) throw UsageError("--nesterov needs a positive --momentum");
  if (rank == 0) {  // only rank 0 writes them
    check_writable("--save", a.save, /*replaced=*/true);
    check_writable("--log", a.log, /*replaced=*/false);
  }

  const ember::data::Cifar10Options data_options;
  out("train_cifar: %s on %s (%s), %d threads, %lld steps per epoch, data %s\n", a.model.c_str(), device.str().c_str(),
      why.c_str(), ember::get_num_threads(),
      (long long)(a.distributed ? data_options.num_train / global_batch
                                : (data_options.num_train + global_batch - 1) / global_batch),
      std::filesystem::absolute(a.data).lexically_normal().string().c_str());
  if (a.distributed)
    out("distributed: %d ranks (%s), batch %lld per rank, %lld in all\n", world,
        ember::distributed::get_backend().c_str(), (long long)a.batch_size, (long long)global_batch);

  // Data: the tutorial's split and per-channel normalisation, kept on the training device.
  std::string images_fingerprint;
  ember::data::Cifar10Split split = a.data_format == "images"
                                        ? load_image_split(a.data, data_options, images_fingerprint)
                                        : ember::data::load_cifar10_split(a.data, data_options);
  auto prepare = [&](const ember::data::LabeledImages& d) {
    return std::make_pair(ember::data::normalize(d.x).to(device), d.y.to(device));
  };
  auto [xtr, ytr] = prepare(split.train);
  auto [xva, yva] = prepare(split.val);
  std::optional<std::pair<Tensor, Tensor>> test;
  if (split.has_test()) test = prepare(split.test);

  // What else decides this run's bytes, for the checkpoint: the device type, on the CPU the
  // thread count (it splits the reductions), and the training files (tools/data_fingerprint.h).
  cifar::RunRecord record;
  record.entries.emplace_back("device", device.is_cuda() ? "cuda" : "cpu");
  if (!device.is_cuda()) record.entries.emplace_back("threads", std::to_string(ember::get_num_threads()));
  if (a.distributed) record.entries.emplace_back("world_size", std::to_string(world));
  if (a.data_format == "images") {
    record.entries.emplace_back("data.images", images_fingerprint);
  } else {
    for (int i = 1; i <= data_options.train_files; ++i) {
      const std::string name = "data_batch_" + std::to_string(i) + ".bin";
      record.entries.emplace_back("data." + name, cifar::data_fingerprint(a.data + "/" + name));
    }
  }

  const cifar::Recipe recipe = cifar::recipe(a.model);
  if (device.is_cuda()) ember::cuda::set_cudnn_allow_tf32(a.tf32);
  // resnet20 warms up on the CPU too, as resnet20_torch.py does on every device.
  if (device.is_cuda() || recipe.cosine) warm_up(a.model, h, device, xtr, ytr, a.batch_size);
  ember::manual_seed(a.seed);
  cifar::Training t = cifar::build(a.model, h, device, group);
  // --distributed: every rank draws the same global batches and trains on its slice of each.
  ember::data::TensorLoader loader(
      xtr, ytr, ember::data::TensorLoaderOptions(global_batch).shuffle(true).seed(a.seed).drop_last(a.distributed));
  const size_t batches = loader.size();

  CsvLog log;
  if (!a.log.empty() && rank == 0) log.open(a.log);

  const cifar::RunKey key{a.model, a.seed, global_batch};
  cifar::Position pos;
  if (!a.resume.empty()) {
    const cifar::Layout layout{int64_t(batches), xtr.size(0), global_batch, a.epochs};
    cifar::Loaded loaded = cifar::load_state(a.resume, t, key, layout);
    pos = loaded.pos;
    out("Resumed from %s: epoch %lld, batch %lld, %lld steps\n", a.resume.c_str(), (long long)pos.epoch + 1,
        (long long)pos.batch, (long long)pos.steps);
    merge_hyper(a, loaded.hyper, h);
    if (h.nesterov && h.momentum <= 0) throw UsageError("--nesterov needs a positive --momentum");
    const std::string differs = cifar::record_differences(loaded.metadata, record);
    if (!differs.empty() && a.strict_resume)
      throw ember::Error("--strict-resume: this run differs from the one that saved '" + a.resume + "' in " + differs);
    if (!differs.empty() && !g_quiet)
      std::fprintf(stderr,
                   "train_cifar: warning: this run differs from the one that saved '%s' in %s; it will not "
                   "end as an uninterrupted run would (--strict-resume refuses)\n",
                   a.resume.c_str(), differs.c_str());
  }
  t.set_hyper(h);
  auto reached_max = [&] { return a.max_steps && pos.steps >= *a.max_steps; };

  int64_t saved_steps = -1;
  auto save = [&] {
    check_finite(t, pos.steps, h.lr);
    if (rank == 0) cifar::save_state(a.save, t, key, record, h, pos);
    saved_steps = pos.steps;
    out("Saved %s: epoch %lld, batch %lld, %lld steps\n", a.save.c_str(), (long long)pos.epoch + 1,
        (long long)pos.batch, (long long)pos.steps);
  };

  double train_seconds = 0;
  int64_t run_steps = 0, run_images = 0;  // this run's share, for images/s
  // A captured step replays the lr it was captured with: a per-step schedule trains eagerly.
  // (Nor does a data-parallel one: the collectives run outside the graph.)
  const bool use_graph = device.is_cuda() && a.cuda_graph && !recipe.cosine && !a.distributed;
  const int64_t total_steps = a.epochs * int64_t(batches);  // the cosine schedule's span
  GraphStep graph(t);
  const int64_t planned = std::min<int64_t>(a.epochs * int64_t(batches), a.max_steps.value_or(INT64_MAX));
  const auto started = std::chrono::steady_clock::now();
  auto progress = [&](int64_t epoch, int64_t done, double seconds) {
    const double per_step = run_steps ? seconds / double(run_steps) : 0;
    char text[160];
    std::snprintf(text, sizeof text, "  epoch %lld/%d: %lld/%zu batches, %s, %.0f images/s, ETA %s",
                  (long long)epoch + 1, a.epochs, (long long)done, batches, duration(seconds_since(started)).c_str(),
                  double(run_images) / std::max(1e-9, seconds),
                  duration(per_step * double(std::max<int64_t>(0, planned - pos.steps))).c_str());
    return std::string(text);
  };
  for (int64_t epoch = pos.epoch; epoch < a.epochs && !reached_max() && !g_signal; ++epoch) {
    loader.set_epoch(epoch);
    auto it = loader.begin();
    for (int64_t skip = 0; skip < pos.batch && it != loader.end(); ++skip) ++it;  // resumed mid-epoch
    auto t0 = std::chrono::steady_clock::now();
    for (; it != loader.end() && !reached_max() && !g_signal; ++it) {
      const ember::data::Batch& batch = *it;
      const Tensor bx = a.distributed ? batch.x.narrow(0, rank * a.batch_size, a.batch_size) : batch.x;
      const Tensor by = a.distributed ? batch.y.narrow(0, rank * a.batch_size, a.batch_size) : batch.y;
      const int64_t i = pos.batch;  // the tutorial's iteration number within the epoch
      if (recipe.cosine) {
        cifar::Hyper now = h;
        now.lr = ember::optim::CosineAnnealingLR::closed_form_lr(h.lr, 0, std::max<int64_t>(total_steps, 1), pos.steps);
        t.set_hyper(now);
      }
      // Augmented per image, per step, inside the timed loop (as resnet20_torch.py's timing).
      const Tensor x = recipe.augment ? ember::data::random_crop(ember::data::random_horizontal_flip(bx), 32, 4) : bx;
      // The loss tensor of a replay is the graph's: read it (below) before the next replay.
      Tensor loss;
      const bool full = batch.size() == a.batch_size;
      if (use_graph && graph.ready() && full) {
        loss = graph.step(x, by);
      } else if (use_graph && !graph.ready() && full && run_steps >= kWarmupSteps) {
        loss = graph.capture(x, by);
        g_progress.end_line();
        std::fprintf(stderr, "  captured the training step in a CUDA graph after %lld eager steps\n",
                     (long long)run_steps);
      } else {
        loss = t.step(x, by);
      }
      if (a.distributed) g_signal = cifar::agree_on_signal(g_signal);
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
          throw ember::Error("the loss became " + std::to_string(l) + " at epoch " + std::to_string(epoch + 1) +
                             ", iteration " + std::to_string(i) + "; lower --lr (now " + ember::detail::str(h.lr) +
                             ")");
        }
        if (log.is_open()) log.row("loss", epoch + 1, pos.steps, l);
        if (report) {
          train_seconds += seconds_since(t0);
          out("Iteration %lld, loss = %.4f\n", (long long)i, l);
          check_accuracy(t, xva, yva);
          out("\n");
          log.flush();
          t0 = std::chrono::steady_clock::now();
        }
      } else if (size_t(pos.batch) == batches) {
        double l = loss.item<double>();
        if (!std::isfinite(l))
          throw ember::Error("the loss became " + std::to_string(l) + " in epoch " + std::to_string(epoch + 1) +
                             " (checked at its end); lower --lr (now " + ember::detail::str(h.lr) + ")");
      }
      if (a.save_every > 0 && pos.steps % a.save_every == 0) save();
      if (g_progress.due()) g_progress.show(progress(epoch, pos.batch, train_seconds + seconds_since(t0)));
    }
    if (device.is_cuda()) ember::cuda::synchronize();
    train_seconds += seconds_since(t0);
    g_progress.finish(progress(epoch, pos.batch, train_seconds));
    if (size_t(pos.batch) < batches) break;  // stopped by --max-steps or a signal inside the epoch
    pos.epoch = epoch + 1;
    pos.batch = 0;
    check_finite(t, pos.steps, h.lr);
    out("Epoch %lld done: ", (long long)epoch + 1);
    double va = check_accuracy(t, xva, yva);
    if (log.is_open()) log.row("val_accuracy", epoch + 1, pos.steps, va);
    log.flush();
  }
  if (g_signal) {
    const int sig = g_signal;
    if (!a.save.empty() && saved_steps != pos.steps) save();
    log.close();
    if (!g_quiet)
      std::fprintf(stderr, "train_cifar: stopped by %s after step %lld; %s\n", signal_name(sig), (long long)pos.steps,
                   a.save.empty() ? "nothing saved (no --save)" : ("continue with --resume " + a.save).c_str());
    return 128 + sig;
  }
  if (!a.save.empty() && saved_steps != pos.steps) save();
  log.close();

  check_finite(t, pos.steps, h.lr);
  out("Validation: ");
  double val_acc = check_accuracy(t, xva, yva);
  std::string test_acc = "null";
  if (test) {
    out("Test: ");
    test_acc = std::to_string(check_accuracy(t, test->first, test->second));
  }
  // images_per_second: all ranks' images (each global batch) per second.
  out("{\"model\": \"%s\", \"device\": \"%s\", \"epochs\": %d, \"steps\": %lld, \"train_seconds\": %.3f, "
      "\"images_per_second\": %.1f, \"val_accuracy\": %.4f, \"test_accuracy\": %s%s}\n",
      a.model.c_str(), device.str().c_str(), a.epochs, (long long)pos.steps, train_seconds,
      double(run_images) / std::max(train_seconds, 1e-9), val_acc, test_acc.c_str(),
      a.distributed ? (", \"world_size\": " + std::to_string(world)).c_str() : "");
  if (a.distributed) ember::distributed::destroy_process_group();
  return 0;
}

/// OpenMP threads that reach the end of a parallel region spin (libgomp polls ~300,000 times)
/// before they sleep. On idle cores that is the fastest wait: module_fc ran 10-15% slower with
/// passive waiting on a quiet 2-core machine. On shared cores (other processes, builds) a
/// spinning thread holds a core its preempted team-mate needs, and each of a step's ~200 regions
/// can then wait out a scheduler time slice: on 2 cores at load 6-9, module_fc made 139 img/s
/// spinning and 702 passive, ResNet-20 30-50 and 185. So train_cifar waits passively only when
/// the machine is busy as it starts: when the one-minute load average plus its own threads
/// exceeds the cores. libgomp reads the policy once, when it loads, so train_cifar then sets
/// OMP_WAIT_POLICY=passive and executes itself again. A policy the user chose is kept.
void choose_openmp_wait(char** argv, int threads) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr || std::getenv("GOMP_SPINCOUNT") != nullptr) return;
  double load = 0;
  const double cores = std::max(1u, std::thread::hardware_concurrency());
  if (getloadavg(&load, 1) != 1 || load + (threads > 0 ? threads : cores) <= cores + 0.5) return;
  if (setenv("OMP_WAIT_POLICY", "passive", 1) != 0) return;
  execv("/proc/self/exe", argv);  // returns only on failure: then train with the default policy
}

}  // namespace

int main(int argc, char** argv) {
  try {
    Args args = parse(argc, argv);
    choose_openmp_wait(argv, args.threads);
    return run(args);
  } catch (const UsageError& e) {
    g_progress.end_line();
    std::fprintf(stderr, "train_cifar: %s\n%s(train_cifar --help lists every flag and its default)\n", e.what(),
                 kSynopsis);
    return 2;
  } catch (const std::exception& e) {
    g_progress.end_line();
    std::fprintf(stderr, "train_cifar: %serror: %s\n", g_rank_prefix.c_str(), e.what());
    return 1;
  }
}
