package dev.sparring.io;

import dev.sparring.UserError;
import dev.sparring.io.SafeTensors.Dtype;
import dev.sparring.io.SafeTensors.TensorInfo;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A validated safetensors file: its metadata and its tensors' headers, held in memory, and its tensors' bytes, left in
 * the file until a getter asks for one tensor. Made by {@link SafeTensors#read}, which validates the whole header and
 * the file's size up front (the class comment there lists what is checked), so a truncated or malformed file is refused
 * when it is opened, not on first access. A file may thus hold tensors far larger than the heap (or than a Java array)
 * as long as they are not read.
 *
 * <p>Each getter opens the file, reads that tensor's bytes with positional reads, and closes it again: nothing stays
 * open, so there is nothing to close. A getter first checks that the file is still the one whose header was read (same
 * file identity, size and modification time) and refuses to read from a file replaced or rewritten since. The typed
 * getters ({@link #getF32} and friends) convert from little-endian and return fresh arrays; they throw
 * {@link UserError} naming the file and the tensor when the name is missing, the dtype or shape is not the one asked
 * for, the tensor is too large for a Java array, or its bytes cannot be read.
 */
public final class SafeTensorsFile {
    /** Bytes read and converted at a time by the getters (a multiple of every dtype's size). */
    private static final int CHUNK = 1 << 20;

    /** What identifies the file's contents as those whose header was read: size, modification time, file key. */
    private record Stamp(long size, FileTime modified, Object key) {
        static Stamp of(Path file) throws IOException {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return new Stamp(a.size(), a.lastModifiedTime(), a.fileKey());
        }
    }

    private final Path path;
    private final Map<String, String> metadata;          // file order
    private final Map<String, TensorInfo> infos;         // data (offset) order
    private final long dataStart;                        // file position of the data buffer: 8 + header length
    private final Stamp stamp;                           // the file when its header was read

    private SafeTensorsFile(Path path, Map<String, String> metadata, Map<String, TensorInfo> infos, long dataStart, Stamp stamp) {
        this.path = path;
        this.metadata = Collections.unmodifiableMap(metadata);
        this.infos = Collections.unmodifiableMap(infos);
        this.dataStart = dataStart;
        this.stamp = stamp;
    }

    // ---------------------------------------------------------------- reading and validation

    static SafeTensorsFile open(Path file) throws IOException {
        String where = file.toString();
        Stamp before = Stamp.of(file);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw fail(where, "the file is " + size + " bytes, too short for the 8-byte header length (empty, truncated or not a safetensors file)");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0, where);
            long n = lenBuf.flip().getLong();
            if (n < 0 || n > SafeTensors.MAX_HEADER_BYTES) {
                throw fail(where, "header length " + Long.toUnsignedString(n) + " is over the " + SafeTensors.MAX_HEADER_BYTES
                        + "-byte limit (corrupt, or not a safetensors file)");
            }
            if (8 + n > size) {
                throw fail(where, "header length " + n + " runs past the end of the file (" + size + " bytes): the file is truncated or not a safetensors file");
            }
            ByteBuffer headerBuf = ByteBuffer.allocate((int) n);
            readFully(ch, headerBuf, 8, where);

            Object parsed;
            try {
                parsed = Json.parse(headerBuf.array(), "header");
            } catch (JsonException e) {
                throw new SafeTensorsException(where + ": the header is not valid JSON: " + e.getMessage(), e);
            }
            if (!(parsed instanceof Map<?, ?> top)) {
                throw fail(where, "the header must be a JSON object, found " + Json.typeName(parsed));
            }

            Map<String, String> metadata = new LinkedHashMap<>();
            List<TensorInfo> list = new ArrayList<>();
            for (Map.Entry<?, ?> e : top.entrySet()) {
                String name = (String) e.getKey();
                if (name.equals(SafeTensors.METADATA_KEY)) parseMetadata(e.getValue(), metadata, where);
                else list.add(parseEntry(name, e.getValue(), where));
            }

            // The tensors, by offset, must tile [0, bufferEnd) with no hole and no overlap.
            list.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
            long expect = 0;
            TensorInfo previous = null;
            for (TensorInfo t : list) {
                if (t.begin() > expect) {
                    throw fail(where, "a hole of " + (t.begin() - expect) + " bytes in the data buffer before tensor \"" + t.name()
                            + "\" (begins at " + t.begin() + ", " + (previous == null ? "the buffer starts at 0" : "\"" + previous.name() + "\" ends at " + expect)
                            + "); tensors must be contiguous");
                }
                if (t.begin() < expect) {
                    throw fail(where, "tensor \"" + t.name() + "\" [" + t.begin() + ", " + t.end() + ") overlaps tensor \"" + previous.name()
                            + "\" [" + previous.begin() + ", " + previous.end() + ")");
                }
                expect = t.end();
                previous = t;
            }
            long bufferEnd = expect;
            long available = size - 8 - n;
            if (bufferEnd > available) {
                TensorInfo cut = list.stream().filter(t -> t.end() > available).findFirst().orElseThrow();
                throw fail(where, "truncated: tensor \"" + cut.name() + "\" occupies bytes [" + cut.begin() + ", " + cut.end()
                        + ") of the data buffer but the file holds only " + available + " bytes of data (" + size + " bytes in all, "
                        + (8 + n + bufferEnd) + " expected)");
            }
            if (bufferEnd < available) {
                throw fail(where, (available - bufferEnd) + " bytes of trailing data after the last tensor (the header accounts for "
                        + bufferEnd + " data bytes, the file has " + available + "); the file is corrupt or was appended to");
            }

            // The size, the header and the stamp must all be of one file: one replaced or rewritten meanwhile is refused.
            if (!Stamp.of(file).equals(before) || before.size() != size) {
                throw fail(where, "the file changed while its header was being read");
            }
            Map<String, TensorInfo> infos = new LinkedHashMap<>();
            for (TensorInfo t : list) infos.put(t.name(), t);
            return new SafeTensorsFile(file, metadata, infos, 8 + n, before);
        }
    }

    private static void parseMetadata(Object value, Map<String, String> out, String where) throws SafeTensorsException {
        if (!(value instanceof Map<?, ?> m)) {
            throw fail(where, "\"" + SafeTensors.METADATA_KEY + "\" must be an object of strings, found " + Json.typeName(value));
        }
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (!(e.getValue() instanceof String s)) {
                throw fail(where, "metadata \"" + e.getKey() + "\" must be a string, found " + Json.typeName(e.getValue()));
            }
            out.put((String) e.getKey(), s);
        }
    }

    private static TensorInfo parseEntry(String name, Object value, String where) throws SafeTensorsException {
        String what = "tensor \"" + name + "\"";
        if (!(value instanceof Map<?, ?> m)) throw fail(where, what + ": expected an object {dtype, shape, data_offsets}, found " + Json.typeName(value));
        for (Object key : m.keySet()) {
            if (!key.equals("dtype") && !key.equals("shape") && !key.equals("data_offsets")) {
                throw fail(where, what + ": unknown field \"" + key + "\" (expected dtype, shape, data_offsets)");
            }
        }
        Object dt = m.get("dtype");
        if (!(dt instanceof String dtName)) throw fail(where, what + ": \"dtype\" must be a string, found " + Json.typeName(dt));
        Dtype dtype = Dtype.parse(dtName);
        if (dtype == null) {
            throw fail(where, what + ": unknown or unsupported dtype \"" + dtName + "\" (supported: " + Arrays.toString(Dtype.values()) + ")");
        }
        long[] shape = longArray(m.get("shape"), what + ": \"shape\"", where);
        long[] offsets = longArray(m.get("data_offsets"), what + ": \"data_offsets\"", where);
        if (offsets.length != 2) throw fail(where, what + ": \"data_offsets\" must be [begin, end], found " + offsets.length + " numbers");
        if (offsets[1] < offsets[0]) throw fail(where, what + ": data_offsets [" + offsets[0] + ", " + offsets[1] + "] end before they begin");
        long bytes;
        try {
            long elements = 1;
            for (long d : shape) elements = Math.multiplyExact(elements, d);
            bytes = Math.multiplyExact(elements, (long) dtype.bytes);
        } catch (ArithmeticException overflow) {
            throw fail(where, what + ": shape " + Arrays.toString(shape) + " overflows 64 bits");
        }
        if (offsets[1] - offsets[0] != bytes) {
            throw fail(where, what + ": shape " + Arrays.toString(shape) + " of " + dtype + " needs " + bytes + " bytes but data_offsets ["
                    + offsets[0] + ", " + offsets[1] + "] span " + (offsets[1] - offsets[0]));
        }
        return new TensorInfo(name, dtype, shape, offsets[0], offsets[1]);
    }

    private static long[] longArray(Object v, String what, String where) throws SafeTensorsException {
        if (v == null) throw fail(where, what + " is missing");
        if (!(v instanceof List<?> list)) throw fail(where, what + " must be an array of non-negative integers, found " + Json.typeName(v));
        long[] out = new long[list.size()];
        for (int i = 0; i < out.length; i++) {
            Object x = list.get(i);   // JSON integers come back as Integer, Long or (past the long range) BigInteger
            if (!(x instanceof Integer || x instanceof Long) || ((Number) x).longValue() < 0) {
                throw fail(where, what + " must hold non-negative integers, found " + Json.write(x) + " at index " + i);
            }
            out[i] = ((Number) x).longValue();
        }
        return out;
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position, String where) throws IOException {
        while (buf.hasRemaining()) {
            int r = ch.read(buf, position + buf.position());
            if (r < 0) throw fail(where, "unexpected end of file at byte " + (position + buf.position()) + " (the file changed while being read?)");
        }
    }

    private static SafeTensorsException fail(String where, String message) {
        return new SafeTensorsException(where + ": " + message);
    }

    // ---------------------------------------------------------------- access

    public Path path() { return path; }

    /** The {@code __metadata__} entries, in file order (empty if there were none). */
    public Map<String, String> metadata() { return metadata; }

    /** Tensor names in data-buffer order. */
    public Set<String> names() { return infos.keySet(); }

    public boolean contains(String name) { return infos.containsKey(name); }

    /** Header entry of tensor {@code name}. */
    public TensorInfo info(String name) {
        TensorInfo t = infos.get(name);
        if (t == null) {
            List<String> some = infos.keySet().stream().limit(20).toList();
            throw new UserError(path + ": no tensor named \"" + name + "\"; the file holds " + infos.size() + " tensor(s)"
                    + (some.isEmpty() ? "" : ": " + String.join(", ", some) + (infos.size() > some.size() ? ", ..." : "")));
        }
        return t;
    }

    public Dtype dtype(String name) { return info(name).dtype(); }

    /** The shape as ints (every shape a Java array can hold fits). */
    public int[] shape(String name) {
        long[] s = info(name).shape();
        int[] out = new int[s.length];
        for (int i = 0; i < s.length; i++) {
            if (s[i] > Integer.MAX_VALUE) throw new UserError(path + ": tensor \"" + name + "\" has dimension " + s[i] + " > 2^31-1");
            out[i] = (int) s[i];
        }
        return out;
    }

    /** A copy of the tensor's raw little-endian bytes, whatever its dtype. */
    public byte[] getRaw(String name) {
        TensorInfo t = info(name);
        byte[] out = new byte[arrayLength(t, 1)];
        read(t, 1, (b, at, count) -> b.get(out, at, count));
        return out;
    }

    public float[] getF32(String name) {
        float[] out = new float[elements(name, Dtype.F32)];
        readElements(name, (b, at, count) -> b.asFloatBuffer().get(out, at, count));
        return out;
    }

    /** Like {@link #getF32(String)}, and checks the shape (for checkpoint loading: the error says what differs). */
    public float[] getF32(String name, int... expectedShape) {
        checkShape(name, expectedShape);
        return getF32(name);
    }

    public double[] getF64(String name) {
        double[] out = new double[elements(name, Dtype.F64)];
        readElements(name, (b, at, count) -> b.asDoubleBuffer().get(out, at, count));
        return out;
    }

    public long[] getI64(String name) {
        long[] out = new long[elements(name, Dtype.I64)];
        readElements(name, (b, at, count) -> b.asLongBuffer().get(out, at, count));
        return out;
    }

    public int[] getI32(String name) {
        int[] out = new int[elements(name, Dtype.I32)];
        readElements(name, (b, at, count) -> b.asIntBuffer().get(out, at, count));
        return out;
    }

    public byte[] getU8(String name) {
        elements(name, Dtype.U8);
        return getRaw(name);
    }

    /** Throws unless tensor {@code name} has exactly {@code expected} as its shape. */
    public void checkShape(String name, int... expected) {
        long[] actual = info(name).shape();
        boolean same = actual.length == expected.length;
        for (int i = 0; same && i < actual.length; i++) same = actual[i] == expected[i];
        if (!same) {
            throw new UserError(path + ": tensor \"" + name + "\" has shape " + Arrays.toString(actual)
                    + ", expected " + Arrays.toString(expected) + " (was the file written for a different model configuration?)");
        }
    }

    private int elements(String name, Dtype want) {
        TensorInfo t = info(name);
        if (t.dtype() != want) {
            throw new UserError(path + ": tensor \"" + name + "\" is " + t.dtype() + ", not " + want
                    + switch (t.dtype()) {
                        case F32, F64, I64, I32, U8 -> "; read it with get" + t.dtype();
                        default -> "; read its bytes with getRaw";
                    });
        }
        return arrayLength(t, want.bytes);
    }

    /** The tensor's size in units of elementBytes, refused when it does not fit in a Java array. */
    private int arrayLength(TensorInfo t, int elementBytes) {
        if (t.byteSize() > Integer.MAX_VALUE - 8) {
            throw new UserError(path + ": tensor \"" + t.name() + "\" is " + t.byteSize()
                    + " bytes; this reader reads at most 2 GiB per tensor");
        }
        return (int) (t.byteSize() / elementBytes);
    }

    /** Receives a tensor's bytes chunk by chunk: count units (elements or bytes) starting at unit at. */
    private interface Chunk { void take(ByteBuffer littleEndian, int at, int count); }

    /** Reads tensor name's elements into sink, chunk by chunk (counted in elements). */
    private void readElements(String name, Chunk sink) {
        TensorInfo t = info(name);
        read(t, t.dtype().bytes, sink);
    }

    /** Reads tensor t from the file, CHUNK bytes at a time, into sink, counting in units of unit bytes. */
    private void read(TensorInfo t, int unit, Chunk sink) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            if (!Stamp.of(path).equals(stamp)) {
                throw new UserError(path + ": the file was replaced or rewritten after its header was read; tensor \""
                        + t.name() + "\" is not read from a different file (was it overwritten meanwhile?)");
            }
            ByteBuffer buf = ByteBuffer.allocate((int) Math.min(CHUNK, Math.max(t.byteSize(), 1))).order(ByteOrder.LITTLE_ENDIAN);
            long done = 0;
            while (done < t.byteSize()) {
                buf.clear().limit((int) Math.min(buf.capacity(), t.byteSize() - done));
                readFully(ch, buf, dataStart + t.begin() + done, path.toString());
                buf.flip();
                int n = buf.remaining();
                sink.take(buf, (int) (done / unit), n / unit);
                done += n;
            }
        } catch (IOException e) {
            String m = String.valueOf(e.getMessage());
            if (m.startsWith(path + ": ")) m = m.substring(path.toString().length() + 2);
            throw new UserError(path + ": cannot read tensor \"" + t.name() + "\": " + m, e);
        }
    }

    @Override
    public String toString() { return "SafeTensorsFile[" + path + ", " + infos.size() + " tensors, metadata " + metadata.keySet() + "]"; }
}
