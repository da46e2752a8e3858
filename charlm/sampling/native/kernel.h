/* The CPU sampling kernel of charlm: one step of an LSTM or a transformer, and one guarded
draw, for a batch of rows.

One shared library built from: matvec.c (the three precisions' matrix products), lstm.c and
transformer.c with attention.c (the steps), pacer.c (their thread count), guard.c (the tag
guard and the draw), known_words.c (the known-words guard) and copy_guard.c (the copy guard's
bookkeeping); this header holds what they share. Built on
first use by __init__.py (cc -O3 -march=native -fopenmp) and called through ctypes;
Python owns every buffer.

Batch invariance is the design rule: each output (row b, unit n) is one accumulator chain
over k in a fixed order, however many rows there are and however they are tiled, and
everything else (activations, guard, softmax, draw) reads one row only. So a row's text
depends on its own settings and seed alone, whether it runs alone or in a batch.

Weights are float32 or float16. Float16 ones are widened in registers and the arithmetic
stays float32; at batch 1 a step is bound by reading the weights, so float16 halves it.

The same text on every CPU is the second rule: every float operation is one IEEE-754
multiply, add, divide or conversion, in a fixed order, built with -ffp-contract=off and no
fused multiply-add. Those give the same bits on any instruction set (SSE, AVX2, AVX-512,
NEON), so a seed writes the same posting on any machine; the fused form would round
differently on a CPU that has it than on one that does not.
*/
#ifndef DJ_KERNEL_H
#define DJ_KERNEL_H
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "simd.h"

enum { P_FP32, P_FP16, P_INT8 };
#define NEG_INF (-__builtin_inff())  /* a logit ruled out */
#define MAX_LAYERS 16

/* How many threads a step runs on. A step has several barriers, and each waits for the
   slowest thread: on a busy machine the scheduler parks one of them for a time slice and
   two threads become slower than one (0.29x of the quiet rate with one busy process beside
   a 2-core sampler, BENCHMARKS.md, "A busy machine"). So the pacer times the steps and keeps whichever
   thread count is fastest now: it runs on its rung (1, 2, 4, ... up to the most it may use),
   and now and then tries a neighbouring rung in windows interleaved with windows of its own
   (trial, own, trial, own), so that both see the same load: on a busy machine one window can
   catch a stall and the next a full share. A trial that loses waits twice as long before the
   next; one whose first window is already half again as slow ends there. Results do not
   depend on the thread count (each output is one thread's fixed-order sum), so neither does text. */
#define MAX_RUNGS 8
#define PACE_STEPS 8           /* a window times at least this many steps */
#define PACE_SECONDS 0.025     /* and at least this long: several of the scheduler's time slices */
#define PACE_FIRST 2           /* windows before the first trial */
#define PACE_LONGEST 32        /* most windows between two trials of one rung: a load that comes is found within a second */
#define PACE_PAIRS 2           /* trial windows in a trial, each followed by one on the rung in use */
typedef struct {
    int32_t n_rungs, rungs[MAX_RUNGS];
    int32_t at;                /* the rung in use */
    int32_t trying;            /* the rung on trial, or -1 */
    int32_t rows;              /* the batch size the current window timed (a window that changes it restarts) */
    int32_t steps;             /* steps in the current window */
    int32_t since;             /* windows since the last trial */
    int32_t wait[MAX_RUNGS];   /* windows to wait before trying each rung again */
    int32_t next_up;           /* which neighbour the next trial tries: 1 up, 0 down */
    int32_t phase;             /* windows of the trial so far: even ones on the trial rung, odd ones on the rung in use */
    double trial_sum, own_sum; /* seconds a step in the trial's windows, and in the interleaved own ones */
    double elapsed, base;      /* this window's seconds; seconds a step on the rung in use, averaged (< 0: not timed) */
} Pacer;

/* What a model's batches share of their pacers: a new batch starts from the latest one's. */
typedef struct {
    Pacer last;                /* the latest batch's pacer (its rung, its waits) */
    int32_t busy;              /* a lock on `last` */
} PacerShare;

/* The packed LSTM. table (V, 4H): layer 0's input projection of every character, with
   both biases. w[0] (4H, H): layer 0's W_hh; w[l] (4H, 2H): [W_ih W_hh] of layer l;
   w[L] (V, H): the head. bias[l] (4H) for l >= 1, bias[L] (V): the head's. scale[l]: the
   per-row scales of int8 weights. */
typedef struct {
    int32_t L, H, V, precision;
    PacerShare share;
    const float *table;
    const void *w[MAX_LAYERS + 1];
    const float *bias[MAX_LAYERS + 1];
    const float *scale[MAX_LAYERS + 1];
} Net;

/* Buffers for up to cap rows. xh (L, cap, 2H): per layer and row, [input from below, h];
   c (L, cap, H); gates (cap, 4H); logits (cap, V); xq (cap, 2H) and xs (cap): quantized
   activations of the int8 path. */
typedef struct {
    int32_t cap;
    float *xh, *c, *gates, *logits;
    int16_t *xq;
    float *xs;
    Pacer pacer;
} State;

/* The packed transformer. embed (V, C): the input lookup; inv_freq (d/2): rotary frequencies
   (float64, as the model computes them); per block l: w[4l] qkv (3C, C), w[4l+1] out (C, C),
   w[4l+2] fc (4C, C), w[4l+3] proj (C, 4C), and norm[2l], norm[2l+1] the two norms' gains;
   w[4L] (V, C) the head (the embedding, tied), norm[2L] the final norm's gain. With the header
   in view (charlm/models/header.py), P > 0 slots of it; open and close: HEAD and HEADER_END in
   ids; gate[l] (H) each head's share of it in block l. */
#define MAX_MARK 32
enum { COLLECTED, PINNED, OPEN_AT, CLOSE_AT };  /* header.py's rows of TState's meta */
typedef struct {
    int32_t L, C, H, R, V, precision;
    PacerShare share;
    const float *embed;
    const double *inv_freq;
    const void *w[4 * MAX_LAYERS + 1];
    const float *scale[4 * MAX_LAYERS + 1];
    const float *norm[2 * MAX_LAYERS + 1];
    int32_t P, n_open, n_close;
    int32_t open[MAX_MARK], close[MAX_MARK];
    const float *gate[MAX_LAYERS];
} TNet;

/* Buffers for up to cap rows: x (cap, C) the residual stream, h (cap, C) a norm's output,
   qkv (cap, 3C), y (cap, C) attention's output, m (cap, 4C) the MLP's, scores (cap, H, S),
   logits (cap, V), keys and values (L, cap, H, S, d) the rings (S = dj_ring_slots(R); float32,
   float16 or int8 by the precision; layouts in attention.c) and kscale, vscale (L, cap, H, S)
   the int8 ones' scales, rot (cap, d) the rotary cos and sin of each row's position, count (cap)
   characters read, xq (cap, 4C) and xs (cap) the int8 path's quantized activations. With the
   header in view: pkeys, pvalues (L, cap, H, P, d) and pkscale, pvscale (L, cap, H, P) its
   slots, as the rings keep theirs but not rotated; meta (4, cap) each row's matcher (header.py's
   COLLECTED, PINNED, OPEN_AT, CLOSE_AT rows); pslot (cap) the slot of the character being read, or -1. */
typedef struct {
    int32_t cap;
    float *x, *h, *qkv, *y, *m, *scores, *logits;
    void *keys, *values;
    float *kscale, *vscale, *rot;
    int64_t *count;
    int16_t *xq;
    float *xs;
    Pacer pacer;
    void *pkeys, *pvalues;
    float *pkscale, *pvscale;
    int64_t *meta;
    int32_t *pslot;
} TState;

/* The tag guard: TagGuard of ../reference_guard.py, state for state; that file is the reference and the
   tests hold the two to the same masks. Tag names are kept as ids of lower-cased
   characters. */
enum { TEXT, LT, OPEN, ATTRS, CLOSE, SKIP };
enum { M_TEXT, M_LT, M_LT_NOTHING_OPEN, M_OPEN, N_MASKS };
#define MAX_DEPTH 64
#define MAX_NAME 32
#define MAX_STOP 16

/* The known-words guard's place in the word being written: a trie node (>= 0), or one of these. */
enum { W_BETWEEN = -1, W_EXEMPT = -2 };
#define MAX_EXTRA 16   /* words of the fields a caller gave, known to that row besides the corpus's */
#define MAX_WORD 32

typedef struct {
    uint64_t seed, counter;
    float temperature, top_p, min_p;  /* top_p 1 and min_p 0: no truncation */
    int32_t argmax, top_k, guard, wrap_up, min_length, written, max_length, done;
    int32_t stop_len, stop[MAX_STOP], tail[MAX_STOP];
    int32_t state, name_len, depth, expect_pos;
    int32_t name[MAX_NAME];
    int32_t stack_len[MAX_DEPTH];
    int32_t stack[MAX_DEPTH][MAX_NAME];
    int32_t real_words, word;         /* the known-words guard: on, and the place in the word */
    int32_t n_extra, extra_pos;       /* the row's own words (letters 0-25, -1 padded), letters into the word */
    uint32_t extra_live;              /* which of them the word so far still spells */
    int32_t extra[MAX_EXTRA][MAX_WORD];
    int32_t in_body;                  /* past the frame: the body's words (Guard.body_*) where there are some */
    int32_t said[2], apart;           /* the body's last two words (trie nodes; -1: none), and whether
                                         more than spaces came after the last */
    int32_t paren, quote, inside;     /* the prose's open parentheses, open quote, and characters since
                                         the outermost of them opened (TagGuard's) */
    int32_t word_shares;              /* a body's words steered to the corpus's shares (Guard.shares) */
    int32_t coin;                     /* writing its company on the title line: a word may be one the corpus lacks */
    /* With word shares: per node of the body's trie, what the words this row has written add to
       Guard.steered (their repeats' ratio in place of their first uses'), and whether a word
       ending there is written yet, then whether each symbol is; NULL: none kept. Buffers of
       Python's, one per row. */
    float *repeats;
    uint8_t *used;
} Row;

typedef struct {
    int32_t V, lt, slash, gt, amp, n_void, n_end, n_tags;
    float wrap_up_scale;
    const uint8_t *alpha, *alnum;   /* str.isalpha / str.isalnum of each id */
    const int32_t *lower;           /* id of the lower-cased character; -1 when not in the vocabulary */
    const uint8_t *masks;           /* N_MASKS x V, 1 = allowed */
    const uint8_t *has_mask;        /* N_MASKS: 0 where a vocabulary cannot comply */
    const int32_t *void_names;      /* n_void x MAX_NAME ids, -1 padded */
    const int32_t *end_names;       /* n_end x MAX_NAME: the tags whose close ends a posting (body, html) */
    const int32_t *tag_names;       /* n_tags (at most 32) x MAX_NAME: the corpus's elements */
    const uint32_t *children;       /* n_tags + 1: bit t set where tag t opens inside the top level, then each tag */
    /* The known-words guard (guard.c): words are runs of ASCII letters, case-insensitive, as
       charlm.quality.metrics.words reads them; the corpus's words are a trie, each node's
       children stored together in letter order. */
    const int32_t *letter;          /* 0-25 for an ASCII letter of either case, else -1 */
    const uint8_t *digit;
    const uint32_t *word_letters;   /* per node: bit L set where letter L continues a known word; NULL: no words */
    const int32_t *word_first;      /* per node: the node of its first child */
    const uint8_t *word_end;        /* per node: 1 where a known word ends */
    /* The words a body may write (the known words but charlm/profile.py's company_words), a trie as
       above; NULL: the same as the frame's. */
    const uint32_t *body_letters;
    const int32_t *body_first;
    const uint8_t *body_end;
    /* Names a body may not write one word after another (company_names): n_names x 3 nodes of the
       body's trie (charlm/profile.py's NAME_WORDS), the last word's after the one or two before it
       (-1: a name of two words), and per node of that trie whether a name ends with its word. */
    int32_t n_names, space;         /* space: the id of " ", which alone may stand between a name's words */
    const int32_t *names;
    const uint8_t *name_last;
    /* The prose's brackets (reference_guard.py, PROSE and BRACKET_*): ids of "(", ")" and '"' (-1:
       none), bit t of prose set where tag_names[t] is one of PROSE. */
    int32_t lparen, rparen, quote, max_paren, bracket_soft;
    float bracket_scale;
    uint32_t prose;
    /* Word shares (../word_shares.py, ShareTables): per node of the body's trie, the log ratio of
       the corpus's rate of first uses to the model's averaged over the words below it, and at a
       word's end its own; the model's weight of the words below, each times that ratio; at a word's
       end its repeats' log ratio, and what writing it adds to `steered` above; each node's parent
       (-1 at the root). NULL: none. */
    const float *shares, *shares_end, *steered, *repeat_end, *repeat_add;
    const int32_t *parent;
    /* Per id: a symbol's log ratio of first uses and of repeats (0: not a symbol); a row marks
       the symbols it has written at Row.used + symbol_at + id. NULL: none. */
    const float *symbol_first, *symbol_repeat;
    int32_t symbol_at;
    /* Past the wrap-up, the elements but those that end a posting are steered to close only this
       many characters later (reference_guard.py, WRAP_UP_INNER). */
    int32_t wrap_up_inner;
} Guard;

/* The copy guard's bookkeeping (../copy_guard.py, CopyGuard), per step: roll each row's
   window hash on by the character it wrote and look the window up among the corpus's sorted
   hashes. The same wrapping uint64 arithmetic as charlm/copies.py's window_hashes. In numpy this was a
   dozen small array calls a step in the sampling thread, each a chance for the gallery's
   request threads to take the interpreter lock from it, which halved what the gallery served. */
typedef struct {
    const uint64_t *index;          /* sorted distinct hashes of the corpus's windows */
    int64_t n_index;
    const uint64_t *codes;          /* code point of each id */
    const uint8_t *space;           /* str.isspace of each id */
    uint64_t base, top;             /* the hash's base, and base^(q-1) */
    int32_t q, hard_margin;
    double soft_share;
    uint64_t *ring;                 /* capacity x q: each row's last q code points */
    uint64_t *h;                    /* each row's window hash */
    int64_t *seen, *run, *limit;    /* characters fed, windows in a row found in the corpus, limit (0: none) */
    uint8_t *last_space;
} CopyState;

/* matvec.c: y[b*ldy + n] += W[n, :K] . x[b*ldx : +K], inside a parallel region. */
void dj_matvec_f32(const float *W, int N, int K, const float *x, int ldx, int B, float *y, int ldy);
void dj_matvec_f16(const _Float16 *W, int N, int K, const float *x, int ldx, int B, float *y, int ldy);
void dj_quantize_row(const float *x, int K, int16_t *xq, float *xs);
void dj_quantize(const float *x, int ldx, int K, int B, int16_t *xq, float *xs);
void dj_matvec_i8(const int8_t *W, const float *ws, int N, int K, const int16_t *xq, const float *xs, int B,
                  float *y, int ldy);

/* known_words.c: rule out what no known word continues in z; follow the word a row writes. */
void dj_words_constrain(const Guard *g, const Row *r, float *z);
void dj_words_feed(const Guard *g, Row *r, int id, int in_text);

/* attention.c: attention of block l for rows [0, B), inside a parallel region. */
int dj_ring_slots(int R);
void dj_attention(const TNet *n, TState *s, int l, int B);

/* pacer.c */
void dj_pacer_init(Pacer *p, int most, int fixed);
int dj_pace_threads(Pacer *p, int B);
void dj_pace_done(Pacer *p, double seconds);
void dj_pacer_resume(PacerShare *share, Pacer *p);
void dj_pacer_keep(PacerShare *share, const Pacer *p);
double dj_seconds(void);
void dj_matvec(int precision, const void *W, const float *scale, int N, int K, const float *x, int ldx, int B,
               float *y, int ldy, int16_t *xq, float *xs);
void dj_product(int precision, const void *W, const float *scale, int N, int K, const float *x, int ldx, int B,
                float *y, int ldy, const int16_t *xq, const float *xs);

#endif
