package dev.sparring.lab.latent;

import dev.sparring.UserError;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LatentExpressionTest {
    private static LatentExpression.Term cls(double c, int d) { return new LatentExpression.Term(c, d, null); }

    private static LatentExpression.Term set(double c, String n) { return new LatentExpression.Term(c, -1, n); }

    @Test
    void parsesClassesNamesSignsAndCoefficients() {
        assertEquals(List.of(cls(1, 7), cls(-1, 1), cls(1, 4)), LatentExpression.parse("7 - 1 + 4").terms());
        assertEquals(List.of(cls(1, 7), cls(-1, 1), cls(1, 4)), LatentExpression.parse("7-1+4").terms());
        assertEquals(List.of(set(-1, "a"), set(0.5, "smile_2"), cls(-2, 3)), LatentExpression.parse(" -a + 0.5*smile_2 - 2 * 3 ").terms());
        assertEquals(List.of(set(1e-3, "b")), LatentExpression.parse("1e-3*b").terms());
        LatentExpression e = LatentExpression.parse("a - b + 7 + a");
        assertEquals(List.of(7), List.copyOf(e.classes()));
        assertEquals(List.of("a", "b"), List.copyOf(e.names()));
        assertEquals("-a + 0.5*smile_2 - 2*3", LatentExpression.parse(" -a + 0.5*smile_2 - 2 * 3 ").canonical());
    }

    @Test
    void evaluatesTheWeightedSum() {
        Map<String, double[]> v = Map.of("7", new double[] {1, 2}, "1", new double[] {10, 20}, "a", new double[] {100, 200});
        double[] r = LatentExpression.parse("7 - 1 + 0.5*a").evaluate(t -> v.get(t.atom()));
        assertArrayEquals(new double[] {1 - 10 + 50, 2 - 20 + 100}, r, 1e-12);
    }

    @Test
    void refusesMalformedExpressionsInOneLineNamingTheFlag() {
        for (String[] c : new String[][] {
                {"", "is empty"}, {"   ", "is empty"}, {"7 -", "ends after a sign"}, {"12 + 3", "'12' at position 1 is not a class"},
                {"7 + 0.5", "'0.5' at position 5 is not a class"}, {"7 & 3", "expected + or - at position 3, found '&'"},
                {"7 + * 3", "unexpected '*' at position 5"}, {"2*", "ends after '*'"}, {"2*3*a", "one coefficient per term"},
                {"7 3", "expected + or - at position 3"}, {"1.2.3*a", "'1.2.3' at position 1 is not a number"}}) {
            UserError e = assertThrows(UserError.class, () -> LatentExpression.parse(c[0]), c[0]);
            assertTrue(e.getMessage().startsWith("--expr \"" + c[0] + "\" ") && e.getMessage().contains(c[1]), c[0] + ": " + e.getMessage());
            assertEquals(1, e.getMessage().lines().count());
        }
    }
}
