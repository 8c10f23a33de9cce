package dev.sparring.bench;

import dev.sparring.backend.Backend;
import dev.sparring.backend.Backends;
import dev.sparring.eval.features.InceptionFormulaWeights;
import dev.sparring.eval.features.InceptionV3;
import dev.sparring.io.SafeTensors;
import dev.sparring.io.SafeTensorsFile;
import dev.sparring.nn.Concat;
import dev.sparring.nn.Conv2d;
import dev.sparring.nn.Layer;
import dev.sparring.nn.Sequential;
import dev.sparring.tensor.Tensor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The FID Inception-v3's forward speed (bench/inception/bench.sh): images per second through {@link InceptionV3#features}
 * on one backend, under bench/inception's formula weights (the speed does not depend on the values).
 *
 * <pre>
 *   java -cp target/sparring.jar dev.sparring.bench.InceptionBench [DEVICE [BATCH [ROUNDS [SIDE [GOLDEN]]]]]
 *   defaults: cpu, 32, 5, 64 (3 x SIDE x SIDE input images, resized to 299 by the network),
 *             GOLDEN = src/test/resources/dev/sparring/golden/inception-fid.safetensors
 * </pre>
 *
 * First it checks the network against the golden file (the 3 rgb32 images' pool3 within 1e-4 of their largest, as
 * InceptionV3Test does) and refuses to time a network that fails it; then one untimed batch (the JIT's warm-up and
 * the buffers' allocation) and ROUNDS timed batches of BATCH images (one chunk). Prints the figures and one line
 * {@code RESULT key=value ...}: the median and best images/s, GFLOP/s (2 x the convolutions' multiply-adds), the
 * activation memory per image, the load average before and after.
 */
public final class InceptionBench {
    private InceptionBench() { }

    public static void main(String[] args) throws Exception {
        Locale.setDefault(Locale.ROOT);
        String device = args.length > 0 ? args[0] : "cpu";
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : 32;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        int side = args.length > 3 ? Integer.parseInt(args[3]) : 64;
        Path golden = Path.of(args.length > 4 ? args[4] : "src/test/resources/dev/sparring/golden/inception-fid.safetensors");
        String loadBefore = Machine.loadAverage();
        try (Backend be = Backends.create(device, System.err)) {
            InceptionV3 net = InceptionV3.withWeights(be, InceptionFormulaWeights::values, batch);
            double macs = macs(net.network().root(), new int[] {1, 3, InceptionV3.SIZE, InceptionV3.SIZE});
            long activations = net.outputFloatsPerImage();
            System.out.printf("Inception-v3 on %s: %.3f GMAC per image, %.0f MB of layer outputs per image%n",
                    be.description(), macs / 1e9, activations * 4 / 1e6);

            double deviation = validate(be, net, golden);
            System.out.printf("validated: the golden rgb32 pool3 within %.2g of its largest (tolerance 1e-4)%n", deviation);

            float[] x = new float[batch * 3 * side * side];
            SplittableRandom rnd = new SplittableRandom(1);
            for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
            double[] perSecond = new double[rounds];
            try (Tensor images = be.upload(x, batch, 3, side, side)) {
                net.features(images);                                   // warm-up: JIT, buffers, cuDNN's search
                for (int r = 0; r < rounds; r++) {
                    long t0 = System.nanoTime();
                    net.features(images);                               // features() downloads: the work is done
                    double s = (System.nanoTime() - t0) / 1e9;
                    perSecond[r] = batch / s;
                    System.out.printf("round %d: %d images in %.2f s, %.2f images/s%n", r + 1, batch, s, perSecond[r]);
                }
            }
            double[] sorted = perSecond.clone();
            Arrays.sort(sorted);
            double median = sorted[rounds / 2], best = sorted[rounds - 1];
            System.out.printf("RESULT device=%s batch=%d rounds=%d side=%d median_img_per_s=%.3f best_img_per_s=%.3f gflops_median=%.1f "
                            + "gmac_per_image=%.3f activation_mb_per_image=%.0f golden_deviation=%.2g cpu=\"%s\" threads=%d load_before=\"%s\" load_after=\"%s\"%n",
                    device, batch, rounds, side, median, best, 2 * macs * median / 1e9, macs / 1e9, activations * 4 / 1e6, deviation,
                    Machine.cpu(), Runtime.getRuntime().availableProcessors(), loadBefore, Machine.loadAverage());
        }
    }

    /** max over the golden rgb32 images of max|ours - ref| / max|ref|; exits when over 1e-4 or the file is missing. */
    private static double validate(Backend be, InceptionV3 net, Path golden) throws Exception {
        if (!Files.isRegularFile(golden)) {
            System.err.println("InceptionBench: " + golden + " not found; run it from the repository root or pass the golden file");
            System.exit(2);
        }
        SafeTensorsFile g = SafeTensors.read(golden);
        byte[] px = g.getU8("rgb32.images");
        int[] s = g.shape("rgb32.images");
        float[] x = new float[px.length];
        for (int i = 0; i < x.length; i++) x[i] = (px[i] & 0xFF) / 127.5f - 1f;
        double[] ref = g.getF64("rgb32.pool3");
        float[] got;
        try (Tensor t = be.upload(x, s)) {
            got = net.features(t);
        }
        double worst = 0;
        for (int i = 0; i < s[0]; i++) {
            double maxRef = 0, maxDiff = 0;
            for (int j = i * InceptionV3.FEATURES; j < (i + 1) * InceptionV3.FEATURES; j++) {
                maxRef = Math.max(maxRef, Math.abs(ref[j]));
                maxDiff = Math.max(maxDiff, Math.abs(got[j] - ref[j]));
            }
            worst = Math.max(worst, maxDiff / maxRef);
        }
        if (!(worst <= 1e-4)) {
            System.err.printf("InceptionBench: pool3 departs from the golden file by %.3g of its largest (tolerance 1e-4); not timing a wrong network%n", worst);
            System.exit(1);
        }
        return worst;
    }

    /** Multiply-adds of the convolutions for input shape {@code s}, walking Sequential and Concat. */
    static double macs(Layer l, int[] s) {
        return switch (l) {
            case Sequential q -> {
                double m = 0;
                int[] t = s;
                for (Layer c : q.layers()) {
                    m += macs(c, t);
                    t = c.outputShape(t);
                }
                yield m;
            }
            case Concat c -> c.branches().stream().mapToDouble(b -> macs(b, s)).sum();
            case Conv2d c -> {
                int[] o = c.outputShape(s);
                yield (double) o[0] * o[1] * o[2] * o[3] * c.in * c.kernelH * c.kernelW;
            }
            default -> 0;
        };
    }
}
