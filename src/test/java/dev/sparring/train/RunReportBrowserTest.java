package dev.sparring.train;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * report.html in a real browser: headless Chromium loads the page from disk, runs its scripts and dumps the DOM. The
 * page must report every chart drawn with data ({@code #status}: {@code ok: N charts drawn}), with no script error,
 * failed image, blocked request or console message; and a page broken on purpose (a script typo, a chart whose data
 * is missing) must say so. Skipped, with a notice, where no Chromium is installed (Debian: {@code apt-get install
 * chromium}); {@code SPARRING_CHROMIUM} names another binary.
 */
class RunReportBrowserTest {
    private static Path chromium;

    @BeforeAll
    static void findChromium() {
        chromium = find();
        if (chromium == null) {
            System.err.println("RunReportBrowserTest skipped: no Chromium found (chromium, chromium-browser, google-chrome on PATH, or "
                    + "SPARRING_CHROMIUM); on Debian or Ubuntu: apt-get install chromium");
        }
        assumeTrue(chromium != null, "no Chromium: apt-get install chromium");
    }

    private static Path find() {
        String given = System.getenv("SPARRING_CHROMIUM");
        if (given != null && !given.isBlank()) return Files.isExecutable(Path.of(given)) ? Path.of(given) : null;
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            for (String name : List.of("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")) {
                Path p = Path.of(dir.isEmpty() ? "." : dir, name);
                if (Files.isExecutable(p)) return p;
            }
        }
        return null;
    }

    /** The page's DOM after its scripts ran, and what the browser logged from the page's console. */
    record Loaded(String dom, List<String> console) {
        String state() { return match("<div id=\"status\" data-state=\"([a-z]+)\"", 1); }

        String status() { return match("<div id=\"status\"[^>]*>([^<]*)<", 1); }

        private String match(String regex, int group) {
            Matcher m = Pattern.compile(regex).matcher(dom);
            return m.find() ? m.group(group) : null;
        }

        boolean drawn(String chartId) {
            return Pattern.compile("data-chart=\"" + Pattern.quote(chartId) + "\"[^>]*data-drawn=\"true\"").matcher(dom).find();
        }

        int count(String what) { return dom.split(Pattern.quote(what), -1).length - 1; }
    }

    private static Loaded load(Path page, Path tmp) throws IOException, InterruptedException {
        Path log = Files.createTempFile(tmp, "chromium", ".log");
        Process p = new ProcessBuilder(chromium.toString(), "--headless=new", "--disable-gpu", "--no-sandbox", "--no-first-run",
                "--user-data-dir=" + Files.createTempDirectory(tmp, "profile"), "--enable-logging=stderr", "--v=0",
                "--virtual-time-budget=5000", "--window-size=1280,1000", "--dump-dom", page.toUri().toString())
                .redirectError(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("Chromium did not finish loading " + page + " within 60 s");
        }
        List<String> console = new ArrayList<>();
        for (String line : Files.readAllLines(log)) if (line.contains(":CONSOLE")) console.add(line);
        String dom = new String(out, java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), "Chromium failed on " + page + ": " + Files.readString(log));
        return new Loaded(dom, console);
    }

    @SuppressWarnings("unchecked")
    private static List<String> chartIds(Path page) throws IOException {
        return ((List<Map<String, Object>>) RunFolders.embedded(page).get("charts")).stream().map(c -> (String) c.get("id")).toList();
    }

    /** Every chart of the page drew data, and nothing went wrong. */
    private static void assertDrawn(Loaded l, List<String> charts) {
        assertEquals("ok", l.state(), "the page's status: " + l.status() + "\nconsole: " + l.console());
        assertEquals("ok: " + charts.size() + " charts drawn", l.status());
        for (String id : charts) assertTrue(l.drawn(id), "chart " + id + " was not drawn");
        assertEquals(charts.size(), l.count("<canvas"), "one canvas per chart");
        assertEquals(List.of(), l.console(), "the console stays silent");
    }

    @Test
    void aRunsPageDrawsEveryChartAndImage(@TempDir Path tmp) throws Exception {
        Path page = RunReport.write(RunFolders.ring(tmp.resolve("run"), 40, 2e-3));
        List<String> charts = chartIds(page);
        assertTrue(charts.containsAll(List.of("loss", "fid", "coverage", "metric-sigma")), charts.toString());
        Loaded l = load(page, tmp);
        assertDrawn(l, charts);
        assertEquals(10 + 1, l.count("<img src=\"data:image/png;base64,"), "10 sample scatters and the real data");
        assertEquals(10, l.count("checkpoints/step_"), "the checkpoints listed");
        assertTrue(l.dom.contains("D at equilibrium 1.386"), "the equilibrium line in the legend");
    }

    @Test
    void aComparisonPageDrawsEveryChartAndHighlightsTheSettingsThatDiffer(@TempDir Path tmp) throws Exception {
        Path a = RunFolders.ring(tmp.resolve("a"), 40, 2e-3), b = RunFolders.ring(tmp.resolve("b"), 24, 1e-3);
        Path page = tmp.resolve("compare.html");
        RunReport.write(List.of(a, b), page);
        Loaded l = load(page, tmp);
        assertDrawn(l, chartIds(page));
        assertTrue(l.dom.contains("<tr data-key=\"lrD\" class=\"differs\">"), "lrD highlighted");
        assertTrue(l.dom.contains("<tr data-key=\"nz\" hidden=\"\">"), "equal keys hidden until asked for");
        assertEquals(2, l.count("<img src=\"data:image/png;base64,"), "the last samples of each run");
    }

    @Test
    void aPageBrokenOnPurposeSaysSo(@TempDir Path tmp) throws Exception {
        Path page = RunReport.write(RunFolders.ring(tmp.resolve("run"), 8, 2e-3));
        Path typo = tmp.resolve("typo.html");   // a syntax error in the page's script: nothing is drawn
        Files.writeString(typo, replaceOnce(Files.readString(page), "function chartSection() {", "function chartSection( {"));
        Loaded t = load(typo, tmp);
        assertEquals("error", t.state(), t.status());
        assertTrue(t.status().startsWith("error: Uncaught SyntaxError"), t.status());
    }

    private static String replaceOnce(String s, String what, String with) {
        int at = s.indexOf(what);
        assertTrue(at >= 0 && s.indexOf(what, at + 1) < 0, "exactly one " + what);
        return s.substring(0, at) + with + s.substring(at + what.length());
    }
}
