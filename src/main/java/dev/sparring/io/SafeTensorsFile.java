package dev.sparring.io;

import dev.sparring.UserError;
import dev.sparring.io.SafeTensors.Dtype;
import dev.sparring.io.SafeTensors.TensorInfo;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A validated safetensors file, read into memory: its metadata, its tensors' headers, and their bytes.
 * Made by {@link SafeTensors#read}; the class comment there lists what is checked. The typed getters
 * ({@link #getF32} and friends) convert from little-endian and return fresh arrays; they throw
 * {@link IllegalArgumentException} naming the file and the tensor when the name is missing or the dtype or
 * shape is not the one asked for.
 */
public final class SafeTensorsFile {
    private final Path path;
    private final Map<String, String> metadata;          // file order
    private final Map<String, TensorInfo> infos;         // data (offset) order
    private final Map<String, byte[]> data;              // little-endian bytes of each tensor

    private SafeTensorsFile(Path path, Map<String, String> metadata, Map<String, TensorInfo> infos, Map<String, byte[]> data) {
        this.path = path;
        this.metadata = Collections.unmodifiableMap(metadata);
        this.infos = Collections.unmodifiableMap(infos);
        this.data = data;
    }

    // ---------------------------------------------------------------- reading and validation

    static SafeTensorsFile open(Path file) throws IOException {
        String where = file.toString();
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

            Map<String, TensorInfo> infos = new LinkedHashMap<>();
            Map<String, byte[]> data = new LinkedHashMap<>();
            for (TensorInfo t : list) {
                if (t.byteSize() > Integer.MAX_VALUE - 8) {
                    throw fail(where, "tensor \"" + t.name() + "\" is " + t.byteSize() + " bytes; this reader holds at most 2 GiB per tensor");
                }
                ByteBuffer b = ByteBuffer.allocate((int) t.byteSize());
                readFully(ch, b, 8 + n + t.begin(), where);
                infos.put(t.name(), t);
                data.put(t.name(), b.array());
            }
            return new SafeTensorsFile(file, metadata, infos, data);
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
            if (!(list.get(i) instanceof Long x) || x < 0) {
                throw fail(where, what + " must hold non-negative integers, found " + Json.write(list.get(i)) + " at index " + i);
            }
            out[i] = x;
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
        info(name);
        return data.get(name).clone();
    }

    public float[] getF32(String name) {
        float[] out = new float[elements(name, Dtype.F32)];
        buffer(name).asFloatBuffer().get(out);
        return out;
    }

    /** Like {@link #getF32(String)}, and checks the shape (for checkpoint loading: the error says what differs). */
    public float[] getF32(String name, int... expectedShape) {
        checkShape(name, expectedShape);
        return getF32(name);
    }

    public double[] getF64(String name) {
        double[] out = new double[elements(name, Dtype.F64)];
        buffer(name).asDoubleBuffer().get(out);
        return out;
    }

    public long[] getI64(String name) {
        long[] out = new long[elements(name, Dtype.I64)];
        buffer(name).asLongBuffer().get(out);
        return out;
    }

    public int[] getI32(String name) {
        int[] out = new int[elements(name, Dtype.I32)];
        buffer(name).asIntBuffer().get(out);
        return out;
    }

    public byte[] getU8(String name) {
        elements(name, Dtype.U8);
        return data.get(name).clone();
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
        return (int) t.elements();
    }

    private ByteBuffer buffer(String name) {
        return ByteBuffer.wrap(data.get(name)).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Override
    public String toString() { return "SafeTensorsFile[" + path + ", " + infos.size() + " tensors, metadata " + metadata.keySet() + "]"; }
}
