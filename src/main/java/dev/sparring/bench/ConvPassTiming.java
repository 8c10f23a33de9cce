package dev.sparring.bench;

import dev.sparring.backend.cpu.Conv;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The CPU convolution's three passes alone, on one geometry: {@code ConvPassTiming N,C,H,W,K,R,S,STRIDE,PAD ROUNDS CALLS
 * [LABEL]} times ROUNDS x CALLS calls of each of {@link Conv#forward}, {@link Conv#backwardData} (written) and
 * {@link Conv#backwardFilter} (written), round by round in turn, and prints the least milliseconds per call of each, a
 * checksum of the outputs and the load: {@code LABEL fwd 1.455 bdata 1.637 bfilt 1.319 ms (checksum ...) load 8.90}.
 * Inputs uniform in [-1, 1); a few entries of each output are checked first against a double-precision direct
 * convolution, so a wrong pass is never timed. Run with {@code -XX:ActiveProcessorCount=1} for one core's cost, and
 * with another build's jar first on the class path ({@code -cp BASE.jar:target/sparring.jar}) to time its passes:
 * this class only calls Conv's public methods.
 */
public final class ConvPassTiming {
    private ConvPassTiming() { }

    public static void main(String[] args) throws Exception {
        Locale.setDefault(Locale.ROOT);
        if (args.length < 3) {
            System.err.println("usage: ConvPassTiming N,C,H,W,K,R,S,STRIDE,PAD ROUNDS CALLS [LABEL]");
            System.exit(2);
        }
        int[] d = java.util.Arrays.stream(args[0].split(",")).mapToInt(Integer::parseInt).toArray();
        Conv.Geometry g = new Conv.Geometry(d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8]);
        int rounds = Integer.parseInt(args[1]), calls = Integer.parseInt(args[2]), P = g.p(), Q = g.q(), RS = g.r() * g.s();
        SplittableRandom rnd = new SplittableRandom(1);
        float[] x = new float[g.n() * g.c() * g.h() * g.w()], w = new float[g.k() * g.c() * RS], dy = new float[g.n() * g.k() * P * Q];
        for (float[] a : new float[][] {x, w, dy}) for (int i = 0; i < a.length; i++) a[i] = (float) (rnd.nextDouble() * 2 - 1);
        float[] y = new float[dy.length], dx = new float[x.length], dw = new float[w.length];
        Runnable[] passes = {() -> Conv.forward(y, x, w, g), () -> Conv.backwardData(dx, dy, w, g, false), () -> Conv.backwardFilter(dw, x, dy, g, false)};
        for (Runnable pass : passes) pass.run();
        check(g, x, w, dy, y, dx, dw, rnd);
        double[] best = {Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE};
        for (int r = 0; r < rounds; r++) {
            for (int o = 0; o < 3; o++) {
                for (int i = 0; i < calls; i++) {
                    long t0 = System.nanoTime();
                    passes[o].run();
                    best[o] = Math.min(best[o], (System.nanoTime() - t0) / 1e6);
                }
            }
        }
        double sum = 0;
        for (float[] a : new float[][] {y, dx, dw}) for (float v : a) sum += v;
        String load = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ")[0];
        System.out.printf("%s fwd %.3f bdata %.3f bfilt %.3f ms (checksum %.6f) load %s%n", args.length > 3 ? args[3] : "", best[0], best[1], best[2], sum, load);
    }

    /** Eight entries of y and dx (one image), and one filter's dw, against the direct convolution in double: sums of a few hundred terms in [-1, 1]. */
    private static void check(Conv.Geometry g, float[] x, float[] w, float[] dy, float[] y, float[] dx, float[] dw, SplittableRandom rnd) {
        int P = g.p(), Q = g.q(), H = g.h(), W = g.w();
        double[] refY = new double[y.length], refDx = new double[dx.length], refDw = new double[dw.length];
        {
            int n = rnd.nextInt(g.n());                              // one image: its y and dx
            for (int k = 0; k < g.k(); k++) {
                for (int p = 0; p < P; p++) {
                    for (int q = 0; q < Q; q++) {
                        int yi = ((n * g.k() + k) * P + p) * Q + q;
                        for (int c = 0; c < g.c(); c++) {
                            for (int r = 0; r < g.r(); r++) {
                                for (int s = 0; s < g.s(); s++) {
                                    int ih = p * g.strideH() - g.padH() + r, iw = q * g.strideW() - g.padW() + s;
                                    if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                                    int xi = ((n * g.c() + c) * H + ih) * W + iw, wi = ((k * g.c() + c) * g.r() + r) * g.s() + s;
                                    refY[yi] += (double) x[xi] * w[wi];
                                    refDx[xi] += (double) dy[yi] * w[wi];
                                }
                            }
                        }
                    }
                }
            }
            for (int i = 0; i < 8; i++) {
                int yi = (n * g.k() + rnd.nextInt(g.k())) * P * Q + rnd.nextInt(P * Q), xi = (n * g.c() + rnd.nextInt(g.c())) * H * W + rnd.nextInt(H * W);
                if (Math.abs(refY[yi] - y[yi]) > 1e-3 || Math.abs(refDx[xi] - dx[xi]) > 1e-3) {
                    throw new IllegalStateException("ConvPassTiming: a pass is wrong on " + g + ": y " + y[yi] + " want " + refY[yi] + ", dx " + dx[xi] + " want " + refDx[xi]);
                }
            }
        }
        // the filter gradient of one filter over the whole batch
        int k = rnd.nextInt(g.k());
        for (int n = 0; n < g.n(); n++) {
            for (int p = 0; p < P; p++) {
                for (int q = 0; q < Q; q++) {
                    float dyv = dy[((n * g.k() + k) * P + p) * Q + q];
                    for (int c = 0; c < g.c(); c++) {
                        for (int r = 0; r < g.r(); r++) {
                            for (int s = 0; s < g.s(); s++) {
                                int ih = p * g.strideH() - g.padH() + r, iw = q * g.strideW() - g.padW() + s;
                                if (ih >= 0 && ih < H && iw >= 0 && iw < W) refDw[((k * g.c() + c) * g.r() + r) * g.s() + s] += (double) x[((n * g.c() + c) * H + ih) * W + iw] * dyv;
                            }
                        }
                    }
                }
            }
        }
        for (int i = k * g.c() * g.r() * g.s(); i < (k + 1) * g.c() * g.r() * g.s(); i++) {
            if (Math.abs(refDw[i] - dw[i]) > 1e-3 * Math.max(1, Math.abs(refDw[i]))) {
                throw new IllegalStateException("ConvPassTiming: backward filter is wrong on " + g + ": dw[" + i + "] " + dw[i] + " want " + refDw[i]);
            }
        }
    }
}
