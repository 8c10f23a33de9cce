package dev.sparring.lab.latent;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class LatentPathsTest {
    private static final double[] A = {3, 0, 0, 4}, B = {0, 5, 0, 0};   // |A| = |B| = 5, 90 degrees apart

    @Test
    void bothPathsStartAndEndAtTheLatentsThemselves() {
        double[] a = {1.5, -2, 0.25}, b = {-0.5, 4, 3};   // unequal norms: slerp keeps the ends, not their directions
        for (LatentPaths.Kind k : LatentPaths.Kind.values()) {
            assertArrayEquals(a, k.at(a, b, 0), 1e-12, k.key);
            assertArrayEquals(b, k.at(a, b, 1), 1e-12, k.key);
        }
        assertArrayEquals(new double[] {0.5, 1, 1.625}, LatentPaths.lerp(a, b, 0.5), 1e-12);
    }

    @Test
    void slerpBetweenEqualNormsKeepsTheNormAndTurnsAtAConstantAngle() {
        int steps = 10;
        double omega = LatentPaths.angle(A, B);
        assertEquals(Math.PI / 2, omega, 1e-12);
        double[] prev = A;
        for (int i = 1; i <= steps; i++) {
            double[] p = LatentPaths.slerp(A, B, (double) i / steps);
            assertEquals(5, LatentPaths.norm(p), 1e-12, "norm at step " + i);
            assertEquals(omega / steps, LatentPaths.angle(prev, p), 1e-9, "angle of step " + i);
            assertEquals(omega * i / steps, LatentPaths.angle(A, p), 1e-9, "angle from the start at step " + i);
            prev = p;
        }
        // the linear path cuts the corner: its midpoint has norm |A| cos(45 degrees), and its steps turn unevenly
        assertEquals(5 * Math.cos(Math.PI / 4), LatentPaths.norm(LatentPaths.lerp(A, B, 0.5)), 1e-12);
        double first = LatentPaths.angle(A, LatentPaths.lerp(A, B, 0.1));
        double middle = LatentPaths.angle(LatentPaths.lerp(A, B, 0.5), LatentPaths.lerp(A, B, 0.6));
        assertEquals(true, middle > 1.3 * first, "lerp turns faster in the middle: " + first + " " + middle);
    }

    @Test
    void slerpOfParallelLatentsIsTheLinearPath() {
        double[] a = {1, 2}, b = {2, 4};
        assertArrayEquals(LatentPaths.lerp(a, b, 0.3), LatentPaths.slerp(a, b, 0.3), 1e-12);
        assertEquals(0, LatentPaths.angle(a, new double[] {0, 0}));
    }
}
