package dev.sparring.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonTest {

    // ---------------------------------------------------------------- parsing

    @Test
    void parsesEveryValueType() {
        Object v = Json.parse("{\"s\":\"x\",\"i\":42,\"neg\":-7,\"d\":1.5,\"e\":2e3,\"t\":true,\"f\":false,\"n\":null,\"a\":[1,[],{}]}");
        Map<?, ?> m = assertInstanceOf(Map.class, v);
        assertEquals("x", m.get("s"));
        assertEquals(42, m.get("i"));
        assertEquals(-7, m.get("neg"));
        assertEquals(1.5, m.get("d"));
        assertEquals(2000.0, m.get("e"));
        assertEquals(Boolean.TRUE, m.get("t"));
        assertEquals(Boolean.FALSE, m.get("f"));
        assertTrue(m.containsKey("n"));
        assertNull(m.get("n"));
        assertEquals(List.of(1, List.of(), Map.of()), m.get("a"));
    }

    @Test
    void keepsInsertionOrder() {
        Map<String, Object> m = Json.parseObject("{\"z\":1,\"a\":2,\"m\":3,\"b\":4}", "t");
        assertEquals(List.of("z", "a", "m", "b"), new ArrayList<>(m.keySet()));
    }

    @Test
    void numbers() {
        assertEquals(0, Json.parse("-0"));
        assertEquals(12345678901L, Json.parse("12345678901"));
        assertEquals(-0.0, Json.parse("-0.0"));
        assertEquals(Long.MAX_VALUE, Json.parse("9223372036854775807"));
        assertEquals(Long.MIN_VALUE, Json.parse("-9223372036854775808"));
        assertEquals(new java.math.BigInteger("9223372036854775808"), Json.parse("9223372036854775808")); // past long
        assertEquals(1.0e-300, Json.parse("1E-300"));
        assertEquals(0.1, Json.parse("0.1"));
        assertEquals(12.5, Json.parse("1.25e+1"));
        for (String bad : new String[] {"01", "-01", "1.", ".5", "+1", "-", "1e", "1e+", "0x10", "1.5.2", "NaN", "Infinity", "-Infinity"}) {
            assertThrows(JsonException.class, () -> Json.parse(bad), bad);
        }
    }

    @Test
    void strings() {
        assertEquals("a\"b\\c/d\b\f\n\r\t", Json.parse("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\""));
        assertEquals("é€", Json.parse("\"\\u00e9\\u20AC\""));
        assertEquals("😀", Json.parse("\"\\ud83d\\ude00\""));
        assertEquals("😀 raw", Json.parse("\"😀 raw\""));
        assertEquals("", Json.parse("\"\""));
        assertThrows(JsonException.class, () -> Json.parse("\"tab\there\""));
        assertThrows(JsonException.class, () -> Json.parse("\"\\x41\""));
        assertThrows(JsonException.class, () -> Json.parse("\"\\u12\""));
        assertThrows(JsonException.class, () -> Json.parse("\"\\u12g4\""));
        assertThrows(JsonException.class, () -> Json.parse("\"\\u١٢٣٤\"")); // non-ASCII digits are not hex
        assertThrows(JsonException.class, () -> Json.parse("'single'"));
        assertThrows(JsonException.class, () -> Json.parse("\"unclosed"));
    }

    @Test
    void errorsGiveLineAndColumnOnOneLine() {
        String text = "{\n  \"a\": 1,\n  \"b\": tru\n}";
        JsonException e = assertThrows(JsonException.class, () -> Json.parse(text, "config.json"));
        assertEquals(3, e.line());
        assertEquals("config.json", e.source());
        assertTrue(e.getMessage().startsWith("config.json:3:"), e.getMessage());

        e = assertThrows(JsonException.class, () -> Json.parse("[1, 2,\n 3 4]", "x.json"));
        assertEquals(2, e.line());
        assertEquals(4, e.column());
        assertTrue(e.getMessage().contains("was expecting comma"), e.getMessage());

        e = assertThrows(JsonException.class, () -> Json.parse("{\"a\": [1,\n 2", "y.json"));
        assertTrue(e.getMessage().startsWith("y.json:2:") && e.getMessage().contains("line 1, column 7")
                && !e.getMessage().contains("Source"), "where the array opened, without the parser's source: " + e.getMessage());
    }

    @Test
    void rejectsWhatStrictJsonRejects() {
        String[] cases = {"{\"a\":1,}", "[1,2,]", "{\"a\":1,\"a\":2}", "{\"a\":1} x", "{} {}", "// c\n{}", "{/* c */}", "", "   ",
                "[1, 2", "{\"a\" 1}", "{a:1}", "[True]", "nul", "[1e]"};
        for (String c : cases) {
            JsonException e = assertThrows(JsonException.class, () -> Json.parse(c, "t"), c);
            assertTrue(e.getMessage().startsWith("t:") && !e.getMessage().contains("\n"), "for " + c + ": " + e.getMessage());
        }
        JsonException dup = assertThrows(JsonException.class, () -> Json.parse("{\"a\":1,\n\"a\":2}", "t"));
        assertTrue(dup.getMessage().startsWith("t:2:") && dup.getMessage().endsWith("duplicate key \"a\" in this object"), dup.getMessage());
        JsonException after = assertThrows(JsonException.class, () -> Json.parse("{} []", "t"));
        assertEquals("t:1:4: unexpected [ after the JSON value; only whitespace may follow it", after.getMessage());
    }

    @Test
    void deepNestingIsAnErrorNotAStackOverflow() {
        String ok = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
        Json.parse(ok);
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        JsonException e = assertThrows(JsonException.class, () -> Json.parse(deep, "deep.json"));
        assertTrue(e.getMessage().startsWith("deep.json:1:") && e.getMessage().contains("nesting depth (" + (Json.MAX_DEPTH + 1) + ") exceeds"),
                e.getMessage());
    }

    @Test
    void overlongNumbersAreAnError() {
        String ok = "1" + "0".repeat(Json.MAX_NUMBER_LENGTH - 1);
        assertInstanceOf(java.math.BigInteger.class, Json.parse(ok));
        JsonException e = assertThrows(JsonException.class, () -> Json.parse("[" + ok + "0]", "long.json"));
        assertTrue(e.getMessage().startsWith("long.json:1:") && e.getMessage().contains("Number value length"), e.getMessage());
        e = assertThrows(JsonException.class, () -> Json.parse("0." + "1".repeat(1000), "long.json"));
        assertTrue(e.getMessage().contains("Number value length"), e.getMessage());
    }

    @Test
    void bytesSkipTheByteOrderMarkAndRejectBadUtf8() {
        byte[] withBom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, '[', '1', ']'};
        assertEquals(List.of(1), Json.parse(withBom, "bom.json"));
        byte[] bad = {'"', (byte) 0xC3, (byte) 0x28, '"'};
        JsonException e = assertThrows(JsonException.class, () -> Json.parse(bad, "bad.json"));
        assertTrue(e.getMessage().startsWith("bad.json: not valid UTF-8"), e.getMessage());
    }

    @Test
    void parseObjectRequiresAnObject() {
        JsonException e = assertThrows(JsonException.class, () -> Json.parseObject("[1]", "c.json"));
        assertTrue(e.getMessage().contains("expected a JSON object"), e.getMessage());
    }

    // ---------------------------------------------------------------- writing

    @Test
    void compactOutputIsExact() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", "dcgan");
        m.put("lr", 2.0e-4);
        m.put("beta", List.of(0.5, 0.999));
        m.put("steps", 1000L);
        m.put("ok", true);
        m.put("none", null);
        m.put("shape", new int[] {1, 28, 28});
        m.put("empty", Map.of());
        assertEquals("{\"name\":\"dcgan\",\"lr\":2.0E-4,\"beta\":[0.5,0.999],\"steps\":1000,\"ok\":true,\"none\":null,"
                + "\"shape\":[1,28,28],\"empty\":{}}", Json.write(m));
    }

    @Test
    void prettyOutputIsExact() {
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("k", 3);
        inner.put("l", List.of());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("a", List.of(1, "two"));
        m.put("b", inner);
        m.put("c", Map.of());
        String expected = """
                {
                  "a": [
                    1,
                    "two"
                  ],
                  "b": {
                    "k": 3,
                    "l": []
                  },
                  "c": {}
                }""";
        assertEquals(expected, Json.writePretty(m));
        assertEquals(Map.of("a", List.of(1, "two"), "b", Map.of("k", 3, "l", List.of()), "c", Map.of()), Json.parse(Json.writePretty(m)));
    }

    @Test
    void escapesStrings() {
        assertEquals("\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001\\u001F\u007fé😀\"", Json.write("q\"b\\s/\b\f\n\r\t\u0001\u001f\u007fé😀"));
        String tricky = "line1\nline2\t\"quoted\" \\ back \u0000 nul \u2028 é 😀";
        assertEquals(tricky, Json.parse(Json.write(tricky)));
        assertTrue(!Json.write(tricky).contains("\n"), "compact output must be one line");
    }

    @Test
    void nanAndInfinityAreWrittenAsNull() {
        assertEquals("[null,null,null,1.0]", Json.write(List.of(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1.0)));
        assertEquals("[null,-2.5]", Json.write(List.of(Float.NaN, -2.5f)));
        assertEquals("{\"loss\":null}", Json.write(Map.of("loss", Double.NaN)));
        assertEquals("null", Json.write(Float.POSITIVE_INFINITY));
    }

    @Test
    void doublesRoundTripBitForBit() {
        SplittableRandom r = new SplittableRandom(7);
        double[] special = {0.0, -0.0, Double.MIN_VALUE, Double.MAX_VALUE, -Double.MIN_NORMAL, 1e-310, 0.1, 1.0 / 3.0, 1e22, 123456789012345678.0};
        List<Double> values = new ArrayList<>();
        for (double d : special) values.add(d);
        for (int i = 0; i < 20_000; i++) {
            double d = Double.longBitsToDouble(r.nextLong());
            if (!Double.isNaN(d) && !Double.isInfinite(d)) values.add(d);
            values.add(r.nextGaussian() * Math.pow(10, r.nextInt(-30, 30)));
        }
        List<?> back = (List<?>) Json.parse(Json.write(values));
        for (int i = 0; i < values.size(); i++) {
            double want = values.get(i);
            double got = (Double) back.get(i);
            assertEquals(Double.doubleToRawLongBits(want), Double.doubleToRawLongBits(got), "value " + want + " came back as " + got);
        }
    }

    @Test
    void floatsAreShortAndRoundTripThroughACast() {
        assertEquals("[0.1,1.0E-7,3.4028235E38,-0.0]", Json.write(List.of(0.1f, 1e-7f, Float.MAX_VALUE, -0.0f)));
        SplittableRandom r = new SplittableRandom(11);
        for (int i = 0; i < 20_000; i++) {
            float f = Float.intBitsToFloat(r.nextInt());
            if (Float.isNaN(f) || Float.isInfinite(f)) continue;
            Object back = Json.parse(Json.write(f));
            assertEquals(Float.floatToRawIntBits(f), Float.floatToRawIntBits(((Double) back).floatValue()), "float " + f);
        }
    }

    record Adam(double lr, double beta1, int[] betas, String name, Kind kind) { }

    enum Kind { ADAM, SGD }

    @Test
    void writesRecordsAndEnums() {
        assertEquals("{\"lr\":2.0E-4,\"beta1\":0.5,\"betas\":[1,2],\"name\":\"g\",\"kind\":\"ADAM\"}",
                Json.write(new Adam(2e-4, 0.5, new int[] {1, 2}, "g", Kind.ADAM)));
    }

    @Test
    void writesPathsAsStrings() {
        Path p = Path.of("runs", "mnist");
        assertEquals(Map.of("out", p.toString()), Json.parse(Json.write(Map.of("out", p))));
    }

    @Test
    void roundTripsANestedDocument() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", Map.of("nz", 100, "ngf", 64, "big", 1L << 40));
        m.put("losses", List.of(0.693, -1.25e-3, 17));
        m.put("text", "Ünïcødé \"quoted\"\n");
        m.put("nested", List.of(List.of(List.of(true, false, "x"))));
        assertEquals(m, Json.parse(Json.write(m)));
        assertEquals(m, Json.parse(Json.writePretty(m)));
    }

    @Test
    void writeFileAndReadObject(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("config.json");
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("seed", 1234);
        m.put("name", "é");
        Json.writeFile(f, m);
        String text = Files.readString(f, StandardCharsets.UTF_8);
        assertEquals("{\n  \"seed\": 1234,\n  \"name\": \"é\"\n}\n", text);
        assertEquals(m, Json.readObject(f));
        Files.writeString(f, "{\"seed\": 12,\n\"name\": }");
        JsonException e = assertThrows(JsonException.class, () -> Json.readObject(f));
        assertTrue(e.getMessage().startsWith(f + ":2:9: "), e.getMessage());
        assertEquals(List.of("config.json"), Arrays.stream(dir.toFile().list()).toList(), "no temporary files left behind");
    }
}
