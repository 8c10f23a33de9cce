package dev.sparring.train;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A test's main class run in a new JVM, with this JVM's java and class path and the flags Sparring's launcher gives. */
final class ChildJvm {
    private ChildJvm() { }

    /**
     * Runs main(args) of the class in a new JVM with the given extra flags, its errors going to this JVM's, and returns
     * what it printed; fails (naming it by what) when it does not end within the seconds or ends with an error.
     */
    static String run(String what, List<String> flags, Class<?> main, int seconds, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Djava.awt.headless=true"));
        command.addAll(flags);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(seconds, TimeUnit.SECONDS), what + " did not end");
        assertEquals(0, p.exitValue(), what + " failed (its errors are above):\n" + out);
        return out;
    }
}
