/* The guarded draw: the tag guard's masks, the row's random stream, softmax and the stop check. */
#include "kernel.h"

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
