package dev.sparring.lab.numerics;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every analytic derivative of every game against central differences of the one below it: v against f, J against v,
 * the Hessian of L and the consensus Jacobian against grad L and w, and each method's update matrix against its step.
 */
class GameDerivativesTest {
    /** Central differences with step 1e-5: truncation ~1e-10 times the third derivative, rounding ~1e-11 / 1e-5. */
    static final double H = 1e-5, ATOL = 1e-6, RTOL = 1e-6;

    interface Vec { double[] at(double x, double y); }

    /** (d/dx, d/dy) of component k of F at (x, y), as the columns of a Jacobian row. */
    static double[] row(Vec f, int k, double x, double y) {
        return new double[] {(f.at(x + H, y)[k] - f.at(x - H, y)[k]) / (2 * H), (f.at(x, y + H)[k] - f.at(x, y - H)[k]) / (2 * H)};
    }

    static void close(String what, double expected, double actual) {
        if (Math.abs(expected - actual) > ATOL + RTOL * Math.abs(expected)) {
            fail(what + ": finite differences give " + expected + ", the analytic derivative " + actual + " (difference " + (actual - expected) + ")");
        }
    }

    static void close(String what, Vec f, Mat2 analytic, double x, double y) {
        double[] r0 = row(f, 0, x, y), r1 = row(f, 1, x, y);
        close(what + "[0][0]", r0[0], analytic.a());
        close(what + "[0][1]", r0[1], analytic.b());
        close(what + "[1][0]", r1[0], analytic.c());
        close(what + "[1][1]", r1[1], analytic.d());
    }

    /** Points in the games' windows, and beyond, away from nothing in particular. */
    static double[][] points() {
        Random r = new Random(7);
        double[][] p = new double[20][];
        for (int i = 0; i < p.length; i++) p[i] = new double[] {-2.5 + 5 * r.nextDouble(), -2.5 + 5 * r.nextDouble()};
        return p;
    }

    @Test
    void theFieldIsMinusFxAndFyByFiniteDifferencesOfF() {
        for (Game g : Games.ALL) {
            for (double[] p : points()) {
                double x = p[0], y = p[1];
                double fx = (g.f(x + H, y) - g.f(x - H, y)) / (2 * H), fy = (g.f(x, y + H) - g.f(x, y - H)) / (2 * H);
                double[] v = g.v(x, y);
                close(g.name() + " v_x = -df/dx at (" + x + ", " + y + ")", -fx, v[0]);
                close(g.name() + " v_y = df/dy at (" + x + ", " + y + ")", fy, v[1]);
            }
        }
    }

    @Test
    void theJacobianHessianOfLAndConsensusJacobianMatchFiniteDifferences() {
        for (Game g : Games.ALL) {
            for (double[] p : points()) {
                double x = p[0], y = p[1];
                String at = " of " + g.name() + " at (" + x + ", " + y + ")";
                close("J" + at, g::v, g.jacobian(x, y), x, y);
                close("Hessian of L" + at, g::gradL, g.hessianL(x, y), x, y);
                for (double gamma : new double[] {0.3, 5}) {
                    close("w' (gamma " + gamma + ")" + at, (a, b) -> g.consensus(a, b, gamma), g.consensusJacobian(x, y, gamma), x, y);
                }
                // grad L itself: L = |v|^2 / 2 by differences
                Vec l = (a, b) -> {
                    double[] v = g.v(a, b);
                    return new double[] {(v[0] * v[0] + v[1] * v[1]) / 2};
                };
                double[] dl = row(l, 0, x, y), gl = g.gradL(x, y);
                close("dL/dx" + at, dl[0], gl[0]);
                close("dL/dy" + at, dl[1], gl[1]);
            }
        }
    }

    @Test
    void eachMethodsUpdateMatrixIsTheJacobianOfItsStep() {
        for (Game g : Games.ALL) {
            for (Method m : Method.values()) {
                for (double[] p : points()) {
                    double x = p[0], y = p[1], h = 0.3, gamma = 0.7;
                    close(m.flag() + " update matrix of " + g.name() + " at (" + x + ", " + y + ")", (a, b) -> m.step(g, a, b, h, gamma),
                            m.updateMatrix(g, x, y, h, gamma), x, y);
                }
            }
        }
    }

    @Test
    void eigenvaluesOfTwoByTwoMatrices() {
        Complex[] rot = new Mat2(0, -1, 1, 0).eigenvalues();
        assertEquals(new Complex(0, 1), rot[0]);
        assertEquals(new Complex(0, -1), rot[1]);
        Complex[] real = new Mat2(2, 1, 1, 2).eigenvalues();
        assertEquals(3, real[0].re(), 1e-15);
        assertEquals(1, real[1].re(), 1e-15);
        Complex[] tiny = new Mat2(1e8, 0, 0, 1e-8).eigenvalues();   // no cancellation in the small one
        assertEquals(1e-8, tiny[1].re(), 1e-22);
        assertEquals(Math.sqrt(2), new Mat2(1, -1, 1, 1).spectralRadius(), 1e-15);
        double[] z = new Mat2(2, 1, 1, 3).solve(3, 5);
        assertEquals(0.8, z[0], 1e-15);
        assertEquals(1.4, z[1], 1e-15);
        assertTrue(new Mat2(1, 2, 2, 4).solve(1, 1) == null, "singular");
    }
}
