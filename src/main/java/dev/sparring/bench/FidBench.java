package dev.sparring.bench;

import dev.sparring.backend.Backend;
import dev.sparring.backend.Backends;
import dev.sparring.eval.DeviceMoments;
import dev.sparring.eval.FeatureMoments;
import dev.sparring.eval.FeatureStatistics;
import dev.sparring.eval.FrechetDistance;
import dev.sparring.eval.KernelInceptionDistance;
import dev.sparring.eval.StatisticsFile;
import dev.sparring.linalg.RowDots;
import dev.sparring.linalg.SqrtTrace;
import dev.sparring.tensor.Tensor;
import org.ejml.data.DMatrixRBlock;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.block.MatrixOps_DDRB;
import org.ejml.dense.row.CommonOps_DDRM;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * One timed evaluation step for bench/fid/run.sh, which runs it in a fresh JVM per measurement, interleaved with
 * scipy's (so each figure includes the JIT's warm-up, as a {@code sparring fid} command would). Prints one line:
 * {@code RESULT key=value ...} with the wall and process CPU seconds of the computation (reading the files excluded).
 * <pre>
 *   fid A.npz B.npz [auto|cholesky|eigen]   the Fréchet distance of two statistics files
 *   moments F N                              FeatureMoments over N random rows of F features, in batches of 50
 *   kid F M                                  the MMD² of one subset pair of M rows of F features
 *   products F R                             an F×F by F×F product, R rounds of: RowDots, EJML's row-major
 *                                            CommonOps_DDRM.mult, EJML's block MatrixOps_DDRB.mult (interleaved, medians)
 *   gpu F N R                                the GPU's square-root trace against the CPU's (bench/gpu/session.sh, stage
 *                                            fid-gpu): see {@link #gpu}
 * </pre>
 */
public final class FidBench {
    private FidBench() { }

    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    public static void main(String[] args) throws Exception {
        Locale.setDefault(Locale.ROOT);
        switch (args.length == 0 ? "" : args[0]) {
            case "fid" -> {
                FeatureStatistics a = StatisticsFile.read(Path.of(args[1])), b = StatisticsFile.read(Path.of(args[2]));
                SqrtTrace.Method m = SqrtTrace.Method.valueOf((args.length > 3 ? args[3] : "auto").toUpperCase(Locale.ROOT));
                long w = System.nanoTime(), c = cpuNanos();
                FrechetDistance.Result r = FrechetDistance.between(a, b, m);
                double wall = (System.nanoTime() - w) / 1e9, cpu = (cpuNanos() - c) / 1e9;
                System.out.printf("RESULT wall=%.3f cpu=%.3f fid=%.17g method=%s factored=%d rank=%d clamped=%d%n",
                        wall, cpu, r.distance(), r.method(), r.factored(), r.rank(), r.clamped());
            }
            case "moments" -> {
                int f = Integer.parseInt(args[1]), n = Integer.parseInt(args[2]), batch = 50;
                SplittableRandom rnd = new SplittableRandom(1);
                float[] rows = new float[batch * f];
                for (int i = 0; i < rows.length; i++) rows[i] = (float) Math.abs(rnd.nextGaussian());
                FeatureMoments mom = new FeatureMoments(f);
                long w = System.nanoTime(), c = cpuNanos();
                for (int done = 0; done < n; done += batch) mom.add(rows, Math.min(batch, n - done));
                double[] cov = mom.covariance();
                double wall = (System.nanoTime() - w) / 1e9, cpu = (cpuNanos() - c) / 1e9;
                System.out.printf("RESULT wall=%.3f cpu=%.3f rows=%d features=%d cov00=%.6g%n", wall, cpu, n, f, cov[0]);
            }
            case "kid" -> {
                int f = Integer.parseInt(args[1]), m = Integer.parseInt(args[2]);
                SplittableRandom rnd = new SplittableRandom(2);
                double[] x = new double[m * f], y = new double[m * f];
                for (int i = 0; i < m * f; i++) {
                    x[i] = (float) Math.abs(rnd.nextGaussian());
                    y[i] = (float) Math.abs(rnd.nextGaussian() * 1.1);
                }
                long w = System.nanoTime(), c = cpuNanos();
                double v = KernelInceptionDistance.mmd2(x, y, m, f);
                double wall = (System.nanoTime() - w) / 1e9, cpu = (cpuNanos() - c) / 1e9;
                System.out.printf("RESULT wall=%.3f cpu=%.3f mmd2=%.10g%n", wall, cpu, v);
            }
            case "products" -> products(Integer.parseInt(args[1]), Integer.parseInt(args[2]));
            case "gpu" -> gpu(Integer.parseInt(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]));
            default -> {
                System.err.println("usage: FidBench fid A.npz B.npz [auto|cholesky|eigen|newton_schulz] | moments F N | kid F M"
                        + " | products F R | gpu F N R");
                System.exit(2);
            }
        }
    }

    /** Times the three ways to multiply two F × F matrices, interleaved, after one untimed warm-up round. */
    private static void products(int f, int rounds) {
        SplittableRandom rnd = new SplittableRandom(3);
        double[] a = new double[f * f], b = new double[f * f];
        for (int i = 0; i < f * f; i++) {
            a[i] = rnd.nextGaussian();
            b[i] = rnd.nextGaussian();
        }
        DMatrixRMaj am = DMatrixRMaj.wrap(f, f, a), bm = DMatrixRMaj.wrap(f, f, b), cm = new DMatrixRMaj(f, f);
        DMatrixRBlock ab = MatrixOps_DDRB.convert(am), bb = MatrixOps_DDRB.convert(bm), cb = new DMatrixRBlock(f, f);
        double[] bt = new double[f * f];                       // RowDots multiplies rows by rows: A Bᵀᵀ
        for (int i = 0; i < f; i++) for (int j = 0; j < f; j++) bt[j * f + i] = b[i * f + j];
        String[] names = {"RowDots", "EJML CommonOps_DDRM.mult", "EJML MatrixOps_DDRB.mult"};
        double[][] wall = new double[3][rounds], cpu = new double[3][rounds];
        double[] c = new double[f * f];
        for (int round = -1; round < rounds; round++) {
            for (int k = 0; k < 3; k++) {
                long w = System.nanoTime(), u = cpuNanos();
                switch (k) {
                    case 0 -> {
                        Arrays.fill(c, 0);
                        RowDots.accumulate(a, f, bt, f, f, c, f, false);
                    }
                    case 1 -> CommonOps_DDRM.mult(am, bm, cm);
                    default -> MatrixOps_DDRB.mult(ab, bb, cb);
                }
                if (round >= 0) {
                    wall[k][round] = (System.nanoTime() - w) / 1e9;
                    cpu[k][round] = (cpuNanos() - u) / 1e9;
                }
            }
        }
        double diff = 0;
        for (int i = 0; i < f * f; i++) diff = Math.max(diff, Math.abs(c[i] - cm.data[i]));
        for (int k = 0; k < 3; k++) {
            System.out.printf("RESULT product=%s f=%d wall=%.3f cpu=%.3f gflops=%.2f%n", names[k].replace(' ', '_'), f, median(wall[k]), median(cpu[k]),
                    2.0 * f * f * f / median(wall[k]) / 1e9);
        }
        System.out.printf("RESULT product_max_abs_difference=%.3g%n", diff);
    }

    /**
     * The FID's square-root trace on the GPU against the CPU, on the same statistics: two sets of N float32 rows of F
     * features (column scales falling from 1 to 1e-3 over the features, so each covariance has a spectrum from ~1 to
     * ~1e-6, plus a common offset of 10), their moments accumulated on the GPU ({@link DeviceMoments}, timed), read back
     * and uploaded again symmetrised; then NEWTON_SCHULZ and EIGEN on the GPU, each one untimed run and R timed ones
     * (wall time of the call, which ends with the result on the host), and the CPU's AUTO once. Prints one JSON line
     * per measurement as soon as it has it ({@code {"bench":"fid-sqrt-trace", ...}}), the relative difference to
     * the CPU's value included; a method that fails prints its error and the others still run.
     */
    private static void gpu(int f, int n, int rounds) {
        try (Backend be = Backends.create("cuda", System.err)) {
            SplittableRandom rnd = new SplittableRandom(11);
            FeatureStatistics[] st = new FeatureStatistics[2];
            for (int side = 0; side < 2; side++) {
                int batch = 256;
                float[] rows = new float[batch * f];
                Tensor t = be.zeros(batch, f);
                try (DeviceMoments dm = new DeviceMoments(be, f)) {
                    be.synchronize();
                    long w = System.nanoTime();
                    for (int done = 0; done < n; done += batch) {
                        int k = Math.min(batch, n - done);
                        for (int i = 0; i < k * f; i++) {
                            int j = i % f;
                            rows[i] = (float) (10 + rnd.nextGaussian() * Math.pow(10, -3.0 * j / f) * (side == 0 ? 1 : 1.1));
                        }
                        be.copyFromHost(rows, t);
                        dm.add(t, k);
                    }
                    st[side] = dm.statistics("bench", "set " + (side + 1));
                    double ms = (System.nanoTime() - w) / 1e6;
                    System.out.printf(Locale.ROOT, "{\"bench\":\"fid-moments\",\"device\":\"%s\",\"f\":%d,\"rows\":%d,\"ms\":%.3f}%n",
                            be.name(), f, n, ms);
                }
                t.close();
            }
            double[] s1 = SqrtTrace.symmetrised(st[0].covariance(), f), s2 = SqrtTrace.symmetrised(st[1].covariance(), f);
            long w = System.nanoTime();
            SqrtTrace.Result cpu = SqrtTrace.compute(s1, s2, f, SqrtTrace.Method.AUTO);
            double cpuMs = (System.nanoTime() - w) / 1e6;
            System.out.printf(Locale.ROOT, "{\"bench\":\"fid-sqrt-trace\",\"device\":\"cpu\",\"method\":\"%s\",\"f\":%d,\"ms\":%.3f,"
                    + "\"value\":%.17g}%n", cpu.method().label(), f, cpuMs, cpu.value());
            try (Tensor t1 = be.upload(s1, f, f); Tensor t2 = be.upload(s2, f, f)) {
                for (SqrtTrace.Method m : new SqrtTrace.Method[] {SqrtTrace.Method.NEWTON_SCHULZ, SqrtTrace.Method.EIGEN}) {
                    try {
                        be.sqrtTrace(t1, t2, m);                      // untimed: first-call costs (handles, JIT)
                        double[] ms = new double[rounds];
                        SqrtTrace.Result r = null;
                        for (int i = 0; i < rounds; i++) {
                            be.synchronize();
                            long t0 = System.nanoTime();
                            r = be.sqrtTrace(t1, t2, m);
                            ms[i] = (System.nanoTime() - t0) / 1e6;
                        }
                        double[] sorted = ms.clone();
                        Arrays.sort(sorted);
                        System.out.printf(Locale.ROOT, "{\"bench\":\"fid-sqrt-trace\",\"device\":\"%s\",\"method\":\"%s\",\"f\":%d,"
                                + "\"ms\":%.3f,\"ms_min\":%.3f,\"rounds\":%d,\"iterations\":%d,\"value\":%.17g,\"rel_to_cpu\":%.3g,"
                                + "\"speedup_vs_cpu\":%.1f}%n", be.name(), m.label(), f, median(ms), sorted[0], rounds, r.iterations(), r.value(),
                                Math.abs(r.value() - cpu.value()) / cpu.value(), cpuMs / median(ms));
                    } catch (RuntimeException e) {
                        System.out.printf(Locale.ROOT, "{\"bench\":\"fid-sqrt-trace\",\"device\":\"%s\",\"method\":\"%s\",\"f\":%d,"
                                + "\"error\":\"%s\"}%n", be.name(), m.label(), f, String.valueOf(e.getMessage()).replace('"', '\'').replace('\n', ' '));
                    }
                }
            }
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
