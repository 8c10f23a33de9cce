package dev.sparring.eval;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reading Sparring's files back with numpy, the reader they are written for: skipped where python3 or numpy is absent. */
public final class Numpy {
    private Numpy() { }

    /**
     * Runs {@code python3 -c script FILE} and returns its output (stdout and stderr together), after checking that it
     * ended within a minute with exit status 0. Aborts the test when python3 cannot be started or has no numpy.
     */
    public static String run(String script, Path file) throws IOException, InterruptedException {
        Process proc;
        try {
            proc = new ProcessBuilder("python3", "-c", script, file.toString()).redirectErrorStream(true).start();
        } catch (IOException e) {
            Assumptions.abort("python3 is not installed");
            return null;
        }
        String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(proc.waitFor(60, TimeUnit.SECONDS));
        Assumptions.assumeFalse(out.contains("No module named 'numpy'"), "numpy is not installed");
        assertEquals(0, proc.exitValue(), out);
        return out;
    }
}
