package dev.sparring.lab.sweep;

import dev.sparring.UserError;
import dev.sparring.io.Json;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a sweep reads back from a run folder: the D and G loss of every step in metrics.jsonl (NaN where the line
 * holds null: a non-finite value), the last FID measurement, and the last line of coverage.jsonl (2-D data). A last
 * line cut short (a run killed while writing it) is left out; any other line that does not read is refused.
 *
 * @param steps       (n) the steps of metrics.jsonl, in file order
 * @param dLoss       (n) d_loss per step
 * @param gLoss       (n) g_loss per step
 * @param fidStep     the step of the last FID measurement, -1 for none
 * @param coverage    the last line of coverage.jsonl, or null
 */
public record RunMetrics(long[] steps, double[] dLoss, double[] gLoss, long fidStep, double fid, double kid,
                         Map<String, Object> coverage) {

    public static RunMetrics read(Path runDir) throws IOException {
        List<Map<String, Object>> lines = lines(runDir.resolve("metrics.jsonl"));
        int n = lines.size();
        long[] steps = new long[n];
        double[] d = new double[n], g = new double[n];
        long fidStep = -1;
        double fid = Double.NaN, kid = Double.NaN;
        for (int i = 0; i < n; i++) {
            Map<String, Object> o = lines.get(i);
            steps[i] = o.get("step") instanceof Number s ? s.longValue() : -1;
            d[i] = num(o.get("d_loss"));
            g[i] = num(o.get("g_loss"));
            if (o.containsKey("fid")) {
                fidStep = steps[i];
                fid = num(o.get("fid"));
                kid = num(o.get("kid"));
            }
        }
        List<Map<String, Object>> cov = lines(runDir.resolve("coverage.jsonl"));
        return new RunMetrics(steps, d, g, fidStep, fid, kid, cov.isEmpty() ? null : cov.getLast());
    }

    /** The JSON objects of a .jsonl file, none when it is missing; a last line cut short is left out. */
    private static List<Map<String, Object>> lines(Path file) throws IOException {
        List<Map<String, Object>> out = new ArrayList<>();
        if (!Files.isRegularFile(file)) return out;
        List<String> text = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (int i = 0; i < text.size(); i++) {
            String line = text.get(i);
            if (line.isBlank()) continue;
            try {
                out.add(Json.parseObject(line, file + ":" + (i + 1)));
            } catch (RuntimeException e) {
                if (i == text.size() - 1) break;   // the run was killed while writing its last line
                throw new UserError(file + ", line " + (i + 1) + ": does not read as JSON (" + e.getMessage() + ")");
            }
        }
        return out;
    }

    private static double num(Object o) { return o instanceof Number x ? x.doubleValue() : Double.NaN; }

    /** The mean of the last {@code window} finite D losses (NaN when there are none). */
    public double meanLastDLoss(int window) {
        double sum = 0;
        int k = 0;
        for (int i = dLoss.length - 1; i >= 0 && k < window; i--) {
            if (Double.isFinite(dLoss[i])) {
                sum += dLoss[i];
                k++;
            }
        }
        return k == 0 ? Double.NaN : sum / k;
    }

    /** The step of the first line with a non-finite D or G loss, -1 for none. */
    public long firstNonFinite() {
        for (int i = 0; i < steps.length; i++) if (!Double.isFinite(dLoss[i]) || !Double.isFinite(gLoss[i])) return steps[i];
        return -1;
    }

    /** The last step, 0 for none. */
    public long lastStep() { return steps.length == 0 ? 0 : steps[steps.length - 1]; }
}
