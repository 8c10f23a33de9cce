import dev.sparring.backend.Activation;
import dev.sparring.backend.Backend;
import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.tensor.Tensor;

import java.util.Arrays;
import java.util.Locale;

/**
 * What one short parallel loop of the CPU backend costs: {@code java -cp JAR ParallelCallCost.java [CALLS]} times CALLS
 * calls (default 20000, after as many to warm up) of three ops whose work is small beside a hand-off to other threads,
 * each a parallel loop of several chunks at 2 threads: addBias on (32, 64, 1, 1) (2048 adds in 8 chunks), LeakyReLU on
 * (32, 64, 7, 7) (100352 floats, 6 chunks) and batch norm training on (32, 64, 7, 7) (64 channels, 8 chunks). Prints
 * the minimum, the 10th percentile and the median in microseconds, one line per op. Each op is checked first against
 * the same op on one thread's plain loop, so that a broken loop is not timed. bench/cpu-profile/parallel-calls.sh
 * runs it on two jars, interleaved.
 */
public class ParallelCallCost {
    interface Op { void run(); }

    public static void main(String[] args) {
        Locale.setDefault(Locale.ROOT);
        int calls = args.length > 0 ? Integer.parseInt(args[0]) : 20000;
        Backend be = new CpuBackend();
        float[] xs = new float[32 * 64 * 49];
        for (int i = 0; i < xs.length; i++) xs[i] = (float) Math.sin(i * 0.37) * 3f;
        Tensor y1 = be.zeros(32, 64, 1, 1), b = be.upload(sequence(64), 64);
        Tensor x = be.upload(xs, 32, 64, 7, 7), y = be.zeros(32, 64, 7, 7);
        Tensor gamma = be.upload(sequence(64), 64), beta = be.upload(sequence(64), 64), rm = be.zeros(64), rv = be.zeros(64);
        Tensor sm = be.zeros(64), si = be.zeros(64);

        // check: bias added once to zeros, LeakyReLU and batch norm's mean against plain loops
        be.addBias(y1, b);
        float[] got = be.download(y1);
        for (int i = 0; i < got.length; i++) if (got[i] != (i % 64) * 0.01f) throw new AssertionError("addBias: element " + i + " is " + got[i]);
        be.activationForward(Activation.LEAKY_RELU, 0.2, y, x);
        got = be.download(y);
        for (int i = 0; i < xs.length; i++) if (got[i] != (xs[i] > 0 ? xs[i] : 0.2f * xs[i])) throw new AssertionError("LeakyReLU: element " + i);
        be.batchNormTrain(y, sm, si, x, gamma, beta, rm, rv, 0.1, 1e-5);
        got = be.download(sm);
        for (int c = 0; c < 64; c++) {
            double s = 0;
            for (int n = 0; n < 32; n++) for (int j = 0; j < 49; j++) s += xs[(n * 64 + c) * 49 + j];
            if (got[c] != (float) (s / (32 * 49))) throw new AssertionError("batchNormTrain: mean of channel " + c);
        }

        time("addBias (32,64,1,1)", calls, () -> be.addBias(y1, b));
        time("leakyRelu (32,64,7,7)", calls, () -> be.activationForward(Activation.LEAKY_RELU, 0.2, y, x));
        time("batchNormTrain (32,64,7,7)", calls, () -> be.batchNormTrain(y, sm, si, x, gamma, beta, rm, rv, 0.1, 1e-5));
    }

    private static float[] sequence(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = i * 0.01f;
        return a;
    }

    private static void time(String name, int calls, Op op) {
        for (int i = 0; i < calls; i++) op.run();
        long[] ns = new long[calls];
        for (int i = 0; i < calls; i++) {
            long t0 = System.nanoTime();
            op.run();
            ns[i] = System.nanoTime() - t0;
        }
        Arrays.sort(ns);
        System.out.printf("%-28s min %8.2f us  p10 %8.2f us  median %8.2f us%n", name, ns[0] / 1e3, ns[calls / 10] / 1e3, ns[calls / 2] / 1e3);
    }
}
