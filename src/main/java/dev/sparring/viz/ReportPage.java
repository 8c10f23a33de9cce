package dev.sparring.viz;

import dev.sparring.io.AtomicFile;
import dev.sparring.io.Json;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A self-contained HTML page of charts, tables and images: a run's {@code report.html}, or one page comparing runs.
 * The page fetches nothing: its data is one JSON object inside a {@code <script type="application/json">} element
 * (images as {@code data:} URIs), and its scripts and styles are inlined from resources beside this class: uPlot
 * (npm {@code uplot} 1.6.32, MIT, {@code report/PROVENANCE.md}) draws the charts, {@code report/report.js} lays out
 * the page from the data. The caller ({@code train.RunReport}) decides what the data holds; its layout is documented in
 * {@code report.js}.
 *
 * <p>The page checks itself: a first inline script records every script error, failed image and
 * {@code console.error}, and each chart reports when uPlot has drawn it with data. The element {@code #status} then
 * reads {@code ok: N charts drawn} (its {@code data-state} {@code ok}), or {@code error: ...}; a page whose script
 * never ran keeps {@code data-state="pending"}. The browser test reads it from the page's DOM.
 */
public final class ReportPage {
    /** The {@code <meta name="generator">} content that marks a page as Sparring's own ({@link #isOurs}). */
    public static final String GENERATOR = "sparring report";
    private static final String MARK = "<meta name=\"generator\" content=\"" + GENERATOR + "\">";

    private ReportPage() { }

    /** The page for {@code data} (a JSON-writable map, see report.js), titled {@code title}. */
    public static String html(String title, Map<String, Object> data) {
        String json = Json.write(data)
                // inside <script> nothing may read as "</script" or "<!--": '<' occurs in JSON only inside strings,
                // where \u003c is the same character
                .replace("<", "\\u003c")
                // U+2028/2029 are valid in JSON strings, and harmless in a JSON script element; escaped all the same
                .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029");
        StringBuilder b = new StringBuilder(json.length() + 200_000);
        b.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n").append(MARK).append('\n')
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                // nothing from the network, even if a future edit asked for it: the page's own policy forbids it
                .append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; "
                        + "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n")
                .append("<title>").append(escape(title)).append("</title>\n")
                .append("<style>\n").append(resource("uPlot.min.css")).append('\n').append(resource("report.css")).append("</style>\n")
                .append("<script>\n").append(resource("status.js")).append("</script>\n")
                .append("</head>\n<body>\n")
                .append("<h1>").append(escape(title)).append("</h1>\n")
                .append("<main id=\"report\"></main>\n")
                .append("<footer><div id=\"status\" data-state=\"pending\">the page's script has not run</div>\n")
                .append("<div>charts drawn by uPlot 1.6.32 (MIT license, © 2022 Leon Sorokin), inlined in this page</div></footer>\n")
                .append("<script type=\"application/json\" id=\"report-data\">").append(json).append("</script>\n")
                .append("<script>\n").append(resource("uPlot.iife.min.js")).append("\n</script>\n")
                .append("<script>\n").append(resource("report.js")).append("</script>\n")
                .append("</body>\n</html>\n");
        return b.toString();
    }

    /** Writes the page to {@code file} atomically ({@link AtomicFile}). */
    public static void write(Path file, String title, Map<String, Object> data) throws IOException {
        AtomicFile.write(file, html(title, data).getBytes(StandardCharsets.UTF_8));
    }

    /** Whether {@code file} is a page this class wrote (its first 1 KB holds the generator mark). */
    public static boolean isOurs(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return new String(in.readNBytes(1024), StandardCharsets.UTF_8).contains(MARK);
        }
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static final Map<String, String> RESOURCES = new java.util.concurrent.ConcurrentHashMap<>();

    /** A text resource of report/ (read once); a missing one is a broken build. */
    static String resource(String name) { return RESOURCES.computeIfAbsent(name, ReportPage::read); }

    private static String read(String name) {
        try (InputStream in = ReportPage.class.getResourceAsStream("report/" + name)) {
            if (in == null) throw new IllegalStateException("resource dev/sparring/viz/report/" + name + " is missing from the build");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
