package dev.sparring.lab.features;

import dev.sparring.io.Json;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** tsne-golden.json, written by bench/tsne/golden.py with scikit-learn (see there for what it holds). */
final class Golden {
    private Golden() { }

    static Map<String, Object> read() throws IOException {
        try (InputStream in = Golden.class.getResourceAsStream("/dev/sparring/lab/features/tsne-golden.json")) {
            if (in == null) throw new IOException("tsne-golden.json is missing from the test resources (bench/tsne/golden.py writes it)");
            return Json.parseObject(new String(in.readAllBytes(), StandardCharsets.UTF_8), "tsne-golden.json");
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) { return (Map<String, Object>) o; }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object o) { return (List<Object>) o; }

    static double num(Object o) { return ((Number) o).doubleValue(); }

    static double[] vector(Object o) { return list(o).stream().mapToDouble(Golden::num).toArray(); }

    static double[][] matrix(Object o) { return list(o).stream().map(Golden::vector).toArray(double[][]::new); }

    /** Squared Euclidean distances of the rows of x. */
    static double[][] squaredDistances(double[][] x) {
        int n = x.length;
        double[][] d = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int c = 0; c < x[i].length; c++) s += (x[i][c] - x[j][c]) * (x[i][c] - x[j][c]);
                d[i][j] = s;
            }
        }
        return d;
    }
}
