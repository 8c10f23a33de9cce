package dev.sparring.eval;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.util.Map;

/** The fixtures that bench/fid/make-fixtures.py wrote into src/test/resources/dev/sparring/eval. */
final class Fixtures {
    private Fixtures() { }

    static Path path(String name) {
        URL url = Fixtures.class.getResource(name);
        if (url == null) throw new IllegalStateException("missing fixture " + name + " (bench/fid/make-fixtures.py writes it)");
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Map<String, NpyArray> read(String name) { return Npz.read(path(name)); }

    static double scalar(Map<String, NpyArray> f, String key) { return f.get(key).toDoubles(key)[0]; }

    static String string(Map<String, NpyArray> f, String key) { return f.get(key).string(key); }

    /** |a − b| / |b|. */
    static double rel(double a, double b) { return Math.abs(a - b) / Math.abs(b); }
}
