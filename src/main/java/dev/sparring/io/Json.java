package dev.sparring.io;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small, strict JSON (RFC 8259) reader and writer for config.json, metrics.jsonl and safetensors headers.
 *
 * <h2>Reading</h2>
 * Values map to Java as: object → {@code LinkedHashMap<String, Object>} (insertion order kept), array →
 * {@code ArrayList<Object>}, string → {@code String}, number → {@code Long} when it has no fraction and no
 * exponent and fits in a long, else {@code Double}, true/false → {@code Boolean}, null → {@code null}.
 * Strict means: no comments, no trailing commas, no single quotes, no NaN/Infinity, no leading zeros or '+',
 * no raw control characters in strings, no duplicate keys in an object, nothing but whitespace after the value,
 * and numbers must fit in a double (1e400 is an error). Integers outside the long range become Double.
 * Nesting deeper than {@link #MAX_DEPTH} is an error (so a hostile file cannot overflow the stack). A leading
 * UTF-8 byte order mark is skipped when reading bytes or files; invalid UTF-8 is an error. Every error is a
 * {@link JsonException} whose message starts with {@code source:line:column:}.
 *
 * <h2>Writing</h2>
 * {@link #write(Object)} gives compact text with no whitespace at all (the same bytes as Rust's
 * {@code serde_json::to_string}, which the safetensors reference uses for its header); {@link #writePretty}
 * indents by two spaces. Accepted values: Map with String keys (written in the map's iteration order),
 * Collection/Iterable, Object[], float[]/double[]/int[]/long[]/boolean[], records (components in declaration
 * order), String/CharSequence/Character, enums (their name), Path (its toString), Boolean, null, and numbers: integer types and
 * BigDecimal as their exact decimal text; Double as the shortest text that parses back to the same double
 * ({@link Double#toString}, e.g. {@code 0.1}, {@code 3.0}, {@code 1.0E-5}); Float as the shortest text that
 * identifies the float ({@code 0.1f} is written {@code 0.1}; read back as a Double, a cast to float gives the
 * float back). <b>NaN and ±Infinity are written as {@code null}</b>, as JavaScript does: JSON has no spelling
 * for them, and a metrics line with a diverged loss must still be written rather than throw; a reader sees
 * null where a number was expected. Strings escape {@code "}, {@code \}, control characters (as \b \f \n \r
 * \t or <code>&#92;u00XX</code>) and unpaired surrogates (<code>&#92;uDXXX</code>); everything else, non-ASCII included, is
 * written as is (the text is meant to be encoded as UTF-8). Compact output never contains a newline, so one
 * {@code write} per line gives valid JSON Lines.
 */
public final class Json {
    /** Deepest nesting of arrays and objects the reader and the writer accept. */
    public static final int MAX_DEPTH = 512;

    private Json() { }

    // ================================================================ reading

    /** Parses a JSON text; errors are labelled {@code <json>}. */
    public static Object parse(String text) { return parse(text, "<json>"); }

    /** Parses a JSON text; {@code source} (a file name, say) labels the errors. */
    public static Object parse(String text, String source) {
        return new Parser(text, source).parseDocument();
    }

    /** Parses a JSON text whose top-level value must be an object. */
    public static Map<String, Object> parseObject(String text, String source) {
        Object v = parse(text, source);
        if (v instanceof Map<?, ?>) return asStringMap(v);
        throw new JsonException(source, 1, 1, "expected a JSON object {...} at the top level, found " + typeName(v));
    }

    /** Parses UTF-8 bytes (a leading byte order mark is skipped); invalid UTF-8 is a {@link JsonException}. */
    public static Object parse(byte[] utf8, String source) {
        return parse(decodeUtf8(utf8, 0, utf8.length, source), source);
    }

    /** Reads and parses a UTF-8 JSON file; errors name the file. */
    public static Object read(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        return parse(bytes, file.toString());
    }

    /** Reads a UTF-8 JSON file whose top-level value must be an object. */
    public static Map<String, Object> readObject(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        return parseObject(decodeUtf8(bytes, 0, bytes.length, file.toString()), file.toString());
    }

    /** Decodes strict UTF-8, skipping a leading byte order mark; errors name the source and byte offset. */
    static String decodeUtf8(byte[] b, int off, int len, String source) {
        if (len >= 3 && (b[off] & 0xFF) == 0xEF && (b[off + 1] & 0xFF) == 0xBB && (b[off + 2] & 0xFF) == 0xBF) {
            off += 3;
            len -= 3;
        }
        var decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(b, off, len);
        try {
            return decoder.decode(in).toString();
        } catch (CharacterCodingException e) {
            throw new JsonException(source + ": not valid UTF-8 near byte " + (in.position() - off)
                    + " of the JSON text; save the file as UTF-8");
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asStringMap(Object v) { return (Map<String, Object>) v; }

    /** The JSON type name of a parsed value, for error messages: object, array, string, number, boolean, null. */
    public static String typeName(Object v) {
        return switch (v) {
            case null -> "null";
            case Map<?, ?> _ -> "an object";
            case List<?> _ -> "an array";
            case String _ -> "a string";
            case Number _ -> "a number";
            case Boolean _ -> "a boolean";
            default -> v.getClass().getSimpleName();
        };
    }

    /** Recursive-descent parser over a String; positions are char indices, turned into line:column on error. */
    private static final class Parser {
        private final String s;
        private final String source;
        private int pos;

        Parser(String text, String source) {
            this.s = text;
            this.source = source;
        }

        Object parseDocument() {
            skipWhitespace();
            if (pos >= s.length()) throw error(pos, "empty input: expected a JSON value");
            Object v = parseValue(0);
            skipWhitespace();
            if (pos < s.length()) throw error(pos, "unexpected " + describe(pos) + " after the JSON value; only whitespace may follow it");
            return v;
        }

        private Object parseValue(int depth) {
            if (pos >= s.length()) throw error(pos, "unexpected end of input: expected a value");
            char c = s.charAt(pos);
            return switch (c) {
                case '{' -> parseObject(depth + 1);
                case '[' -> parseArray(depth + 1);
                case '"' -> parseString();
                case 't' -> literal("true", Boolean.TRUE);
                case 'f' -> literal("false", Boolean.FALSE);
                case 'n' -> literal("null", null);
                default -> {
                    if (c == '-' || (c >= '0' && c <= '9')) yield parseNumber();
                    if (s.startsWith("NaN", pos) || s.startsWith("Infinity", pos))
                        throw error(pos, "NaN and Infinity are not JSON numbers");
                    if (c == '\'') throw error(pos, "strings must use double quotes \", not '");
                    throw error(pos, "unexpected " + describe(pos) + ": expected a value (object, array, string, number, true, false or null)");
                }
            };
        }

        private Map<String, Object> parseObject(int depth) {
            if (depth > MAX_DEPTH) throw error(pos, "nesting deeper than " + Json.MAX_DEPTH + " levels");
            int open = pos;
            pos++; // '{'
            Map<String, Object> map = new LinkedHashMap<>();
            skipWhitespace();
            if (peek() == '}') {
                pos++;
                return map;
            }
            while (true) {
                skipWhitespace();
                if (peek() != '"') {
                    if (peek() == '}') throw error(pos, "trailing comma before '}' is not allowed");
                    if (pos >= s.length()) throw error(open, "object opened here is not closed");
                    throw error(pos, "expected a string key in double quotes, found " + describe(pos));
                }
                int keyPos = pos;
                String key = parseString();
                skipWhitespace();
                if (peek() != ':') throw error(pos, "expected ':' after the key \"" + key + "\", found " + describe(pos));
                pos++;
                skipWhitespace();
                Object value = parseValue(depth);
                if (map.containsKey(key)) throw error(keyPos, "duplicate key \"" + key + "\" in this object");
                map.put(key, value);
                skipWhitespace();
                char c = peek();
                if (c == ',') {
                    pos++;
                } else if (c == '}') {
                    pos++;
                    return map;
                } else if (pos >= s.length()) {
                    throw error(open, "object opened here is not closed (end of input)");
                } else {
                    throw error(pos, "expected ',' or '}' after an object member, found " + describe(pos));
                }
            }
        }

        private List<Object> parseArray(int depth) {
            if (depth > MAX_DEPTH) throw error(pos, "nesting deeper than " + Json.MAX_DEPTH + " levels");
            int open = pos;
            pos++; // '['
            List<Object> list = new ArrayList<>();
            skipWhitespace();
            if (peek() == ']') {
                pos++;
                return list;
            }
            while (true) {
                skipWhitespace();
                if (peek() == ']') throw error(pos, "trailing comma before ']' is not allowed");
                if (pos >= s.length()) throw error(open, "array opened here is not closed (end of input)");
                list.add(parseValue(depth));
                skipWhitespace();
                char c = peek();
                if (c == ',') {
                    pos++;
                } else if (c == ']') {
                    pos++;
                    return list;
                } else if (pos >= s.length()) {
                    throw error(open, "array opened here is not closed (end of input)");
                } else {
                    throw error(pos, "expected ',' or ']' after an array element, found " + describe(pos));
                }
            }
        }

        private String parseString() {
            int open = pos;
            pos++; // '"'
            StringBuilder sb = null;
            int runStart = pos;
            while (true) {
                if (pos >= s.length()) throw error(open, "string opened here is not closed (end of input)");
                char c = s.charAt(pos);
                if (c == '"') {
                    String tail = s.substring(runStart, pos);
                    pos++;
                    return sb == null ? tail : sb.append(tail).toString();
                }
                if (c < 0x20) {
                    throw error(pos, String.format("raw control character U+%04X in a string; write it as an escape (\\n, \\t, \\u%04x)", (int) c, (int) c));
                }
                if (c != '\\') {
                    pos++;
                    continue;
                }
                if (sb == null) sb = new StringBuilder();
                sb.append(s, runStart, pos);
                int esc = pos;
                pos++;
                if (pos >= s.length()) throw error(open, "string opened here is not closed (end of input)");
                char e = s.charAt(pos++);
                switch (e) {
                    case '"' -> sb.append('"');
                    case '\\' -> sb.append('\\');
                    case '/' -> sb.append('/');
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'n' -> sb.append('\n');
                    case 'r' -> sb.append('\r');
                    case 't' -> sb.append('\t');
                    case 'u' -> {
                        if (pos + 4 > s.length()) throw error(esc, "\\u escape needs four hex digits");
                        int code = 0;
                        for (int i = 0; i < 4; i++) {
                            int d = hexDigit(s.charAt(pos + i));
                            if (d < 0) throw error(esc, "\\u escape needs four hex digits, found \"" + s.substring(esc, pos + 4) + "\"");
                            code = code * 16 + d;
                        }
                        pos += 4;
                        sb.append((char) code);
                    }
                    default -> throw error(esc, "invalid escape \\" + printable(e) + " in a string (valid: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
                }
                runStart = pos;
            }
        }

        private Object parseNumber() {
            int start = pos;
            if (peek() == '-') pos++;
            if (peek() == '0') {
                pos++;
                if (isDigit(peek())) throw error(start, "leading zeros are not allowed in numbers");
            } else if (isDigit(peek())) {
                while (isDigit(peek())) pos++;
            } else {
                throw error(pos, "expected a digit after '-', found " + describe(pos));
            }
            boolean integral = true;
            if (peek() == '.') {
                integral = false;
                pos++;
                if (!isDigit(peek())) throw error(pos, "expected a digit after the decimal point, found " + describe(pos));
                while (isDigit(peek())) pos++;
            }
            if (peek() == 'e' || peek() == 'E') {
                integral = false;
                pos++;
                if (peek() == '+' || peek() == '-') pos++;
                if (!isDigit(peek())) throw error(pos, "expected a digit in the exponent, found " + describe(pos));
                while (isDigit(peek())) pos++;
            }
            String text = s.substring(start, pos);
            if (integral) {
                try {
                    return Long.parseLong(text);
                } catch (NumberFormatException tooBig) {
                    // outside the long range: fall through to Double
                }
            }
            double d = Double.parseDouble(text);
            if (Double.isInfinite(d)) throw error(start, "number " + text + " is outside the double range");
            return d;
        }

        private Object literal(String word, Object value) {
            if (!s.startsWith(word, pos)) throw error(pos, "unexpected " + describe(pos) + ": expected a value (did you mean " + word + "?)");
            pos += word.length();
            return value;
        }

        private void skipWhitespace() {
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c == ' ' || c == '\t' || c == '\n' || c == '\r') pos++;
                else if (c == '/' && pos + 1 < s.length() && (s.charAt(pos + 1) == '/' || s.charAt(pos + 1) == '*'))
                    throw error(pos, "comments are not allowed in JSON");
                else return;
            }
        }

        private char peek() { return pos < s.length() ? s.charAt(pos) : '\0'; }

        private static boolean isDigit(char c) { return c >= '0' && c <= '9'; }

        private static int hexDigit(char c) {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            return -1;
        }

        private String describe(int at) {
            if (at >= s.length()) return "end of input";
            return "'" + printable(s.charAt(at)) + "'";
        }

        private static String printable(char c) {
            if (c < 0x20 || c == 0x7F) return String.format("\\u%04x", (int) c);
            return String.valueOf(c);
        }

        private JsonException error(int at, String message) {
            int line = 1, lineStart = 0;
            int end = Math.min(at, s.length());
            for (int i = 0; i < end; i++) {
                if (s.charAt(i) == '\n') {
                    line++;
                    lineStart = i + 1;
                }
            }
            return new JsonException(source, line, end - lineStart + 1, message);
        }
    }

    // ================================================================ writing

    /** Compact JSON: no whitespace, no newline. */
    public static String write(Object value) {
        StringBuilder sb = new StringBuilder();
        new Writer(sb, false).value(value, 0);
        return sb.toString();
    }

    /** Indented JSON (two spaces per level, "key": value), no trailing newline. */
    public static String writePretty(Object value) {
        StringBuilder sb = new StringBuilder();
        new Writer(sb, true).value(value, 0);
        return sb.toString();
    }

    /** Writes {@code value} as indented JSON plus a final newline to {@code file}, atomically ({@link AtomicFile}). */
    public static void writeFile(Path file, Object value) throws IOException {
        byte[] bytes = (writePretty(value) + "\n").getBytes(StandardCharsets.UTF_8);
        AtomicFile.write(file, bytes);
    }

    /** Appends {@code s} as a JSON string literal, quotes included. */
    public static void quote(String s, StringBuilder out) {
        out.append('"');
        int runStart = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            String esc = null;
            if (c == '"') esc = "\\\"";
            else if (c == '\\') esc = "\\\\";
            else if (c < 0x20) {
                esc = switch (c) {
                    case '\b' -> "\\b";
                    case '\f' -> "\\f";
                    case '\n' -> "\\n";
                    case '\r' -> "\\r";
                    case '\t' -> "\\t";
                    default -> String.format("\\u%04x", (int) c);
                };
            } else if (Character.isSurrogate(c)) {
                boolean paired = Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
                if (paired) {
                    i++; // keep the pair as is
                    continue;
                }
                esc = String.format("\\u%04x", (int) c);
            }
            if (esc != null) {
                out.append(s, runStart, i).append(esc);
                runStart = i + 1;
            }
        }
        out.append(s, runStart, s.length()).append('"');
    }

    /** Tree walker for the writer; {@code path} names the value being written, for error messages. */
    private static final class Writer {
        private final StringBuilder out;
        private final boolean pretty;
        private final List<Object> path = new ArrayList<>();

        Writer(StringBuilder out, boolean pretty) {
            this.out = out;
            this.pretty = pretty;
        }

        void value(Object v, int depth) {
            if (depth > MAX_DEPTH) throw fail("nesting deeper than " + MAX_DEPTH + " levels (does the value contain itself?)");
            switch (v) {
                case null -> out.append("null");
                case String str -> quote(str, out);
                case Boolean b -> out.append(b ? "true" : "false");
                case Double d -> number(d);
                case Float f -> floatNumber(f);
                case Long l -> out.append(l.longValue());
                case Integer i -> out.append(i.intValue());
                case Short sh -> out.append(sh.shortValue());
                case Byte by -> out.append(by.byteValue());
                case BigInteger bi -> out.append(bi);
                case BigDecimal bd -> out.append(bd);
                case Number n -> throw fail("cannot write the number type " + n.getClass().getName() + "; convert it to Long or Double");
                case CharSequence cs -> quote(cs.toString(), out);
                case Character ch -> quote(ch.toString(), out);
                case Enum<?> e -> quote(e.name(), out);
                case Path p -> quote(p.toString(), out); // before Iterable: a Path iterates over its own name elements
                case Map<?, ?> m -> map(m, depth);
                case Collection<?> c -> iterable(c, depth);
                case Iterable<?> it -> iterable(it, depth);
                case Object[] a -> iterable(Arrays.asList(a), depth);
                case double[] a -> {
                    open('[');
                    for (int i = 0; i < a.length; i++) { element(i, depth); number(a[i]); }
                    close(']', a.length, depth);
                }
                case float[] a -> {
                    open('[');
                    for (int i = 0; i < a.length; i++) { element(i, depth); floatNumber(a[i]); }
                    close(']', a.length, depth);
                }
                case int[] a -> {
                    open('[');
                    for (int i = 0; i < a.length; i++) { element(i, depth); out.append(a[i]); }
                    close(']', a.length, depth);
                }
                case long[] a -> {
                    open('[');
                    for (int i = 0; i < a.length; i++) { element(i, depth); out.append(a[i]); }
                    close(']', a.length, depth);
                }
                case boolean[] a -> {
                    open('[');
                    for (int i = 0; i < a.length; i++) { element(i, depth); out.append(a[i]); }
                    close(']', a.length, depth);
                }
                case Record r -> record(r, depth);
                default -> throw fail("cannot write a " + v.getClass().getName()
                        + "; convert it to a Map, List, String, number or boolean first");
            }
        }

        private void number(double d) {
            if (Double.isNaN(d) || Double.isInfinite(d)) out.append("null");
            else out.append(Double.toString(d));
        }

        private void floatNumber(float f) {
            if (Float.isNaN(f) || Float.isInfinite(f)) out.append("null");
            else out.append(Float.toString(f));
        }

        private void map(Map<?, ?> m, int depth) {
            open('{');
            int i = 0;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!(e.getKey() instanceof String key)) {
                    throw fail("map key " + e.getKey() + " is a " + (e.getKey() == null ? "null" : e.getKey().getClass().getName())
                            + "; JSON object keys must be Strings");
                }
                element(i++, depth);
                quote(key, out);
                out.append(pretty ? ": " : ":");
                path.add(key);
                value(e.getValue(), depth + 1);
                path.removeLast();
            }
            close('}', i, depth);
        }

        private void record(Record r, int depth) {
            RecordComponent[] components = r.getClass().getRecordComponents();
            open('{');
            for (int i = 0; i < components.length; i++) {
                RecordComponent c = components[i];
                Object v;
                try {
                    var accessor = c.getAccessor();
                    accessor.setAccessible(true);
                    v = accessor.invoke(r);
                } catch (IllegalAccessException | InvocationTargetException | RuntimeException e) {
                    throw fail("cannot read record component " + r.getClass().getSimpleName() + "." + c.getName() + ": " + e);
                }
                element(i, depth);
                quote(c.getName(), out);
                out.append(pretty ? ": " : ":");
                path.add(c.getName());
                value(v, depth + 1);
                path.removeLast();
            }
            close('}', components.length, depth);
        }

        private void iterable(Iterable<?> it, int depth) {
            open('[');
            int i = 0;
            for (Object v : it) {
                element(i, depth);
                path.add(i);
                value(v, depth + 1);
                path.removeLast();
                i++;
            }
            close(']', i, depth);
        }

        private void open(char c) { out.append(c); }

        /** Before the i-th member of a container at {@code depth}: a comma, and in pretty mode a newline and indent. */
        private void element(int i, int depth) {
            if (i > 0) out.append(',');
            if (pretty) newline(depth + 1);
        }

        private void close(char c, int count, int depth) {
            if (pretty && count > 0) newline(depth);
            out.append(c);
        }

        private void newline(int depth) {
            out.append('\n');
            for (int i = 0; i < depth; i++) out.append("  ");
        }

        private JsonException fail(String message) {
            StringBuilder where = new StringBuilder("$");
            for (Object p : path) {
                if (p instanceof Integer i) where.append('[').append(i).append(']');
                else where.append('.').append(p);
            }
            return new JsonException("Json.write: at " + where + ": " + message);
        }
    }
}
