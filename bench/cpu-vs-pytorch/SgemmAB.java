import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Two or more builds of Sparring's {@code Sgemm.sgemm} in one JVM, each jar in a class loader of its own, taking turns
 * call by call: on a loaded machine the builds see the same load, which separate processes minutes apart do not.
 * <pre>
 *   java --add-modules jdk.incubator.vector -XX:ActiveProcessorCount=1 -Dcpu=true bench/cpu-vs-pytorch/SgemmAB.java \
 *       21 main=/tmp/main.jar new=target/sparring.jar -- 32x12544x16 64x65536x48
 * </pre>
 * Per shape (C (M, N) = A (M, K) B (K, N), row-major, beta 0): each build warms up 0.7 s, the outputs must be bit for
 * bit the first build's, then ROUNDS rounds, each build in turn (the order rotating) making enough products for about
 * 0.3 GFLOP and keeping the fastest. Prints the best round and the median round in GFLOP/s and the first build's best
 * time over each one's. -Dcpu=true times the calling thread's CPU time (with one processor, Sgemm runs there alone: the
 * cost on one core), else the wall clock.
 */
public final class SgemmAB {
    private static final boolean CPU = Boolean.getBoolean("cpu");
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    public static void main(String[] args) throws Throwable {
        Locale.setDefault(Locale.ROOT);
        int sep = Arrays.asList(args).indexOf("--");
        if (args.length < 4 || sep < 2) {
            System.err.println("usage: SgemmAB ROUNDS NAME=JAR [NAME=JAR ...] -- MxNxK [MxNxK ...]");
            System.exit(2);
        }
        int rounds = Integer.parseInt(args[0]);
        List<String> names = new ArrayList<>();
        List<MethodHandle> sgemm = new ArrayList<>();
        MethodType type = MethodType.methodType(void.class, boolean.class, boolean.class, int.class, int.class, int.class, float.class,
                float[].class, int.class, int.class, float[].class, int.class, int.class, float.class, float[].class, int.class, int.class);
        for (int i = 1; i < sep; i++) {
            String[] nameJar = args[i].split("=", 2);
            ClassLoader loader = new URLClassLoader(new URL[] {Path.of(nameJar[1]).toUri().toURL()}, ClassLoader.getPlatformClassLoader());
            Class<?> c = Class.forName("dev.sparring.backend.cpu.Sgemm", true, loader);
            names.add(nameJar[0]);
            sgemm.add(MethodHandles.publicLookup().findStatic(c, "sgemm", type));
        }
        for (int s = sep + 1; s < args.length; s++) {
            String[] p = args[s].split("x");
            int m = Integer.parseInt(p[0]), n = Integer.parseInt(p[1]), k = Integer.parseInt(p[2]);
            float[] a = random(1, m * k), b = random(2, k * n);
            float[][] c = new float[sgemm.size()][m * n];
            double flop = 2.0 * m * n * k;
            int calls = (int) Math.max(1, Math.min(200, 3e8 / flop));
            for (int v = 0; v < sgemm.size(); v++) {
                long end = System.nanoTime() + 700_000_000L;
                while (System.nanoTime() < end) sgemm.get(v).invokeExact(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c[v], 0, n);
                if (!Arrays.equals(c[0], c[v])) throw new IllegalStateException(args[s] + ": " + names.get(v) + " differs from " + names.get(0) + " in some bits");
            }
            double[][] best = new double[sgemm.size()][rounds];
            for (int r = 0; r < rounds; r++) {
                for (int i = 0; i < sgemm.size(); i++) {
                    int v = (i + r) % sgemm.size();
                    long min = Long.MAX_VALUE;
                    for (int q = 0; q < calls; q++) {
                        long t0 = now();
                        sgemm.get(v).invokeExact(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c[v], 0, n);
                        min = Math.min(min, now() - t0);
                    }
                    best[v][r] = min;
                }
            }
            StringBuilder line = new StringBuilder("RESULT shape=" + args[s]);
            double first = Arrays.stream(best[0]).min().orElseThrow();
            for (int v = 0; v < sgemm.size(); v++) {
                double[] sorted = best[v].clone();
                Arrays.sort(sorted);
                line.append(String.format(" | %s best %.1f median %.1f GFLOP/s x%.3f", names.get(v), flop / sorted[0], flop / sorted[rounds / 2], first / sorted[0]));
            }
            System.out.println(line);
        }
    }

    private static long now() { return CPU ? THREADS.getCurrentThreadCpuTime() : System.nanoTime(); }

    private static float[] random(long seed, int n) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
        return x;
    }
}
