package dev.sparring.cli;

import dev.sparring.io.TfRecords;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** {@code train --tensorboard} (the default) and {@code --no-tensorboard}, on fresh and resumed runs. */
class TensorBoardCliTest {
    private static String[] tinyRing(Path out, String name, String... more) {
        List<String> a = new ArrayList<>(List.of("train", "--no-progress", "--data", "ring8", "--steps", "4", "--batch", "16",
                "--hidden", "8", "--depth", "1", "--nz", "2", "--log-every", "2", "--sample-every", "2", "--checkpoint-every", "2",
                "--out", out.toString(), "--name", name, "--device", "cpu"));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    private static CliTest.Run resume(Path run, String... more) {
        List<String> a = new ArrayList<>(List.of("train", "--resume", run.toString(), "--no-progress", "--device", "cpu"));
        a.addAll(List.of(more));
        return CliTest.run(a.toArray(String[]::new));
    }

    @Test
    void aRunWritesAnEventFileUnlessTold(@TempDir Path dir) throws IOException {
        CliTest.Run r = CliTest.run(tinyRing(dir, "r"));
        assertEquals(0, r.code(), r.err());
        Path run = dir.resolve("r");
        List<Path> files = TfRecords.eventFiles(run);
        assertEquals(1, files.size(), "on by default");
        assertTrue(r.err().contains("TensorBoard: tensorboard --logdir " + dir + "   (" + files.getFirst().getFileName() + ")"), r.err());
        long last = TfRecords.events(files.getFirst()).getLast().getStep();
        assertEquals(4, last, "the last grid, at the last step");

        CliTest.Run off = resume(run, "--steps", "6", "--no-tensorboard");
        assertEquals(0, off.code(), off.err());
        assertEquals(files, TfRecords.eventFiles(run), "--no-tensorboard: no new file, and the old one is left as it was");
        assertFalse(off.err().contains("TensorBoard:"), off.err());

        CliTest.Run on = resume(run, "--steps", "8");
        assertEquals(0, on.code(), on.err());
        List<Path> now = TfRecords.eventFiles(run);
        assertEquals(2, now.size(), "a resumed session adds a file: " + now);
        assertEquals(6, TfRecords.events(now.get(1)).get(1).getStep(), "its configuration at the checkpoint's step");
        assertEquals(8, TfRecords.events(now.get(1)).getLast().getStep());

        assertEquals(0, CliTest.run(tinyRing(dir, "off", "--no-tensorboard")).code());
        assertEquals(List.of(), TfRecords.eventFiles(dir.resolve("off")));
    }

    @Test
    void aWrongValueGetsOneLineNamingTheFlag(@TempDir Path dir) {
        CliTest.Run r = CliTest.run(tinyRing(dir, "r", "--tensorboard=maybe"));
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--tensorboard") && r.err().contains("maybe"), r.err());
        assertFalse(r.err().contains("\tat "), r.err());
    }
}
