package dev.sparring.backend.cpu;

/**
 * Single-precision GEMM on row-major arrays: C = alpha op(A) op(B) + beta C, with op(A) (M x K), op(B) (K x N),
 * C (M x N). lda, ldb, ldc are row strides. Deterministic: each C element's K-sum runs in a fixed order.
 */
public final class Sgemm {
    private Sgemm() { }

    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             float[] a, int offA, int lda, float[] b, int offB, int ldb,
                             float beta, float[] c, int offC, int ldc) {
        if (m == 0 || n == 0) return;
        // Pack op(B) as K x N row-major so the inner loop streams along N.
        float[] bp;
        int ldbp;
        if (!transB && ldb == n) {
            bp = null;
            ldbp = ldb;
        } else {
            bp = new float[k * n];
            for (int p = 0; p < k; p++) {
                for (int j = 0; j < n; j++) bp[p * n + j] = transB ? b[offB + j * ldb + p] : b[offB + p * ldb + j];
            }
            ldbp = n;
        }
        final float[] bb = bp == null ? b : bp;
        final int ob = bp == null ? offB : 0;
        final int ldbb = ldbp;
        Parallel.range(m, 8, (i0, i1) -> {
            float[] row = new float[n];
            for (int i = i0; i < i1; i++) {
                java.util.Arrays.fill(row, 0f);
                for (int p = 0; p < k; p++) {
                    float av = transA ? a[offA + p * lda + i] : a[offA + i * lda + p];
                    int bo = ob + p * ldbb;
                    for (int j = 0; j < n; j++) row[j] += av * bb[bo + j];
                }
                int co = offC + i * ldc;
                if (beta == 0f) {
                    for (int j = 0; j < n; j++) c[co + j] = alpha * row[j];
                } else {
                    for (int j = 0; j < n; j++) c[co + j] = alpha * row[j] + beta * c[co + j];
                }
            }
        });
    }
}
