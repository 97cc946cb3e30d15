package io.hairpin.control.socket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hairpin.control.socket.Json.JsonException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void readsEveryKindOfValue() {
        Map<String, Object> m = Json.parseObject(
                " {\"a\": 1, \"b\": -2.5e1, \"c\": \"x\\ty\", \"d\": [true, false, null], \"e\": {}, \"f\": []}\n");
        assertEquals(1L, m.get("a"));
        assertEquals(-25.0, m.get("b"));
        assertEquals("x\ty", m.get("c"));
        assertEquals(Arrays.asList(true, false, null), m.get("d"));
        assertEquals(Map.of(), m.get("e"));
        assertEquals(List.of(), m.get("f"));
        assertEquals(List.of("a", "b", "c", "d", "e", "f"), new ArrayList<>(m.keySet()), "key order is kept");
    }

    @Test
    void readsNumbers() {
        assertEquals(0L, Json.parse("0"));
        assertEquals(-0L, Json.parse("-0"));
        assertEquals(Long.MAX_VALUE, Json.parse("9223372036854775807"));
        assertEquals(Long.MIN_VALUE, Json.parse("-9223372036854775808"));
        assertEquals(9.223372036854775808e18, Json.parse("9223372036854775808"), "too big for a long: a double");
        assertEquals(0.5, Json.parse("0.5"));
        assertEquals(1e300, Json.parse("1E+300"));
        assertEquals(1e-3, Json.parse("1e-3"));
    }

    @Test
    void readsStringEscapes() {
        assertEquals("\"\\/\b\f\n\r\t", Json.parse("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\""));
        assertEquals("é€😀", Json.parse("\"\\u00e9\\u20AC\\ud83d\\ude00\""));
        assertEquals("é€😀", Json.parse("\"é€😀\""));
        assertEquals("", Json.parse("\"\""));
    }

    @Test
    void rejectsWhatIsNotJson() {
        for (String bad : List.of("", " ", "{", "}", "[1,]", "{\"a\":1,}", "{a:1}", "{'a':1}", "{\"a\" 1}",
                "[1 2]", "01", "1.", ".5", "-", "1e", "+1", "tru", "nul", "True", "NaN", "Infinity", "\"abc",
                "\"\\x\"", "\"\\u12\"", "\"\\u12g4\"", "\"a\nb\"", "\"\t\"", "1 2", "{} x", "// c\n1",
                "{\"a\":1,\"a\":2}", "[" + "\u0000" + "]", "\"\\")) {
            JsonException e = assertThrows(JsonException.class, () -> Json.parse(bad), () -> "accepted: " + bad);
            assertTrue(e.getMessage().startsWith("invalid JSON at offset "), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
        assertTrue(assertThrows(JsonException.class, () -> Json.parse("{\"a\":1,\"a\":2}")).getMessage()
                .contains("duplicate key \"a\""));
        assertTrue(assertThrows(JsonException.class, () -> Json.parseObject("[1]")).getMessage()
                .contains("expected a JSON object, got an array"));
    }

    @Test
    void deepNestingIsAnErrorNotAStackOverflow() {
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        assertTrue(assertThrows(JsonException.class, () -> Json.parse(deep)).getMessage().contains("nesting"));
        String ok = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
        assertEquals(ok, Json.write(Json.parse(ok)));
    }

    @Test
    void writesCompactSingleLineJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", 1);
        m.put("ok", true);
        m.put("s", "a\"b\\c\nd\u0001\u2028");
        m.put("n", null);
        m.put("l", List.of(1L, 2.5, -3.0f));
        m.put("m", Map.of("k", List.of()));
        String json = Json.write(m);
        assertEquals("{\"id\":1,\"ok\":true,\"s\":\"a\\\"b\\\\c\\nd\\u0001\\u2028\",\"n\":null,\"l\":[1,2.5,-3.0],"
                + "\"m\":{\"k\":[]}}", json);
        assertFalse(json.contains("\n"));
    }

    @Test
    void refusesWhatJsonCannotHold() {
        assertThrows(JsonException.class, () -> Json.write(Double.NaN));
        assertThrows(JsonException.class, () -> Json.write(Double.POSITIVE_INFINITY));
        assertThrows(JsonException.class, () -> Json.write(Map.of(1, 2)));
        assertThrows(JsonException.class, () -> Json.write(new Object()));
    }

    @Test
    void loneSurrogatesAreEscapedAndSurvive() {
        String s = "x\ud800y\udc00z";
        String json = Json.write(s);
        assertEquals("\"x\\ud800y\\udc00z\"", json);
        assertEquals(s, Json.parse(json));
    }

    /** Random values survive write → parse; random byte strings never escape as anything but JsonException. */
    @Test
    void randomRoundTripsAndRandomGarbage() {
        Random rnd = new Random(42);
        for (int i = 0; i < 2000; i++) {
            Object v = randomValue(rnd, 0);
            assertEquals(v, Json.parse(Json.write(v)));
        }
        String alphabet = "{}[]\":,.-+eE0123456789tfnrulsa \\/u\n\t";
        for (int i = 0; i < 20_000; i++) {
            StringBuilder sb = new StringBuilder();
            int len = rnd.nextInt(20);
            for (int k = 0; k < len; k++) {
                sb.append(alphabet.charAt(rnd.nextInt(alphabet.length())));
            }
            try {
                Object v = Json.parse(sb.toString());
                assertEquals(v, Json.parse(Json.write(v)), sb::toString);
            } catch (JsonException expected) {
                // fine: garbage is rejected with a message
            }
        }
    }

    private static Object randomValue(Random rnd, int depth) {
        int kind = rnd.nextInt(depth > 4 ? 5 : 7);
        switch (kind) {
            case 0:
                return null;
            case 1:
                return rnd.nextBoolean();
            case 2:
                return rnd.nextLong();
            case 3:
                return rnd.nextDouble() * 1e6 + 0.25;
            case 4: {
                StringBuilder sb = new StringBuilder();
                int len = rnd.nextInt(8);
                for (int k = 0; k < len; k++) {
                    sb.append((char) (rnd.nextBoolean() ? rnd.nextInt(0x80) : rnd.nextInt(0xd800)));
                }
                return sb.toString();
            }
            case 5: {
                List<Object> l = new ArrayList<>();
                int len = rnd.nextInt(4);
                for (int k = 0; k < len; k++) {
                    l.add(randomValue(rnd, depth + 1));
                }
                return l;
            }
            default: {
                Map<String, Object> m = new LinkedHashMap<>();
                int len = rnd.nextInt(4);
                for (int k = 0; k < len; k++) {
                    m.put("k" + k, randomValue(rnd, depth + 1));
                }
                return m;
            }
        }
    }

    @Test
    void nullIsAValue() {
        assertNull(Json.parse("null"));
        assertEquals("null", Json.write(null));
    }
}
