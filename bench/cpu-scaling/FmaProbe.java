import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.Locale;

/**
 * How much of a second core this machine gives right now: {@code java --add-modules jdk.incubator.vector FmaProbe.java}
 * runs independent chains of 512-bit (or the widest) FMAs on 1 thread, then the same on 2 threads at once (no shared
 * data), and prints both rates and their ratio, "fma 1t 210 GF/s 2t 418 GF/s ratio 1.99". On an idle 2-core machine the
 * ratio is near 2; a busy or shared second core (another process, an SMT sibling, a loaded host) brings it toward 1.
 * bench/cpu-scaling/ab.sh prints it each round beside the step times, as a measure of the load that the load average
 * of a virtual machine does not show.
 */
public class FmaProbe {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final long ITERS = 60_000_000L;

    static float chains(long iters) {
        FloatVector a0 = FloatVector.broadcast(S, 1f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0;
        FloatVector m = FloatVector.broadcast(S, 0.9999f), c = FloatVector.broadcast(S, 0.0001f);
        for (long i = 0; i < iters; i++) {
            a0 = a0.fma(m, c); a1 = a1.fma(m, c); a2 = a2.fma(m, c); a3 = a3.fma(m, c); a4 = a4.fma(m, c);
            a5 = a5.fma(m, c); a6 = a6.fma(m, c); a7 = a7.fma(m, c); a8 = a8.fma(m, c); a9 = a9.fma(m, c);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).reduceLanes(VectorOperators.ADD);
    }

    static double rate(int threads) throws InterruptedException {
        Thread[] ts = new Thread[threads];
        float[] sink = new float[threads];
        long t0 = System.nanoTime();
        for (int t = 0; t < threads; t++) {
            int id = t;
            ts[t] = new Thread(() -> sink[id] = chains(ITERS));
            ts[t].start();
        }
        for (Thread t : ts) t.join();
        double s = (System.nanoTime() - t0) / 1e9;
        if (Float.isNaN(sink[0])) throw new AssertionError();
        return threads * ITERS * 10.0 * 2 * S.length() / s / 1e9;
    }

    public static void main(String[] args) throws InterruptedException {
        Locale.setDefault(Locale.ROOT);
        for (int i = 0; i < 3; i++) chains(20_000_000);          // compiled by C2 before timing (an OSR-compiled loop is slower)
        double one = rate(1), two = rate(2);
        System.out.printf("fma 1t %.0f GF/s 2t %.0f GF/s ratio %.2f%n", one, two, two / one);
    }
}
