package dev.sparring.eval;

import dev.sparring.linalg.NewtonSchulz;
import dev.sparring.linalg.SqrtTrace;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static dev.sparring.eval.Fixtures.rel;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CPU twin of the GPU's Newton–Schulz square-root trace ({@link NewtonSchulz}) on the FID fixtures, against the
 * 40-digit mpmath reference: what the GPU path must also give (CudaFidTest holds the GPU to this twin).
 */
class NewtonSchulzTest {
    private static double[] sym(Map<String, NpyArray> fx, String key, int f) {
        return SqrtTrace.symmetrised(fx.get(key).toDoubles(key), f);
    }

    /**
     * Full rank: within 1e-14 of the mpmath trace (measured 1.5e-15). Near-singular (Σ₁'s condition 1.2e13): within
     * 1e-9 (measured 5.1e-10: Newton–Schulz's round-off grows with √κ, where the decompositions stay at 1e-12).
     * Rank-deficient (N &lt; F: zero eigenvalues that round-off makes ±1e-16, so the trace is defined to ~1e-9 only):
     * within 1e-8.
     */
    @Test
    void agreesWithTheReferenceOnTheFixtures() {
        for (String name : new String[] {"fid-full-rank", "fid-near-singular", "fid-rank-deficient"}) {
            Map<String, NpyArray> fx = Fixtures.read(name + ".npz");
            int f = (int) fx.get("mu1").shape()[0];
            double want = Fixtures.scalar(fx, "trace_sqrt_mpmath");
            SqrtTrace.Result r = SqrtTrace.compute(sym(fx, "sigma1", f), sym(fx, "sigma2", f), f, SqrtTrace.Method.NEWTON_SCHULZ);
            SqrtTrace.Result exact = SqrtTrace.compute(sym(fx, "sigma1", f), sym(fx, "sigma2", f), f, SqrtTrace.Method.AUTO);
            double err = rel(r.value(), want);
            System.out.printf("%s: Newton-Schulz %.17g in %d iterations (%d runs stopped on a falling trace), relative error %.2g;"
                    + " %s %.2g%n", name, r.value(), r.iterations(), r.clamped(), err, exact.method(), rel(exact.value(), want));
            assertEquals(SqrtTrace.Method.NEWTON_SCHULZ, r.method());
            double tol = switch (name) {
                case "fid-full-rank" -> 1e-14;
                case "fid-near-singular" -> 1e-9;
                default -> 1e-8;
            };
            assertTrue(err < tol, name + ": " + r.value() + " vs " + want + " (relative error " + err + ")");
            assertTrue(r.iterations() >= 2 * NewtonSchulz.MIN_ITERATIONS || r.clamped() > 0, name + ": " + r.iterations() + " iterations");
        }
    }
}
