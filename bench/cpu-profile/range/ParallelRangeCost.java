package dev.sparring.backend.cpu;

import java.util.Arrays;
import java.util.Locale;

/**
 * What one Parallel.range call costs by itself: 8 chunks (the chunk count of 2 threads) of W floats each, for W = 0
 * (the hand-off alone), 512 and 4096 (a few microseconds of work a chunk, as the small ops of the default step).
 * In Parallel's package, so compiled against a jar and put beside it on the class path by
 * bench/cpu-profile/parallel-calls.sh. Checks that every element was written once before it times; prints the minimum,
 * 10th percentile and median in microseconds of CALLS calls (default 100000) after as many to warm up.
 */
public class ParallelRangeCost {
    public static void main(String[] args) {
        Locale.setDefault(Locale.ROOT);
        int calls = args.length > 0 ? Integer.parseInt(args[0]) : 100000;
        for (int w : new int[] {0, 512, 4096}) {
            int n = 8 * Math.max(1, w);
            float[] x = new float[n];
            Parallel.range(8, 1, (c0, c1) -> { for (int i = c0 * w; i < c1 * w; i++) x[i] += 1f; });
            for (int i = 0; i < w * 8; i++) if (x[i] != 1f) throw new AssertionError("element " + i + " written " + x[i] + " times");
            long[] ns = new long[calls];
            for (int rep = 0; rep < 2; rep++) {
                for (int k = 0; k < calls; k++) {
                    long t0 = System.nanoTime();
                    Parallel.range(8, 1, (c0, c1) -> { for (int i = c0 * w; i < c1 * w; i++) x[i] = x[i] * 0.5f + 1f; });
                    ns[k] = System.nanoTime() - t0;
                }
            }
            Arrays.sort(ns);
            System.out.printf("range 8 chunks x %4d floats (threads %d)  min %7.2f us  p10 %7.2f us  median %7.2f us%n",
                    w, Parallel.THREADS, ns[0] / 1e3, ns[calls / 10] / 1e3, ns[calls / 2] / 1e3);
        }
    }
}
