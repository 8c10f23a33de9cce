package dev.sparring.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The safetensors format (huggingface/safetensors), read and written in plain Java. A file is:
 * <pre>
 *   8 bytes   N, the header length, unsigned 64-bit little-endian
 *   N bytes   header: UTF-8 JSON object
 *               {"__metadata__": {string: string},                      (optional)
 *                NAME: {"dtype": "F32", "shape": [d0, d1, ...], "data_offsets": [begin, end]}, ...}
 *   rest      the data buffer: each tensor's elements, row-major (C order), little-endian, at
 *             [begin, end) relative to the start of the buffer (byte 8 + N of the file)
 * </pre>
 *
 * <h2>Writing ({@link Writer})</h2>
 * We produce the same bytes as the reference writer (the Rust crate behind the Python package; checked
 * byte for byte against a file written by safetensors 0.8.0 in the tests): tensors are laid out back to back
 * with no gaps, sorted by dtype in descending order of {@link Dtype}'s declaration (which is the reference's,
 * roughly by alignment: I64, F64, F32, I32, ..., U8, BOOL) and then by name (UTF-8 byte order); the header is
 * compact JSON with {@code __metadata__} first (only when there is metadata), then the tensors in data order,
 * each as {@code {"dtype":..,"shape":..,"data_offsets":..}}; it is padded with spaces to a multiple of 8 bytes so
 * that the buffer starts 8-byte aligned. One difference: the reference writes metadata keys in hash order, we
 * sort them, so our files are deterministic. Files are written atomically ({@link AtomicFile}).
 *
 * <h2>Reading ({@link #read})</h2>
 * Reading a file reads and validates its header and size; a tensor's bytes are read from the file only when a
 * getter of the {@link SafeTensorsFile} asks for that tensor, so unneeded tensors cost nothing, however large.
 * The whole header is validated before any data is read, as the reference does, and more strictly: the
 * file must be at least 8 bytes; N at most {@link #MAX_HEADER_BYTES} (the reference's 100 MB limit) and within
 * the file; the header valid UTF-8 JSON (strict: no duplicate names) whose top level is an object; every tensor
 * entry an object with exactly dtype, shape and data_offsets; a known dtype; non-negative integer dims;
 * {@code end - begin == product(shape) * dtype size}; the tensors, ordered by offset, must tile the buffer from 0
 * with no hole and no overlap; and the file must end exactly where the last tensor ends (a shorter file is
 * truncated, a longer one has trailing bytes). Every failure is a {@link SafeTensorsException} naming the
 * file and, where there is one, the tensor.
 */
public final class SafeTensors {
    /** Largest header the reader accepts, as in the reference implementation. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    /** The name of the header entry that holds the string-to-string metadata. */
    public static final String METADATA_KEY = "__metadata__";

    private SafeTensors() { }

    /**
     * Element types with their sizes in bytes. The declaration order is the reference implementation's (it sorts
     * tensors by it on write); the sub-byte types F4/F6 of recent versions are not supported.
     */
    public enum Dtype {
        BOOL(1), U8(1), I8(1), F8_E5M2(1), F8_E4M3(1), F8_E8M0(1), I16(2), U16(2), F16(2), BF16(2),
        I32(4), U32(4), F32(4), C64(8), F64(8), I64(8), U64(8);

        /** Bytes per element. */
        public final int bytes;

        Dtype(int bytes) { this.bytes = bytes; }

        /** The dtype named {@code s} in a header ("F32"), or null if there is none. */
        public static Dtype parse(String s) {
            for (Dtype d : values()) if (d.name().equals(s)) return d;
            return null;
        }
    }

    /** One header entry: the tensor's dtype, shape and byte range [begin, end) within the data buffer. */
    public record TensorInfo(String name, Dtype dtype, long[] shape, long begin, long end) {
        public TensorInfo {
            shape = shape.clone();
        }

        @Override
        public long[] shape() { return shape.clone(); }

        /** Number of elements: the product of the shape (1 for a scalar, shape []). */
        public long elements() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }

        public long byteSize() { return end - begin; }

        @Override
        public String toString() { return name + " " + dtype + Arrays.toString(shape) + " @[" + begin + ", " + end + ")"; }

        @Override
        public boolean equals(Object o) {
            return o instanceof TensorInfo t && name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape)
                    && begin == t.begin && end == t.end;
        }

        @Override
        public int hashCode() { return name.hashCode() * 31 + Arrays.hashCode(shape); }
    }

    /**
     * Reads and validates {@code file}'s header and size; see the class comment for what is checked. Tensor data is
     * read later, tensor by tensor, by the getters of the result.
     */
    public static SafeTensorsFile read(Path file) throws IOException {
        return SafeTensorsFile.open(file);
    }

    /** A new, empty writer. */
    public static Writer writer() { return new Writer(); }

    /**
     * Collects tensors and metadata, then writes one file. The arrays passed to the {@code put} methods are
     * not copied: they are read when {@link #write} or {@link #toBytes} runs, so leave them unchanged until then.
     *
     * <pre>{@code
     * SafeTensors.writer()
     *     .putF32("G.conv1.weight", w, 512, 100, 4, 4)     // (K, C, kH, kW)
     *     .putI64("optim.step", new long[] {step})          // shape (1,)
     *     .putMetadata("format", "sparring-checkpoint-1")
     *     .write(dir.resolve("step-1000.safetensors"));
     * }</pre>
     */
    public static final class Writer {
        private record Pending(String name, Dtype dtype, long[] shape, long bytes, Object data) { }

        private final List<Pending> tensors = new ArrayList<>();
        private final Set<String> names = new HashSet<>();
        private final Map<String, String> metadata = new TreeMap<>();

        private Writer() { }

        /** A float32 tensor; {@code shape} may be empty for a scalar; its product must equal data.length. */
        public Writer putF32(String name, float[] data, int... shape) { return put(name, Dtype.F32, data, data.length, shape); }

        public Writer putF64(String name, double[] data, int... shape) { return put(name, Dtype.F64, data, data.length, shape); }

        public Writer putI64(String name, long[] data, int... shape) { return put(name, Dtype.I64, data, data.length, shape); }

        public Writer putI32(String name, int[] data, int... shape) { return put(name, Dtype.I32, data, data.length, shape); }

        public Writer putU8(String name, byte[] data, int... shape) { return put(name, Dtype.U8, data, data.length, shape); }

        /** Any dtype from its little-endian bytes; {@code littleEndian.length} must be product(shape) * dtype size. */
        public Writer putRaw(String name, Dtype dtype, byte[] littleEndian, long... shape) {
            long elements = checkShape(name, shape);
            if (elements * dtype.bytes != littleEndian.length) {
                throw new IllegalArgumentException("SafeTensors.Writer.putRaw(\"" + name + "\"): shape " + Arrays.toString(shape)
                        + " of " + dtype + " needs " + elements * dtype.bytes + " bytes, got " + littleEndian.length);
            }
            return add(name, dtype, shape, littleEndian);
        }

        /** A string-to-string metadata entry (written under {@code __metadata__}); a key may be set once. */
        public Writer putMetadata(String key, String value) {
            if (key == null || value == null) throw new IllegalArgumentException("SafeTensors.Writer.putMetadata: null key or value (key " + key + ")");
            if (metadata.containsKey(key)) throw new IllegalArgumentException("SafeTensors.Writer.putMetadata: key \"" + key + "\" set twice");
            metadata.put(key, value);
            return this;
        }

        private Writer put(String name, Dtype dtype, Object data, int length, int[] shape) {
            long[] s = new long[shape.length];
            for (int i = 0; i < shape.length; i++) s[i] = shape[i];
            long elements = checkShape(name, s);
            if (elements != length) {
                throw new IllegalArgumentException("SafeTensors.Writer.put" + dtype + "(\"" + name + "\"): shape " + Arrays.toString(shape)
                        + " holds " + elements + " elements but the array has " + length);
            }
            return add(name, dtype, s, data);
        }

        private long checkShape(String name, long[] shape) {
            if (name == null || name.isEmpty()) throw new IllegalArgumentException("SafeTensors.Writer: a tensor name must be a non-empty string");
            if (name.equals(METADATA_KEY)) throw new IllegalArgumentException("SafeTensors.Writer: \"" + METADATA_KEY + "\" is reserved for metadata, not a tensor name");
            long n = 1;
            for (long d : shape) {
                if (d < 0) throw new IllegalArgumentException("SafeTensors.Writer: tensor \"" + name + "\" has a negative dimension in " + Arrays.toString(shape));
                n = Math.multiplyExact(n, d);
            }
            return n;
        }

        private Writer add(String name, Dtype dtype, long[] shape, Object data) {
            if (!names.add(name)) throw new IllegalArgumentException("SafeTensors.Writer: tensor \"" + name + "\" added twice");
            long elements = 1;
            for (long d : shape) elements *= d;
            tensors.add(new Pending(name, dtype, shape.clone(), elements * dtype.bytes, data));
            return this;
        }

        /** The tensors in file order: dtype descending (reference order), then name by UTF-8 bytes. */
        private List<Pending> ordered() {
            List<Pending> list = new ArrayList<>(tensors);
            Comparator<Pending> byDtype = Comparator.comparing(p -> p.dtype);
            list.sort(byDtype.reversed().thenComparing((a, b) -> Arrays.compareUnsigned(
                    a.name.getBytes(StandardCharsets.UTF_8), b.name.getBytes(StandardCharsets.UTF_8))));
            return list;
        }

        /** The header bytes, space-padded to a multiple of 8, for the tensors in {@code order}. */
        private byte[] header(List<Pending> order) {
            Map<String, Object> header = new LinkedHashMap<>();
            if (!metadata.isEmpty()) header.put(METADATA_KEY, metadata);
            long offset = 0;
            for (Pending p : order) {
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("dtype", p.dtype.name());
                entry.put("shape", p.shape);
                entry.put("data_offsets", new long[] {offset, offset + p.bytes});
                header.put(p.name, entry);
                offset += p.bytes;
            }
            byte[] json = Json.write(header).getBytes(StandardCharsets.UTF_8);
            int padded = (json.length + 7) / 8 * 8;
            byte[] out = Arrays.copyOf(json, padded);
            Arrays.fill(out, json.length, padded, (byte) ' ');
            return out;
        }

        /** Writes the whole file to {@code out}. */
        private void writeTo(OutputStream out) throws IOException {
            List<Pending> order = ordered();
            byte[] header = header(order);
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length);
            out.write(len.array());
            out.write(header);
            ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            for (Pending p : order) writeData(p.data, buf, out);
        }

        /** Converts an array to little-endian bytes through {@code buf}, one chunk at a time. */
        private static void writeData(Object data, ByteBuffer buf, OutputStream out) throws IOException {
            switch (data) {
                case byte[] a -> out.write(a);
                case float[] a -> {
                    for (int i = 0; i < a.length; ) {
                        int n = Math.min(a.length - i, buf.capacity() / 4);
                        buf.clear().asFloatBuffer().put(a, i, n);
                        out.write(buf.array(), 0, n * 4);
                        i += n;
                    }
                }
                case double[] a -> {
                    for (int i = 0; i < a.length; ) {
                        int n = Math.min(a.length - i, buf.capacity() / 8);
                        buf.clear().asDoubleBuffer().put(a, i, n);
                        out.write(buf.array(), 0, n * 8);
                        i += n;
                    }
                }
                case long[] a -> {
                    for (int i = 0; i < a.length; ) {
                        int n = Math.min(a.length - i, buf.capacity() / 8);
                        buf.clear().asLongBuffer().put(a, i, n);
                        out.write(buf.array(), 0, n * 8);
                        i += n;
                    }
                }
                case int[] a -> {
                    for (int i = 0; i < a.length; ) {
                        int n = Math.min(a.length - i, buf.capacity() / 4);
                        buf.clear().asIntBuffer().put(a, i, n);
                        out.write(buf.array(), 0, n * 4);
                        i += n;
                    }
                }
                default -> throw new IllegalStateException("unreachable: " + data.getClass());
            }
        }

        /** Writes the file atomically: {@code file} is either left as it was or holds the complete new file. */
        public void write(Path file) throws IOException {
            AtomicFile.write(file, this::writeTo);
        }

        /** The file's bytes in memory (for tests and small files; at most 2 GiB). */
        public byte[] toBytes() {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try {
                writeTo(out);
            } catch (IOException e) {
                throw new IllegalStateException("unreachable: ByteArrayOutputStream threw", e);
            }
            return out.toByteArray();
        }
    }
}
