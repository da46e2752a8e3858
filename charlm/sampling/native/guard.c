/* The guarded draw: the tag guard's masks, the known-words guard (known_words.c), the row's
   random stream, truncation (top-k, min-p, top-p), softmax and the stop check. */
#include "kernel.h"

/* Whether a tag name is one of n names (MAX_NAME ids each, -1 padded). */
static int listed(const int32_t *names, int n, const int32_t *name, int len) {
    for (int v = 0; v < n; v++) {
        const int32_t *vn = names + v * MAX_NAME;
        int k = 0;
        while (k < len && vn[k] == name[k]) k++;
        if (k == len && (len == MAX_NAME || vn[k] < 0)) return 1;
    }
    return 0;
}

static void opened(const Guard *g, Row *r) {
    if (!listed(g->void_names, g->n_void, r->name, r->name_len) && r->depth < MAX_DEPTH) {
        memcpy(r->stack[r->depth], r->name, sizeof r->name);
        r->stack_len[r->depth++] = r->name_len;
    }
    r->state = TEXT;
}

/* The innermost open element's place among the corpus's (tag_names); -1 for the top level,
   n_tags for an element the corpus never opens. */
static int innermost(const Guard *g, const Row *r) {
    if (!r->depth) return -1;
    int top = r->depth - 1, p = 0;
    while (p < g->n_tags && !listed(g->tag_names + p * MAX_NAME, 1, r->stack[top], r->stack_len[top])) p++;
    return p;
}

static int in_prose(const Guard *g, const Row *r) {
    int p = innermost(g, r);
    return p >= 0 && p < g->n_tags && (g->prose >> p & 1u);
}

/* Where the corpus's grammar applies (reference_guard.py, corpus_names): the ids that may come
   next, after "<" or in an opening tag's name, inside the innermost open element (ok: n_tags + 1
   ids). Returns how many; 0 where it does not apply. */
static int corpus_names(const Guard *g, const Row *r, int m, int32_t *ok) {
    int p = innermost(g, r);
    if (p == g->n_tags) return 0;  /* an element the corpus never opens: a prime's own */
    uint32_t kids = g->children[p + 1];
    int typed = m == M_OPEN ? r->name_len : 0, n = 0;
    for (int t = 0; t < g->n_tags; t++) {
        const int32_t *name = g->tag_names + t * MAX_NAME;
        int k = 0;
        if (!(kids >> t & 1u)) continue;
        while (k < typed && name[k] == r->name[k]) k++;
        if (k < typed) continue;
        int next = typed < MAX_NAME && name[typed] >= 0 ? name[typed] : g->gt;
        if (next >= 0) ok[n++] = next;
    }
    if (m == M_LT && g->slash >= 0) ok[n++] = g->slash;
    return n;
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
        if (id == g->lt) { r->state = LT; r->paren = r->quote = r->inside = 0; }
        else if ((r->paren || r->quote || id == g->lparen || id == g->rparen || id == g->quote) && in_prose(g, r)) {
            int was_open = r->paren || r->quote;
            if (id == g->lparen) r->paren++;
            else if (id == g->rparen && r->paren) r->paren--;
            else if (id == g->quote) r->quote ^= 1;
            r->inside = was_open && (r->paren || r->quote) ? r->inside + 1 : 0;
        }
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

/* The prose's brackets close (TagGuard's brackets): no ")" without a "(", no "<" while one or
   a '"' is open; left as they are where nothing else would remain. */
static void brackets(const Guard *g, const Row *r, float *z) {
    int ban[2], n = 0, V = g->V, any = 0;
    if (!r->paren) ban[n++] = g->rparen;
    else if (r->paren >= g->max_paren) ban[n++] = g->lparen;
    if (r->paren || r->quote) ban[n++] = g->lt;
    for (int v = 0; v < V && !any; v++) any = z[v] != NEG_INF && !(n > 0 && v == ban[0]) && !(n > 1 && v == ban[1]);
    if (!any) return;
    for (int i = 0; i < n; i++) if (ban[i] >= 0) z[ban[i]] = NEG_INF;
    if (r->inside > g->bracket_soft) {
        float push = (float)((double)(r->inside - g->bracket_soft) / g->bracket_scale);
        if (r->paren && g->rparen >= 0) z[g->rparen] += push;
        if (r->quote && g->quote >= 0) z[g->quote] += push;
    }
}

/* Apply the row's guard to its logits in place (-inf where not allowed). */
void dj_constrain(const Guard *g, const Row *r, float *z) {
    int V = g->V, f = forced(g, r);
    if (f >= 0) {
        for (int v = 0; v < V; v++) if (v != f) z[v] = NEG_INF;
        return;
    }
    int m = r->state == TEXT ? M_TEXT : r->state == OPEN ? M_OPEN
          : r->state == LT ? (r->depth ? M_LT : M_LT_NOTHING_OPEN) : -1;
    if (m < 0 || !g->has_mask[m]) return;
    const uint8_t *mask = g->masks + m * V;
    for (int v = 0; v < V; v++) if (!mask[v]) z[v] = NEG_INF;
    if (m == M_TEXT && in_prose(g, r)) brackets(g, r, z);
    int32_t ok[33];
    int n_ok = m == M_TEXT ? 0 : corpus_names(g, r, m, ok);
    if (n_ok) {  /* every id masked but the ok ones, which keep their logits */
        float kept[33];
        for (int i = 0; i < n_ok; i++) kept[i] = z[ok[i]];
        for (int v = 0; v < V; v++) z[v] = NEG_INF;
        for (int i = 0; i < n_ok; i++) z[ok[i]] = kept[i];
    }
    /* Past the longest name or the deepest nesting it can track, the guard closes what is
       open rather than lose track of it (the Python reference has no such limits). */
    if ((m == M_OPEN && r->name_len >= MAX_NAME && g->gt >= 0) || (m == M_LT && r->depth >= MAX_DEPTH && g->slash >= 0))
        for (int v = 0; v < V; v++) if (v != (m == M_OPEN ? g->gt : g->slash)) z[v] = NEG_INF;
    /* Past the wrap-up the odds of closing grow: at once for the elements that end a posting,
       wrap_up_inner later for the rest, so that a list is not hurried shut in a posting nearly done. */
    int top = r->depth - 1;
    int ends = m == M_LT && listed(g->end_names, g->n_end, r->stack[top], r->stack_len[top]);
    int from = r->wrap_up + (ends ? 0 : g->wrap_up_inner);
    if (m == M_LT && r->wrap_up >= 0 && r->written > from && g->slash >= 0)
        z[g->slash] += (float)((double)(r->written - from) / g->wrap_up_scale);
    /* Before its floor a posting may not close the elements that end it: it writes on. */
    if (ends && r->written < r->min_length && g->slash >= 0)
        z[g->slash] = NEG_INF;
}

/* Feed a row's guards the id it wrote (or its prime's): the tag guard, and the known-words guard. */
void dj_row_feed(const Guard *g, Row *r, int id) {
    if (r->real_words && g->word_letters) dj_words_feed(g, r, id, r->state == TEXT);
    if (r->guard || r->real_words) dj_guard_feed(g, r, id);
}

/* A uniform in [0, 1) from the row's own counter-based stream (SplitMix64). */
static float uniform(Row *r) {
    uint64_t z = r->seed + 0x9E3779B97F4A7C15ull * ++r->counter;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (float)(z >> 40) * (1.0f / 16777216.0f);
}

/* Nucleus (top-p): keep the likeliest ids, fewest first, until their weight reaches `need`;
   zero the rest of e. Returns the kept weight, summed in id order. */
static float nucleus(float *e, int V, float need, float *left) {
    memcpy(left, e, V * sizeof(float));
    float kept = 0.0f;
    while (kept < need) {
        int m = 0;
        for (int v = 1; v < V; v++) if (left[v] > left[m]) m = v;
        if (left[m] <= 0.0f) break;
        kept += left[m];
        left[m] = -1.0f;
    }
    float sum = 0.0f;
    for (int v = 0; v < V; v++) { if (left[v] >= 0.0f) e[v] = 0.0f; sum += e[v]; }
    return sum;
}

/* e: 2V floats of scratch. */
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
        for (int v = 0; v < V; v++) if (z[v] < kth) z[v] = NEG_INF;
    }
    float top = z[best], sum = 0.0f;
    int Vp = V & ~7;
    for (int v = 0; v < Vp; v += 8) store8f(e + v, vexp(load8f(z + v) - splat(top)));
    for (int v = Vp; v < V; v++) e[v] = vexp(splat(z[v] - top))[0];
    /* e[best] is 1, so min-p compares each id's weight with the likeliest's directly */
    for (int v = 0; v < V; v++) {
        if (z[v] == NEG_INF || e[v] < r->min_p) e[v] = 0.0f;
        sum += e[v];
    }
    if (r->top_p < 1.0f) sum = nucleus(e, V, r->top_p * sum, e + V);
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

/* Draw the next id of rows [0, B) from their logits (scratch: 2V floats), feed it to each
   row's guards and stop matcher, and mark rows done at their stop string or max_length. Returns rows done. */
int dj_sample(const Guard *g, Row *rows, int B, float *logits, int32_t *out, float *scratch) {
    int V = g->V, done = 0;
    for (int b = 0; b < B; b++) {
        Row *r = rows + b;
        float *z = logits + (size_t)b * V;
        if (r->guard) dj_constrain(g, r, z);
        dj_words_constrain(g, r, z);
        int id = draw(r, z, V, scratch);
        out[b] = id;
        dj_row_feed(g, r, id);
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

int dj_guard_size(void) { return sizeof(Guard); }
