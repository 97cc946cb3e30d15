package io.hairpin.control.config;

/**
 * IPv4 addresses as plain {@code int}s in network order (the first octet in the top byte). Compare
 * them with {@link Integer#compareUnsigned}.
 */
public final class Ipv4 {

    private Ipv4() {}

    /**
     * Parses a dotted quad: exactly four decimal octets 0-255, no signs, no spaces. Leading zeros are
     * rejected ("010" means 8 to inet_aton and 10 to a human).
     *
     * @throws IllegalArgumentException if {@code text} is not such an address
     */
    public static int parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("missing IPv4 address");
        }
        String[] octets = text.split("\\.", -1);
        if (octets.length != 4) {
            throw invalid(text);
        }
        int address = 0;
        for (String octet : octets) {
            address = (address << 8) | parseOctet(octet, text);
        }
        return address;
    }

    /** Whether {@link #parse} would accept {@code text}. */
    public static boolean isValid(String text) {
        try {
            parse(text);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** Formats an address as a dotted quad. */
    public static String format(int address) {
        return (address >>> 24) + "." + ((address >>> 16) & 0xff) + "." + ((address >>> 8) & 0xff) + "." + (address & 0xff);
    }

    private static int parseOctet(String octet, String text) {
        int length = octet.length();
        if (length == 0 || length > 3 || (length > 1 && octet.charAt(0) == '0')) {
            throw invalid(text);
        }
        int value = 0;
        for (int i = 0; i < length; i++) {
            char c = octet.charAt(i);
            if (c < '0' || c > '9') {
                throw invalid(text);
            }
            value = value * 10 + (c - '0');
        }
        if (value > 255) {
            throw invalid(text);
        }
        return value;
    }

    private static IllegalArgumentException invalid(String text) {
        return new IllegalArgumentException(
                "'" + text + "' is not an IPv4 address (expected four numbers 0-255 separated by dots, such as 192.0.2.1)");
    }
}
