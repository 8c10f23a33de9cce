package dev.sparring.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.jr.ob.JSON;
import com.fasterxml.jackson.jr.ob.api.ReaderWriterProvider;
import com.fasterxml.jackson.jr.ob.api.ValueWriter;
import com.fasterxml.jackson.jr.ob.impl.JSONWriter;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * JSON for config.json, metrics.jsonl, coverage.jsonl, bench lines and safetensors headers: jackson-jr's maps, lists and
 * records over jackson-core's parser and generator, set up once here.
 *
 * <p>Reading is strict RFC 8259 (no comments, trailing commas, single quotes, NaN/Infinity, leading zeros; no
 * duplicate keys in an object; nothing but whitespace after the value) within limits for untrusted input: nesting at
 * most {@link #MAX_DEPTH} levels, numbers at most {@link #MAX_NUMBER_LENGTH} characters. Values come back as
 * LinkedHashMap (file order), ArrayList, String, Integer/Long/BigInteger, Double (infinite past the double range: the
 * caller's range checks refuse it), Boolean and null. Bytes are strict
 * UTF-8 (a leading byte order mark is skipped). Every error is a one-line {@link JsonException} starting
 * {@code source:line:column:}.
 *
 * <p>Writing takes maps (in iteration order), collections, arrays, records (components in declaration order), enums
 * (their {@code toString}), strings, paths, booleans, numbers and null. Doubles are written as {@link Double#toString} (the
 * shortest text that reads back as the same double), floats as {@link Float#toString}; a NaN or infinite Double or
 * Float as {@code null}, so that a metrics line of a diverged step is still JSON. Compact output has no whitespace (the
 * bytes of the safetensors reference's serde_json header) and no newline, one value per line being JSON Lines;
 * {@link #writePretty} indents by two spaces, {@code "key": value}.
 */
public final class Json {
    /** Deepest nesting of arrays and objects the reader accepts. */
    public static final int MAX_DEPTH = 512;
    /** Longest number, in characters, the reader accepts (a double needs at most 25). */
    public static final int MAX_NUMBER_LENGTH = 100;

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).maxNumberLength(MAX_NUMBER_LENGTH).build())
            .build();

    /** Non-finite doubles and floats as null (JSON has no spelling for them). */
    private static final ReaderWriterProvider FINITE_OR_NULL = new ReaderWriterProvider() {
        @Override
        public ValueWriter findValueWriter(JSONWriter w, Class<?> type) {
            if (type != Double.class && type != Float.class) return null;
            return new ValueWriter() {
                @Override
                public void writeValue(JSONWriter context, JsonGenerator g, Object value) throws IOException {
                    double d = ((Number) value).doubleValue();
                    if (!Double.isFinite(d)) g.writeNull();
                    else if (value instanceof Float f) g.writeNumber(f);
                    else g.writeNumber(d);
                }

                @Override
                public Class<?> valueType() { return type; }
            };
        }
    };

    private static final JSON COMPACT = JSON.builder(FACTORY)
            .enable(JSON.Feature.WRITE_NULL_PROPERTIES, JSON.Feature.WRITE_RECORD_FIELDS_IN_DECLARATION_ORDER)
            .disable(JSON.Feature.USE_DEFERRED_MAPS)
            .build().with(FINITE_OR_NULL);

    private static final JSON PRETTY = COMPACT.with(new DefaultPrettyPrinter(Separators.createDefaultInstance()
                    .withObjectFieldValueSpacing(Separators.Spacing.AFTER).withObjectEmptySeparator("").withArrayEmptySeparator(""))
                    .withObjectIndenter(new DefaultIndenter("  ", "\n")).withArrayIndenter(new DefaultIndenter("  ", "\n")))
            .with(JSON.Feature.PRETTY_PRINT_OUTPUT);

    private Json() { }

    // ================================================================ reading

    /** Parses a JSON text; errors are labelled {@code <json>}. */
    public static Object parse(String text) { return parse(text, "<json>"); }

    /** Parses a JSON text; {@code source} (a file name, say) labels the errors. */
    public static Object parse(String text, String source) {
        try (JsonParser p = FACTORY.createParser(text)) {
            try {
                Object value = COMPACT.anyFrom(p);
                JsonToken after = p.nextToken();
                if (after != null) {
                    throw error(source, p.currentTokenLocation(), "unexpected " + after.asString() + " after the JSON value; only whitespace may follow it");
                }
                return value;
            } catch (JsonProcessingException e) {
                throw error(source, e.getLocation() != null ? e.getLocation() : p.currentLocation(), e.getOriginalMessage());
            }
        } catch (IOException e) {   // a String is not read from anywhere: only a parse error can get here
            throw new JsonException(source, 1, 1, String.valueOf(e.getMessage()));
        }
    }

    /** Parses UTF-8 bytes (a leading byte order mark is skipped); invalid UTF-8 is a {@link JsonException}. */
    public static Object parse(byte[] utf8, String source) { return parse(decodeUtf8(utf8, source), source); }

    /** Parses a JSON text whose top-level value must be an object. */
    public static Map<String, Object> parseObject(String text, String source) {
        Object v = parse(text, source);
        if (v instanceof Map<?, ?>) return asStringMap(v);
        throw new JsonException(source, 1, 1, "expected a JSON object {...} at the top level, found " + typeName(v));
    }

    /** Reads a UTF-8 JSON file whose top-level value must be an object; errors name the file. */
    public static Map<String, Object> readObject(Path file) throws IOException {
        return parseObject(decodeUtf8(Files.readAllBytes(file), file.toString()), file.toString());
    }

    /** The JSON type name of a parsed value, for error messages: an object, an array, a string, a number, ... */
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

    /** Strict UTF-8, a leading byte order mark skipped; an error names the source and the byte. */
    private static String decodeUtf8(byte[] b, String source) {
        int off = b.length >= 3 && (b[0] & 0xFF) == 0xEF && (b[1] & 0xFF) == 0xBB && (b[2] & 0xFF) == 0xBF ? 3 : 0;
        ByteBuffer in = ByteBuffer.wrap(b, off, b.length - off);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(in).toString();
        } catch (CharacterCodingException e) {
            throw new JsonException(source + ": not valid UTF-8 near byte " + (in.position() - off) + " of the JSON text; save the file as UTF-8");
        }
    }

    /**
     * A parse error at {@code at}, on one line: Jackson's message without the "[Source: ...]" it may quote (the
     * source is named first).
     */
    private static JsonException error(String source, JsonLocation at, String message) {
        String m = String.valueOf(message).replaceAll("\\[Source: [^\\]]*; line: (\\d+), column: (\\d+)]", "line $1, column $2")
                .replaceAll("\\s*\\R\\s*", " ");
        if (m.startsWith("Duplicate field '")) m = "duplicate key \"" + m.substring(17, m.length() - 1) + "\" in this object";
        return new JsonException(source, at == null ? 0 : at.getLineNr(), at == null ? 0 : at.getColumnNr(), m);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asStringMap(Object v) { return (Map<String, Object>) v; }

    // ================================================================ writing

    /** Compact JSON: no whitespace, no newline. */
    public static String write(Object value) { return write(COMPACT, value); }

    /** Indented JSON (two spaces per level, "key": value), no trailing newline. */
    public static String writePretty(Object value) { return write(PRETTY, value); }

    /** Writes {@code value} as indented JSON plus a final newline to {@code file}, atomically ({@link AtomicFile}). */
    public static void writeFile(Path file, Object value) throws IOException {
        AtomicFile.write(file, (writePretty(value) + "\n").getBytes(StandardCharsets.UTF_8));
    }

    private static String write(JSON json, Object value) {
        try {
            return json.asString(value);
        } catch (IOException e) {   // a value of a type JSON cannot hold: a bug in the caller
            throw new JsonException("Json.write: " + e.getMessage());
        }
    }
}
