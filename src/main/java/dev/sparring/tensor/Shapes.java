package dev.sparring.tensor;

import java.util.Arrays;

/** Small helpers for int[] shapes. */
public final class Shapes {
    private Shapes() { }

    public static long size(int... shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            n *= d;
        }
        return n;
    }

    public static String str(int... shape) { return Arrays.toString(shape); }

    public static void require(Tensor t, String what, int... shape) {
        if (!t.sameShape(shape)) {
            throw new IllegalArgumentException(what + ": expected shape " + str(shape) + " but got " + str(t.shape()));
        }
    }

    /**
     * The rows N of a row-wise op ({@code Backend.rowDot}, {@code scaleRows}): v (N) and a, b (N, ...) of one shape;
     * else an error naming op.
     */
    public static int rows(String op, Tensor v, Tensor a, Tensor b) {
        if (v.rank() != 1 || a.rank() < 1 || !a.sameShape(b) || a.dim(0) != v.dim(0)) {
            throw new IllegalArgumentException(op + ": expected (N) and two (N, ...) of one shape, got " + v + ", " + a + ", " + b);
        }
        return v.dim(0);
    }
}
