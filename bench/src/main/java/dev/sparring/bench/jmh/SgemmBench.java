package dev.sparring.bench.jmh;

import dev.sparring.backend.cpu.Sgemm;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.concurrent.TimeUnit;

/**
 * Sgemm C (M, N) = A (M, K) B (K, N), row-major, no transposes, beta 0. Shapes: square, and the whole-batch im2col
 * GEMMs of the DCGAN layers (forward: M = K_out, N = batch*P*Q, K = C*R*S) — see {@link KernelShapes#LAYERS}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class SgemmBench {
    @Param({"512x512x512", "1024x1024x1024",
            "32x12544x16", "64x3136x512", "64x65536x48", "128x16384x1024", "256x4096x2048", "512x1024x4096"})
    public String mnk;

    int m, n, k;
    float[] a, b, c;                                             // (M, K), (K, N), (M, N)

    @Setup
    public void setup() {
        int[] d = KernelShapes.mnk(mnk);
        m = d[0];
        n = d[1];
        k = d[2];
        a = KernelShapes.random(1, m * k);
        b = KernelShapes.random(2, k * n);
        c = new float[m * n];
        sgemm();
        for (int idx : KernelShapes.samples(m * n, 300)) {
            int i = idx / n, j = idx % n;
            double s = 0;
            for (int p = 0; p < k; p++) s += (double) a[i * k + p] * b[p * n + j];
            KernelShapes.check("sgemm " + mnk, idx, s, c[idx], k);
        }
    }

    @Benchmark
    public float[] sgemm() {
        Sgemm.sgemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 0, n);
        return c;
    }
}
