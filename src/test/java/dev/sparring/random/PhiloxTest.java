package dev.sparring.random;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PhiloxTest {

    /**
     * Known-answer vectors for philox4x32-10 from Random123's tests/kat_vectors (Salmon et al., SC 2011):
     * counter words c0..c3, key words k0 k1, expected output words.
     */
    private static final long[][] KAT = {
            {0x00000000L, 0x00000000L, 0x00000000L, 0x00000000L, 0x00000000L, 0x00000000L,
                    0x6627e8d5L, 0xe169c58dL, 0xbc57ac4cL, 0x9b00dbd8L},
            {0xffffffffL, 0xffffffffL, 0xffffffffL, 0xffffffffL, 0xffffffffL, 0xffffffffL,
                    0x408f276dL, 0x41c83b0eL, 0xa20bc7c6L, 0x6d5451fdL},
            {0x243f6a88L, 0x85a308d3L, 0x13198a2eL, 0x03707344L, 0xa4093822L, 0x299f31d0L,
                    0xd16cfe09L, 0x94fdccebL, 0x5001e420L, 0x24126ea1L},
    };

    @Test
    void matchesRandom123KnownAnswers() {
        for (long[] v : KAT) {
            int[] out = new int[4];
            Philox.block((int) v[0], (int) v[1], (int) v[2], (int) v[3], (int) v[4], (int) v[5], out, 0);
            int[] want = {(int) v[6], (int) v[7], (int) v[8], (int) v[9]};
            assertArrayEquals(want, out, () -> "philox4x32-10 of " + hex(v, 0, 6) + ": got " + hex(out) + ", want " + hex(want));
            int[] ref = reference(new long[] {v[0], v[1], v[2], v[3]}, v[4], v[5]);
            assertArrayEquals(want, ref, "the test's own reference implementation must pass the same vectors");
        }
    }

    @Test
    void writesAtTheGivenOffsetOnly() {
        int[] out = new int[8];
        Arrays.fill(out, 0x5A5A5A5A);
        Philox.block(0, 0, 0, 0, 0, 0, out, 3);
        assertArrayEquals(new int[] {0x5A5A5A5A, 0x5A5A5A5A, 0x5A5A5A5A, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8, 0x5A5A5A5A}, out);
    }

    /** Block b of stream seed is Philox of counter (lo b, hi b, 0, 0) under key (lo seed, hi seed), per Philox.java. */
    @Test
    void streamBlockPacksCounterAndKeyAsDocumented() {
        long[][] cases = {
                {0L, 0L},
                {0x299f31d0_a4093822L, 0x85a308d3_243f6a88L},
                {-1L, 0xffffffffL},
                {1L, 1L << 32},
                {0x0123456789abcdefL, Long.MAX_VALUE},
        };
        for (long[] c : cases) {
            long seed = c[0], b = c[1];
            int[] got = new int[4];
            Philox.block(seed, b, got, 0);
            int[] want = reference(new long[] {b & 0xffffffffL, b >>> 32, 0, 0}, seed & 0xffffffffL, seed >>> 32);
            assertArrayEquals(want, got, () -> "block(seed=" + Long.toHexString(seed) + ", b=" + Long.toHexString(b) + ")");
        }
        // The zero KAT is block 0 of stream 0.
        int[] z = new int[4];
        Philox.block(0L, 0L, z, 0);
        assertArrayEquals(new int[] {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}, z);
        // Neighbouring blocks, counters differing only in the high word, and seeds differing only in the high word all differ.
        int[] a = new int[4], bb = new int[4], cc = new int[4];
        Philox.block(5L, 7L, a, 0);
        Philox.block(5L, 7L | (1L << 32), bb, 0);
        Philox.block(5L | (1L << 32), 7L, cc, 0);
        assertNotEquals(Arrays.toString(a), Arrays.toString(bb));
        assertNotEquals(Arrays.toString(a), Arrays.toString(cc));
    }

    /** Element i of a draw at counter c is lane i % 4 of block c + i / 4, through Box–Muller on the lane pairs. */
    @Test
    void normalsFollowTheStreamLayout() {
        long seed = 0x5eed_1234_abcdL;
        long counter = 0xffff_fffeL; // the draw crosses into the counter's high word
        int n = 37;
        float[] out = new float[n + 2];
        out[0] = 99f;
        out[n + 1] = 99f;
        Philox.normals(seed, counter, out, 1, n);
        assertEquals(99f, out[0], "must not write before off");
        assertEquals(99f, out[n + 1], "must not write past off + n");
        int[] w = new int[4];
        for (int i = 0; i < n; i++) {
            Philox.block(seed, counter + i / 4, w, 0);
            int lane = i % 4;
            double u1 = ((w[lane & ~1] & 0xffffffffL) + 0.5) / 4294967296.0;  // radius from the even lane of the pair
            double u2 = ((w[lane | 1] & 0xffffffffL) + 0.5) / 4294967296.0;   // angle from the odd lane
            double r = Math.sqrt(-2 * Math.log(u1));
            double z = (lane % 2 == 0) ? r * Math.cos(2 * Math.PI * u2) : r * Math.sin(2 * Math.PI * u2);
            assertEquals((float) z, out[1 + i], "element " + i);
        }
        assertEquals(10, Philox.blocks(n));
        assertEquals(0, Philox.blocks(0));
        assertEquals(1, Philox.blocks(4));
        assertEquals(2, Philox.blocks(5));
    }

    /** A draw split at a multiple of 4 (a block boundary) gives the same values as the whole draw. */
    @Test
    void splittingADrawAtABlockBoundaryGivesTheSameValues() {
        long seed = 42;
        NoiseStream whole = new NoiseStream(seed, 1000);
        float[] all = new float[37];
        Philox.normals(seed, whole.take(37), all, 0, 37);
        assertEquals(1000 + 10, whole.counter());

        NoiseStream parts = new NoiseStream(seed, 1000);
        float[] split = new float[37];
        Philox.normals(seed, parts.take(12), split, 0, 12);
        Philox.normals(seed, parts.take(25), split, 12, 25);
        assertArrayEquals(all, split);
        assertEquals(whole.counter(), parts.counter());

        // Split elsewhere, the second draw starts at a fresh block: the values after the split differ (documented layout).
        NoiseStream odd = new NoiseStream(seed, 1000);
        float[] oddSplit = new float[37];
        Philox.normals(seed, odd.take(10), oddSplit, 0, 10);
        Philox.normals(seed, odd.take(27), oddSplit, 10, 27);
        assertArrayEquals(Arrays.copyOf(all, 10), Arrays.copyOf(oddSplit, 10));
        assertEquals(all[12], oddSplit[10], "element 10 of the second draw is lane 0 of block 1003, i.e. element 12 of the whole draw");
    }

    @Test
    void uniformIsStrictlyInsideTheUnitInterval() {
        assertTrue(Philox.uniform(0) > 0);
        assertEquals(0.5 / 4294967296.0, Philox.uniform(0));
        assertTrue(Philox.uniform(-1) < 1);
        assertEquals(1 - 0.5 / 4294967296.0, Philox.uniform(-1));
        assertEquals(0.5 + 0.5 / 4294967296.0, Philox.uniform(0x80000000));
        double[] z = new double[4];
        Philox.boxMuller(new int[] {0, 0, -1, -1}, z); // the extreme words: finite normals
        for (double v : z) assertTrue(Double.isFinite(v), Arrays.toString(z));
    }

    /** Moments of 10^6 normals: mean 0, variance 1, kurtosis 3, P(|z| > 3) = 0.0027, within about 5 standard errors. */
    @Test
    void boxMullerMomentsAreStandardNormal() {
        int n = 1_000_000;
        float[] z = new float[n];
        Philox.normals(2024, 0, z, 0, n);
        double s1 = 0, s2 = 0, s4 = 0;
        int tail = 0;
        for (float v : z) {
            s1 += v;
            s2 += (double) v * v;
            s4 += (double) v * v * v * v;
            if (Math.abs(v) > 3) tail++;
        }
        double mean = s1 / n, var = s2 / n - mean * mean, m4 = s4 / n;
        assertEquals(0.0, mean, 5 / Math.sqrt(n), "mean");                 // se 0.001
        assertEquals(1.0, var, 5 * Math.sqrt(2.0 / n), "variance");         // se 0.0014
        assertEquals(3.0, m4, 5 * Math.sqrt(96.0 / n), "fourth moment");     // se 0.0098
        double pTail = 0.0026997960632601866;                               // 2 * (1 - Phi(3))
        assertEquals(pTail * n, tail, 5 * Math.sqrt(n * pTail), "count of |z| > 3");
    }

    /** philox4x32-10 written independently from the paper's description (key bumped before rounds 2..10). */
    private static int[] reference(long[] ctr, long k0, long k1) {
        final long mask = 0xffffffffL;
        long c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
        for (int round = 0; round < 10; round++) {
            if (round > 0) {
                k0 = (k0 + 0x9E3779B9L) & mask;
                k1 = (k1 + 0xBB67AE85L) & mask;
            }
            long prodA = 0xD2511F53L * c0;  // both factors < 2^32: the product fits in 64 bits unsigned
            long prodB = 0xCD9E8D57L * c2;
            long hiA = prodA >>> 32, loA = prodA & mask;
            long hiB = prodB >>> 32, loB = prodB & mask;
            long n0 = hiB ^ c1 ^ k0, n1 = loB, n2 = hiA ^ c3 ^ k1, n3 = loA;
            c0 = n0;
            c1 = n1;
            c2 = n2;
            c3 = n3;
        }
        return new int[] {(int) c0, (int) c1, (int) c2, (int) c3};
    }

    private static String hex(long[] v, int from, int to) {
        StringBuilder sb = new StringBuilder();
        for (int i = from; i < to; i++) sb.append(String.format("%08x ", v[i]));
        return sb.toString().trim();
    }

    private static String hex(int[] v) {
        StringBuilder sb = new StringBuilder();
        for (int x : v) sb.append(String.format("%08x ", x));
        return sb.toString().trim();
    }
}
