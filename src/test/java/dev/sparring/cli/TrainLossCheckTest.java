package dev.sparring.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.sparring.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code train} runs the loss checker first: a failing design needs --allow-unchecked, a formula's verdict is printed. */
class TrainLossCheckTest {
    private static final String BROKEN = "phi=t; psi=t; beta=t";

    /** A tiny ring8 run named {@code name} with the given loss and extra flags. */
    private static String[] tiny(Path out, String name, String loss, String... extra) {
        List<String> a = new ArrayList<>(List.of("train", "--no-progress", "--data", "ring8", "--steps", "4", "--batch", "8",
                "--hidden", "8", "--depth", "1", "--nz", "2", "--log-every", "2", "--sample-every", "0", "--checkpoint-every", "2",
                "--out", out.toString(), "--name", name, "--device", "cpu", "--loss", loss));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    @Test
    void aDesignThatFailsTheCheckIsRefusedUnlessAllowed(@TempDir Path dir) {
        CliTest.Run refused = run(tiny(dir, "broken", BROKEN));
        assertEquals(2, refused.code(), refused.err());
        assertTrue(refused.err().contains("--loss " + BROKEN + " fails the design check, FAIL (range): phi' and psi' never have "
                + "opposite signs"), refused.err());
        assertTrue(refused.err().contains("add --allow-unchecked to train it anyway"), refused.err());
        assertEquals(1, refused.err().strip().lines().count(), "one line: " + refused.err());
        assertFalse(Files.exists(dir.resolve("broken")), "nothing was written");

        CliTest.Run allowed = run(tiny(dir, "broken", BROKEN, "--allow-unchecked"));
        assertEquals(0, allowed.code(), allowed.err());
        assertTrue(allowed.err().contains("loss check: FAIL (range): phi' and psi' never have opposite signs"), allowed.err());
        assertTrue(allowed.err().contains("(training it anyway: --allow-unchecked)"), allowed.err());
    }

    @Test
    void aFormulaLossPrintsItsVerdictAndABuiltinDoesNot(@TempDir Path dir) {
        CliTest.Run formula = run(tiny(dir, "f", "phi=-exp(-t); psi=-exp(t)"));
        assertEquals(0, formula.code(), formula.err());
        assertTrue(formula.err().contains("loss check: PASS (interior optimum t* = omega(r)); the critic's optimum: d(1) + D_f(Q||P), "
                + "D_f(Q||P) = squared Hellinger"), formula.err());
        CliTest.Run builtin = run(tiny(dir, "b", "nsgan"));
        assertEquals(0, builtin.code(), builtin.err());
        assertFalse(builtin.err().contains("loss check:"), builtin.err());
        // a built-in whose parameters break it is checked too
        CliTest.Run lsgan = run(tiny(dir, "l", "lsgan:a=0,b=1,c=0.25"));
        assertEquals(2, lsgan.code(), lsgan.err());
        assertTrue(lsgan.err().contains("fails the design check, FAIL (generator)"), lsgan.err());
    }

    /** The run's loss was accepted when it started: resuming takes --allow-unchecked again, or not, and prints the verdict. */
    @Test
    void aRunStartedWithAllowUncheckedResumes(@TempDir Path dir) {
        assertEquals(0, run(tiny(dir, "r", BROKEN, "--allow-unchecked")).code());
        Path runDir = dir.resolve("r");
        CliTest.Run again = run("train", "--resume", runDir.toString(), "--steps", "6", "--device", "cpu", "--no-progress",
                "--allow-unchecked");
        assertEquals(0, again.code(), again.err());
        assertTrue(again.err().contains("loss check: FAIL (range)"), again.err());
        assertTrue(again.err().contains("(the run started with this loss; resuming it)"), again.err());
        CliTest.Run plain = run("train", "--resume", runDir.toString(), "--steps", "8", "--device", "cpu", "--no-progress");
        assertEquals(0, plain.code(), plain.err());
        assertTrue(plain.err().contains("finished 8 steps"), plain.err());
    }
}
