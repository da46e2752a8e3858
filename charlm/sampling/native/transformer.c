/* One step of the causal transformer (charlm/models/transformer.py) for a batch of rows.

Each row keeps a rolling key/value cache of the last R characters per layer and head, in
float32, so a posting's 12,000th character costs what its first did. A step per row:
the character's embedding, then per block x += W_o attention(rotary(W_qkv norm1(x))) and
x += W_proj gelu(W_fc norm2(x)), then logits = E norm(x) (the head is the embedding,
tied). The matrices run at the model's precision through dj_matvec; norms, rotary
positions, attention and GELU in float32, one row at a time, in a fixed order. */
#include "kernel.h"
#include <math.h>

#define LN_EPS 1e-5f

/* LayerNorm without bias over C (a multiple of 8): sums in eight lanes, then their fixed-order sum. */
static void norm_row(const float *x, const float *gain, int C, float *out) {
    v8f acc = splat(0.0f);
    for (int i = 0; i < C; i += 8) acc = acc + load8f(x + i);
    v8f mean = splat(hsum(acc) / (float)C), var = splat(0.0f);
    for (int i = 0; i < C; i += 8) { v8f d = load8f(x + i) - mean; var = madd(d, d, var); }
    v8f inv = splat(1.0f / sqrtf(hsum(var) / (float)C + LN_EPS));
    for (int i = 0; i < C; i += 8) store8f(out + i, (load8f(x + i) - mean) * inv * load8f(gain + i));
}

/* The rows' norms: out (B, C) from x (B, C). */
static void norm_rows(const float *x, const float *gain, int C, int B, float *out) {
    #pragma omp for schedule(static)
    for (int b = 0; b < B; b++) norm_row(x + (size_t)b * C, gain, C, out + (size_t)b * C);
}

/* The rows' rotary angles at their positions: rot (B, d) holds cos then sin of pos * inv_freq[i],
   computed in float64 as the model does, once a step for every block and head. */
static void angles(const TNet *n, TState *s, int B) {
    const int half = n->C / n->H / 2;
    #pragma omp for schedule(static)
    for (int b = 0; b < B; b++)
        for (int i = 0; i < half; i++) {
            double a = (double)s->count[b] * n->inv_freq[i];
            s->rot[(size_t)b * 2 * half + i] = (float)cos(a);
            s->rot[(size_t)b * 2 * half + half + i] = (float)sin(a);
        }
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

/* q . k over d (a multiple of 8): eight lanes, then their fixed-order sum (simd.h). */
static float dot(const float *q, const float *k, int d) {
    v8f acc = splat(0.0f);
    for (int i = 0; i < d; i += 8) acc = madd(load8f(q + i), load8f(k + i), acc);
    return hsum(acc);
}

#define MAX_HEAD 256  /* the widest head the kernel takes (the model's width / heads) */

/* One row and head: q against the filled slots of the ring (all R once the row has read R),
   softmax, into y. The ring's slot order is not time order; attention does not care. */
static void attend(const float *q, const float *keys, const float *values, int d, int filled,
                   float *scores, float *y) {
    float scale = 1.0f / sqrtf((float)d), top = -INFINITY;
    for (int j = 0; j < filled; j++) {
        scores[j] = dot(q, keys + (size_t)j * d, d) * scale;
        top = scores[j] > top ? scores[j] : top;
    }
    int full = filled & ~7;
    v8f lanes = splat(0.0f);
    for (int j = 0; j < full; j += 8) {
        v8f e = vexp(load8f(scores + j) - splat(top));
        store8f(scores + j, e);
        lanes = lanes + e;
    }
    float sum = hsum(lanes);
    for (int j = full; j < filled; j++) { scores[j] = vexp(splat(scores[j] - top))[0]; sum += scores[j]; }
    v8f acc[MAX_HEAD / 8];
    for (int i = 0; i < d / 8; i++) acc[i] = splat(0.0f);
    for (int j = 0; j < filled; j++) {
        v8f w = splat(scores[j] / sum);
        const float *v = values + (size_t)j * d;
        for (int i = 0; i < d / 8; i++) acc[i] = madd(w, load8f(v + 8 * i), acc[i]);
    }
    for (int i = 0; i < d / 8; i++) store8f(y + 8 * i, acc[i]);
}

/* Rotary q and k, the new key and value into each row's ring, then attention per row and head. */
static void attention(const TNet *n, TState *s, int l, int B) {
    const int C = n->C, H = n->H, R = n->R, d = C / H, cap = s->cap;
    #pragma omp for schedule(static)
    for (int bh = 0; bh < B * H; bh++) {
        int b = bh / H, h = bh % H;
        int64_t pos = s->count[b];
        float *qkv = s->qkv + (size_t)b * 3 * C;
        float *q = qkv + h * d, *k = qkv + C + h * d, *v = qkv + 2 * C + h * d;
        rotate(q, d, s->rot + (size_t)b * d);
        rotate(k, d, s->rot + (size_t)b * d);
        size_t ring = (((size_t)l * cap + b) * H + h) * (size_t)R * d;
        int slot = (int)(pos % R);
        memcpy(s->keys + ring + (size_t)slot * d, k, d * sizeof(float));
        memcpy(s->values + ring + (size_t)slot * d, v, d * sizeof(float));
        int filled = pos + 1 < R ? (int)pos + 1 : R;
        attend(q, s->keys + ring, s->values + ring, d, filled, s->scores + (size_t)bh * R, s->y + (size_t)b * C + h * d);
    }
}

/* erf of 8 lanes: Abramowitz and Stegun 7.1.26 (error below 1.5e-7), odd in x. */
static inline v8f verf(v8f x) {
    v8i neg = x < splat(0.0f);
    v8f a = vsel(neg, -x, x);
    v8f t = splat(1.0f) / (splat(1.0f) + splat(0.3275911f) * a);
    v8f p = splat(1.061405429f);
    p = p * t + splat(-1.453152027f);
    p = p * t + splat(1.421413741f);
    p = p * t + splat(-0.284496736f);
    p = p * t + splat(0.254829592f);
    v8f r = splat(1.0f) - p * t * vexp(-(a * a));
    return vsel(neg, -r, r);
}

/* The exact GELU, 0.5 x (1 + erf(x / sqrt 2)), as the model's nn.GELU() computes it. */
static void gelu_rows(float *m, int N, int B) {
    #pragma omp for schedule(static)
    for (int b = 0; b < B; b++)
        for (int i = 0; i < N; i += 8) {
            float *p = m + (size_t)b * N + i;
            v8f v = load8f(p);
            store8f(p, splat(0.5f) * v * (splat(1.0f) + verf(v * splat(0.70710678118654752f))));
        }
}

static void zero_rows(float *y, size_t n) {
    #pragma omp for schedule(static)
    for (size_t i = 0; i < n; i++) y[i] = 0.0f;
}

static void block(const TNet *n, TState *s, int l, int B) {
    const int C = n->C, p = n->precision;
    const void *const *w = n->w + 4 * l;
    const float *const *sc = n->scale + 4 * l;
    norm_rows(s->x, n->norm[2 * l], C, B, s->h);
    zero_rows(s->qkv, (size_t)B * 3 * C);
    dj_matvec(p, w[0], sc[0], 3 * C, C, s->h, C, B, s->qkv, 3 * C, s->xq, s->xs);
    attention(n, s, l, B);
    dj_matvec(p, w[1], sc[1], C, C, s->y, C, B, s->x, C, s->xq, s->xs);  /* x += W_o y */
    norm_rows(s->x, n->norm[2 * l + 1], C, B, s->h);
    zero_rows(s->m, (size_t)B * 4 * C);
    dj_matvec(p, w[2], sc[2], 4 * C, C, s->h, C, B, s->m, 4 * C, s->xq, s->xs);
    gelu_rows(s->m, 4 * C, B);
    dj_matvec(p, w[3], sc[3], C, 4 * C, s->m, 4 * C, B, s->x, C, s->xq, s->xs);  /* x += W_proj m */
}

/* One step for rows [0, B): feed ids, leave the next character's logits in s->logits. */
void dj_transformer_step(const TNet *n, TState *s, int B, const int32_t *ids) {
    const int C = n->C, L = n->L, V = n->V;
    int threads = dj_pace_threads(&s->pacer, B);
    double started = dj_seconds();
    #pragma omp parallel num_threads(threads)
    {
        #pragma omp for schedule(static)
        for (int b = 0; b < B; b++) memcpy(s->x + (size_t)b * C, n->embed + (size_t)ids[b] * C, C * sizeof(float));
        angles(n, s, B);
        for (int l = 0; l < L; l++) block(n, s, l, B);
        norm_rows(s->x, n->norm[2 * L], C, B, s->h);
        zero_rows(s->logits, (size_t)B * V);
        dj_matvec(n->precision, n->w[4 * L], n->scale[4 * L], V, C, s->h, C, B, s->logits, V, s->xq, s->xs);
        #pragma omp for schedule(static)
        for (int b = 0; b < B; b++) s->count[b]++;
    }
    dj_pace_done(&s->pacer, dj_seconds() - started);
    dj_pacer_keep((PacerShare *)&n->share, &s->pacer);
}

int dj_tnet_size(void) { return sizeof(TNet); }
int dj_tstate_size(void) { return sizeof(TState); }
