package dev.sparring.random;

/**
 * Counter-based Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011) and the
 * Box–Muller normals built on it. Both backends produce the same stream: the CUDA kernel in
 * {@code kernels/noise.cu} is this class's twin, bit for bit on the uint32 words.
 *
 * <h2>Stream layout</h2>
 * A stream is named by a 64-bit {@code seed} (the Philox key: low word k0, high word k1). Block number
 * {@code b} (a 64-bit counter) is the Philox output for counter words (c0, c1, c2, c3) =
 * (low 32 bits of b, high 32 bits of b, 0, 0): four uint32 words. Element i of a draw that starts at block
 * {@code counter} uses word i % 4 of block counter + i / 4, so a draw of n values consumes ceil(n/4) blocks
 * and the caller advances its counter by that many.
 *
 * <h2>Normals</h2>
 * Each block gives four normals by Box–Muller on the pairs (w0, w1) and (w2, w3): u = (w + 0.5) / 2^32 is in
 * (0, 1) exclusive, r = sqrt(-2 ln u_a), and the pair is (r cos 2 pi u_b, r sin 2 pi u_b), computed in
 * double precision and rounded to float.
 */
public final class Philox {
    private static final int M0 = 0xD2511F53, M1 = 0xCD9E8D57;
    private static final int W0 = 0x9E3779B9, W1 = 0xBB67AE85;
    private static final double TWO_POW_M32 = 1.0 / 4294967296.0;

    private Philox() { }

    /** Philox4x32-10 of the 128-bit counter (c0..c3) under the 64-bit key (k0, k1); writes 4 words to out. */
    public static void block(int c0, int c1, int c2, int c3, int k0, int k1, int[] out, int off) {
        for (int round = 0; round < 10; round++) {
            long p0 = (M0 & 0xFFFFFFFFL) * (c0 & 0xFFFFFFFFL);
            long p1 = (M1 & 0xFFFFFFFFL) * (c2 & 0xFFFFFFFFL);
            int n0 = (int) (p1 >>> 32) ^ c1 ^ k0;
            int n1 = (int) p1;
            int n2 = (int) (p0 >>> 32) ^ c3 ^ k1;
            int n3 = (int) p0;
            c0 = n0; c1 = n1; c2 = n2; c3 = n3;
            k0 += W0;
            k1 += W1;
        }
        out[off] = c0; out[off + 1] = c1; out[off + 2] = c2; out[off + 3] = c3;
    }

    /** The four uint32 words of block {@code b} of the stream {@code seed}. */
    public static void block(long seed, long b, int[] out, int off) {
        block((int) b, (int) (b >>> 32), 0, 0, (int) seed, (int) (seed >>> 32), out, off);
    }

    /** u in (0, 1): (w + 0.5) / 2^32 with w read as unsigned. */
    public static double uniform(int w) {
        return ((w & 0xFFFFFFFFL) + 0.5) * TWO_POW_M32;
    }

    /** Writes n standard normals of stream {@code seed} starting at block {@code counter} into out[off..off+n). */
    public static void normals(long seed, long counter, float[] out, int off, int n) {
        int[] w = new int[4];
        double[] z = new double[4];
        for (int i = 0; i < n; i += 4) {
            block(seed, counter + i / 4, w, 0);
            boxMuller(w, z);
            for (int j = 0; j < 4 && i + j < n; j++) out[off + i + j] = (float) z[j];
        }
    }

    /** Four normals from one block's words. */
    public static void boxMuller(int[] w, double[] z) {
        for (int p = 0; p < 4; p += 2) {
            double r = Math.sqrt(-2.0 * Math.log(uniform(w[p])));
            double a = 2.0 * Math.PI * uniform(w[p + 1]);
            z[p] = r * Math.cos(a);
            z[p + 1] = r * Math.sin(a);
        }
    }

    /** Number of blocks a draw of n values consumes. */
    public static long blocks(long n) { return (n + 3) / 4; }
}
