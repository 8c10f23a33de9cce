package dev.sparring.backend.cuda;

import dev.sparring.backend.Backend;
import dev.sparring.backend.BackendException;
import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.eval.FeatureMoments;
import dev.sparring.eval.FeatureStatistics;
import dev.sparring.eval.FrechetDistance;
import dev.sparring.eval.Npz;
import dev.sparring.eval.NpyArray;
import dev.sparring.linalg.SqrtTrace;
import dev.sparring.linalg.SqrtTrace.Method;
import dev.sparring.tensor.DType;
import dev.sparring.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.condition.EnabledIf;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The FID's float64 ops on CudaBackend (kernels/fid.cu, cuBLAS DGEMM, cuSOLVER) against the CPU twin: the streaming
 * moments, and the square-root trace and the FID on the fixtures of bench/fid/make-fixtures.py (small F, so that the
 * simulator takes seconds). Skipped (never failed) without a usable GPU; runs on the CUDA simulator in every
 * ./build test, where cuSOLVER is not simulated (the EIGEN case then checks the error that names it).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@EnabledIf(value = "gpuAvailable", disabledReason = "no usable GPU (see CudaRuntime.probe())")
class CudaFidTest {
    static boolean gpuAvailable() { return CudaRuntime.probe().available(); }

    private CudaBackend gpu;
    private final Backend cpu = new CpuBackend();

    @BeforeAll
    void open() { gpu = new CudaBackend(); }

    @AfterAll
    void close() { if (gpu != null) gpu.close(); }

    private static Map<String, NpyArray> fixture(String name) {
        try {
            return Npz.read(Path.of(CudaFidTest.class.getResource("/dev/sparring/eval/" + name + ".npz").toURI()));
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static FeatureStatistics stats(Map<String, NpyArray> fx, int side, String name) {
        NpyArray mu = fx.get("mu" + side);
        return new FeatureStatistics((int) mu.shape()[0], (long) fx.get("n" + side).toDoubles("n")[0], mu.toDoubles("mu"),
                fx.get("sigma" + side).toDoubles("sigma"), "", name + " side " + side);
    }

    private static double rel(double a, double b) { return Math.abs(a - b) / Math.abs(b); }

    @Test
    void float64TensorsTravelExactly() {
        double[] v = {Math.PI, -1e-300, 1e300, 0x1p-1074, -0.0, 1.0 / 3};
        Tensor t = gpu.upload(v, 2, 3);
        assertEquals(DType.F64, t.dtype());
        assertArrayEquals(v, gpu.downloadDoubles(t));
        assertEquals((float) Math.PI, gpu.download(t)[0]);
        Tensor z = gpu.zeros(DType.F64, 5);
        assertArrayEquals(new double[5], gpu.downloadDoubles(z));
        Tensor c = gpu.zeros(DType.F64, 2, 3);
        gpu.copy(t, c);
        assertArrayEquals(v, gpu.downloadDoubles(c));
        assertThrows(IllegalArgumentException.class, () -> gpu.downloadDoubles(gpu.zeros(3)));
    }

    /**
     * Rows with a large common offset (1e3, spread about 1) in batches that cut blocks of 256 in several places: the
     * mean and M₂ agree with the CPU twin within 1e-12 of the spread (the block scatter summed by DGEMM in another
     * order; the merge terms are the same operations), and the CPU twin with eval.FeatureMoments fed the same rows.
     */
    @Test
    void momentsMatchTheCpuTwin() {
        int f = 24;
        int[] batches = {700, 1, 300, 37};      // the last is folded from a tensor of 50 rows (a partial batch)
        SplittableRandom r = new SplittableRandom(5);
        Tensor gm = gpu.zeros(DType.F64, f), gs = gpu.zeros(DType.F64, f, f);
        Tensor cm = cpu.zeros(DType.F64, f), cs = cpu.zeros(DType.F64, f, f);
        FeatureMoments reference = new FeatureMoments(f);
        long count = 0;
        for (int n : batches) {
            int rows = n == 37 ? 50 : n;
            float[] x = new float[rows * f];
            for (int i = 0; i < x.length; i++) x[i] = (float) (1000 + (i % f) + r.nextGaussian() * (1 + (i % f) / 8.0));
            Tensor g = gpu.upload(x, rows, f), c = cpu.upload(x, rows, f);
            gpu.featureMoments(gm, gs, count, g, n);
            cpu.featureMoments(cm, cs, count, c, n);
            reference.add(x, n);
            count += n;
        }
        double[] gMean = gpu.downloadDoubles(gm), cMean = cpu.downloadDoubles(cm), gM2 = gpu.downloadDoubles(gs), cM2 = cpu.downloadDoubles(cs);
        double[] refMean = reference.mean(), refCov = reference.covariance();
        double worstMean = 0, worstM2 = 0;
        for (int i = 0; i < f; i++) {
            double sd = Math.sqrt(cM2[i * f + i] / (count - 1));
            worstMean = Math.max(worstMean, Math.abs(gMean[i] - cMean[i]) / sd);
            // other block boundaries (FeatureMoments fills blocks across batches): round-off of the mean, 1e-16 of 1000
            assertEquals(refMean[i], cMean[i], 1e-15 * Math.abs(refMean[i]) + 1e-13 * sd, "CPU twin vs FeatureMoments, mean " + i);
            for (int j = i; j < f; j++) {
                double scale = Math.sqrt(cM2[i * f + i] * cM2[j * f + j]);
                worstM2 = Math.max(worstM2, Math.abs(gM2[i * f + j] - cM2[i * f + j]) / scale);
                assertEquals(refCov[i * f + j], cM2[i * f + j] / (count - 1), 1e-12 * scale / (count - 1), "CPU twin vs FeatureMoments, m2");
            }
        }
        System.out.printf("moments, %d rows of %d: GPU vs CPU twin, mean %.2g sd, M2 %.2g of sqrt(M2_ii M2_jj)%n", count, f, worstMean, worstM2);
        assertTrue(worstMean < 1e-12, "mean differs by " + worstMean + " standard deviations");
        assertTrue(worstM2 < 1e-12, "M2 differs by " + worstM2);
    }

    /** A NaN feature: the CPU twin refuses it, the GPU (which cannot throw) makes the mean NaN. */
    @Test
    void nonFiniteRowsPoisonTheMean() {
        int f = 3;
        float[] x = {1, 2, 3, 4, Float.NaN, 6};
        Tensor gm = gpu.zeros(DType.F64, f), gs = gpu.zeros(DType.F64, f, f);
        gpu.featureMoments(gm, gs, 0, gpu.upload(x, 2, f), 2);
        assertTrue(Double.isNaN(gpu.downloadDoubles(gm)[1]));
        assertThrows(dev.sparring.UserError.class, () -> cpu.featureMoments(cpu.zeros(DType.F64, f), cpu.zeros(DType.F64, f, f), 0, cpu.upload(x, 2, f), 2));
    }

    /**
     * Newton–Schulz on the GPU against the CPU: within 1e-9 of the CPU's exact trace (Cholesky, EJML) and of its FID on
     * the full-rank and near-singular fixtures (measured on the simulator: 3e-16 and 4e-10 for the trace, 7e-16 and 5e-10
     * for the FID; docs/metrics.md); on the
     * rank-deficient one, whose trace is defined only to ~1e-9, within 1e-8 of the 40-digit reference (simulator:
     * 1.1e-9). On the first two the CPU twin of the same iteration stops within a few iterations of the GPU's.
     */
    @Test
    void newtonSchulzMatchesTheCpuOnTheFixtures() {
        for (String name : new String[] {"fid-full-rank", "fid-near-singular", "fid-rank-deficient"}) {
            Map<String, NpyArray> fx = fixture(name);
            FeatureStatistics a = stats(fx, 1, name), b = stats(fx, 2, name);
            int f = a.features();
            double[] s1 = SqrtTrace.symmetrised(a.covariance(), f), s2 = SqrtTrace.symmetrised(b.covariance(), f);
            SqrtTrace.Result g = gpu.sqrtTrace(gpu.upload(s1, f, f), gpu.upload(s2, f, f), Method.AUTO);
            SqrtTrace.Result twin = cpu.sqrtTrace(cpu.upload(s1, f, f), cpu.upload(s2, f, f), Method.NEWTON_SCHULZ);
            SqrtTrace.Result exact = cpu.sqrtTrace(cpu.upload(s1, f, f), cpu.upload(s2, f, f), Method.AUTO);
            double reference = fx.get("trace_sqrt_mpmath").toDoubles("t")[0];
            FrechetDistance.Result fid = FrechetDistance.between(gpu, a, b, Method.AUTO);
            FrechetDistance.Result cpuFid = FrechetDistance.between(a, b);
            System.out.printf("%s: GPU Newton-Schulz %.17g (%d iterations, %d falls), CPU twin %.17g (%d, %d), CPU %s %.17g;"
                    + " GPU vs CPU %.2g, vs mpmath %.2g; FID %.2g%n", name, g.value(), g.iterations(), g.clamped(), twin.value(),
                    twin.iterations(), twin.clamped(), exact.method(), exact.value(), rel(g.value(), exact.value()),
                    rel(g.value(), reference), rel(fid.distance(), cpuFid.distance()));
            assertEquals(Method.NEWTON_SCHULZ, g.method());
            assertEquals(Method.NEWTON_SCHULZ, fid.method());
            assertEquals("cuda", fid.backend());
            if (name.equals("fid-rank-deficient")) {
                // where a run stops on the falling trace of a diverging negative round-off eigenvalue is round-off's
                // choice (simulator: 62 iterations against the twin's 74)
                assertTrue(rel(g.value(), reference) < 1e-8, name + ": " + g.value() + " vs " + reference);
            } else {
                assertTrue(Math.abs(g.iterations() - twin.iterations()) <= 4, name + ": " + g.iterations() + " vs " + twin.iterations() + " iterations");
                assertTrue(rel(g.value(), exact.value()) < 1e-9, name + ": " + g.value() + " vs " + exact.value());
                assertTrue(rel(fid.distance(), cpuFid.distance()) < 1e-9, name + ": FID " + fid.distance() + " vs " + cpuFid.distance());
            }
        }
    }

    /** EIGEN: with cuSOLVER, the CPU's EIGEN within 1e-11 (both exact methods); without, an error that names it. */
    @Test
    void eigenUsesCusolverOrSaysItIsMissing() {
        Map<String, NpyArray> fx = fixture("fid-near-singular");
        FeatureStatistics a = stats(fx, 1, "a"), b = stats(fx, 2, "b");
        int f = a.features();
        double[] s1 = SqrtTrace.symmetrised(a.covariance(), f), s2 = SqrtTrace.symmetrised(b.covariance(), f);
        Tensor t1 = gpu.upload(s1, f, f), t2 = gpu.upload(s2, f, f);
        if (!NativeLibraries.locate(NativeLibraries.CUSOLVER).found()) {
            BackendException e = assertThrows(BackendException.class, () -> gpu.sqrtTrace(t1, t2, Method.EIGEN));
            assertTrue(e.getMessage().contains("needs cuSOLVER") && e.getMessage().contains("SPARRING_LIBCUSOLVER"), e.getMessage());
            return;
        }
        SqrtTrace.Result g = gpu.sqrtTrace(t1, t2, Method.EIGEN);
        SqrtTrace.Result c = SqrtTrace.compute(s1, s2, f, Method.EIGEN);
        System.out.printf("EIGEN: GPU %.17g (rank %d, %d clamped), CPU %.17g (rank %d, %d clamped)%n", g.value(), g.rank(), g.clamped(),
                c.value(), c.rank(), c.clamped());
        assertEquals(Method.EIGEN, g.method());
        assertEquals(c.rank(), g.rank());
        assertTrue(rel(g.value(), c.value()) < 1e-11, g.value() + " vs " + c.value());
    }
}
