/* The copy guard's per-step bookkeeping (CopyState of kernel.h). */
#include "kernel.h"

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
