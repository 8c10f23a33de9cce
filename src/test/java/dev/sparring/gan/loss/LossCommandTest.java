package dev.sparring.gan.loss;

import dev.sparring.cli.LossCommand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** {@code sparring loss list} and {@code sparring loss check}, run through picocli with captured output. */
class LossCommandTest {
    private record Run(int code, String out, String err) { }

    private static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = new CommandLine(new LossCommand());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void listShowsTheCatalogue() {
        Run r = run("list");
        assertEquals(0, r.code, r.err);
        for (String n : GanLosses.names()) assertTrue(r.out.contains("\n" + n), "list lacks " + n);
        assertTrue(r.out.contains("lsgan:a=0,b=1,c=1  -  Least-squares GAN"), r.out);
        assertTrue(r.out.contains("defaults: RMSProp(alpha=0.99), lr 5e-5, 5 critic steps, clip 0.01"), r.out);
        assertTrue(r.out.contains("phi(t)  = log_sigmoid(t)"), r.out);
        assertTrue(r.out.contains("defaults: Adam(beta1=0.5, beta2=0.999), lr 2e-4, 1 critic step, no clipping"), r.out);
        Run names = run("list", "--names");
        assertEquals(String.join("\n", GanLosses.names()), names.out.strip());
    }

    @Test
    void checkPassesABuiltinAndWritesThePlot(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("minimax.png");
        Run r = run("check", "minimax", "--png", png.toString());
        assertEquals(0, r.code, r.out + r.err);
        assertTrue(r.out.contains("verdict: PASS"), r.out);
        assertTrue(r.out.contains("1.386294  (= 2 ln 2)"), r.out);
        assertTrue(Files.size(png) > 1000);
        // an existing file is replaced only when asked
        byte[] before = Files.readAllBytes(png);
        Run again = run("check", "nsgan", "--png", png.toString());
        assertEquals(2, again.code, again.err);
        assertTrue(again.err.contains("--overwrite"), again.err);
        assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(png)));
        assertEquals(0, run("check", "nsgan", "--png", png.toString(), "--overwrite").code);
        assertFalse(java.util.Arrays.equals(before, Files.readAllBytes(png)));
    }

    @Test
    void checkFailsABrokenDesign() {
        Run r = run("check", "phi=-exp(-t) + 4*sigmoid(t - 3); psi=-t");
        assertEquals(1, r.code, r.out + r.err);
        assertTrue(r.out.contains("[FAIL] omega^-1"), r.out);
        assertTrue(r.out.contains("verdict: FAIL (omega^-1)"), r.out);
    }

    @Test
    void checkPassesAFormulaWithParameters() {
        Run r = run("check", "phi=-(t - a)^2; psi=-(t - b)^2; beta=(t - a)^2; a=1; b=0");
        assertEquals(0, r.code, r.out + r.err);
        assertTrue(r.out.contains("0.25 x triangular discrimination"), r.out);
    }

    @Test
    void unreadableSpecificationsExitWithTwoAndPointAtTheColumn() {
        Run r = run("check", "phi=-exp(t); psi=-lg(t)");
        assertEquals(2, r.code);
        String spec = "phi=-exp(t); psi=-lg(t)";
        int col = spec.indexOf("lg") + 1;
        assertTrue(r.err.contains("column " + col + ": unknown function 'lg'"), r.err);
        assertTrue(r.err.contains("\n  " + spec + "\n  " + " ".repeat(col - 1) + "^"), r.err);
        Run unknown = run("check", "lsgna");
        assertEquals(2, unknown.code);
        assertTrue(unknown.err.contains("unknown loss 'lsgna'"), unknown.err);
        assertEquals(2, run("check").code, "missing SPEC is a usage error");
    }
}
