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
}
