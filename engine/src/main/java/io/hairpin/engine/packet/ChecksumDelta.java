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

    public static int update32(int checksum, int oldValue, int newValue) {
        int s = (~checksum & 0xffff) + (~oldValue >>> 16 & 0xffff) + (~oldValue & 0xffff)
                + (newValue >>> 16 & 0xffff) + (newValue & 0xffff);
        s = (s & 0xffff) + (s >>> 16);
        s = (s & 0xffff) + (s >>> 16);
        return ~s & 0xffff;
    }
}
