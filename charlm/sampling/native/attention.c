/* Attention over each row's rolling key/value cache, the cache kept at the step's precision.

A row's ring, per block and head, holds the keys and values of its last R characters. At
fp32 and fp16 they are float32 or float16: keys in tiles of 16 slots, (T, d, 16), number i
of 16 keys side by side, so 16 scores are the 16 lanes of one float sum over i with no
horizontal adds; values slot by slot, (S, d). At int8 (the gallery's) they are int8 with a
scale per slot, and both products are exact int32 sums, like the matrices' (matvec.c):
q and the softmax weights are rounded to int16, keys sit as (T, d/2, 16, 2) and values as
(S/2, d, 2), so that one instruction (pair_dot, simd.h) adds two products to each of 16
sums. At batch 16 the rings are most of what a step reads (16 x 4.7 MB in float32 for the
demo); in int8 they fit this machine's cache beside the weights. BENCHMARKS.md says what
each precision costs in val loss. Every sum runs in a fixed order over one row's numbers
alone, as kernel.h asks. */
#include "kernel.h"
#include <math.h>

#define TILE 16
#define MAX_HEAD 256  /* the widest head the kernel takes (the model's width / heads) */

/* One ring: the keys' and values' first elements, and their per-slot scales (int8 only). */
typedef struct { void *keys, *values; float *kscale, *vscale; } Ring;

int dj_ring_slots(int R) { return (R + TILE - 1) / TILE * TILE; }

static Ring ring_in(const TNet *n, const TState *s, int l, int b, int h, int slots, void *keys, void *values,
                    float *kscale, float *vscale) {
    const int d = n->C / n->H;
    const size_t esize = n->precision == P_FP32 ? 4 : n->precision == P_FP16 ? 2 : 1;
    size_t ring = ((size_t)l * s->cap + b) * n->H + h;
    Ring r = {(char *)keys + ring * slots * d * esize, (char *)values + ring * slots * d * esize,
              kscale + ring * slots, vscale + ring * slots};
    return r;
}

static Ring ring_of(const TNet *n, const TState *s, int l, int b, int h) {
    return ring_in(n, s, l, b, h, dj_ring_slots(n->R), s->keys, s->values, s->kscale, s->vscale);
}

/* The row's header slots, laid out as a ring of P slots (P a multiple of 16). */
static Ring header_of(const TNet *n, const TState *s, int l, int b, int h) {
    return ring_in(n, s, l, b, h, n->P, s->pkeys, s->pvalues, s->pkscale, s->pvscale);
}

/* Rotary positions on one head's vector v (width d): pairs (i, i + d/2) turned by the row's angles. */
static void rotate(float *v, int d, const float *rot) {
    int half = d / 2;
    for (int i = 0; i < half; i++) {
        float c = rot[i], s = rot[half + i], x1 = v[i], x2 = v[i + half];
        v[i] = x1 * c - x2 * s;
        v[i + half] = x1 * s + x2 * c;
    }
}

/* x (d numbers) to int8 in out, symmetric, with one scale (returned) for all d. */
static float quantize8(const float *x, int d, int8_t *out) {
    float m = largest(x, d, 1);
    float inv = m > 0 ? 127.0f / m : 0.0f;
    for (int i = 0; i < d; i++) out[i] = (int8_t)round_away(x[i] * inv);
    return m / 127.0f;
}

/* The character's key and value into the ring's slot, in the precision's layout (top of this file). */
static void put(int precision, Ring r, int d, int slot, const float *k, const float *v) {
    size_t kt = (size_t)(slot / TILE) * d * TILE, lane = slot % TILE, vo = (size_t)slot * d;
    if (precision == P_FP32) {
        for (int i = 0; i < d; i++) ((float *)r.keys)[kt + (size_t)i * TILE + lane] = k[i];
        memcpy((float *)r.values + vo, v, d * sizeof(float));
    } else if (precision == P_FP16) {
        for (int i = 0; i < d; i++) ((_Float16 *)r.keys)[kt + (size_t)i * TILE + lane] = (_Float16)k[i];
        for (int i = 0; i < d; i++) ((_Float16 *)r.values)[vo + i] = (_Float16)v[i];
    } else {
        int8_t q[MAX_HEAD];
        int8_t *keys = (int8_t *)r.keys + kt + 2 * lane, *values = (int8_t *)r.values + (size_t)(slot / 2) * 2 * d + slot % 2;
        r.kscale[slot] = quantize8(k, d, q);
        for (int i = 0; i < d; i++) keys[(size_t)(i / 2) * 2 * TILE + i % 2] = q[i];
        r.vscale[slot] = quantize8(v, d, q);
        for (int i = 0; i < d; i++) values[2 * i] = q[i];
    }
}

/* Float rings: scores[j] = q . key j for the first `tiles` tiles of 16 slots (q already scaled
   by 1/sqrt d). Four tiles at a time: four independent sums keep the core busy while each
   waits on its previous add. */
#define SCORES(NAME, T, LOAD)                                                                     \
static void NAME(const float *q, const T *keys, int d, int tiles, float *scores) {               \
    const size_t step = (size_t)d * TILE;                                                         \
    int t = 0;                                                                                    \
    for (; t + 4 <= tiles; t += 4) {                                                              \
        const T *k = keys + t * step;                                                             \
        v16f a0 = splat16(0.0f), a1 = a0, a2 = a0, a3 = a0;                                       \
        for (int i = 0; i < d; i++) {                                                             \
            v16f qi = splat16(q[i]);                                                              \
            const T *ki = k + (size_t)i * TILE;                                                   \
            a0 = madd16(qi, LOAD(ki), a0); a1 = madd16(qi, LOAD(ki + step), a1);                  \
            a2 = madd16(qi, LOAD(ki + 2 * step), a2); a3 = madd16(qi, LOAD(ki + 3 * step), a3);   \
        }                                                                                         \
        store16f(scores + t * TILE, a0); store16f(scores + (t + 1) * TILE, a1);                  \
        store16f(scores + (t + 2) * TILE, a2); store16f(scores + (t + 3) * TILE, a3);            \
    }                                                                                             \
    for (; t < tiles; t++) {                                                                      \
        const T *k = keys + t * step;                                                             \
        v16f acc = splat16(0.0f);                                                                 \
        for (int i = 0; i < d; i++) acc = madd16(splat16(q[i]), LOAD(k + (size_t)i * TILE), acc); \
        store16f(scores + t * TILE, acc);                                                         \
    }                                                                                             \
}
SCORES(scores_f32, float, load16f)
SCORES(scores_f16, _Float16, load16h)

/* Float rings: y = sum over the filled slots of w[j] value j / sum, in slot order. */
#define MIX(NAME, T, LOAD)                                                                        \
static void NAME(const float *w, const T *values, int d, int filled, float sum, float *y) {      \
    v16f acc[MAX_HEAD / 16];                                                                      \
    for (int i = 0; i < d / 16; i++) acc[i] = splat16(0.0f);                                      \
    for (int j = 0; j < filled; j++) {                                                            \
        v16f wj = splat16(w[j]);                                                                  \
        const T *v = values + (size_t)j * d;                                                      \
        for (int i = 0; i < d / 16; i++) acc[i] = madd16(wj, LOAD(v + 16 * i), acc[i]);           \
    }                                                                                             \
    for (int i = 0; i < d / 16; i++) store16f(y + 16 * i, acc[i] / splat16(sum));                 \
}
MIX(mix_f32, float, load16f)
MIX(mix_f16, _Float16, load16h)

#define Q16_MAX 32767  /* q and the weights in int16 */

/* Numbers in int16 pairs for pair_dot: pair p holds round(x[2p] * inv) in its low half and
   round(x[2p+1] * inv) in its high half (int16 after int16 in memory, on little-endian CPUs). */
static void int16_pairs(const float *x, int n, float inv, int32_t *pairs) {
    int16_t q[n];
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        v16f a = load16f(x + i) * splat16(inv);
        v16i up = a >= splat16(0.0f);
        a = a + (v16f)(((v16i)splat16(0.5f) & up) | ((v16i)splat16(-0.5f) & ~up));
        v16s r = __builtin_convertvector(__builtin_convertvector(a, v16i), v16s);  /* truncation, as round_away */
        memcpy(q + i, &r, sizeof r);
    }
    for (; i < n; i++) q[i] = (int16_t)round_away(x[i] * inv);
    memcpy(pairs, q, n * sizeof(int16_t));
}

/* int8 rings: scores[j] = (q in int16) . key j, an exact int32 sum, times both scales. Four tiles at a time. */
static void scores_i8(const float *q, const int8_t *keys, const float *kscale, int d, int tiles, float *scores) {
    int32_t pairs[MAX_HEAD / 2];
    float m = largest(q, d, 1), qscale = m / Q16_MAX;
    int16_pairs(q, d, m > 0 ? Q16_MAX / m : 0.0f, pairs);
    const size_t step = (size_t)d * TILE;
    int t = 0;
    for (; t + 4 <= tiles; t += 4) {
        const int8_t *k = keys + t * step;
        sums16 a0 = sums_zero(), a1 = a0, a2 = a0, a3 = a0;
        for (int p = 0; p < d / 2; p++) {
            const int8_t *kp = k + (size_t)p * 2 * TILE;
            a0 = pair_dot(a0, kp, pairs[p]); a1 = pair_dot(a1, kp + step, pairs[p]);
            a2 = pair_dot(a2, kp + 2 * step, pairs[p]); a3 = pair_dot(a3, kp + 3 * step, pairs[p]);
        }
        sums16 a[4] = {a0, a1, a2, a3};
        for (int u = 0; u < 4; u++)
            store16f(scores + (t + u) * TILE, sums_float(a[u]) * splat16(qscale) * load16f(kscale + (t + u) * TILE));
    }
    for (; t < tiles; t++) {
        sums16 acc = sums_zero();
        for (int p = 0; p < d / 2; p++) acc = pair_dot(acc, keys + t * step + (size_t)p * 2 * TILE, pairs[p]);
        store16f(scores + t * TILE, sums_float(acc) * splat16(qscale) * load16f(kscale + t * TILE));
    }
}

/* int8 rings: the weights w[j] times the values' scales, rounded to int16 (as large as keeps
   every sum within int32), then y = sum over slot pairs of (weights) . (values), exact in
   int32, scaled back and divided by the softmax's sum. w is overwritten. */
static void mix_i8(float *w, const int8_t *values, const float *vscale, int d, int filled, int slots, float sum,
                   float *y) {
    for (int j = 0; j < filled; j++) w[j] *= vscale[j];
    if (filled % 2) w[filled] = 0.0f;  /* the last pair's other slot: not yet written, or older than the window */
    int n = filled + filled % 2;
    int64_t most = INT32_MAX / ((int64_t)slots * 127);
    float m = largest(w, n, 1), top = (float)(most < Q16_MAX ? most : Q16_MAX);
    int32_t pairs[n / 2];
    int16_pairs(w, n, m > 0 ? top / m : 0.0f, pairs);
    sums16 acc[MAX_HEAD / 16];
    for (int c = 0; c < d / 16; c++) acc[c] = sums_zero();
    for (int p = 0; p < n / 2; p++)
        for (int c = 0; c < d / 16; c++) acc[c] = pair_dot(acc[c], values + (size_t)p * 2 * d + 32 * c, pairs[p]);
    v16f back = splat16(m / top / sum);
    for (int c = 0; c < d / 16; c++) store16f(y + 16 * c, sums_float(acc[c]) * back);
}

/* scores[j] = exp(scores[j] - max) over the filled slots; returns their sum, in a fixed order. */
static float softmax(float *scores, int filled) {
    float top = largest(scores, filled, 0);
    int full = filled & ~7;
    v8f lanes = splat(0.0f);
    for (int j = 0; j < full; j += 8) {
        v8f e = vexp(load8f(scores + j) - splat(top));
        store8f(scores + j, e);
        lanes = lanes + e;
    }
    float sum = hsum(lanes);
    for (int j = full; j < filled; j++) { scores[j] = vexp(splat(scores[j] - top))[0]; sum += scores[j]; }
    return sum;
}

/* One row and head: q against the filled slots of the ring (all R once the row has read R),
   softmax, into y. The ring's slot order is not time order; attention does not care. */
static void attend(int precision, Ring r, const float *q, int d, int filled, int slots, float *scores, float *y) {
    float qs[MAX_HEAD], scale = 1.0f / sqrtf((float)d);
    for (int i = 0; i < d; i++) qs[i] = q[i] * scale;
    int tiles = (filled + TILE - 1) / TILE;
    if (precision == P_FP32) scores_f32(qs, r.keys, d, tiles, scores);
    else if (precision == P_FP16) scores_f16(qs, r.keys, d, tiles, scores);
    else scores_i8(qs, r.keys, r.kscale, d, tiles, scores);
    float sum = softmax(scores, filled);
    if (precision == P_FP32) mix_f32(scores, r.values, d, filled, sum, y);
    else if (precision == P_FP16) mix_f16(scores, r.values, d, filled, sum, y);
    else mix_i8(scores, r.values, r.vscale, d, filled, slots, sum, y);
}

/* The header in view (charlm/models/header.py): the character's un-rotated key and value into
   its header slot while the header is read, and once it is pinned, y += gate (attention of the
   un-rotated q over its slots). */
static void see_header(const TNet *n, TState *s, int l, int b, int h, const float *q, const float *k,
                       const float *v, float *scores, float *y) {
    const int d = n->C / n->H;
    Ring r = header_of(n, s, l, b, h);
    if (s->pslot[b] >= 0) put(n->precision, r, d, s->pslot[b], k, v);
    int pinned = (int)s->meta[PINNED * s->cap + b];
    float seen[MAX_HEAD], g = n->gate[l][h];
    if (pinned == 0 || g == 0.0f) return;  /* a head whose gate is 0 adds nothing: y + 0 * seen is y */
    attend(n->precision, r, q, d, pinned, n->P, scores, seen);
    for (int i = 0; i < d; i++) y[i] = y[i] + g * seen[i];
}

/* Rotary q and k, the new key and value into each row's ring, then attention per row and head. */
void dj_attention(const TNet *n, TState *s, int l, int B) {
    const int C = n->C, H = n->H, R = n->R, d = C / H, slots = dj_ring_slots(R);
    #pragma omp for schedule(static)
    for (int bh = 0; bh < B * H; bh++) {
        int b = bh / H, h = bh % H;
        int64_t pos = s->count[b];
        float *qkv = s->qkv + (size_t)b * 3 * C;
        float *q = qkv + h * d, *k = qkv + C + h * d, *v = qkv + 2 * C + h * d;
        float q0[MAX_HEAD], k0[MAX_HEAD];  /* un-rotated, for the header */
        if (n->P) { memcpy(q0, q, d * sizeof(float)); memcpy(k0, k, d * sizeof(float)); }
        rotate(q, d, s->rot + (size_t)b * d);
        rotate(k, d, s->rot + (size_t)b * d);
        Ring r = ring_of(n, s, l, b, h);
        put(n->precision, r, d, (int)(pos % R), k, v);
        int filled = pos + 1 < R ? (int)pos + 1 : R;
        float *scores = s->scores + (size_t)bh * slots, *y = s->y + (size_t)b * C + h * d;
        attend(n->precision, r, q, d, filled, slots, scores, y);
        if (n->P) see_header(n, s, l, b, h, q0, k0, v, scores, y);
    }
}
