package dev.sparring.cli;

import dev.sparring.backend.Backend;
import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.data.ImageFolder;
import dev.sparring.data.ImageDataset;
import dev.sparring.gan.Dcgan;
import dev.sparring.gan.loss.GanLoss;
import dev.sparring.io.SafeTensorsFile;
import dev.sparring.linalg.Eigenvalues;
import dev.sparring.linalg.Eigenvalues.Eigenvalue;
import dev.sparring.nn.Network;
import dev.sparring.random.NoiseStream;
import dev.sparring.tensor.Tensor;
import dev.sparring.train.Checkpoint;
import dev.sparring.train.GameJacobian;
import dev.sparring.train.TrainConfig;
import dev.sparring.train.TrainLoss;
import dev.sparring.train.TrainingRun;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code sparring numerics --checkpoint RUN --eigs K} on tiny DCGAN runs (28 px, one feature map per layer, two classes
 * of noise images): with as many Arnoldi steps as parameters, the printed eigenvalues are the largest of the dense Jᵀ
 * built here column by column (Jᵀe_i) on the batch the command's help describes, rebuilt here from its streams: real
 * images picked from (seed, "numerics data") with their labels, z from (seed, "numerics z"), fake labels from
 * (seed, "numerics labels"). A batch the command built otherwise (other images, the fake batch's labels not those G was
 * given) gives another Jacobian.
 */
class CheckpointSpectrumTest {
    @TempDir
    static Path runs;
    static Path data;
    private static final long SEED = 5;
    private static final int BATCH = 4, K = 8;
    private static final String[] TINY = {"--data", "", "--steps", "2", "--batch", "4", "--nz", "1", "--ngf", "1", "--ndf", "1",
            "--out", "", "--device", "cpu", "--no-progress"};

    @BeforeAll
    static void train() throws IOException {
        data = runs.resolve("two");
        SplittableRandom r = new SplittableRandom(11);
        for (int i = 0; i < 8; i++) {
            Path dir = data.resolve(i % 2 == 0 ? "a" : "b");
            Files.createDirectories(dir);
            BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
            for (int y = 0; y < 28; y++) for (int x = 0; x < 28; x++) img.getRaster().setSample(x, y, 0, r.nextInt(256));
            ImageIO.write(img, "png", dir.resolve(i + ".png").toFile());
        }
        for (String[] kind : new String[][] {{"c", "--conditional"}, {"u", "--no-conditional"}}) {
            String[] args = TINY.clone();
            args[1] = data.toString();
            args[13] = runs.toString();
            CliTest.Run t = CliTest.run(ConditionalCommandsTest.cat(ConditionalCommandsTest.cat(new String[] {"train"}, args), "--name", kind[0], kind[1]));
            assertEquals(0, t.code(), t.err());
        }
    }

    @Test
    void conditionalRunsRitzValuesAreTheDenseJacobiansEigenvalues(@TempDir Path dir) throws IOException {
        check("c", 2, dir);
    }

    @Test
    void unconditionalRunsRitzValuesAreTheDenseJacobiansEigenvalues(@TempDir Path dir) throws IOException {
        check("u", 0, dir);
    }

    @Test
    void badInputIsOneLine(@TempDir Path dir) {
        String run = runs.resolve("c").toString(), out = dir.resolve("never.png").toString();
        String[][] cases = {{"--batch", "9", "--batch 9: the run's data (" + data + ") has 8 images"},
                {"--eigs", "695", "--eigs 695: the game has only 694 parameters"},
                {"--krylov", "2", "--krylov must be >= --eigs (10), got 2"}};
        for (String[] c : cases) {
            CliTest.Run r = CliTest.run("numerics", "--checkpoint", run, c[0], c[1], "--out", out, "--device", "cpu", "--no-progress");
            assertEquals(2, r.code(), r.err());
            // the error is one line (the device's notice may come before it: the parameter count is known once the networks are built)
            List<String> errors = r.err().strip().lines().filter(l -> !l.startsWith("device: ")).toList();
            assertTrue(errors.size() == 1 && errors.getFirst().contains(c[2]), "one line with '" + c[2] + "', got: " + r.err());
        }
        assertTrue(Files.notExists(dir.resolve("never.png")));
    }

    private void check(String name, int classes, Path dir) throws IOException {
        Path run = runs.resolve(name);
        Backend be = new CpuBackend();
        Path file = TrainingRun.findCheckpoint(run, "--checkpoint");
        SafeTensorsFile f = TrainingRun.open(file);
        TrainConfig cfg = Checkpoint.config(f);
        assertEquals(classes, cfg.classes());
        Dcgan.Config dc = new Dcgan.Config(28, 1, 1, 1, 1, classes);
        Network g = Dcgan.generator(be, dc, new NoiseStream(0, 0)), d = Dcgan.discriminator(be, dc, new NoiseStream(0, 0));
        Checkpoint.loadNetwork(f, be, "G.", g);
        Checkpoint.loadNetwork(f, be, "D.", d);
        int n = (int) (g.parameterCount() + d.parameterCount());

        // the batch, as the command's help says it draws it
        ImageDataset images = ImageFolder.load(data, 28, 1);
        int[] picked = CheckpointGenerator.pick(images.size(), BATCH, NoiseStream.derive(SEED, "numerics data"));
        int item = 28 * 28;
        float[] x = new float[BATCH * item];
        for (int i = 0; i < BATCH; i++) for (int j = 0; j < item; j++) x[i * item + j] = (images.pixels()[picked[i] * item + j] & 0xFF) / 127.5f - 1f;
        Tensor xReal = be.upload(x, BATCH, 1, 28, 28), z = be.zeros(BATCH, 1, 1, 1), gIn = z, yReal = null, yFake = null;
        NoiseStream zs = NoiseStream.derive(SEED, "numerics z");
        be.normal(z, zs.seed(), zs.take(z.size()));
        if (classes > 0) {
            NoiseStream ls = NoiseStream.derive(SEED, "numerics labels");
            float[] real = new float[BATCH * classes], fake = new float[BATCH * classes], in = new float[BATCH * (1 + classes)];
            float[] zHost = be.download(z);
            for (int i = 0; i < BATCH; i++) {
                real[i * classes + images.labels()[picked[i]]] = 1;
                int y = ls.nextInt(classes);
                fake[i * classes + y] = 1;
                in[i * (1 + classes)] = zHost[i];
                in[i * (1 + classes) + 1 + y] = 1;
            }
            yReal = be.upload(real, BATCH, classes);
            yFake = be.upload(fake, BATCH, classes);
            gIn = be.upload(in, BATCH, 1 + classes, 1, 1);
        }
        List<Eigenvalue> dense;
        try (GameJacobian jac = new GameJacobian(g, d, TrainLoss.of(GanLoss.parse(cfg.loss())))) {
            jac.field(xReal, yReal, gIn, yFake, be.zeros(16), 0, 5);
            dense = Eigenvalues.of(denseTranspose(be, jac, n));
        }

        Path png = dir.resolve("eig.png");
        CliTest.Run r = CliTest.run("numerics", "--checkpoint", run.toString(), "--eigs", Integer.toString(K), "--krylov", Integer.toString(n),
                "--batch", Integer.toString(BATCH), "--seed", Long.toString(SEED), "--out", png.toString(), "--device", "cpu", "--no-progress");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains(String.format(java.util.Locale.ROOT, "(%,d parameters; loss %s", n, cfg.loss())), r.out());
        assertTrue(r.err().contains("Arnoldi") && r.err().contains("/" + n + " "), "the progress counts Arnoldi steps: " + r.err());
        assertTrue(ImageIO.read(png.toFile()).getWidth() > 0);
        List<double[]> ritz = new ArrayList<>();
        for (String l : r.out().lines().toList()) {
            String[] p = l.trim().split("\\s+");
            if (p.length == 4 && p[0].matches("\\d+")) ritz.add(new double[] {Double.parseDouble(p[1]), Double.parseDouble(p[2])});
        }
        assertEquals(K, ritz.size(), r.out());
        double scale = dense.getFirst().magnitude();
        assertTrue(scale > 1e-3, "a Jacobian that is not ~0: " + dense.subList(0, K));
        for (int i = 0; i < K; i++) {
            double re = ritz.get(i)[0], im = ritz.get(i)[1];
            double best = Double.POSITIVE_INFINITY;
            for (Eigenvalue e : dense) best = Math.min(best, Math.hypot(re - e.re(), im - e.im()));
            // float32 products through n Arnoldi steps, printed to 5 digits: 1e-3 of the largest magnitude
            String what = "Ritz value " + (i + 1) + " (" + re + ", " + im + ") of " + name + " vs the dense " + dense.subList(0, K);
            assertTrue(best < 1e-3 * scale, what + ": " + best + " from the nearest");
            assertEquals(dense.get(i).magnitude(), Math.hypot(re, im), 1e-3 * scale, what);
        }
    }

    /** Jᵀ (n, n), column i = Jᵀ e_i, in double. */
    private static double[][] denseTranspose(Backend be, GameJacobian jac, int n) {
        List<Tensor> u = new ArrayList<>();
        for (Tensor t : jac.grads()) u.add(be.zeros(t.shape()));
        double[][] jt = new double[n][n];
        int col = 0;
        for (Tensor part : u) {
            float[] host = new float[part.sizeInt()];
            for (int j = 0; j < host.length; j++, col++) {
                host[j] = 1;
                be.copyFromHost(host, part);
                host[j] = 0;
                jac.transposeTimes(u);
                int row = 0;
                for (Tensor gr : jac.grads()) for (float v : be.download(gr)) jt[row++][col] = v;
            }
            be.copyFromHost(host, part);
        }
        return jt;
    }
}
