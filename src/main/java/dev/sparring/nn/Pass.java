package dev.sparring.nn;

/**
 * Which forward pass a call belongs to. A layer keeps the activations that backward needs once per
 * {@code slot}, so that a critic can see a real batch (slot 0) and a fake batch (slot 1), each with its own
 * batch-norm statistics as in PyTorch's DCGAN example, and then run backward on both.
 *
 * @param slot     0 .. {@link #SLOTS}-1
 * @param training batch norm uses batch statistics (and updates running ones) when true
 */
public record Pass(int slot, boolean training) {
    public static final int SLOTS = 2;

    /** Slot 0, training: the generator's training pass (the generator trains in this slot only). */
    public static final Pass TRAIN = new Pass(0, true);
    /** Slot 0, training: the critic's pass over the real batch. */
    public static final Pass REAL = TRAIN;
    /** Slot 1, training: the critic's pass over the fake batch, with batch-norm statistics of its own. */
    public static final Pass FAKE = new Pass(1, true);
    /**
     * Slot 1, training: the generator's pass for samples while it trains (batch statistics, as PyTorch's DCGAN
     * example samples); it leaves the activations and buffers of the generator's training slot as they were.
     */
    public static final Pass SAMPLE = FAKE;
    /** Slot 0, inference: running statistics in batch norm. */
    public static final Pass EVAL = new Pass(0, false);

    public Pass {
        if (slot < 0 || slot >= SLOTS) throw new IllegalArgumentException("slot " + slot + " not in [0, " + SLOTS + ")");
    }
}
