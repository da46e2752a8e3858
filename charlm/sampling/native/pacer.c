/* The step's thread count (the Pacer of kernel.h). */
#include "kernel.h"

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

/* A new batch's pacer: the latest one's of this model where it has the same rungs, else p. */
void dj_pacer_resume(PacerShare *share, Pacer *p) {
    while (__atomic_test_and_set(&share->busy, __ATOMIC_ACQUIRE)) {}
    if (share->last.n_rungs == p->n_rungs && !memcmp(share->last.rungs, p->rungs, sizeof p->rungs)) {
        *p = share->last;
        p->trying = -1;
        p->steps = 0;
        p->elapsed = 0;
    }
    __atomic_clear(&share->busy, __ATOMIC_RELEASE);
}

/* Batches come and go (a stream is one posting), but the load they meet is the machine's:
   the next batch starts from what this one learnt. Skipped when another thread holds it. */
void dj_pacer_keep(PacerShare *share, const Pacer *p) {
    if (!__atomic_test_and_set(&share->busy, __ATOMIC_ACQUIRE)) {
        share->last = *p;
        __atomic_clear(&share->busy, __ATOMIC_RELEASE);
    }
}
