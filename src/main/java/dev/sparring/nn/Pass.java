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

    public static final Pass TRAIN = new Pass(0, true);
    public static final Pass EVAL = new Pass(0, false);

    public Pass {
        if (slot < 0 || slot >= SLOTS) throw new IllegalArgumentException("slot " + slot + " not in [0, " + SLOTS + ")");
    }

    public static Pass train(int slot) { return new Pass(slot, true); }
}
