// The direct convolution's kernels and drivers, written once over a vector type V and compiled
// once per instruction set: conv_direct_avx512.cpp (V = 16 floats) and conv_direct_avx2.cpp
// (V = 8 floats) include this file between their target markers, after the standard headers,
// <omp.h> and cpu_backend.h, and inside their own anonymous namespace, so each instantiation is
// local to its file and compiled for its instruction set only. No include guard on purpose.
//
// Why direct: with 16-64 channels the im2col + GEMM path spends more time writing and reading
// the columns (9 floats per input float for 3x3) than multiplying, since the product has only
// Cout rows to reuse each column for. Here nothing is materialised. In a "same" convolution
// output pixel q (flat h * W + w) reads tap (ki, kj) at input q + (ki - ph) * W + (kj - pw): one
// constant offset per tap for every pixel of the plane. So V::kLanes consecutive output pixels
// (one vector, across row ends too) take their tap from ONE unaligned load at that offset,
// masked where the tap falls in the padding (a row above or below the plane, or a column that
// wraps to the neighbouring row); masked-off lanes are neither read nor faulted on.
//
// Register blocking: a tile is NCO output channels x NV pixel vectors, NCO * NV accumulators;
// per (input channel, tap) it loads NV input vectors and NCO broadcast weights for NCO * NV
// FMAs. AVX-512 has 32 registers and broadcasts a weight inside the FMA: 16 x 1. AVX2 has 16
// and needs a separate broadcast: 4 x 3 (12 accumulators, 3 inputs, 1 weight) keeps the FMA
// units, not the loads, the limit. V::kFwdNco / kFwdNv / kWgtNco / kWgtNt choose.
//
// The tiles' small loops over channels, vectors and taps are unrolled by pragma, before GCC
// decides where the accumulator arrays live: unrolled only later, the arrays stayed in memory
// and every FMA was followed by a store of its accumulator (twice the forward's time on AVX2).
#define EMBER_UNROLL _Pragma("GCC unroll 64")

// V provides: kLanes, Vec, Mask (a lane mask), MaskSlot (one in memory: get, put), mask(bits),
// first(k) (lanes [0, k)), load(mask, p), loadu(p), store(mask, p, v), storeu(p, v), set1(x),
// zero(), fma(a, b, c) = a * b + c, add(a, b), sum(v) (all lanes).
//
// Every output element is one thread's, summed over (c, ki, kj) in order, and every weight
// gradient lane over (image, pixel) in order: deterministic, independent of the thread count.

/// Each tap's input offset, and its live lanes in each vector of the plane (the same for every
/// image): masks[b * taps + t].
template <class V>
void tap_masks(const ConvGeometry& g, std::vector<int64_t>& offs, std::vector<typename V::MaskSlot>& masks) {
  const int64_t taps = g.kh * g.kw, P = g.h * g.w, L = V::kLanes, vectors = (P + L - 1) / L;
  offs.assign(static_cast<size_t>(taps), 0);
  masks.resize(static_cast<size_t>(vectors * taps));
  for (int64_t ki = 0; ki < g.kh; ++ki)
    for (int64_t kj = 0; kj < g.kw; ++kj) offs[size_t(ki * g.kw + kj)] = (ki - g.ph) * g.w + (kj - g.pw);
  for (int64_t b = 0; b < vectors; ++b) {
    for (int64_t t = 0; t < taps; ++t) {
      const int64_t di = t / g.kw - g.ph, dj = t % g.kw - g.pw;
      unsigned m = 0;
      for (int64_t l = 0; l < L; ++l) {
        const int64_t q = b * L + l, ih = q / g.w + di, iw = q % g.w + dj;
        if (q < P && ih >= 0 && ih < g.h && iw >= 0 && iw < g.w) m |= 1u << l;
      }
      V::put(masks[size_t(b * taps + t)], V::mask(m));
    }
  }
}

// NCO output channels from co0 over the NV vectors from b of one image: out = bias + sum over
// (c, tap). wb points at channel co0's weights.
template <class V, int NCO, int NV>
inline void tile(const float* image, const float* wb, const float* bias, float* out, const ConvGeometry& g, int64_t co0,
                 int64_t b, const typename V::MaskSlot* masks, const int64_t* offs) {
  using Vec = typename V::Vec;
  const int64_t taps = g.kh * g.kw, P = g.h * g.w, L = V::kLanes, wstride = g.c * taps, q = b * L;
  const typename V::MaskSlot* m = masks + b * taps;
  Vec acc[NCO][NV];
  EMBER_UNROLL
  for (int j = 0; j < NCO; ++j) {
    EMBER_UNROLL
    for (int i = 0; i < NV; ++i) acc[j][i] = bias ? V::set1(bias[co0 + j]) : V::zero();
  }
  for (int64_t c = 0; c < g.c; ++c) {
    const float* plane = image + c * P + q;
    const float* wc = wb + c * taps;
    for (int64_t t = 0; t < taps; ++t) {
      Vec v[NV];
      EMBER_UNROLL
      for (int i = 0; i < NV; ++i) v[i] = V::load(V::get(m[i * taps + t]), plane + i * L + offs[t]);
      EMBER_UNROLL
      for (int j = 0; j < NCO; ++j) {
        const Vec wv = V::set1(wc[j * wstride + t]);
        EMBER_UNROLL
        for (int i = 0; i < NV; ++i) acc[j][i] = V::fma(v[i], wv, acc[j][i]);
      }
    }
  }
  EMBER_UNROLL
  for (int i = 0; i < NV; ++i) {
    const int64_t qi = q + i * L;
    if (qi + L <= P) {
      EMBER_UNROLL
      for (int j = 0; j < NCO; ++j) V::storeu(out + (co0 + j) * P + qi, acc[j][i]);
    } else {
      const typename V::Mask tail = V::first(P - qi);
      EMBER_UNROLL
      for (int j = 0; j < NCO; ++j) V::store(tail, out + (co0 + j) * P + qi, acc[j][i]);
    }
  }
}

// NCO channels from co over the vectors [b, b1), NV at a time, then NV - 1, ... 1.
template <class V, int NCO, int NV>
void vector_pieces(const float* image, const float* wb, const float* bias, float* out, const ConvGeometry& g,
                   int64_t co, int64_t b, int64_t b1, const typename V::MaskSlot* masks, const int64_t* offs) {
  for (; b + NV <= b1; b += NV) tile<V, NCO, NV>(image, wb, bias, out, g, co, b, masks, offs);
  if constexpr (NV > 1) vector_pieces<V, NCO, NV - 1>(image, wb, bias, out, g, co, b, b1, masks, offs);
}

// Channels [co, co_end) over the vectors [b0, b1) of one image, in pieces of NCO channels,
// then NCO / 2, ... 1: every piece a compile-time width.
template <class V, int NCO>
void channel_pieces(const float* image, const float* w, const float* bias, float* out, const ConvGeometry& g,
                    int64_t co, int64_t co_end, int64_t b0, int64_t b1, const typename V::MaskSlot* masks,
                    const int64_t* offs) {
  for (; co + NCO <= co_end; co += NCO)
    vector_pieces<V, NCO, V::kFwdNv>(image, w + co * g.c * g.kh * g.kw, bias, out, g, co, b0, b1, masks, offs);
  if constexpr (NCO > 1) channel_pieces<V, NCO / 2>(image, w, bias, out, g, co, co_end, b0, b1, masks, offs);
}

template <class V>
void forward(const float* x, const float* w, const float* bias, float* y, const ConvGeometry& g) {
  const int64_t taps = g.kh * g.kw, P = g.h * g.w, L = V::kLanes, vectors = (P + L - 1) / L;
  std::vector<int64_t> offs;
  std::vector<typename V::MaskSlot> masks;
  tap_masks<V>(g, offs, masks);
  // Units: (image, block of kFwdBlock output channels, run of vectors). The run, about
  // 65536 / (C * taps) pixels, keeps a unit's input reads in L1 / L2 and gives the threads
  // enough units when the batch is small; a multiple of kFwdNv where it splits the plane.
  constexpr int64_t block = V::kFwdBlock, NV = V::kFwdNv;
  const int64_t co_blocks = (g.cout + block - 1) / block;
  int64_t run = std::max<int64_t>(1, std::min<int64_t>(vectors, 16 * (4096 / std::max<int64_t>(1, g.c * taps)) / L));
  if (run > NV && run < vectors) run -= run % NV;
  const int64_t runs = (vectors + run - 1) / run;
  const int64_t units = g.n * co_blocks * runs;
  const int threads = omp_in_parallel() ? 1 : int(std::min<int64_t>(get_num_threads(), units));
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
  for (int64_t u = 0; u < units; ++u) {
    const int64_t n = u / (co_blocks * runs), cb = u / runs % co_blocks, r = u % runs;
    const int64_t b0 = r * run, b1 = std::min(vectors, b0 + run);
    const int64_t co = cb * block, co_end = std::min(g.cout, co + block);
    channel_pieces<V, V::kFwdNco>(x + n * g.c * P, w, bias, y + n * g.cout * P, g, co, co_end, b0, b1, masks.data(),
                                  offs.data());
  }
}

// One step of the weight gradient: the pixel vector b of one image into the accumulators a of
// NCO output channels x NT taps from t0. FULL: the vector lies inside the plane (no tail mask
// on grad_out; its lanes past the plane are zero in the input anyway, masked by tap_masks).
template <class V, int NCO, int NT, bool FULL>
inline __attribute__((always_inline)) void weight_step(const float* plane, const float* go, int64_t b, int64_t t0,
                                                       const ConvGeometry& g, const typename V::MaskSlot* masks,
                                                       const int64_t* offs, typename V::Vec (&a)[NCO][NT]) {
  using Vec = typename V::Vec;
  const int64_t taps = g.kh * g.kw, P = g.h * g.w, L = V::kLanes;
  Vec v[NT];
  EMBER_UNROLL
  for (int k = 0; k < NT; ++k) v[k] = V::load(V::get(masks[b * taps + t0 + k]), plane + b * L + offs[t0 + k]);
  EMBER_UNROLL
  for (int j = 0; j < NCO; ++j) {
    const Vec gv = FULL ? V::loadu(go + j * P + b * L) : V::load(V::first(P - b * L), go + j * P + b * L);
    EMBER_UNROLL
    for (int k = 0; k < NT; ++k) a[j][k] = V::fma(v[k], gv, a[j][k]);
  }
}

// The weight gradient's share of images [n0, n1) for NCO output channels from co0 and the taps
// [t0, t0 + NT) of every input channel: acc holds one vector per (output channel, c, tap),
// [(j * C + c) * taps + t], each lane summing its own pixels. The NCO x NT accumulators stay in
// registers while the images' pixels stream by; the caller picks image chunks whose planes stay
// in L2 across the taps.
template <class V, int NCO, int NT>
void weight_tile(const float* x, const float* go_all, int64_t n0, int64_t n1, float* acc, const ConvGeometry& g,
                 int64_t co0, int64_t t0, const typename V::MaskSlot* masks, const int64_t* offs) {
  using Vec = typename V::Vec;
  const int64_t taps = g.kh * g.kw, P = g.h * g.w, L = V::kLanes, full = P / L, vectors = (P + L - 1) / L;
  for (int64_t c = 0; c < g.c; ++c) {
    Vec a[NCO][NT];
    EMBER_UNROLL
    for (int j = 0; j < NCO; ++j) {
      EMBER_UNROLL
      for (int k = 0; k < NT; ++k) a[j][k] = V::loadu(acc + ((j * g.c + c) * taps + t0 + k) * L);
    }
    for (int64_t n = n0; n < n1; ++n) {
      const float* plane = x + (n * g.c + c) * P;
      const float* go = go_all + (n * g.cout + co0) * P;
      for (int64_t b = 0; b < full; ++b) weight_step<V, NCO, NT, true>(plane, go, b, t0, g, masks, offs, a);
      if (full < vectors) weight_step<V, NCO, NT, false>(plane, go, full, t0, g, masks, offs, a);
    }
    EMBER_UNROLL
    for (int j = 0; j < NCO; ++j) {
      EMBER_UNROLL
      for (int k = 0; k < NT; ++k) V::storeu(acc + ((j * g.c + c) * taps + t0 + k) * L, a[j][k]);
    }
  }
}

// Output channels [co, cout) in pieces of NCO, NCO / 2, ... 1; each piece's taps NT at a time,
// the rest one by one.
template <class V, int NCO>
void weight_pieces(const float* x, const float* go, int64_t n0, int64_t n1, float* acc, const ConvGeometry& g,
                   int64_t co, const typename V::MaskSlot* masks, const int64_t* offs) {
  constexpr int NT = V::kWgtNt;
  const int64_t taps = g.kh * g.kw, per_co = g.c * taps * V::kLanes;
  for (; co + NCO <= g.cout; co += NCO) {
    int64_t t = 0;
    for (; t + NT <= taps; t += NT) weight_tile<V, NCO, NT>(x, go, n0, n1, acc + co * per_co, g, co, t, masks, offs);
    for (; t < taps; ++t) weight_tile<V, NCO, 1>(x, go, n0, n1, acc + co * per_co, g, co, t, masks, offs);
  }
  if constexpr (NCO > 1) weight_pieces<V, NCO / 2>(x, go, n0, n1, acc, g, co, masks, offs);
}

template <class V>
void backward_weight(const float* x, const float* go, float* gw, const ConvGeometry& g) {
  const int64_t taps = g.kh * g.kw, P = g.h * g.w, per_co = g.c * taps, L = V::kLanes;
  std::vector<int64_t> offs;
  std::vector<typename V::MaskSlot> masks;
  tap_masks<V>(g, offs, masks);
  // Each thread sums its share of the images into its own vector accumulators (Cout * C * taps
  // of them); the shares are reduced in thread order, so a thread count gives one result.
  const int threads = omp_in_parallel() ? 1 : int(std::max<int64_t>(1, std::min<int64_t>(get_num_threads(), g.n)));
  // L lanes per accumulator (a vector of floats: std::vector<Vec> would drop the alignment).
  std::vector<float> partial(static_cast<size_t>(threads * g.cout * per_co * L), 0.f);
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    const int t = threads > 1 ? omp_get_thread_num() : 0;
    float* acc = partial.data() + size_t(t) * size_t(g.cout * per_co * L);
    const int64_t first = g.n * t / threads, last = g.n * (t + 1) / threads;
    // Images per chunk: their input planes and the tile's grad_out planes in about 256 KiB (L2).
    const int64_t chunk =
        std::max<int64_t>(1, (int64_t(1) << 18) / std::max<int64_t>(1, P * 4 * (V::kWgtNco + V::kWgtNt)));
    for (int64_t n0 = first; n0 < last; n0 += chunk)
      weight_pieces<V, V::kWgtNco>(x, go, n0, std::min(last, n0 + chunk), acc, g, 0, masks.data(), offs.data());
  }
  for (int64_t i = 0; i < g.cout * per_co; ++i) {
    typename V::Vec sum = V::loadu(partial.data() + i * L);
    for (int t = 1; t < threads; ++t)
      sum = V::add(sum, V::loadu(partial.data() + (size_t(t) * size_t(g.cout * per_co) + size_t(i)) * size_t(L)));
    gw[i] = V::sum(sum);
  }
}

#undef EMBER_UNROLL
