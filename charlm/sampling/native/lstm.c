/* One LSTM step for a batch of rows, on the pacer's thread count. */
#include "kernel.h"

double dj_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* y += W x at the model's precision, with x already quantized into xq and xs at int8. */
void dj_product(int precision, const void *W, const float *scale, int N, int K, const float *x, int ldx, int B,
                float *y, int ldy, const int16_t *xq, const float *xs) {
    switch (precision) {
    case P_FP32: dj_matvec_f32((const float *)W, N, K, x, ldx, B, y, ldy); break;
    case P_FP16: dj_matvec_f16((const _Float16 *)W, N, K, x, ldx, B, y, ldy); break;
    default: dj_matvec_i8((const int8_t *)W, scale, N, K, xq, xs, B, y, ldy);
    }
}

/* y += W x at the model's precision (int8: x quantized per row first, into xq and xs). */
void dj_matvec(int precision, const void *W, const float *scale, int N, int K, const float *x, int ldx, int B,
               float *y, int ldy, int16_t *xq, float *xs) {
    if (precision == P_INT8) dj_quantize(x, ldx, K, B, xq, xs);
    dj_product(precision, W, scale, N, K, x, ldx, B, y, ldy, xq, xs);
}

static void matvec(const Net *n, const State *s, int l, int N, int K, const float *x, int B, float *y, int ldy) {
    dj_matvec(n->precision, n->w[l], n->scale[l], N, K, x, 2 * n->H, B, y, ldy, s->xq, s->xs);
}

/* One LSTM step for rows [0, B): feed ids, leave the next character's logits in s->logits. */
void dj_lstm_step(const Net *n, State *s, int B, const int32_t *ids) {
    const int L = n->L, H = n->H, V = n->V, G = 4 * H, cap = s->cap;
    int threads = dj_pace_threads(&s->pacer, B);
    double started = dj_seconds();
    #pragma omp parallel num_threads(threads)
    {
        for (int l = 0; l < L; l++) {
            float *xl = s->xh + (size_t)l * cap * 2 * H;
            float *cl = s->c + (size_t)l * cap * H;
            float *gates = s->gates;
            if (l == 0) {
                #pragma omp for schedule(static)
                for (int b = 0; b < B; b++) memcpy(gates + (size_t)b * G, n->table + (size_t)ids[b] * G, G * sizeof(float));
                matvec(n, s, 0, G, H, xl + H, B, gates, G);
            } else {
                #pragma omp for schedule(static)
                for (int b = 0; b < B; b++) memcpy(gates + (size_t)b * G, n->bias[l], G * sizeof(float));
                matvec(n, s, l, G, 2 * H, xl, B, gates, G);
            }
            /* gates are i, f, g, o (PyTorch's order); c = f*c + i*g, h = o*tanh(c). */
            #pragma omp for schedule(static)
            for (int b = 0; b < B; b++) {
                float *g = gates + (size_t)b * G, *cb = cl + (size_t)b * H, *h = xl + (size_t)b * 2 * H + H;
                float *up = l + 1 < L ? s->xh + ((size_t)(l + 1) * cap + b) * 2 * H : 0;
                for (int k = 0; k < H; k += 8) {
                    v8f i = vsigmoid(load8f(g + k)), f = vsigmoid(load8f(g + H + k));
                    v8f gg = vtanh(load8f(g + 2 * H + k)), o = vsigmoid(load8f(g + 3 * H + k));
                    v8f cv = f * load8f(cb + k) + i * gg;
                    v8f hv = o * vtanh(cv);
                    store8f(cb + k, cv);
                    store8f(h + k, hv);
                    if (up) store8f(up + k, hv);
                }
            }
        }
        float *top = s->xh + (size_t)(L - 1) * cap * 2 * H + H;
        #pragma omp for schedule(static)
        for (int b = 0; b < B; b++) memcpy(s->logits + (size_t)b * V, n->bias[L], V * sizeof(float));
        matvec(n, s, L, V, H, top, B, s->logits, V);
    }
    dj_pace_done(&s->pacer, dj_seconds() - started);
    dj_pacer_keep((PacerShare *)&n->share, &s->pacer);
}

int dj_row_size(void) { return sizeof(Row); }
int dj_state_size(void) { return sizeof(State); }
int dj_net_size(void) { return sizeof(Net); }
