// CUDA 2-D convolution (NCHW, groups = 1): cuDNN when ember is built with it, else im2col +
// cuBLAS over whole chunks of the batch (kernels/im2col.cu). The im2col path is always compiled:
// it also serves when cuDNN offers no algorithm within the workspace cap, and when the
// environment variable EMBER_CUDNN_DISABLE=1 asks for it (to test or compare the two paths).
//
// cuDNN: descriptors are made per call (cheap host calls), but the algorithm is chosen ONCE per
// (pass, shape, parameters, dtype, TF32 setting, deterministic mode, workspace cap) and cached:
// cuDNN's v7 heuristics rank the algorithms; we take the best whose workspace fits
// context().workspace_cap and which respects cuda::cudnn_allow_tf32() (float convolutions use CUDNN_FMA_MATH
// unless TF32 is allowed: cuDNN's default math would use TF32 tensor cores on Ampere and later).
//
// Deterministic mode (ember::is_deterministic(), docs/determinism.md): only candidates that
// cuDNN's heuristics mark CUDNN_DETERMINISTIC are taken (some backward-data and backward-filter
// algorithms accumulate with atomics), the mode is part of the cache key, and when no
// deterministic candidate fits the cap the im2col path runs. The choice itself never depends
// on timing (heuristics, no cudnnFind benchmarking), so it is the same in every run.
//
// The im2col path is deterministic as it is: im2col and col2im write each element once (col2im
// gathers, see kernels/im2col.cu), and cuBLAS documents bit-wise identical results run to run
// for one toolkit version on GPUs of one architecture and SM count while a single stream is
// active (ember queues everything on one stream per device, with a workspace set by
// cublasSetWorkspace). The backward-weight chunks accumulate into gW in batch order.
//
// im2col (layout in src/cuda/im2col.h), per chunk of nb images, P = OH*OW, R = C*KH*KW:
//   forward          out_i (Cout, P) = W (Cout, R) @ cols_i (R, P)   one strided-batched GEMM,
//                    writing straight into out; then + bias
//   backward_input   gcols_i (R, P) = W^T @ grad_out_i (Cout, P)     strided-batched; col2im
//   backward_weight  gW (Cout, R) += G (Cout, nb*P) @ cols^T          one GEMM, G = grad_out
//                    with batch and channel swapped
// The chunk keeps the column buffer under kIm2colBudget bytes.
#include <array>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <tuple>
#include <type_traits>
#include <vector>

#include "../dtype_dispatch.h"
#include "blas.h"
#include "cuda_backend.h"
#include "ember/cuda.h"
#include "ember/determinism.h"
#include "im2col.h"

namespace ember {
namespace {

using cuda_detail::context;
using cuda_detail::CudaContext;

constexpr size_t kIm2colBudget = size_t(256) << 20;

// The front half's geometry (src/conv_geometry.h); every path below reads it.
using ConvGeom = ConvGeometry;

bool cudnn_disabled() {
  static const bool disabled = [] {
    const char* v = std::getenv("EMBER_CUDNN_DISABLE");
    return v != nullptr && *v != '\0' && std::strcmp(v, "0") != 0;
  }();
  return disabled;
}

/// A scratch device buffer of count elements, returned to the caching allocator when it goes
/// out of scope; work queued with it before then is safe (one stream, see allocator.h).
Tensor scratch(int64_t count, ScalarType dtype, Device device) { return make_empty({count}, dtype, device); }

// --- im2col + cuBLAS ------------------------------------------------------------------------------

/// Images per chunk: the buffers of one image are `per_image` elements; at least one image,
/// and few enough that a GEMM's leading dimension nb*P fits cuBLAS's int.
int64_t chunk_images(const ConvGeom& g, int64_t per_image, size_t elem) {
  const size_t bytes = size_t(std::max<int64_t>(per_image, 1)) * elem;
  int64_t nb = int64_t(std::max<size_t>(1, kIm2colBudget / bytes));
  nb = std::min(nb, INT32_MAX / std::max<int64_t>(g.plane_out(), 1));
  return std::max<int64_t>(1, std::min(nb, g.n));
}

/// What the three im2col passes share: P = OH*OW and R = C*KH*KW, the images per chunk (few
/// enough that the column buffer, and `other_rows` more rows of P per image for the caller's own
/// scratch, stay under kIm2colBudget) and the (R, chunk * P) column buffer of one chunk.
struct Im2colChunks {
  int64_t P, R, chunk;
  Tensor cols;
  Im2colChunks(const ConvGeom& g, int64_t other_rows, const Tensor& like, size_t elem)
      : P(g.plane_out()),
        R(g.ckk()),
        chunk(chunk_images(g, (R + other_rows) * P, elem)),
        cols(scratch(R * chunk * P, like.dtype(), like.device())) {}

  /// body(n0, nb) for each chunk, in batch order: nb images from image n0.
  template <typename Body>
  void each(int64_t n, Body&& body) const {
    for (int64_t n0 = 0; n0 < n; n0 += chunk) body(n0, std::min(chunk, n - n0));
  }
};

template <typename T>
void im2col_forward(const Tensor& out, const Tensor& in, const Tensor& weight, const Tensor& bias, const ConvGeom& g) {
  const Im2colChunks chunks(g, 0, in, sizeof(T));
  const T* x = in.data_ptr<T>();
  const T* w = weight.data_ptr<T>();
  T* y = out.data_ptr<T>();
  chunks.each(g.n, [&](int64_t n0, int64_t nb) {
    cuda_detail::im2col<T>(x + n0 * g.image_in(), chunks.cols.data_ptr<T>(), g, nb);
    cuda_detail::gemm_row_major_batched<T>(false, false, g.cout, chunks.P, chunks.R, T(1), w, chunks.R, 0,
                                           chunks.cols.data_ptr<T>(), nb * chunks.P, chunks.P, T(0),
                                           y + n0 * g.image_out(), chunks.P, g.image_out(), nb);
    if (bias.defined())
      cuda_detail::add_channel_bias<T>(y + n0 * g.image_out(), bias.data_ptr<T>(), nb, g.cout, chunks.P);
  });
}

template <typename T>
void im2col_backward_input(const Tensor& grad_in, const Tensor& grad_out, const Tensor& weight, const ConvGeom& g) {
  const Im2colChunks chunks(g, 0, grad_in, sizeof(T));
  const T* go = grad_out.data_ptr<T>();
  const T* w = weight.data_ptr<T>();
  T* gi = grad_in.data_ptr<T>();
  chunks.each(g.n, [&](int64_t n0, int64_t nb) {
    cuda_detail::gemm_row_major_batched<T>(true, false, chunks.R, chunks.P, g.cout, T(1), w, chunks.R, 0,
                                           go + n0 * g.image_out(), chunks.P, g.image_out(), T(0),
                                           chunks.cols.data_ptr<T>(), nb * chunks.P, chunks.P, nb);
    cuda_detail::col2im<T>(chunks.cols.data_ptr<T>(), gi + n0 * g.image_in(), g, nb);
  });
}

template <typename T>
void im2col_backward_weight(const Tensor& grad_weight, const Tensor& grad_out, const Tensor& in, const ConvGeom& g) {
  // The other rows: the gathered output gradient of a chunk, (Cout, nb * P).
  const Im2colChunks chunks(g, g.cout, in, sizeof(T));
  Tensor gathered = chunks.chunk > 1 ? scratch(g.cout * chunks.chunk * chunks.P, in.dtype(), in.device()) : Tensor();
  const T* go = grad_out.data_ptr<T>();
  const T* x = in.data_ptr<T>();
  T* gw = grad_weight.data_ptr<T>();
  chunks.each(g.n, [&](int64_t n0, int64_t nb) {
    const int64_t L = nb * chunks.P;
    cuda_detail::im2col<T>(x + n0 * g.image_in(), chunks.cols.data_ptr<T>(), g, nb);
    const T* gmat = go + n0 * g.image_out();  // one image: already (Cout, P)
    int64_t ldg = chunks.P;
    if (nb > 1) {
      cuda_detail::swap_batch_channel<T>(gmat, gathered.data_ptr<T>(), nb, g.cout, chunks.P);
      gmat = gathered.data_ptr<T>();
      ldg = L;
    }
    cuda_detail::gemm_row_major<T>(false, true, g.cout, chunks.R, L, T(1), gmat, ldg, chunks.cols.data_ptr<T>(), L,
                                   n0 == 0 ? T(0) : T(1), gw, chunks.R);
  });
}

// --- cuDNN ----------------------------------------------------------------------------------------
#if EMBER_WITH_CUDNN

template <typename T>
cudnnDataType_t cudnn_dtype() {
  return std::is_same_v<T, float> ? CUDNN_DATA_FLOAT : CUDNN_DATA_DOUBLE;
}

int cudnn_int(int64_t v, const char* what) {
  EMBER_CHECK(v >= 0 && v <= INT32_MAX, "conv2d (cuDNN): ", what, " = ", v, " is past cuDNN's 2^31-1 limit");
  return int(v);
}

// Owning wrappers: a descriptor is destroyed on every path out, exceptions included. One template
// serves the three kinds, given cuDNN's create and destroy functions for each.
template <typename D, auto create, auto destroy>
struct Owned {
  D d = nullptr;
  Owned() { EMBER_CUDNN_CHECK(create(&d)); }
  ~Owned() { destroy(d); }
  Owned(const Owned&) = delete;
  Owned& operator=(const Owned&) = delete;
};
struct TensorDesc : Owned<cudnnTensorDescriptor_t, cudnnCreateTensorDescriptor, cudnnDestroyTensorDescriptor> {
  void set(cudnnDataType_t t, int64_t n, int64_t c, int64_t h, int64_t w) {
    EMBER_CUDNN_CHECK(cudnnSetTensor4dDescriptor(d, CUDNN_TENSOR_NCHW, t, cudnn_int(n, "batch"),
                                                 cudnn_int(c, "channels"), cudnn_int(h, "height"),
                                                 cudnn_int(w, "width")));
  }
};
using FilterDesc = Owned<cudnnFilterDescriptor_t, cudnnCreateFilterDescriptor, cudnnDestroyFilterDescriptor>;
using ConvDesc =
    Owned<cudnnConvolutionDescriptor_t, cudnnCreateConvolutionDescriptor, cudnnDestroyConvolutionDescriptor>;

/// The descriptors of one chunk of nb images.
struct Descriptors {
  TensorDesc x, y, bias;
  FilterDesc w;
  ConvDesc conv;
  cudnnMathType_t math;

  Descriptors(const ConvGeom& g, int64_t nb, cudnnDataType_t t, bool tf32) {
    x.set(t, nb, g.c, g.h, g.w);
    y.set(t, nb, g.cout, g.oh, g.ow);
    bias.set(t, 1, g.cout, 1, 1);
    EMBER_CUDNN_CHECK(cudnnSetFilter4dDescriptor(w.d, t, CUDNN_TENSOR_NCHW, cudnn_int(g.cout, "out_channels"),
                                                 cudnn_int(g.c, "in_channels"), cudnn_int(g.kh, "kernel height"),
                                                 cudnn_int(g.kw, "kernel width")));
    EMBER_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(conv.d, cudnn_int(g.ph, "padding"), cudnn_int(g.pw, "padding"),
                                                      cudnn_int(g.sh, "stride"), cudnn_int(g.sw, "stride"),
                                                      cudnn_int(g.dh, "dilation"), cudnn_int(g.dw, "dilation"),
                                                      CUDNN_CROSS_CORRELATION, t));
    // As PyTorch: FMA-only kernels for float without TF32, else the default math, which lets the
    // heuristics rank TF32 tensor-core kernels for float on Ampere and later.
    math = t == CUDNN_DATA_FLOAT && !tf32 ? CUDNN_FMA_MATH : CUDNN_DEFAULT_MATH;
    EMBER_CUDNN_CHECK(cudnnSetConvolutionMathType(conv.d, math));
    // cuDNN's own output shape must be ours (the front half computed it with PyTorch's rule).
    int dn = 0, dc = 0, dh = 0, dw = 0;
    EMBER_CUDNN_CHECK(cudnnGetConvolution2dForwardOutputDim(conv.d, x.d, w.d, &dn, &dc, &dh, &dw));
    EMBER_CHECK(dn == nb && dc == g.cout && dh == g.oh && dw == g.ow, "conv2d (cuDNN): cuDNN computes an output of [",
                dn, ", ", dc, ", ", dh, ", ", dw, "], ember expects [", nb, ", ", g.cout, ", ", g.oh, ", ", g.ow, "]");
  }
};

enum class Pass : int { Forward, BackwardData, BackwardFilter };

struct AlgoChoice {
  bool usable = false;
  int algo = 0;
  size_t workspace = 0;
  cudnnMathType_t math = CUDNN_DEFAULT_MATH;
};

using AlgoKey = std::array<int64_t, 20>;

/// The settings an algorithm choice depends on besides the shapes.
struct Mode {
  bool tf32;           // TF32 tensor cores allowed for float (cuda::cudnn_allow_tf32())
  bool deterministic;  // ember::is_deterministic()
};

Mode current_mode(const CudaContext& ctx) { return Mode{cuda::cudnn_allow_tf32(), is_deterministic()}; }

AlgoKey make_key(Pass pass, const ConvGeom& g, int64_t nb, cudnnDataType_t t, Mode mode, size_t cap, int device) {
  return AlgoKey{int64_t(pass),
                 device,
                 int64_t(t),
                 mode.tf32 ? 1 : 0,
                 int64_t(cap),
                 nb,
                 g.c,
                 g.h,
                 g.w,
                 g.cout,
                 g.kh,
                 g.kw,
                 g.sh,
                 g.sw,
                 g.ph,
                 g.pw,
                 g.dh,
                 g.dw,
                 mode.deterministic ? 1 : 0,
                 0};
}

/// cuDNN's ranked candidates that succeeded, do not use TF32 tensor cores on float data unless
/// allowed, and are deterministic when the mode asks for it; best first.
template <typename Perf>
std::vector<AlgoChoice> candidates(const Perf* perf, int count, bool is_float, Mode mode) {
  std::vector<AlgoChoice> out;
  for (int i = 0; i < count; ++i) {
    const Perf& c = perf[i];
    if (c.status != CUDNN_STATUS_SUCCESS) continue;
    const bool tensor_ops = c.mathType == CUDNN_TENSOR_OP_MATH || c.mathType == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION;
    if (is_float && !mode.tf32 && tensor_ops) continue;
    if (mode.deterministic && c.determinism != CUDNN_DETERMINISTIC) continue;
    AlgoChoice choice;
    choice.usable = true;
    choice.algo = int(c.algo);
    choice.workspace = c.memory;
    choice.math = c.mathType;
    out.push_back(choice);
  }
  return out;
}

/// The math type an algorithm runs with: the one it was ranked with when TF32 is allowed (as
/// PyTorch does), else the descriptor's own (CUDNN_FMA_MATH for float keeps TF32 out).
void set_math(const Descriptors& d, const AlgoChoice& choice, bool tf32) {
  EMBER_CUDNN_CHECK(cudnnSetConvolutionMathType(d.conv.d, tf32 ? choice.math : d.math));
}

/// What differs between the three passes, in one place: cuDNN's two queries for pass P (the
/// ranking and the workspace size) and the descriptors both take, in their order.
template <Pass P>
auto pass_queries(const Descriptors& d) {
  if constexpr (P == Pass::Forward) {
    return std::make_tuple(cudnnGetConvolutionForwardAlgorithm_v7, cudnnGetConvolutionForwardWorkspaceSize, d.x.d,
                           d.w.d, d.y.d);
  } else if constexpr (P == Pass::BackwardData) {
    return std::make_tuple(cudnnGetConvolutionBackwardDataAlgorithm_v7, cudnnGetConvolutionBackwardDataWorkspaceSize,
                           d.w.d, d.y.d, d.x.d);
  } else {
    return std::make_tuple(cudnnGetConvolutionBackwardFilterAlgorithm_v7,
                           cudnnGetConvolutionBackwardFilterWorkspaceSize, d.x.d, d.y.d, d.w.d);
  }
}

/// More than any pass has algorithms (cuDNN fills in at most this many ranked candidates).
constexpr int kMaxRanked = 16;
static_assert(CUDNN_CONVOLUTION_FWD_ALGO_COUNT <= kMaxRanked && CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT <= kMaxRanked &&
                  CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT <= kMaxRanked,
              "a pass ranks more algorithms than kMaxRanked holds");

/// The best candidate of one pass (its queries rank and workspace, its descriptors a, b, c as
/// pass_queries gives them) whose exact workspace, asked of cuDNN for the math type it will run
/// with, fits the cap. Not usable when none does.
template <typename A, typename B, typename C, typename Perf, typename Algo>
AlgoChoice first_fitting(cudnnStatus_t (*rank)(cudnnHandle_t, A, B, cudnnConvolutionDescriptor_t, C, int, int*, Perf*),
                         cudnnStatus_t (*workspace)(cudnnHandle_t, A, B, cudnnConvolutionDescriptor_t, C, Algo,
                                                    size_t*),
                         A a, B b, C c, CudaContext& ctx, const Descriptors& d, bool is_float, Mode mode) {
  Perf perf[kMaxRanked];
  int count = 0;
  EMBER_CUDNN_CHECK(rank(ctx.cudnn, a, b, d.conv.d, c, kMaxRanked, &count, perf));
  for (AlgoChoice& choice : candidates(perf, count, is_float, mode)) {
    set_math(d, choice, mode.tf32);
    size_t bytes = 0;
    const cudnnStatus_t st = workspace(ctx.cudnn, a, b, d.conv.d, c, Algo(choice.algo), &bytes);
    if (st != CUDNN_STATUS_SUCCESS || bytes > ctx.workspace_cap) continue;  // next candidate
    choice.workspace = std::max(choice.workspace, bytes);
    if (choice.workspace > ctx.workspace_cap) choice.workspace = bytes;
    return choice;
  }
  return AlgoChoice();
}

/// Looks up (or asks cuDNN once for) the algorithm of pass P for these descriptors.
template <Pass P>
AlgoChoice choose(const AlgoKey& key, CudaContext& ctx, const Descriptors& d, bool is_float, Mode mode) {
  static std::mutex mutex;
  static auto* cache = new std::map<AlgoKey, AlgoChoice>();  // leaked: used until process exit
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = cache->find(key);
    if (it != cache->end()) return it->second;
  }
  const auto [rank, workspace, a, b, c] = pass_queries<P>(d);
  const AlgoChoice chosen = first_fitting(rank, workspace, a, b, c, ctx, d, is_float, mode);
  std::lock_guard<std::mutex> lock(mutex);
  (*cache)[key] = chosen;
  return chosen;
}

/// Sets the chosen algorithm's math type and returns its workspace.
void* prepare(CudaContext& ctx, const Descriptors& d, const AlgoChoice& choice, bool tf32) {
  set_math(d, choice, tf32);
  return choice.workspace > 0 ? ctx.workspace(choice.workspace) : nullptr;
}

/// Images per cuDNN call: its legacy API takes int sizes, and many algorithms index tensors
/// with 32-bit offsets, so each call's input and output stay under 2^31 elements.
int64_t cudnn_chunk(const ConvGeom& g) {
  const int64_t per_image = std::max<int64_t>({g.image_in(), g.image_out(), int64_t(1)});
  EMBER_CHECK(per_image <= INT32_MAX, "conv2d (cuDNN): one image of input [", g.c, ", ", g.h, ", ", g.w,
              "] or output [", g.cout, ", ", g.oh, ", ", g.ow, "] has 2^31 or more elements");
  return std::max<int64_t>(1, std::min(g.n, INT32_MAX / per_image));
}

// Each returns false, having written nothing it will not overwrite, when cuDNN has no usable
// algorithm (the caller then takes the im2col path, which overwrites everything).

/// Runs one pass chunk by chunk: per chunk of nb images, the descriptors, the cached algorithm
/// choice and its workspace, then call(ctx, d, choice, workspace, n0) issues the cuDNN call.
template <typename T, Pass P, typename Call>
bool cudnn_chunks(const ConvGeom& g, Call&& call) {
  CudaContext& ctx = context();
  const Mode mode = current_mode(ctx);  // read once: every chunk runs under the same mode
  const int64_t chunk = cudnn_chunk(g);
  for (int64_t n0 = 0; n0 < g.n; n0 += chunk) {
    const int64_t nb = std::min(chunk, g.n - n0);
    Descriptors d(g, nb, cudnn_dtype<T>(), mode.tf32);
    const AlgoKey key = make_key(P, g, nb, cudnn_dtype<T>(), mode, ctx.workspace_cap, ctx.device);
    const AlgoChoice choice = choose<P>(key, ctx, d, std::is_same_v<T, float>, mode);
    if (!choice.usable) return false;
    call(ctx, d, choice, prepare(ctx, d, choice, mode.tf32), n0);
  }
  return true;
}

template <typename T>
bool cudnn_forward(const Tensor& out, const Tensor& in, const Tensor& weight, const Tensor& bias, const ConvGeom& g) {
  const T one = T(1), zero = T(0);
  return cudnn_chunks<T, Pass::Forward>(
      g, [&](CudaContext& ctx, const Descriptors& d, const AlgoChoice& choice, void* ws, int64_t n0) {
        T* y = out.data_ptr<T>() + n0 * g.image_out();
        EMBER_CUDNN_CHECK(cudnnConvolutionForward(
            ctx.cudnn, &one, d.x.d, in.data_ptr<T>() + n0 * g.image_in(), d.w.d, weight.data_ptr<T>(), d.conv.d,
            cudnnConvolutionFwdAlgo_t(choice.algo), ws, choice.workspace, &zero, d.y.d, y));
        if (bias.defined())
          EMBER_CUDNN_CHECK(cudnnAddTensor(ctx.cudnn, &one, d.bias.d, bias.data_ptr<T>(), &one, d.y.d, y));
      });
}

template <typename T>
bool cudnn_backward_input(const Tensor& grad_in, const Tensor& grad_out, const Tensor& weight, const ConvGeom& g) {
  const T one = T(1), zero = T(0);
  return cudnn_chunks<T, Pass::BackwardData>(
      g, [&](CudaContext& ctx, const Descriptors& d, const AlgoChoice& choice, void* ws, int64_t n0) {
        EMBER_CUDNN_CHECK(cudnnConvolutionBackwardData(ctx.cudnn, &one, d.w.d, weight.data_ptr<T>(), d.y.d,
                                                       grad_out.data_ptr<T>() + n0 * g.image_out(), d.conv.d,
                                                       cudnnConvolutionBwdDataAlgo_t(choice.algo), ws, choice.workspace,
                                                       &zero, d.x.d, grad_in.data_ptr<T>() + n0 * g.image_in()));
      });
}

template <typename T>
bool cudnn_backward_weight(const Tensor& grad_weight, const Tensor& grad_out, const Tensor& in, const ConvGeom& g) {
  const T one = T(1), zero = T(0);
  return cudnn_chunks<T, Pass::BackwardFilter>(
      g, [&](CudaContext& ctx, const Descriptors& d, const AlgoChoice& choice, void* ws, int64_t n0) {
        // Later chunks accumulate into the first chunk's gradient.
        EMBER_CUDNN_CHECK(cudnnConvolutionBackwardFilter(
            ctx.cudnn, &one, d.x.d, in.data_ptr<T>() + n0 * g.image_in(), d.y.d,
            grad_out.data_ptr<T>() + n0 * g.image_out(), d.conv.d, cudnnConvolutionBwdFilterAlgo_t(choice.algo), ws,
            choice.workspace, n0 == 0 ? &zero : &one, d.w.d, grad_weight.data_ptr<T>()));
      });
}

#endif  // EMBER_WITH_CUDNN

bool use_cudnn() {
#if EMBER_WITH_CUDNN
  return !cudnn_disabled();
#else
  (void)cudnn_disabled;
  return false;
#endif
}

void zero(const Tensor& t) {
  if (t.numel() > 0)
    EMBER_CUDA_CHECK(cudaMemsetAsync(t.data_ptr(), 0, size_t(t.numel()) * element_size(t.dtype()), context().stream));
}

}  // namespace

void CudaBackend::conv2d_forward(const Tensor& out, const Tensor& in, const Tensor& weight, const Tensor& bias,
                                 const ConvGeometry& g) {
  if (out.numel() == 0) return;
  dispatch_floating(in.dtype(), "conv2d", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (g.ckk() == 0) {  // no input channels: every output is the bias (or 0)
      zero(out);
      if (bias.defined())
        cuda_detail::add_channel_bias<T>(out.data_ptr<T>(), bias.data_ptr<T>(), g.n, g.cout, g.plane_out());
      return;
    }
#if EMBER_WITH_CUDNN
    if (use_cudnn() && cudnn_forward<T>(out, in, weight, bias, g)) return;
#endif
    im2col_forward<T>(out, in, weight, bias, g);
  });
}

void CudaBackend::conv2d_backward_input(const Tensor& grad_in, const Tensor& grad_out, const Tensor& weight,
                                        const ConvGeometry& g) {
  if (grad_in.numel() == 0) return;
  dispatch_floating(grad_in.dtype(), "conv2d_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (g.cout == 0 || g.plane_out() == 0) return zero(grad_in);  // no output reads the input
#if EMBER_WITH_CUDNN
    if (use_cudnn() && cudnn_backward_input<T>(grad_in, grad_out, weight, g)) return;
#endif
    im2col_backward_input<T>(grad_in, grad_out, weight, g);
  });
}

void CudaBackend::conv2d_backward_weight(const Tensor& grad_weight, const Tensor& grad_out, const Tensor& in,
                                         const ConvGeometry& g) {
  if (grad_weight.numel() == 0) return;
  dispatch_floating(in.dtype(), "conv2d_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (g.n == 0 || g.plane_out() == 0) return zero(grad_weight);  // an empty sum
#if EMBER_WITH_CUDNN
    if (use_cudnn() && cudnn_backward_weight<T>(grad_weight, grad_out, in, g)) return;
#endif
    im2col_backward_weight<T>(grad_weight, grad_out, in, g);
  });
}

}  // namespace ember
