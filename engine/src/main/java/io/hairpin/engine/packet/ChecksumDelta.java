package io.hairpin.engine.packet;

/** Incremental checksum update (RFC 1624, eqn. 3: HC' = ~(~HC + ~m + m')). */
public final class ChecksumDelta {
    private ChecksumDelta() {
    }

    public static int update16(int checksum, int oldWord, int newWord) {
        int s = (~checksum & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff);
        s = (s & 0xffff) + (s >>> 16);
        s = (s & 0xffff) + (s >>> 16);
        return ~s & 0xffff;
    }

    /**
     * The one's-complement difference a 32-bit field change makes to any checksum covering it,
     * folded to 16 bits; several deltas add (then fold) before one {@link #apply}.
     */
    public static int delta32(int oldValue, int newValue) {
        int s = (~oldValue >>> 16 & 0xffff) + (~oldValue & 0xffff) + (newValue >>> 16 & 0xffff) + (newValue & 0xffff);
        s = (s & 0xffff) + (s >>> 16);
        return (s & 0xffff) + (s >>> 16);
    }

    public static int delta16(int oldValue, int newValue) {
        int s = (~oldValue & 0xffff) + (newValue & 0xffff);
        return (s & 0xffff) + (s >>> 16);
    }

    /** Sum of two deltas, folded. */
    public static int add(int a, int b) {
        int s = a + b;
        return (s & 0xffff) + (s >>> 16);
    }

    /** Applies a delta to a checksum field: HC' = ~(~HC + delta). */
    public static int apply(int checksum, int delta) {
        int s = (~checksum & 0xffff) + delta;
        s = (s & 0xffff) + (s >>> 16);
        s = (s & 0xffff) + (s >>> 16);
        return ~s & 0xffff;
    }

    /**
     * {@link #apply} to a UDP checksum field (RFC 768): 0 means "none" and stays 0, and a
     * computed 0 is sent as 0xffff. Like apply, it works on a field read in either byte order.
     */
    public static int applyUdp(int checksum, int delta) {
        if (checksum == 0) {
            return 0;
        }
        int updated = apply(checksum, delta);
        return updated == 0 ? 0xffff : updated;
    }

    public static int update32(int checksum, int oldValue, int newValue) {
        int s = (~checksum & 0xffff) + (~oldValue >>> 16 & 0xffff) + (~oldValue & 0xffff)
                + (newValue >>> 16 & 0xffff) + (newValue & 0xffff);
        s = (s & 0xffff) + (s >>> 16);
        s = (s & 0xffff) + (s >>> 16);
        return ~s & 0xffff;
    }
}
