package dev.sparring.cli;

import dev.sparring.io.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `sparring bench` end to end on the CPU, at a tiny size. */
class BenchCommandTest {
    private static CliTest.Run run(String... args) { return CliTest.run(args); }

    private static final List<String> TINY = List.of("bench", "--device", "cpu", "--image-size", "32", "--channels", "1",
            "--batch", "8", "--ngf", "8", "--ndf", "8", "--nz", "8", "--images", "16", "--warmup", "2", "--iters", "2",
            "--repeats", "1", "--phase-iters", "1");

    @Test
    void tinyCpuBenchPrintsOneResultLineAndOneJsonLine(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("bench.jsonl");
        List<String> args = new java.util.ArrayList<>(TINY);
        args.addAll(List.of("--json", file.toString()));
        CliTest.Run r = run(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(1, lines.stream().filter(l -> l.startsWith("bench: cpu")).count(), r.out());
        List<String> json = lines.stream().filter(l -> l.startsWith("{\"bench\"")).toList();
        assertEquals(1, json.size(), r.out());
        Map<String, Object> m = Json.parseObject(json.getFirst(), "bench output");
        assertEquals("cpu", m.get("device"));
        assertEquals(8L, ((Number) m.get("batch")).longValue());
        assertEquals(32L, ((Number) m.get("image_size")).longValue());
        assertEquals("skipped", m.get("check"));
        double itPerS = ((Number) m.get("it_per_s")).doubleValue(), msPerIt = ((Number) m.get("ms_per_it")).doubleValue();
        assertEquals(1000 / msPerIt, itPerS, 1e-9 * itPerS);
        assertEquals(8 * itPerS, ((Number) m.get("img_per_s")).doubleValue(), 1e-9 * itPerS);
        assertTrue(((Map<?, ?>) m.get("phases_ms")).containsKey("D backward"), json.getFirst());
        assertTrue(r.out().contains("phase") && r.out().contains("optimizers"), r.out());
        assertEquals(json.getFirst() + "\n", Files.readString(file));
    }

    @Test
    void tf32OnTheCpuIsRefusedWithTheFlagNamed() {
        List<String> args = new java.util.ArrayList<>(TINY);
        args.add("--tf32");
        CliTest.Run r = run(args.toArray(String[]::new));
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--tf32"), r.err());
    }

    @Test
    void badSizeIsAUserError() {
        CliTest.Run r = run("bench", "--device", "cpu", "--image-size", "48");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("48"), r.err());
    }
}
