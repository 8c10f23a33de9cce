package dev.sparring.eval;

import dev.sparring.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StatisticsFileTest {
    @TempDir
    Path dir;

    /** Every layout numpy wrote (bench/fid/make-fixtures.py) reads as the plain np.savez file does. */
    @Test
    void readsEveryNumpyLayout() {
        FeatureStatistics plain = StatisticsFile.read(Fixtures.path("stats-savez.npz"));
        assertEquals(16, plain.features());
        assertEquals(-1, plain.count());
        assertEquals("", plain.network());
        for (String variant : new String[] {"compressed", "v2", "v3", "big-endian", "fortran"}) {
            FeatureStatistics s = StatisticsFile.read(Fixtures.path("stats-" + variant + ".npz"));
            assertArrayEquals(plain.mean(), s.mean(), variant);
            assertArrayEquals(plain.covariance(), s.covariance(), variant);
        }
        FeatureStatistics f32 = StatisticsFile.read(Fixtures.path("stats-float32.npz"));
        for (int i = 0; i < 16 * 16; i++) assertEquals((float) plain.covariance()[i], f32.covariance()[i], 0.0, "float32 sigma " + i);
        for (int i = 0; i < 16; i++) assertEquals((float) plain.mean()[i], f32.mean()[i], 0.0, "float32 mu " + i);
    }

    /** A Fortran-order (2, 3, 4) array comes back in C order: element [i][j][k] = 12 i + 4 j + k. */
    @Test
    void fortranOrderIsPutBackInCOrder() {
        NpyArray check = Fixtures.read("stats-fortran.npz").get("check");
        assertTrue(check.fortranOrder());
        double[] v = check.toDoubles("check");
        for (int i = 0; i < 24; i++) assertEquals(i, v[i]);
    }

    /** Our writer's file reads back exactly, n and network included. */
    @Test
    void roundTrip() throws IOException {
        int f = 5;
        double[] mu = new double[f], sigma = new double[f * f];
        for (int i = 0; i < f; i++) {
            mu[i] = Math.PI * i - 1e-300;
            for (int j = 0; j < f; j++) sigma[i * f + j] = i == j ? 2 + i : 1.0 / (3 + i + j);
        }
        Path p = dir.resolve("real.npz");
        StatisticsFile.write(p, new FeatureStatistics(f, 50_000, mu, sigma, "inception-v3-compat ünïcode", "x"));
        FeatureStatistics back = StatisticsFile.read(p);
        assertArrayEquals(mu, back.mean());
        assertArrayEquals(sigma, back.covariance());
        assertEquals(50_000, back.count());
        assertEquals("inception-v3-compat ünïcode", back.network());
        assertEquals(p.toString(), back.source());
    }

    /**
     * numpy reads our files as pytorch-fid does ({@code np.load(path)['mu'][:]}, no allow_pickle), and reads n and
     * network. Skipped where python3 with numpy is not installed.
     */
    @Test
    void numpyLoadsOurFiles() throws Exception {
        int f = 6;
        double[] mu = new double[f], sigma = new double[f * f];
        for (int i = 0; i < f; i++) {
            mu[i] = i / 8.0 - 0.375;
            for (int j = 0; j < f; j++) sigma[i * f + j] = i == j ? 4 + i : (i + j) / 16.0;
        }
        Path p = dir.resolve("ours.npz");
        StatisticsFile.write(p, new FeatureStatistics(f, 1234, mu, sigma, "net-α", "x"));
        String script = String.join("\n",
                "import sys, numpy as np",
                "f = np.load(sys.argv[1])",
                "m, s = f['mu'][:], f['sigma'][:]",
                "F = 6",
                "want_mu = np.arange(F) / 8.0 - 0.375",
                "i, j = np.meshgrid(np.arange(F), np.arange(F), indexing='ij')",
                "want_sigma = np.where(i == j, 4.0 + i, (i + j) / 16.0)",
                "assert m.dtype == np.float64 and s.dtype == np.float64, (m.dtype, s.dtype)",
                "assert np.array_equal(m, want_mu) and np.array_equal(s, want_sigma)",
                "assert int(f['n']) == 1234 and str(f['network']) == 'net-\\u03b1', (f['n'], f['network'])",
                "print('numpy read', sorted(f.keys()))");
        String out = Numpy.run(script, p);
        assertTrue(out.contains("numpy read ['mu', 'n', 'network', 'sigma']"), out);
    }

    // ---------------------------------------------------------------- bad input

    private Path npz(String name, Map<String, byte[]> entries) throws IOException {
        Path p = dir.resolve(name);
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(p))) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                z.putNextEntry(new ZipEntry(e.getKey()));
                z.write(e.getValue());
                z.closeEntry();
            }
        }
        return p;
    }

    private static byte[] npy(String header, byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
        byte[] h = header.getBytes(StandardCharsets.ISO_8859_1);
        out.write(h.length & 0xff);
        out.write(h.length >>> 8);
        out.writeBytes(h);
        out.writeBytes(data);
        return out.toByteArray();
    }

    private static byte[] f8(double... v) {
        ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (double x : v) b.putDouble(x);
        return b.array();
    }

    private static Map<String, byte[]> entries(Object... kv) {
        Map<String, byte[]> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], (byte[]) kv[i + 1]);
        return m;
    }

    private static final byte[] MU2 = NpyArray.ofDoubles(new double[] {0, 1}, 2).toBytes();
    private static final byte[] SIGMA2 = NpyArray.ofDoubles(new double[] {1, 0, 0, 1}, 2, 2).toBytes();

    private static void rejects(Path p, String phrase) {
        UserError e = assertThrows(UserError.class, () -> StatisticsFile.read(p));
        assertTrue(e.getMessage().startsWith(p.toString()), "names the file: " + e.getMessage());
        assertTrue(e.getMessage().contains(phrase), "expected \"" + phrase + "\" in: " + e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
    }

    @Test
    void refusesBadFiles() throws IOException {
        Path text = dir.resolve("stats.npz");
        Files.writeString(text, "mu,sigma\n1,2\n");
        rejects(text, "not a readable .npz (zip) archive");
        rejects(dir.resolve("missing.npz"), "no such file");
        rejects(npz("no-mu.npz", entries("sigma.npy", SIGMA2)), "no mu array (a statistics file holds mu and sigma; found: sigma)");
        rejects(npz("no-sigma.npz", entries("mu.npy", MU2)), "no sigma array");
        rejects(npz("empty.npz", entries("readme.txt", new byte[] {1})), "found: no arrays");
        rejects(npz("nan.npz", entries("mu.npy", NpyArray.ofDoubles(new double[] {0, Double.NaN}, 2).toBytes(), "sigma.npy", SIGMA2)),
                "mu[1] is NaN");
        rejects(npz("inf.npz", entries("mu.npy", MU2, "sigma.npy", NpyArray.ofDoubles(new double[] {1, 0, 0, Double.NEGATIVE_INFINITY}, 2, 2).toBytes())),
                "sigma[1][1] is -Infinity");
        rejects(npz("mu2d.npz", entries("mu.npy", NpyArray.ofDoubles(new double[] {0, 1}, 1, 2).toBytes(), "sigma.npy", SIGMA2)),
                "mu has shape (1, 2), expected (F,)");
        rejects(npz("sigma1d.npz", entries("mu.npy", MU2, "sigma.npy", NpyArray.ofDoubles(new double[] {1, 0, 0, 1}, 4).toBytes())),
                "sigma has shape (4,), expected a square (F, F)");
        rejects(npz("mismatch.npz", entries("mu.npy", NpyArray.ofDoubles(new double[3], 3).toBytes(), "sigma.npy", SIGMA2)),
                "mu has 3 features but sigma is (2, 2)");
        rejects(npz("asym.npz", entries("mu.npy", MU2, "sigma.npy", NpyArray.ofDoubles(new double[] {1, 0.5, 0, 1}, 2, 2).toBytes())),
                "sigma is not symmetric");
        rejects(npz("ints.npz", entries("mu.npy", NpyArray.ofLongs(new long[] {0, 1}, 2).toBytes(), "sigma.npy", SIGMA2)),
                "mu and sigma must be floating point, found <i8 and <f8");
        rejects(npz("magic.npz", entries("mu.npy", "not numpy at all".getBytes(StandardCharsets.UTF_8), "sigma.npy", SIGMA2)),
                "mu: not a .npy array");
        rejects(npz("short.npz", entries("mu.npy", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", f8(1, 2)),
                "sigma.npy", SIGMA2)), "mu: shape (3,) of <f8 needs 24 bytes but the array holds 16");
        rejects(npz("pickle.npz", entries("mu.npy", npy("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", new byte[16]),
                "sigma.npy", SIGMA2)), "holds Python objects");
        rejects(npz("header.npz", entries("mu.npy", npy("{'descr': '<f8', 'fortran_order': Maybe, 'shape': (2,), }", f8(1, 2)),
                "sigma.npy", SIGMA2)), "malformed .npy header");
        rejects(npz("f2.npz", entries("mu.npy", npy("{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }", new byte[4]),
                "sigma.npy", SIGMA2)), "dtype <f2 is not supported");
        byte[] v9 = MU2.clone();
        v9[6] = 9;
        rejects(npz("version.npz", entries("mu.npy", v9, "sigma.npy", SIGMA2)), ".npy format version 9.0 is not one of 1.0, 2.0, 3.0");
        rejects(npz("n.npz", entries("mu.npy", MU2, "sigma.npy", SIGMA2, "n.npy", NpyArray.ofDoubles(new double[] {5}).toBytes())),
                "n: dtype <f8 is not an integer type");
    }

    /** The header variants numpy writes: double quotes, no trailing comma, keys in another order, an empty shape. */
    @Test
    void parsesHeaderVariants() {
        NpyArray a = NpyArray.parse(npy("{\"shape\": (2,), \"fortran_order\": False, \"descr\": \">f4\"}",
                new byte[] {0x3f, (byte) 0x80, 0, 0, 0x40, 0, 0, 0}), "x");
        assertArrayEquals(new double[] {1, 2}, a.toDoubles("x"));
        NpyArray s = NpyArray.parse(npy("{'descr': '<i8', 'fortran_order': False, 'shape': (), }", new byte[] {7, 0, 0, 0, 0, 0, 0, 0}), "x");
        assertArrayEquals(new long[] {7}, s.toLongs("x"));
        NpyArray str = NpyArray.parse(NpyArray.ofString("abc").toBytes(), "x");
        assertEquals("abc", str.string("x"));
        assertEquals("<U3", str.descr());
    }
}
