package dev.sparring.bench;

import dev.sparring.backend.cpu.Sgemm;

import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Sparring's CPU sgemm on given shapes, for bench/cpu-vs-pytorch/run.sh, which runs it in turn with numpy's OpenBLAS
 * (numpy_sgemm.py) on the same shapes. {@code SgemmTiming REPS MxNxK ...}: C (M, N) = A (M, K) B (K, N), row-major, no
 * transposes, beta 0, operands uniform in [-1, 1); per shape about a second of warm-up (the JIT), then REPS timed
 * products. The result is checked first on a few entries against a double-precision dot product, so a wrong kernel is
 * never timed. Prints the micro-kernel ({@code KERNEL VECTOR_512 (8 x 32)}), then one line per shape:
 * {@code RESULT shape=MxNxK ms=<median> gflops=<2MNK / median>}. {@code SgemmTiming --cpu REPS ...} times the CPU time
 * of the calling thread instead of the wall clock; run with {@code -XX:ActiveProcessorCount=1}, so that Sgemm runs there
 * alone, it is the cost of a product on one core, which other jobs on the machine change much less than its wall time.
 */
public final class SgemmTiming {
    private SgemmTiming() { }

    public static void main(String[] args) {
        Locale.setDefault(Locale.ROOT);
        boolean cpu = args.length > 0 && args[0].equals("--cpu");
        if (cpu) args = Arrays.copyOfRange(args, 1, args.length);
        if (args.length < 2) {
            System.err.println("usage: SgemmTiming [--cpu] REPS MxNxK [MxNxK ...]");
            System.exit(2);
        }
        int reps = Integer.parseInt(args[0]);
        System.out.println("KERNEL " + Sgemm.kernelName());
        for (int s = 1; s < args.length; s++) {
            String[] p = args[s].split("x");
            int m = Integer.parseInt(p[0]), n = Integer.parseInt(p[1]), k = Integer.parseInt(p[2]);
            float[] a = random(1, m * k), b = random(2, k * n), c = new float[m * n];
            Sgemm.sgemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 0, n);
            check(args[s], m, n, k, a, b, c);
            long warmEnd = System.nanoTime() + 1_000_000_000L;
            while (System.nanoTime() < warmEnd) Sgemm.sgemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 0, n);
            double[] ms = new double[reps];
            for (int r = 0; r < reps; r++) {
                long t0 = cpu ? cpuTime() : System.nanoTime();
                Sgemm.sgemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 0, n);
                ms[r] = ((cpu ? cpuTime() : System.nanoTime()) - t0) / 1e6;
            }
            Arrays.sort(ms);
            double med = ms[reps / 2];
            System.out.printf("RESULT shape=%s ms=%.4f gflops=%.2f%n", args[s], med, 2.0 * m * n * k / (med * 1e6));
        }
    }

    /**
     * This thread's CPU time in ns: with one processor Sgemm runs on the calling thread alone, and the JVM's other
     * threads (the JIT, still compiling now and then) are not counted.
     */
    private static long cpuTime() { return java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime(); }

    private static float[] random(long seed, int n) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
        return x;
    }

    /** A few entries (the corners and random ones) against a double dot product. */
    private static void check(String shape, int m, int n, int k, float[] a, float[] b, float[] c) {
        SplittableRandom rnd = new SplittableRandom(99);
        for (int t = 0; t < 64; t++) {
            int i = t == 0 ? 0 : t == 1 ? m - 1 : rnd.nextInt(m), j = t == 0 ? 0 : t == 1 ? n - 1 : rnd.nextInt(n);
            double ref = 0, mag = 0;
            for (int q = 0; q < k; q++) {
                ref += (double) a[i * k + q] * b[q * n + j];
                mag += Math.abs((double) a[i * k + q] * b[q * n + j]);
            }
            if (Math.abs(c[i * n + j] - ref) > 1e-5 * mag + 1e-6) {
                throw new IllegalStateException("sgemm " + shape + ": C[" + i + "][" + j + "] = " + c[i * n + j] + ", expected " + ref);
            }
        }
    }
}
