package io.hairpin.control.config;

/**
 * An IPv4 address with a prefix length. The address keeps its host bits, so the same type describes an
 * interface address ({@code 203.0.113.1/24}) and, when {@code address == network()}, a prefix.
 */
public record Cidr(int address, int prefixLength) {

    public Cidr {
        if (prefixLength < 0 || prefixLength > 32) {
            throw new IllegalArgumentException("prefix length must be between 0 and 32, got " + prefixLength);
        }
    }

    /**
     * Parses {@code a.b.c.d/n} with {@code n} in 0..32.
     *
     * @throws IllegalArgumentException if {@code text} is not in that form
     */
    public static Cidr parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("missing IPv4 prefix");
        }
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException(
                    "'" + text + "' has no prefix length (expected address/length, such as 192.0.2.1/24)");
        }
        String addressPart = text.substring(0, slash);
        String lengthPart = text.substring(slash + 1);
        if (!Ipv4.isValid(addressPart) || !isPrefixLength(lengthPart)) {
            throw new IllegalArgumentException(
                    "'" + text + "' is not an IPv4 prefix (expected address/length with length 0-32, such as 192.0.2.1/24)");
        }
        return new Cidr(Ipv4.parse(addressPart), Integer.parseInt(lengthPart));
    }

    /** The netmask, e.g. {@code 255.255.255.0} for /24 (0 for /0). */
    public int mask() {
        // Java shifts an int by (n mod 32), so -1 << 32 would be -1, not 0.
        return prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
    }

    /** The address with the host bits cleared. */
    public int network() {
        return address & mask();
    }

    /** The address with all host bits set. */
    public int broadcast() {
        return network() | ~mask();
    }

    /** This prefix in network form, e.g. {@code 203.0.113.0/24} for {@code 203.0.113.1/24}. */
    public Cidr networkPrefix() {
        return new Cidr(network(), prefixLength);
    }

    /** Whether {@code address} is one of the addresses of this prefix. */
    public boolean contains(int addr) {
        return (addr & mask()) == network();
    }

    /** Whether the two prefixes share at least one address. */
    public boolean overlaps(Cidr other) {
        return contains(other.network()) || other.contains(network());
    }

    /** Whether the prefix is long enough to have dedicated network and broadcast addresses (/0 to /30). */
    public boolean hasNetworkAndBroadcast() {
        return prefixLength <= 30;
    }

    @Override
    public String toString() {
        return Ipv4.format(address) + "/" + prefixLength;
    }

    private static boolean isPrefixLength(String text) {
        if (text.isEmpty() || text.length() > 2 || (text.length() == 2 && text.charAt(0) == '0')) {
            return false;
        }
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) < '0' || text.charAt(i) > '9') {
                return false;
            }
        }
        return Integer.parseInt(text) <= 32;
    }
}
