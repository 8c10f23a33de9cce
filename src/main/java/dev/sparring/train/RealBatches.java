package dev.sparring.train;

import dev.sparring.UserError;
import dev.sparring.backend.Backend;
import dev.sparring.data.ImageDataset;
import dev.sparring.data.Mixture2D;
import dev.sparring.random.NoiseStream;
import dev.sparring.tensor.DType;
import dev.sparring.tensor.Tensor;

/** The source of real batches: a shuffled finite image dataset kept on the device, or an endless 2-D sampler. */
public abstract sealed class RealBatches implements AutoCloseable {
    protected final Backend be;
    protected final int batch;
    protected long consumed;           // real batches drawn so far (the checkpointed position)

    RealBatches(Backend be, int batch) { this.be = be; this.batch = batch; }

    /** The next real batch (a tensor owned by this source, overwritten by the next call). */
    abstract Tensor next();

    /**
     * The one-hot labels (B, K) of the batch the last {@link #next} returned, for a conditional run (a tensor owned by
     * this source, overwritten by the next call); null when this source carries no labels.
     */
    Tensor labels() { return null; }

    /**
     * Does, before a step, the host-to-device work that the step's next {@code batches} calls of {@link #next} would
     * otherwise do (a new epoch's order), so that the step itself runs the same operations every time (a step run
     * through a {@link dev.sparring.backend.StepGraph}). Optional: {@link #next} does it itself when needed.
     */
    void prepare(int batches) { }

    /**
     * The values of the next {@code n} real samples the critic will be fed, in order, as {@link #next} would produce
     * them, without moving the position or any stream: a look at the data pipeline (the run's {@code samples/real.png}).
     * An image source shows at most the rest of the current epoch (fewer than n near its end); returns (count, ...).
     */
    abstract float[] upcoming(int n);

    /** Batches in one epoch; 0 for an endless sampler. */
    abstract long batchesPerEpoch();

    abstract String name();

    public long consumed() { return consumed; }

    /** Restores the position after {@code consumed} batches (each source re-derives the rest of its state). */
    abstract void restore(long consumed, long streamCounter);

    /** The Philox counter to save (0 when the position alone defines the state). */
    abstract long streamCounter();

    public long epoch() {
        long bpe = batchesPerEpoch();
        return bpe == 0 ? 0 : consumed / bpe;
    }

    @Override
    public abstract void close();

    /**
     * Images: the uint8 dataset is uploaded once; each epoch is a permutation drawn from the stream
     * (seed, "shuffle/&lt;epoch&gt;"), so the position is fully described by the number of batches consumed.
     * The last incomplete batch of an epoch is dropped. Pixels map to [-1, 1]: x * {@link #SCALE} + {@link #SHIFT}
     * = x / 127.5 - 1. The device keeps the
     * order of as many epochs as one step's batches can touch, one per slot of {@code perm}, so {@link #prepare} can
     * upload a coming epoch's order before the step while the step still reads the current one.
     */
    static final class Images extends RealBatches {
        static final float SCALE = 1f / 127.5f, SHIFT = -1f;   // uint8 0..255 to [-1, 1]
        private final ImageDataset data;
        private final long seed;
        private final Tensor pixels;       // (N, C, H, W) U8
        private final Tensor out;          // (B, C, H, W) F32
        private final int slots;           // epochs whose order is kept on the device
        private Tensor perm;               // (slots * N) I32: the order of epoch e in slot e % slots
        private final long[] slotEpoch;    // the epoch each slot holds; -1: none
        private int[] orders;              // host copy of perm: copyFromHost writes a whole tensor
        private long orderUploads;         // for tests: after prepare(k), k batches upload nothing
        private final Tensor onehots;      // (N, K, 1, 1) U8: each image's one-hot label; null without labels
        private final Tensor labelsOut;    // (B, K) F32: the labels of the last batch, gathered as the images are
        private final Tensor labelsImage;  // labelsOut seen as (B, K, 1, 1), the shape gatherImages writes

        /** {@code batchesPerStep}: the most batches one step draws (k critic steps), for {@link #prepare}. */
        Images(Backend be, ImageDataset data, int batch, long seed, int batchesPerStep) {
            this(be, data, batch, seed, batchesPerStep, 0);
        }

        /** With {@code classes} K > 0, each batch also carries its images' one-hot labels ({@link #labels()}). */
        Images(Backend be, ImageDataset data, int batch, long seed, int batchesPerStep, int classes) {
            super(be, batch);
            if (data.size() < batch) {
                throw new UserError("dataset " + data.name() + " has " + data.size() + " images, fewer than --batch " + batch);
            }
            this.data = data;
            this.seed = seed;
            // k consecutive batches touch at most ceil((k - 1) / bpe) + 1 epochs: 1 for k = 1, 2 for k <= bpe + 1
            long bpe = data.size() / batch;
            this.slots = (int) ((Math.max(1, batchesPerStep) - 1 + bpe - 1) / bpe + 1);
            this.slotEpoch = new long[slots];
            java.util.Arrays.fill(slotEpoch, -1);
            this.pixels = be.upload(data.pixels(), data.size(), data.channels(), data.height(), data.width());
            this.out = be.zeros(batch, data.channels(), data.height(), data.width());
            this.onehots = classes > 0 ? be.upload(Conditioning.onehotTable(data.labels(), classes), data.size(), classes, 1, 1) : null;
            this.labelsOut = classes > 0 ? be.zeros(batch, classes) : null;
            this.labelsImage = classes > 0 ? be.view(labelsOut, batch, classes, 1, 1) : null;
        }

        static int[] permutation(long seed, long epoch, int n) {
            NoiseStream rng = NoiseStream.derive(seed, "shuffle/" + epoch);
            int[] p = new int[n];
            for (int i = 0; i < n; i++) p[i] = i;
            for (int i = n - 1; i > 0; i--) {         // Fisher-Yates
                int j = rng.nextInt(i + 1);
                int t = p[i]; p[i] = p[j]; p[j] = t;
            }
            return p;
        }

        @Override
        void prepare(int batches) {
            long bpe = batchesPerEpoch();
            for (long e = consumed / bpe; e <= (consumed + Math.max(1, batches) - 1) / bpe; e++) resident(e);
        }

        /** Makes epoch {@code epoch}'s order resident in its slot; returns the slot. */
        private int resident(long epoch) {
            int slot = (int) (epoch % slots);
            if (slotEpoch[slot] != epoch) {
                // one device buffer for every epoch's order: no allocation (and no implicit device sync) in the loop
                if (perm == null) perm = be.zeros(DType.I32, slots * data.size());
                uploadOrder(epoch, slot);
                slotEpoch[slot] = epoch;
            }
            return slot;
        }

        /** Writes epoch's order into its slot of the host copy and uploads the whole buffer (the other slots unchanged). */
        private void uploadOrder(long epoch, int slot) {
            orderUploads++;
            int n = data.size();
            if (orders == null) orders = new int[slots * n];
            System.arraycopy(permutation(seed, epoch, n), 0, orders, slot * n, n);
            be.copyFromHost(orders, perm);
        }

        long orderUploads() { return orderUploads; }

        @Override
        Tensor next() {
            long bpe = batchesPerEpoch();
            long epoch = consumed / bpe;
            int slot = resident(epoch);
            int start = slot * data.size() + (int) (consumed % bpe) * batch;
            be.gatherImages(out, pixels, perm, start, SCALE, SHIFT);
            if (onehots != null) be.gatherImages(labelsImage, onehots, perm, start, 1f, 0f);
            consumed++;
            return out;
        }

        @Override
        Tensor labels() { return labelsOut; }

        /**
         * The same gather as {@link #next} over the next n positions of the current epoch's order, into a tensor of
         * its own. Making the epoch's order resident is what the next call of {@link #next} does first anyway.
         */
        @Override
        float[] upcoming(int n) {
            long bpe = batchesPerEpoch();
            int slot = resident(consumed / bpe);
            int offset = (int) (consumed % bpe) * batch;
            int count = (int) Math.min(n, bpe * batch - offset);
            try (Tensor view = be.zeros(count, data.channels(), data.height(), data.width())) {   // (count, C, H, W)
                be.gatherImages(view, pixels, perm, slot * data.size() + offset, SCALE, SHIFT);
                return be.download(view);
            }
        }

        @Override
        long batchesPerEpoch() { return data.size() / batch; }

        @Override
        String name() { return data.name(); }

        @Override
        void restore(long consumed, long streamCounter) { this.consumed = consumed; }

        @Override
        long streamCounter() { return 0; }

        @Override
        public void close() {
            pixels.close();
            out.close();
            if (perm != null) perm.close();
            if (onehots != null) onehots.close();
            if (labelsOut != null) labelsOut.close();
        }
    }

    /** 2-D points drawn on the host from the data stream and copied to the device (B x 2 floats per step). */
    static final class Points extends RealBatches {
        private final Mixture2D mixture;
        private final NoiseStream rng;
        private final float[] host;        // (B, 2)
        private final Tensor out;          // (B, 2)

        Points(Backend be, Mixture2D mixture, int batch, NoiseStream rng) {
            super(be, batch);
            this.mixture = mixture;
            this.rng = rng;
            this.host = new float[batch * 2];
            this.out = be.zeros(batch, 2);
        }

        @Override
        Tensor next() {
            mixture.sample(rng, host, batch);
            be.copyFromHost(host, out);
            consumed++;
            return out;
        }

        /** Drawn from a copy of the data stream at its position: the next n points, as n / B batches would draw them. */
        @Override
        float[] upcoming(int n) {
            float[] xy = new float[2 * n];   // (n, 2)
            mixture.sample(new NoiseStream(rng.seed(), rng.counter()), xy, n);
            return xy;
        }

        @Override
        long batchesPerEpoch() { return 0; }

        @Override
        String name() { return mixture.name(); }

        @Override
        void restore(long consumed, long streamCounter) {
            this.consumed = consumed;
            rng.setCounter(streamCounter);
        }

        @Override
        long streamCounter() { return rng.counter(); }

        @Override
        public void close() { out.close(); }
    }
}
