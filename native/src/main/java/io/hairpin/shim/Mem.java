package io.hairpin.shim;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Absolute-address access to native memory (mbufs, packet data) with no segment object per
 * packet: one segment spans the whole address space and every access names an address.
 * Network-order layouts read packet fields; native-order ones read DPDK structs.
 */
public final class Mem {
    public static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    public static final ValueLayout.OfShort BE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    public static final ValueLayout.OfInt BE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    public static final ValueLayout.OfShort NE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;
    public static final ValueLayout.OfInt NE_INT = ValueLayout.JAVA_INT_UNALIGNED;
    public static final ValueLayout.OfLong NE_LONG = ValueLayout.JAVA_LONG_UNALIGNED;

    private Mem() {
    }

    public static int u8(long addr) {
        return ALL.get(ValueLayout.JAVA_BYTE, addr) & 0xff;
    }

    public static void u8(long addr, int v) {
        ALL.set(ValueLayout.JAVA_BYTE, addr, (byte) v);
    }

    /** Big-endian (network order) unsigned 16 bits. */
    public static int u16(long addr) {
        return ALL.get(BE_SHORT, addr) & 0xffff;
    }

    public static void u16(long addr, int v) {
        ALL.set(BE_SHORT, addr, (short) v);
    }

    /** Big-endian (network order) 32 bits. */
    public static int i32(long addr) {
        return ALL.get(BE_INT, addr);
    }

    public static void i32(long addr, int v) {
        ALL.set(BE_INT, addr, v);
    }

    /** Six bytes of a MAC address as the low 48 bits of a long, first byte most significant. */
    public static long mac(long addr) {
        return ((long) u16(addr) << 32) | (i32(addr + 2) & 0xffffffffL);
    }

    public static void mac(long addr, long mac) {
        u16(addr, (int) (mac >>> 32));
        i32(addr + 2, (int) mac);
    }

    public static void copy(long from, long to, long bytes) {
        MemorySegment.copy(ALL, from, ALL, to, bytes);
    }

    public static long nativeLong(long addr) {
        return ALL.get(NE_LONG, addr);
    }

    public static void nativeLong(long addr, long v) {
        ALL.set(NE_LONG, addr, v);
    }

    public static int nativeU16(long addr) {
        return ALL.get(NE_SHORT, addr) & 0xffff;
    }

    public static void nativeU16(long addr, int v) {
        ALL.set(NE_SHORT, addr, (short) v);
    }

    public static int nativeInt(long addr) {
        return ALL.get(NE_INT, addr);
    }

    public static void nativeInt(long addr, int v) {
        ALL.set(NE_INT, addr, v);
    }
}
