/* The three precisions' matrix products: float32, float16 widened to float32, and int8 with exact int32 sums. */
#include "kernel.h"

/* y[b*ldy + n] += dot(W[n, :K], x[b*ldx : +K]) for n in [0, N), b in [0, B); K % 8 == 0.
   Four outputs and two rows share each pass: a weight block is read from memory once per
   step and widened once for two rows. Called inside a parallel region. */
#define MATVEC(NAME, WT, LOADW)                                                                  \
void NAME(const WT *W, int N, int K, const float *x, int ldx, int B, float *y, int ldy) {  \
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
MATVEC(dj_matvec_f32, float, load8f)
MATVEC(dj_matvec_f16, _Float16, load8h)

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

/* One row x (K numbers) to 12-bit integers in xq with its scale in *xs. */
void dj_quantize_row(const float *x, int K, int16_t *xq, float *xs) {
    float m = largest(x, K, 1);
    float inv = m > 0 ? XQ_MAX / m : 0.0f;
    for (int k = 0; k < K; k++) xq[k] = (int16_t)round_away(x[k] * inv);
    *xs = m / XQ_MAX;
}

void dj_quantize(const float *x, int ldx, int K, int B, int16_t *xq, float *xs) {
    #pragma omp for schedule(static)
    for (int b = 0; b < B; b++) dj_quantize_row(x + (size_t)b * ldx, K, xq + (size_t)b * K, xs + b);
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

void dj_matvec_i8(const int8_t *W, const float *ws, int N, int K, const int16_t *xq, const float *xs, int B,
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
