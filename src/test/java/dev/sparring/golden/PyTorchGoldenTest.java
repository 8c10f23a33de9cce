package dev.sparring.golden;

import dev.sparring.backend.Backend;
import dev.sparring.backend.CompiledLoss;
import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.backend.cuda.CudaBackend;
import dev.sparring.backend.cuda.CudaRuntime;
import dev.sparring.gan.Dcgan;
import dev.sparring.gan.loss.GanLoss;
import dev.sparring.io.Json;
import dev.sparring.io.SafeTensors;
import dev.sparring.io.SafeTensorsFile;
import dev.sparring.nn.Network;
import dev.sparring.nn.Parameter;
import dev.sparring.nn.Pass;
import dev.sparring.optim.Optimizer;
import dev.sparring.random.NoiseStream;
import dev.sparring.tensor.Tensor;
import dev.sparring.train.Checkpoint;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Sparring against PyTorch, tensor by tensor: the golden file written by bench/pytorch/golden.py holds a small DCGAN
 * (PyTorch's example at 32 px, our state_dict names), its inputs, D's outputs, every parameter gradient of the first
 * critic and generator step, the losses of a few Adam steps and the final weights, all computed by PyTorch in float64.
 * We load the same initial weights, feed the same inputs, run the steps as {@code Trainer.step()} runs them
 * (alternating, non-saturating loss, Adam(2e-4, 0.5, 0.999)) and compare every tensor with
 * {@code |ours - ref| <= atol + rtol |ref|}, the tolerance chosen per tensor with its reason; atol is relative to the
 * largest |ref| of the tensor, since every value is a float32 sum whose rounding error scales with the sum's terms.
 *
 * <p>The file is {@code src/test/resources/dev/sparring/golden/dcgan32.safetensors}, or the path in the system property
 * {@code sparring.golden} or the environment variable {@code SPARRING_GOLDEN} (the GPU session checks a freshly
 * generated file that way). Without a file the test is skipped. The CUDA case runs where {@link CudaRuntime#probe()}
 * finds a GPU.
 */
class PyTorchGoldenTest {
    static final String RESOURCE = "/dev/sparring/golden/dcgan32.safetensors";

    /** atol as a fraction of max |ref| of the tensor, plus rtol |ref|, and why. */
    record Tol(double atolOfMax, double rtol, String why) {
        Tol times(double k, String because) { return new Tol(atolOfMax * k, rtol * k, why + "; x" + (int) k + ": " + because); }
    }

    // Measured on the CPU backend against the float64 reference (torch 1.13, 2026-11): forward <= 1.4e-6 of max,
    // gradients <= 5e-7 of max, losses 1 ulp, weights and statistics after 3 steps <= 1e-6 of max. The tolerances
    // leave a factor of about 15.
    static final Tol FORWARD = new Tol(2e-5, 1e-5, "float32 convolutions (sums of up to C*R*S = 256 products) and batch "
            + "norm through 4 layers, against float64");
    static final Tol GRADIENT = new Tol(1e-5, 1e-5, "float32 backward through 4 layers: sums over the batch and the "
            + "feature map (up to B*P*Q = 2048 terms) in another order than float64 PyTorch");
    static final Tol LOSS = new Tol(0, 2e-6, "one float32 mean of softplus over the batch; the logits carry ~1e-6 relative error");
    static final Tol AFTER_ADAM = new Tol(2e-5, 1e-5, "weights after 3 Adam steps: each step moves an element by about "
            + "lr * m / sqrt(v), which float32 gradients reproduce to their own relative error");
    static final Tol RUNNING_STATS = new Tol(2e-5, 1e-5, "batch means and variances of float32 activations, "
            + "blended with momentum 0.1");
    /** The GPU's factor over the CPU's tolerances. */
    static final double CUDA_FACTOR = 10;
    static final String CUDA_WHY = "cuDNN may pick Winograd or FFT convolution algorithms, whose float32 error is "
            + "several times that of a direct sum";

    /** The learning rate of both Adams, as golden.py sets it. */
    static final double LR = 2e-4;

    static Path goldenFile() throws IOException {
        String p = System.getProperty("sparring.golden", System.getenv("SPARRING_GOLDEN"));
        if (p != null && !p.isBlank()) {
            Path file = Path.of(p);
            if (!Files.isRegularFile(file)) throw new IOException("sparring.golden / SPARRING_GOLDEN = " + p + " is not a file");
            return file;
        }
        URL url = PyTorchGoldenTest.class.getResource(RESOURCE);
        if (url == null) return null;
        if (url.getProtocol().equals("file")) {
            try {
                return Path.of(url.toURI());
            } catch (URISyntaxException e) {
                throw new IOException(e);
            }
        }
        Path tmp = Files.createTempFile("dcgan32", ".safetensors");   // inside a jar: copy it out
        tmp.toFile().deleteOnExit();
        try (InputStream in = url.openStream()) {
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
        }
        return tmp;
    }

    /** Collects the comparison of every tensor; fails once at the end with every mismatching tensor. */
    static final class Report {
        final List<String> failures = new ArrayList<>();
        final StringBuilder table = new StringBuilder();

        /** {@code loose}: per-element bounds that replace the tolerance where larger (null: none). */
        void check(String name, float[] ours, float[] ref, Tol tol, double[] loose) {
            if (ours.length != ref.length) {
                failures.add(name + ": " + ours.length + " values, reference has " + ref.length);
                return;
            }
            double scale = 0;
            for (float r : ref) scale = Math.max(scale, Math.abs(r));
            double atol = tol.atolOfMax() * scale;
            double maxDiff = 0, maxRel = 0;
            int bad = 0;
            StringBuilder first = new StringBuilder();
            for (int i = 0; i < ref.length; i++) {
                double d = Math.abs((double) ours[i] - ref[i]);
                if (Double.isNaN(d)) d = Double.POSITIVE_INFINITY;
                maxDiff = Math.max(maxDiff, d);
                if (scale > 0) maxRel = Math.max(maxRel, d / scale);
                double bound = atol + tol.rtol() * Math.abs(ref[i]);
                if (loose != null) bound = Math.max(bound, loose[i]);
                if (!(d <= bound)) {
                    if (++bad <= 5) first.append(String.format(Locale.ROOT, "%n    [%d] ours %.9g ref %.9g (diff %.3g)", i, ours[i], ref[i], d));
                }
            }
            table.append(String.format(Locale.ROOT, "%n  %-34s %7d  max|ref| %.3e  max diff %.3e (%.2e of max)%s", name, ref.length,
                    scale, maxDiff, maxRel, bad == 0 ? "" : "  " + bad + " OUTSIDE"));
            if (bad > 0) {
                failures.add(String.format(Locale.ROOT, "%s: %d of %d outside %.2e * max|ref| + %.1e |ref| (%s); max diff %.3g; first:%s",
                        name, bad, ref.length, tol.atolOfMax(), tol.rtol(), tol.why(), maxDiff, first));
            }
        }

        void check(String name, double ours, double ref, Tol tol) {
            check(name, new float[] {(float) ours}, new float[] {(float) ref}, tol, null);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"cpu", "cuda"})
    void smallDcganTrainsAsPyTorchDoes(String device) throws IOException {
        Path file = goldenFile();
        assumeTrue(file != null, "no golden file " + RESOURCE + ": run bench/pytorch/golden.py (needs torch) to write it");
        if (device.equals("cuda")) {
            CudaRuntime.Status st = CudaRuntime.probe();
            assumeTrue(st.available(), () -> "no usable GPU: " + st.reason());
        }
        SafeTensorsFile f = SafeTensors.read(file);
        assertEquals("sparring-golden/1", f.metadata().get("format"), file + ": not a golden file of this format");
        Map<String, Object> cfg = Json.parseObject(f.metadata().get("config"), file + " (config)");
        int size = num(cfg, "image_size"), c = num(cfg, "channels"), nz = num(cfg, "nz"), b = num(cfg, "batch"), steps = num(cfg, "steps");
        assertEquals(List.of("nsgan", "adam", 2e-4, 0.5, 0.999, 1e-8),
                List.of(cfg.get("loss"), cfg.get("optimizer"), cfg.get("lr"), cfg.get("beta1"), cfg.get("beta2"), cfg.get("eps")),
                "the golden file was written for other training settings than the ones this test runs");

        try (Backend be = device.equals("cuda") ? new CudaBackend() : new CpuBackend()) {
            Dcgan.Config dc = new Dcgan.Config(size, c, nz, num(cfg, "ngf"), num(cfg, "ndf"));
            Network g = Dcgan.generator(be, dc, NoiseStream.derive(0, "init"));
            Network d = Dcgan.discriminator(be, dc, NoiseStream.derive(0, "init"));
            Checkpoint.loadNetwork(f, be, "G.", g);       // PyTorch's state_dict names load as they are
            Checkpoint.loadNetwork(f, be, "D.", d);
            Optimizer optG = Optimizer.create(Optimizer.Kind.ADAM, g, 2e-4f, 0.5f, 0.999f);
            Optimizer optD = Optimizer.create(Optimizer.Kind.ADAM, d, 2e-4f, 0.5f, 0.999f);
            CompiledLoss compiled = GanLoss.parse("nsgan").compiled();
            boolean gpu = device.equals("cuda");
            Tol forward = gpu ? FORWARD.times(CUDA_FACTOR, CUDA_WHY) : FORWARD, gradient = gpu ? GRADIENT.times(CUDA_FACTOR, CUDA_WHY) : GRADIENT;
            Tol loss = gpu ? LOSS.times(CUDA_FACTOR, CUDA_WHY) : LOSS, afterAdam = gpu ? AFTER_ADAM.times(CUDA_FACTOR, CUDA_WHY) : AFTER_ADAM;
            Tol stats = gpu ? RUNNING_STATS.times(CUDA_FACTOR, CUDA_WHY) : RUNNING_STATS;
            Report rep = new Report();
            double[] lossD = f.getF64("loss.d"), lossG = f.getF64("loss.g");
            try (Tensor dtReal = be.zeros(b); Tensor dtFake = be.zeros(b); Tensor dtGen = be.zeros(b); Tensor lossStats = be.zeros(16)) {
                for (int k = 0; k < steps; k++) {
                    String s = "step" + k + ".";
                    try (Tensor z = be.upload(f.getF32(s + "z", b, nz, 1, 1), b, nz, 1, 1);                  // (B, nz, 1, 1)
                         Tensor xReal = be.upload(f.getF32(s + "x_real", b, c, size, size), b, c, size, size)) { // (B, C, S, S)
                        // critic step, as Trainer.criticStep
                        Tensor xFake = g.forward(z, Pass.TRAIN);                                              // (B, C, S, S)
                        if (k == 0) rep.check("step0.x_fake", be.download(xFake), f.getF32("step0.x_fake"), forward, null);
                        d.zeroGrad();
                        Tensor tReal = d.forward(xReal, Pass.REAL);                                           // (B)
                        if (k == 0) rep.check("step0.t_real", be.download(tReal), f.getF32("step0.t_real"), forward, null);
                        Tensor tFake = d.forward(xFake, Pass.FAKE);                                           // (B)
                        if (k == 0) rep.check("step0.t_fake", be.download(tFake), f.getF32("step0.t_fake"), forward, null);
                        be.criticLoss(compiled, dtReal, dtFake, tReal, tFake, lossStats, 0);
                        d.backward(dtReal, Pass.REAL, false, true);
                        d.backward(dtFake, Pass.FAKE, false, true);
                        if (k == 0) checkGrads(rep, be, "step0.grad.D.", d, f, gradient);
                        optD.step();
                        // generator step, as Trainer.generatorStep: the same x_fake through the updated critic
                        g.zeroGrad();
                        Tensor tGen = d.forward(xFake, Pass.FAKE);                                            // (B)
                        if (k == 0) rep.check("step0.t_gen", be.download(tGen), f.getF32("step0.t_gen"), forward, null);
                        be.generatorLoss(compiled, dtGen, tGen, lossStats, 5);
                        Tensor dx = d.backward(dtGen, Pass.FAKE, true, false);                                // (B, C, S, S)
                        g.backward(dx, Pass.TRAIN, false, true);
                        if (k == 0) checkGrads(rep, be, "step0.grad.G.", g, f, gradient);
                        optG.step();
                        float[] st = be.download(lossStats);
                        rep.check("loss.d[" + k + "]", st[0], lossD[k], loss);
                        rep.check("loss.g[" + k + "]", st[5], lossG[k], loss);
                    }
                }
            }
            checkState(rep, be, "G.", g, f, afterAdam, gradient, stats, steps);
            checkState(rep, be, "D.", d, f, afterAdam, gradient, stats, steps);
            System.out.println("PyTorchGoldenTest on " + be.description() + " against " + file + " (" + cfg.get("dtype") + ", torch "
                    + cfg.get("torch") + "):" + rep.table);
            assertTrue(rep.failures.isEmpty(), String.join("\n", rep.failures));
        }
    }

    private static void checkGrads(Report rep, Backend be, String prefix, Network net, SafeTensorsFile f, Tol tol) {
        for (Map.Entry<String, Parameter> e : net.namedParameters().entrySet()) {
            String name = prefix + e.getKey();
            rep.check(name, be.download(e.getValue().grad()), f.getF32(name, e.getValue().grad().shape()), tol, null);
        }
    }

    /**
     * The final state. Parameters: where PyTorch's first gradient of an element is itself within the gradient tolerance
     * of zero, float32 rounding may give it the other sign, and Adam's first step (about lr * sign(g)) then moves it the
     * other way: such elements may differ by up to 2 lr per step.
     */
    private static void checkState(Report rep, Backend be, String net, Network n, SafeTensorsFile f, Tol tol, Tol gradTol,
                                   Tol statsTol, int steps) {
        for (Map.Entry<String, Parameter> e : n.namedParameters().entrySet()) {
            int[] shape = e.getValue().value().shape();
            float[] g0 = f.getF32("step0.grad." + net + e.getKey(), shape);
            double g0Max = 0;
            for (float v : g0) g0Max = Math.max(g0Max, Math.abs(v));
            double[] loose = new double[g0.length];
            for (int i = 0; i < g0.length; i++) {
                boolean signUnsure = Math.abs(g0[i]) <= gradTol.atolOfMax() * g0Max + gradTol.rtol() * Math.abs(g0[i]);
                loose[i] = signUnsure ? 2 * LR * steps : 0;
            }
            String name = "final." + net + e.getKey();
            rep.check(name, be.download(e.getValue().value()), f.getF32(name, shape), tol, loose);
        }
        for (Map.Entry<String, Tensor> e : n.namedBuffers().entrySet()) {
            String name = "final." + net + e.getKey();
            rep.check(name, be.download(e.getValue()), f.getF32(name, e.getValue().shape()), statsTol, null);
        }
        for (Map.Entry<String, Long> e : n.counters().entrySet()) {
            String name = "final." + net + e.getKey();
            long ref = f.getI64(name)[0];
            if (ref != e.getValue()) rep.failures.add(name + ": " + e.getValue() + ", PyTorch counted " + ref);
        }
    }

    private static int num(Map<String, Object> cfg, String key) {
        Object v = cfg.get(key);
        if (!(v instanceof Number n)) throw new IllegalArgumentException("golden config lacks the number '" + key + "': " + cfg);
        return n.intValue();
    }
}
