package dev.sparring.nn;

import dev.sparring.backend.Backend;
import dev.sparring.random.Philox;
import dev.sparring.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Supplier;

/**
 * Finite-difference gradient check (Caffe's GradientChecker): the scalar L = sum_i r_i y_i for a fixed random
 * r, central differences on sampled coordinates of the input and of every parameter, compared with what
 * backward accumulated. Coordinates whose perturbation crosses a kink (ReLU-like points, detected by the
 * one-sided differences disagreeing) are skipped, as Caffe's kink zone does.
 */
final class GradientChecker {
    final Backend be;
    final double eps, atol, rtol;
    final int samplesPerTensor;
    int checked, skippedKinks;
    final List<String> failures = new ArrayList<>();

    GradientChecker(Backend be, double eps, double atol, double rtol, int samplesPerTensor) {
        this.be = be; this.eps = eps; this.atol = atol; this.rtol = rtol; this.samplesPerTensor = samplesPerTensor;
    }

    static float[] randn(long seed, int n, double std) {
        float[] v = new float[n];
        Philox.normals(seed, 0, v, 0, n);
        for (int i = 0; i < n; i++) v[i] *= (float) std;
        return v;
    }

    /**
     * Checks d(sum r*y)/dx and d(sum r*y)/dparams. {@code forward} runs a forward pass on the fixed input x (the
     * checker perturbs x and the parameters in place); {@code backward} takes dy and whether dx is wanted.
     */
    void check(String what, Supplier<Tensor> forward, BiFunction<Tensor, Boolean, Tensor> backward,
               List<Parameter> params, Tensor x, boolean checkInput, long seed) {
        Tensor y0 = forward.get();
        float[] r = randn(seed ^ 0x5EED, y0.sizeInt(), 1.0);
        Tensor dy = be.upload(r, y0.shape());
        for (Parameter p : params) be.fill(p.grad(), 0f);
        Tensor dx = backward.apply(dy, checkInput);
        float[] dxv = checkInput ? be.download(dx) : null;
        List<float[]> dps = new ArrayList<>();
        for (Parameter p : params) dps.add(be.download(p.grad()));

        if (checkInput) compare(what + " input", x, dxv, forward, r, seed);
        for (int i = 0; i < params.size(); i++) {
            compare(what + " " + params.get(i).name(), params.get(i).value(), dps.get(i), forward, r, seed + i + 1);
        }
    }

    private double loss(Supplier<Tensor> forward, float[] r) {
        float[] y = be.download(forward.get());
        double s = 0;
        for (int i = 0; i < y.length; i++) s += (double) r[i] * y[i];
        return s;
    }

    private void compare(String name, Tensor t, float[] analytic, Supplier<Tensor> forward, float[] r, long seed) {
        float[] v = be.download(t);
        int n = v.length;
        int[] idx = new int[4];
        for (int k = 0; k < Math.min(samplesPerTensor, n); k++) {
            int i;
            if (n <= samplesPerTensor) i = k;
            else { Philox.block(seed, k, idx, 0); i = (int) ((idx[0] & 0xFFFFFFFFL) % n); }
            float orig = v[i];
            v[i] = (float) (orig + eps); be.copyFromHost(v, t); double lp = loss(forward, r);
            v[i] = (float) (orig - eps); be.copyFromHost(v, t); double lm = loss(forward, r);
            v[i] = orig; be.copyFromHost(v, t); double l0 = loss(forward, r);
            double hp = (float) (orig + eps) - orig, hm = orig - (float) (orig - eps);
            double fd = (lp - lm) / (hp + hm);
            double right = (lp - l0) / hp, left = (l0 - lm) / hm;
            double tol = atol + rtol * Math.abs(fd);
            if (Math.abs(right - left) > tol) { skippedKinks++; continue; }   // a kink inside [x-eps, x+eps]
            checked++;
            if (Math.abs(fd - analytic[i]) > tol) {
                failures.add(String.format("%s[%d]: finite difference %.6g, backward %.6g, diff %.3g > tol %.3g",
                        name, i, fd, analytic[i], Math.abs(fd - analytic[i]), tol));
            }
        }
    }

    String report() {
        return checked + " coordinates checked, " + skippedKinks + " skipped at kinks"
                + (failures.isEmpty() ? "" : "; first failures:\n  " + String.join("\n  ", failures.subList(0, Math.min(8, failures.size()))));
    }
}
