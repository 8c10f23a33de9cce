package dev.sparring.train;

import dev.sparring.backend.Backend;
import dev.sparring.tensor.Tensor;
import dev.sparring.linalg.Eigenvalues;
import dev.sparring.linalg.Eigenvalues.Eigenvalue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;

/**
 * The largest-magnitude eigenvalues of the game Jacobian J = ∂v/∂θ at one batch, by Arnoldi's method on products Jᵀu
 * ({@link GameJacobian#transposeTimes}: J and Jᵀ have the same eigenvalues). m steps build an orthonormal basis Q of
 * the Krylov space of Jᵀ from a random start and the m x m Hessenberg matrix H = QᵀJᵀQ (modified Gram-Schmidt, in
 * double on the host, reorthogonalised once); the eigenvalues of H ({@link Eigenvalues}) are the Ritz values, of which the
 * largest in magnitude converge first. With m = the parameter count (and no breakdown) they are J's eigenvalues.
 * Each step is one second-order pass and two transfers of θ-sized vectors; the host keeps m + 1 double vectors of the
 * parameter count (8 (m + 1) n bytes) and spends about 4 j n multiply-adds on step j's Gram-Schmidt.
 */
public final class JacobianSpectrum {
    private JacobianSpectrum() { }

    /** The k Ritz values of largest magnitude after m Arnoldi steps (m ≥ k, at most the parameter count), largest first. */
    public static List<Eigenvalue> largest(GameJacobian jac, int k, int m, long seed) {
        return largest(jac, k, m, seed, j -> { });
    }

    /**
     * As {@link #largest(GameJacobian, int, int, long)}, telling {@code stepsDone} the number of Arnoldi steps done after
     * each one (fewer than m in all when the Krylov space closes early: an invariant subspace, whose Ritz values are
     * exact eigenvalues; J's other eigenvalues are then 0 when the start vector had a part along each of their
     * eigenvectors, which a random one has).
     */
    public static List<Eigenvalue> largest(GameJacobian jac, int k, int m, long seed, IntConsumer stepsDone) {
        Backend be = jac.backend();
        List<Tensor> grads = jac.grads();
        int n = 0;
        for (Tensor t : grads) n += t.sizeInt();
        if (k < 1 || k > m || m > n) throw new IllegalArgumentException("Arnoldi: need 1 <= k <= m <= " + n + ", got k " + k + ", m " + m);
        List<Tensor> u = new ArrayList<>();
        for (Tensor t : grads) u.add(be.zeros(t.shape()));
        double[][] q = new double[m + 1][];
        double[] h = new double[(m + 1) * m];           // (m+1, m), row-major
        SplittableRandom r = new SplittableRandom(seed);
        q[0] = new double[n];
        for (int i = 0; i < n; i++) q[0][i] = r.nextGaussian();
        scale(q[0], 1 / norm(q[0]));
        int steps = m;
        try {
            for (int j = 0; j < m; j++) {
                double[] w = times(jac, u, q[j], n);
                for (int pass = 0; pass < 2; pass++) {       // modified Gram-Schmidt, twice
                    for (int i = 0; i <= j; i++) {
                        double c = dot(q[i], w);
                        h[i * m + j] += c;
                        for (int x = 0; x < n; x++) w[x] -= c * q[i][x];
                    }
                }
                stepsDone.accept(j + 1);
                double beta = norm(w);
                if (j + 1 < m) h[(j + 1) * m + j] = beta;
                if (beta < 1e-12 * (1 + Math.abs(h[j * m + j]))) { steps = j + 1; break; }   // an invariant subspace: exact
                scale(w, 1 / beta);
                q[j + 1] = w;
            }
        } finally {
            for (Tensor t : u) t.close();
        }
        double[][] hm = new double[steps][steps];
        for (int i = 0; i < steps; i++) for (int j = 0; j < steps; j++) hm[i][j] = h[i * m + j];
        List<Eigenvalue> all = Eigenvalues.of(hm);
        return all.subList(0, Math.min(k, all.size()));
    }

    /** Jᵀx for a host vector x (D's parameters then G's, flattened in {@link GameJacobian#grads()} order). */
    static double[] times(GameJacobian jac, List<Tensor> u, double[] x, int n) {
        Backend be = jac.backend();
        int o = 0;
        for (Tensor t : u) {
            float[] part = new float[t.sizeInt()];
            for (int i = 0; i < part.length; i++) part[i] = (float) x[o + i];
            be.copyFromHost(part, t);
            o += part.length;
        }
        jac.transposeTimes(u);
        double[] y = new double[n];
        o = 0;
        for (Tensor t : jac.grads()) {
            float[] part = be.download(t);
            for (int i = 0; i < part.length; i++) y[o + i] = part[i];
            o += part.length;
        }
        return y;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    private static double norm(double[] a) { return Math.sqrt(dot(a, a)); }

    private static void scale(double[] a, double c) { for (int i = 0; i < a.length; i++) a[i] *= c; }
}
