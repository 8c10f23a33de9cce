package dev.sparring.viz;

import dev.sparring.io.AtomicFile;

import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;

/**
 * PNG output for the charts and grids. Everything in this package draws into a {@link BufferedImage} and never
 * opens a window, so it works on a headless server: with no DISPLAY the JDK runs headless by itself on Linux,
 * and the build's test JVM sets {@code java.awt.headless=true}. Text (titles, tick labels) needs a font; see
 * {@code Plots} for what happens on a machine without any.
 */
public final class Png {
    private Png() { }

    /**
     * Encodes {@code image} as PNG and writes it to {@code file} atomically (temporary file in the same
     * directory, fsync, rename): a viewer polling the file never sees half an image. Encoding happens in memory,
     * without ImageIO's disk cache.
     */
    public static void writeAtomic(BufferedImage image, Path file) throws IOException {
        AtomicFile.write(file, out -> {
            Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("png");
            if (!writers.hasNext()) throw new IOException(file + ": this JDK has no PNG encoder (javax.imageio)");
            ImageWriter writer = writers.next();
            try (ImageOutputStream ios = new MemoryCacheImageOutputStream(out)) { // closing it leaves `out` open
                writer.setOutput(ios);
                writer.write(image);
            } finally {
                writer.dispose();
            }
        });
    }
}
