package dev.sparring.eval.features;

import dev.sparring.backend.cuda.CudaBackend;
import dev.sparring.backend.cuda.CudaRuntime;
import dev.sparring.io.SafeTensors;
import dev.sparring.io.SafeTensorsFile;
import dev.sparring.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;

import java.io.IOException;
import java.net.URISyntaxException;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The FID Inception-v3 on CudaBackend (cuDNN convolutions and batch norm, our pooling, concat and resize kernels) against
 * the golden pool3 of bench/inception: one gray 28 x 28 image, repeated to RGB and resized to 299 x 299 on the device.
 * Skipped (never failed) without a usable GPU. It is left out of the cudasim run of {@code ./build test}: one forward at
 * 299 x 299 (5.7 GMAC through the simulator's double-precision reference convolutions) takes 24 s there, beyond what
 * the suite can spend; it runs where there is a GPU (the default test run, and bench/gpu/session.sh's test-golden stage).
 * On the simulator by hand: {@code ./build test -Dtest=CudaInceptionV3Test -Dsurefire.failIfNoSpecifiedTests=false}
 * (the cudasim execution then runs it: pool3 within 1.7e-7 of the reference).
 */
@EnabledIf(value = "gpuAvailable", disabledReason = "no usable GPU (see CudaRuntime.probe())")
class CudaInceptionV3Test {
    static boolean gpuAvailable() { return CudaRuntime.probe().available(); }

    @Test
    void aGrayImageGivesTheGoldenPool3() throws IOException, URISyntaxException {
        SafeTensorsFile golden = SafeTensors.read(InceptionV3Test.goldenPath());
        float[] x = InceptionV3Test.images(golden, "gray28", true);
        double[] ref = golden.getF64("gray28.pool3");
        try (CudaBackend gpu = new CudaBackend()) {
            long t0 = System.nanoTime();
            InceptionV3 net = InceptionV3.withWeights(gpu, InceptionFormulaWeights::values);
            float[] got;
            try (Tensor t = gpu.upload(x, 1, 1, 28, 28)) {
                got = net.features(t);
            }
            System.out.printf(Locale.ROOT, "CudaInceptionV3Test: one image in %.1f s%n", (System.nanoTime() - t0) / 1e9);
            assertEquals(ref.length, got.length);
            double maxRef = 0, maxDiff = 0;
            for (int j = 0; j < ref.length; j++) {
                maxRef = Math.max(maxRef, Math.abs(ref[j]));
                maxDiff = Math.max(maxDiff, Math.abs(got[j] - ref[j]));
            }
            System.out.printf(Locale.ROOT, "CudaInceptionV3Test: pool3 max|cuda - ref| / max|ref| = %.2g%n", maxDiff / maxRef);
            assertTrue(maxDiff <= InceptionV3Test.TOL * maxRef, "pool3 max|cuda - ref| = " + maxDiff + " of max|ref| " + maxRef);
        }
    }
}
