package io.hairpin.engine.packet;

import io.hairpin.shim.Mem;

/** The Internet checksum (RFC 1071) over native memory, computed in full. */
public final class Checksum {
    private Checksum() {
    }

    /** Adds len bytes at addr, as big-endian 16-bit words, to a running 32-bit-or-wider sum. */
    public static long sum(long addr, int len, long initial) {
        long s = initial;
        int i = 0;
        for (; i + 4 <= len; i += 4) {
            s += Mem.i32(addr + i) & 0xffffffffL;
        }
        if (i + 2 <= len) {
            s += Mem.u16(addr + i);
            i += 2;
        }
        if (i < len) {
            s += Mem.u8(addr + i) << 8;
        }
        return s;
    }

    /**
     * Whether a 20-byte IPv4 header's checksum verifies: three native-order loads and a fixed
     * fold (the one's-complement sum of byte-swapped words is the byte-swapped sum, and 0xffff
     * reads the same both ways).
     */
    public static boolean headerOk20(long ip) {
        return headerOk20(Mem.nativeLong(ip), Mem.nativeLong(ip + 8), Mem.nativeInt(ip + 16));
    }

    /** {@link #headerOk20} of the header's bytes 0..7, 8..15 and 16..19 as loaded in native order. */
    public static boolean headerOk20(long a, long b, int c) {
        long s = (a >>> 32) + (a & 0xffffffffL) + (b >>> 32) + (b & 0xffffffffL) + (c & 0xffffffffL);
        s = (s >>> 32) + (s & 0xffffffffL); // at most 2^32 + 3
        int x = (int) ((s >>> 32) + (s & 0xffffffffL));
        // the upper half of x + x rotated by 16 is the one's-complement sum of x's halves, its
        // carry folded in: the fold in one add instead of three shifts and adds in a chain
        return (x + Integer.rotateRight(x, 16)) >>> 16 == 0xffff;
    }

    /** Folds a wide sum to 16 bits (end-around carry). */
    public static int fold(long sum) {
        long s = sum;
        while ((s >>> 16) != 0) {
            s = (s & 0xffff) + (s >>> 16);
        }
        return (int) s;
    }

    /** The checksum field value for a sum: the complement of the folded sum. */
    public static int finish(long sum) {
        return ~fold(sum) & 0xffff;
    }
}
