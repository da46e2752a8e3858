/* The CPU sampling loop of charlm: one LSTM step and one guarded draw for a batch of rows.

Built on first use by charlm/native/__init__.py (cc -O3 -march=native -fopenmp) and called
through ctypes; Python owns every buffer.

Batch invariance is the design rule: each output (row b, unit n) is one accumulator chain
over k in a fixed order, however many rows there are and however they are tiled, and
everything else (activations, guard, softmax, draw) reads one row only. So a row's text
depends on its own settings and seed alone, whether it runs alone or in a batch.

Weights are float32 or float16. Float16 ones are widened in registers and the arithmetic
stays float32; at batch 1 a step is bound by reading the weights, so float16 halves it.

The same text on every CPU is the second rule: every float operation is one IEEE-754
multiply, add, divide or conversion, in a fixed order, built with -ffp-contract=off and no
fused multiply-add. Those give the same bits on any instruction set (SSE, AVX2, AVX-512,
NEON), so a seed writes the same posting on any machine; the fused form would round
differently on a CPU that has it than on one that does not.
*/
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <string.h>
#include <time.h>

typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));
typedef _Float16 v8h __attribute__((vector_size(16)));

static inline v8f load8f(const float *p) { v8f v; memcpy(&v, p, sizeof v); return v; }
static inline void store8f(float *p, v8f v) { memcpy(p, &v, sizeof v); }
#if defined(__F16C__)
#include <immintrin.h>
/* GCC widens _Float16 vectors one lane at a time; the F16C instruction does all eight (exactly). */
static inline v8f load8h(const _Float16 *p) { return (v8f)_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p)); }
#else
static inline v8f load8h(const _Float16 *p) { v8h v; memcpy(&v, p, sizeof v); return __builtin_convertvector(v, v8f); }
#endif
/* A multiply, then an add: two roundings on every CPU (see the top of this file). */
static inline v8f madd(v8f a, v8f b, v8f c) { return a * b + c; }
static inline float hsum(v8f v) { return ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7])); }
static inline v8f splat(float x) { return (v8f){x, x, x, x, x, x, x, x}; }
static inline v8f vsel(v8i m, v8f a, v8f b) { return (v8f)((m & (v8i)a) | (~m & (v8i)b)); }
static inline v8f vmin(v8f a, v8f b) { return vsel(a < b, a, b); }
static inline v8f vmax(v8f a, v8f b) { return vsel(a > b, a, b); }

/* exp of 8 lanes: Cephes' expf (range reduction by ln 2, degree-5 polynomial), ~2 ulp. */
static inline v8f vexp(v8f x) {
    x = vmax(vmin(x, splat(88.0f)), splat(-87.0f));
    v8f fx = x * splat(1.44269504088896341f) + splat(0.5f);
    v8i n = __builtin_convertvector(fx, v8i);
    v8f fn = __builtin_convertvector(n, v8f);
    n -= (v8i)(fn > fx) & 1;          /* truncation -> floor */
    fn = __builtin_convertvector(n, v8f);
    x = x - fn * splat(0.693359375f) - fn * splat(-2.12194440e-4f);
    v8f z = x * x;
    v8f y = splat(1.9875691500e-4f);
    y = y * x + splat(1.3981999507e-3f);
    y = y * x + splat(8.3334519073e-3f);
    y = y * x + splat(4.1665795894e-2f);
    y = y * x + splat(1.6666665459e-1f);
    y = y * x + splat(5.0000001201e-1f);
    y = y * z + x + splat(1.0f);
    return (v8f)((v8i)y + (n << 23));
}
static inline v8f vsigmoid(v8f x) { return splat(1.0f) / (splat(1.0f) + vexp(-x)); }
static inline v8f vtanh(v8f x) {
    /* 1 - 2/(e^2x + 1): exact at 0 and saturating cleanly at both ends. */
    return splat(1.0f) - splat(2.0f) / (vexp(x + x) + splat(1.0f));
}

/* y[b*ldy + n] += dot(W[n, :K], x[b*ldx : +K]) for n in [0, N), b in [0, B); K % 8 == 0.
   Four outputs and two rows share each pass: a weight block is read from memory once per
   step and widened once for two rows. Called inside a parallel region. */
#define MATVEC(NAME, WT, LOADW)                                                                  \
static void NAME(const WT *W, int N, int K, const float *x, int ldx, int B, float *y, int ldy) {  \
    int blocks = (N + 3) / 4;                                                                     \
    _Pragma("omp for schedule(static)")                                                           \
    for (int blk = 0; blk < blocks; blk++) {                                                      \
        int n0 = blk * 4;                                                                         \
        if (N - n0 < 4) {                                                                         \
            for (int n = n0; n < N; n++)                                                          \
                for (int b = 0; b < B; b++) {                                                     \
                    const WT *w = W + (size_t)n * K; const float *xb = x + (size_t)b * ldx;       \
                    v8f a = splat(0.0f);                                                          \
                    for (int k = 0; k < K; k += 8) a = madd(LOADW(w + k), load8f(xb + k), a);     \
                    y[(size_t)b * ldy + n] += hsum(a);                                            \
                }                                                                                 \
            continue;                                                                             \
        }                                                                                         \
        const WT *w0 = W + (size_t)n0 * K, *w1 = w0 + K, *w2 = w1 + K, *w3 = w2 + K;              \
        int b = 0;                                                                                \
        for (; b + 2 <= B; b += 2) {                                                              \
            const float *x0 = x + (size_t)b * ldx, *x1 = x0 + ldx;                                \
            v8f a00 = splat(0.0f), a01 = a00, a02 = a00, a03 = a00;                               \
            v8f a10 = a00, a11 = a00, a12 = a00, a13 = a00;                                       \
            for (int k = 0; k < K; k += 8) {                                                      \
                v8f u = load8f(x0 + k), v = load8f(x1 + k), w;                                    \
                w = LOADW(w0 + k); a00 = madd(w, u, a00); a10 = madd(w, v, a10);                  \
                w = LOADW(w1 + k); a01 = madd(w, u, a01); a11 = madd(w, v, a11);                  \
                w = LOADW(w2 + k); a02 = madd(w, u, a02); a12 = madd(w, v, a12);                  \
                w = LOADW(w3 + k); a03 = madd(w, u, a03); a13 = madd(w, v, a13);                  \
            }                                                                                     \
            float *y0 = y + (size_t)b * ldy + n0, *y1 = y0 + ldy;                                 \
            y0[0] += hsum(a00); y0[1] += hsum(a01); y0[2] += hsum(a02); y0[3] += hsum(a03);       \
            y1[0] += hsum(a10); y1[1] += hsum(a11); y1[2] += hsum(a12); y1[3] += hsum(a13);       \
        }                                                                                         \
        for (; b < B; b++) {                                                                      \
            const float *x0 = x + (size_t)b * ldx;                                                \
            v8f a00 = splat(0.0f), a01 = a00, a02 = a00, a03 = a00;                               \
            for (int k = 0; k < K; k += 8) {                                                      \
                v8f u = load8f(x0 + k);                                                           \
                a00 = madd(LOADW(w0 + k), u, a00); a01 = madd(LOADW(w1 + k), u, a01);            \
                a02 = madd(LOADW(w2 + k), u, a02); a03 = madd(LOADW(w3 + k), u, a03);            \
            }                                                                                     \
            float *y0 = y + (size_t)b * ldy + n0;                                                 \
            y0[0] += hsum(a00); y0[1] += hsum(a01); y0[2] += hsum(a02); y0[3] += hsum(a03);       \
        }                                                                                         \
    }                                                                                             \
}
MATVEC(matvec_f32, float, load8f)
MATVEC(matvec_f16, _Float16, load8h)

/* int8 weights (per-row scale ws) times activations quantized per row to 12 bits (scale
   xs): products summed exactly in int32 (|sum| < 2^31 for K < 4M), then scaled once. The
   integer sum is exact in any order, so this path is batch-invariant by construction. */
#define XQ_MAX 2047
#if defined(__AVX2__)
#include <immintrin.h>
static inline __m256i wide8(const int8_t *p) { return _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)p)); }
static inline __m256i ld16(const int16_t *p) { return _mm256_loadu_si256((const __m256i *)p); }
static inline __m256i dot16(__m256i a, __m256i b, __m256i acc) { return _mm256_add_epi32(acc, _mm256_madd_epi16(a, b)); }
static inline int32_t hsum_i(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
    return _mm_cvtsi128_si32(s);
}
typedef __m256i iacc;  /* eight int32 sums */
typedef __m256i hv16;  /* sixteen int16 */
#define ZERO_I _mm256_setzero_si256()
#else
typedef struct { int32_t v[8]; } ivec;
typedef struct { int16_t v[16]; } hvec;
static inline hvec wide8(const int8_t *p) { hvec r; for (int i = 0; i < 16; i++) r.v[i] = p[i]; return r; }
static inline hvec ld16(const int16_t *p) { hvec r; memcpy(r.v, p, sizeof r.v); return r; }
static inline ivec dot16(hvec a, hvec b, ivec acc) {
    for (int i = 0; i < 8; i++) acc.v[i] += a.v[2 * i] * b.v[2 * i] + a.v[2 * i + 1] * b.v[2 * i + 1];
    return acc;
}
static inline int32_t hsum_i(ivec a) { int32_t s = 0; for (int i = 0; i < 8; i++) s += a.v[i]; return s; }
typedef ivec iacc;
typedef hvec hv16;
#define ZERO_I ((ivec){{0}})
#endif

static void quantize(const float *x, int ldx, int K, int B, int16_t *xq, float *xs) {
    #pragma omp for schedule(static)
    for (int b = 0; b < B; b++) {
        const float *xb = x + (size_t)b * ldx;
        int16_t *q = xq + (size_t)b * K;
        float m = 0.0f;
        for (int k = 0; k < K; k++) { float a = xb[k] < 0 ? -xb[k] : xb[k]; m = a > m ? a : m; }
        float inv = m > 0 ? XQ_MAX / m : 0.0f;
        for (int k = 0; k < K; k++) { float v = xb[k] * inv; q[k] = (int16_t)(v >= 0 ? v + 0.5f : v - 0.5f); }
        xs[b] = m / XQ_MAX;
    }
}

/* While the first rows of a block are summed, fetch the next block's weights: they come
   from memory, not cache, once the model outgrows the cache this machine lets it keep
   (about 30% faster at batch 16 with the 3x512 model's 5 MB). */
static inline void prefetch_next(const int8_t *w0, int K, int k) {
    const int8_t *next = w0 + 4 * (size_t)K + k;
    __builtin_prefetch(next);
    __builtin_prefetch(next + K);
    __builtin_prefetch(next + 2 * (size_t)K);
    __builtin_prefetch(next + 3 * (size_t)K);
}

static void matvec_i8(const int8_t *W, const float *ws, int N, int K, const int16_t *xq, const float *xs, int B,
                      float *y, int ldy) {
    int blocks = (N + 3) / 4;
    #pragma omp for schedule(static)
    for (int blk = 0; blk < blocks; blk++) {
        int n0 = blk * 4;
        if (N - n0 < 4) {
            for (int n = n0; n < N; n++)
                for (int b = 0; b < B; b++) {
                    const int8_t *w = W + (size_t)n * K; const int16_t *xb = xq + (size_t)b * K;
                    iacc a = ZERO_I;
                    for (int k = 0; k < K; k += 16) a = dot16(wide8(w + k), ld16(xb + k), a);
                    y[(size_t)b * ldy + n] += (float)hsum_i(a) * (ws[n] * xs[b]);
                }
            continue;
        }
        const int8_t *w0 = W + (size_t)n0 * K, *w1 = w0 + K, *w2 = w1 + K, *w3 = w2 + K;
        int b = 0;
        for (; b + 2 <= B; b += 2) {
            const int16_t *x0 = xq + (size_t)b * K, *x1 = x0 + K;
            iacc a00 = ZERO_I, a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00, a13 = a00;
            for (int k = 0; k < K; k += 16) {
                if (b == 0) prefetch_next(w0, K, k);
                hv16 u = ld16(x0 + k), v = ld16(x1 + k), w;
                w = wide8(w0 + k); a00 = dot16(w, u, a00); a10 = dot16(w, v, a10);
                w = wide8(w1 + k); a01 = dot16(w, u, a01); a11 = dot16(w, v, a11);
                w = wide8(w2 + k); a02 = dot16(w, u, a02); a12 = dot16(w, v, a12);
                w = wide8(w3 + k); a03 = dot16(w, u, a03); a13 = dot16(w, v, a13);
            }
            float *y0 = y + (size_t)b * ldy + n0, *y1 = y0 + ldy;
            y0[0] += (float)hsum_i(a00) * (ws[n0] * xs[b]);     y1[0] += (float)hsum_i(a10) * (ws[n0] * xs[b + 1]);
            y0[1] += (float)hsum_i(a01) * (ws[n0 + 1] * xs[b]); y1[1] += (float)hsum_i(a11) * (ws[n0 + 1] * xs[b + 1]);
            y0[2] += (float)hsum_i(a02) * (ws[n0 + 2] * xs[b]); y1[2] += (float)hsum_i(a12) * (ws[n0 + 2] * xs[b + 1]);
            y0[3] += (float)hsum_i(a03) * (ws[n0 + 3] * xs[b]); y1[3] += (float)hsum_i(a13) * (ws[n0 + 3] * xs[b + 1]);
        }
        for (; b < B; b++) {
            const int16_t *x0 = xq + (size_t)b * K;
            iacc a00 = ZERO_I, a01 = a00, a02 = a00, a03 = a00;
            for (int k = 0; k < K; k += 16) {
                if (b == 0) prefetch_next(w0, K, k);
                hv16 u = ld16(x0 + k);
                a00 = dot16(wide8(w0 + k), u, a00); a01 = dot16(wide8(w1 + k), u, a01);
                a02 = dot16(wide8(w2 + k), u, a02); a03 = dot16(wide8(w3 + k), u, a03);
            }
            float *y0 = y + (size_t)b * ldy + n0;
            y0[0] += (float)hsum_i(a00) * (ws[n0] * xs[b]);     y0[1] += (float)hsum_i(a01) * (ws[n0 + 1] * xs[b]);
            y0[2] += (float)hsum_i(a02) * (ws[n0 + 2] * xs[b]); y0[3] += (float)hsum_i(a03) * (ws[n0 + 3] * xs[b]);
        }
    }
}

enum { P_FP32, P_FP16, P_INT8 };
#define MAX_LAYERS 16

/* How many threads a step runs on. A step has several barriers, and each waits for the
   slowest thread: on a busy machine the scheduler parks one of them for a time slice and
   two threads become slower than one (0.29x of the quiet rate with one busy process beside
   a 2-core sampler, BENCHMARKS.md). So the pacer times the steps and keeps whichever
   thread count is fastest now: it runs on its rung (1, 2, 4, ... up to the most it may use),
   and now and then tries a neighbouring rung in windows interleaved with windows of its own
   (trial, own, trial, own), so that both see the same load: on a busy machine one window can
   catch a stall and the next a full share. A trial that loses waits twice as long before the
   next; one whose first window is already half again as slow ends there. Results do not
   depend on the thread count (each output is one thread's fixed-order sum), so neither does text. */
#define MAX_RUNGS 8
#define PACE_STEPS 8           /* a window times at least this many steps */
#define PACE_SECONDS 0.025     /* and at least this long: several of the scheduler's time slices */
#define PACE_FIRST 2           /* windows before the first trial */
#define PACE_LONGEST 32        /* most windows between two trials of one rung: a load that comes is found within a second */
#define PACE_PAIRS 2           /* trial windows in a trial, each followed by one on the rung in use */
typedef struct {
    int32_t n_rungs, rungs[MAX_RUNGS];
    int32_t at;                /* the rung in use */
    int32_t trying;            /* the rung on trial, or -1 */
    int32_t rows;              /* the batch size the current window timed (a window that changes it restarts) */
    int32_t steps;             /* steps in the current window */
    int32_t since;             /* windows since the last trial */
    int32_t wait[MAX_RUNGS];   /* windows to wait before trying each rung again */
    int32_t next_up;           /* which neighbour the next trial tries: 1 up, 0 down */
    int32_t phase;             /* windows of the trial so far: even ones on the trial rung, odd ones on the rung in use */
    double trial_sum, own_sum; /* seconds a step in the trial's windows, and in the interleaved own ones */
    double elapsed, base;      /* this window's seconds; seconds a step on the rung in use, averaged (< 0: not timed) */
} Pacer;

/* The packed model. table (V, 4H): layer 0's input projection of every character, with
   both biases. w[0] (4H, H): layer 0's W_hh; w[l] (4H, 2H): [W_ih W_hh] of layer l;
   w[L] (V, H): the head. bias[l] (4H) for l >= 1, bias[L] (V): the head's. scale[l]: the
   per-row scales of int8 weights. */
typedef struct {
    int32_t L, H, V, precision;
    Pacer last;                /* the latest batch's pacer: a new batch's starts from it (its rung, its waits) */
    int32_t busy;              /* a lock on `last` */
    const float *table;
    const void *w[MAX_LAYERS + 1];
    const float *bias[MAX_LAYERS + 1];
    const float *scale[MAX_LAYERS + 1];
} Net;

/* Buffers for up to cap rows. xh (L, cap, 2H): per layer and row, [input from below, h];
   c (L, cap, H); gates (cap, 4H); logits (cap, V); xq (cap, 2H) and xs (cap): quantized
   activations of the int8 path. */
typedef struct {
    int32_t cap;
    float *xh, *c, *gates, *logits;
    int16_t *xq;
    float *xs;
    Pacer pacer;
} State;

/* rungs: 1, 2, 4, ... below most, then most; fixed > 0 pins the count to that one rung. */
void dj_pacer_init(Pacer *p, int most, int fixed) {
    memset(p, 0, sizeof *p);
    if (fixed > 0) { p->rungs[0] = fixed; p->n_rungs = 1; }
    else {
        if (most < 1) most = 1;
        for (int t = 1; t < most && p->n_rungs < MAX_RUNGS - 1; t *= 2) p->rungs[p->n_rungs++] = t;
        p->rungs[p->n_rungs++] = most;
        p->at = p->n_rungs - 1;  /* a quiet machine's best: every core it may use */
    }
    p->trying = -1;
    p->base = -1.0;
    for (int r = 0; r < MAX_RUNGS; r++) p->wait[r] = PACE_FIRST;
}

static double seconds_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The thread count for a step of B rows (each step calls this, then dj_pace_done). */
int dj_pace_threads(Pacer *p, int B) {
    if (B != p->rows) { p->rows = B; p->steps = 0; p->elapsed = 0; p->trying = -1; p->base = -1.0; }
    return p->rungs[p->trying >= 0 && p->phase % 2 == 0 ? p->trying : p->at];
}

static void pace_trial_ends(Pacer *p, int won) {
    int r = p->trying;
    p->trying = -1;
    if (won) { p->at = r; p->wait[r] = PACE_FIRST; p->base = p->trial_sum / PACE_PAIRS; }
    else if (p->wait[r] < PACE_LONGEST) p->wait[r] *= 2;
    p->since = 0;
}

void dj_pace_done(Pacer *p, double seconds) {
    if (p->n_rungs < 2) return;
    p->elapsed += seconds;
    ++p->steps;
    /* A trial whose first window is already half again as slow as the rung in use is over:
       on a busy machine a losing trial is costly (a parked thread holds every step). */
    if (p->trying >= 0 && p->phase == 0 && p->base > 0
        && p->elapsed > 1.5 * p->base * (p->steps > PACE_STEPS ? p->steps : PACE_STEPS)) {
        p->steps = 0;
        p->elapsed = 0;
        pace_trial_ends(p, 0);
        return;
    }
    if (p->steps < PACE_STEPS || p->elapsed < PACE_SECONDS) return;
    double cost = p->elapsed / p->steps;
    p->steps = 0;
    p->elapsed = 0;
    p->since++;
    if (p->trying >= 0) {
        if (p->phase++ % 2 == 0) p->trial_sum += cost; else p->own_sum += cost;
        if (p->phase == 2 * PACE_PAIRS) pace_trial_ends(p, p->trial_sum < 0.9 * p->own_sum);
        return;
    }
    /* The rung in use's recent cost, averaged over windows: on a busy machine one window can be
       a lucky one, and a trial measured against it would always lose. */
    p->base = p->base > 0 ? 0.5 * (p->base + cost) : cost;
    int up = p->at + 1 < p->n_rungs, down = p->at > 0;
    int r = (up && (p->next_up || !down)) ? p->at + 1 : down ? p->at - 1 : -1;
    if (r >= 0 && p->since >= p->wait[r]) {
        p->trying = r;
        p->phase = 0;
        p->trial_sum = p->own_sum = 0;
        p->next_up = !p->next_up;
    }
}

static void matvec(const Net *n, const State *s, int l, int N, int K, const float *x, int B, float *y, int ldy) {
    int ldx = 2 * n->H;
    switch (n->precision) {
    case P_FP32: matvec_f32((const float *)n->w[l], N, K, x, ldx, B, y, ldy); break;
    case P_FP16: matvec_f16((const _Float16 *)n->w[l], N, K, x, ldx, B, y, ldy); break;
    default:
        quantize(x, ldx, K, B, s->xq, s->xs);
        matvec_i8((const int8_t *)n->w[l], n->scale[l], N, K, s->xq, s->xs, B, y, ldy);
    }
}

/* One LSTM step for rows [0, B): feed ids, leave the next character's logits in s->logits. */
void dj_lstm_step(const Net *n, State *s, int B, const int32_t *ids) {
    const int L = n->L, H = n->H, V = n->V, G = 4 * H, cap = s->cap;
    int threads = dj_pace_threads(&s->pacer, B);
    double started = seconds_now();
    #pragma omp parallel num_threads(threads)
    {
        for (int l = 0; l < L; l++) {
            float *xl = s->xh + (size_t)l * cap * 2 * H;
            float *cl = s->c + (size_t)l * cap * H;
            float *gates = s->gates;
            if (l == 0) {
                #pragma omp for schedule(static)
                for (int b = 0; b < B; b++) memcpy(gates + (size_t)b * G, n->table + (size_t)ids[b] * G, G * sizeof(float));
                matvec(n, s, 0, G, H, xl + H, B, gates, G);
            } else {
                #pragma omp for schedule(static)
                for (int b = 0; b < B; b++) memcpy(gates + (size_t)b * G, n->bias[l], G * sizeof(float));
                matvec(n, s, l, G, 2 * H, xl, B, gates, G);
            }
            /* gates are i, f, g, o (PyTorch's order); c = f*c + i*g, h = o*tanh(c). */
            #pragma omp for schedule(static)
            for (int b = 0; b < B; b++) {
                float *g = gates + (size_t)b * G, *cb = cl + (size_t)b * H, *h = xl + (size_t)b * 2 * H + H;
                float *up = l + 1 < L ? s->xh + ((size_t)(l + 1) * cap + b) * 2 * H : 0;
                for (int k = 0; k < H; k += 8) {
                    v8f i = vsigmoid(load8f(g + k)), f = vsigmoid(load8f(g + H + k));
                    v8f gg = vtanh(load8f(g + 2 * H + k)), o = vsigmoid(load8f(g + 3 * H + k));
                    v8f cv = f * load8f(cb + k) + i * gg;
                    v8f hv = o * vtanh(cv);
                    store8f(cb + k, cv);
                    store8f(h + k, hv);
                    if (up) store8f(up + k, hv);
                }
            }
        }
        float *top = s->xh + (size_t)(L - 1) * cap * 2 * H + H;
        #pragma omp for schedule(static)
        for (int b = 0; b < B; b++) memcpy(s->logits + (size_t)b * V, n->bias[L], V * sizeof(float));
        matvec(n, s, L, V, H, top, B, s->logits, V);
    }
    dj_pace_done(&s->pacer, seconds_now() - started);
    /* Batches come and go (a stream is one posting), but the load they meet is the machine's:
       the next batch starts from what this one learnt. Skipped when another thread holds it. */
    Net *shared = (Net *)n;
    if (!__atomic_test_and_set(&shared->busy, __ATOMIC_ACQUIRE)) {
        shared->last = s->pacer;
        __atomic_clear(&shared->busy, __ATOMIC_RELEASE);
    }
}

/* A new batch's pacer: the latest one's of this model where it has the same rungs, else p. */
void dj_pacer_resume(const Net *n, Pacer *p) {
    Net *shared = (Net *)n;
    while (__atomic_test_and_set(&shared->busy, __ATOMIC_ACQUIRE)) {}
    if (shared->last.n_rungs == p->n_rungs && !memcmp(shared->last.rungs, p->rungs, sizeof p->rungs)) {
        *p = shared->last;
        p->trying = -1;
        p->steps = 0;
        p->elapsed = 0;
    }
    __atomic_clear(&shared->busy, __ATOMIC_RELEASE);
}

/* ---- the guarded draw ---------------------------------------------------------------- */

/* TagGuard of charlm/guard.py, state for state; that file is the reference and the
   tests hold the two to the same masks. Tag names are kept as ids of lower-cased
   characters. */
enum { TEXT, LT, OPEN, ATTRS, CLOSE, SKIP };
enum { M_TEXT, M_LT, M_LT_NOTHING_OPEN, M_OPEN, N_MASKS };
#define MAX_DEPTH 64
#define MAX_NAME 32
#define MAX_STOP 16

typedef struct {
    uint64_t seed, counter;
    float temperature;
    int32_t argmax, top_k, guard, wrap_up, written, max_length, done;
    int32_t stop_len, stop[MAX_STOP], tail[MAX_STOP];
    int32_t state, name_len, depth, expect_pos;
    int32_t name[MAX_NAME];
    int32_t stack_len[MAX_DEPTH];
    int32_t stack[MAX_DEPTH][MAX_NAME];
} Row;

typedef struct {
    int32_t V, lt, slash, gt, n_void;
    float wrap_up_scale;
    const uint8_t *alpha, *alnum;   /* str.isalpha / str.isalnum of each id */
    const int32_t *lower;           /* id of the lower-cased character; -1 when not in the vocabulary */
    const uint8_t *masks;           /* N_MASKS x V, 1 = allowed */
    const uint8_t *has_mask;        /* N_MASKS: 0 where a vocabulary cannot comply */
    const int32_t *void_names;      /* n_void x MAX_NAME ids, -1 padded */
} Guard;

int dj_row_size(void) { return sizeof(Row); }
int dj_state_size(void) { return sizeof(State); }
int dj_net_size(void) { return sizeof(Net); }

static int is_void(const Guard *g, const int32_t *name, int len) {
    for (int v = 0; v < g->n_void; v++) {
        const int32_t *vn = g->void_names + v * MAX_NAME;
        int k = 0;
        while (k < len && vn[k] == name[k]) k++;
        if (k == len && (len == MAX_NAME || vn[k] < 0)) return 1;
    }
    return 0;
}

static void opened(const Guard *g, Row *r) {
    if (!is_void(g, r->name, r->name_len) && r->depth < MAX_DEPTH) {
        memcpy(r->stack[r->depth], r->name, sizeof r->name);
        r->stack_len[r->depth++] = r->name_len;
    }
    r->state = TEXT;
}

/* The character the guard forces next (the closing tag's name, then ">"), or -1. */
static int forced(const Guard *g, const Row *r) {
    if (r->state != CLOSE) return -1;
    int top = r->depth - 1;
    return r->expect_pos < r->stack_len[top] ? r->stack[top][r->expect_pos] : g->gt;
}

void dj_guard_feed(const Guard *g, Row *r, int id) {
    switch (r->state) {
    case TEXT:
        if (id == g->lt) r->state = LT;
        break;
    case LT:
        if (id == g->slash) {
            if (r->depth) { r->state = CLOSE; r->expect_pos = 0; }
            else r->state = SKIP;
        } else if (g->alpha[id]) {
            r->state = OPEN; r->name[0] = g->lower[id]; r->name_len = 1;
        } else if (id != g->lt) r->state = TEXT;
        break;
    case OPEN:
        if (g->alnum[id]) { if (r->name_len < MAX_NAME) r->name[r->name_len++] = g->lower[id]; }
        else if (id == g->gt) opened(g, r);
        else if (id == g->lt) r->state = LT;
        else r->state = ATTRS;
        break;
    case ATTRS:
        if (id == g->gt) opened(g, r);
        break;
    case CLOSE: {
        int want = forced(g, r);
        if (id != want) r->state = TEXT;
        else if (r->expect_pos == r->stack_len[r->depth - 1]) { r->depth--; r->state = TEXT; }
        else r->expect_pos++;
        break;
    }
    case SKIP:
        if (id == g->gt) r->state = TEXT;
        break;
    }
}

/* Apply the row's guard to its logits in place (-inf where not allowed). */
void dj_constrain(const Guard *g, const Row *r, float *z) {
    int V = g->V, f = forced(g, r);
    if (f >= 0) {
        for (int v = 0; v < V; v++) if (v != f) z[v] = -__builtin_inff();
        return;
    }
    int m = r->state == TEXT ? M_TEXT : r->state == OPEN ? M_OPEN
          : r->state == LT ? (r->depth ? M_LT : M_LT_NOTHING_OPEN) : -1;
    if (m < 0 || !g->has_mask[m]) return;
    const uint8_t *mask = g->masks + m * V;
    for (int v = 0; v < V; v++) if (!mask[v]) z[v] = -__builtin_inff();
    /* Past the longest name or the deepest nesting it can track, the guard closes what is
       open rather than lose track of it (the Python reference has no such limits). */
    if ((m == M_OPEN && r->name_len >= MAX_NAME && g->gt >= 0) || (m == M_LT && r->depth >= MAX_DEPTH && g->slash >= 0))
        for (int v = 0; v < V; v++) if (v != (m == M_OPEN ? g->gt : g->slash)) z[v] = -__builtin_inff();
    if (m == M_LT && r->wrap_up >= 0 && r->written > r->wrap_up && g->slash >= 0)
        z[g->slash] += (float)((double)(r->written - r->wrap_up) / g->wrap_up_scale);
}

/* A uniform in [0, 1) from the row's own counter-based stream (SplitMix64). */
static float uniform(Row *r) {
    uint64_t z = r->seed + 0x9E3779B97F4A7C15ull * ++r->counter;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (float)(z >> 40) * (1.0f / 16777216.0f);
}

static int draw(Row *r, float *z, int V, float *e) {
    int best = 0;
    for (int v = 1; v < V; v++) if (z[v] > z[best]) best = v;
    if (r->argmax) return best;
    float t = r->temperature;
    for (int v = 0; v < V; v++) z[v] = z[v] / t;
    if (r->top_k > 0 && r->top_k < V) {
        /* the k-th largest value, duplicates counted (torch.topk); below it is out */
        memcpy(e, z, V * sizeof(float));
        for (int k = 0; k < r->top_k; k++) {
            int m = k;
            for (int v = k + 1; v < V; v++) if (e[v] > e[m]) m = v;
            float tmp = e[k]; e[k] = e[m]; e[m] = tmp;
        }
        float kth = e[r->top_k - 1];
        for (int v = 0; v < V; v++) if (z[v] < kth) z[v] = -__builtin_inff();
    }
    float top = z[best], sum = 0.0f;
    int Vp = V & ~7;
    for (int v = 0; v < Vp; v += 8) store8f(e + v, vexp(load8f(z + v) - splat(top)));
    for (int v = Vp; v < V; v++) e[v] = vexp(splat(z[v] - top))[0];
    for (int v = 0; v < V; v++) { if (z[v] == -__builtin_inff()) e[v] = 0.0f; sum += e[v]; }
    float target = uniform(r) * sum, run = 0.0f;
    int last = best;
    for (int v = 0; v < V; v++) {
        if (e[v] <= 0.0f) continue;
        run += e[v];
        last = v;
        if (run > target) return v;
    }
    return last;
}

/* Draw the next id of rows [0, B) from their logits, feed it to each row's guard and stop
   matcher, and mark rows done at their stop string or max_length. Returns rows done. */
int dj_sample(const Guard *g, Row *rows, int B, float *logits, int32_t *out, float *scratch) {
    int V = g->V, done = 0;
    for (int b = 0; b < B; b++) {
        Row *r = rows + b;
        float *z = logits + (size_t)b * V;
        if (r->guard) dj_constrain(g, r, z);
        int id = draw(r, z, V, scratch);
        out[b] = id;
        if (r->guard) dj_guard_feed(g, r, id);
        r->written++;
        if (r->stop_len) {
            memmove(r->tail, r->tail + 1, (MAX_STOP - 1) * sizeof(int32_t));
            r->tail[MAX_STOP - 1] = id;
            if (!memcmp(r->tail + MAX_STOP - r->stop_len, r->stop, r->stop_len * sizeof(int32_t))) r->done = 1;
        }
        if (r->written >= r->max_length) r->done = 1;
        done += r->done;
    }
    return done;
}

/* The copy guard's bookkeeping (charlm/novelty.py, CopyGuard), per step: roll each row's
   window hash on by the character it wrote and look the window up among the corpus's sorted
   hashes. The same wrapping uint64 arithmetic as novelty.window_hashes. In numpy this was a
   dozen small array calls a step in the sampling thread, each a chance for the gallery's
   request threads to take the interpreter lock from it (BENCHMARKS.md, serving). */
typedef struct {
    const uint64_t *index;          /* sorted distinct hashes of the corpus's windows */
    int64_t n_index;
    const uint64_t *codes;          /* code point of each id */
    const uint8_t *space;           /* str.isspace of each id */
    uint64_t base, top;             /* the hash's base, and base^(q-1) */
    int32_t q, hard_margin;
    double soft_share;
    uint64_t *ring;                 /* capacity x q: each row's last q code points */
    uint64_t *h;                    /* each row's window hash */
    int64_t *seen, *run, *limit;    /* characters fed, windows in a row found in the corpus, limit (0: none) */
    uint8_t *last_space;
} CopyState;

static int has_hash(const uint64_t *a, int64_t n, uint64_t h) {
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (a[mid] < h) lo = mid + 1; else hi = mid;
    }
    return lo < n && a[lo] == h;
}

/* Rows [first, first + B) wrote ids[0..B). */
void dj_copy_feed(const CopyState *g, int first, const int32_t *ids, int B) {
    for (int i = 0; i < B; i++) {
        int b = first + i;
        uint64_t code = g->codes[ids[i]], *ring = g->ring + (size_t)b * g->q;
        int at = (int)(g->seen[b] % g->q);
        g->h[b] = (g->h[b] - ring[at] * g->top) * g->base + code;
        ring[at] = code;
        g->seen[b]++;
        int hit = g->seen[b] >= g->q && has_hash(g->index, g->n_index, g->h[b]);
        g->run[b] = hit ? g->run[b] + 1 : 0;
        g->last_space[b] = g->space[ids[i]];
    }
}

/* Rows of [0, B) whose next character must not continue their copy, into out; returns how many. */
int dj_copy_check(const CopyState *g, int B, int32_t *out) {
    int n = 0;
    for (int b = 0; b < B; b++) {
        int64_t limit = g->limit[b], copy = g->run[b] > 0 ? g->run[b] + g->q - 1 : 0;
        if (limit <= 0) continue;
        int hard = copy >= limit - g->hard_margin;
        int soft = copy >= (int64_t)((double)limit * g->soft_share) && g->last_space[b];
        if (hard || soft) out[n++] = b;
    }
    return n;
}
