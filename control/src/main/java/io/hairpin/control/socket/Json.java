package io.hairpin.control.socket;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON the control protocol needs, and no more (RFC 8259): objects, arrays, strings with
 * escapes, numbers, booleans and null.
 *
 * <p>Reading gives {@code Map<String, Object>} (insertion-ordered, unmodifiable), {@code List<Object>}
 * (unmodifiable), {@link String}, {@link Long} for integers that fit, {@link Double} for other numbers,
 * {@link Boolean} and {@code null}. It is strict: one value per text, no trailing commas, no comments,
 * no duplicate keys, no raw control characters in strings, and a nesting limit so that hostile input
 * cannot exhaust the stack. Every failure is a {@link JsonException} naming the offset.
 *
 * <p>Writing takes the same types (any {@link Number}, {@link CharSequence}, {@link Map} with string
 * keys, {@link Collection}) and produces compact single-line JSON: no raw newline can appear in the
 * output, which is what a line-delimited protocol needs.
 */
public final class Json {

    /** Deeper nesting than this is rejected; the protocol itself needs four levels. */
    public static final int MAX_DEPTH = 64;

    private Json() {
    }

    /** A text that is not JSON, or a value that cannot be written as JSON. */
    public static final class JsonException extends RuntimeException {
        public JsonException(String message) {
            super(message);
        }
    }

    // ------------------------------------------------------------------ reading

    public static Object parse(String text) {
        Reader r = new Reader(text);
        r.skipWhitespace();
        Object value = r.value(0);
        r.skipWhitespace();
        if (r.pos != text.length()) {
            throw r.error("unexpected " + r.describeHere() + " after the value");
        }
        return value;
    }

    /** Parses a text that must be a JSON object. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> parseObject(String text) {
        Object v = parse(text);
        if (!(v instanceof Map)) {
            throw new JsonException("expected a JSON object, got " + typeName(v));
        }
        return (Map<String, Object>) v;
    }

    /** "an object", "a string", ... for error messages. */
    public static String typeName(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof Map) {
            return "an object";
        }
        if (v instanceof List) {
            return "an array";
        }
        if (v instanceof String) {
            return "a string";
        }
        if (v instanceof Number) {
            return "a number";
        }
        if (v instanceof Boolean) {
            return "a boolean";
        }
        return v.getClass().getSimpleName();
    }

    private static final class Reader {
        private final String s;
        private int pos;

        Reader(String s) {
            this.s = s;
        }

        JsonException error(String what) {
            return new JsonException("invalid JSON at offset " + pos + ": " + what);
        }

        String describeHere() {
            if (pos >= s.length()) {
                return "end of input";
            }
            char c = s.charAt(pos);
            return c < 0x20 || c > 0x7e ? String.format("character U+%04X", (int) c) : "'" + c + "'";
        }

        void skipWhitespace() {
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                    pos++;
                } else {
                    break;
                }
            }
        }

        Object value(int depth) {
            if (pos >= s.length()) {
                throw error("unexpected end of input, expected a value");
            }
            char c = s.charAt(pos);
            switch (c) {
                case '{':
                    return object(depth + 1);
                case '[':
                    return array(depth + 1);
                case '"':
                    return string();
                case 't':
                    literal("true");
                    return Boolean.TRUE;
                case 'f':
                    literal("false");
                    return Boolean.FALSE;
                case 'n':
                    literal("null");
                    return null;
                default:
                    if (c == '-' || (c >= '0' && c <= '9')) {
                        return number();
                    }
                    throw error("unexpected " + describeHere() + ", expected a value");
            }
        }

        private void literal(String word) {
            if (!s.startsWith(word, pos)) {
                throw error("unexpected " + describeHere() + ", expected a value");
            }
            pos += word.length();
        }

        private void checkDepth(int depth) {
            if (depth > MAX_DEPTH) {
                throw error("nesting deeper than " + MAX_DEPTH + " levels");
            }
        }

        private Map<String, Object> object(int depth) {
            checkDepth(depth);
            pos++; // {
            Map<String, Object> map = new LinkedHashMap<>();
            skipWhitespace();
            if (pos < s.length() && s.charAt(pos) == '}') {
                pos++;
                return Collections.unmodifiableMap(map);
            }
            while (true) {
                skipWhitespace();
                if (pos >= s.length() || s.charAt(pos) != '"') {
                    throw error("unexpected " + describeHere() + ", expected a string key");
                }
                int keyAt = pos;
                String key = string();
                skipWhitespace();
                expect(':');
                skipWhitespace();
                Object v = value(depth);
                if (map.containsKey(key)) {
                    pos = keyAt;
                    throw error("duplicate key \"" + key + "\"");
                }
                map.put(key, v);
                skipWhitespace();
                if (pos < s.length() && s.charAt(pos) == ',') {
                    pos++;
                    continue;
                }
                expect('}');
                return Collections.unmodifiableMap(map);
            }
        }

        private List<Object> array(int depth) {
            checkDepth(depth);
            pos++; // [
            List<Object> list = new ArrayList<>();
            skipWhitespace();
            if (pos < s.length() && s.charAt(pos) == ']') {
                pos++;
                return Collections.unmodifiableList(list);
            }
            while (true) {
                skipWhitespace();
                list.add(value(depth));
                skipWhitespace();
                if (pos < s.length() && s.charAt(pos) == ',') {
                    pos++;
                    continue;
                }
                expect(']');
                return Collections.unmodifiableList(list);
            }
        }

        private void expect(char c) {
            if (pos >= s.length() || s.charAt(pos) != c) {
                throw error("unexpected " + describeHere() + ", expected '" + c + "'");
            }
            pos++;
        }

        private String string() {
            pos++; // opening quote
            StringBuilder sb = null;
            int runStart = pos;
            while (true) {
                if (pos >= s.length()) {
                    throw error("unterminated string");
                }
                char c = s.charAt(pos);
                if (c == '"') {
                    String tail = s.substring(runStart, pos);
                    pos++;
                    return sb == null ? tail : sb.append(tail).toString();
                }
                if (c < 0x20) {
                    throw error("unescaped control character U+" + String.format("%04X", (int) c) + " in a string");
                }
                if (c != '\\') {
                    pos++;
                    continue;
                }
                if (sb == null) {
                    sb = new StringBuilder();
                }
                sb.append(s, runStart, pos);
                pos++; // backslash
                if (pos >= s.length()) {
                    throw error("unterminated string");
                }
                char e = s.charAt(pos);
                switch (e) {
                    case '"', '\\', '/' -> sb.append(e);
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'n' -> sb.append('\n');
                    case 'r' -> sb.append('\r');
                    case 't' -> sb.append('\t');
                    case 'u' -> {
                        if (pos + 5 > s.length()) {
                            throw error("truncated \\u escape");
                        }
                        int code = 0;
                        for (int i = 1; i <= 4; i++) {
                            int d = Character.digit(s.charAt(pos + i), 16);
                            if (d < 0) {
                                throw error("invalid \\u escape");
                            }
                            code = code * 16 + d;
                        }
                        sb.append((char) code);
                        pos += 4;
                    }
                    default -> throw error("invalid escape '\\" + e + "'");
                }
                pos++;
                runStart = pos;
            }
        }

        private Number number() {
            int start = pos;
            if (s.charAt(pos) == '-') {
                pos++;
            }
            if (pos >= s.length() || !isDigit(s.charAt(pos))) {
                throw error("invalid number");
            }
            if (s.charAt(pos) == '0') {
                pos++;
                if (pos < s.length() && isDigit(s.charAt(pos))) {
                    throw error("invalid number (leading zero)");
                }
            } else {
                digits();
            }
            boolean integral = true;
            if (pos < s.length() && s.charAt(pos) == '.') {
                integral = false;
                pos++;
                if (pos >= s.length() || !isDigit(s.charAt(pos))) {
                    throw error("invalid number (no digit after '.')");
                }
                digits();
            }
            if (pos < s.length() && (s.charAt(pos) == 'e' || s.charAt(pos) == 'E')) {
                integral = false;
                pos++;
                if (pos < s.length() && (s.charAt(pos) == '+' || s.charAt(pos) == '-')) {
                    pos++;
                }
                if (pos >= s.length() || !isDigit(s.charAt(pos))) {
                    throw error("invalid number (no digit in the exponent)");
                }
                digits();
            }
            String text = s.substring(start, pos);
            if (integral && text.length() <= 20) {
                BigInteger big = new BigInteger(text);
                if (big.bitLength() < 64) {
                    return big.longValue();
                }
            }
            return new BigDecimal(text).doubleValue();
        }

        private void digits() {
            while (pos < s.length() && isDigit(s.charAt(pos))) {
                pos++;
            }
        }

        private static boolean isDigit(char c) {
            return c >= '0' && c <= '9';
        }
    }

    // ------------------------------------------------------------------ writing

    public static String write(Object value) {
        StringBuilder sb = new StringBuilder();
        write(sb, value, 0);
        return sb.toString();
    }

    private static void write(StringBuilder sb, Object v, int depth) {
        if (depth > MAX_DEPTH) {
            throw new JsonException("value nested deeper than " + MAX_DEPTH + " levels");
        }
        if (v == null) {
            sb.append("null");
        } else if (v instanceof Boolean b) {
            sb.append(b.booleanValue());
        } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte
                || v instanceof BigInteger) {
            sb.append(v);
        } else if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                throw new JsonException("JSON has no " + d);
            }
            sb.append(Double.toString(d)); // "90000.0", "1.0E20": valid JSON, and read back as a Double
        } else if (v instanceof BigDecimal bd) {
            sb.append(bd.toString());
        } else if (v instanceof CharSequence cs) {
            string(sb, cs);
        } else if (v instanceof Map<?, ?> map) {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (!(e.getKey() instanceof String key)) {
                    throw new JsonException("object keys must be strings, got " + typeName(e.getKey()));
                }
                if (!first) {
                    sb.append(',');
                }
                first = false;
                string(sb, key);
                sb.append(':');
                write(sb, e.getValue(), depth + 1);
            }
            sb.append('}');
        } else if (v instanceof Collection<?> list) {
            sb.append('[');
            boolean first = true;
            for (Object o : list) {
                if (!first) {
                    sb.append(',');
                }
                first = false;
                write(sb, o, depth + 1);
            }
            sb.append(']');
        } else {
            throw new JsonException("cannot write " + v.getClass().getName() + " as JSON");
        }
    }

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private static void string(StringBuilder sb, CharSequence s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    boolean lone = Character.isHighSurrogate(c)
                            ? i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))
                            : Character.isLowSurrogate(c) && (i == 0 || !Character.isHighSurrogate(s.charAt(i - 1)));
                    if (c < 0x20 || c == 0x7f || c == '\u2028' || c == '\u2029' || lone) {
                        // control characters, and lone surrogates that UTF-8 cannot carry, as \\u escapes
                        sb.append("\\u").append(HEX[c >> 12 & 15]).append(HEX[c >> 8 & 15]).append(HEX[c >> 4 & 15])
                                .append(HEX[c & 15]);
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
