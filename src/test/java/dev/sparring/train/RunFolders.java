package dev.sparring.train;

import dev.sparring.io.Json;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Run folders written by hand for the report tests, with numbers chosen so that a test can say which must appear in
 * the page: no training, so that building one takes milliseconds.
 */
public final class RunFolders {
    private RunFolders() { }

    /** d_loss at step s (1-based): a value that float32 holds exactly. */
    static double dLoss(long s) { return 1.5 - s / 64.0; }

    static double gLoss(long s) { return 0.5 + s / 128.0; }

    /**
     * A ring8 run of {@code steps} metrics lines (nsgan): d_loss, g_loss, sigma_real/sigma_fake, grad_norm_d, a null
     * d_loss_eq_distance at step 3, an FID (and KID) at every 4th step, a coverage line and a scatter at every 4th step,
     * samples/real.png, and a checkpoint at every 4th step. {@code lrD} goes into config.json.
     */
    public static Path ring(Path dir, int steps, double lrD) throws IOException {
        Files.createDirectories(dir.resolve("samples"));
        Files.createDirectories(dir.resolve("checkpoints"));
        TrainConfig cfg = TrainConfig.builder().data("ring8").steps(steps).lrD(lrD).build();
        Json.writeFile(dir.resolve("config.json"), cfg);
        List<String> metrics = new ArrayList<>(), coverage = new ArrayList<>();
        for (long s = 1; s <= steps; s++) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("step", s);
            m.put("d_loss", dLoss(s));
            m.put("g_loss", gLoss(s));
            m.put("d_loss_eq_distance", s == 3 ? null : dLoss(s) - 1.3862943611198906);
            m.put("sigma_real", 0.75);
            m.put("sigma_fake", 0.25);
            m.put("grad_norm_d", s / 2.0);
            m.put("epoch", 0);
            m.put("time_s", s * 0.5);
            if (s % 4 == 0) {
                m.put("fid", 100.0 / s);
                m.put("kid", 1.0 / s);
                m.put("fid_features", "mnist");
                coverage.add(Json.write(Map.of("step", s, "modes_covered", (int) Math.min(8, s / 4), "modes", 8, "hq_share", Math.min(1.0, 0.125 * (s / 4)),
                        "samples", 1000)));
                png(dir.resolve(String.format("samples/step_%06d.png", s)), (int) s);
                Files.write(dir.resolve(String.format("checkpoints/step_%06d.safetensors", s)), new byte[(int) s * 10]);
            }
            metrics.add(Json.write(m));
        }
        Files.writeString(dir.resolve("metrics.jsonl"), String.join("\n", metrics) + "\n", StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("coverage.jsonl"), String.join("\n", coverage) + "\n", StandardCharsets.UTF_8);
        png(dir.resolve("samples/real.png"), 255);
        return dir;
    }

    /** A small PNG whose pixels depend on {@code shade}, so that each file's bytes are its own. */
    public static void png(Path file, int shade) throws IOException {
        BufferedImage img = new BufferedImage(6, 4, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 4; y++) for (int x = 0; x < 6; x++) img.setRGB(x, y, (shade * 7 + x * 40 + y * 60) & 0xFFFFFF);
        if (!javax.imageio.ImageIO.write(img, "png", file.toFile())) throw new IOException("no PNG writer");
    }

    /** The JSON object a report page embeds. */
    public static Map<String, Object> embedded(Path page) throws IOException {
        String html = Files.readString(page);
        String open = "<script type=\"application/json\" id=\"report-data\">";
        int from = html.indexOf(open) + open.length(), to = html.indexOf("</script>", from);
        if (from < open.length() || to < 0) throw new AssertionError(page + " embeds no report data");
        return Json.parseObject(html.substring(from, to), page.toString());
    }
}
