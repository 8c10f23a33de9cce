package dev.sparring.eval.features;

import dev.sparring.backend.Backend;
import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.backend.cuda.CudaBackend;
import dev.sparring.backend.cuda.CudaRuntime;
import dev.sparring.data.Datasets;
import dev.sparring.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.condition.EnabledIf;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The MNIST classifier on CudaBackend against the CPU twin: the shipped weights give the same features and
 * probabilities, and two training steps (softmax cross-entropy, batch norm, Adam) the same weights. Skipped (never
 * failed) without a usable GPU; runs on the CUDA simulator in every ./build test.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@EnabledIf(value = "gpuAvailable", disabledReason = "no usable GPU (see CudaRuntime.probe())")
class CudaMnistClassifierTest {
    static boolean gpuAvailable() { return CudaRuntime.probe().available(); }

    private CudaBackend gpu;
    private final Backend cpu = new CpuBackend();

    @BeforeAll
    void open() { gpu = new CudaBackend(); }

    @AfterAll
    void close() { if (gpu != null) gpu.close(); }

    private static float[] digits(int from, int n) {
        float[] x = new float[n * 28 * 28];
        for (int k = 0; k < n; k++) MnistClassifierTraining.shifted(Datasets.mnist().pixels(), from + k, 0, 0, x, k);
        return x;
    }

    /** |got - want| <= atol + rtol |want| everywhere. */
    private static void close(String what, float[] want, float[] got, double atol, double rtol) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) {
            double tol = atol + rtol * Math.abs(want[i]);
            if (!(Math.abs(want[i] - got[i]) <= tol)) assertEquals(want[i], got[i], tol, what + "[" + i + "]");
        }
    }

    @Test
    void theShippedClassifierGivesTheCpusFeaturesAndProbabilities() {
        float[] x = digits(8000, 16);
        MnistClassifier onCpu = MnistClassifier.bundled(cpu), onGpu = MnistClassifier.bundled(gpu);
        Tensor xc = cpu.upload(x, 16, 1, 28, 28), xg = gpu.upload(x, 16, 1, 28, 28);
        // convolutions sum ~1000 products in another order (cuDNN's vs im2col + GEMM) through four layers
        close("features", onCpu.features(xc), onGpu.features(xg), 1e-4, 1e-4);
        close("probabilities", onCpu.probabilities(xc), onGpu.probabilities(xg), 1e-5, 1e-4);
    }

    @Test
    void twoTrainingStepsGiveTheCpusWeights() {
        var c = new MnistClassifierTraining.Config(3, 1, 32, 2e-3f, new int[0], 1f, 2, 64, new MnistClassifier.Widths(4, 8, 8, 16));
        var a = MnistClassifierTraining.train(cpu, c, line -> { }).classifier();
        var b = MnistClassifierTraining.train(gpu, c, line -> { }).classifier();
        List<Tensor> wa = a.network().values(), wb = b.network().values();
        // two Adam steps move each weight by about 2 lr; differences in the gradients' last bits stay far below that
        for (int i = 0; i < wa.size(); i++) close("parameter " + i, cpu.download(wa.get(i)), gpu.download(wb.get(i)), 1e-5, 1e-4);
    }
}
