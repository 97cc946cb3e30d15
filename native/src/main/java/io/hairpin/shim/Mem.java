package io.hairpin.shim;

import java.lang.foreign.MemorySegment;
import jdk.internal.misc.Unsafe;

/**
 * Absolute-address access to native memory (mbufs, packet data, off-heap tables) with no segment
 * object per packet: every access names an address. Network-order accessors read packet fields;
 * native-order ones read DPDK structs and the engine's own tables.
 *
 * <p>Through {@code jdk.internal.misc.Unsafe} (exported to the application by the flags every
 * launcher passes, see deploy/env.sh). A read through a segment spanning the address space, as
 * this class made before, is some thirty force-inlined methods in C2's graph (layout, bounds,
 * alignment and scope checks that cannot fail for such a segment); a per-burst loop with a few
 * dozen accesses ran out of C2's inlining budget ({@code NodeCountInliningCutoff}) and left
 * accesses, and the TX staging, as calls. {@link #ALL} remains for bulk copies.
 */
public final class Mem {
    public static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    private static final Unsafe U = Unsafe.getUnsafe();

    private Mem() {
    }

    public static int u8(long addr) {
        return U.getByte(addr) & 0xff;
    }

    public static void u8(long addr, int v) {
        U.putByte(addr, (byte) v);
    }

    /** Big-endian (network order) unsigned 16 bits. */
    public static int u16(long addr) {
        return U.getShortUnaligned(null, addr, true) & 0xffff;
    }

    public static void u16(long addr, int v) {
        U.putShortUnaligned(null, addr, (short) v, true);
    }

    /** Big-endian (network order) 32 bits. */
    public static int i32(long addr) {
        return U.getIntUnaligned(null, addr, true);
    }

    public static void i32(long addr, int v) {
        U.putIntUnaligned(null, addr, v, true);
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
        return U.getLongUnaligned(null, addr);
    }

    public static void nativeLong(long addr, long v) {
        U.putLongUnaligned(null, addr, v);
    }

    public static int nativeU16(long addr) {
        return U.getShortUnaligned(null, addr) & 0xffff;
    }

    public static void nativeU16(long addr, int v) {
        U.putShortUnaligned(null, addr, (short) v);
    }

    public static int nativeInt(long addr) {
        return U.getIntUnaligned(null, addr);
    }

    public static void nativeInt(long addr, int v) {
        U.putIntUnaligned(null, addr, v);
    }
}
