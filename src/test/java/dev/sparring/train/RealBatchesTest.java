package dev.sparring.train;

import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.data.ImageDataset;
import dev.sparring.random.NoiseStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The image batches: every batch is the next {@code batch} images of its epoch's order (the Fisher-Yates shuffle of
 * the stream (seed, "shuffle/&lt;epoch&gt;"), here recomputed independently), whether the orders are uploaded as
 * batches are drawn or ahead of each step by {@link RealBatches#prepare} (as a step graph needs), for steps of k
 * batches that span up to several epochs, and after a restore to another position.
 */
class RealBatchesTest {

    /** The expected order of an epoch, computed here rather than through RealBatches. */
    static int[] order(long seed, long epoch, int n) {
        NoiseStream rng = NoiseStream.derive(seed, "shuffle/" + epoch);
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = p[i]; p[i] = p[j]; p[j] = t;
        }
        return p;
    }

    @ParameterizedTest(name = "{0} images, batch {1}, k = {2}, prepare {3}")
    @CsvSource({
            "40, 8, 1, false", "40, 8, 1, true",     // 5 batches per epoch, one order slot
            "40, 8, 2, true", "40, 8, 6, true",      // a step crosses an epoch; 6 > 5 batches per epoch
            "17, 8, 5, true", "17, 8, 5, false",     // 2 batches per epoch (1 image dropped), a step spans 3-4 epochs
            "8, 8, 3, true"})                        // 1 batch per epoch
    void batchesFollowEachEpochsOrder(int n, int batch, int k, boolean prepare) {
        long seed = 7;
        byte[] px = new byte[n * 4];
        for (int i = 0; i < n; i++) for (int j = 0; j < 4; j++) px[i * 4 + j] = (byte) (i * 5 + j);
        ImageDataset data = new ImageDataset("tiny", px, n, 1, 2, 2, null);
        int bpe = n / batch;
        try (CpuBackend be = new CpuBackend(); RealBatches.Images src = new RealBatches.Images(be, data, batch, seed, k)) {
            long drawn = 0;
            for (int step = 0; step < 9; step++) {
                if (step == 5) {        // a restore (resume) to another position, with orders already resident
                    drawn = 3;
                    src.restore(drawn, 0);
                }
                if (prepare) src.prepare(k);
                long uploads = src.orderUploads();
                for (int j = 0; j < k; j++, drawn++) {
                    float[] got = be.download(src.next());
                    long epoch = drawn / bpe;
                    int[] order = order(seed, epoch, n);
                    for (int b = 0; b < batch; b++) {
                        int image = order[(int) (drawn % bpe) * batch + b];
                        for (int q = 0; q < 4; q++) {
                            float want = (px[image * 4 + q] & 0xFF) * (1f / 127.5f) + -1f;
                            assertEquals(want, got[b * 4 + q], "batch " + drawn + " (epoch " + epoch + "), image " + b);
                        }
                    }
                }
                assertEquals(drawn, src.consumed());
                if (prepare) assertEquals(uploads, src.orderUploads(), "a prepared step's batches upload no order (step " + step + ")");
            }
        }
    }
}
