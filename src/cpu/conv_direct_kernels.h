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
// The padded layout (V::kPadded, where the plane's width is a whole number of vectors, as in
// ResNet's 32, 16 and 8 on AVX2): the input planes are first copied into rows of W + pw floats
// between ph zero rows, the pw zeros after each row serving as the right padding of that row
// and the left padding of the next. Every tap of every vector is then one plain load, no mask:
// on AVX2 a mask costs a load of its own and the masked load is slower than a plain one, and
// the copy costs one pass over the input. Vectors never cross a row there, so no lane reads
// anything it must not.
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
// zero(), fma(a, b, c) = a * b + c, add(a, b), sum(v) (all lanes), kPadded (whether to use the
// padded layout where it applies), and the blocking: kFwdNco x kFwdNv forward tiles in units of
// kFwdBlock output channels, kWgtNco x kWgtNt weight tiles over image chunks of about
// kWgtChunkBytes.
//
// Every output element is one thread's, summed over (c, ki, kj) in order, and every weight
// gradient lane over (image, pixel) in order: deterministic, independent of the thread count.

/// Where the kernels read the input: `plane` floats per input plane; pixel vector b's tap t at
/// base[b] + offs[t] of the plane; in the masked layout, its live lanes masks[b * taps + t].
/// Output row h's first vector reads from h * step (padded layouts).
template <class V>
struct Source {
  bool padded = false;
  int64_t plane = 0, row = 0;  // floats per plane and per row (padded layout: W + pw)
  int64_t step = 0;            // floats between output rows' reads: row, or 2 * row for stride 2
  int64_t half = 0;            // stride 2: floats per column phase of a row (row = 2 * half)
  int64_t lead = 0;            // stride 2: zeros before each phase's columns
  std::vector<int64_t> offs, base;
  std::vector<typename V::MaskSlot> masks;
};

/// Floor division by 2 (of negative offsets too).
inline int64_t floor_half(int64_t v) { return v >= 0 ? v / 2 : -((-v + 1) / 2); }

template <class V>
Source<V> make_source(const ConvGeometry& g) {
  const int64_t taps = g.kh * g.kw, P = g.oh * g.ow, L = V::kLanes, vectors = (P + L - 1) / L;
  Source<V> s;
  s.padded = (V::kPadded || g.sw == 2) && g.ow % L == 0;
  s.offs.resize(size_t(taps));
  s.base.resize(size_t(vectors));
  if (g.sw == 2) {
    // Stride 2 (padded layout only): each row's even columns, then its odd ones, each phase
    // behind `lead` zeros and followed by zeros, so the input column 2 * ow + kj - pw that a
    // tap reads for output column ow sits at phase (kj - pw) mod 2, index ow + floor((kj -
    // pw) / 2): consecutive output pixels read consecutive floats, one plain load per vector
    // as in stride 1. Input (ih, iw) at (ih + ph) * row + (iw % 2) * half + lead + iw / 2;
    // output row h reads rows 2h + ki.
    s.lead = -floor_half(-g.pw);
    s.half = s.lead + std::max(g.ow + std::max<int64_t>(0, floor_half(g.kw - 1 - g.pw)), (g.w + 1) / 2);
    s.row = 2 * s.half;
    s.step = 2 * s.row;
    s.plane = (std::max(g.h + g.ph, 2 * (g.oh - 1) + g.kh) + 1) * s.row;
    for (int64_t t = 0; t < taps; ++t) {
      const int64_t dj = t % g.kw - g.pw;
      s.offs[size_t(t)] = t / g.kw * s.row + (dj & 1) * s.half + s.lead + floor_half(dj);
    }
    for (int64_t b = 0; b < vectors; ++b) s.base[size_t(b)] = b * L / g.ow * s.step + b * L % g.ow;
    return s;
  }
  if (s.padded) {
    // Rows of W + pw; input (ih, iw) at (ih + ph) * row + pw + iw; one spare row at the end for
    // the last row's right-hand taps. Output pixel (h, w)'s tap (ki, kj) is then at
    // h * row + w + ki * row + kj.
    s.row = g.w + g.pw;
    s.step = s.row;
    s.plane = (g.h + 2 * g.ph + 1) * s.row;
    for (int64_t t = 0; t < taps; ++t) s.offs[size_t(t)] = t / g.kw * s.row + t % g.kw;
    for (int64_t b = 0; b < vectors; ++b) s.base[size_t(b)] = b * L / g.w * s.row + b * L % g.w;
    return s;
  }
  s.row = g.w;
  s.plane = P;
  for (int64_t t = 0; t < taps; ++t) s.offs[size_t(t)] = (t / g.kw - g.ph) * g.w + (t % g.kw - g.pw);
  for (int64_t b = 0; b < vectors; ++b) s.base[size_t(b)] = b * L;
  s.masks.resize(size_t(vectors * taps));
  for (int64_t b = 0; b < vectors; ++b) {
    for (int64_t t = 0; t < taps; ++t) {
      const int64_t di = t / g.kw - g.ph, dj = t % g.kw - g.pw;
      unsigned m = 0;
      for (int64_t l = 0; l < L; ++l) {
        const int64_t q = b * L + l, ih = q / g.w + di, iw = q % g.w + dj;
        if (q < P && ih >= 0 && ih < g.h && iw >= 0 && iw < g.w) m |= 1u << l;
      }
      V::put(s.masks[size_t(b * taps + t)], V::mask(m));
    }
  }
  return s;
}

/// Images [0, count) of x (dense) into dst in the padded layout. Writes the input's places only:
/// dst starts zeroed (a new std::vector) and only ever holds this layout, whose padding places
/// no image writes, so they stay zero (a fill per image was a tenth of the convolution's
/// non-FMA time).
template <class V>
void pad_images(const float* x, int64_t count, const ConvGeometry& g, const Source<V>& s, float* dst) {
  const int64_t P = g.h * g.w;
  for (int64_t i = 0; i < count * g.c; ++i) {
    float* plane = dst + i * s.plane;
    for (int64_t ih = 0; ih < g.h; ++ih) {
      const float* src = x + i * P + ih * g.w;
      float* row = plane + (ih + g.ph) * s.row;
      if (g.sw == 2) {  // even columns, then odd ones
        for (int64_t iw = 0; iw < g.w; ++iw) row[(iw & 1) * s.half + s.lead + iw / 2] = src[iw];
      } else {
        // Vector by vector: a call to memmove per row (32 floats in ResNet) cost more than the
        // copy itself.
        float* dst_row = row + g.pw;
        int64_t iw = 0;
        for (; iw + V::kLanes <= g.w; iw += V::kLanes) V::storeu(dst_row + iw, V::loadu(src + iw));
        for (; iw < g.w; ++iw) dst_row[iw] = src[iw];
      }
    }
  }
}

// One input vector: pixel vector b's tap at p (masked layout: its mask m).
template <class V, bool PADDED>
inline __attribute__((always_inline)) typename V::Vec tap(const float* p, const typename V::MaskSlot* m) {
  if constexpr (PADDED) return V::loadu(p);
  else return V::load(V::get(*m), p);
}

// NCO output channels from co0 over the NV vectors from b of one image: out = bias + sum over
// (c, tap). wb points at channel co0's weights.
template <class V, bool PADDED, int NCO, int NV>
void tile(const float* image, const float* wb, const float* bias, float* out, const ConvGeometry& g, int64_t co0,
          int64_t b, const Source<V>& s) {
  using Vec = typename V::Vec;
  const int64_t taps = g.kh * g.kw, P = g.oh * g.ow, L = V::kLanes, wstride = g.c * taps, q = b * L;
  const typename V::MaskSlot* m = PADDED ? nullptr : s.masks.data() + b * taps;
  const int64_t* offs = s.offs.data();
  const float* src[NV];
  EMBER_UNROLL
  for (int i = 0; i < NV; ++i) src[i] = image + s.base[size_t(b + i)];
  Vec acc[NCO][NV];
  EMBER_UNROLL
  for (int j = 0; j < NCO; ++j) {
    EMBER_UNROLL
    for (int i = 0; i < NV; ++i) acc[j][i] = bias ? V::set1(bias[co0 + j]) : V::zero();
  }
  for (int64_t c = 0; c < g.c; ++c) {
    const int64_t pc = c * s.plane;
    const float* wc = wb + c * taps;
    for (int64_t t = 0; t < taps; ++t) {
      Vec v[NV];
      EMBER_UNROLL
      for (int i = 0; i < NV; ++i) v[i] = tap<V, PADDED>(src[i] + pc + offs[t], PADDED ? nullptr : m + i * taps + t);
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
template <class V, bool PADDED, int NCO, int NV>
void vector_pieces(const float* image, const float* wb, const float* bias, float* out, const ConvGeometry& g,
                   int64_t co, int64_t b, int64_t b1, const Source<V>& s) {
  for (; b + NV <= b1; b += NV) tile<V, PADDED, NCO, NV>(image, wb, bias, out, g, co, b, s);
  if constexpr (NV > 1) vector_pieces<V, PADDED, NCO, NV - 1>(image, wb, bias, out, g, co, b, b1, s);
}

// Channels [co, co_end) over the vectors [b0, b1) of one image, in pieces of NCO channels,
// then NCO / 2, ... 1: every piece a compile-time width.
template <class V, bool PADDED, int NCO>
void channel_pieces(const float* image, const float* w, const float* bias, float* out, const ConvGeometry& g,
                    int64_t co, int64_t co_end, int64_t b0, int64_t b1, const Source<V>& s) {
  for (; co + NCO <= co_end; co += NCO)
    vector_pieces<V, PADDED, NCO, V::kFwdNv>(image, w + co * g.c * g.kh * g.kw, bias, out, g, co, b0, b1, s);
  if constexpr (NCO > 1) channel_pieces<V, PADDED, NCO / 2>(image, w, bias, out, g, co, co_end, b0, b1, s);
}

template <class V, bool PADDED>
void forward_units(const float* x, const float* w, const float* bias, float* y, const ConvGeometry& g,
                   const Source<V>& s) {
  const int64_t taps = g.kh * g.kw, P = g.oh * g.ow, L = V::kLanes, vectors = (P + L - 1) / L;
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
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    // Padded layout: each thread pads the image its units read, once per image (a thread's
    // units are consecutive, image by image).
    std::vector<float> padded(PADDED ? size_t(g.c * s.plane) : 0);
    int64_t padded_n = -1;
#pragma omp for schedule(static)
    for (int64_t u = 0; u < units; ++u) {
      const int64_t n = u / (co_blocks * runs), cb = u / runs % co_blocks, r = u % runs;
      const int64_t b0 = r * run, b1 = std::min(vectors, b0 + run);
      const int64_t co = cb * block, co_end = std::min(g.cout, co + block);
      const float* image = x + n * g.c * g.h * g.w;
      if constexpr (PADDED) {
        if (n != padded_n) pad_images(image, 1, g, s, padded.data());
        padded_n = n;
        image = padded.data();
      }
      channel_pieces<V, PADDED, V::kFwdNco>(image, w, bias, y + n * g.cout * P, g, co, co_end, b0, b1, s);
    }
  }
}

template <class V>
void forward(const float* x, const float* w, const float* bias, float* y, const ConvGeometry& g) {
  const Source<V> s = make_source<V>(g);
  if (s.padded) forward_units<V, true>(x, w, bias, y, g, s);
  else forward_units<V, false>(x, w, bias, y, g, s);
}

// One step of the weight gradient: one pixel vector of one image into the accumulators a of
// NCO output channels x NT taps. src[k]: tap k's input plane, shifted by the tap's offset; in
// is the vector's place there, out its place in the grad_out planes go (P apart), m its masks
// (masked layout). FULL: the vector lies inside the plane (no tail mask on grad_out; in the
// masked layout its input lanes past the plane are zero anyway).
template <class V, bool PADDED, int NCO, int NT, bool FULL>
inline __attribute__((always_inline)) void weight_step(const float* const (&src)[NT], int64_t in, const float* go,
                                                       int64_t out, int64_t P, const typename V::MaskSlot* m,
                                                       typename V::Vec (&a)[NCO][NT]) {
  using Vec = typename V::Vec;
  Vec v[NT];
  EMBER_UNROLL
  for (int k = 0; k < NT; ++k) v[k] = tap<V, PADDED>(src[k] + in, PADDED ? nullptr : m + k);
  EMBER_UNROLL
  for (int j = 0; j < NCO; ++j) {
    const Vec gv = FULL ? V::loadu(go + j * P + out) : V::load(V::first(P - out), go + j * P + out);
    EMBER_UNROLL
    for (int k = 0; k < NT; ++k) a[j][k] = V::fma(v[k], gv, a[j][k]);
  }
}

// The weight gradient's share of `count` images (xs: their input in s's layout; go_all: their
// grad_out) for NCO output channels from co0 and the taps [t0, t0 + NT) of every input
// channel: acc holds one vector per (output channel, c, tap), [(j * C + c) * taps + t], each
// lane summing its own pixels. The NCO x NT accumulators stay in registers while the images'
// pixels stream by; the caller picks image chunks whose planes stay in cache across the taps.
template <class V, bool PADDED, int NCO, int NT>
void weight_tile(const float* xs, const float* go_all, int64_t count, float* acc, const ConvGeometry& g, int64_t co0,
                 int64_t t0, const Source<V>& s) {
  using Vec = typename V::Vec;
  const int64_t taps = g.kh * g.kw, P = g.oh * g.ow, L = V::kLanes, full = P / L, vectors = (P + L - 1) / L;
  for (int64_t c = 0; c < g.c; ++c) {
    Vec a[NCO][NT];
    EMBER_UNROLL
    for (int j = 0; j < NCO; ++j) {
      EMBER_UNROLL
      for (int k = 0; k < NT; ++k) a[j][k] = V::loadu(acc + ((j * g.c + c) * taps + t0 + k) * L);
    }
    for (int64_t n = 0; n < count; ++n) {
      const float* plane = xs + (n * g.c + c) * s.plane;
      const float* go = go_all + (n * g.cout + co0) * P;
      const float* src[NT];
      EMBER_UNROLL
      for (int k = 0; k < NT; ++k) src[k] = plane + s.offs[size_t(t0 + k)];
      if constexpr (PADDED) {
        // Whole vectors, output row after row (s.step apart in the input); one vector per row
        // (ResNet's 8x8 on AVX2) without the inner loop.
        if (g.ow == L) {
          for (int64_t h = 0; h < g.oh; ++h)
            weight_step<V, true, NCO, NT, true>(src, h * s.step, go, h * L, P, nullptr, a);
        } else {
          for (int64_t h = 0; h < g.oh; ++h)
            for (int64_t w = 0; w < g.ow; w += L)
              weight_step<V, true, NCO, NT, true>(src, h * s.step + w, go, h * g.ow + w, P, nullptr, a);
        }
      } else {
        const typename V::MaskSlot* m = s.masks.data() + t0;
        for (int64_t b = 0; b < full; ++b)
          weight_step<V, false, NCO, NT, true>(src, b * L, go, b * L, P, m + b * taps, a);
        if (full < vectors) weight_step<V, false, NCO, NT, false>(src, full * L, go, full * L, P, m + full * taps, a);
      }
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
template <class V, bool PADDED, int NCO>
void weight_pieces(const float* xs, const float* go, int64_t count, float* acc, const ConvGeometry& g, int64_t co,
                   const Source<V>& s) {
  constexpr int NT = V::kWgtNt;
  const int64_t taps = g.kh * g.kw, per_co = g.c * taps * V::kLanes;
  for (; co + NCO <= g.cout; co += NCO) {
    int64_t t = 0;
    for (; t + NT <= taps; t += NT) weight_tile<V, PADDED, NCO, NT>(xs, go, count, acc + co * per_co, g, co, t, s);
    for (; t < taps; ++t) weight_tile<V, PADDED, NCO, 1>(xs, go, count, acc + co * per_co, g, co, t, s);
  }
  if constexpr (NCO > 1) weight_pieces<V, PADDED, NCO / 2>(xs, go, count, acc, g, co, s);
}

template <class V, bool PADDED>
void weight_shares(const float* x, const float* go, float* partial, int threads, const ConvGeometry& g,
                   const Source<V>& s) {
  const int64_t taps = g.kh * g.kw, P = g.oh * g.ow, Pin = g.h * g.w, per_co = g.c * taps, L = V::kLanes;
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    const int t = threads > 1 ? omp_get_thread_num() : 0;
    float* acc = partial + size_t(t) * size_t(g.cout * per_co * L);
    const int64_t first = g.n * t / threads, last = g.n * (t + 1) / threads;
    // Images per chunk: one input plane and the tile's grad_out planes of each in about
    // kWgtChunkBytes (AVX-512: 256 KiB, L2; AVX2: 16 KiB, L1, since with seven loads per twelve
    // FMAs its weight tile is bound by the cache that feeds it).
    const int64_t chunk = std::max<int64_t>(1, V::kWgtChunkBytes / std::max<int64_t>(1, (Pin + P * V::kWgtNco) * 4));
    std::vector<float> padded(PADDED ? size_t(std::min(chunk, last - first) * g.c * s.plane) : 0);
    for (int64_t n0 = first; n0 < last; n0 += chunk) {
      const int64_t count = std::min(last, n0 + chunk) - n0;
      const float* xs = x + n0 * g.c * Pin;
      if constexpr (PADDED) {
        pad_images(xs, count, g, s, padded.data());
        xs = padded.data();
      }
      weight_pieces<V, PADDED, V::kWgtNco>(xs, go + n0 * g.cout * P, count, acc, g, 0, s);
    }
  }
}

template <class V>
void backward_weight(const float* x, const float* go, float* gw, const ConvGeometry& g) {
  const int64_t taps = g.kh * g.kw, per_co = g.c * taps, L = V::kLanes;
  const Source<V> s = make_source<V>(g);
  // Each thread sums its share of the images into its own vector accumulators (Cout * C * taps
  // of them); the shares are reduced in thread order, so a thread count gives one result.
  const int threads = omp_in_parallel() ? 1 : int(std::max<int64_t>(1, std::min<int64_t>(get_num_threads(), g.n)));
  // L lanes per accumulator (a vector of floats: std::vector<Vec> would drop the alignment).
  std::vector<float> partial(static_cast<size_t>(threads * g.cout * per_co * L), 0.f);
  if (s.padded) weight_shares<V, true>(x, go, partial.data(), threads, g, s);
  else weight_shares<V, false>(x, go, partial.data(), threads, g, s);
  for (int64_t i = 0; i < g.cout * per_co; ++i) {
    typename V::Vec sum = V::loadu(partial.data() + i * L);
    for (int t = 1; t < threads; ++t)
      sum = V::add(sum, V::loadu(partial.data() + (size_t(t) * size_t(g.cout * per_co) + size_t(i)) * size_t(L)));
    gw[i] = V::sum(sum);
  }
}

#undef EMBER_UNROLL
