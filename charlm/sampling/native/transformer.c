/* One step of the causal transformer (charlm/models/transformer.py) for a batch of rows.

Each row keeps a rolling key/value cache of the last R characters per layer and head
(attention.c), so a posting's 12,000th character costs what its first did. A step per row:
the character's embedding, then per block x += W_o attention(rotary(W_qkv norm1(x))) and
x += W_proj gelu(W_fc norm2(x)), then logits = E norm(x) (the head is the embedding,
tied). The matrices run at the model's precision through dj_product; norms, rotary
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

/* Ready a product of the normed rows, one pass a row (a barrier, not three): h = norm(x), the
   product's output rows (out, N wide) zeroed, and at int8 h quantized. */
static void norm_ready(const TNet *n, TState *s, const float *gain, float *out, int N, int B) {
    const int C = n->C;
    #pragma omp for schedule(static)
    for (int b = 0; b < B; b++) {
        float *h = s->h + (size_t)b * C;
        norm_row(s->x + (size_t)b * C, gain, C, h);
        memset(out + (size_t)b * N, 0, N * sizeof(float));
        if (n->precision == P_INT8) dj_quantize_row(h, C, s->xq + (size_t)b * C, s->xs + b);
    }
}

/* header.py's HeaderMatcher.feed, number for number: the slot character c is kept in, or -1. */
static int32_t match_header(const TNet *n, int64_t *meta, int cap, int b, int32_t c) {
    int64_t *collected = meta + COLLECTED * cap + b, *pinned = meta + PINNED * cap + b;
    int64_t *open_at = meta + OPEN_AT * cap + b, *close_at = meta + CLOSE_AT * cap + b;
    *open_at = c == n->open[*open_at] ? *open_at + 1 : c == n->open[0];
    if (*open_at == n->n_open) {  /* a new posting: its header comes next */
        *collected = 1; *pinned = 0; *open_at = 0; *close_at = 0;
        return -1;
    }
    if (*collected == 0) return -1;
    int64_t at = *collected - 1;
    (*collected)++;
    *close_at = c == n->close[*close_at] ? *close_at + 1 : c == n->close[0];
    if (*close_at == n->n_close) {
        *pinned = at < n->P ? at + 1 : 0;
        *collected = 0; *close_at = 0;
    }
    return at < n->P ? (int32_t)at : -1;
}

/* Each row's embedding into x, and its rotary angles at its position: rot (B, d) holds cos then
   sin of pos * inv_freq[i], computed in float64 as the model does, once a step for every block
   and head; with the header in view, the row's matcher reads the character. */
static void start_rows(const TNet *n, TState *s, int B, const int32_t *ids) {
    const int C = n->C, half = n->C / n->H / 2;
    #pragma omp for schedule(static)
    for (int b = 0; b < B; b++) {
        if (n->P) s->pslot[b] = match_header(n, s->meta, s->cap, b, ids[b]);
        memcpy(s->x + (size_t)b * C, n->embed + (size_t)ids[b] * C, C * sizeof(float));
        for (int i = 0; i < half; i++) {
            double a = (double)s->count[b] * n->inv_freq[i];
            s->rot[(size_t)b * 2 * half + i] = (float)cos(a);
            s->rot[(size_t)b * 2 * half + half + i] = (float)sin(a);
        }
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

/* The exact GELU, 0.5 x (1 + erf(x / sqrt 2)), as the model's nn.GELU() computes it, on each
   row of m (N wide), then at int8 the row quantized for the next product, in the same pass. */
static void gelu_ready(const TNet *n, TState *s, int N, int B) {
    #pragma omp for schedule(static)
    for (int b = 0; b < B; b++) {
        float *row = s->m + (size_t)b * N;
        for (int i = 0; i < N; i += 8) {
            v8f v = load8f(row + i);
            store8f(row + i, splat(0.5f) * v * (splat(1.0f) + verf(v * splat(0.70710678118654752f))));
        }
        if (n->precision == P_INT8) dj_quantize_row(row, N, s->xq + (size_t)b * N, s->xs + b);
    }
}

static void block(const TNet *n, TState *s, int l, int B) {
    const int C = n->C, p = n->precision;
    const void *const *w = n->w + 4 * l;
    const float *const *sc = n->scale + 4 * l;
    norm_ready(n, s, n->norm[2 * l], s->qkv, 3 * C, B);
    dj_product(p, w[0], sc[0], 3 * C, C, s->h, C, B, s->qkv, 3 * C, s->xq, s->xs);
    dj_attention(n, s, l, B);
    if (p == P_INT8) dj_quantize(s->y, C, C, B, s->xq, s->xs);
    dj_product(p, w[1], sc[1], C, C, s->y, C, B, s->x, C, s->xq, s->xs);  /* x += W_o y */
    norm_ready(n, s, n->norm[2 * l + 1], s->m, 4 * C, B);
    dj_product(p, w[2], sc[2], 4 * C, C, s->h, C, B, s->m, 4 * C, s->xq, s->xs);
    gelu_ready(n, s, 4 * C, B);
    dj_product(p, w[3], sc[3], C, 4 * C, s->m, 4 * C, B, s->x, C, s->xq, s->xs);  /* x += W_proj m */
}

/* One step for rows [0, B): feed ids, leave the next character's logits in s->logits. */
void dj_transformer_step(const TNet *n, TState *s, int B, const int32_t *ids) {
    const int C = n->C, L = n->L, V = n->V;
    int threads = dj_pace_threads(&s->pacer, B);
    double started = dj_seconds();
    #pragma omp parallel num_threads(threads)
    {
        start_rows(n, s, B, ids);
        for (int l = 0; l < L; l++) block(n, s, l, B);
        norm_ready(n, s, n->norm[2 * L], s->logits, V, B);
        dj_product(n->precision, n->w[4 * L], n->scale[4 * L], V, C, s->h, C, B, s->logits, V, s->xq, s->xs);
        #pragma omp for schedule(static) nowait
        for (int b = 0; b < B; b++) s->count[b]++;
    }
    dj_pace_done(&s->pacer, dj_seconds() - started);
    dj_pacer_keep((PacerShare *)&n->share, &s->pacer);
}

int dj_tnet_size(void) { return sizeof(TNet); }
int dj_tstate_size(void) { return sizeof(TState); }
