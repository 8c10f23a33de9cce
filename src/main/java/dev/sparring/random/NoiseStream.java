package dev.sparring.random;

/**
 * A named Philox stream with a position: the mutable part of the random state that a checkpoint saves.
 * Each consumer (generator noise, data shuffling, ...) owns its own stream, derived from the run seed.
 */
public final class NoiseStream {
    private final long seed;
    private long counter;
    private final int[] block = new int[4];   // the last block drawn by nextInt or nextDouble (so that they allocate nothing)

    public NoiseStream(long seed, long counter) {
        this.seed = seed;
        this.counter = counter;
    }

    /** The stream of a run seed for one purpose, so that purposes never share Philox blocks. */
    public static NoiseStream derive(long runSeed, String purpose) {
        int[] w = new int[4];
        Philox.block(runSeed, purpose.hashCode() & 0xFFFFFFFFL, w, 0);
        long key = ((long) w[1] << 32) | (w[0] & 0xFFFFFFFFL);
        return new NoiseStream(key, 0);
    }

    public long seed() { return seed; }

    public long counter() { return counter; }

    public void setCounter(long counter) { this.counter = counter; }

    /** Reserves the blocks for n values and returns the first block's counter. */
    public long take(long n) {
        long c = counter;
        counter += Philox.blocks(n);
        return c;
    }

    /** A uniform integer in [0, bound), consuming one block (for shuffles on the host). */
    public int nextInt(int bound) {
        int[] w = block;
        Philox.block(seed, counter++, w, 0);
        long x = ((long) w[1] << 32 | (w[0] & 0xFFFFFFFFL)) >>> 1;
        return (int) (x % bound);
    }

    /** A uniform double in (0, 1), consuming one block. */
    public double nextDouble() {
        int[] w = block;
        Philox.block(seed, counter++, w, 0);
        return Philox.uniform(w[0]);
    }
}
