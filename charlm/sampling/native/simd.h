/* Eight float lanes as GCC/Clang vectors, and the float functions the kernel needs on them.
   Every operation is one IEEE-754 rounding, in a fixed order (kernel.h says why). */
#ifndef DJ_SIMD_H
#define DJ_SIMD_H
#include <stdint.h>
#include <string.h>

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

#endif
