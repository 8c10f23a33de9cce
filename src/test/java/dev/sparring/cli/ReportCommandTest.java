package dev.sparring.cli;

import dev.sparring.train.RunFolders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** {@code sparring report}: one run's page again, a comparison page to --out, and one-line refusals. */
class ReportCommandTest {

    @Test
    @SuppressWarnings("unchecked")
    void oneRunGetsItsPageAgainAndSeveralOneComparisonPage(@TempDir Path tmp) throws IOException {
        Path a = RunFolders.ring(tmp.resolve("a"), 8, 2e-3), b = RunFolders.ring(tmp.resolve("b"), 8, 1e-3);
        CliTest.Run one = CliTest.run("report", a.toString());
        assertEquals(0, one.code(), one.err());
        assertEquals(a.resolve("report.html") + "\n", one.out());
        assertEquals(1, ((List<?>) RunFolders.embedded(a.resolve("report.html")).get("runs")).size());

        Path out = tmp.resolve("ab.html");
        CliTest.Run both = CliTest.run("report", a.toString(), b.toString(), "--out", out.toString());
        assertEquals(0, both.code(), both.err());
        Map<String, Object> data = RunFolders.embedded(out);
        assertEquals(true, data.get("compare"));
        assertEquals(List.of("a", "b"), ((List<Map<String, Object>>) data.get("runs")).stream().map(r -> r.get("name")).toList());
        assertFalse(Files.exists(b.resolve("report.html")), "a comparison writes only --out");

        CliTest.Run again = CliTest.run("report", a.toString(), b.toString(), "--out", out.toString());
        assertEquals(2, again.code());
        assertEquals("sparring: --out " + out + " exists; choose another file, or pass --overwrite to replace it\n", again.err());
        assertEquals(0, CliTest.run("report", a.toString(), b.toString(), "--out", out.toString(), "--overwrite").code());

        Path single = tmp.resolve("b-only.html");   // one run with --out: its page there, the run folder untouched
        assertEquals(0, CliTest.run("report", b.toString(), "--out", single.toString()).code());
        assertEquals(false, RunFolders.embedded(single).get("compare"));
        assertFalse(Files.exists(b.resolve("report.html")));
    }

    @Test
    void badInputIsOneLine(@TempDir Path tmp) throws IOException {
        Path a = RunFolders.ring(tmp.resolve("a"), 4, 2e-3), b = RunFolders.ring(tmp.resolve("b"), 4, 2e-3);
        assertError("sparring: several RUNs make one comparison page: give --out FILE.html", "report", a.toString(), b.toString());
        Path nowhere = tmp.resolve("no/such/folder/x.html");
        assertError("sparring: --out " + nowhere + ": the folder " + nowhere.getParent() + " does not exist",
                "report", a.toString(), b.toString(), "--out", nowhere.toString());
        assertError("sparring: --out " + tmp + " is a folder; give the page's file name (" + tmp.resolve("report.html") + ")",
                "report", a.toString(), b.toString(), "--out", tmp.toString());
        Path notARun = Files.createDirectories(tmp.resolve("photos"));
        assertError("sparring: " + notARun + " is not a Sparring run folder: it has no config.json", "report", notARun.toString());
        assertError("sparring: " + notARun + " is not a Sparring run folder: it has no config.json",
                "report", a.toString(), notARun.toString(), "--out", tmp.resolve("c.html").toString());
        assertFalse(Files.exists(tmp.resolve("c.html")), "nothing written when a run does not read");
        Files.writeString(a.resolve("metrics.jsonl"), "{\"step\": 1, \"d_loss\": 0.5}\nnot json\n");
        CliTest.Run r = CliTest.run("report", a.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("sparring: " + a.resolve("metrics.jsonl") + ":2: column "), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
    }

    private static void assertError(String expected, String... args) {
        CliTest.Run r = CliTest.run(args);
        assertEquals(2, r.code(), r.err());
        assertEquals(expected + "\n", r.err());
    }
}
