package dev.sparring.io;

import dev.sparring.UserError;
import dev.sparring.io.SafeTensors.Dtype;
import dev.sparring.io.SafeTensors.TensorInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class SafeTensorsTest {
    @TempDir
    Path dir;

    // ---------------------------------------------------------------- helpers

    /** A file made of an 8-byte little-endian length, the header text as given (no padding added) and the data. */
    private Path rawFile(String name, String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(le64(h.length));
        out.write(h);
        out.write(data);
        Path f = dir.resolve(name);
        Files.write(f, out.toByteArray());
        return f;
    }

    private static byte[] le64(long v) { return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array(); }

    private static byte[] f32(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) b.putFloat(x);
        return b.array();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) out.writeBytes(p);
        return out.toByteArray();
    }

    /** Asserts that reading {@code f} fails with a message that names the file and contains {@code phrase}. */
    private static SafeTensorsException rejects(Path f, String phrase) {
        SafeTensorsException e = assertThrows(SafeTensorsException.class, () -> SafeTensors.read(f));
        assertTrue(e.getMessage().startsWith(f.toString() + ": "), "the error must name the file: " + e.getMessage());
        assertTrue(e.getMessage().contains(phrase), "expected \"" + phrase + "\" in: " + e.getMessage());
        return e;
    }

    /** A small valid two-tensor file (w: F32 (2, 3), b: F32 (2,)) for the corruption tests. */
    private byte[] validBytes() {
        return SafeTensors.writer()
                .putF32("w", new float[] {1, 2, 3, 4, 5, 6}, 2, 3)
                .putF32("b", new float[] {-1, -2}, 2)
                .putMetadata("format", "pt")
                .toBytes();
    }

    private Path corrupted(String name, byte[] bytes) throws IOException {
        Path f = dir.resolve(name);
        Files.write(f, bytes);
        return f;
    }

    /** Replaces the first occurrence of ASCII {@code from} by {@code to} (same length) in the header of {@code bytes}. */
    private static byte[] replaceInHeader(byte[] bytes, String from, String to) {
        assertEquals(from.length(), to.length());
        String s = new String(bytes, StandardCharsets.ISO_8859_1);
        int at = s.indexOf(from);
        assertTrue(at >= 8, "\"" + from + "\" not in the header");
        byte[] out = bytes.clone();
        byte[] t = to.getBytes(StandardCharsets.ISO_8859_1);
        System.arraycopy(t, 0, out, at, t.length);
        return out;
    }

    // ---------------------------------------------------------------- compatibility with the reference

    private static byte[] golden() throws IOException {
        try (InputStream in = SafeTensorsTest.class.getResourceAsStream("python-safetensors-0.8.0.safetensors")) {
            if (in == null) fail("test resource python-safetensors-0.8.0.safetensors is missing");
            return in.readAllBytes();
        }
    }

    /** The file written by Python safetensors 0.8.0 (see make_python_safetensors.py beside it) reads back exactly. */
    @Test
    void readsAFileWrittenByPythonSafetensors() throws IOException {
        Path f = corrupted("py.safetensors", golden());
        SafeTensorsFile st = SafeTensors.read(f);
        assertEquals(Map.of("step", "42"), st.metadata());
        assertEquals(List.of("step", "d", "b", "w", "i", "mask"), List.copyOf(st.names())); // reference data order
        assertArrayEquals(new float[] {-1f, -0.5f, 0f, 0.5f, 1f, 1.5f}, st.getF32("w", 2, 3));
        assertArrayEquals(new float[] {1.5f, -2.25f}, st.getF32("b"));
        assertArrayEquals(new long[] {7, -3}, st.getI64("step"));
        assertArrayEquals(new byte[] {1, 0, (byte) 255}, st.getU8("mask"));
        assertArrayEquals(new int[] {1, 3}, st.shape("mask"));
        assertArrayEquals(new double[] {Math.PI}, st.getF64("d"));
        assertArrayEquals(new int[0], st.shape("d"));
        assertArrayEquals(new int[] {-1, 2}, st.getI32("i"));
        assertEquals(new TensorInfo("w", Dtype.F32, new long[] {2, 3}, 32, 56), st.info("w"));
    }

    /** Our writer produces the same bytes as the Python library for the same tensors and metadata. */
    @Test
    void writerMatchesPythonSafetensorsByteForByte() throws IOException {
        byte[] ours = SafeTensors.writer()
                .putF32("w", new float[] {-1f, -0.5f, 0f, 0.5f, 1f, 1.5f}, 2, 3)
                .putU8("mask", new byte[] {1, 0, (byte) 255}, 1, 3)
                .putI32("i", new int[] {-1, 2}, 2, 1)
                .putF64("d", new double[] {Math.PI})
                .putI64("step", new long[] {7, -3}, 2)
                .putF32("b", new float[] {1.5f, -2.25f}, 2)
                .putMetadata("step", "42")
                .toBytes();
        byte[] python = golden();
        if (!Arrays.equals(python, ours)) {
            int i = Arrays.mismatch(python, ours);
            fail("first difference at byte " + i + ":\n python: " + new String(python, 0, Math.min(python.length, 400), StandardCharsets.ISO_8859_1)
                    + "\n ours:   " + new String(ours, 0, Math.min(ours.length, 400), StandardCharsets.ISO_8859_1));
        }
    }

    /** The layouts the reference crate's own unit tests pin down (tensor.rs: test_serialization, test_empty, forced alignment). */
    @Test
    void writerMatchesTheReferenceCrateLayouts() {
        byte[] data = f32(0, 1, 2, 3, 4, 5);
        // A 64-byte header needs no padding.
        String h1 = "{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}";
        assertEquals(64, h1.length());
        assertArrayEquals(concat(le64(64), h1.getBytes(StandardCharsets.US_ASCII), data),
                SafeTensors.writer().putF32("attn.0", new float[] {0, 1, 2, 3, 4, 5}, 1, 2, 3).toBytes());
        // 65 bytes are padded with 7 spaces to 72.
        String h2 = "{\"attn0\":{\"dtype\":\"F32\",\"shape\":[1,1,2,3],\"data_offsets\":[0,24]}}";
        assertEquals(65, h2.length());
        assertArrayEquals(concat(le64(72), (h2 + "       ").getBytes(StandardCharsets.US_ASCII), data),
                SafeTensors.writer().putF32("attn0", new float[] {0, 1, 2, 3, 4, 5}, 1, 1, 2, 3).toBytes());
        // No tensors: "{}" and six spaces; with metadata, __metadata__ comes first.
        assertArrayEquals(concat(le64(8), "{}      ".getBytes(StandardCharsets.US_ASCII)), SafeTensors.writer().toBytes());
        assertArrayEquals(concat(le64(40), "{\"__metadata__\":{\"framework\":\"pt\"}}     ".getBytes(StandardCharsets.US_ASCII)),
                SafeTensors.writer().putMetadata("framework", "pt").toBytes());
    }

    @Test
    void layoutIsSortedContiguousAndAligned() throws IOException {
        byte[] bytes = SafeTensors.writer()
                .putU8("a_u8", new byte[] {1, 2, 3}, 3)
                .putF32("z_f32", new float[] {1}, 1)
                .putF32("b_f32", new float[] {2, 3}, 2)
                .putI64("m_i64", new long[] {4}, 1)
                .putF64("k_f64", new double[] {5}, 1)
                .putI32("c_i32", new int[] {6}, 1)
                .putMetadata("z", "1").putMetadata("a", "2")
                .toBytes();
        long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, n % 8, "header length must be a multiple of 8");
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        assertEquals("{\"__metadata__\":{\"a\":\"2\",\"z\":\"1\"},"
                + "\"m_i64\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]},"
                + "\"k_f64\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[8,16]},"
                + "\"b_f32\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[16,24]},"
                + "\"z_f32\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[24,28]},"
                + "\"c_i32\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[28,32]},"
                + "\"a_u8\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[32,35]}}", header.stripTrailing());
        assertTrue(header.substring(header.stripTrailing().length()).chars().allMatch(c -> c == ' '), "padding must be spaces");
        assertEquals(8 + n + 35, bytes.length);
    }

    // ---------------------------------------------------------------- round trip

    @Test
    void roundTripsEveryTypedDtypeBitForBit() throws IOException {
        SplittableRandom r = new SplittableRandom(3);
        float[] w = new float[5 * 7 * 3 * 3]; // (K, C, kH, kW)
        for (int i = 0; i < w.length; i++) w[i] = Float.intBitsToFloat(r.nextInt()); // NaN payloads, -0, subnormals
        w[0] = -0.0f;
        w[1] = Float.NaN;
        double[] d = {Double.MIN_VALUE, -0.0, Double.longBitsToDouble(0x7ff8_0000_dead_beefL), 1e308};
        long[] l = {Long.MIN_VALUE, -1, 0, Long.MAX_VALUE};
        int[] ints = {Integer.MIN_VALUE, -1, 0, 1, Integer.MAX_VALUE, 12345};
        byte[] u8 = new byte[256];
        for (int i = 0; i < 256; i++) u8[i] = (byte) i;
        byte[] bf16 = {0x00, 0x3F, (byte) 0x80, (byte) 0xBF}; // 0.5, -1.0 as bfloat16, little-endian

        Path f = dir.resolve("model.safetensors");
        SafeTensors.writer()
                .putF32("G.conv1.weight", w, 5, 7, 3, 3)
                .putF64("d", d, 2, 2)
                .putI64("optim.step", l, 4)
                .putI32("ints", ints, 2, 3)
                .putU8("bytes", u8, 16, 16)
                .putF32("scalar", new float[] {42f})
                .putF32("empty", new float[0], 0, 5)
                .putRaw("half", Dtype.BF16, bf16, 2)
                .putMetadata("format", "sparring")
                .putMetadata("ünïcode \"key\"", "value\nwith newline")
                .write(f);

        SafeTensorsFile st = SafeTensors.read(f);
        float[] w2 = st.getF32("G.conv1.weight", 5, 7, 3, 3);
        for (int i = 0; i < w.length; i++) assertEquals(Float.floatToRawIntBits(w[i]), Float.floatToRawIntBits(w2[i]), "w[" + i + "]");
        double[] d2 = st.getF64("d");
        for (int i = 0; i < d.length; i++) assertEquals(Double.doubleToRawLongBits(d[i]), Double.doubleToRawLongBits(d2[i]), "d[" + i + "]");
        assertArrayEquals(l, st.getI64("optim.step"));
        assertArrayEquals(ints, st.getI32("ints"));
        assertArrayEquals(new int[] {2, 3}, st.shape("ints"));
        assertArrayEquals(u8, st.getU8("bytes"));
        assertArrayEquals(new float[] {42f}, st.getF32("scalar"));
        assertArrayEquals(new int[0], st.shape("scalar"));
        assertArrayEquals(new float[0], st.getF32("empty", 0, 5));
        assertEquals(Dtype.BF16, st.dtype("half"));
        assertArrayEquals(bf16, st.getRaw("half"));
        assertEquals(Map.of("format", "sparring", "ünïcode \"key\"", "value\nwith newline"), st.metadata());
        assertEquals(8, st.names().size());
    }

    @Test
    void gettersCheckNameDtypeAndShape() throws IOException {
        Path f = corrupted("g.safetensors", validBytes());
        SafeTensorsFile st = SafeTensors.read(f);
        UserError e = assertThrows(UserError.class, () -> st.getF32("nope"));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("no tensor named \"nope\"") && e.getMessage().contains("w"), e.getMessage());
        e = assertThrows(UserError.class, () -> st.getI64("w"));
        assertTrue(e.getMessage().contains("is F32, not I64"), e.getMessage());
        e = assertThrows(UserError.class, () -> st.getF32("w", 3, 2));
        assertTrue(e.getMessage().contains("has shape [2, 3], expected [3, 2]"), e.getMessage());
    }

    @Test
    void writerRejectsBadInput() {
        var w = SafeTensors.writer().putF32("a", new float[6], 2, 3);
        assertThrows(IllegalArgumentException.class, () -> w.putF32("a", new float[1], 1));                 // duplicate
        assertThrows(IllegalArgumentException.class, () -> w.putF32("b", new float[5], 2, 3));              // size mismatch
        assertThrows(IllegalArgumentException.class, () -> w.putF32("__metadata__", new float[1], 1));      // reserved
        assertThrows(IllegalArgumentException.class, () -> w.putF32("", new float[1], 1));
        assertThrows(IllegalArgumentException.class, () -> w.putF32("c", new float[0], -1, 0));
        assertThrows(IllegalArgumentException.class, () -> w.putRaw("r", Dtype.F16, new byte[3], 2));
        w.putMetadata("k", "v");
        assertThrows(IllegalArgumentException.class, () -> w.putMetadata("k", "again"));
    }

    @Test
    void writeIsAtomic() throws IOException {
        Path f = dir.resolve("ckpt.safetensors");
        SafeTensors.writer().putF32("x", new float[] {1, 2}, 2).write(f);
        byte[] before = Files.readAllBytes(f);
        // A body that fails half way: the old file must be intact and no temporary file left behind.
        assertThrows(IOException.class, () -> AtomicFile.write(f, out -> {
            out.write(new byte[1000]);
            throw new IOException("disk full (simulated)");
        }));
        assertArrayEquals(before, Files.readAllBytes(f));
        try (var files = Files.list(dir)) {
            assertEquals(List.of(f), files.toList());
        }
        // A successful write replaces the file.
        SafeTensors.writer().putF32("x", new float[] {3, 4, 5}, 3).write(f);
        assertArrayEquals(new float[] {3, 4, 5}, SafeTensors.read(f).getF32("x"));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count());
        }
    }

    // ---------------------------------------------------------------- reading tensors from the file

    /**
     * Tensors are read from the file only when asked for: extra tensors that together exceed the heap, and one too large
     * for a Java array, do not stop the others from loading (a sparse file: they take no disk).
     */
    @Test
    void readsOnlyTheTensorsAskedFor() throws IOException {
        long heap = Runtime.getRuntime().maxMemory();
        Map<String, Long> extras = new java.util.LinkedHashMap<>();
        for (long total = 0; total <= heap; total += 1L << 30) extras.put("extra." + extras.size(), 1L << 30);
        extras.put("extra.huge", 5L << 30);
        Path f = SparseExtras.append(corrupted("small.safetensors", validBytes()), dir.resolve("big.safetensors"), extras);
        assertTrue(Files.size(f) > heap + (5L << 30), "the extras must exceed the heap");

        SafeTensorsFile st = SafeTensors.read(f);
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, st.getF32("w", 2, 3));
        assertArrayEquals(new float[] {-1, -2}, st.getF32("b"));
        assertEquals(Map.of("format", "pt"), st.metadata());
        assertEquals(extras.size() + 2, st.names().size());
        assertArrayEquals(new long[] {5L << 30}, st.info("extra.huge").shape());
        UserError e = assertThrows(UserError.class, () -> st.getRaw("extra.huge"));
        assertTrue(e.getMessage().startsWith(f + ": tensor \"extra.huge\" is 5368709120 bytes")
                && e.getMessage().contains("at most 2 GiB per tensor"), e.getMessage());

        // the size is still checked when the file is opened, against every tensor the header declares
        try (var raf = new java.io.RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(raf.length() - 1);
        }
        rejects(f, "truncated: tensor \"extra.huge\"");
    }

    /** A tensor of several read chunks comes back whole and in order, for every typed getter. */
    @Test
    void readsTensorsLargerThanOneReadChunk() throws IOException {
        int n = 700_001;   // 2.8 MB of F32, 5.6 MB of F64 and I64: several 1 MiB chunks and a partial last one
        float[] f = new float[n];
        double[] d = new double[n];
        long[] l = new long[n];
        int[] i32 = new int[n];
        byte[] u8 = new byte[3 * n];
        for (int i = 0; i < n; i++) {
            f[i] = i * 0.5f;
            d[i] = -i / 3.0;
            l[i] = (long) i << 33 | i;
            i32[i] = Integer.reverse(i);
        }
        for (int i = 0; i < u8.length; i++) u8[i] = (byte) (i * 7 + i / 251);
        Path file = dir.resolve("chunks.safetensors");
        SafeTensors.writer().putF32("f", f, n).putF64("d", d, n).putI64("l", l, n).putI32("i", i32, n).putU8("u", u8, 3, n)
                .write(file);
        SafeTensorsFile st = SafeTensors.read(file);
        assertArrayEquals(f, st.getF32("f"));
        assertArrayEquals(d, st.getF64("d"));
        assertArrayEquals(l, st.getI64("l"));
        assertArrayEquals(i32, st.getI32("i"));
        assertArrayEquals(u8, st.getU8("u"));
        assertArrayEquals(u8, st.getRaw("u"));
    }

    /** A file replaced after its header was read is not read with that header's offsets. */
    @Test
    void refusesToReadFromAFileReplacedAfterItsHeaderWasRead() throws IOException {
        Path f = dir.resolve("replaced.safetensors");
        SafeTensors.writer().putF32("w", new float[] {1, 2}, 2).write(f);
        SafeTensorsFile st = SafeTensors.read(f);
        assertArrayEquals(new float[] {1, 2}, st.getF32("w"));
        SafeTensors.writer().putF32("a", new float[] {7}, 1).putF32("w", new float[] {3, 4}, 2).write(f);   // a new file by rename
        UserError e = assertThrows(UserError.class, () -> st.getF32("w"));
        assertTrue(e.getMessage().startsWith(f + ": the file was replaced or rewritten") && e.getMessage().contains("\"w\""),
                e.getMessage());
        assertArrayEquals(new float[] {3, 4}, SafeTensors.read(f).getF32("w"));
    }

    // ---------------------------------------------------------------- malformed files

    @Test
    void rejectsAFileShorterThanTheLengthField() throws IOException {
        rejects(corrupted("short.safetensors", new byte[] {8, 0, 0, 0, 0}), "too short for the 8-byte header length");
        rejects(corrupted("empty.safetensors", new byte[0]), "the file is 0 bytes");
    }

    @Test
    void rejectsAHeaderLengthPastTheEndOfTheFile() throws IOException {
        byte[] b = validBytes();
        System.arraycopy(le64(b.length), 0, b, 0, 8);
        rejects(corrupted("long.safetensors", b), "runs past the end of the file");
    }

    @Test
    void rejectsAHeaderLengthOverTheLimit() throws IOException {
        byte[] b = validBytes();
        System.arraycopy(le64(200_000_000L), 0, b, 0, 8);
        rejects(corrupted("huge.safetensors", b), "over the 100000000-byte limit");
        System.arraycopy(le64(-8L), 0, b, 0, 8); // 2^64 - 8 as unsigned
        rejects(corrupted("huge2.safetensors", b), "header length 18446744073709551608 is over");
    }

    @Test
    void rejectsAHeaderThatIsNotJson() throws IOException {
        byte[] b = validBytes();
        b[8] = 'x'; // the opening brace
        SafeTensorsException e = rejects(corrupted("notjson.safetensors", b), "the header is not valid JSON");
        assertTrue(e.getMessage().contains(":1:1:"), e.getMessage());
        rejects(rawFile("array.safetensors", "[]      ", new byte[0]), "the header must be a JSON object");
        byte[] badUtf8 = concat(le64(4), new byte[] {'{', (byte) 0xFF, '}', ' '});
        rejects(corrupted("utf8.safetensors", badUtf8), "not valid UTF-8");
        rejects(rawFile("dup.safetensors",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                new byte[8]), "duplicate key \"a\"");
    }

    @Test
    void rejectsAnUnknownDtype() throws IOException {
        rejects(corrupted("dtype.safetensors", replaceInHeader(validBytes(), "\"F32\"", "\"F33\"")), "unknown or unsupported dtype \"F33\"");
        rejects(rawFile("f4.safetensors", "{\"a\":{\"dtype\":\"F4\",\"shape\":[2],\"data_offsets\":[0,1]}}", new byte[1]), "dtype \"F4\"");
    }

    @Test
    void rejectsAShapeThatDoesNotMatchTheOffsets() throws IOException {
        SafeTensorsException e = rejects(corrupted("shape.safetensors", replaceInHeader(validBytes(), "[2,3]", "[2,4]")),
                "shape [2, 4] of F32 needs 32 bytes but data_offsets [8, 32] span 24");
        assertTrue(e.getMessage().contains("tensor \"w\""), e.getMessage());
        rejects(rawFile("overflow.safetensors",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4],\"data_offsets\":[0,4]}}", new byte[4]), "overflows 64 bits");
    }

    @Test
    void rejectsOffsetsOutsideTheBuffer() throws IOException {
        // b claims [8, 24) but the file holds 16 data bytes.
        rejects(rawFile("outside.safetensors",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}",
                new byte[16]), "truncated: tensor \"b\" occupies bytes [8, 24) of the data buffer but the file holds only 16 bytes");
        rejects(rawFile("backwards.safetensors", "{\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[8,4]}}", new byte[8]),
                "end before they begin");
    }

    @Test
    void rejectsOverlappingOffsets() throws IOException {
        rejects(rawFile("overlap.safetensors",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
                new byte[12]), "tensor \"b\" [4, 12) overlaps tensor \"a\" [0, 8)");
        rejects(rawFile("same.safetensors",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
                new byte[8]), "overlaps");
    }

    @Test
    void rejectsHolesBetweenTensors() throws IOException {
        rejects(rawFile("hole.safetensors",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[12,20]}}",
                new byte[20]), "a hole of 4 bytes in the data buffer before tensor \"b\"");
        rejects(rawFile("lead.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[12]),
                "a hole of 4 bytes in the data buffer before tensor \"a\" (begins at 4, the buffer starts at 0)");
    }

    @Test
    void rejectsTruncatedAndOverlongData() throws IOException {
        byte[] b = validBytes();
        rejects(corrupted("cut.safetensors", Arrays.copyOf(b, b.length - 3)), "truncated");
        rejects(corrupted("nodata.safetensors", Arrays.copyOf(b, b.length - 32)), "truncated");
        rejects(corrupted("tail.safetensors", Arrays.copyOf(b, b.length + 4)), "4 bytes of trailing data");
    }

    @Test
    void rejectsMalformedEntries() throws IOException {
        String[][] cases = {
                {"{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", "non-negative integers"},
                {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1.0],\"data_offsets\":[0,4]}}", "non-negative integers"},
                {"{\"a\":{\"dtype\":\"F32\",\"shape\":1,\"data_offsets\":[0,4]}}", "must be an array"},
                {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", "must be [begin, end]"},
                {"{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", "\"shape\" is missing"},
                {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1}}", "unknown field \"x\""},
                {"{\"a\":{\"dtype\":32,\"shape\":[1],\"data_offsets\":[0,4]}}", "\"dtype\" must be a string"},
                {"{\"a\":[1]}", "expected an object {dtype, shape, data_offsets}"},
                {"{\"__metadata__\":{\"k\":1},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", "metadata \"k\" must be a string"},
                {"{\"__metadata__\":[],\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", "must be an object of strings"},
        };
        for (int i = 0; i < cases.length; i++) rejects(rawFile("bad" + i + ".safetensors", cases[i][0], new byte[4]), cases[i][1]);
    }

    @Test
    void acceptsUnpaddedHeadersAndAnyEntryOrder() throws IOException {
        // Other writers may not pad or sort; the reader orders by offset like the reference does.
        Path f = rawFile("order.safetensors",
                "{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                f32(1, 2));
        SafeTensorsFile st = SafeTensors.read(f);
        assertEquals(List.of("a", "b"), List.copyOf(st.names()));
        assertArrayEquals(new float[] {2}, st.getF32("b"));
    }

    /** Random byte corruption and truncation: every outcome is a clean read or a SafeTensorsException, never another exception. */
    @Test
    void randomCorruptionFailsCleanly() throws IOException {
        byte[] valid = validBytes();
        SplittableRandom r = new SplittableRandom(1);
        Path f = dir.resolve("fuzz.safetensors");
        int rejected = 0;
        for (int trial = 0; trial < 300; trial++) {
            byte[] b = valid.clone();
            if (trial % 3 == 0) {
                b = Arrays.copyOf(b, r.nextInt(b.length));
            } else {
                int flips = 1 + r.nextInt(3);
                for (int k = 0; k < flips; k++) b[r.nextInt(b.length)] = (byte) r.nextInt(256);
            }
            Files.write(f, b);
            try {
                SafeTensors.read(f);
            } catch (SafeTensorsException expected) {
                rejected++;
            } catch (Exception other) {
                fail("trial " + trial + ": " + other + " instead of SafeTensorsException", other);
            }
        }
        assertTrue(rejected > 150, "most corruptions must be detected, got " + rejected);
    }
}
