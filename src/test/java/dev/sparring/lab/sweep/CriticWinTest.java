package dev.sparring.lab.sweep;

import dev.sparring.UserError;
import dev.sparring.gan.loss.GanLoss;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The "critic wins" detector on synthetic D-loss series, its threshold per loss, and the sweep's rate lists. */
class CriticWinTest {
    private static final CriticWin WIN = new CriticWin(0.05, 5);

    private static long[] steps(int from, int n) {
        long[] s = new long[n];
        for (int i = 0; i < n; i++) s[i] = from + i;
        return s;
    }

    @Test
    void theThresholdSitsAShareOfTheWayFromTheMinimumToTheEquilibrium() {
        GanLoss nsgan = GanLoss.parse("nsgan"), hinge = GanLoss.parse("hinge"), js = GanLoss.parse("fgan-js"), wgan = GanLoss.parse("wgan");
        assertEquals(0.05 * 2 * Math.log(2), WIN.threshold(nsgan.equilibriumCriticLoss(), nsgan.minimumCriticLoss()), 1e-12);
        assertEquals(0.1, WIN.threshold(hinge.equilibriumCriticLoss(), hinge.minimumCriticLoss()), 1e-12);   // 0 + 0.05 * 2
        // the f-GAN Jensen-Shannon loss: L_D* = 0, L_min = -2 ln 2; the threshold lies below 0, near L_min
        assertEquals(-0.95 * 2 * Math.log(2), WIN.threshold(js.equilibriumCriticLoss(), js.minimumCriticLoss()), 1e-9);
        // no lower bound (wgan), no equilibrium, or an equilibrium not above the minimum: no win is defined
        assertTrue(Double.isNaN(WIN.threshold(wgan.equilibriumCriticLoss(), wgan.minimumCriticLoss())));
        assertTrue(Double.isNaN(WIN.threshold(Double.NaN, 0)));
        assertTrue(Double.isNaN(WIN.threshold(0, 0)));
    }

    @Test
    void theFirstStepOfTheFirstFullWindowBelowTheThreshold() {
        // an nsgan-like series: near 2 ln 2, a dip of 4 steps (shorter than the window), then a win from step 31 on
        int n = 60;
        long[] s = steps(1, n);
        double[] d = new double[n];
        for (int i = 0; i < n; i++) d[i] = 1.3 - 0.01 * (i % 3);
        for (int i = 10; i < 14; i++) d[i] = 0.01;       // steps 11-14: too short
        for (int i = 30; i < n; i++) d[i] = 0.02;        // steps 31-60
        d[33] = 0.0693;                                   // at the threshold still counts
        assertEquals(31, WIN.firstWin(s, d, 0.0693));
        // a window exactly long enough
        assertEquals(11, new CriticWin(0.05, 4).firstWin(s, d, 0.0693));
        // never below: -1; a NaN threshold (no win defined): -1
        assertEquals(-1, WIN.firstWin(s, d, 0.005));
        assertEquals(-1, WIN.firstWin(s, d, Double.NaN));
        assertEquals(-1, WIN.firstWin(new long[0], new double[0], 1));
    }

    @Test
    void aNonFiniteLossOrAGapInTheStepsBreaksAWindow() {
        long[] s = steps(101, 12);
        double[] d = new double[12];
        java.util.Arrays.fill(d, 0.01);
        d[3] = Double.NaN;                                // steps 101-103, then a NaN at 104
        assertEquals(105, WIN.firstWin(s, d, 0.05));
        long[] gap = {1, 2, 3, 4, 10, 11, 12, 13, 14};    // 1-4 then 10-14: only the second run is 5 long
        assertEquals(10, WIN.firstWin(gap, new double[gap.length], 0.05));
        assertEquals(-1, WIN.firstWin(new long[] {1, 2, 3, 5, 6}, new double[5], 0.05));
        assertEquals(1, new CriticWin(0.05, 1).firstWin(new long[] {1}, new double[] {0}, 0.05));
    }

    @Test
    void badSettingsAreRefusedNamingTheFlag() {
        assertTrue(assertThrows(UserError.class, () -> new CriticWin(0, 5)).getMessage().startsWith("--win-margin"));
        assertTrue(assertThrows(UserError.class, () -> new CriticWin(1, 5)).getMessage().startsWith("--win-margin"));
        assertTrue(assertThrows(UserError.class, () -> new CriticWin(0.05, 0)).getMessage().startsWith("--win-window"));
    }

    @Test
    void rateListsAndTheirNames() {
        assertEquals(List.of(1e-4, 2e-4, 4e-3), Grid.parseRates(" 1e-4, 0.0002,4e-3", "--lr-d"));
        for (String bad : List.of("", ",", "1e-4,", "1e-4,,2e-4", "abc", "1e-4,x", "0", "-1e-3", "NaN", "Infinity", "1e-4,1e-4")) {
            UserError e = assertThrows(UserError.class, () -> Grid.parseRates(bad, "--lr-g"), bad);
            assertTrue(e.getMessage().startsWith("--lr-g") && !e.getMessage().contains("\n"), e.getMessage());
        }
        assertEquals("2e-3", Grid.rate(0.002));
        assertEquals("1.5e-4", Grid.rate(1.5e-4));
        assertEquals("1.6e-3", Grid.rate(0.0016f));   // a rate read back from a float keeps its short name
        assertEquals("1e2", Grid.rate(100));
        Grid g = new Grid(List.of(1e-3, 2e-3), List.of());
        assertEquals(2, g.cells().size());
        assertEquals(null, g.cells().get(1).lrG());
        assertEquals(1, g.columns());
    }
}
