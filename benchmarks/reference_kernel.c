/* The fused cost+gradient pass of cf_core.kernels.objective_rows (no biases), in plain C.
 *
 * Not used by CF Lab: bench_core.py --c-reference compiles it with gcc -O3 -march=native and times it on
 * the same CSR data, as a yardstick for what one core of this machine does for this pass at all. K (the
 * number of features) is fixed at compile time (-DK=10), which lets gcc keep a row's gradient in
 * registers and vectorize every loop: the most favourable case for C.
 */
#include <stdint.h>
#include <string.h>

double fused(int64_t n_rows, int64_t n_cols, const double *restrict A, const double *restrict B,
             const int64_t *restrict indptr, const uint32_t *restrict indices, const double *restrict values,
             double *restrict dA, double *restrict dB) {
    double sse = 0.0;
    memset(dB, 0, sizeof(double) * (size_t)n_cols * K);
    for (int64_t r = 0; r < n_rows; r++) {
        const double *a = A + r * K;
        double g[K] = {0};
        for (int64_t e = indptr[r]; e < indptr[r + 1]; e++) {
            const double *b = B + (int64_t)indices[e] * K;
            double *db = dB + (int64_t)indices[e] * K;
            double s = 0.0;
            for (int t = 0; t < K; t++) s += a[t] * b[t];
            double d = s - values[e];
            sse += d * d;
            for (int t = 0; t < K; t++) {
                g[t] += d * b[t];
                db[t] += d * a[t];
            }
        }
        for (int t = 0; t < K; t++) dA[r * K + t] = g[t];
    }
    return sse;
}
