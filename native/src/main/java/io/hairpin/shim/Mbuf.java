package io.hairpin.shim;

/**
 * The fields of DPDK 22.11's {@code struct rte_mbuf} that Java touches, at offsets checked
 * against the shim's {@code hp_abi_info} by {@link #verifyAbi()} before any packet is read.
 * Single-segment mbufs only: the ports are configured without scatter.
 */
public final class Mbuf {
    public static final int SIZE = 128;
    public static final int OFF_BUF_ADDR = 0;
    public static final int OFF_DATA_OFF = 16;
    public static final int OFF_OL_FLAGS = 24;
    public static final int OFF_PACKET_TYPE = 32;
    public static final int OFF_PKT_LEN = 36;
    public static final int OFF_DATA_LEN = 40;
    public static final int OFF_POOL = 56;
    public static final int OFF_NEXT = 64;
    public static final int OFF_NB_SEGS = 20;
    public static final int OFF_PORT = 22;
    public static final int OFF_BUF_LEN = 54;
    public static final int OFF_VLAN_TCI = 42;
    public static final int HEADROOM = 128;

    private Mbuf() {
    }

    /** Address of the first packet byte. */
    public static long data(long mbuf) {
        return Mem.nativeLong(mbuf + OFF_BUF_ADDR) + Mem.nativeU16(mbuf + OFF_DATA_OFF);
    }

    public static int dataLen(long mbuf) {
        return Mem.nativeU16(mbuf + OFF_DATA_LEN);
    }

    public static int pktLen(long mbuf) {
        return Mem.nativeInt(mbuf + OFF_PKT_LEN);
    }

    public static int bufLen(long mbuf) {
        return Mem.nativeU16(mbuf + OFF_BUF_LEN);
    }

    public static int dataOff(long mbuf) {
        return Mem.nativeU16(mbuf + OFF_DATA_OFF);
    }

    public static int nbSegs(long mbuf) {
        return Mem.nativeU16(mbuf + OFF_NB_SEGS);
    }

    /** Sets data and packet length together (single segment). */
    public static void setLength(long mbuf, int len) {
        Mem.nativeU16(mbuf + OFF_DATA_LEN, len);
        Mem.nativeInt(mbuf + OFF_PKT_LEN, len);
    }

    /** Moves the start of data by delta bytes (negative prepends), adjusting the lengths. */
    public static void adjustFront(long mbuf, int delta) {
        Mem.nativeU16(mbuf + OFF_DATA_OFF, dataOff(mbuf) + delta);
        setLength(mbuf, dataLen(mbuf) - delta);
    }

    /** Checks the constants above against the compiled shim; throws with a clear message on mismatch. */
    public static void verifyAbi() {
        long[] info = abiInfo();
        check(info, AbiField.VERSION, 1);
        check(info, AbiField.MBUF_SIZE, SIZE);
        check(info, AbiField.OFF_BUF_ADDR, OFF_BUF_ADDR);
        check(info, AbiField.OFF_DATA_OFF, OFF_DATA_OFF);
        check(info, AbiField.OFF_OL_FLAGS, OFF_OL_FLAGS);
        check(info, AbiField.OFF_PACKET_TYPE, OFF_PACKET_TYPE);
        check(info, AbiField.OFF_PKT_LEN, OFF_PKT_LEN);
        check(info, AbiField.OFF_DATA_LEN, OFF_DATA_LEN);
        check(info, AbiField.OFF_POOL, OFF_POOL);
        check(info, AbiField.OFF_NEXT, OFF_NEXT);
        check(info, AbiField.OFF_NB_SEGS, OFF_NB_SEGS);
        check(info, AbiField.OFF_PORT, OFF_PORT);
        check(info, AbiField.OFF_BUF_LEN, OFF_BUF_LEN);
        check(info, AbiField.OFF_VLAN_TCI, OFF_VLAN_TCI);
        check(info, AbiField.HEADROOM, HEADROOM);
    }

    public static long[] abiInfo() {
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            var out = arena.allocate(java.lang.foreign.ValueLayout.JAVA_LONG, AbiField.values().length);
            int n = Shim.hp_abi_info(out, AbiField.values().length);
            if (n != AbiField.values().length) {
                throw new DpdkException("The native shim reports " + n + " ABI fields, Java expects "
                        + AbiField.values().length + "; the shim and the jar are from different builds.");
            }
            return out.toArray(java.lang.foreign.ValueLayout.JAVA_LONG);
        }
    }

    private static void check(long[] info, AbiField field, long expected) {
        long actual = info[field.ordinal()];
        if (actual != expected) {
            throw new DpdkException("DPDK ABI mismatch: rte_mbuf " + field + " is " + actual + " in the native shim but "
                    + expected + " in Java; Hairpin supports DPDK 22.11 only.");
        }
    }

    /** Order of hp_abi_info's output (enum hp_abi_field in hairpin_shim.h). */
    public enum AbiField {
        VERSION, MBUF_SIZE, OFF_BUF_ADDR, OFF_DATA_OFF, OFF_OL_FLAGS, OFF_PACKET_TYPE, OFF_PKT_LEN,
        OFF_DATA_LEN, OFF_POOL, OFF_NEXT, OFF_NB_SEGS, OFF_PORT, OFF_BUF_LEN, OFF_VLAN_TCI, HEADROOM
    }
}
