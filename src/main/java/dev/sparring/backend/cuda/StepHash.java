package dev.sparring.backend.cuda;

/** A 64-bit mixing hash for comparing the operations of a captured step with those of a replayed one. */
final class StepHash {
    private StepHash() { }

    /** Combines h with v (splitmix64's finaliser over a multiply-add). */
    static long mix(long h, long v) {
        long z = h * 0x9E3779B97F4A7C15L + v;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    static long of(long... values) {
        long h = values.length;
        for (long v : values) h = mix(h, v);
        return h;
    }
}
