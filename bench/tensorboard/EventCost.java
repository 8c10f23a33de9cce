import dev.sparring.io.EventFileWriter;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the event file costs a training step, measured apart from training: the metrics line of a step (14 scalars,
 * as the default run writes them) as one event, flushed after each (what a CPU run does, whose metrics are read
 * after every step), and a sample grid's PNG as an image event. Checks the file's size before it reports.
 * Run by cost.sh: java -cp target/sparring.jar bench/tensorboard/EventCost.java DIR PNG
 */
public class EventCost {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        byte[] png = Files.readAllBytes(Path.of(args[1]));
        String[] keys = {"d_loss", "g_loss", "d_loss_eq_distance", "sigma_real", "sigma_fake", "t_real", "t_fake",
                "grad_norm_d", "grad_norm_g", "lr_d", "lr_g", "epoch", "img_per_s", "time_s"};
        int lines = 20_000, images = 200;
        for (int round = 0; round < 3; round++) {   // the first rounds warm the JIT up; the last is reported
            Path sub = Files.createDirectories(dir.resolve("round" + round));
            long bytes;
            double perLine, perImage;
            try (EventFileWriter w = EventFileWriter.create(sub, System.currentTimeMillis() / 1000.0)) {
                long t0 = System.nanoTime();
                for (int s = 1; s <= lines; s++) {
                    Map<String, Float> v = new LinkedHashMap<>();
                    for (int k = 0; k < keys.length; k++) v.put("metrics/" + keys[k], (float) Math.sin(s + k));
                    w.scalars(s, System.currentTimeMillis() / 1000.0, v);
                    w.flush();
                }
                long t1 = System.nanoTime();
                for (int i = 0; i < images; i++) {
                    w.image("samples/generated", lines + i, System.currentTimeMillis() / 1000.0, png);
                    w.flush();
                }
                long t2 = System.nanoTime();
                perLine = (t1 - t0) / 1e3 / lines;
                perImage = (t2 - t1) / 1e3 / images;
                w.close();
                bytes = Files.size(w.file());
            }
            if (bytes < (long) lines * (16 + keys.length * 20) + (long) images * png.length) {
                throw new IllegalStateException("the event file is too small: " + bytes + " bytes");
            }
            System.out.printf("round %d: %.1f us per metrics line (14 scalars, flushed), %.1f us per %,d-byte image, file %,d bytes%n",
                    round, perLine, perImage, png.length, bytes);
        }
    }
}
