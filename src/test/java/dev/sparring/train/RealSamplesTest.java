package dev.sparring.train;

import dev.sparring.backend.Backend;
import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.data.ImageDataset;
import dev.sparring.data.Mixture2D;
import dev.sparring.gan.loss.GanLoss;
import dev.sparring.io.SafeTensorsFile;
import dev.sparring.viz.ImageGrid;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * samples/real.png: the first real images the critic is fed, through the trainer's own gather and [-1, 1] mapping,
 * written when a run starts in a new folder; drawing them changes nothing the run trains.
 */
class RealSamplesTest {
    private static final PrintStream QUIET = new PrintStream(PrintStream.nullOutputStream());
    private final Backend be = new CpuBackend();

    /** 80 digits in batches of 4: the grid's 64 images are the first 16 batches of epoch 0. */
    private static final ImageDataset DIGITS = TrainerTest.firstDigits(80);

    private static TrainConfig tiny() {
        return TrainerTest.tinyDcgan().toBuilder().steps(6).checkpointEvery(3).build();
    }

    private static final TrainConfig RING = TrainConfig.builder().data("ring8").model(TrainConfig.Model.MLP).hidden(8)
            .depth(1).nz(2).batch(16).steps(6).sampleEvery(3).checkpointEvery(3).logEvery(2).build();

    private static Trainer trainer(TrainConfig cfg, dev.sparring.data.Dataset data) {
        return new Trainer(cfg, new CpuBackend(), data, TrainLoss.of(GanLoss.parse("nsgan")));
    }

    private static void train(TrainConfig cfg, dev.sparring.data.Dataset data, Path dir) throws IOException {
        try (Trainer t = trainer(cfg, data)) {
            TrainingRun run = new TrainingRun(t, dir, QUIET, data instanceof Mixture2D m ? m : null).progressBar(false);
            run.initFresh();
            assertEquals(TrainingRun.Outcome.COMPLETED, run.run().outcome());
        }
    }

    /**
     * Each tile of the grid against the dataset's own bytes at the epoch-0 order (x / 127.5 - 1, then the grid's
     * rounding, gives x back exactly): a wrong scale, shift, order or channel layout changes a pixel.
     */
    private static void assertTilesAreTheDataInTrainingOrder(Path png, ImageDataset data, long seed, int n) throws IOException {
        BufferedImage img = ImageIO.read(png.toFile());
        int c = data.channels(), h = data.height(), w = data.width(), cols = Math.min(8, n), pad = ImageGrid.PADDING;
        assertEquals(c, img.getRaster().getNumBands(), "gray or RGB, as the data");
        assertEquals(cols * (w + pad) + pad, img.getWidth(), "grid width: " + n + " tiles, 8 per row");
        assertEquals((n + cols - 1) / cols * (h + pad) + pad, img.getHeight(), "grid height: " + n + " tiles, 8 per row");
        int[] order = RealBatches.Images.permutation(seed, 0, data.size());
        byte[] px = data.pixels();   // (N, C, H, W)
        for (int k = 0; k < n; k++) {
            int y0 = pad + k / cols * (h + pad), x0 = pad + k % cols * (w + pad);
            int base = order[k] * c * h * w;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    for (int ch = 0; ch < c; ch++) {   // the raster's bands: gray, or R, G, B (getRGB would convert gray)
                        int want = px[base + ch * h * w + y * w + x] & 0xFF;
                        int got = img.getRaster().getSample(x0 + x, y0 + y, ch);
                        assertEquals(want, got, "tile " + k + " (image " + order[k] + ") pixel (" + y + ", " + x + ") channel " + ch);
                    }
                }
            }
        }
    }

    @Test
    void aFreshRunWritesTheFirstRealImagesItsCriticIsFed(@TempDir Path dir) throws IOException {
        Path run = dir.resolve("r");
        train(tiny(), DIGITS, run);
        Path png = run.resolve("samples").resolve(TrainingRun.REAL_SAMPLES);
        assertTilesAreTheDataInTrainingOrder(png, DIGITS, tiny().seed(), 64);

        // the same values, float for float, as the first 16 batches the trainer draws
        try (Trainer t = trainer(tiny(), DIGITS)) {
            float[] shown = t.realBatches().upcoming(64);
            assertEquals(0, t.realBatches().consumed(), "upcoming does not move the position");
            int item = 28 * 28, batch = tiny().batch();
            for (int b = 0; b < 64 / batch; b++) {
                float[] fed = t.backend().download(t.realBatches().next());
                for (int i = 0; i < batch * item; i++) assertEquals(fed[i], shown[b * batch * item + i], "batch " + b + ", value " + i);
            }
        }
    }

    @Test
    void rgbImagesKeepTheirChannelOrder(@TempDir Path dir) throws IOException {
        int n = 10;
        byte[] px = new byte[n * 3 * 28 * 28];
        new java.util.Random(3).nextBytes(px);
        ImageDataset rgb = new ImageDataset("rgb", px, n, 3, 28, 28, null);
        TrainConfig cfg = tiny().toBuilder().channels(3).build();
        try (Trainer t = trainer(cfg, rgb)) {
            new TrainingRun(t, dir, QUIET, null).initFresh();
        }
        // 10 images in batches of 4: the epoch's 2 whole batches, 8 images (the last 2 are dropped, as in training)
        assertTilesAreTheDataInTrainingOrder(dir.resolve("samples").resolve(TrainingRun.REAL_SAMPLES), rgb, cfg.seed(), 8);
    }

    /** Every tensor and every metadata entry of two checkpoints, bit for bit. */
    private static void assertSameCheckpoint(Path a, Path b) throws IOException {
        SafeTensorsFile fa = TrainingRun.open(a), fb = TrainingRun.open(b);
        assertEquals(fa.names(), fb.names());
        for (String name : fa.names()) assertArrayEquals(fa.getRaw(name), fb.getRaw(name), name + " in " + b);
        assertEquals(fa.metadata(), fb.metadata(), "metadata of " + b);
    }

    /** The run (which draws the real grid first) against the same trainer stepped alone, at steps 3 and 6. */
    private void assertTrainsAsWithoutTheRealSamples(TrainConfig cfg, dev.sparring.data.Dataset data, Path dir) throws IOException {
        Path run = dir.resolve("run"), alone = dir.resolve("alone");
        train(cfg, data, run);
        assertTrue(Files.size(run.resolve("samples").resolve(TrainingRun.REAL_SAMPLES)) > 0);
        Files.createDirectories(alone);
        try (Trainer t = trainer(cfg, data)) {
            for (int s = 1; s <= 6; s++) {
                t.step();
                if (s % 3 == 0) Checkpoint.save(t, alone.resolve(String.format("step_%06d.safetensors", s)));
            }
        }
        for (String cp : new String[] {"step_000003.safetensors", "step_000006.safetensors"}) {
            assertSameCheckpoint(alone.resolve(cp), run.resolve("checkpoints").resolve(cp));
        }
    }

    @Test
    void imageRunsTrainTensorForTensorAsWithoutIt(@TempDir Path dir) throws IOException {
        assertTrainsAsWithoutTheRealSamples(tiny(), DIGITS, dir);
    }

    @Test
    void pointRunsTrainTensorForTensorAsWithoutIt(@TempDir Path dir) throws IOException {
        assertTrainsAsWithoutTheRealSamples(RING, Mixture2D.ring(8, 2, 0.02), dir);
    }

    @Test
    void theRealScatterShowsTheNextPointsTheCriticIsFed() {
        Mixture2D ring = Mixture2D.ring(8, 2, 0.02);
        try (Trainer t = trainer(RING, ring)) {
            int n = 100, batch = RING.batch();   // 6 whole batches and a part of the 7th
            float[] shown = t.realBatches().upcoming(n);
            assertEquals(0, t.realBatches().consumed());
            for (int b = 0; b * batch < n; b++) {
                float[] fed = t.backend().download(t.realBatches().next());
                for (int i = 0; i < 2 * Math.min(batch, n - b * batch); i++) assertEquals(fed[i], shown[2 * b * batch + i], "batch " + b + ", value " + i);
            }
        }
    }

    @Test
    void aResumedRunLeavesTheRealGridAlone(@TempDir Path dir) throws IOException {
        Path run = dir.resolve("r");
        train(tiny(), DIGITS, run);
        Path png = run.resolve("samples").resolve(TrainingRun.REAL_SAMPLES);
        byte[] marked = "not rewritten".getBytes();
        Files.write(png, marked);
        try (Trainer t = trainer(tiny(), DIGITS)) {
            Checkpoint.restore(t, TrainingRun.open(run.resolve("checkpoints/step_000003.safetensors")));
            TrainingRun resumed = new TrainingRun(t, run, QUIET, null).progressBar(false);
            resumed.initResumed();
            resumed.run();
        }
        assertArrayEquals(marked, Files.readAllBytes(png));
    }

    @Test
    void aFileAlreadyThereIsNeverOverwritten(@TempDir Path dir) throws IOException {
        Path mine = dir.resolve("samples").resolve(TrainingRun.REAL_SAMPLES);
        Files.createDirectories(mine.getParent());
        byte[] users = "a file of the user's".getBytes();
        Files.write(mine, users);
        try (Trainer t = trainer(tiny(), DIGITS)) {
            new TrainingRun(t, dir, QUIET, null).initFresh();
        }
        assertArrayEquals(users, Files.readAllBytes(mine));
    }
}
