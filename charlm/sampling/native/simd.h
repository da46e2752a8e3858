/* Eight float lanes as GCC/Clang vectors, and the float functions the kernel needs on them.
   Every operation is one IEEE-754 rounding, in a fixed order (kernel.h says why). */
#ifndef DJ_SIMD_H
#define DJ_SIMD_H
#include <stdint.h>
#include <string.h>
#include <math.h>

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

/* Sixteen float lanes, for the attention's tiles of 16 keys (attention.c): on AVX-512 one
   register, elsewhere GCC splits each operation in two, with the same roundings lane by lane. */
typedef float v16f __attribute__((vector_size(64)));
typedef _Float16 v16h __attribute__((vector_size(32)));
typedef int8_t v16b __attribute__((vector_size(16)));
typedef int16_t v16s __attribute__((vector_size(32)));
typedef int32_t v16i __attribute__((vector_size(64)));
static inline v16f load16f(const float *p) { v16f v; memcpy(&v, p, sizeof v); return v; }
static inline void store16f(float *p, v16f v) { memcpy(p, &v, sizeof v); }
static inline v16f splat16(float x) { return (v16f){x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x}; }
static inline v16f madd16(v16f a, v16f b, v16f c) { return a * b + c; }
#if defined(__AVX512F__)
#include <immintrin.h>
static inline v16f load16h(const _Float16 *p) { return (v16f)_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)p)); }
#else
static inline v16f load16h(const _Float16 *p) { v16h v; memcpy(&v, p, sizeof v); return __builtin_convertvector(v, v16f); }
#endif
/* int8 to float is exact: sign-extend, then convert (GCC would do it one lane at a time). */
#if defined(__AVX512F__)
static inline v16f load16b(const int8_t *p) {
    return (v16f)_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)p)));
}
#elif defined(__AVX2__)
#include <immintrin.h>
static inline v16f load16b(const int8_t *p) {
    v8f lo = (v8f)_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)p)));
    v8f hi = (v8f)_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(p + 8))));
    return __builtin_shufflevector(lo, hi, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
}
#else
static inline v16f load16b(const int8_t *p) {
    v16b v; memcpy(&v, p, sizeof v);
    return __builtin_convertvector(__builtin_convertvector(v, v16i), v16f);
}
#endif

/* The largest x[i] (or |x[i]| with abs) of n numbers: 16 lanes, then a fold (max is exact in any order). */
static inline float largest(const float *x, int n, int abs) {
    v16f top = splat16(abs ? 0.0f : -INFINITY);
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        v16f v = load16f(x + i);
        if (abs) v = (v16f)((v16i)v & ~(v16i)splat16(-0.0f));  /* the sign bit cleared */
        top = (v16f)(((v16i)v & (v > top)) | ((v16i)top & ~(v > top)));
    }
    float m = abs ? 0.0f : -INFINITY;
    for (int j = 0; j < 16; j++) m = top[j] > m ? top[j] : m;
    for (; i < n; i++) { float a = abs && x[i] < 0 ? -x[i] : x[i]; m = a > m ? a : m; }
    return m;
}

/* v to the nearest integer, halves away from zero (the quantizers' rounding, in the same
   operations everywhere: an add, then truncation). */
static inline int32_t round_away(float v) { return (int32_t)(v >= 0 ? v + 0.5f : v - 0.5f); }

/* Sixteen int32 sums and the one step attention's int8 path takes on them (attention.c):
   acc[j] += a[2j] b0 + a[2j+1] b1 for the 32 int8 a at p and the int16 pair (b0, b1) packed
   in b. Integer sums are exact, so every instruction set gives the same bits. */
#if defined(__AVX512BW__)
typedef __m512i sums16;
static inline sums16 sums_zero(void) { return _mm512_setzero_si512(); }
static inline sums16 pair_dot(sums16 acc, const int8_t *p, int32_t b) {
    __m512i a = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)p));
#if defined(__AVX512VNNI__)
    return _mm512_dpwssd_epi32(acc, a, _mm512_set1_epi32(b));
#else
    return _mm512_add_epi32(acc, _mm512_madd_epi16(a, _mm512_set1_epi32(b)));
#endif
}
static inline v16f sums_float(sums16 acc) { return (v16f)_mm512_cvtepi32_ps(acc); }
#elif defined(__AVX2__)
typedef struct { __m256i lo, hi; } sums16;
static inline sums16 sums_zero(void) { sums16 s = {_mm256_setzero_si256(), _mm256_setzero_si256()}; return s; }
static inline sums16 pair_dot(sums16 acc, const int8_t *p, int32_t b) {
    __m256i bb = _mm256_set1_epi32(b);
    __m256i lo = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)p));
    __m256i hi = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(p + 16)));
    acc.lo = _mm256_add_epi32(acc.lo, _mm256_madd_epi16(lo, bb));
    acc.hi = _mm256_add_epi32(acc.hi, _mm256_madd_epi16(hi, bb));
    return acc;
}
static inline v16f sums_float(sums16 acc) {
    v8f lo = (v8f)_mm256_cvtepi32_ps(acc.lo), hi = (v8f)_mm256_cvtepi32_ps(acc.hi);
    return __builtin_shufflevector(lo, hi, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
}
#else
typedef struct { int32_t v[16]; } sums16;
static inline sums16 sums_zero(void) { sums16 s; memset(&s, 0, sizeof s); return s; }
static inline sums16 pair_dot(sums16 acc, const int8_t *p, int32_t b) {
    int32_t b0 = (int16_t)(b & 0xffff), b1 = (int16_t)((uint32_t)b >> 16);
    for (int j = 0; j < 16; j++) acc.v[j] += p[2 * j] * b0 + p[2 * j + 1] * b1;
    return acc;
}
static inline v16f sums_float(sums16 acc) { v16f f; for (int j = 0; j < 16; j++) f[j] = (float)acc.v[j]; return f; }
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

#endif
