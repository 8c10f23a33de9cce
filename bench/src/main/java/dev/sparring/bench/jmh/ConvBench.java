package dev.sparring.bench.jmh;

import dev.sparring.backend.cpu.Conv;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.concurrent.TimeUnit;

/** The three passes of each DCGAN convolution geometry in {@link KernelShapes#LAYERS}, checked against a direct convolution. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class ConvBench {
    @Param({"mnist-1x32", "mnist-32x64", "dcgan-3x64", "dcgan-64x128", "dcgan-128x256", "dcgan-256x512"})
    public String layer;

    @Param({"forward", "backwardData", "backwardFilter"})
    public String pass;

    Conv.Geometry g;
    float[] x, w, y;                                             // (N, C, H, W), (K, C, R, S), (N, K, P, Q)
    float[] dx, dw, dy;                                          // gradients, same shapes

    @Setup
    public void setup() {
        g = KernelShapes.layer(layer);
        int nx = g.n() * g.c() * g.h() * g.w(), nw = g.k() * g.c() * g.r() * g.s(), ny = g.n() * g.k() * g.p() * g.q();
        x = KernelShapes.random(1, nx);
        w = KernelShapes.random(2, nw);
        dy = KernelShapes.random(3, ny);
        y = new float[ny];
        dx = new float[nx];
        dw = new float[nw];
        run();
        validate();
    }

    @Benchmark
    public float[] run() {
        switch (pass) {
            case "forward" -> Conv.forward(y, x, w, g);
            case "backwardData" -> Conv.backwardData(dx, dy, w, g, false);
            case "backwardFilter" -> Conv.backwardFilter(dw, x, dy, g, false);
            default -> throw new IllegalArgumentException("bench: unknown pass '" + pass + "'");
        }
        return y;
    }

    private int xi(int n, int c, int h, int ww) { return ((n * g.c() + c) * g.h() + h) * g.w() + ww; }

    private int yi(int n, int k, int p, int q) { return ((n * g.k() + k) * g.p() + p) * g.q() + q; }

    private int wi(int k, int c, int r, int s) { return ((k * g.c() + c) * g.r() + r) * g.s() + s; }

    /** Direct convolution in double on sampled output elements. */
    private void validate() {
        int P = g.p(), Q = g.q(), stH = g.strideH(), stW = g.strideW(), padH = g.padH(), padW = g.padW();
        String what = pass + " " + layer;
        switch (pass) {
            case "forward" -> {
                for (int idx : KernelShapes.samples(y.length, 300)) {
                    int q = idx % Q, p = idx / Q % P, k = idx / (P * Q) % g.k(), n = idx / (P * Q * g.k());
                    double s = 0;
                    for (int c = 0; c < g.c(); c++)
                        for (int r = 0; r < g.r(); r++)
                            for (int t = 0; t < g.s(); t++) {
                                int ih = p * stH - padH + r, iw = q * stW - padW + t;
                                if (ih >= 0 && ih < g.h() && iw >= 0 && iw < g.w()) s += (double) x[xi(n, c, ih, iw)] * w[wi(k, c, r, t)];
                            }
                    KernelShapes.check(what, idx, s, y[idx], g.c() * g.r() * g.s());
                }
            }
            case "backwardData" -> {
                for (int idx : KernelShapes.samples(dx.length, 300)) {
                    int iw = idx % g.w(), ih = idx / g.w() % g.h(), c = idx / (g.w() * g.h()) % g.c(), n = idx / (g.w() * g.h() * g.c());
                    double s = 0;
                    for (int k = 0; k < g.k(); k++)
                        for (int r = 0; r < g.r(); r++)
                            for (int t = 0; t < g.s(); t++) {
                                int ph = ih + padH - r, qw = iw + padW - t;
                                if (ph % stH != 0 || qw % stW != 0 || ph < 0 || qw < 0 || ph / stH >= P || qw / stW >= Q) continue;
                                s += (double) dy[yi(n, k, ph / stH, qw / stW)] * w[wi(k, c, r, t)];
                            }
                    KernelShapes.check(what, idx, s, dx[idx], g.k() * g.r() * g.s());
                }
            }
            case "backwardFilter" -> {
                for (int idx : KernelShapes.samples(dw.length, 100)) {
                    int t = idx % g.s(), r = idx / g.s() % g.r(), c = idx / (g.s() * g.r()) % g.c(), k = idx / (g.s() * g.r() * g.c());
                    double s = 0;
                    for (int n = 0; n < g.n(); n++)
                        for (int p = 0; p < P; p++)
                            for (int q = 0; q < Q; q++) {
                                int ih = p * stH - padH + r, iw = q * stW - padW + t;
                                if (ih >= 0 && ih < g.h() && iw >= 0 && iw < g.w()) s += (double) x[xi(n, c, ih, iw)] * dy[yi(n, k, p, q)];
                            }
                    KernelShapes.check(what, idx, s, dw[idx], g.n() * P * Q);
                }
            }
            default -> throw new IllegalArgumentException("bench: unknown pass '" + pass + "'");
        }
    }
}
