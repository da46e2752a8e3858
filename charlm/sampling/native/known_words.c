/* The known-words guard: the words a row may write, as a trie of the corpus's words (the body's,
   past its frame), its own words beside them, and the companies' names a body may not write. */
#include "kernel.h"

#include <math.h>

/* A word is a run of ASCII letters in text (not in a tag); one that follows a digit or "&" (a
   number such as "401k", an entity such as "&amp;") is exempt. */
#define W_OFF_TRIE (-3)  /* the corpus knows no word so begun, but one of the row's own still may be */

/* The trie a row's words are read in: the body's once past its frame, where the run has one. */
typedef struct { const uint32_t *letters; const int32_t *first; const uint8_t *end; } Trie;

static Trie trie_of(const Guard *g, const Row *r) {
    if (r->in_body && g->body_letters) return (Trie){g->body_letters, g->body_first, g->body_end};
    return (Trie){g->word_letters, g->word_first, g->word_end};
}

static int child(Trie t, int node, int letter) {
    uint32_t m = t.letters[node];
    if (!(m >> letter & 1u)) return -1;
    return t.first[node] + __builtin_popcount(m & ((1u << letter) - 1u));
}

static uint32_t all_extra(const Row *r) { return r->n_extra ? 0xFFFFFFFFu >> (32 - r->n_extra) : 0u; }

/* Whether a body's word ending at node would complete a name it may not write (Guard.names). */
static int ends_a_name(const Guard *g, const Row *r, int node) {
    if (!r->in_body || !g->n_names || !g->name_last[node] || r->said[1] < 0) return 0;
    for (int i = 0; i < g->n_names; i++) {
        const int32_t *n = g->names + 3 * i;
        if (n[2] == node && n[1] == r->said[1] && (n[0] < 0 || n[0] == r->said[0])) return 1;
    }
    return 0;
}

/* The letters that may come next (bit L) and whether the word may end here. */
static void word_options(const Guard *g, const Row *r, uint32_t *letters, int *may_end) {
    Trie t = trie_of(g, r);
    int between = r->word == W_BETWEEN, node = between ? 0 : r->word;
    *letters = node >= 0 ? t.letters[node] : 0u;
    *may_end = between || (node >= 0 && t.end[node] && !ends_a_name(g, r, node));
    int pos = between ? 0 : r->extra_pos;
    uint32_t live = between ? all_extra(r) : r->extra_live;
    for (int e = 0; e < r->n_extra; e++) {
        if (!(live >> e & 1u)) continue;
        int letter = pos < MAX_WORD ? r->extra[e][pos] : -1;
        if (letter >= 0) *letters |= 1u << letter;
        else *may_end = 1;
    }
}

static int word_allows(const Guard *g, int id, uint32_t letters, int may_end) {
    int letter = g->letter[id];
    return letter >= 0 ? (int)(letters >> letter & 1u) : may_end;
}

/* log(1 + x), x > -1, from IEEE adds, multiplies and divides alone: libm's last bit may differ
   between CPUs, and a seed writes the same text on every one. frexpf is exact; the series of
   atanh in s = (m - 1) / (m + 1), |s| < 0.18, is within a float's rounding of the log. */
static float exact_log1p(float x) {
    int e;
    float m = frexpf(1.0f + x, &e);
    if (m < 0.70710678f) { m = m * 2.0f; e -= 1; }
    float s = (m - 1.0f) / (m + 1.0f), s2 = s * s;
    float series = 2.0f + s2 * (0.6666667f + s2 * (0.4f + s2 * (0.2857143f + s2 * 0.2222222f)));
    return s * series + (float)e * 0.6931472f;
}

/* A node's log ratio for this row: the words it has written below it weigh by their repeats' ratio. */
static float row_shares(const Guard *g, const Row *r, int node) {
    float add = r->repeats ? r->repeats[node] : 0.0f;
    return add == 0.0f ? g->shares[node] : g->shares[node] + exact_log1p(add / g->steered[node]);
}

/* Steer a body's words to the corpus's shares (word_shares.py): each letter by the change in
   log ratio from its node to the next, a word's end by its own less its node's; a symbol by its
   own, first used or repeated. */
static void steer_to_shares(const Guard *g, const Row *r, float *z) {
    int between = r->word == W_BETWEEN, node = between ? 0 : r->word;
    if (node < 0) return;
    Trie t = trie_of(g, r);
    float here = row_shares(g, r, node);
    for (int v = 0; v < g->V; v++) {
        if (z[v] == NEG_INF) continue;
        int letter = g->letter[v];
        if (letter >= 0) {
            int next = child(t, node, letter);
            if (next >= 0) z[v] += row_shares(g, r, next) - here;
        } else {
            if (!between && t.end[node])
                z[v] += (r->used && r->used[node] ? g->repeat_end[node] : g->shares_end[node]) - here;
            if (g->symbol_first)
                z[v] += r->used && r->used[g->symbol_at + v] ? g->symbol_repeat[v] : g->symbol_first[v];
        }
    }
}

/* A body's word written: from now on the row weighs it by its repeats' ratio. */
static void note_written(const Guard *g, Row *r, int node) {
    if (!r->used || !r->word_shares || !g->repeat_add || r->used[node]) return;
    r->used[node] = 1;
    float add = g->repeat_add[node];
    for (int n = node; n >= 0; n = g->parent[n]) r->repeats[n] += add;
}

/* Rule out the characters that no known word continues. It never stalls a row: where nothing
   it allows is left, the row's logits stay as they are. A company the model names on its title
   line may be one the corpus never saw, as a real posting's often is: its words are its own. */
void dj_words_constrain(const Guard *g, const Row *r, float *z) {
    if (!r->real_words || !g->word_letters || r->state != TEXT || r->word == W_EXEMPT || r->coin) return;
    uint32_t letters;
    int may_end, V = g->V, any = 0;
    word_options(g, r, &letters, &may_end);
    for (int v = 0; v < V && !any; v++) any = z[v] != NEG_INF && word_allows(g, v, letters, may_end);
    if (!any) return;
    for (int v = 0; v < V; v++) if (!word_allows(g, v, letters, may_end)) z[v] = NEG_INF;
    if (r->word_shares && g->shares && r->in_body && g->body_letters) steer_to_shares(g, r, z);
}

void dj_words_feed(const Guard *g, Row *r, int id, int in_text) {
    int letter = g->letter[id];
    if (!in_text || letter < 0) {
        if (r->word != W_BETWEEN) {  /* a word ends: the body's last two, for the names */
            r->said[0] = r->said[1];
            r->said[1] = r->word > 0 && trie_of(g, r).end[r->word] ? r->word : -1;
            if (r->said[1] >= 0 && r->in_body && g->body_letters) note_written(g, r, r->said[1]);
        }
        if (in_text && r->in_body && r->used && r->word_shares && g->symbol_first) r->used[g->symbol_at + id] = 1;
        if (!in_text || id != g->space) r->apart = 1;
        r->word = in_text && (g->digit[id] || id == g->amp) ? W_EXEMPT : W_BETWEEN;
        return;
    }
    if (r->word == W_EXEMPT) return;
    if (r->word == W_BETWEEN) {
        r->word = 0; r->extra_pos = 0; r->extra_live = all_extra(r);
        if (r->apart) r->said[0] = r->said[1] = -1;
        r->apart = 0;
    }
    if (r->word >= 0) {
        int next = child(trie_of(g, r), r->word, letter);
        r->word = next >= 0 ? next : W_OFF_TRIE;
    }
    uint32_t live = 0;
    for (int e = 0; e < r->n_extra; e++)
        if ((r->extra_live >> e & 1u) && r->extra_pos < MAX_WORD && r->extra[e][r->extra_pos] == letter) live |= 1u << e;
    r->extra_live = live;
    r->extra_pos++;
    if (r->word == W_OFF_TRIE && !live) r->word = W_EXEMPT;  /* an unknown word (from a prime): let it finish */
}
