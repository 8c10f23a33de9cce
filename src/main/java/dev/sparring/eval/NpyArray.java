package dev.sparring.eval;

import dev.sparring.UserError;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One numpy array in the {@code .npy} format (format versions 1.0, 2.0 and 3.0): its dtype, shape and element bytes,
 * as stored in pytorch-fid's {@code .npz} statistics files.
 *
 * <p>Reading ({@link #parse}) takes little- and big-endian floats ({@code <f8 >f8 <f4 >f4}), integers
 * ({@code <i8 >i8 <i4 >i4 <u8 <u4 |i1 |u1}), unicode and byte strings ({@code <U n}, {@code >U n}, {@code |S n}), in C
 * or Fortran order; not object arrays (pickles) or structured dtypes. The getters return the elements in C (row-major)
 * order whatever the stored order, converted to double, float, long or String. Writing ({@link #toBytes}) produces
 * what {@code numpy.save} does: format 1.0 (2.0 when the header needs it), little-endian, C order, the header padded
 * with spaces to a multiple of 64 bytes.
 *
 * @param descr  the numpy dtype string, e.g. {@code <f8}
 * @param fortranOrder whether the elements are stored column-major
 * @param shape  the dimensions ({@code []} for a scalar)
 * @param data   the element bytes, as stored
 */
public record NpyArray(String descr, boolean fortranOrder, long[] shape, byte[] data) {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

    /** The number of elements: the product of the shape (1 for a scalar). */
    public long size() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    /** The bytes of one element. */
    public int itemSize() { return itemSize(descr); }

    // ---------------------------------------------------------------- making arrays

    /** A C-order float64 array of the given shape. */
    public static NpyArray ofDoubles(double[] values, long... shape) {
        ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (double v : values) b.putDouble(v);
        return checked(new NpyArray("<f8", false, shape.clone(), b.array()));
    }

    /** A C-order float32 array of the given shape. */
    public static NpyArray ofFloats(float[] values, long... shape) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putFloat(v);
        return checked(new NpyArray("<f4", false, shape.clone(), b.array()));
    }

    /** A C-order int64 array of the given shape ({@code ofLongs(new long[] {n})} with no shape is a scalar). */
    public static NpyArray ofLongs(long[] values, long... shape) {
        ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) b.putLong(v);
        return checked(new NpyArray("<i8", false, shape.clone(), b.array()));
    }

    /** A scalar unicode string ({@code <U n}, UTF-32LE), which {@code numpy.load} reads without pickles. */
    public static NpyArray ofString(String s) {
        int[] cps = s.codePoints().toArray();
        ByteBuffer b = ByteBuffer.allocate(4 * cps.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int cp : cps) b.putInt(cp);
        return new NpyArray("<U" + Math.max(1, cps.length), false, new long[0],
                cps.length == 0 ? new byte[4] : b.array());
    }

    private static NpyArray checked(NpyArray a) {
        if (a.size() * a.itemSize() != a.data.length) {
            throw new IllegalArgumentException("NpyArray: shape " + Arrays.toString(a.shape) + " does not match " + a.data.length + " bytes");
        }
        return a;
    }

    // ---------------------------------------------------------------- reading elements

    /** The elements as float64, in C order; a {@link UserError} naming {@code where} for a non-numeric dtype. */
    public double[] toDoubles(String where) {
        int n = elements(where);
        double[] out = new double[n];
        ByteBuffer b = buffer();
        char kind = kind();
        int size = itemSize();
        int[] perm = cOrderIndex();
        for (int i = 0; i < n; i++) {
            int at = (perm == null ? i : perm[i]) * size;
            out[i] = switch (kind) {
                case 'f' -> size == 8 ? b.getDouble(at) : b.getFloat(at);
                case 'i' -> size == 8 ? b.getLong(at) : size == 4 ? b.getInt(at) : size == 2 ? b.getShort(at) : b.get(at);
                case 'u' -> size == 8 ? unsigned(b.getLong(at), where) : size == 4 ? Integer.toUnsignedLong(b.getInt(at))
                        : size == 2 ? Short.toUnsignedInt(b.getShort(at)) : Byte.toUnsignedInt(b.get(at));
                default -> throw new UserError(where + ": dtype " + descr + " is not a number");
            };
        }
        return out;
    }

    /** The elements as float32 (float64 and integers are rounded), in C order. */
    public float[] toFloats(String where) {
        if (kind() == 'f' && itemSize() == 4) {
            int n = elements(where);
            float[] out = new float[n];
            ByteBuffer b = buffer();
            int[] perm = cOrderIndex();
            for (int i = 0; i < n; i++) out[i] = b.getFloat((perm == null ? i : perm[i]) * 4);
            return out;
        }
        double[] d = toDoubles(where);
        float[] out = new float[d.length];
        for (int i = 0; i < d.length; i++) out[i] = (float) d[i];
        return out;
    }

    /** The elements as integers, in C order; a {@link UserError} for a float dtype or a value beyond a long. */
    public long[] toLongs(String where) {
        char kind = kind();
        if (kind != 'i' && kind != 'u') throw new UserError(where + ": dtype " + descr + " is not an integer type");
        int n = elements(where);
        long[] out = new long[n];
        ByteBuffer b = buffer();
        int size = itemSize();
        int[] perm = cOrderIndex();
        for (int i = 0; i < n; i++) {
            int at = (perm == null ? i : perm[i]) * size;
            out[i] = switch (size) {
                case 8 -> kind == 'u' ? (long) unsigned(b.getLong(at), where) : b.getLong(at);
                case 4 -> kind == 'u' ? Integer.toUnsignedLong(b.getInt(at)) : b.getInt(at);
                case 2 -> kind == 'u' ? Short.toUnsignedInt(b.getShort(at)) : b.getShort(at);
                default -> kind == 'u' ? Byte.toUnsignedInt(b.get(at)) : b.get(at);
            };
        }
        return out;
    }

    /** A scalar string ({@code U} or {@code S} dtype, trailing NULs dropped, as numpy does). */
    public String string(String where) {
        char kind = kind();
        if ((kind != 'U' && kind != 'S') || size() != 1) {
            throw new UserError(where + ": expected a string scalar, found dtype " + descr + " shape " + shapeText());
        }
        if (kind == 'S') {
            int end = data.length;
            while (end > 0 && data[end - 1] == 0) end--;
            return new String(data, 0, end, StandardCharsets.UTF_8);
        }
        ByteBuffer b = buffer();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i + 4 <= data.length; i += 4) {
            int cp = b.getInt(i);
            if (cp == 0) break;
            if (!Character.isValidCodePoint(cp)) throw new UserError(where + ": the string holds an invalid code point " + cp);
            sb.appendCodePoint(cp);
        }
        return sb.toString();
    }

    /** The shape as numpy prints it: {@code (2048, 2048)}, {@code (16,)}, {@code ()}. */
    public String shapeText() {
        if (shape.length == 1) return "(" + shape[0] + ",)";
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) sb.append(i == 0 ? "" : ", ").append(shape[i]);
        return sb.append(')').toString();
    }

    private static double unsigned(long v, String where) {
        if (v < 0) throw new UserError(where + ": an unsigned 64-bit value beyond 2^63 cannot be read");
        return v;
    }

    private int elements(String where) {
        long n = size();
        if (n > Integer.MAX_VALUE - 8) throw new UserError(where + ": " + n + " elements is too many to read");
        return (int) n;
    }

    private char kind() { return descr.charAt(1); }

    private ByteBuffer buffer() {
        return ByteBuffer.wrap(data).order(descr.charAt(0) == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
    }

    /** For a Fortran-order array of 2 or more dimensions, the stored position of each C-order element; else null. */
    private int[] cOrderIndex() {
        if (!fortranOrder || shape.length < 2) return null;
        int n = (int) size(), d = shape.length;
        int[] perm = new int[n];
        int[] idx = new int[d];
        long[] fStride = new long[d];
        long s = 1;
        for (int k = 0; k < d; k++) {
            fStride[k] = s;
            s *= shape[k];
        }
        for (int i = 0; i < n; i++) {
            long at = 0;
            for (int k = 0; k < d; k++) at += idx[k] * fStride[k];
            perm[i] = (int) at;
            for (int k = d - 1; k >= 0; k--) {                 // next C-order index: the last dimension runs fastest
                if (++idx[k] < shape[k]) break;
                idx[k] = 0;
            }
        }
        return perm;
    }

    // ---------------------------------------------------------------- the .npy format

    /** The bytes of an element of dtype {@code descr}, or -1 when it is not one this class reads. */
    static int itemSize(String descr) {
        if (descr.length() < 3) return -1;
        char order = descr.charAt(0), kind = descr.charAt(1);
        if (order != '<' && order != '>' && order != '|' && order != '=') return -1;
        int n;
        try {
            n = Integer.parseInt(descr.substring(2));
        } catch (NumberFormatException e) {
            return -1;
        }
        return switch (kind) {
            case 'f' -> n == 4 || n == 8 ? n : -1;
            case 'i', 'u' -> n == 1 || n == 2 || n == 4 || n == 8 ? n : -1;
            case 'U' -> n >= 1 && n <= 1 << 20 ? 4 * n : -1;
            case 'S' -> n >= 1 && n <= 1 << 22 ? n : -1;
            default -> -1;
        };
    }

    /** The bytes of a {@code .npy} file holding this array (format 1.0, or 2.0 for a header over 65535 bytes). */
    public byte[] toBytes() {
        if (descr.charAt(0) == '>' || fortranOrder) throw new IllegalArgumentException("NpyArray.toBytes writes little-endian C order only");
        byte[] header = headerBytes(descr, shape);
        ByteArrayOutputStream out = new ByteArrayOutputStream(header.length + data.length);
        out.writeBytes(header);
        out.writeBytes(data);
        return out.toByteArray();
    }

    /**
     * The bytes before the elements of a C-order {@code .npy} of the given dtype and shape, as {@code numpy.save}
     * writes them: magic, version (1.0, or 2.0 for a header over 65535 bytes), length, and the header dict padded with
     * spaces so that the elements start at a multiple of 64 bytes. A writer that streams the elements writes these first.
     */
    public static byte[] headerBytes(String descr, long... shape) {
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': "
                + new NpyArray(descr, false, shape, new byte[0]).shapeText() + ", }";
        int major = dict.length() + 1 + 10 > 65535 ? 2 : 1;
        int prefix = major == 1 ? 10 : 12;
        int total = prefix + dict.length() + 1;
        int pad = (64 - total % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        ByteArrayOutputStream out = new ByteArrayOutputStream(prefix + header.length());
        out.writeBytes(MAGIC);
        out.write(major);
        out.write(0);
        int hl = header.length();
        out.write(hl & 0xff);
        out.write((hl >>> 8) & 0xff);
        if (major == 2) {
            out.write((hl >>> 16) & 0xff);
            out.write((hl >>> 24) & 0xff);
        }
        out.writeBytes(header.getBytes(StandardCharsets.ISO_8859_1));
        return out.toByteArray();
    }

    /**
     * The header of a {@code .npy} array: what {@link #parse} reads before the element bytes, and all that is needed
     * to decide what an array is, or to stream its elements, without reading them.
     *
     * @param descr        the dtype, with '|' and '=' read as '<'
     * @param fortranOrder whether the elements are stored column-major
     * @param shape        the dimensions
     * @param dataOffset   where the element bytes start in the .npy
     */
    public record Header(String descr, boolean fortranOrder, long[] shape, long dataOffset) {
        /** The number of elements. */
        public long size() { return new NpyArray(descr, fortranOrder, shape, new byte[0]).size(); }

        /** The bytes the elements take (Long.MAX_VALUE when beyond a long). */
        public long dataBytes() {
            long bytes = itemSize(descr);
            try {
                for (long d : shape) bytes = Math.multiplyExact(bytes, d);
            } catch (ArithmeticException e) {
                return Long.MAX_VALUE;
            }
            return bytes;
        }

        /** The shape as numpy prints it. */
        public String shapeText() { return new NpyArray(descr, fortranOrder, shape, new byte[0]).shapeText(); }

        /** The dtype as numpy names it: float64, float32, int64, uint8, &lt;U7, ... */
        public String dtypeName() {
            int n = itemSize(descr);
            return switch (descr.charAt(1)) {
                case 'f' -> "float" + 8 * n;
                case 'i' -> "int" + 8 * n;
                case 'u' -> "uint" + 8 * n;
                default -> descr;
            };
        }
    }

    /** Headers longer than this are refused (numpy writes a few hundred bytes; a 32-dimensional shape fits easily). */
    private static final int MAX_HEADER = 1 << 20;

    /**
     * Reads a {@code .npy} header from the start of {@code in}, leaving the stream at the first element byte. Errors
     * are one-line {@link UserError}s that start with {@code where}, as for {@link #parse}.
     */
    public static Header readHeader(java.io.InputStream in, String where) throws java.io.IOException {
        byte[] start = in.readNBytes(10);
        if (start.length < 10 || !Arrays.equals(Arrays.copyOf(start, 6), MAGIC)) {
            throw new UserError(where + ": not a .npy array (the file does not start with \\x93NUMPY)");
        }
        int major = start[6] & 0xff;
        byte[] prefix = start;
        if (major == 2 || major == 3) prefix = concat(start, in.readNBytes(2));
        long len = headerLength(prefix, where);
        if (len > MAX_HEADER) throw new UserError(where + ": the .npy header is " + len + " bytes long, more than " + MAX_HEADER);
        byte[] text = in.readNBytes((int) len);
        if (text.length < len) throw new UserError(where + ": the .npy header (" + len + " bytes) runs past the end of the data");
        return header(concat(prefix, text), where);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** The header length field of the magic, version and length bytes at the start of {@code file}. */
    private static long headerLength(byte[] file, String where) {
        int major = file[6] & 0xff, minor = file[7] & 0xff;
        if (major == 1) return (file[8] & 0xff) | (file[9] & 0xff) << 8;
        if (major == 2 || major == 3) {
            if (file.length < 12) throw new UserError(where + ": the .npy header is cut short");
            return (file[8] & 0xffL) | (file[9] & 0xffL) << 8 | (file[10] & 0xffL) << 16 | (file[11] & 0xffL) << 24;
        }
        throw new UserError(where + ": .npy format version " + major + "." + minor + " is not one of 1.0, 2.0, 3.0");
    }

    /** The header at the start of {@code file}, which holds at least the whole header. */
    private static Header header(byte[] file, String where) {
        if (file.length < 10 || !Arrays.equals(Arrays.copyOf(file, 6), MAGIC)) {
            throw new UserError(where + ": not a .npy array (the file does not start with \\x93NUMPY)");
        }
        int major = file[6] & 0xff;
        long headerLen = headerLength(file, where);
        int start = major == 1 ? 10 : 12;
        if (start + headerLen > file.length) throw new UserError(where + ": the .npy header (" + headerLen + " bytes) runs past the end of the data");
        String text = new String(file, start, (int) headerLen, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Map<String, Object> dict = HeaderParser.parse(text, where);
        if (!(dict.get("descr") instanceof String descr)) {
            throw new UserError(where + ": the .npy header's descr is " + (dict.containsKey("descr") ? "not a plain dtype (structured arrays are not read)" : "missing"));
        }
        if (!(dict.get("fortran_order") instanceof Boolean fortran)) throw new UserError(where + ": the .npy header has no fortran_order True/False");
        if (!(dict.get("shape") instanceof long[] shape)) throw new UserError(where + ": the .npy header has no shape tuple");
        if (descr.equals("|O") || descr.startsWith("|O") || descr.startsWith("<O")) {
            throw new UserError(where + ": holds Python objects (a pickle); only numeric and string arrays are read");
        }
        int item = itemSize(descr);
        if (item < 0) throw new UserError(where + ": dtype " + descr + " is not supported (float32/64, integers, strings)");
        // '=' (native: little-endian wherever Java runs this) and '|' (byte order irrelevant) read as little-endian
        if (descr.charAt(0) == '=' || descr.charAt(0) == '|') descr = "<" + descr.substring(1);
        return new Header(descr, fortran, shape, start + headerLen);
    }

    /**
     * Parses a {@code .npy} file's bytes. Errors are one-line {@link UserError}s that start with {@code where}: not a
     * .npy (magic), an unknown format version, a malformed header, an unsupported dtype, a shape whose bytes the file
     * does not hold.
     */
    public static NpyArray parse(byte[] file, String where) {
        Header h = header(file, where);
        long bytes = h.dataBytes();
        long available = file.length - h.dataOffset();
        if (bytes != available) {
            throw new UserError(where + ": shape " + h.shapeText() + " of " + h.descr()
                    + " needs " + bytes + " bytes but the array holds " + available);
        }
        byte[] data = Arrays.copyOfRange(file, (int) h.dataOffset(), file.length);
        return new NpyArray(h.descr(), h.fortranOrder(), h.shape(), data);
    }

    /** The .npy header: a Python dict literal of str keys and str, bool, or int-tuple values. */
    private static final class HeaderParser {
        private final String s;
        private final String where;
        private int p;

        private HeaderParser(String s, String where) {
            this.s = s;
            this.where = where;
        }

        static Map<String, Object> parse(String header, String where) {
            HeaderParser h = new HeaderParser(header, where);
            Map<String, Object> out = h.dict();
            h.skipSpace();
            if (h.p != h.s.length()) throw h.fail("text after the dict");
            return out;
        }

        private UserError fail(String what) {
            return new UserError(where + ": malformed .npy header (" + what + " at character " + p + ")");
        }

        private void skipSpace() {
            while (p < s.length() && Character.isWhitespace(s.charAt(p))) p++;
        }

        private boolean eat(char c) {
            skipSpace();
            if (p < s.length() && s.charAt(p) == c) {
                p++;
                return true;
            }
            return false;
        }

        private void expect(char c) {
            if (!eat(c)) throw fail("expected '" + c + "'");
        }

        private Map<String, Object> dict() {
            expect('{');
            Map<String, Object> out = new LinkedHashMap<>();
            while (!eat('}')) {
                String key = string();
                expect(':');
                out.put(key, value());
                if (!eat(',')) {
                    expect('}');
                    break;
                }
            }
            return out;
        }

        private Object value() {
            skipSpace();
            if (p >= s.length()) throw fail("missing value");
            char c = s.charAt(p);
            if (c == '\'' || c == '"') return string();
            if (c == '(') return tuple();
            if (c == '[') {                                          // a structured dtype's field list: skip it
                int depth = 0;
                for (; p < s.length(); p++) {
                    char d = s.charAt(p);
                    if (d == '[') depth++;
                    else if (d == ']' && --depth == 0) {
                        p++;
                        return new Object();
                    }
                }
                throw fail("unclosed list");
            }
            if (s.startsWith("True", p)) {
                p += 4;
                return Boolean.TRUE;
            }
            if (s.startsWith("False", p)) {
                p += 5;
                return Boolean.FALSE;
            }
            throw fail("unexpected value");
        }

        private String string() {
            skipSpace();
            if (p >= s.length()) throw fail("expected a string");
            char q = s.charAt(p);
            if (q != '\'' && q != '"') throw fail("expected a string");
            int end = s.indexOf(q, p + 1);
            if (end < 0) throw fail("unclosed string");
            String out = s.substring(p + 1, end);
            p = end + 1;
            return out;
        }

        private long[] tuple() {
            expect('(');
            long[] dims = new long[0];
            while (!eat(')')) {
                skipSpace();
                int from = p;
                while (p < s.length() && Character.isDigit(s.charAt(p))) p++;
                if (from == p) throw fail("expected a dimension");
                dims = Arrays.copyOf(dims, dims.length + 1);
                try {
                    dims[dims.length - 1] = Long.parseLong(s.substring(from, p));
                } catch (NumberFormatException e) {
                    throw fail("dimension too large");
                }
                skipSpace();
                if (p < s.length() && s.charAt(p) == 'L') p++;       // Python 2 longs
                if (!eat(',')) {
                    expect(')');
                    break;
                }
            }
            return dims;
        }
    }
}
